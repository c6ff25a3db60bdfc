"""Calibrate the semantic parser's similarity threshold and margin on labelled sentences.

    python hack/calibrate_semantic.py      (make calibrate-semantic)

Reads evaluators/decompose/data/claims_labelled.yaml, scores every sentence against the
catalogue's claim examples with the bundled encoder, grid-searches the (threshold, margin)
pair that maximises F1 (a claim counts as correct only if it names the labelled practice;
any claim on an unrelated sentence is a false positive) and writes
evaluators/decompose/data/semantic_calibration.json. Deterministic: same model, same data,
same output.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from hyperscore.evaluators.decompose.semantic import PracticeMatcher

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluators" / "decompose" / "data"


def evaluate(
    table: np.ndarray, ids: list[str], labels: list[str | None], threshold: float, margin: float
) -> dict[str, float]:
    tp = fp = fn = 0
    for row, label in zip(table, labels, strict=True):
        order = np.argsort(row)[::-1]
        best, second = row[order[0]], row[order[1]]
        claimed = ids[order[0]] if best >= threshold and best - second >= margin else None
        if claimed is not None and claimed == label:
            tp += 1
        elif claimed is not None:
            fp += 1
            if label is not None:
                fn += 1
        elif label is not None:
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def main() -> None:
    rows = yaml.safe_load((DATA / "claims_labelled.yaml").read_text())
    texts = [r["text"] for r in rows]
    labels = [r["practice"] for r in rows]
    matcher = PracticeMatcher()
    table = matcher.scores(matcher.encoder.encode(texts))
    best: tuple[float, float, float] | None = None
    best_stats: dict[str, float] = {}
    for threshold in np.arange(0.40, 0.81, 0.01):
        for margin in np.arange(0.0, 0.101, 0.01):
            stats = evaluate(table, matcher.practice_ids, labels, float(threshold), float(margin))
            # Prefer precision on ties: a false claim is worse than a missed one.
            key = (stats["f1"], stats["precision"], float(threshold))
            if best is None or key > best:
                best = key
                best_stats = {
                    **stats,
                    "threshold": round(float(threshold), 2),
                    "margin": round(float(margin), 2),
                }
    out = {
        "default": best_stats["threshold"],
        "margin": best_stats["margin"],
        "thresholds": {},
        "fitted_on": "evaluators/decompose/data/claims_labelled.yaml",
        "sentences": len(rows),
        "metrics": {k: best_stats[k] for k in ("precision", "recall", "f1", "tp", "fp", "fn")},
    }
    (DATA / "semantic_calibration.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
