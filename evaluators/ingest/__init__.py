"""Module 1: read a project (directory, git, archive) into typed evidence and one graph.

``ingest(spec)`` is the whole of module 1 for callers: open the source, walk it with every
registered parser, build the evidence graph, return an :class:`IngestResult`.
"""

from __future__ import annotations

from hyperscore.evaluators.ingest.graph import build_graph, graph_to_json
from hyperscore.evaluators.ingest.source import Limits, SourceError, SourceFile, SourceTree
from hyperscore.evaluators.ingest.walk import ProgressFn, Walker
from hyperscore.evaluators.model import IngestResult

__all__ = ["Limits", "SourceError", "ingest", "ingest_tree"]


def ingest_tree(
    tree: SourceTree, progress: ProgressFn | None = None, files: list[SourceFile] | None = None
) -> IngestResult:
    walker = Walker(progress=progress)
    evidence = walker.run(tree, files)
    graph = build_graph(evidence)
    return IngestResult(
        source=tree.info, evidence=evidence, graph=graph_to_json(graph), stats=walker.stats
    )


def ingest(
    spec: str,
    rev: str | None = None,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Ingest a directory, git repository (path or URL, at ``rev``) or archive."""
    from hyperscore.evaluators.ingest.sources import open_source

    with open_source(spec, rev=rev, limits=limits) as tree:
        return ingest_tree(tree, progress=progress)
