"""Impact GNN (issue 6, 3-4): inference time per graph and training time, medians.

Inference is measured on ``tests/fixtures/full-mlops`` and on a generated 2,000-file
repository (``generate.py``): ingest and practice detection happen first, untimed; the timed
span is ``impact.run`` (featurise + base forecast + every what-if counterfactual in one
forward pass), median of 5 after one warm-up call, and the single-graph forward alone.
Training is ``train`` on 300 generated projects for 5 epochs (median of 3), reported per
epoch per 1,000 graphs, with the generator's cost per project. Everything runs on the GPU
when torch sees one (the device is printed), else on one CPU thread as the stage does.
Run: ``python -m tests.benchmarks impact``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import load_line, record
from tests.benchmarks.generate import generate

REPEATS = 5
TRAIN_GRAPHS, TRAIN_EPOCHS, TRAIN_REPEATS = 300, 5, 3


def _inference(label: str, path: Path) -> list[str]:
    from hyperscore.evaluators.decompose.context import DetectionContext
    from hyperscore.evaluators.decompose.graphs import link_practices
    from hyperscore.evaluators.decompose.practices import detect_practices
    from hyperscore.evaluators.ingest import ingest
    from hyperscore.evaluators.stages import impact
    from hyperscore.evaluators.stages.base import StageInput
    from hyperscore.evaluators.stages.impact.features import featurise

    result = ingest(str(path))
    ctx = DetectionContext(result=result, claims={})
    practices = detect_practices(ctx)
    result.graph = link_practices(result.graph, practices)
    inp = StageInput(ingest=result, ctx=ctx, practices=practices)
    first = impact.run(inp)
    model = impact.load_model()
    graph = featurise(result.graph)
    stage_s, forward_s = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        impact.run(inp)
        stage_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.forecast([graph])
        forward_s.append(time.perf_counter() - t0)
    stage, forward = statistics.median(stage_s), statistics.median(forward_s)
    counterfactuals = len(first.details["roadmap"])
    record(
        "impact-inference",
        repo=label,
        stage_s=stage,
        forward_s=forward,
        nodes=len(result.graph["nodes"]),
        counterfactuals=counterfactuals,
        device=str(model.device),
    )
    return [
        f"{label}: {len(result.graph['nodes'])} graph nodes ({graph.x.shape[0]} after the crop), "
        f"stage {stage * 1000:.0f} ms with {counterfactuals} what-if graphs, single forward "
        f"{forward * 1000:.1f} ms (medians of {REPEATS}, {model.device})"
    ]


def _training() -> list[str]:
    import torch

    from hyperscore.evaluators.stages.impact.training import generated_samples, train

    t0 = time.perf_counter()
    samples = generated_samples(TRAIN_GRAPHS, seed=0)
    gen_per_graph = (time.perf_counter() - t0) / TRAIN_GRAPHS
    runs = []
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for seed in range(TRAIN_REPEATS):
            _, report = train(samples, epochs=TRAIN_EPOCHS, seed=seed)
            runs.append(report.seconds)
    finally:
        torch.set_num_threads(before)
    per_epoch_k = statistics.median(runs) / TRAIN_EPOCHS / TRAIN_GRAPHS * 1000
    record(
        "impact-training",
        train_s=statistics.median(runs),
        per_epoch_per_1000_graphs_s=per_epoch_k,
        generate_per_graph_s=gen_per_graph,
        device=report.device,
    )
    return [
        f"training: {statistics.median(runs):.2f} s for {TRAIN_GRAPHS} graphs x {TRAIN_EPOCHS} "
        f"epochs (median of {TRAIN_REPEATS}, {report.device}) = {per_epoch_k:.2f} s per epoch "
        f"per 1,000 graphs; generating: {gen_per_graph * 1000:.1f} ms per project"
    ]


def run() -> list[str]:
    lines = [load_line()]
    lines += _inference("full-mlops", Path("tests/fixtures/full-mlops"))
    with tempfile.TemporaryDirectory(prefix="hs-bench-impact-") as tmp:
        lines += _inference("generated-2000-files", generate(Path(tmp), 2000))
    lines += _training()
    return lines
