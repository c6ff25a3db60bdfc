"""Train the impact GNN (ImpactFore) and write the shipped weights and model card.

    python hack/train_impact.py [--graphs 3000] [--epochs 25] [--seed 7]
        [--labels ../shared/bench/dev-set.yaml] [--sources /work/devset] [--out DIR]

1. Generate projects (``impact.synth``): practice states consistent with the catalogue's level
   ladder, the graph ingestion would build, labels = rubric baseline + N(0, 3^2) noise.
2. Train on 90 %, report held-out MSE against a mean predictor and the noise-free rubric.
3. When the rated development set is present, forecast each repository (assessed like
   hack/devset_eval.py) and fit an affine calibration ``rating ~ a * forecast + b``. The
   correlation is reported leave-one-out: each repository's calibrated forecast comes from a
   fit on the others; nothing is tuned per repository.
4. Write ``impact-gnn.pt`` (weights_only-loadable), ``training-metrics.json`` and
   ``MODEL_CARD.md`` into evaluators/stages/impact/data/ (or --out).

Seeded throughout; uses the GPU when torch sees one.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml
from scipy import stats

from hyperscore.evaluators.stages.impact.features import featurise
from hyperscore.evaluators.stages.impact.model import MODEL_VERSION, save_weights
from hyperscore.evaluators.stages.impact.training import (
    fit_affine,
    generated_samples,
    mean_squared_error,
    predict,
    train,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluators" / "stages" / "impact" / "data"


def devset(labels: Path, sources: Path, semantic: bool) -> list[dict[str, Any]]:
    """Assessed rated repositories: graph tensors, rubric baseline and expert rating."""
    sys.path.insert(0, str(ROOT / "hack"))
    from devset_eval import locate

    from hyperscore.evaluators.pipeline import Options, assess

    rows = []
    for entry in yaml.safe_load(labels.read_text()):
        where = locate(sources, entry["repo"])
        if where is None:
            print(f"skip {entry['repo']}: not under {sources}", file=sys.stderr)
            continue
        path, rev = where
        options = Options(rev=entry["commit"] if rev else None, semantic=semantic, stages=())
        assessment, result = assess(path, options)
        rows.append(
            {
                "repo": entry["repo"],
                "graph": featurise(result.graph),
                "baseline": assessment.baseline_score,
                "rating": float(entry["label"]["overall"]),
            }
        )
    return rows


def correlations(pred: list[float], target: list[float]) -> dict[str, float]:
    return {
        "pearson": round(float(stats.pearsonr(pred, target).statistic), 3),
        "spearman": round(float(stats.spearmanr(pred, target).statistic), 3),
        "mae": round(sum(abs(p - t) for p, t in zip(pred, target, strict=True)) / len(pred), 2),
    }


def calibrate(raw: list[float], ratings: list[float]) -> tuple[tuple[float, float], list[float]]:
    """The shipped fit on all rated repositories, and leave-one-out calibrated forecasts."""
    loo = []
    for i in range(len(raw)):
        a, b = fit_affine(raw[:i] + raw[i + 1 :], ratings[:i] + ratings[i + 1 :])
        a, b = (a, b) if a > 0 else (1.0, 0.0)
        loo.append(min(100.0, max(0.0, a * raw[i] + b)))
    a, b = fit_affine(raw, ratings)
    return ((a, b) if a > 0 else (1.0, 0.0)), loo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--graphs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--labels", type=Path, default=ROOT.parent / "shared/bench/dev-set.yaml")
    parser.add_argument("--sources", type=Path, default=Path("/work/devset"))
    parser.add_argument("--semantic", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    # small sparse ops: one intra-op thread beats several on a shared CPU (docs/impact.md)
    torch.set_num_threads(args.threads)

    started = time.perf_counter()
    samples = generated_samples(args.graphs, args.seed)
    gen_s = time.perf_counter() - started
    cut = int(0.9 * len(samples))
    train_set, held = samples[:cut], samples[cut:]
    net, report = train(train_set, epochs=args.epochs, seed=args.seed)
    pred = predict(net, [s.graph for s in held])
    truth = [s.label for s in held]
    mean = sum(s.label for s in train_set) / len(train_set)
    synthetic = {
        "graphs": args.graphs,
        "held_out": len(held),
        "mse_gnn": round(mean_squared_error(pred, truth), 2),
        "mse_mean_predictor": round(mean_squared_error([mean] * len(held), truth), 2),
        "mse_rubric_noise_free": round(mean_squared_error([s.baseline for s in held], truth), 2),
        **{f"gnn_{k}": v for k, v in correlations(pred, truth).items()},
    }
    print(f"generated {args.graphs} graphs in {gen_s:.1f}s; trained in {report.seconds:.1f}s")
    print("held-out generated:", json.dumps(synthetic))

    calibration, dev = (1.0, 0.0), {}
    if args.labels.is_file() and args.sources.is_dir():
        rows = devset(args.labels, args.sources, args.semantic)
        if len(rows) >= 3:
            raw = predict(net, [r["graph"] for r in rows])
            ratings = [r["rating"] for r in rows]
            calibration, loo = calibrate(raw, ratings)
            dev = {
                "repositories": len(rows),
                "raw": correlations(raw, ratings),
                "calibrated_leave_one_out": correlations(loo, ratings),
                "rubric_baseline": correlations([r["baseline"] for r in rows], ratings),
                "per_repository": [
                    {
                        "repo": r["repo"],
                        "rating": r["rating"],
                        "raw": round(p, 1),
                        "loo": round(q, 1),
                    }
                    for r, p, q in zip(rows, raw, loo, strict=True)
                ],
            }
            print("dev set:", json.dumps({k: v for k, v in dev.items() if k != "per_repository"}))
    meta = {
        "seed": args.seed,
        "epochs": args.epochs,
        "train_graphs": len(train_set),
        "device": report.device,
    }
    digest = save_weights(net, args.out / "impact-gnn.pt", calibration, meta)
    metrics = {
        "version": MODEL_VERSION,
        "sha256": digest,
        "generation_seconds": round(gen_s, 1),
        "training_seconds": round(report.seconds, 1),
        "final_train_loss": report.final_loss,
        "calibration": {"a": round(calibration[0], 4), "b": round(calibration[1], 3)},
        "synthetic": synthetic,
        "devset": dev,
        **meta,
    }
    (args.out / "training-metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    size = (args.out / "impact-gnn.pt").stat().st_size
    print(f"wrote {args.out / 'impact-gnn.pt'} ({size} bytes, sha256 {digest[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
