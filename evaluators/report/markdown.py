"""A compact Markdown report for a pull-request comment (GitHub-flavoured).

Headline, a dimension table with text level bars (``██░░``), the score fusion (components
table, Shapley values), the stages (failing checks in full, the rest counted), the top findings
with file:line links, the roadmap, next steps, claimed-only practices, and the full practice
list folded in ``<details>``.
Every project-derived string goes through :func:`md_escape`: markup, links, images, HTML and
@-mentions in file names or messages render as literal text, never as Markdown.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from hyperscore.evaluators.assessment import Assessment, Check, Finding, PracticeState, StageResult
from hyperscore.evaluators.model import SourceInfo
from hyperscore.evaluators.report import (
    SEVERITY_ORDER,
    claimed_only,
    dimension_level_text,
    level_bar,
    level_name,
    next_steps,
    one_line,
    severity_counts,
    sorted_findings,
    text_blocks,
)
from hyperscore.evaluators.report import sections as sec

MAX_FINDINGS = 20
MESSAGE_LIMIT = 200
_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "!": "\\!",
        "#": "\\#",
        "~": "\\~",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "@": "@\u200b",  # a zero-width space keeps "@someone" from mentioning anyone
    }
)
_HOSTED = re.compile(r"^https://(github\.com|gitlab\.com)/[\w.-]+/[\w.-]+(?:\.git)?/?$")
STATE_LABEL = {
    PracticeState.PRESENT: "present",
    PracticeState.CLAIMED_ONLY: "**claimed only**",
    PracticeState.ABSENT: "absent",
}


def md_escape(text: str, limit: int = 0) -> str:
    """One line of literal text: safe in a table cell, renders no Markdown or HTML."""
    return one_line(text, limit).translate(_ESCAPES)


def code(text: str) -> str:
    """An inline code span for a trusted identifier (rule or practice id)."""
    return f"`{text.replace('`', '')}`"


def link_base_for(source: SourceInfo) -> str | None:
    """``https://github.com/o/r/blob/<rev>/`` for a hosted git source at a known revision."""
    if source.type != "git" or not source.revision or not _HOSTED.match(source.location):
        return None
    repo = source.location.rstrip("/").removesuffix(".git")
    blob = "/-/blob/" if "gitlab.com" in repo else "/blob/"
    return f"{repo}{blob}{quote(source.revision, safe='')}/"


def location_link(finding: Finding, link_base: str | None) -> str:
    text = md_escape(finding.location)
    target = quote(finding.path.lstrip("/"), safe="/")
    if finding.line is not None:
        target += f"#L{finding.line}"
    return f"[{text}]({link_base or ''}{target})"


def _headline(assessment: Assessment) -> list[str]:
    source = assessment.source
    rev = f" at `{md_escape(source.revision[:12])}`" if source.revision else ""
    counts = severity_counts(assessment.findings)
    found = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s]) or "none"
    present = sum(1 for p in assessment.practices if p.state == PracticeState.PRESENT)
    claimed = len(claimed_only(assessment))
    fused = (
        [f"**{md_escape(sec.fusion_headline(assessment))}**", ""]
        if assessment.fusion is not None or assessment.hyper_score is not None
        else []
    )
    return [
        f"## Maturity score: {assessment.score:.1f}/100 · level {assessment.level} "
        f"({level_name(assessment.level)})",
        "",
        *fused,
        f"{md_escape(source.location)}{rev} · findings: {found} · practices: {present} of "
        f"{len(assessment.practices)} present" + (f", {claimed} claimed only" if claimed else ""),
        "",
    ]


def _dimensions(assessment: Assessment) -> list[str]:
    details = {d.name.value: d for d in assessment.dimension_details}
    out = ["| Dimension | Level | Means | Why |", "|---|---|---|---|"]
    for name, level in assessment.dimensions.items():
        detail = details.get(name)
        why = md_escape(detail.rationale, 240) if detail else ""
        if detail and detail.claimed_only:
            why += f" (claimed only: {', '.join(code(p) for p in detail.claimed_only)})"
        means = md_escape(dimension_level_text(name, level))
        out.append(f"| {md_escape(name)} | `{level_bar(level)}` {level} | {means} | {why} |")
    return [*out, ""]


def _findings(assessment: Assessment, link_base: str | None) -> list[str]:
    findings = sorted_findings(assessment.findings)
    if not findings:
        return ["### Findings", "", "No findings.", ""]
    shown = findings[:MAX_FINDINGS]
    title = f"top {len(shown)} of {len(findings)}" if len(findings) > len(shown) else len(shown)
    out = [
        f"### Findings ({title})",
        "",
        "| Severity | Location | Finding | Rule |",
        "|---|---|---|---|",
    ]
    for f in shown:
        out.append(
            f"| **{f.severity.value}** | {location_link(f, link_base)} | "
            f"{md_escape(f.message, MESSAGE_LIMIT)} | {code(f.rule_id)} |"
        )
    if len(findings) > len(shown):
        out += [
            "",
            f"... and {len(findings) - len(shown)} more: run `hyperscore assess "
            "--format html` (or `sarif` for code scanning) for all of them.",
        ]
    return [*out, ""]


def _fusion(assessment: Assessment) -> list[str]:
    fusion = assessment.fusion
    if fusion is None:
        return []
    low = " (**low confidence**)" if sec.low_confidence(assessment) else ""
    out = [f"### Score fusion{low}", "", md_escape(" · ".join(sec.fusion_facts(assessment))), ""]
    if assessment.components:
        out += [
            "| " + " | ".join(h.capitalize() for h in sec.COMPONENT_HEADER) + " |",
            "|---|---:|---:|---:|---:|---|",
        ]
        out += [
            "| " + " | ".join(md_escape(c) for c in sec.component_cells(comp)) + " |"
            for comp in sec.ordered_components(assessment)
        ]
        out.append("")
    if fusion.note:
        out += [md_escape(fusion.note), ""]
    return out


def _check_item(check: Check) -> str:
    where = f" ({md_escape(sec.check_location(check))})" if check.evidence else ""
    line = f"- **{check.result}** {md_escape(check.statement, MESSAGE_LIMIT)}{where}"
    if sec.is_run(check):
        line += f": {md_escape(', '.join(sec.run_facts(check)))}"
    if check.counterexample:
        line += f"<br>counterexample: {md_escape(check.counterexample, 400)}"
    return line


def _stage(stage: StageResult) -> list[str]:
    seconds = sec.seconds_text(stage)
    out = [
        f"#### {md_escape(stage.stage)}: {md_escape(stage.status)}, score "
        f"{sec.score_text(stage)}" + (f" ({seconds})" if seconds else ""),
        "",
    ]
    if stage.summary:
        out += [md_escape(stage.summary, 300), ""]
    details = sec.key_details(stage)
    if details:
        out += ["; ".join(f"{md_escape(k)}: {md_escape(v)}" for k, v in details), ""]
    problems = sec.problem_checks(stage)
    out += [_check_item(c) for c in problems[: sec.MAX_PROBLEMS]]
    more = sec.more_text(stage, min(len(problems), sec.MAX_PROBLEMS))
    if more:
        out.append(f"- {more}")
    runs = [c for c in stage.checks if sec.is_run(c) and c not in problems]
    out += [
        f"- {check.result}: {md_escape(sec.run_label(check), 120)}: "
        f"{md_escape(', '.join(sec.run_facts(check)))}"
        for check in runs
    ]
    counts = sec.result_counts(stage)
    if counts:
        out += [f"- checks: {sec.counts_text(counts)}", ""]
    return out


def _stages(assessment: Assessment) -> list[str]:
    stages = sec.ordered_stages(assessment)
    if not stages:
        return []
    out = ["### Stages", ""]
    for stage in stages:
        out += _stage(stage)
    return out


def _roadmap(assessment: Assessment) -> list[str]:
    items = sec.roadmap(assessment)
    if not items:
        return []
    total = len(assessment.roadmap)
    more = f" (top {len(items)} of {total})" if total > len(items) else ""
    out = [f"### Roadmap{more}", ""]
    out += [
        f"{i}. {md_escape(sec.roadmap_line(item))} ({code(item.practice)}, effort {item.effort})"
        for i, item in enumerate(items, 1)
    ]
    return [*out, ""]


def _next_steps(assessment: Assessment) -> list[str]:
    steps = next_steps(assessment)
    if not steps:
        return []
    out = ["### Next steps", ""]
    current = None
    for step in steps:
        if step.dimension != current:
            current = step.dimension
            target = dimension_level_text(step.dimension, step.target_level)
            out.append(
                f"- **{step.dimension} {step.current_level} → {step.target_level}** ({target})"
            )
        blocks = text_blocks(step.remediation)
        first = next((body for kind, body in blocks if kind == "p"), "")
        effort = f", effort {step.effort}" if step.effort else ""
        claimed = " *claimed in the docs, not found in the files*" if step.claimed else ""
        out.append(
            f"  - {md_escape(step.title)} ({code(step.practice_id)}{effort}){claimed}"
            + (f": {first}" if first else "")
        )
        rest = [b for b in blocks if b != ("p", first)]
        if rest:
            out += ["", "    <details><summary>how</summary>", ""]
            for kind, body in rest:
                if kind == "p":
                    out += [f"    {body}", ""]
                else:
                    out += [
                        "    ```",
                        *(f"    {line}" for line in body.splitlines()),
                        "    ```",
                        "",
                    ]
            out += ["    </details>", ""]
    return [*out, ""]


def _claimed(assessment: Assessment) -> list[str]:
    practices = claimed_only(assessment)
    if not practices:
        return []
    out = [
        "### Claimed only",
        "",
        "The documentation claims these practices; the files do not show them.",
        "",
    ]
    for p in practices:
        where = f" (claimed at {md_escape(p.claims[0].location)})" if p.claims else ""
        out.append(f"- {md_escape(p.title)} ({code(p.id)}, {md_escape(p.dimension.value)}){where}")
    return [*out, ""]


def _practices(assessment: Assessment) -> list[str]:
    if not assessment.practices:
        return []
    counts = {s: sum(1 for p in assessment.practices if p.state == s) for s in PracticeState}
    summary = ", ".join(f"{n} {s.value.replace('-', ' ')}" for s, n in counts.items())
    out = [
        "<details><summary>Practices: " + summary + "</summary>",
        "",
        "| Dimension | Level | Practice | State | Evidence |",
        "|---|---:|---|---|---|",
    ]
    order = {name: i for i, name in enumerate(assessment.dimensions)}
    for p in sorted(
        assessment.practices, key=lambda p: (order.get(p.dimension.value, 99), p.level, p.id)
    ):
        cites = p.evidence or p.claims
        where = md_escape(cites[0].location, 80) if cites else ""
        out.append(
            f"| {md_escape(p.dimension.value)} | {p.level} | {md_escape(p.title)} "
            f"{code(p.id)} | {STATE_LABEL[p.state]} | {where} |"
        )
    return [*out, "", "</details>", ""]


def render_markdown(assessment: Assessment, *, link_base: str | None = None) -> str:
    """The PR-comment report; ``link_base`` prefixes file links (default: from the source)."""
    base = link_base if link_base is not None else link_base_for(assessment.source)
    if base and not base.endswith("/"):
        base += "/"
    stats = assessment.stats
    lines = [
        *_headline(assessment),
        *_dimensions(assessment),
        *_fusion(assessment),
        *_stages(assessment),
        *_findings(assessment, base),
        *_roadmap(assessment),
        *_next_steps(assessment),
        *_claimed(assessment),
        *_practices(assessment),
        f"<sub>HyperScore {md_escape(assessment.tool_version)} · {stats.files_seen} files "
        f"read in {stats.seconds:.1f} s · report schema {assessment.schema_version}</sub>",
    ]
    return "\n".join(lines) + "\n"
