"""The knowledge base on real Milvus Lite with real MiniLM embeddings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperscore.evaluators.knowledge import api
from hyperscore.evaluators.knowledge.corpus import KbEntry, Label, load_corpus
from hyperscore.evaluators.knowledge.store import KnowledgeBase, default_location, resolve_uri


def _subset() -> list[KbEntry]:
    """A few entries of every label, including the ones the searches below should find."""
    wanted = {"repr-old-002", "repr-old-006", "depl-old-001", "data-tpl-001", "trac-anti-001"}
    picked = [e for e in load_corpus() if e.id in wanted]
    by_label: dict[Label, int] = {}
    for entry in load_corpus():
        if by_label.get(entry.label, 0) < 6 and entry.id not in wanted:
            by_label[entry.label] = by_label.get(entry.label, 0) + 1
            picked.append(entry)
    return picked


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(tmp_path_factory.mktemp("kb")) as base:
        base.build(_subset())
        yield base


def test_uri_resolution(tmp_path: Path) -> None:
    assert resolve_uri(tmp_path / "kb").endswith("kb/knowledge.db")
    assert resolve_uri(tmp_path / "x.db").endswith("x.db")
    assert resolve_uri("http://milvus:19530") == "http://milvus:19530"
    assert str(default_location()).startswith(__import__("os").environ["HYPERSCORE_CACHE_DIR"])


def test_build_is_idempotent_and_stats_count(kb: KnowledgeBase) -> None:
    n = len(_subset())
    assert kb.count() == n
    kb.build(_subset())
    stats = kb.stats()
    assert stats["entries"] == n
    assert sum(stats["by_label"].values()) == n
    assert set(stats["by_label"]) == {label.value for label in Label}
    assert stats["by_origin"] == {"corpus": n}


def test_search_finds_the_semantic_neighbour(kb: KnowledgeBase) -> None:
    hits = kb.search_text("session = tf.Session()", k=3)
    assert hits[0].id == "repr-old-002" and hits[0].label is Label.OUTDATED
    assert hits[0].similarity > 0.7 and hits[0].similarity >= hits[1].similarity
    far = kb.search_text("The recipe needs two eggs and some flour.", k=1)[0]
    assert far.similarity < 0.5


def test_add_user_project_and_search(tmp_path: Path) -> None:
    project = tmp_path / "golden"
    (project / "src").mkdir(parents=True)
    (project / "src" / "features.py").write_text(
        "rolling = frame.groupby('account').amount.transform(lambda s: s.rolling(7).mean())\n",
        encoding="utf-8",
    )
    uri = tmp_path / "kb-user"
    with KnowledgeBase(uri) as base:
        base.build(_subset())
    added = api.add(project, "current", uri)
    assert added >= 1
    assert api.add(project, "current", uri) == added  # same ids: replaced, not duplicated
    stats = api.stats(uri)
    assert stats["by_origin"]["user"] == added
    hit = api.search("groupby account rolling mean of amount over 7 rows", 1, uri)[0]
    assert hit.origin == "user" and hit.label is Label.CURRENT


@pytest.mark.slow
def test_full_corpus_build(tmp_path: Path) -> None:
    total = api.build(None, tmp_path / "kb-full")
    assert total == len(load_corpus()) >= 500
    stats = api.stats(tmp_path / "kb-full")
    assert stats["entries"] == total
    hit = api.search("from sklearn.externals import joblib", 1, tmp_path / "kb-full")[0]
    assert hit.label is Label.OUTDATED and hit.similarity > 0.95
