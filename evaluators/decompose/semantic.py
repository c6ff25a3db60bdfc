"""Find practices described in prose: the Transformer half of module 2.

Prose chunks (doc sections split into sentences, notebook markdown, module docstrings, CI step
names, pipeline stage names) are embedded with the bundled MiniLM encoder and compared with the
example claim sentences of every catalogue practice. A chunk claims a practice when its best
cosine similarity to that practice's claims reaches the practice threshold (calibrated on the
labelled sentences in ``data/claims_labelled.yaml``, see ``hack/calibrate_semantic.py``) and
beats every other practice by a margin, so a sentence about "tests" does not also claim
"monitoring". Claims never make a practice present: without an artefact it is 'claimed-only'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.catalogue import load_practices
from hyperscore.evaluators.decompose.encoder import Encoder, Vectors, shared_encoder
from hyperscore.evaluators.model import Evidence, IngestResult

DEFAULT_THRESHOLD = 0.62
DEFAULT_MARGIN = 0.03
MAX_CHUNKS = 800
MIN_WORDS = 4
MAX_CHUNK_CHARS = 400

_CODE_FENCE = re.compile(r"```.*?```", re.S)
_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`>#|]+|<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])|\n\s*[-*+]\s+|\n\s*\d+\.\s+|\n{2,}")
_DOC_PRIORITY = re.compile(r"(^|/)(readme|docs?/|documentation|index)", re.I)
_README = re.compile(r"readme", re.I)


@dataclass(frozen=True)
class Chunk:
    text: str
    path: str
    line: int | None
    source_kind: str


@dataclass(frozen=True)
class ClaimMatch:
    practice_id: str
    similarity: float
    chunk: Chunk


def _clean(text: str) -> str:
    text = _MARKUP.sub(lambda m: m.group(1) or " ", text)
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Split prose into sentence-sized pieces; drop code and fragments too short to claim."""
    text = _CODE_FENCE.sub(" ", text)
    out = []
    for piece in _SENTENCE.split(text):
        clean = _clean(piece)[:MAX_CHUNK_CHARS]
        if len(clean.split()) >= MIN_WORDS and any(c.isalpha() for c in clean):
            out.append(clean)
    return out


def chunks_from(result: IngestResult, limit: int = MAX_CHUNKS) -> list[Chunk]:
    """Prose worth matching, README and docs first, at most ``limit`` chunks.

    Embedding is the semantic stage's whole cost (tens of milliseconds per chunk on a small
    CPU), so when a project has more prose than ``limit`` the budget goes by priority: READMEs,
    then docs (``docs/``, index pages), then other doc sections, then module docstrings; within
    a tier every file's first sentence comes before any file's second, so one long document
    cannot crowd out the others. The chunks kept are returned in reading order (docs first),
    exactly as when everything fits.
    """
    docs: list[Chunk] = []
    other: list[Chunk] = []
    for item in result.evidence:
        target = docs if _DOC_PRIORITY.search(item.path) else other
        target.extend(_item_chunks(item))
    seen: set[str] = set()
    unique = []
    for chunk in docs + other:
        key = chunk.text.lower()
        if key not in seen:
            seen.add(key)
            unique.append(chunk)
    if len(unique) <= limit:
        return unique
    nth_in_file: dict[str, int] = {}
    ranked: list[tuple[int, int, int]] = []
    for position, chunk in enumerate(unique):
        nth = nth_in_file.get(chunk.path, 0)
        nth_in_file[chunk.path] = nth + 1
        ranked.append((_tier(chunk), nth, position))
    kept = sorted(position for _, _, position in sorted(ranked)[:limit])
    return [unique[position] for position in kept]


def _tier(chunk: Chunk) -> int:
    """Embedding priority of a chunk: 0 README, 1 docs, 2 other prose, 3 module docstrings."""
    if chunk.source_kind != "doc.section":
        return 3
    if _README.match(chunk.path.rsplit("/", 1)[-1]):
        return 0
    return 1 if _DOC_PRIORITY.search(chunk.path) else 2


def _item_chunks(item: Evidence) -> Iterable[Chunk]:
    if item.kind == "doc.section" and item.text:
        heading = getattr(item, "heading", "") or ""
        for sentence in sentences(item.text):
            yield Chunk(
                f"{heading}: {sentence}" if heading else sentence, item.path, item.line, item.kind
            )
    elif item.kind == "code.module" and item.text:
        for sentence in sentences(item.text)[:3]:
            yield Chunk(sentence, item.path, item.line, item.kind)


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[str, float]
    default: float
    margin: float


@cache
def calibration() -> Calibration:
    """Per-practice thresholds written by hack/calibrate_semantic.py (defaults when absent)."""
    try:
        raw = resources.files(__package__).joinpath("data/semantic_calibration.json").read_text()
    except (FileNotFoundError, OSError):
        return Calibration({}, DEFAULT_THRESHOLD, DEFAULT_MARGIN)
    data = json.loads(raw)
    return Calibration(
        thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
        default=float(data.get("default", DEFAULT_THRESHOLD)),
        margin=float(data.get("margin", DEFAULT_MARGIN)),
    )


def claim_sentences() -> list[tuple[str, str]]:
    """(practice id, sentence) for every practice's title and example claims, in order."""
    out: list[tuple[str, str]] = []
    for pid, practice in load_practices().items():
        examples = practice.claims or [practice.description]
        out.extend((pid, sentence) for sentence in [practice.title, *examples])
    return out


class PracticeMatcher:
    """Embeds every practice's claim sentences once and scores text against them."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder or shared_encoder()
        practices = load_practices()
        self.ids: list[str] = []
        texts: list[str] = []
        for pid, sentence in claim_sentences():
            self.ids.append(pid)
            texts.append(sentence)
        self._owner = np.array([sorted(practices).index(p) for p in self.ids])
        self.practice_ids = sorted(practices)
        self.claim_vectors: Vectors = self.encoder.encode(texts)

    def scores(self, vectors: Vectors) -> Vectors:
        """``[n_texts, n_practices]``: best similarity of each text to each practice."""
        sims = vectors @ self.claim_vectors.T
        out = np.full((len(vectors), len(self.practice_ids)), -1.0, dtype=np.float32)
        for col in range(len(self.practice_ids)):
            mask = self._owner == col
            if mask.any():
                out[:, col] = sims[:, mask].max(axis=1)
        return out

    def classify(self, texts: list[str]) -> list[tuple[str | None, float]]:
        """The practice each text claims (or None) with its similarity."""
        if not texts:
            return []
        cal = calibration()
        table = self.scores(self.encoder.encode(texts))
        out: list[tuple[str | None, float]] = []
        for row in table:
            order = np.argsort(row)[::-1]
            best, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
            pid = self.practice_ids[best]
            sim = float(row[best])
            threshold = cal.thresholds.get(pid, cal.default)
            if sim >= threshold and sim - float(row[second]) >= cal.margin:
                out.append((pid, sim))
            else:
                out.append((None, sim))
        return out


def find_claims(
    result: IngestResult, matcher: PracticeMatcher | None = None
) -> dict[str, list[Citation]]:
    """Practice id -> citations of the prose that claims it."""
    chunks = chunks_from(result)
    if not chunks:
        return {}
    matcher = matcher or PracticeMatcher()
    claims: dict[str, list[Citation]] = {}
    for chunk, (pid, sim) in zip(chunks, matcher.classify([c.text for c in chunks]), strict=True):
        if pid is None:
            continue
        claims.setdefault(pid, []).append(
            Citation(
                path=chunk.path,
                line=chunk.line,
                what=f'prose claims it ({sim:.2f}): "{chunk.text[:160]}"',
            )
        )
    return claims


def main() -> None:
    """Rewrite the bundled claim vectors (run after editing the catalogue's claims)."""
    from pathlib import Path

    from hyperscore.evaluators.decompose.encoder import BUNDLED_VECTORS, write_bundled_vectors

    target = Path(__file__).resolve().parent / BUNDLED_VECTORS
    count = write_bundled_vectors([text for _, text in claim_sentences()], target)
    print(f"wrote {count} claim vectors to {target}")


if __name__ == "__main__":
    main()
