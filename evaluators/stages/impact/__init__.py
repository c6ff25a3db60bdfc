"""Stage 3-4: impact forecasting (ImpactFore) and the what-if roadmap.

A GraphSAGE network (torch-geometric) reads the evidence/practice graph and forecasts the
maturity an expert would rate the project, 0-100 (ImpactFore; ``score = ImpactFore / 100``).
It was trained on generated projects labelled by the rubric scorer plus noise and calibrated
on rated real repositories (``data/MODEL_CARD.md``; docs/impact.md). Counterfactual graphs,
one per missing practice, give each practice's forecast gain: the roadmap.

The weights ship in ``data/impact-gnn.pt`` and load with ``torch.load(weights_only=True)``;
missing or damaged weights make this stage an ``error`` result with one line, never a crash
of the assessment.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from hyperscore.evaluators.assessment import StageResult
from hyperscore.evaluators.decompose.graphs import link_practices
from hyperscore.evaluators.stages.base import StageInput, timed
from hyperscore.evaluators.stages.impact.features import featurise, has_practice_nodes
from hyperscore.evaluators.stages.impact.model import ImpactModelError, LoadedModel, load_weights
from hyperscore.evaluators.stages.impact.roadmap import roadmap

STAGE = "impact"
WEIGHTS = "data/impact-gnn.pt"

_lock = threading.Lock()
_loaded: dict[tuple[str, int, int], LoadedModel] = {}


def default_weights() -> Path:
    return Path(str(resources.files(__package__).joinpath(WEIGHTS)))


def load_model(path: Path | None = None) -> LoadedModel:
    """The model at ``path`` (default: the shipped weights), loaded once per file version."""
    path = path or default_weights()
    try:
        stat = path.stat()
    except OSError as exc:
        raise ImpactModelError(
            f"impact model weights not found: {path} ({exc.strerror}); run `make train-impact`"
        ) from exc
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key not in _loaded:
            _loaded[key] = load_weights(path)
        return _loaded[key]


def run(inp: StageInput, weights: Path | None = None) -> StageResult:
    """ImpactFore and the roadmap; bad weights give an ``error`` result, not an exception."""
    if not inp.practices:
        return StageResult.not_applicable(STAGE, "no practices to forecast from")
    timings: dict[str, float] = {}
    try:
        with timed(timings, "load"):
            model = load_model(weights)
    except ImpactModelError as exc:
        return StageResult(stage=STAGE, status="error", summary=str(exc))
    graph = inp.ingest.graph
    try:
        with timed(timings, "featurise"):
            if not has_practice_nodes(graph):
                graph = link_practices(graph, inp.practices)
            base = featurise(graph)
    except ValueError as exc:
        return StageResult(stage=STAGE, status="error", summary=f"impact: {exc}")
    with timed(timings, "forecast"):
        forecast, items = roadmap(model, base, inp.practices)
    forecast = round(forecast, 2)
    top = items[0] if items else None
    summary = f"ImpactFore {forecast:.1f}" + (
        f"; next: {top.title.removeprefix('Adopt ')} ({top.gain:+.1f})" if top else ""
    )
    return StageResult(
        stage=STAGE,
        status="ok",
        score=round(forecast / 100.0, 4),
        summary=summary,
        timings=timings,
        details={
            "forecast": forecast,
            "roadmap": [item.model_dump(mode="json") for item in items],
            "model": {
                "version": model.version,
                "sha256": model.sha256,
                "device": str(model.device),
            },
        },
    )
