"""Score the labelled development set and report agreement with the expert ratings.

    python hack/devset_eval.py --labels ../shared/bench/dev-set.yaml --sources DIR [--semantic]

DIR holds one folder per repository named ``owner+name`` (extracted with
../shared/bench/extract.sh) or a git mirror at ``DIR/owner+name/repo`` (then the listed
commit is read directly from the bare repository). Prints Pearson and Spearman of the
baseline score against ``label.overall`` (the calibrated headline score is
fitted on this set: `hyperscore validate` reports it leave-one-out), MAE, level accuracy
and per-dimension agreement (exact and within one level). Nothing here is tuned per repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from scipy import stats

from hyperscore.evaluators.pipeline import Options, assess

DIMS = [
    "reproducibility",
    "data",
    "tracking",
    "testing",
    "automation",
    "deployment",
    "monitoring",
    "governance",
]


def locate(sources: Path, repo: str) -> tuple[str, str | None] | None:
    base = sources / repo.replace("/", "+")
    if (base / "repo").is_dir():
        return str(base / "repo"), "commit"
    if base.is_dir():
        return str(base), None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--labels", required=True)
    parser.add_argument("--sources", required=True)
    parser.add_argument("--semantic", action="store_true")
    parser.add_argument("--json", action="store_true", help="print per-repository rows as JSON")
    args = parser.parse_args(argv)
    entries = yaml.safe_load(Path(args.labels).read_text())
    rows: list[dict[str, Any]] = []
    for entry in entries:
        where = locate(Path(args.sources), entry["repo"])
        if where is None:
            print(f"skip {entry['repo']}: not found under {args.sources}", file=sys.stderr)
            continue
        path, rev = where
        options = Options(rev=entry["commit"] if rev else None, semantic=args.semantic)
        assessment, _ = assess(path, options)
        rows.append(
            {
                "repo": entry["repo"],
                # The rubric baseline: the headline `score` is calibrated on this very set, so
                # its agreement here would be in-sample (use `hyperscore validate` for LOO).
                "score": assessment.baseline_score
                if assessment.baseline_score is not None
                else assessment.score,
                "level": assessment.level,
                "dimensions": assessment.dimensions,
                "label": entry["label"],
            }
        )
    if len(rows) < 3:
        print("fewer than 3 repositories assessed", file=sys.stderr)
        return 1
    scores = [r["score"] for r in rows]
    labels = [r["label"]["overall"] for r in rows]
    pearson = stats.pearsonr(scores, labels)
    spearman = stats.spearmanr(scores, labels)
    mae = sum(abs(s - t) for s, t in zip(scores, labels, strict=True)) / len(rows)
    level_acc = sum(1 for r in rows if round(r["label"]["level"]) == r["level"]) / len(rows)
    print(f"{'repository':58} score  label  level/label")
    for r in rows:
        print(
            f"{r['repo'][:58]:58} {r['score']:5.1f}  {r['label']['overall']:5.1f}  "
            f"{r['level']}/{r['label']['level']}"
        )
    print(
        f"\nn={len(rows)}  Pearson r={pearson.statistic:.3f} (p={pearson.pvalue:.2g})  "
        f"Spearman rho={spearman.statistic:.3f} (p={spearman.pvalue:.2g})  MAE={mae:.1f}  "
        f"level accuracy={level_acc:.2f}"
    )
    print(f"\n{'dimension':16} exact  within-1  MAE   (ours vs label per repository)")
    for dim in DIMS:
        ours = [r["dimensions"][dim] for r in rows]
        theirs = [r["label"]["dimensions"][dim] for r in rows]
        exact = sum(1 for a, b in zip(ours, theirs, strict=True) if abs(a - b) < 0.51) / len(rows)
        within = sum(1 for a, b in zip(ours, theirs, strict=True) if abs(a - b) <= 1) / len(rows)
        dmae = sum(abs(a - b) for a, b in zip(ours, theirs, strict=True)) / len(rows)
        print(
            f"{dim:16} {exact:5.2f}  {within:8.2f}  {dmae:4.2f}   "
            + " ".join(f"{a}/{b:g}" for a, b in zip(ours, theirs, strict=True))
        )
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
