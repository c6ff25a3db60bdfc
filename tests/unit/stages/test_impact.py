"""ImpactFore with the shipped weights on the fixture projects, and its failure modes."""

from __future__ import annotations

import hashlib
import pickle
from functools import cache
from pathlib import Path

import pytest
import torch

from hyperscore.evaluators.assessment import RoadmapItem
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.graphs import link_practices
from hyperscore.evaluators.decompose.practices import detect_practices
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.stages import impact
from hyperscore.evaluators.stages.base import StageInput
from hyperscore.evaluators.stages.impact.features import featurise

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures"


@cache
def stage_input(path: Path) -> StageInput:
    """The stage's input exactly as the pipeline builds it (semantic parser off)."""
    result = ingest(str(path))
    ctx = DetectionContext(result=result, claims={})
    practices = detect_practices(ctx)
    result.graph = link_practices(result.graph, practices)
    return StageInput(ingest=result, ctx=ctx, practices=practices)


def forecast(name: str) -> float:
    res = impact.run(stage_input(FIXTURES / name))
    assert res.status == "ok", res.summary
    return float(res.details["forecast"])


def test_forecasts_follow_fixture_maturity() -> None:
    low, mid, high = forecast("notebook-research"), forecast("mid-level"), forecast("full-mlops")
    assert 0.0 <= low < mid < high <= 100.0
    assert high - low > 30.0  # the scale is used, not a flat forecast


def test_result_shape_and_model_identity() -> None:
    res = impact.run(stage_input(ROOT / "examples" / "demo-project"))
    assert res.stage == "impact" and res.status == "ok"
    assert res.score == pytest.approx(res.details["forecast"] / 100.0, abs=1e-4)
    assert "\n" not in res.summary and res.summary.startswith("ImpactFore")
    shipped = impact.default_weights()
    assert res.details["model"]["sha256"] == hashlib.sha256(shipped.read_bytes()).hexdigest()
    items = [RoadmapItem.model_validate(i) for i in res.details["roadmap"]]
    practices = {p.id: p for p in stage_input(ROOT / "examples" / "demo-project").practices}
    assert items and all(practices[i.practice].state.value != "present" for i in items)
    assert set(res.timings) >= {"featurise", "forecast"}


def test_roadmap_puts_ci_before_drift_monitoring() -> None:
    inp = stage_input(FIXTURES / "notebook-research")
    states = {p.id: p.state.value for p in inp.practices}
    assert states["ci-pipeline"] != "present" and states["drift-monitoring"] != "present"
    order = [i["practice"] for i in impact.run(inp).details["roadmap"]]
    assert order.index("ci-pipeline") < order.index("drift-monitoring")
    first = impact.run(inp).details["roadmap"][0]
    assert first["gain"] > 0.0


def test_roadmap_lists_prerequisites_before_dependants() -> None:
    for name in ("notebook-research", "mid-level"):
        items = impact.run(stage_input(FIXTURES / name)).details["roadmap"]
        position = {i["practice"]: n for n, i in enumerate(items)}
        with_prereqs = [i for i in items if i["prerequisites"]]
        assert with_prereqs, name
        for item in with_prereqs:
            for pre in item["prerequisites"]:
                assert position[pre] < position[item["practice"]], (name, item["practice"], pre)


def test_adopting_ci_raises_the_forecast_of_a_notebook_project() -> None:
    items = impact.run(stage_input(FIXTURES / "notebook-research")).details["roadmap"]
    ci = next(i for i in items if i["practice"] == "ci-pipeline")
    assert ci["gain"] > 0.5


def test_shipped_weights_load_with_weights_only_and_are_small() -> None:
    path = impact.default_weights()
    assert path.stat().st_size < 2 * 1024 * 1024
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert set(payload) == {"state_dict", "meta"}
    assert all(isinstance(t, torch.Tensor) for t in payload["state_dict"].values())
    assert (path.parent / "MODEL_CARD.md").is_file()


def test_missing_weights_give_one_line_error(tmp_path: Path) -> None:
    res = impact.run(stage_input(FIXTURES / "mid-level"), weights=tmp_path / "absent.pt")
    assert res.status == "error" and res.score is None
    assert "not found" in res.summary and "\n" not in res.summary


def test_corrupt_weights_give_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "impact-gnn.pt"
    bad.write_bytes(impact.default_weights().read_bytes()[:500])
    res = impact.run(stage_input(FIXTURES / "mid-level"), weights=bad)
    assert res.status == "error" and "damaged" in res.summary and "\n" not in res.summary


class _NotATensor:
    """Anything beyond tensors needs full unpickling, which weights_only refuses."""


def test_weights_with_arbitrary_objects_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    with evil.open("wb") as handle:
        pickle.dump({"state_dict": {}, "meta": {"payload": _NotATensor()}}, handle)
    res = impact.run(stage_input(FIXTURES / "mid-level"), weights=evil)
    assert res.status == "error" and "damaged" in res.summary


def test_graph_without_practice_nodes_is_linked_by_the_stage() -> None:
    inp = stage_input(FIXTURES / "mid-level")
    bare = ingest(str(FIXTURES / "mid-level"))
    unlinked = StageInput(ingest=bare, ctx=inp.ctx, practices=inp.practices)
    assert impact.run(unlinked).details["forecast"] == pytest.approx(
        impact.run(inp).details["forecast"], abs=1e-3
    )


def test_featurise_crops_to_the_practice_neighbourhood() -> None:
    inp = stage_input(FIXTURES / "full-mlops")
    tensors = featurise(inp.ingest.graph)
    assert len(tensors.practice_rows) == len(inp.practices)
    assert tensors.x.shape[0] <= len(inp.ingest.graph["nodes"]) + 8
    assert int(tensors.edge_index.max()) < tensors.x.shape[0]


def test_bad_graph_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no node/edge lists"):
        featurise({"nodes": "x"})


def test_the_pipeline_runs_the_impact_stage_by_default() -> None:
    from hyperscore.evaluators.pipeline import Options, assess

    assert "impact" in Options().stages
    assessment, _ = assess(
        str(FIXTURES / "mid-level"), Options(semantic=False, stages=("impact",), use_cache=False)
    )
    stage = assessment.stages["impact"]
    assert stage.status == "ok" and stage.details["forecast"] == pytest.approx(
        forecast("mid-level"), abs=1e-3
    )


def test_items_that_do_not_raise_the_forecast_come_last() -> None:
    from hyperscore.evaluators.assessment import Dimension
    from hyperscore.evaluators.stages.impact.roadmap import order

    def item(pid: str, gain: float, prereqs: list[str] | None = None) -> RoadmapItem:
        return RoadmapItem(
            practice=pid,
            title=pid,
            dimension=Dimension.MONITORING,
            gain=gain,
            prerequisites=prereqs or [],
            effort="low",
        )

    items = [item("a", -0.5), item("b", 1.0), item("c", 6.0, ["d"]), item("d", 0.5)]
    levels = {"a": 1, "b": 2, "c": 3, "d": 2}
    assert [i.practice for i in order(items, levels)] == ["b", "d", "c", "a"]


def test_malformed_graph_gives_one_line_error() -> None:
    inp = stage_input(FIXTURES / "mid-level")
    broken = ingest(str(FIXTURES / "mid-level"))
    broken.graph = {"nodes": None, "edges": []}
    res = impact.run(StageInput(ingest=broken, ctx=inp.ctx, practices=inp.practices))
    assert (
        res.status == "error" and res.summary == "impact: the evidence graph has no node/edge lists"
    )
