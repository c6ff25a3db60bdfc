"""Validation as a feature: agreement of HyperScore with expert ratings (docs/validation.md).

``hyperscore validate --labels FILE --sources DIR`` assesses every labelled project and
compares the calibrated score with the expert ``label.overall``. The calibration is fitted
*leave-one-out* (each project is scored by a calibration fitted on the others, from the
factory prior), so the correlation reported is what an unseen project would get -- an
in-sample fit on a dozen projects would flatter the figure.

Reported: Pearson r and Spearman rho with p-values (scipy) and percentile bootstrap 90% CIs
(2000 resamples of projects, fixed seed), MAE in points, level accuracy (our overall level
equals the rounded expert level), and a scatter plot (inline SVG in the HTML report).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import stats

from hyperscore.evaluators.fusion.fitting import Sample, leave_one_out, sample_from

BOOTSTRAP = 2000
BOOTSTRAP_SEED = 7
CI_LEVEL = 0.9


class ValidationError(ValueError):
    """Bad labels or sources: the message is one line naming the input."""


@dataclass(frozen=True)
class LabelledEntry:
    repo: str
    commit: str | None
    overall: float
    level: int


def load_labels(path: Path) -> list[LabelledEntry]:
    """Entries of a dev-set.yaml-style file: a list of {repo, commit?, label: {overall, level}}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValidationError(f"{path}: cannot read labels ({err.strerror or err})") from err
    except yaml.YAMLError as err:
        raise ValidationError(
            f"{path}: not valid YAML ({' '.join(str(err).split())[:120]})"
        ) from err
    if not isinstance(data, list) or not data:
        raise ValidationError(f"{path}: expected a non-empty list of labelled repositories")
    out = []
    for k, item in enumerate(data, 1):
        try:
            label = item["label"]
            overall = float(label["overall"])
            level = round(float(label["level"]))
            repo = str(item["repo"])
        except (TypeError, KeyError, ValueError) as err:
            raise ValidationError(
                f"{path}: entry {k} needs repo and label.overall / label.level ({err})"
            ) from err
        if not (0.0 <= overall <= 100.0) or not (0 <= level <= 4):
            raise ValidationError(f"{path}: entry {k} ({repo}): overall 0-100 and level 0-4")
        commit = item.get("commit")
        out.append(LabelledEntry(repo, None if commit is None else str(commit), overall, level))
    return out


def locate(sources: Path, entry: LabelledEntry) -> tuple[str, str | None] | None:
    """``DIR/owner+name`` (a checkout) or ``DIR/owner+name/repo`` (a git mirror at the commit)."""
    base = sources / entry.repo.replace("/", "+")
    if (base / "repo").is_dir():
        return str(base / "repo"), entry.commit
    if base.is_dir():
        return str(base), None
    return None


@dataclass(frozen=True)
class Row:
    repo: str
    label: float
    label_level: int
    score: float
    low: float
    high: float
    level: int
    baseline: float | None


@dataclass(frozen=True)
class Interval:
    value: float
    p_value: float
    low: float
    high: float


@dataclass
class ValidationReport:
    rows: list[Row]
    skipped: list[str] = field(default_factory=list)
    pearson: Interval | None = None
    spearman: Interval | None = None
    mae: float = math.nan
    level_accuracy: float = math.nan

    def to_json(self) -> dict[str, Any]:
        def iv(x: Interval | None) -> dict[str, Any] | None:
            return None if x is None else {"r": x.value, "p": x.p_value, "ci90": [x.low, x.high]}

        return {
            "n": len(self.rows),
            "calibration": "leave-one-out from the factory prior",
            "pearson": iv(self.pearson),
            "spearman": iv(self.spearman),
            "mae": self.mae,
            "level_accuracy": self.level_accuracy,
            "rows": [r.__dict__ for r in self.rows],
            "skipped": self.skipped,
        }


def _bootstrap_ci(
    x: np.ndarray, y: np.ndarray, stat: Callable[[np.ndarray, np.ndarray], float]
) -> tuple[float, float]:
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    values = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, len(x), len(x))
        if np.ptp(x[idx]) == 0 or np.ptp(y[idx]) == 0:
            continue  # a resample of one repeated project has no correlation
        values.append(stat(x[idx], y[idx]))
    if not values:
        return math.nan, math.nan
    tail = (1.0 - CI_LEVEL) / 2.0
    return float(np.quantile(values, tail)), float(np.quantile(values, 1.0 - tail))


def statistics(report: ValidationReport) -> ValidationReport:
    """Fill the agreement statistics of ``report`` from its rows (needs >= 3 rows)."""
    x = np.array([r.score for r in report.rows])
    y = np.array([r.label for r in report.rows])
    report.mae = float(np.mean(np.abs(x - y)))
    report.level_accuracy = float(np.mean([r.level == r.label_level for r in report.rows]))
    if len(x) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
        p = stats.pearsonr(x, y)
        s = stats.spearmanr(x, y)
        report.pearson = Interval(
            float(p.statistic),
            float(p.pvalue),
            *_bootstrap_ci(x, y, lambda a, b: float(stats.pearsonr(a, b).statistic)),
        )
        report.spearman = Interval(
            float(s.statistic),
            float(s.pvalue),
            *_bootstrap_ci(x, y, lambda a, b: float(stats.spearmanr(a, b).statistic)),
        )
    return report


def collect(
    entries: Sequence[LabelledEntry],
    sources: Path,
    semantic: bool = True,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Sample], list[tuple[LabelledEntry, int, float]], list[str]]:
    """Assess every locatable entry: samples, (entry, level, baseline) and skipped messages."""
    from hyperscore.evaluators.meta import REPLICATES
    from hyperscore.evaluators.pipeline import Options, assess

    samples: list[Sample] = []
    meta: list[tuple[LabelledEntry, int, float]] = []
    skipped: list[str] = []
    for entry in entries:
        where = locate(sources, entry)
        if where is None:
            skipped.append(f"{entry.repo}: no source under {sources}")
            if progress:
                progress(skipped[-1])
            continue
        path, rev = where
        assessment, ingest = assess(path, Options(rev=rev, semantic=semantic, meta_replicates=0))
        samples.append(sample_from(entry.repo, assessment, ingest, entry.overall, REPLICATES))
        meta.append((entry, assessment.level, assessment.baseline_score or 0.0))
        if progress:
            progress(f"assessed {entry.repo}")
    return samples, meta, skipped


def validate(
    entries: Sequence[LabelledEntry],
    sources: Path,
    semantic: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Assess, calibrate leave-one-out, and compute the agreement statistics."""
    samples, meta, skipped = collect(entries, sources, semantic, progress)
    if not samples:
        raise ValidationError(f"{sources}: none of the {len(entries)} labelled sources found")
    preds = leave_one_out(samples)
    rows = [
        Row(e.repo, e.overall, e.level, round(p.score, 2), round(p.low, 2), round(p.high, 2), lv, b)
        for (e, lv, b), p in zip(meta, preds, strict=True)
    ]
    return statistics(ValidationReport(rows=rows, skipped=skipped))


def render_text(report: ValidationReport) -> str:
    lines = [f"{'repository':48} score (90% CI)        label  level/label"]
    for r in report.rows:
        lines.append(
            f"{r.repo[:48]:48} {r.score:5.1f} ({r.low:5.1f}-{r.high:5.1f})  "
            f"{r.label:5.1f}  {r.level}/{r.label_level}"
        )
    lines.append("")
    for name, iv in (("Pearson r", report.pearson), ("Spearman rho", report.spearman)):
        if iv is None:
            lines.append(f"{name}: undefined (need 3 projects with varying scores)")
        else:
            lines.append(
                f"{name} = {iv.value:.3f} (p = {iv.p_value:.2g}; 90% bootstrap CI "
                f"{iv.low:.3f} to {iv.high:.3f})"
            )
    lines.append(
        f"MAE = {report.mae:.1f} points; level accuracy = {report.level_accuracy:.2f}; "
        f"n = {len(report.rows)}; calibration: leave-one-out"
    )
    lines.extend(f"skipped {s}" for s in report.skipped)
    return "\n".join(lines) + "\n"


def scatter_svg(report: ValidationReport, size: int = 360) -> str:
    """Calibrated (LOO) score against the expert label, one circle per project, y = x line."""
    pad, span = 40, size - 60

    def px(v: float) -> float:
        return pad + span * v / 100.0

    def py(v: float) -> float:
        return size - pad - span * v / 100.0

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="score against expert label">',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(100)}" y2="{py(100)}" stroke="#bbb" '
        'stroke-dasharray="4 3"/>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(100)}" y2="{py(0)}" stroke="#333"/>',
        f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(0)}" y2="{py(100)}" stroke="#333"/>',
        f'<text x="{px(50)}" y="{size - 8}" text-anchor="middle" font-size="12">'
        "expert label</text>",
        f'<text x="12" y="{py(50)}" font-size="12" transform="rotate(-90 12 {py(50)})" '
        'text-anchor="middle">HyperScore score (LOO)</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<text x="{px(tick)}" y="{py(0) + 14}" font-size="10" text-anchor="middle">'
            f"{tick}</text>"
        )
        parts.append(
            f'<text x="{px(0) - 4}" y="{py(tick) + 3}" font-size="10" text-anchor="end">'
            f"{tick}</text>"
        )
    for r in report.rows:
        parts.append(
            f'<circle class="point" cx="{px(r.label):.1f}" cy="{py(r.score):.1f}" r="4" '
            f'fill="#2b6cb0"><title>{html.escape(r.repo)}: score {r.score:.1f}, '
            f"label {r.label:g}</title></circle>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(report: ValidationReport) -> str:
    rows = "\n".join(
        f"<tr><td>{html.escape(r.repo)}</td><td>{r.score:.1f}</td>"
        f"<td>{r.low:.1f}-{r.high:.1f}</td><td>{r.label:g}</td>"
        f"<td>{r.level}/{r.label_level}</td></tr>"
        for r in report.rows
    )
    summary = html.escape(render_text(report).split("\n\n", 1)[-1]).replace("\n", "<br>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>HyperScore validation</title>"
        "</head><body><h1>HyperScore validation</h1>"
        f"<p>{summary}</p>{scatter_svg(report)}"
        "<table><tr><th>repository</th><th>score</th><th>90% CI</th><th>label</th>"
        f"<th>level/label</th></tr>{rows}</table></body></html>\n"
    )
