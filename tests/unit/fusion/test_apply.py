"""Fusion wired into real assessments of the fixture projects (issue 7, section 5)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hyperscore.evaluators.assessment import StageResult
from hyperscore.evaluators.fusion.ahp import default_weights
from hyperscore.evaluators.fusion.apply import (
    factory_calibration,
    fuse_assessment,
    load_state,
    practice_coverage,
)
from hyperscore.evaluators.fusion.calibration import default_prior
from hyperscore.evaluators.pipeline import Options, assess

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def full_mlops():  # type: ignore[no-untyped-def]
    return assess(str(FIXTURES / "full-mlops"), Options(semantic=False, use_cache=False))[0]


@pytest.fixture(scope="module")
def notebook():  # type: ignore[no-untyped-def]
    return assess(str(FIXTURES / "notebook-research"), Options(semantic=False, use_cache=False))[0]


def test_assessment_carries_every_fusion_field(notebook) -> None:  # type: ignore[no-untyped-def]
    a = notebook
    assert a.fusion is not None and a.score_interval is not None and a.hyper_score is not None
    low, high = a.score_interval
    assert low <= a.score <= high
    assert 100.0 <= a.hyper_score <= 111.2
    assert a.baseline_score is not None and 0 <= a.baseline_score <= 100
    assert set(a.components) == {"logic", "novelty", "impact", "repro", "meta"}
    data = a.to_json_dict()
    assert {"score", "hyperScore", "scoreInterval", "components"} <= set(data)


def test_dropped_stages_renormalise_and_say_why(notebook) -> None:  # type: ignore[no-untyped-def]
    a = notebook
    used = [c for c in a.components.values() if c.status == "used"]
    dropped = [c for c in a.components.values() if c.status == "dropped"]
    # no knowledge base in the test environment: novelty drops out; the impact stage ran
    assert "novelty" in {c.name for c in dropped}
    assert "impact" in {c.name for c in used}
    assert all(c.why and c.weight == 0.0 and c.shapley is None for c in dropped)
    assert math.isclose(sum(c.weight for c in used), 1.0, abs_tol=1e-9)
    nominal = default_weights()
    mass = sum(nominal[c.name] for c in used)
    for c in used:  # effective weight = nominal / mass of the present components
        assert c.weight == pytest.approx(nominal[c.name] / mass)
    assert sorted(a.fusion.dropped) == sorted(c.name for c in dropped)
    assert "renormalised" in a.fusion.note


def test_shapley_sums_to_v_minus_baseline(full_mlops) -> None:  # type: ignore[no-untyped-def]
    a = full_mlops
    phis = [c.shapley for c in a.components.values() if c.status == "used"]
    assert sum(p for p in phis if p is not None) == pytest.approx(a.fusion.v - a.fusion.baseline_v)
    v = sum(c.weight * (c.term or 0.0) for c in a.components.values() if c.status == "used")
    assert a.fusion.v == pytest.approx(v)


def test_mature_project_scores_above_notebook(full_mlops, notebook) -> None:  # type: ignore[no-untyped-def]
    assert full_mlops.score > notebook.score + 30
    assert full_mlops.fusion.calibration.startswith("factory calibration")


def test_factory_calibration_ships_as_package_data() -> None:
    cal = factory_calibration()
    assert cal is not None and cal.n_obs >= 10
    assert cal.feature_names == ("intercept", "V", "coverage")
    assert cal.coefficients()["coverage"] > 0  # more evidenced practices, higher score


def test_user_state_replaces_factory_and_ahp(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HYPERSCORE_DATA_DIR", str(tmp_path))
    weights = {"logic": 0.1, "novelty": 0.1, "impact": 0.1, "repro": 0.6, "meta": 0.1}
    (tmp_path / "weights.json").write_text(
        json.dumps({"weights": weights, "source": "learned", "reviews": 7})
    )
    (tmp_path / "calibration.json").write_text(json.dumps(default_prior().to_json()))
    state = load_state()
    assert state.weights == weights and state.weights_source == "learned (7 reviews)"
    assert state.calibration_source.startswith("user calibration")
    stages = {"repro": StageResult(stage="repro", status="ok", score=1.0)}
    levels = dict.fromkeys(("reproducibility", "data", "tracking", "testing"), 2)
    levels |= dict.fromkeys(("automation", "deployment", "monitoring", "governance"), 1)
    fused = fuse_assessment(stages, levels, 0.5, load_state(), meta=0.0)
    # repro 0.6 and meta 0.1 renormalise to 6/7 and 1/7
    assert fused.v == pytest.approx(6 / 7)


def test_corrupt_state_is_ignored_with_a_note(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HYPERSCORE_DATA_DIR", str(tmp_path))
    (tmp_path / "weights.json").write_text("{not json")
    (tmp_path / "calibration.json").write_text(json.dumps({"format": "nope"}))
    state = load_state()
    assert state.weights_source == "ahp-default"
    assert state.calibration_source.startswith("factory")
    assert len(state.notes) == 2 and all("ignored" in n for n in state.notes)
    stages = {"logic": StageResult(stage="logic", status="ok", score=0.5)}
    fused = fuse_assessment(stages, {}, 0.2, state, meta=1.0)
    assert "ignored" in fused.summary.note


def test_impact_score_enters_as_log_forecast_and_roadmap_is_kept() -> None:
    stages = {"impact": StageResult(stage="impact", status="ok", score=0.09)}
    fused = fuse_assessment(stages, {}, 0.3, load_state())
    assert fused.components["impact"].raw == pytest.approx(9.0)
    assert fused.components["impact"].term == pytest.approx(math.log(10) / math.log(101))


def test_coverage_is_level_weighted(full_mlops, notebook) -> None:  # type: ignore[no-untyped-def]
    full, nb = practice_coverage(full_mlops.practices), practice_coverage(notebook.practices)
    assert 0.0 <= nb < full <= 1.0
    present = [p for p in notebook.practices if p.state == "present"]
    assert nb == pytest.approx(
        sum(p.level for p in present) / sum(p.level for p in notebook.practices)
    )


def test_unstable_meta_marks_low_confidence() -> None:
    stages = {"logic": StageResult(stage="logic", status="ok", score=0.8)}
    shaky = fuse_assessment(stages, {}, 0.3, load_state(), meta=0.3)
    steady = fuse_assessment(stages, {}, 0.3, load_state(), meta=0.95)
    assert (shaky.summary.confidence, steady.summary.confidence) == ("low", "high")
    assert "low confidence" in shaky.summary.note


def test_roadmap_comes_from_the_impact_stage_and_skips_bad_items() -> None:
    from hyperscore.evaluators.pipeline import _roadmap

    good = {"practice": "ci-tests", "title": "CI", "dimension": "testing", "gain": 2.0}
    better = {**good, "practice": "registry", "dimension": "deployment", "gain": 5.0}
    impact = StageResult(
        stage="impact",
        status="ok",
        score=0.4,
        details={"roadmap": [good, {"practice": "x", "dimension": "nope"}, better]},
    )
    # the stage's priority order is kept (a prerequisite may have the smaller gain)
    assert [r.practice for r in _roadmap({"impact": impact})] == ["ci-tests", "registry"]
    assert _roadmap({}) == []
