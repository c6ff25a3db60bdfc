"""The Transformer semantic parser on real sentences (bundled all-MiniLM-L6-v2 weights)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml

from hyperscore.evaluators.assessment import PracticeState
from hyperscore.evaluators.decompose.encoder import Encoder
from hyperscore.evaluators.decompose.semantic import PracticeMatcher, sentences
from hyperscore.evaluators.pipeline import Options, assess


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(cache_dir=tmp_path_factory.mktemp("emb"))


@pytest.fixture(scope="module")
def matcher(encoder: Encoder) -> PracticeMatcher:
    return PracticeMatcher(encoder)


def test_embeddings_are_normalised_and_semantic(encoder: Encoder) -> None:
    vecs = encoder.encode(
        [
            "We monitor data drift in production every night.",
            "Nightly jobs check whether the input distribution has shifted.",
            "The recipe needs two eggs and flour.",
        ]
    )
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3


def test_cache_by_content_hash(tmp_path: Path) -> None:
    enc = Encoder(cache_dir=tmp_path)
    first = enc.encode(["Unit tests run on every pull request."])
    encoded = enc.stats["encoded"]
    again = Encoder(cache_dir=tmp_path)  # a new process would see the same file
    second = again.encode(["Unit tests run on every pull request."])
    assert again.stats["encoded"] == 0 and again.stats["cache_hits"] == 1
    assert encoded == 1
    assert np.array_equal(first, second)


@pytest.mark.parametrize(
    ("sentence", "practice"),
    [
        (
            "Every experiment is logged to MLflow with its parameters and metrics.",
            "experiment-tracking",
        ),
        (
            "We watch the production feature distributions for drift with Evidently.",
            "drift-monitoring",
        ),
        ("The model is retrained automatically every Sunday night.", "scheduled-retraining"),
        ("Our datasets are version controlled with DVC.", "data-versioning"),
        (
            "New model versions receive ten percent of traffic as a canary first.",
            "progressive-delivery",
        ),
        ("A model card describes the intended use and known limitations.", "model-card"),
    ],
)
def test_known_phrasings_map_to_practices(
    matcher: PracticeMatcher, sentence: str, practice: str
) -> None:
    [(pid, _)] = matcher.classify([sentence])
    assert pid == practice


@pytest.mark.parametrize(
    "sentence",
    [
        "Please cite our paper if you use this code.",
        "The architecture uses a ViT-Large encoder with 24 layers.",
        "My favourite colour is green and I like long walks.",
        "Pretrained weights are available on the model hub.",
    ],
)
def test_unrelated_sentences_claim_nothing(matcher: PracticeMatcher, sentence: str) -> None:
    [(pid, _)] = matcher.classify([sentence])
    assert pid is None


def test_calibrated_accuracy_on_labelled_sentences(matcher: PracticeMatcher) -> None:
    data = (
        resources.files("hyperscore.evaluators.decompose")
        .joinpath("data/claims_labelled.yaml")
        .read_text()
    )
    rows = yaml.safe_load(data)
    predicted = matcher.classify([r["text"] for r in rows])
    correct = sum(1 for r, (pid, _) in zip(rows, predicted, strict=True) if pid == r["practice"])
    false_claims = sum(
        1
        for r, (pid, _) in zip(rows, predicted, strict=True)
        if pid is not None and pid != r["practice"]
    )
    claims_made = sum(1 for pid, _ in predicted if pid is not None)
    assert correct / len(rows) >= 0.85
    assert false_claims / claims_made <= 0.12  # precision >= 0.88: a false claim costs more


def test_sentences_drop_code_and_fragments() -> None:
    text = (
        "We use **MLflow** for tracking.\n\n```bash\npip install x\n```\n"
        "- ok\n- Drift is checked nightly."
    )
    assert sentences(text) == ["We use MLflow for tracking.", "Drift is checked nightly."]


def test_claim_without_artefact_is_claimed_only(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "# Churn model\n\n## Monitoring\n\n"
        "We continuously monitor the production model for data drift and get alerted on it.\n"
    )
    (tmp_path / "train.py").write_text("import pandas as pd\nprint(pd.__version__)\n")
    assessment, _ = assess(str(tmp_path), Options(use_cache=False))
    states = {p.id: p.state for p in assessment.practices}
    assert states["drift-monitoring"] == PracticeState.CLAIMED_ONLY
    drift = next(p for p in assessment.practices if p.id == "drift-monitoring")
    assert drift.claims and drift.claims[0].path == "README.md"
    monitoring = next(d for d in assessment.dimension_details if d.name.value == "monitoring")
    assert monitoring.level <= 1 and "drift-monitoring" in monitoring.claimed_only


def test_bundled_claim_vectors_are_current() -> None:
    """The shipped vectors cover exactly the catalogue's claim sentences and equal a fresh
    encoding; after editing claims run `make claim-vectors`."""
    from hyperscore.evaluators.decompose.encoder import bundled_vectors, content_key
    from hyperscore.evaluators.decompose.semantic import claim_sentences

    shipped = bundled_vectors()
    texts = sorted({text for _, text in claim_sentences()})
    wanted = {content_key(text) for text in texts}
    assert set(shipped) == wanted, "bundled claim vectors are stale: run `make claim-vectors`"
    sample = texts[:: max(1, len(texts) // 4)]
    fresh = Encoder(use_cache=False).encode(sample)
    for text, vector in zip(sample, fresh, strict=True):
        assert float(np.dot(shipped[content_key(text)], vector)) > 0.999, text
