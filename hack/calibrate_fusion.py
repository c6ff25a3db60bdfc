"""Fit the factory calibration on the development set: ``make calibrate-fusion``.

    python hack/calibrate_fusion.py [--labels ../shared/bench/dev-set.yaml]
        [--sources /work/devset] [--out evaluators/fusion/data/factory-calibration.json]

Assesses every labelled repository (semantic parser on, Meta measured), fits the factory prior
(evaluators/fusion/fitting.py, docs/scoring.md section 4) on all of them and writes the
posterior as JSON (``Calibration.to_json``). It also prints the leave-one-out Pearson and
Spearman -- the honest figures, each repository scored by a fit on the others. Nothing here
is tuned per repository: the features and the prior are fixed in fitting.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scipy import stats

from hyperscore.evaluators.fusion.fitting import fit_samples, leave_one_out
from hyperscore.evaluators.validate import collect, load_labels

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--labels", default=str(ROOT.parent / "shared/bench/dev-set.yaml"))
    parser.add_argument("--sources", default="/work/devset")
    parser.add_argument(
        "--out", default=str(ROOT / "evaluators/fusion/data/factory-calibration.json")
    )
    args = parser.parse_args(argv)
    # Assessments are cached by the engine itself (an unchanged repository is not re-read).
    entries = load_labels(Path(args.labels))
    samples, _, skipped = collect(entries, Path(args.sources), progress=print)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if len(samples) < 3:
        print("fewer than 3 labelled repositories found", file=sys.stderr)
        return 2
    labels = [s.label for s in samples]
    loo = [p.score for p in leave_one_out(samples)]
    pearson, spearman = stats.pearsonr(loo, labels), stats.spearmanr(loo, labels)
    mae = sum(abs(a - b) for a, b in zip(loo, labels, strict=True)) / len(labels)
    for s, p in zip(samples, loo, strict=True):
        print(f"{s.name[:50]:50} LOO {p:5.1f}  label {s.label:5.1f}  coverage {s.coverage:.3f}")
    print(
        f"leave-one-out: n={len(samples)} Pearson {pearson.statistic:.3f} "
        f"(p={pearson.pvalue:.2g}) Spearman {spearman.statistic:.3f} "
        f"(p={spearman.pvalue:.2g}) MAE {mae:.1f}"
    )
    cal = fit_samples(samples, note=f"factory: development set, {len(samples)} repositories")
    print("coefficients:", {k: round(v, 2) for k, v in cal.coefficients().items()})
    print(f"noise sd: {cal.noise_sd:.1f} points")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
