"""One self-contained HTML page: score gauge, radar chart, level ladder, cards and tables.

The fusion (Shapley waterfall), stage and roadmap sections come from :mod:`html_sections`.

No JavaScript, no network: CSS is inlined from ``templates/report.css`` and the pictures are
SVG generated here. The Content-Security-Policy meta tag (``default-src 'none'``) forbids
scripts and remote loads outright, and every project-derived string passes through
:func:`esc` (``html.escape``) before it reaches the page, because the input is untrusted.
"""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources
from string import Template

from hyperscore.evaluators.assessment import (
    Assessment,
    Citation,
    DimensionResult,
    Finding,
    PracticeResult,
    PracticeState,
)
from hyperscore.evaluators.report import (
    LEVELS,
    MAX_LEVEL,
    SEVERITY_ORDER,
    Block,
    NextStep,
    claimed_only,
    dimension_level_text,
    level_name,
    next_steps,
    practice_title,
    severity_counts,
    sorted_findings,
    text_blocks,
)
from hyperscore.evaluators.report.html_sections import (
    esc,
    fusion_html,
    roadmap_html,
    score_caption,
    stages_html,
)

MAX_FINDINGS = 500
MAX_CITATIONS = 3
_PACKAGE = "hyperscore.evaluators.report"
_INLINE_CODE = re.compile(r"`([^`]+)`")


@cache
def _template(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("templates", name).read_text(encoding="utf-8")


def inline(text: str) -> str:
    """Escaped prose, with `backticks` as <code>."""
    return _INLINE_CODE.sub(r"<code>\1</code>", esc(text))


def blocks_html(blocks: list[Block]) -> str:
    return "".join(
        f"<pre><code>{esc(body)}</code></pre>" if kind == "code" else f"<p>{inline(body)}</p>"
        for kind, body in blocks
    )


def rich_text(text: str) -> str:
    """Catalogue prose (paragraphs, code blocks, `inline code`) as escaped HTML."""
    return blocks_html(text_blocks(text))


# --------------------------------------------------------------------------- pictures


def _pt(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}"


def radar_svg(levels: dict[str, int], size: int = 520) -> str:
    """An octagon radar (one axis per dimension), rings at levels 1-4, the project's polygon."""
    names = list(levels)
    n = max(len(names), 3)
    cx, cy, radius = size / 2, size / 2, size * 0.29

    def point(i: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    top, height = cy - radius - 42, 2 * radius + 84
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {top:.0f} {size} {height:.0f}" '
        f'role="img" aria-labelledby="radar-title" class="radar">',
        '<title id="radar-title">Level of each dimension, 0 (centre) to 4 (outer ring)</title>',
    ]
    for ring in range(1, MAX_LEVEL + 1):
        pts = " ".join(_pt(*point(i, radius * ring / MAX_LEVEL)) for i in range(n))
        fill = "#f6f8fa" if ring == MAX_LEVEL else "none"
        out.append(f'<polygon points="{pts}" fill="{fill}" stroke="#d1d9e0" stroke-width="1"/>')
        x, y = point(0, radius * ring / MAX_LEVEL)
        out.append(
            f'<text x="{x + 4:.1f}" y="{y + 12:.1f}" font-size="10" fill="#8c959f">{ring}</text>'
        )
    for i in range(n):
        x, y = point(i, radius)
        out.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            'stroke="#d1d9e0" stroke-width="1"/>'
        )
    shape = [
        point(i, radius * max(0, min(levels[name], MAX_LEVEL)) / MAX_LEVEL)
        for i, name in enumerate(names)
    ]
    out.append(
        f'<polygon points="{" ".join(_pt(*p) for p in shape)}" fill="#0969da" '
        'fill-opacity="0.25" stroke="#0969da" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
    )
    out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#0969da"/>' for x, y in shape]
    for i, name in enumerate(names):
        x, y = point(i, radius + 22)
        anchor = "middle" if abs(x - cx) < 1 else "start" if x > cx else "end"
        dy = -4 if y < cy - 1 else 12 if y > cy + 1 else 4
        out.append(
            f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" font-size="14" '
            f'fill="#1f2328">{esc(name)} <tspan font-weight="700">{levels[name]}</tspan>'
            "</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def gauge_svg(score: float, level: int) -> str:
    """A half-circle gauge of the 0-100 score."""
    frac = max(0.0, min(score, 100.0)) / 100
    r, cx, cy = 80, 100, 100
    length = math.pi * r
    arc = f"M {cx - r} {cy} A {r} {r} 0 0 1 {cx + r} {cy}"
    colour = "#2da44e" if score >= 75 else "#bf8700" if score >= 40 else "#cf222e"
    return "\n".join(
        [
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 120" width="220" '
            'role="img" aria-labelledby="gauge-title" class="gauge">',
            f'<title id="gauge-title">Score {score:.1f} of 100</title>',
            f'<path d="{arc}" fill="none" stroke="#eaeef2" stroke-width="18" '
            'stroke-linecap="round"/>',
            f'<path d="{arc}" fill="none" stroke="{colour}" stroke-width="18" '
            f'stroke-linecap="round" stroke-dasharray="{frac * length:.1f} {length:.1f}"/>',
            f'<text x="{cx}" y="{cy - 8}" text-anchor="middle" font-size="38" font-weight="700" '
            f'fill="#1f2328">{round(score, 1):g}</text>',
            f'<text x="{cx}" y="{cy + 14}" text-anchor="middle" font-size="12" fill="#59636e">'
            f"of 100 · level {level}</text>",
            "</svg>",
        ]
    )


def ladder_html(level: int) -> str:
    steps = []
    for number in sorted(LEVELS, reverse=True):
        name, description = LEVELS[number]
        cls = "current" if number == level else "reached" if number < level else ""
        you = '<span class="you">YOU ARE HERE</span>' if number == level else ""
        steps.append(
            f'<div class="step {cls}"><div class="num">{number}</div><div>'
            f'<div class="name">{esc(name)}{you}</div>'
            f'<div class="desc">{esc(description)}</div></div></div>'
        )
    return '<div class="ladder">' + "".join(steps) + "</div>"


# --------------------------------------------------------------------------- sections


def _citations(cites: list[Citation]) -> str:
    if not cites:
        return ""
    items = [
        f"<li><code>{esc(c.location)}</code> {esc(c.what)}</li>" for c in cites[:MAX_CITATIONS]
    ]
    if len(cites) > MAX_CITATIONS:
        items.append(f"<li>... and {len(cites) - MAX_CITATIONS} more</li>")
    return '<ul class="plain small">' + "".join(items) + "</ul>"


def _step_item(step: NextStep) -> str:
    claimed = (
        ' <span class="claimed">claimed in the docs, not found in the files</span>'
        if step.claimed
        else ""
    )
    effort = f" · effort {esc(step.effort)}" if step.effort else ""
    blocks = text_blocks(step.remediation)
    first = next((body for kind, body in blocks if kind == "p"), "")
    lead = f'<div class="small">{inline(first)}</div>' if first else ""
    rest = [block for block in blocks if block != ("p", first)]
    how = f"<details><summary>how</summary>{blocks_html(rest)}</details>" if rest else ""
    return (
        f'<li><strong>{esc(step.title)}</strong> <span class="small"><code>'
        f"{esc(step.practice_id)}</code>{effort}</span>{claimed}{lead}{how}</li>"
    )


def next_steps_html(assessment: Assessment) -> str:
    steps = next_steps(assessment)
    if not steps:
        return '<p class="empty">Nothing missing: every dimension is at its highest level.</p>'
    groups: dict[str, list[NextStep]] = {}
    for step in steps:
        groups.setdefault(step.dimension, []).append(step)
    cards = []
    for dim, group in groups.items():
        first = group[0]
        target = dimension_level_text(dim, first.target_level)
        cards.append(
            f'<div class="card"><h3>{esc(dim)}: level {first.current_level} &rarr; '
            f'{first.target_level}</h3><p class="means">{esc(target)}</p><ol>'
            + "".join(_step_item(s) for s in group)
            + "</ol></div>"
        )
    return '<div class="steps">' + "".join(cards) + "</div>"


def claimed_html(assessment: Assessment) -> str:
    practices = claimed_only(assessment)
    if not practices:
        return ""
    rows = "".join(
        f'<li><strong>{esc(p.title)}</strong> <span class="small">({esc(p.dimension.value)}'
        f")</span>{_citations(p.claims)}</li>"
        for p in practices
    )
    return (
        '<section id="claimed"><div class="card callout"><h2 class="claimed">Claimed only ('
        f"{len(practices)})</h2><p>The documentation claims these practices, but the files "
        f"do not show them; they earn no level.</p><ul>{rows}</ul></div></section>"
    )


def _chips(assessment: Assessment, label: str, ids: list[str], cls: str) -> str:
    if not ids:
        return ""
    chips = "".join(
        f'<span class="chip {cls}" title="{esc(pid)}">{esc(practice_title(assessment, pid))}</span>'
        for pid in ids
    )
    return f'<div class="chips"><span class="label">{esc(label)}</span>{chips}</div>'


def _dimension_card(
    assessment: Assessment, name: str, level: int, detail: DimensionResult | None
) -> str:
    bar = "".join(f'<span class="{"on" if i < level else ""}"></span>' for i in range(MAX_LEVEL))
    parts = [
        f'<div class="card dim"><h3>{esc(name)}<span class="pill lv{max(0, min(level, 4))}">'
        f"level {level}</span></h3>",
        f'<div class="bar">{bar}</div>',
        f'<p class="means">{esc(dimension_level_text(name, level))}</p>',
    ]
    if detail is not None:
        parts.append(_chips(assessment, "earned by", detail.earned_by, "earned"))
        parts.append(_chips(assessment, "claimed only", detail.claimed_only, "claimed-chip"))
        if level < MAX_LEVEL:
            parts.append(_chips(assessment, f"for level {level + 1}", detail.next_steps, "todo"))
        parts.append(f'<p class="why small">{esc(detail.rationale)}</p>')
    parts.append("</div>")
    return "".join(parts)


def dimension_cards_html(assessment: Assessment) -> str:
    details = {d.name.value: d for d in assessment.dimension_details}
    return "\n".join(
        _dimension_card(assessment, name, level, details.get(name))
        for name, level in assessment.dimensions.items()
    )


def _finding_row(f: Finding) -> str:
    return (
        f'<tr><td><span class="sev sev-{esc(f.severity.value)}">{esc(f.severity.value)}'
        f"</span></td><td><code>{esc(f.location)}</code></td><td><strong>{esc(f.title)}"
        f"</strong><br>{esc(f.message)}<details><summary>how to fix</summary>"
        f"{rich_text(f.remediation)}</details></td><td><code>{esc(f.rule_id)}</code></td>"
        "</tr>"
    )


def findings_html(assessment: Assessment) -> str:
    findings = sorted_findings(assessment.findings)
    if not findings:
        return '<p class="empty">No findings.</p>'
    rows = "".join(_finding_row(f) for f in findings[:MAX_FINDINGS])
    more = (
        f'<p class="small">... and {len(findings) - MAX_FINDINGS} more in the JSON report.</p>'
        if len(findings) > MAX_FINDINGS
        else ""
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th class="sev-col">Severity</th>'
        '<th class="loc-col">Location</th>'
        '<th>Finding</th><th class="rule-col">Rule</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>{more}"
    )


def _practice_row(p: PracticeResult) -> str:
    state = p.state.value
    cites = _citations(p.evidence if p.state == PracticeState.PRESENT else p.claims)
    return (
        f"<tr><td>{esc(p.dimension.value)}</td><td>{p.level}</td><td><strong>"
        f'{esc(p.title)}</strong><br><code class="small">{esc(p.id)}</code></td>'
        f'<td><span class="state state-{esc(state)}">{esc(state)}</span></td>'
        f"<td>{cites}</td></tr>"
    )


def practices_html(assessment: Assessment) -> str:
    if not assessment.practices:
        return '<p class="empty">No practices were evaluated.</p>'
    order = {name: i for i, name in enumerate(assessment.dimensions)}
    rows = "".join(
        _practice_row(p)
        for p in sorted(
            assessment.practices, key=lambda p: (order.get(p.dimension.value, 99), p.level, p.id)
        )
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th>Dimension</th><th>Level</th>'
        "<th>Practice</th><th>State</th><th>Evidence</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _gauge_card(assessment: Assessment) -> str:
    counts = severity_counts(assessment.findings)
    rows = "".join(
        f'<div><span class="sev sev-{s.value}">{s.value}</span><span>{counts[s]}</span></div>'
        for s in SEVERITY_ORDER
    )
    return (
        gauge_svg(assessment.score, assessment.level)
        + score_caption(assessment)
        + f'<div class="caption">level {assessment.level}: '
        f"{esc(level_name(assessment.level))}</div>"
        + f'<div class="counts"><div class="small"><span>findings</span><span>'
        f"{len(assessment.findings)}</span></div>{rows}</div>"
    )


def render_html(assessment: Assessment) -> str:
    source = assessment.source
    rev = f" @ {source.revision[:12]}" if source.revision else ""
    stats = assessment.stats
    counts = {s: sum(1 for p in assessment.practices if p.state == s) for s in PracticeState}
    values = {
        "tool_version": esc(assessment.tool_version),
        "title": esc(f"Maturity score {assessment.score:.0f}/100 · {source.location}"),
        "css": _template("report.css"),
        "source": esc(f"{source.location}{rev}"),
        "meta": esc(
            f"score {assessment.score:.1f}/100 · level {assessment.level} "
            f"({level_name(assessment.level)}) · {stats.files_seen} files read"
        ),
        "gauge": _gauge_card(assessment),
        "radar": radar_svg(assessment.dimensions),
        "ladder": ladder_html(assessment.level),
        "fusion": fusion_html(assessment),
        "stages": stages_html(assessment),
        "roadmap": roadmap_html(assessment),
        "next_steps": next_steps_html(assessment),
        "claimed": claimed_html(assessment),
        "dimension_cards": dimension_cards_html(assessment),
        "finding_count": str(len(assessment.findings)),
        "findings": findings_html(assessment),
        "practice_summary": esc(", ".join(f"{n} {s.value}" for s, n in counts.items())),
        "practices": practices_html(assessment),
        "footer": esc(
            f"HyperScore {assessment.tool_version} · report schema "
            f"{assessment.schema_version} · {stats.files_seen} files seen, "
            f"{stats.files_parsed} parsed in {stats.seconds:.2f} s"
        ),
    }
    return Template(_template("report.html")).substitute(values)
