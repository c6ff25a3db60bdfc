"""The evidence summary per modality: what ingestion found, before any scoring.

One plain data structure (:func:`summarise`) feeds every format, so text and Markdown never
disagree about counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hyperscore.evaluators.model import Evidence, IngestResult, Modality, Omitted, Unparseable

EXAMPLES_PER_KIND = 3


@dataclass
class KindSummary:
    kind: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class ModalitySummary:
    modality: str
    items: int
    kinds: list[KindSummary]


@dataclass
class Summary:
    source: str
    revision: str | None
    files_seen: int
    files_parsed: int
    seconds: float
    modalities: list[ModalitySummary]
    problems: list[str]
    graph_nodes: int
    graph_edges: int


def _example(item: Evidence) -> str:
    label = item.name or item.kind
    return f"{label} ({item.location})"


def summarise(result: IngestResult) -> Summary:
    by_modality: dict[str, dict[str, list[Evidence]]] = {}
    problems: list[str] = []
    for item in result.evidence:
        if isinstance(item, Unparseable):
            problems.append(f"unparseable {item.path} [{item.parser}]: {item.reason}")
            continue
        if isinstance(item, Omitted):
            detail = f": {item.detail}" if item.detail else ""
            problems.append(f"omitted {item.path} ({item.reason}){detail}")
            continue
        if item.modality == Modality.FILES:
            continue
        by_modality.setdefault(item.modality.value, {}).setdefault(item.kind, []).append(item)
    modalities = []
    for modality in Modality:
        kinds = by_modality.get(modality.value)
        if not kinds:
            continue
        summaries = [
            KindSummary(kind=k, count=len(v), examples=[_example(e) for e in v[:EXAMPLES_PER_KIND]])
            for k, v in sorted(kinds.items())
        ]
        modalities.append(
            ModalitySummary(
                modality=modality.value, items=sum(s.count for s in summaries), kinds=summaries
            )
        )
    graph = result.graph
    return Summary(
        source=result.source.location,
        revision=result.source.revision,
        files_seen=result.stats.files_seen,
        files_parsed=result.stats.files_parsed,
        seconds=result.stats.seconds,
        modalities=modalities,
        problems=problems,
        graph_nodes=len(graph.get("nodes", [])),
        graph_edges=len(graph.get("edges", [])),
    )


def render_markdown(result: IngestResult) -> str:
    summary = summarise(result)
    rev = f" at `{summary.revision[:12]}`" if summary.revision else ""
    out = [
        f"## HyperScore evidence summary: `{summary.source}`{rev}",
        "",
        f"{summary.files_seen} files seen, {summary.files_parsed} parsed in "
        f"{summary.seconds:.2f} s; evidence graph: {summary.graph_nodes} nodes, "
        f"{summary.graph_edges} edges.",
        "",
        "| modality | kind | count | examples |",
        "|---|---|---:|---|",
    ]
    for mod in summary.modalities:
        for kind in mod.kinds:
            examples = "<br>".join(e.replace("|", "\\|") for e in kind.examples)
            out.append(f"| {mod.modality} | `{kind.kind}` | {kind.count} | {examples} |")
    if summary.problems:
        out += ["", f"### Not read ({len(summary.problems)})", ""]
        out += [f"- {p}" for p in summary.problems[:50]]
        if len(summary.problems) > 50:
            out.append(f"- ... and {len(summary.problems) - 50} more")
    return "\n".join(out) + "\n"


def render_text(result: IngestResult, color: bool = False, width: int = 100) -> str:
    """Terminal rendering (rich tables); ``color`` only when writing to a TTY."""
    import io

    from rich.console import Console
    from rich.table import Table

    summary = summarise(result)
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False
    )
    rev = f" @ {summary.revision[:12]}" if summary.revision else ""
    console.print(f"[bold]HyperScore evidence summary[/bold]: {summary.source}{rev}")
    console.print(
        f"{summary.files_seen} files seen, {summary.files_parsed} parsed in "
        f"{summary.seconds:.2f} s; graph {summary.graph_nodes} nodes / "
        f"{summary.graph_edges} edges"
    )
    for mod in summary.modalities:
        table = Table(
            title=f"{mod.modality} ({mod.items})",
            title_justify="left",
            show_lines=False,
            expand=False,
        )
        table.add_column("kind", style="cyan", no_wrap=True)
        table.add_column("count", justify="right")
        table.add_column("examples", overflow="fold")
        for kind in mod.kinds:
            table.add_row(kind.kind, str(kind.count), "\n".join(kind.examples))
        console.print(table)
    if summary.problems:
        console.print(f"[yellow]Not read ({len(summary.problems)}):[/yellow]")
        for problem in summary.problems[:20]:
            console.print(f"  - {problem}", markup=False)
        if len(summary.problems) > 20:
            console.print(f"  ... and {len(summary.problems) - 20} more (see --format json)")
    return buffer.getvalue()
