"""Build the evidence graph from the links parsers declared.

Parsers describe edges as data (``Link``); this module alone knows networkx. Node ids are
``"<type>:<key>"`` and the node's ``type`` attribute is that prefix, so consumers can select
"all pipeline stages" or "all CI jobs" without parsing ids. Every edge remembers the evidence
item (id and location) that asserted it, which is what findings and proofs cite later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from hyperscore.evaluators.model import Evidence, FileInfo

GRAPH_FORMAT = "node-link/1"


def node_type(node_id: str) -> str:
    prefix, sep, _ = node_id.partition(":")
    return prefix if sep else "unknown"


def build_graph(evidence: Iterable[Evidence]) -> nx.MultiDiGraph:
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for item in evidence:
        if isinstance(item, FileInfo):
            graph.add_node(f"file:{item.path}", type="file", size=item.size,
                           language=item.language)
            continue
        for link in item.links:
            for node in (link.src, link.dst):
                if node not in graph:
                    graph.add_node(node, type=node_type(node))
            graph.add_edge(link.src, link.dst, key=f"{link.rel}:{item.id}", rel=link.rel,
                           evidence=item.id, kind=item.kind, location=item.location)
    return graph


def graph_to_json(graph: nx.MultiDiGraph) -> dict[str, Any]:
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    data["format"] = GRAPH_FORMAT
    return data


def graph_from_json(data: dict[str, Any]) -> nx.MultiDiGraph:
    payload = {k: v for k, v in data.items() if k != "format"}
    graph: nx.MultiDiGraph = nx.node_link_graph(payload, edges="edges", directed=True,
                                                multigraph=True)
    return graph


def summarise(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """Counts of nodes by type and edges by relation (for the text report and benchmarks)."""
    nodes: dict[str, int] = {}
    for _, attrs in graph.nodes(data=True):
        kind = str(attrs.get("type", "unknown"))
        nodes[kind] = nodes.get(kind, 0) + 1
    edges: dict[str, int] = {}
    for _, _, attrs in graph.edges(data=True):
        rel = str(attrs.get("rel", "?"))
        edges[rel] = edges.get(rel, 0) + 1
    return {"nodes": dict(sorted(nodes.items())), "edges": dict(sorted(edges.items()))}
