"""The terminal report (rich): headline, dimensions, fusion, stages, findings, roadmap, next steps.

Colour is the caller's decision (``color=True`` only for a TTY without ``NO_COLOR``); without it
the output is plain text with no escape sequences, fit for logs and pipes. Project-derived
strings are printed with markup disabled, so a ``[red]`` in a file name stays literal.
"""

from __future__ import annotations

import io
import shutil

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hyperscore.evaluators.assessment import Assessment, Check, Finding, Severity, StageResult
from hyperscore.evaluators.report import (
    SEVERITY_ORDER,
    claimed_only,
    dimension_level_text,
    first_paragraph,
    level_bar,
    level_name,
    next_steps,
    one_line,
    severity_counts,
    sorted_findings,
    text_blocks,
)
from hyperscore.evaluators.report import sections as sec

MAX_FINDINGS = 15
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}
LEVEL_STYLE = {0: "red", 1: "red", 2: "yellow", 3: "green", 4: "bold green"}


def _headline(assessment: Assessment) -> Text:
    source = assessment.source
    rev = f" @ {source.revision[:12]}" if source.revision else ""
    line = Text()
    line.append("Maturity score ", style="bold")
    line.append(f"{assessment.score:.1f}/100", style=f"bold {_score_style(assessment.score)}")
    line.append("  ·  level ")
    line.append(
        f"{assessment.level} ({level_name(assessment.level)})",
        style=LEVEL_STYLE.get(assessment.level, ""),
    )
    if assessment.fusion is not None or assessment.hyper_score is not None:
        line.append("\n" + sec.fusion_headline(assessment))
    line.append(f"\n{source.location}{rev}", style="dim")
    return line


def _score_style(score: float) -> str:
    return "green" if score >= 75 else "yellow" if score >= 40 else "red"


def _dimension_table(assessment: Assessment) -> Table:
    table = Table(title="Dimensions", title_justify="left", expand=False, show_lines=False)
    table.add_column("dimension", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("means", overflow="fold", max_width=32)
    table.add_column("why", overflow="fold")
    details = {d.name.value: d for d in assessment.dimension_details}
    for name, level in assessment.dimensions.items():
        bar = Text(level_bar(level), style=LEVEL_STYLE.get(level, ""))
        bar.append(f" {level}")
        detail = details.get(name)
        why = Text(one_line(detail.rationale) if detail else "")
        if detail and detail.claimed_only:
            why.append(f" (claimed only: {', '.join(detail.claimed_only)})", style="magenta")
        table.add_row(Text(name), bar, Text(dimension_level_text(name, level), style="dim"), why)
    return table


def _finding_line(finding: Finding) -> Text:
    line = Text("    ")
    line.append(finding.location, style="bold")
    line.append(f"  {one_line(finding.message, 160)}")
    line.append(f"  [{finding.rule_id}]", style="dim")
    return line


def _findings(console: Console, assessment: Assessment, limit: int) -> None:
    findings = sorted_findings(assessment.findings)
    counts = severity_counts(findings)
    summary = ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s])
    console.print(
        Text(f"\nFindings ({len(findings)}{': ' + summary if summary else ''})", style="bold")
    )
    if not findings:
        console.print("  none")
        return
    shown = findings[:limit]
    for severity in SEVERITY_ORDER:
        group = [f for f in shown if f.severity == severity]
        if not group:
            continue
        console.print(
            Text(f"  {severity.value.upper()} ({counts[severity]})", style=SEVERITY_STYLE[severity])
        )
        for finding in group:
            console.print(_finding_line(finding))
    if len(findings) > limit:
        console.print(
            Text(f"  ... and {len(findings) - limit} more (see --format json or html)", style="dim")
        )
    fixes: dict[str, Finding] = {}
    for finding in shown:
        fixes.setdefault(finding.rule_id, finding)
    if fixes:
        console.print(Text("  how to fix:", style="dim"))
        for rule_id, finding in fixes.items():
            fix = Text(f"    {rule_id}: ", style="dim")
            fix.append(first_paragraph(finding.remediation, 200))
            console.print(fix)


def _fusion(console: Console, assessment: Assessment) -> None:
    fusion = assessment.fusion
    if fusion is None:
        return
    title = "Score fusion" + ("  (LOW CONFIDENCE)" if sec.low_confidence(assessment) else "")
    console.print(Text(f"\n{title}", style="bold"))
    console.print(Text("  " + sec.fusion_headline(assessment)))
    console.print(Text("  " + " · ".join(sec.fusion_facts(assessment)), style="dim"))
    if assessment.components:
        table = Table(expand=False, show_lines=False, box=None, padding=(0, 2, 0, 2))
        for i, head in enumerate(sec.COMPONENT_HEADER):
            table.add_column(head, justify="right" if 0 < i < 5 else "left", overflow="fold")
        for comp in sec.ordered_components(assessment):
            table.add_row(*(Text(cell) for cell in sec.component_cells(comp)))
        console.print(table)
    if fusion.note:
        console.print(Text(f"  {one_line(fusion.note)}", style="yellow"))


def _check_lines(check: Check) -> list[Text]:
    head = Text(f"    {check.result.upper()} ", style="bold red")
    head.append(one_line(check.statement, 200))
    where = sec.check_location(check)
    if where:
        head.append(f"  {where}", style="dim")
    lines = [head]
    if sec.is_run(check):
        lines.append(Text("      " + ", ".join(sec.run_facts(check))))
    if check.counterexample:
        lines.append(Text(f"      counterexample: {one_line(check.counterexample, 400)}"))
    return lines


def _stage(console: Console, stage: StageResult) -> None:
    head = Text(f"  {stage.stage}", style="bold")
    head.append(f"  {stage.status}  score {sec.score_text(stage)}")
    seconds = sec.seconds_text(stage)
    if seconds:
        head.append(f"  {seconds}", style="dim")
    console.print(head)
    if stage.summary:
        console.print(Text(f"    {one_line(stage.summary, 300)}", style="dim"))
    details = sec.key_details(stage)
    if details:
        console.print(Text("    " + "; ".join(f"{k}: {v}" for k, v in details), style="dim"))
    problems = sec.problem_checks(stage)[: sec.MAX_PROBLEMS]
    for check in problems:
        for line in _check_lines(check):
            console.print(line, overflow="fold")
    more = sec.more_text(stage, len(problems))
    if more:
        console.print(Text(f"    {more}", style="dim"))
    runs = [c for c in stage.checks if sec.is_run(c) and c.result not in sec.PROBLEM_RESULTS]
    for check in runs:
        facts = ", ".join(sec.run_facts(check))
        run = f"    {check.result}: {one_line(sec.run_label(check), 120)}: {facts}"
        console.print(Text(run, style="dim"), overflow="fold")
    counts = sec.result_counts(stage)
    if counts:
        console.print(Text(f"    checks: {sec.counts_text(counts)}", style="dim"))


def _stages(console: Console, assessment: Assessment) -> None:
    stages = sec.ordered_stages(assessment)
    if not stages:
        return
    console.print(Text("\nStages", style="bold"))
    for stage in stages:
        _stage(console, stage)


def _roadmap(console: Console, assessment: Assessment) -> None:
    items = sec.roadmap(assessment)
    if not items:
        return
    total = len(assessment.roadmap)
    more = f", top {len(items)} of {total}" if total > len(items) else ""
    console.print(Text(f"\nRoadmap (forecast gain{more})", style="bold"))
    for item in items:
        line = Text(f"  - {sec.roadmap_line(item)}")
        line.append(f" [{item.practice}] effort {item.effort}", style="dim")
        console.print(line)


def _next_steps(console: Console, assessment: Assessment) -> None:
    steps = next_steps(assessment)
    console.print(Text("\nNext steps", style="bold"))
    if not steps:
        console.print("  nothing missing: every dimension is at its highest level")
        return
    current = None
    for step in steps:
        if step.dimension != current:
            current = step.dimension
            head = Text(
                f"  {step.dimension} {step.current_level} -> {step.target_level}", style="bold"
            )
            head.append(
                f" ({dimension_level_text(step.dimension, step.target_level)})", style="dim"
            )
            console.print(head)
        line = Text(f"    - {step.title}")
        line.append(f" [{step.practice_id}]", style="dim")
        if step.effort:
            line.append(f" effort {step.effort}", style="dim")
        if step.claimed:
            line.append("  (claimed in the docs, not found in the files)", style="magenta")
        console.print(line)
        if step.remediation:
            _remediation(console, step.remediation)


def _remediation(console: Console, remediation: str, max_lines: int = 12) -> None:
    lines: list[Text] = []
    for kind, body in text_blocks(remediation):
        if kind == "p":
            lines.append(Text(f"      {body}", style="dim"))
        else:
            lines += [Text(f"          {code}", style="green") for code in body.splitlines()]
    for line in lines[:max_lines]:
        console.print(line, overflow="fold")
    if len(lines) > max_lines:
        console.print(Text("          ...", style="dim"))


def _claimed(console: Console, assessment: Assessment) -> None:
    practices = claimed_only(assessment)
    if not practices:
        return
    console.print(
        Text(
            f"\nClaimed only ({len(practices)}): the docs say so, the files do not show it",
            style="bold magenta",
        )
    )
    for practice in practices:
        line = Text(f"  - {practice.title}")
        line.append(f" [{practice.dimension.value}]", style="dim")
        if practice.claims:
            line.append(f"  claimed at {practice.claims[0].location}", style="dim")
        console.print(line)


def render_text(
    assessment: Assessment,
    *,
    color: bool = False,
    width: int | None = None,
    max_findings: int = MAX_FINDINGS,
) -> str:
    """The report; ``width`` defaults to the terminal's (80-140) with colour, else 110."""
    if width is None:
        columns = shutil.get_terminal_size((110, 24)).columns
        width = max(80, min(columns, 140)) if color else 110
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,
        color_system="auto" if color else None,
    )
    console.print(_headline(assessment))
    console.print()
    console.print(_dimension_table(assessment))
    _fusion(console, assessment)
    _stages(console, assessment)
    _findings(console, assessment, max_findings)
    _roadmap(console, assessment)
    _next_steps(console, assessment)
    _claimed(console, assessment)
    stats = assessment.stats
    console.print(
        Text(
            f"\n{stats.files_seen} files seen, {stats.files_parsed} parsed in {stats.seconds:.2f} s"
            f" · hyperscore {assessment.tool_version} · report schema {assessment.schema_version}",
            style="dim",
        )
    )
    return buffer.getvalue()
