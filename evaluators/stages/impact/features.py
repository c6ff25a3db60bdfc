"""Turn the evidence/practice graph (node-link JSON) into tensors for the impact GNN.

Why these features:

* **Node type** (one-hot over the types parsers emit, plus "other"): the GNN must tell a CI
  job from a Python module from a practice.
* **Content** (16 numbers): practice nodes carry their catalogue embedding -- the mean of the
  bundled MiniLM vectors of the practice's title and example claims, shipped with the package
  -- through a fixed seeded random projection (384 -> 16). The projection does not depend on
  the catalogue, so a practice added later lands in the same space without retraining the
  projection, and no Transformer runs at assessment time. Evidence nodes get a signed hashed
  bag of their id's path tokens and suffix (``ci.yml``, ``Dockerfile``, ``tests``): cheap,
  deterministic, and enough to separate workflow files from notebooks.
* **Practice state** (present / claimed-only / absent), **dimension** one-hot and **level**
  one-hot for practice nodes (zeros elsewhere).
* **Dimension hubs**: one node per maturity dimension, linked to that dimension's practices,
  so a practice sees whether its dimension's lower levels are in place (8 extra nodes and 64
  edge pairs rather than all-pairs links inside each dimension, which made the what-if batch
  seven times heavier).

The GNN has two message-passing layers, so only nodes within two hops of a practice can
change a practice's embedding: the graph is cropped to that neighbourhood (plus every
practice), which bounds the size of a 2k-file project's graph and makes the what-if batch
cheap. What the crop drops is still summarised in the global features: log-counts of every
node type in the whole graph.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from hyperscore.evaluators.assessment import Dimension, PracticeState

NODE_TYPES: tuple[str, ...] = (
    "practice",
    "file",
    "module",
    "package",
    "param",
    "artifact",
    "make-target",
    "k8s",
    "ci-job",
    "ci-stage",
    "action",
    "stage",
    "image",
    "metric",
    "iac",
    "service",
    "alert",
    "tool",
    "pipeline",
    "helm-chart",
    "serving",
    "dashboard",
    "template",
    "dimension",
    "other",
)
TYPE_INDEX = {t: i for i, t in enumerate(NODE_TYPES)}
STATES: tuple[str, ...] = tuple(s.value for s in PracticeState)
DIMENSIONS: tuple[str, ...] = tuple(d.value for d in Dimension)
DIM_INDEX = {d: i for i, d in enumerate(DIMENSIONS)}
CONTENT_DIM = 16
LEVELS = 4
HOPS = 2
PROJECTION_SEED = 20240611
HUB = -2  # dim_of value of dimension hub nodes (pooled neither as practice nor as evidence)

T, C, S, D = len(NODE_TYPES), CONTENT_DIM, len(STATES), len(DIMENSIONS)
OFF_CONTENT, OFF_STATE, OFF_DIM, OFF_LEVEL = T, T + C, T + C + S, T + C + S + D
OFF_SIZE = OFF_LEVEL + LEVELS
NODE_FEATURES = OFF_SIZE + 1
GLOBAL_FEATURES = T + 1  # log-count per node type, log total node count

_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class GraphTensors:
    """One cropped graph: node features, undirected edges, practice rows and dimensions."""

    x: torch.Tensor  # [N, NODE_FEATURES] float32
    edge_index: torch.Tensor  # [2, E] int64, both directions
    dim_of: torch.Tensor  # [N] int64: dimension of practice nodes, HUB for hubs, -1 evidence
    globals: torch.Tensor  # [GLOBAL_FEATURES] float32
    practice_rows: dict[str, int]  # practice id -> row in x


@functools.cache
def _projection() -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(PROJECTION_SEED)
    return (rng.standard_normal((384, CONTENT_DIM)) / math.sqrt(CONTENT_DIM)).astype(np.float32)


@functools.cache
def practice_content() -> dict[str, npt.NDArray[np.float32]]:
    """Projected catalogue embedding per practice id (zeros when its vectors are not bundled)."""
    from hyperscore.evaluators.decompose.encoder import bundled_vectors, content_key
    from hyperscore.evaluators.decompose.semantic import claim_sentences

    bundle = bundled_vectors()
    sums: dict[str, list[npt.NDArray[np.float32]]] = {}
    for pid, sentence in claim_sentences():
        vec = bundle.get(content_key(sentence))
        if vec is not None:
            sums.setdefault(pid, []).append(vec)
    out: dict[str, npt.NDArray[np.float32]] = {}
    for pid, vecs in sums.items():
        mean = np.mean(np.stack(vecs), axis=0) @ _projection()
        out[pid] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
    return out


@functools.cache
def hashed_content(node_id: str) -> tuple[float, ...]:
    """Signed feature hashing of an evidence node's id tokens (stable across processes)."""
    _, _, key = node_id.partition(":")
    tail = key.rsplit("/", 1)[-1]
    tokens = [t.lower() for t in _TOKEN.findall(key)][-8:]
    if "." in tail:
        tokens.append("ext." + tail.rsplit(".", 1)[-1].lower())
    vec = [0.0] * CONTENT_DIM
    for tok in tokens:
        h = zlib.crc32(tok.encode())
        vec[h % CONTENT_DIM] += 1.0 if (h >> 16) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return tuple(v / norm for v in vec)


def practice_row(dimension: str, level: int, state: str, pid: str) -> npt.NDArray[np.float32]:
    """The feature row of one practice node (also used to flip a state in a counterfactual)."""
    row = np.zeros(NODE_FEATURES, dtype=np.float32)
    row[TYPE_INDEX["practice"]] = 1.0
    content = practice_content().get(pid)
    if content is not None:
        row[OFF_CONTENT : OFF_CONTENT + C] = content
    if state in STATES:
        row[OFF_STATE + STATES.index(state)] = 1.0
    if dimension in DIM_INDEX:
        row[OFF_DIM + DIM_INDEX[dimension]] = 1.0
    if 1 <= level <= LEVELS:
        row[OFF_LEVEL + level - 1] = 1.0
    return row


def _evidence_row(node: Mapping[str, Any], node_id: str, kind: str) -> npt.NDArray[np.float32]:
    row = np.zeros(NODE_FEATURES, dtype=np.float32)
    row[TYPE_INDEX.get(kind, TYPE_INDEX["other"])] = 1.0
    row[OFF_CONTENT : OFF_CONTENT + C] = hashed_content(node_id)
    size = node.get("size")
    if isinstance(size, int | float) and size > 0:
        row[OFF_SIZE] = math.log1p(float(size)) / 10.0
    return row


def node_kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if isinstance(kind, str) and kind:
        return kind
    node_id = str(node.get("id", ""))
    return node_id.partition(":")[0] if ":" in node_id else "other"


def _neighbourhood(seeds: Iterable[int], adjacency: Sequence[list[int]], hops: int) -> set[int]:
    keep = set(seeds)
    frontier = set(keep)
    for _ in range(hops):
        frontier = {n for f in frontier for n in adjacency[f]} - keep
        keep |= frontier
    return keep


def graph_lists(graph: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """The node and edge lists of a node-link document, or a ValueError saying it has none."""
    nodes = graph.get("nodes")
    edges = graph.get("edges", graph.get("links"))
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise ValueError("the evidence graph has no node/edge lists")
    return nodes, edges


def has_practice_nodes(graph: Mapping[str, Any]) -> bool:
    return any(node_kind(n) == "practice" for n in graph_lists(graph)[0])


def featurise(graph: Mapping[str, Any]) -> GraphTensors:
    """Crop a node-link graph with practice nodes to the practices' 2-hop neighbourhood."""
    nodes, edges = graph_lists(graph)
    ids = [str(n.get("id")) for n in nodes]
    index = {nid: i for i, nid in enumerate(ids)}
    kinds = [node_kind(n) for n in nodes]
    adjacency: list[list[int]] = [[] for _ in ids]
    pairs: list[tuple[int, int]] = []
    for e in edges:
        src, dst = index.get(str(e.get("source"))), index.get(str(e.get("target")))
        if src is None or dst is None or src == dst:
            continue
        adjacency[src].append(dst)
        adjacency[dst].append(src)
        pairs.append((src, dst))
    practices = [i for i, k in enumerate(kinds) if k == "practice"]
    keep = sorted(_neighbourhood(practices, adjacency, HOPS))
    row_of = {old: new for new, old in enumerate(keep)}
    x = np.zeros((len(keep), NODE_FEATURES), dtype=np.float32)
    dim_of = np.full(len(keep), -1, dtype=np.int64)
    practice_rows: dict[str, int] = {}
    for new, old in enumerate(keep):
        node = nodes[old]
        if kinds[old] == "practice":
            pid = ids[old].partition(":")[2]
            dimension = str(node.get("dimension", ""))
            level = node.get("level")
            x[new] = practice_row(
                dimension, level if isinstance(level, int) else 0, str(node.get("state")), pid
            )
            dim_of[new] = DIM_INDEX.get(dimension, -1)
            practice_rows[pid] = new
        else:
            x[new] = _evidence_row(node, ids[old], kinds[old])
    kept_pairs = {(row_of[s], row_of[d]) for s, d in pairs if s in row_of and d in row_of}
    x, dim_of = _add_hubs(x, dim_of, practice_rows, kept_pairs)
    edge_list = sorted(kept_pairs | {(d, s) for s, d in kept_pairs})
    edge_index = (
        torch.tensor(edge_list, dtype=torch.long).t().contiguous()
        if edge_list
        else torch.zeros((2, 0), dtype=torch.long)
    )
    return GraphTensors(
        x=torch.from_numpy(x),
        edge_index=edge_index,
        dim_of=torch.from_numpy(dim_of),
        globals=global_features(kinds),
        practice_rows=practice_rows,
    )


def _add_hubs(
    x: npt.NDArray[np.float32],
    dim_of: npt.NDArray[np.int64],
    practice_rows: Mapping[str, int],
    pairs: set[tuple[int, int]],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Append one hub node per dimension and link it to that dimension's practices."""
    hubs = np.zeros((D, NODE_FEATURES), dtype=np.float32)
    hubs[:, TYPE_INDEX["dimension"]] = 1.0
    hubs[np.arange(D), OFF_DIM + np.arange(D)] = 1.0
    first = x.shape[0]
    for row in practice_rows.values():
        if dim_of[row] >= 0:
            pairs.add((row, first + int(dim_of[row])))
    return np.concatenate([x, hubs]), np.concatenate([dim_of, np.full(D, HUB, dtype=np.int64)])


def global_features(kinds: Sequence[str]) -> torch.Tensor:
    counts = np.zeros(GLOBAL_FEATURES, dtype=np.float32)
    for kind in kinds:
        counts[TYPE_INDEX.get(kind, TYPE_INDEX["other"])] += 1.0
    counts[T] = float(len(kinds))
    return torch.from_numpy(np.log1p(counts) / 10.0)


def global_features_add(globals_: torch.Tensor, kinds: Sequence[str]) -> torch.Tensor:
    """``globals_`` of a graph with nodes of ``kinds`` added (for counterfactual graphs)."""
    counts = torch.round(torch.expm1(globals_ * 10.0))
    for kind in kinds:
        counts[TYPE_INDEX.get(kind, TYPE_INDEX["other"])] += 1.0
    counts[T] += float(len(kinds))
    return torch.log1p(counts) / 10.0
