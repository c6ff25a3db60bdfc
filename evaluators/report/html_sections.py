"""HTML for the score fusion (with a Shapley waterfall in inline SVG), the stages and the roadmap.

Kept apart from :mod:`html` (the page, the maturity pictures) so neither module grows past a
readable size. What to show comes from :mod:`sections`, shared with the other formats; this
module only adds markup. Same rules as the page: no script, no remote resource, every
project-derived string through :func:`esc`. Unlike the text and Markdown reports, the HTML page
has room for everything: the full check list of each stage and the whole roadmap, folded in
``<details>`` where long.
"""

from __future__ import annotations

from html import escape

from hyperscore.evaluators.assessment import Assessment, Check, StageResult
from hyperscore.evaluators.report import sections as sec

BAR_HEIGHT = 30
CHART_WIDTH = 640
LABEL_WIDTH = 170
CHART_PAD = 16


def esc(value: object) -> str:
    return escape(str(value), quote=True)


# --------------------------------------------------------------------------- fusion


def waterfall_svg(assessment: Assessment) -> str:
    """Baseline V, one horizontal bar per used component (Shapley value), then V.

    Bars are drawn on a V axis scaled to the range they span (with a margin), so a small
    contribution is still visible; green bars raise V, red ones lower it. Each bar carries a
    ``<title>`` with its exact value (a tooltip in browsers, text for screen readers).
    """
    fusion = assessment.fusion
    steps = sec.waterfall(assessment)
    if fusion is None or not steps:
        return ""
    values = [fusion.baseline_v, fusion.v] + [s.start for s in steps] + [s.end for s in steps]
    low, high = min(values), max(values)
    margin = max((high - low) * 0.15, 0.01)
    low, high = max(0.0, low - margin), min(1.0, high + margin)
    span = max(high - low, 1e-9)
    plot = CHART_WIDTH - LABEL_WIDTH - 2 * CHART_PAD

    def x(v: float) -> float:
        return LABEL_WIDTH + CHART_PAD + (v - low) / span * plot

    rows = len(steps) + 2
    height = rows * BAR_HEIGHT + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {height}" '
        'role="img" aria-labelledby="waterfall-title" class="waterfall">',
        '<title id="waterfall-title">Shapley waterfall: how each component moves V from '
        "the baseline</title>",
    ]

    def label(row: int, text: str) -> None:
        y = row * BAR_HEIGHT + BAR_HEIGHT / 2 + 14
        out.append(
            f'<text x="{LABEL_WIDTH - 4}" y="{y:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1f2328">{esc(text)}</text>'
        )

    def total(row: int, name: str, value: float) -> None:
        y = row * BAR_HEIGHT + 10
        out.append(
            f'<rect class="total" x="{x(low):.1f}" y="{y}" width="{x(value) - x(low):.1f}" '
            f'height="{BAR_HEIGHT - 8}" fill="#8c959f"><title>{esc(name)} '
            f"{value:.4f}</title></rect>"
        )
        out.append(
            f'<text x="{x(value) + 4:.1f}" y="{y + 15}" font-size="11" fill="#59636e">'
            f"{value:.3f}</text>"
        )

    label(0, "baseline V")
    total(0, "baseline V", fusion.baseline_v)
    for row, step in enumerate(steps, 1):
        left, right = sorted((step.start, step.end))
        phi = step.end - step.start
        colour = "#2da44e" if phi >= 0 else "#cf222e"
        y = row * BAR_HEIGHT + 10
        label(row, step.title or step.name)
        out.append(
            f'<rect class="bar" data-component="{esc(step.name)}" x="{x(left):.1f}" y="{y}" '
            f'width="{max(x(right) - x(left), 1.0):.1f}" height="{BAR_HEIGHT - 8}" '
            f'fill="{colour}"><title>{esc(step.title or step.name)} {phi:+.4f}</title></rect>'
        )
        out.append(
            f'<text x="{x(right) + 4:.1f}" y="{y + 15}" font-size="11" fill="#59636e">'
            f"{phi:+.4f}</text>"
        )
    label(rows - 1, "V")
    total(rows - 1, "V", fusion.v)
    axis_y = rows * BAR_HEIGHT + 14
    out.append(
        f'<line x1="{x(low):.1f}" y1="{axis_y}" x2="{x(high):.1f}" y2="{axis_y}" stroke="#d1d9e0"/>'
    )
    for v in (low, (low + high) / 2, high):
        out.append(
            f'<text x="{x(v):.1f}" y="{axis_y + 16}" text-anchor="middle" font-size="10" '
            f'fill="#8c959f">{v:.2f}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _components_table(assessment: Assessment) -> str:
    if not assessment.components:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in sec.COMPONENT_HEADER)
    rows = []
    for comp in sec.ordered_components(assessment):
        cells = sec.component_cells(comp)
        cls = ' class="dropped"' if comp.status == "dropped" else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    return (
        f'<div class="table-wrap"><table class="components"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def score_caption(assessment: Assessment) -> str:
    """Interval, HyperScore and baseline under the gauge (empty before fusion ran)."""
    parts = []
    interval = sec.interval_text(assessment)
    if interval:
        parts.append(f'<div class="interval">{esc(interval)}</div>')
    if assessment.hyper_score is not None:
        parts.append(
            f'<div class="hyper">HyperScore <strong>{assessment.hyper_score:.1f}</strong></div>'
        )
    if assessment.baseline_score is not None:
        parts.append(f'<div class="small">baseline {assessment.baseline_score:.1f}</div>')
    if sec.low_confidence(assessment):
        parts.append('<div class="low-confidence">low confidence</div>')
    return "".join(parts)


def fusion_html(assessment: Assessment) -> str:
    fusion = assessment.fusion
    if fusion is None:
        return ""
    low = (
        ' <span class="low-confidence">low confidence</span>' if fusion.confidence == "low" else ""
    )
    facts = "".join(f"<li>{esc(f)}</li>" for f in sec.fusion_facts(assessment))
    note = f'<p class="note">{esc(fusion.note)}</p>' if fusion.note else ""
    chart = waterfall_svg(assessment)
    return (
        f'<section id="fusion"><h2>Score fusion{low}</h2><div class="card fusion">'
        f'<p class="headline">{esc(sec.fusion_headline(assessment))}</p>'
        f'<ul class="plain small">{facts}</ul>{note}'
        f'<div class="fusion-grid"><div>{_components_table(assessment)}</div>'
        f'<div class="chart">{chart}</div></div></div></section>'
    )


# --------------------------------------------------------------------------- stages


def _check_li(check: Check) -> str:
    where = sec.check_location(check)
    loc = f" <code>{esc(where)}</code>" if where else ""
    facts = (
        f'<div class="small">{esc(", ".join(sec.run_facts(check)))}</div>'
        if sec.is_run(check)
        else ""
    )
    cex = (
        f'<div class="cex">counterexample: <code>{esc(check.counterexample)}</code></div>'
        if check.counterexample
        else ""
    )
    return (
        f'<li><span class="result result-{esc(check.result)}">{esc(check.result)}</span> '
        f"{esc(check.statement)}{loc}{facts}{cex}</li>"
    )


def _runs_table(stage: StageResult) -> str:
    runs = [c for c in stage.checks if sec.is_run(c)]
    if not runs:
        return ""
    rows = []
    for c in runs:
        d = c.detail
        tests = (
            f"{d.get('tests_passed', 0)} / {d.get('tests_failed', 0)}"
            if "tests_passed" in d or "tests_failed" in d
            else "-"
        )
        peak = d.get("peak_memory_bytes")
        memory = f"{peak / sec.MiB:.1f} MiB" if isinstance(peak, int | float) and peak else "-"
        status = "timed out" if d.get("timed_out") else str(d.get("exit_status", "-"))
        cells = [
            f'<span class="result result-{esc(c.result)}">{esc(c.result)}</span>',
            f"<code>{esc(sec.run_label(c))}</code>",
            esc(status),
            esc(tests),
            esc(sec.number(d.get("wall_seconds"), ".2f")),
            esc(sec.number(d.get("cpu_seconds"), ".2f")),
            esc(memory),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("run", "command", "exit", "tests passed / failed", "wall s", "CPU s", "peak")
    )
    return (
        f'<div class="table-wrap"><table class="runs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _stage_card(stage: StageResult) -> str:
    seconds = sec.seconds_text(stage)
    timing = f' <span class="small">{esc(seconds)}</span>' if seconds else ""
    details = sec.key_details(stage)
    facts = (
        '<ul class="plain small">'
        + "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in details)
        + "</ul>"
        if details
        else ""
    )
    problems = sec.problem_checks(stage)
    problem_list = (
        '<ul class="checks problems">' + "".join(_check_li(c) for c in problems) + "</ul>"
        if problems
        else ""
    )
    counts = sec.result_counts(stage)
    full = (
        f"<details><summary>all {len(stage.checks)} checks: "
        f'{esc(sec.counts_text(counts))}</summary><ul class="checks">'
        + "".join(_check_li(c) for c in stage.checks)
        + "</ul></details>"
        if stage.checks
        else ""
    )
    return (
        f'<div class="card stage stage-{esc(stage.status)}"><h3>{esc(stage.stage)}'
        f'<span class="status">{esc(stage.status)} · score {esc(sec.score_text(stage))}'
        f"</span>{timing}</h3>"
        f'<p class="small">{esc(stage.summary)}</p>{facts}{problem_list}'
        f"{_runs_table(stage)}{full}</div>"
    )


def stages_html(assessment: Assessment) -> str:
    stages = sec.ordered_stages(assessment)
    if not stages:
        return ""
    cards = "".join(_stage_card(s) for s in stages)
    return f'<section id="stages"><h2>Stages</h2><div class="stages">{cards}</div></section>'


# --------------------------------------------------------------------------- roadmap


def roadmap_html(assessment: Assessment) -> str:
    items = sec.roadmap(assessment, top=None)
    if not items:
        return ""
    rows = "".join(
        f"<tr><td>{i}</td><td><strong>{esc(item.title)}</strong><br>"
        f'<code class="small">{esc(item.practice)}</code></td>'
        f"<td>{esc(item.dimension.value)}</td><td>{item.gain:+.1f}</td>"
        f"<td>{esc(', '.join(item.prerequisites) or '-')}</td><td>{esc(item.effort)}</td>"
        f'<td class="small">{esc(item.rationale)}</td></tr>'
        for i, item in enumerate(items, 1)
    )
    return (
        f'<section id="roadmap"><h2>Roadmap ({len(items)})</h2>'
        '<p class="small">What-if forecast: adopting each practice, the forecast change of the '
        'impact score in points.</p><div class="table-wrap"><table class="roadmap"><thead><tr>'
        "<th>#</th><th>adopt</th><th>dimension</th><th>gain</th><th>prerequisites</th>"
        f"<th>effort</th><th>why</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    )
