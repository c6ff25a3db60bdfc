"""The functions behind ``hyperscore kb build | add | search | stats`` (the CLI wires them).

Each opens the knowledge base at ``uri`` (a Lite folder, default ``$HYPERSCORE_CACHE_DIR/kb``,
or a Milvus server URI), does one thing and closes it again, so the one-process-per-Lite-folder
rule of milvus-lite 3.x holds between commands.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hyperscore.evaluators.knowledge.chunks import practice_chunks
from hyperscore.evaluators.knowledge.corpus import (
    Dimension,
    KbEntry,
    Label,
    Origin,
    load_corpus,
    load_corpus_dir,
)
from hyperscore.evaluators.knowledge.store import Hit, KnowledgeBase


def build(corpus: str | Path | None = None, uri: str | Path | None = None) -> int:
    """(Re)build the KB from a corpus folder of ``*.yaml`` (default: the shipped corpus)."""
    entries = load_corpus() if corpus is None else load_corpus_dir(Path(corpus))
    with KnowledgeBase(uri) as kb:
        return kb.build(entries)


def user_entries(path: str | Path, label: Label | str = Label.CURRENT) -> list[KbEntry]:
    """A project's practice chunks as user entries (an organisation's golden repositories).

    Ids are ``user:<project>:<hash of path, line and text>``, so adding the same project
    again replaces its entries instead of duplicating them.
    """
    from hyperscore.evaluators.ingest import ingest

    root = Path(path)
    result = ingest(str(root))
    project = root.resolve().name or "project"
    entries = []
    for chunk in practice_chunks(result, root if root.is_dir() else None):
        digest = hashlib.sha256(f"{chunk.path}\0{chunk.line}\0{chunk.text}".encode()).hexdigest()
        entries.append(
            KbEntry(
                id=f"user:{project[:60]}:{digest[:16]}",
                text=chunk.text,
                label=Label(label),
                dimension=Dimension.GENERAL,
                origin=Origin.USER,
                source=f"{project}/{chunk.path}{f':{chunk.line}' if chunk.line else ''}",
            )
        )
    return entries


def add(path: str | Path, label: Label | str = Label.CURRENT, uri: str | Path | None = None) -> int:
    """Embed a project's evidence chunks into the KB under ``label``; returns how many."""
    entries = user_entries(path, label)
    with KnowledgeBase(uri) as kb:
        return kb.add(entries)


def search(text: str, k: int = 5, uri: str | Path | None = None) -> list[Hit]:
    """The ``k`` entries nearest to ``text``, best first."""
    with KnowledgeBase(uri) as kb:
        return kb.search_text(text, k)


def stats(uri: str | Path | None = None) -> dict[str, Any]:
    """Entry counts by label, dimension and origin."""
    with KnowledgeBase(uri) as kb:
        return kb.stats()
