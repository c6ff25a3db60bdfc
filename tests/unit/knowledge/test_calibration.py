"""The Novelty thresholds on the labelled calibration pairs (real embeddings).

Each pair is decided exactly as the stage decides a chunk: cosine similarity to the entry
against the entry label's threshold, plus the lexical gate for code-like chunks. The target is
precision first -- no negative pair may be flagged (a false finding costs trust) -- and a
recall of at least 80% on the positives; the misses are paraphrases with other arguments
(``xrange(10)`` vs ``xrange(num_epochs)``), documented in docs/novelty.md.
"""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from hyperscore.evaluators.decompose.encoder import Encoder
from hyperscore.evaluators.decompose.semantic import Chunk
from hyperscore.evaluators.knowledge import lexical
from hyperscore.evaluators.knowledge.corpus import Label, load_corpus
from hyperscore.evaluators.knowledge.store import Hit
from hyperscore.evaluators.stages import novelty


def _pairs() -> list[dict[str, object]]:
    text = resources.files("hyperscore.evaluators.knowledge").joinpath("calibration.yaml")
    pairs: list[dict[str, object]] = yaml.safe_load(text.read_text(encoding="utf-8"))["pairs"]
    return pairs


def test_pairs_cover_every_flagging_label_both_ways() -> None:
    entries = {e.id: e for e in load_corpus()}
    seen = {(entries[str(p["entry"])].label, bool(p["match"])) for p in _pairs()}
    for label in (Label.OUTDATED, Label.BOILERPLATE):
        assert (label, True) in seen and (label, False) in seen


@pytest.mark.slow
def test_thresholds_separate_the_calibration_pairs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    encoder = Encoder(cache_dir=tmp_path_factory.mktemp("emb"))
    entries = {e.id: e for e in load_corpus()}
    pairs = _pairs()
    chunks = encoder.encode([str(p["chunk"]) for p in pairs])
    targets = encoder.encode([entries[str(p["entry"])].text for p in pairs])
    false_pos, misses = [], []
    for pair, a, b in zip(pairs, chunks, targets, strict=True):
        entry = entries[str(pair["entry"])]
        chunk = Chunk(str(pair["chunk"]), "x", 1, str(pair["kind"]))
        hit = Hit(
            entry.id,
            float(a @ b),
            entry.label,
            entry.dimension.value,
            entry.source,
            entry.text,
            entry.origin.value,
        )
        matched = novelty.best_match(chunk, [hit])
        decided = novelty.classify(matched) is not None
        if decided != pair["match"]:
            (misses if pair["match"] else false_pos).append(
                (
                    pair["chunk"],
                    entry.id,
                    round(hit.similarity, 3),
                    round(lexical.similarity(chunk.text, entry.text), 3),
                )
            )
    positives = sum(1 for p in pairs if p["match"])
    assert not false_pos, false_pos
    assert len(misses) <= 0.2 * positives, misses
