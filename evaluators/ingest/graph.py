"""Build the evidence graph from the links parsers declared.

Parsers describe edges as data (``Link``); this module alone knows networkx. Node ids are
``"<type>:<key>"`` and the node's ``type`` attribute is that prefix, so consumers can select
"all pipeline stages" or "all CI jobs" without parsing ids. Every edge remembers the evidence
item (id and location) that asserted it, which is what findings and proofs cite later.

Ingestion only needs the graph's node-link JSON, so :func:`build_graph` fills plain dicts
(:class:`EvidenceGraph`) and writes that JSON itself -- the same document networkx writes for
the equivalent ``MultiDiGraph``, node for node and edge for edge, without importing networkx
(a third of a second at start-up) or building its per-edge structures. Consumers that need
graph algorithms read the JSON back with :func:`graph_from_json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hyperscore.evaluators.model import Evidence, FileInfo

if TYPE_CHECKING:
    import networkx as nx

GRAPH_FORMAT = "node-link/1"


def node_type(node_id: str) -> str:
    prefix, sep, _ = node_id.partition(":")
    return prefix if sep else "unknown"


class EvidenceGraph:
    """A directed multigraph as insertion-ordered dicts, with networkx's update semantics.

    ``nodes[n]`` holds the node's attributes; ``adjacency[u][v][key]`` an edge's. Adding an
    existing node or keyed edge updates its attributes in place, as networkx does, so the
    node-link JSON comes out in the same order with the same values.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.adjacency: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}

    def add_node(self, node: str, **attrs: Any) -> None:
        existing = self.nodes.get(node)
        if existing is None:
            self.nodes[node] = attrs
            self.adjacency[node] = {}
        else:
            existing.update(attrs)

    def add_edge(self, src: str, dst: str, key: str, **attrs: Any) -> None:
        for node in (src, dst):
            if node not in self.nodes:
                self.add_node(node)
        keyed = self.adjacency[src].setdefault(dst, {})
        existing = keyed.get(key)
        if existing is None:
            keyed[key] = attrs
        else:
            existing.update(attrs)

    def to_json(self) -> dict[str, Any]:
        """networkx ``node_link_data(graph, edges="edges")`` of the equivalent MultiDiGraph."""
        return {
            "directed": True,
            "multigraph": True,
            "graph": {},
            "nodes": [{**attrs, "id": node} for node, attrs in self.nodes.items()],
            "edges": [
                {**attrs, "source": src, "target": dst, "key": key}
                for src, targets in self.adjacency.items()
                for dst, keyed in targets.items()
                for key, attrs in keyed.items()
            ],
            "format": GRAPH_FORMAT,
        }

    def to_networkx(self) -> nx.MultiDiGraph:
        return graph_from_json(self.to_json())


def build_graph(evidence: Iterable[Evidence]) -> EvidenceGraph:
    graph = EvidenceGraph()
    nodes = graph.nodes
    for item in evidence:
        if isinstance(item, FileInfo):
            graph.add_node(f"file:{item.path}", type="file", size=item.size, language=item.language)
            continue
        links = item.links
        if not links:
            continue
        evidence_id, location, kind = item.id, item.location, item.kind
        for link in links:
            for node in (link.src, link.dst):
                if node not in nodes:
                    graph.add_node(node, type=node_type(node))
            graph.add_edge(
                link.src,
                link.dst,
                key=f"{link.rel}:{evidence_id}",
                rel=link.rel,
                evidence=evidence_id,
                kind=kind,
                location=location,
            )
    return graph


def graph_to_json(graph: EvidenceGraph | nx.MultiDiGraph) -> dict[str, Any]:
    if isinstance(graph, EvidenceGraph):
        return graph.to_json()
    import networkx as nx

    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    data["format"] = GRAPH_FORMAT
    return data


def graph_from_json(data: dict[str, Any]) -> nx.MultiDiGraph:
    import networkx as nx

    payload = {k: v for k, v in data.items() if k != "format"}
    graph: nx.MultiDiGraph = nx.node_link_graph(
        payload, edges="edges", directed=True, multigraph=True
    )
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
