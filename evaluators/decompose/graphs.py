"""Structural decomposition: the views of the evidence graph that later stages consume.

The ingestion graph already holds every edge parsers declared; this module cuts typed views
out of it (the Python import graph, pipeline DAGs per framework, the CI job graph) and links
practice nodes to the files that evidence them, so the logic stage can prove properties of
DAGs and the impact GNN can read one graph with practices in it.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from hyperscore.evaluators.assessment import PracticeResult, PracticeState
from hyperscore.evaluators.ingest.graph import graph_from_json, graph_to_json


def _subgraph(graph: nx.MultiDiGraph, node_type: str, rels: set[str]) -> nx.DiGraph:
    view: nx.DiGraph = nx.DiGraph()
    for node, attrs in graph.nodes(data=True):
        if attrs.get("type") == node_type:
            view.add_node(node, **attrs)
    for src, dst, attrs in graph.edges(data=True):
        if attrs.get("rel") in rels and src in view and dst in view:
            view.add_edge(src, dst, rel=attrs.get("rel"), location=attrs.get("location"))
    return view


def import_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Modules and their ``imports`` edges (module -> imported module)."""
    return _subgraph(graph, "module", {"imports"})


def pipeline_dag(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Pipeline stages with ``after`` edges (stage -> its upstream stage), all frameworks."""
    return _subgraph(graph, "stage", {"after"})


def ci_job_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """CI jobs with ``needs`` edges (job -> the job it needs)."""
    return _subgraph(graph, "ci-job", {"needs"})


def link_practices(graph_json: dict[str, Any], practices: list[PracticeResult]) -> dict[str, Any]:
    """Add ``practice:<id>`` nodes, linked from each file that evidences or claims them."""
    graph = graph_from_json(graph_json)
    for p in practices:
        node = f"practice:{p.id}"
        graph.add_node(
            node, type="practice", state=p.state.value, dimension=p.dimension.value, level=p.level
        )
        for rel, cites in (("evidences", p.evidence), ("claims", p.claims)):
            for c in cites:
                src = f"file:{c.path}"
                if src not in graph:
                    graph.add_node(src, type="file")
                graph.add_edge(
                    src, node, key=f"{rel}:{c.location}", rel=rel, location=c.location, what=c.what
                )
    return graph_to_json(graph)


def present(practices: list[PracticeResult]) -> set[str]:
    return {p.id for p in practices if p.state == PracticeState.PRESENT}
