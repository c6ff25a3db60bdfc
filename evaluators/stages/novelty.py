"""Novelty: how much of a project's practice evidence is its own and current (issue 6).

Every practice chunk of the project (``knowledge.chunks.practice_chunks``) is embedded and
matched with its nearest knowledge-base entry by cosine similarity (for code-like chunks: the
nearest of the top 5 that also shares its identifiers, see ``knowledge.lexical``). A chunk is
*flagged* when that entry is labelled ``boilerplate``, ``outdated`` or ``anti-pattern`` and the
similarity reaches the label's threshold; otherwise (own text, or nearest to a ``current``
practice) it counts for the project. With ``N`` chunks and ``F`` flagged ones::

    Novelty = 1 - F / N            (not-applicable when N == 0)

Only the matched entry decides, so a line closest to a current practice is never flagged
for a weaker resemblance to an outdated one. Thresholds are calibrated once on the labelled
pairs in ``knowledge/calibration.yaml`` (tests/unit/knowledge/test_calibration.py keeps them
separating), never per repository. See docs/novelty.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.semantic import Chunk
from hyperscore.evaluators.knowledge import lexical
from hyperscore.evaluators.knowledge.chunks import practice_chunks
from hyperscore.evaluators.knowledge.corpus import Label
from hyperscore.evaluators.knowledge.store import Hit, KnowledgeBase
from hyperscore.evaluators.stages.base import Check, StageInput, StageResult

STAGE = "novelty"


@dataclass(frozen=True)
class Thresholds:
    """Minimum cosine similarity to the nearest entry for a chunk to take that entry's label.

    Boilerplate needs a closer match than outdated or anti-pattern entries: tutorial lines
    are generic, so only near-verbatim reuse is "copied", while a deprecated API is specific
    enough that a close paraphrase (another argument, another variable name) is the same API.
    """

    boilerplate: float = 0.80
    outdated: float = 0.75
    anti_pattern: float = 0.75
    lexical: float = 0.72

    def for_label(self, label: Label) -> float | None:
        return {
            Label.BOILERPLATE: self.boilerplate,
            Label.OUTDATED: self.outdated,
            Label.ANTI_PATTERN: self.anti_pattern,
        }.get(label)


DEFAULT_THRESHOLDS = Thresholds()

_RULES = {
    Label.BOILERPLATE: "copied-boilerplate",
    Label.OUTDATED: "outdated-practice",
    Label.ANTI_PATTERN: "known-anti-pattern",
}
_SEVERITY = {Label.BOILERPLATE: "low", Label.OUTDATED: "medium", Label.ANTI_PATTERN: "medium"}
_VERB = {
    Label.BOILERPLATE: "copies template/tutorial boilerplate",
    Label.OUTDATED: "uses an outdated practice",
    Label.ANTI_PATTERN: "matches an anti-pattern",
}


PROSE_KINDS = frozenset({"doc.section", "code.module"})
SEARCH_K = 5


def classify(hit: Hit | None, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Label | None:
    """The label a chunk takes from its matched entry, or None when it counts as the project's."""
    if hit is None:
        return None
    limit = thresholds.for_label(hit.label)
    return hit.label if limit is not None and hit.similarity >= limit else None


def best_match(
    chunk: Chunk, hits: list[Hit], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Hit | None:
    """The nearest entry that also shares the chunk's identifiers (prose: the nearest entry).

    Embeddings see the topic of a code line, not its version, so a code-like chunk only
    matches an entry whose IDF-weighted token cosine reaches ``thresholds.lexical``.
    """
    if chunk.source_kind in PROSE_KINDS:
        return hits[0] if hits else None
    for hit in hits:
        if lexical.similarity(chunk.text, hit.text) >= thresholds.lexical:
            return hit
    return None


def run(
    inp: StageInput,
    kb: KnowledgeBase | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    root: Path | None = None,
    **_options: Any,
) -> StageResult:
    """Score Novelty for ``inp`` against ``kb`` (the default KB location when None).

    ``root`` overrides the folder raw source lines are read from (default: the ingested
    directory, when the source is one). An empty or missing KB is a 'skipped' stage, not a
    perfect score: nothing was compared.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    chunks = practice_chunks(inp.ingest, root)
    timings["chunks"] = round(time.perf_counter() - started, 4)
    if not chunks:
        return StageResult.not_applicable(STAGE, "no practice evidence to compare")
    own_kb = kb is None
    kb = kb if kb is not None else KnowledgeBase()
    try:
        if kb.count() == 0:
            return StageResult.skipped(
                STAGE, f"knowledge base at {kb.uri} is empty; run `hyperscore kb build`"
            )
        started = time.perf_counter()
        vectors = kb.encoder.encode([c.text for c in chunks])
        timings["embed"] = round(time.perf_counter() - started, 4)
        started = time.perf_counter()
        rows = kb.search(vectors, k=SEARCH_K)
        nearest = [best_match(c, row, thresholds) for c, row in zip(chunks, rows, strict=True)]
        timings["search"] = round(time.perf_counter() - started, 4)
    finally:
        if own_kb:
            kb.close()
    return _result(chunks, nearest, thresholds, timings)


def _result(
    chunks: list[Chunk],
    nearest: list[Hit | None],
    thresholds: Thresholds,
    timings: dict[str, float],
) -> StageResult:
    checks: list[Check] = []
    findings: list[dict[str, Any]] = []
    counts = {"own": 0, "current": 0, **{label.value: 0 for label in _RULES}}
    for index, (chunk, hit) in enumerate(zip(chunks, nearest, strict=True)):
        label = classify(hit, thresholds)
        if label is None or hit is None:
            matched_current = (
                hit is not None
                and hit.label is Label.CURRENT
                and (hit.similarity >= thresholds.outdated)
            )
            counts["current" if matched_current else "own"] += 1
            continue
        counts[label.value] += 1
        message = (
            f"{chunk.path}{f':{chunk.line}' if chunk.line else ''} {_VERB[label]}: "
            f"{chunk.text[:80]!r} matches KB entry {hit.id} ({hit.source}) "
            f"at similarity {hit.similarity:.2f}"
        )
        checks.append(
            Check(
                id=f"{STAGE}:{index}",
                kind=_RULES[label],
                statement=message,
                result="failed",
                evidence=[Citation(path=chunk.path, line=chunk.line, what=chunk.source_kind)],
                detail={
                    "entry": hit.id,
                    "label": label.value,
                    "similarity": round(hit.similarity, 4),
                    "entry_text": hit.text,
                    "chunk": chunk.text,
                    "source_kind": chunk.source_kind,
                },
            )
        )
        findings.append(
            {
                "rule_id": _RULES[label],
                "path": chunk.path,
                "line": chunk.line,
                "message": message,
                "severity": _SEVERITY[label],
                "entry": hit.id,
                "similarity": round(hit.similarity, 4),
            }
        )
    total = len(chunks)
    flagged = len(findings)
    score = 1.0 - flagged / total
    summary = (
        f"{total - flagged}/{total} practice chunks are the project's own or current; "
        f"{counts['boilerplate']} boilerplate, {counts['outdated']} outdated, "
        f"{counts['anti-pattern']} anti-pattern"
    )
    return StageResult(
        stage=STAGE,
        status="ok",
        score=round(score, 4),
        summary=summary,
        checks=checks,
        timings=timings,
        details={
            "chunks": total,
            "counts": counts,
            "findings": findings,
            "thresholds": vars(thresholds),
        },
    )
