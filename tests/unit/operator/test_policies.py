"""ScoringPolicy: matrix validation -> status and Ready, policy -> fusion state, the fingerprint
that rescores assessments, the learning part of the status, and policy resolution."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kubernetes.client import ApiException

from hyperscore.evaluators import pipeline
from hyperscore.evaluators.feedback.learning import Outcome, initial_calibration
from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.components import COMPONENTS
from hyperscore.operator.api.models import FeedbackCounts, ScoringPolicySpec, ScoringPolicyStatus
from hyperscore.operator.controller import policies
from hyperscore.operator.controller.policies import (
    BUILTIN,
    InvalidPolicy,
    Policies,
    PolicyError,
    fingerprint,
    fusion_state,
    learned_status,
    policy_status,
    view_of,
)

CRITERIA = list(COMPONENTS)  # logic, novelty, impact, repro, meta


def favouring(first: str, factor: float = 9.0) -> list[list[float]]:
    """A consistent matrix: ``first`` ``factor`` times as important as each other component."""
    w = {c: (factor if c == first else 1.0) for c in CRITERIA}
    return [[w[r] / w[c] for c in CRITERIA] for r in CRITERIA]


def inconsistent() -> list[list[float]]:
    """logic >> novelty >> impact but impact >> logic: a cycle no weights can satisfy."""
    m = favouring("logic", 1.0)
    for (r, c), value in {
        ("logic", "novelty"): 9.0,
        ("novelty", "impact"): 9.0,
        ("impact", "logic"): 9.0,
    }.items():
        i, j = CRITERIA.index(r), CRITERIA.index(c)
        m[i][j], m[j][i] = value, 1.0 / value
    return m


def spec(matrix: list[list[float]] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = dict(extra)
    if matrix is not None:
        data["ahp"] = {"criteria": CRITERIA, "matrix": matrix}
    return data


def body(name: str, spec_: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec_, "status": status or {}}


NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- status and Ready


def test_an_inconsistent_matrix_is_not_ready_and_names_the_comparisons() -> None:
    fields, ready = policy_status(spec(inconsistent()), generation=3)
    assert (ready.type, ready.status, ready.reason) == ("Ready", "False", "InconsistentMatrix")
    assert "consistency ratio" in ready.message and "> 0.1" in ready.message
    named = [
        p
        for p in ("logic vs novelty", "novelty vs impact", "logic vs impact")
        if p in ready.message
    ]
    assert named, ready.message
    assert fields["consistencyRatio"] > 0.1
    assert fields["weights"] is None and fields["observedGeneration"] == 3
    assert "\n" not in ready.message


def test_a_consistent_matrix_is_ready_with_weights_summing_to_one() -> None:
    fields, ready = policy_status(spec(favouring("repro")), generation=1)
    assert (ready.status, ready.reason) == ("True", "Consistent")
    weights = fields["weights"]
    assert set(weights) == set(COMPONENTS)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-3)
    assert weights["repro"] == pytest.approx(9 / 13, abs=1e-3)
    assert fields["consistencyRatio"] == pytest.approx(0.0, abs=1e-6)
    ScoringPolicyStatus.model_validate({k: v for k, v in fields.items() if v is not None})


def test_without_a_matrix_the_default_judgements_are_used() -> None:
    fields, ready = policy_status({}, generation=1)
    assert ready.status == "True" and "default matrix" in ready.message
    assert fields["weights"] == {k: round(v, 4) for k, v in default_weights().items()}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (["logic", "novelty", "impact", "repro", "data"], "missing meta; unknown data"),
        (["logic", "novelty", "impact", "repro"], "missing meta"),
    ],
)
def test_criteria_must_be_the_fusion_components(criteria: list[str], expected: str) -> None:
    n = len(criteria)
    ones = [[1.0] * n for _ in range(n)]
    _, ready = policy_status({"ahp": {"criteria": criteria, "matrix": ones}}, generation=1)
    assert (ready.status, ready.reason) == ("False", "InvalidCriteria")
    assert expected in ready.message


def test_a_non_reciprocal_matrix_and_a_bad_spec_are_one_line_messages() -> None:
    m = favouring("logic", 1.0)
    m[0][1] = 3.0  # a_10 stays 1
    _, ready = policy_status(spec(m), generation=1)
    assert (ready.status, ready.reason) == ("False", "InvalidMatrix")
    assert "logic vs novelty" in ready.message
    _, bad = policy_status({"calibration": "isotonic"}, generation=1)
    assert (bad.status, bad.reason) == ("False", "InvalidSpec")
    assert bad.message.startswith("spec.calibration:")


# --------------------------------------------------------------------------- fusion state


def test_policy_weights_come_from_its_matrix() -> None:
    parsed = ScoringPolicySpec.model_validate(spec(favouring("logic")))
    state = fusion_state("p", parsed, {})
    assert state.weights["logic"] == pytest.approx(9 / 13, abs=1e-6)
    assert state.weights_source == "policy p: ahp"
    assert state.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    # No learned calibration yet: the factory calibration (else the prior), never a data dir.
    assert state.calibration.to_json() == initial_calibration().to_json()


def _learned_status(weights: dict[str, float]) -> dict[str, Any]:
    cal = initial_calibration().update(
        np.array([[1.0, 0.5] + [0.0] * (len(initial_calibration().feature_names) - 2)]),
        np.array([70.0]),
        note="refitted on 1 review(s)",
    )
    return {
        "learnedWeights": weights,
        "calibration": {"method": "bayesian", "samples": 1, "parameters": cal.to_json()},
        "feedback": {"reviews": 6},
    }


def test_learned_weights_and_calibration_replace_the_prior_when_enabled() -> None:
    learned = {"logic": 0.1, "novelty": 0.1, "impact": 0.1, "repro": 0.6, "meta": 0.1}
    status = _learned_status(learned)
    on = fusion_state("p", ScoringPolicySpec.model_validate(spec(favouring("logic"))), status)
    assert on.weights == pytest.approx(learned)
    assert on.weights_source == "policy p: learned (6 reviews)"
    assert on.calibration.n_obs == initial_calibration().n_obs + 1
    assert on.calibration_source.startswith("policy p: refitted on 1 review(s)")
    off = fusion_state(
        "p",
        ScoringPolicySpec.model_validate(
            spec(favouring("logic"), learning={"enabled": False}, calibration="none")
        ),
        status,
    )
    assert off.weights["logic"] == pytest.approx(9 / 13, abs=1e-6)
    assert off.calibration.to_json() == initial_calibration().to_json()


def test_fingerprint_moves_with_the_state_and_survives_status_rounding() -> None:
    parsed = ScoringPolicySpec.model_validate(spec(favouring("logic")))
    base = fingerprint(fusion_state("p", parsed, {}))
    assert base == fingerprint(fusion_state("other-name", parsed, {}))  # content, not name
    assert base != fingerprint(BUILTIN.state)  # type: ignore[arg-type]
    learned = {"logic": 0.1, "novelty": 0.1, "impact": 0.1, "repro": 0.6, "meta": 0.1}
    moved = fingerprint(fusion_state("p", parsed, _learned_status(learned)))
    assert moved != base
    rounded = {k: v + 1e-9 for k, v in learned.items()}
    assert fingerprint(fusion_state("p", parsed, _learned_status(rounded))) == moved


def test_a_state_override_drives_the_pipeline_and_its_cache_key(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Tiny model\n")
    (tmp_path / "train.py").write_text("import mlflow\nmlflow.autolog()\n")
    parsed = ScoringPolicySpec.model_validate(spec(favouring("repro")))
    state = fusion_state("p", parsed, {})
    options = pipeline.Options(
        semantic=False,
        stages=("repro", "logic"),
        use_cache=False,
        meta_replicates=0,
        fusion_state=state,
    )
    report, _ = pipeline.assess(str(tmp_path), options)
    assert report.fusion is not None and report.fusion.weights_source == "policy p: ahp"
    assert report.components["repro"].nominal_weight == pytest.approx(9 / 13, abs=1e-4)
    default = pipeline.Options(semantic=False, stages=("repro", "logic"), meta_replicates=0)
    assert pipeline._fusion_stamp(options) != pipeline._fusion_stamp(default)
    other = pipeline.Options(
        semantic=False, meta_replicates=0, fusion_state=fusion_state("p", ScoringPolicySpec(), {})
    )
    assert pipeline._fusion_stamp(options) != pipeline._fusion_stamp(other)


# --------------------------------------------------------------------------- learning status


def test_learned_status_writes_weights_only_once_learned() -> None:
    counts = FeedbackCounts(reviews=2, agreed=1, maintained=2)
    cal = initial_calibration()
    parsed = ScoringPolicySpec()
    early = learned_status(Outcome(2, cal, default_weights(), "ahp-default"), counts, parsed, NOW)
    assert early["learnedWeights"] is None
    assert early["feedback"] == {"reviews": 2, "agreed": 1, "conceded": 0, "maintained": 2}
    assert early["calibration"]["method"] == "bayesian"
    assert early["calibration"]["samples"] == 2
    assert early["calibration"]["lastCalibratedTime"] == "2026-11-27T12:00:00Z"
    assert early["calibration"]["parameters"] == cal.to_json()
    learned = {"logic": 0.2, "novelty": 0.2, "impact": 0.2, "repro": 0.2, "meta": 0.2}
    late = learned_status(Outcome(5, cal, learned, "learned"), counts, parsed, NOW)
    assert late["learnedWeights"] == learned
    ScoringPolicyStatus.model_validate({k: v for k, v in late.items() if v is not None})
    none = ScoringPolicySpec.model_validate({"calibration": "none", "learning": {"enabled": False}})
    quiet = learned_status(Outcome(5, cal, learned, "learned"), counts, none, NOW)
    assert quiet["learnedWeights"] is None and quiet["calibration"] is None


# --------------------------------------------------------------------------- resolution


class _Custom:
    """The one CustomObjectsApi call the index makes on a miss, over a dict of bodies."""

    def __init__(self, objects: dict[str, dict[str, Any]]) -> None:
        self.objects = objects
        self.reads = 0

    def get_namespaced_custom_object(self, *args: str) -> dict[str, Any]:
        self.reads += 1
        name = args[-1]
        if name not in self.objects:
            raise ApiException(status=404)
        return self.objects[name]


def test_resolution_by_ref_then_default_then_builtin() -> None:
    custom = _Custom({"tuned": body("tuned", spec(favouring("logic")))})
    index = Policies(custom)
    assert index.resolve("ns", "tuned").name == "tuned"
    assert index.resolve("ns", None) is BUILTIN  # no `default` in the namespace
    with pytest.raises(PolicyError) as missing:
        index.resolve("ns", "gone")
    assert missing.value.reason == "PolicyNotFound"
    assert str(missing.value) == "spec.policyRef: ScoringPolicy gone not found in namespace ns"
    reads = custom.reads
    index.resolve("ns", "tuned")
    index.resolve("ns", None)
    assert custom.reads == reads  # answered from the index, absent ones included
    # A watch event fills in a policy created later, and one for a bad matrix is refused.
    index.observe({"type": "ADDED", "object": body("default", spec(inconsistent()))})
    with pytest.raises(PolicyError) as bad:
        index.resolve("ns", None)
    assert bad.value.reason == "PolicyNotReady"
    assert "ScoringPolicy default is not usable: AHP matrix rejected" in str(bad.value)
    index.observe({"type": "DELETED", "object": body("default", {})})
    assert index.resolve("ns", None) is BUILTIN


def test_a_view_keeps_the_error_instead_of_raising() -> None:
    view = view_of(body("x", spec(inconsistent())))
    assert view.state is None and isinstance(view.error, InvalidPolicy)
    assert view.error.reason == "InconsistentMatrix"
    good = view_of(body("y", spec(favouring("meta"))))
    applied = good.applied()
    assert applied["name"] == "y" and applied["fingerprint"] == good.fingerprint
    assert policies.DEFAULT_POLICY == "default"
