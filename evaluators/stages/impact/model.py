"""The impact GNN: two GraphSAGE layers over the cropped evidence/practice graph.

Readout pools practice nodes per maturity dimension (eight pooled vectors, so the head can
reproduce the rubric's per-dimension level structure) and evidence nodes as one mean, then
adds the whole graph's node-type log-counts; an MLP maps that to a forecast in [0, 100]
through a sigmoid, so the output can never leave the scale. An affine calibration fitted on
rated repositories (``calibration``) is applied after the network and clipped to [0, 100].

Weights are a plain ``{"state_dict": ..., "meta": ...}`` of tensors and primitives, saved
with ``torch.save`` and loaded with ``torch.load(weights_only=True)``: nothing is unpickled
beyond tensors, so a tampered file cannot run code.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch_geometric.nn import SAGEConv
from torch_geometric.utils import scatter

from hyperscore.evaluators.stages.impact.features import (
    DIMENSIONS,
    GLOBAL_FEATURES,
    NODE_FEATURES,
    NODE_TYPES,
    GraphTensors,
)

MODEL_VERSION = "impactfore-sage-1"
HIDDEN = 32


class ImpactModelError(ValueError):
    """The shipped weights are missing, damaged or do not match this code."""


@dataclass
class Batch:
    """Several graphs as one disjoint graph (what one forward pass consumes)."""

    x: torch.Tensor
    edge_index: torch.Tensor
    batch: torch.Tensor
    dim_of: torch.Tensor
    globals: torch.Tensor
    num_graphs: int

    def to(self, device: torch.device) -> Batch:
        return Batch(
            self.x.to(device),
            self.edge_index.to(device),
            self.batch.to(device),
            self.dim_of.to(device),
            self.globals.to(device),
            self.num_graphs,
        )


def collate(graphs: Sequence[GraphTensors]) -> Batch:
    xs, edges, batch, dims = [], [], [], []
    offset = 0
    for i, g in enumerate(graphs):
        n = g.x.shape[0]
        xs.append(g.x)
        edges.append(g.edge_index + offset)
        batch.append(torch.full((n,), i, dtype=torch.long))
        dims.append(g.dim_of)
        offset += n
    return Batch(
        x=torch.cat(xs),
        edge_index=torch.cat(edges, dim=1),
        batch=torch.cat(batch),
        dim_of=torch.cat(dims),
        globals=torch.stack([g.globals for g in graphs]),
        num_graphs=len(graphs),
    )


class ImpactGNN(nn.Module):
    """Node encoder -> 2 residual SAGE layers -> per-dimension practice pools -> MLP."""

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.hidden = hidden
        self.encode = nn.Linear(NODE_FEATURES, hidden)
        self.conv1 = SAGEConv(hidden, hidden)
        self.conv2 = SAGEConv(hidden, hidden)
        readout = (len(DIMENSIONS) + 1) * hidden + GLOBAL_FEATURES
        self.head = nn.Sequential(nn.Linear(readout, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, b: Batch) -> torch.Tensor:
        """Forecast per graph, in [0, 100] (before calibration)."""
        h = torch.relu(self.encode(b.x))
        h = h + torch.relu(self.conv1(h, b.edge_index))
        h = h + torch.relu(self.conv2(h, b.edge_index))
        n_dims = len(DIMENSIONS)
        is_practice = b.dim_of >= 0
        slot = b.batch[is_practice] * n_dims + b.dim_of[is_practice]
        practice = scatter(
            h[is_practice], slot, dim=0, dim_size=b.num_graphs * n_dims, reduce="mean"
        ).reshape(b.num_graphs, n_dims * self.hidden)
        is_evidence = b.dim_of == -1
        evidence = scatter(
            h[is_evidence], b.batch[is_evidence], dim=0, dim_size=b.num_graphs, reduce="mean"
        )
        out = self.head(torch.cat([practice, evidence, b.globals], dim=1)).squeeze(1)
        return 100.0 * torch.sigmoid(out)


@dataclass
class LoadedModel:
    net: ImpactGNN
    device: torch.device
    version: str
    sha256: str
    calibration: tuple[float, float] = (1.0, 0.0)
    meta: dict[str, Any] = field(default_factory=dict)

    def forecast(self, graphs: Sequence[GraphTensors]) -> list[float]:
        """Calibrated forecasts for ``graphs``, all in one forward pass."""
        with torch.inference_mode(), cpu_threads(1 if self.device.type == "cpu" else None):
            raw = self.net(collate(graphs).to(self.device)).cpu()
        a, b = self.calibration
        return [min(100.0, max(0.0, a * float(v) + b)) for v in raw]


_threads_lock = threading.Lock()


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run torch CPU ops on ``count`` intra-op threads, then restore the previous setting.

    The GNN's ops are small gathers and scatters: on a loaded 2-core machine one thread ran
    the what-if batch in 40 ms where two took 500 ms (thread hand-offs dominate). torch's
    setting is process-wide, hence the lock and the restore.
    """
    if count is None:
        yield
        return
    with _threads_lock:
        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save_weights(
    net: ImpactGNN, path: Path, calibration: tuple[float, float], meta: dict[str, Any]
) -> str:
    """Write the weights file; returns its sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "meta": {
            **meta,
            "version": MODEL_VERSION,
            "hidden": net.hidden,
            "node_features": NODE_FEATURES,
            "node_types": list(NODE_TYPES),
            "global_features": GLOBAL_FEATURES,
            "calibration": [float(calibration[0]), float(calibration[1])],
        },
    }
    torch.save(payload, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_weights(path: Path, device: torch.device | None = None) -> LoadedModel:
    """Load with ``weights_only=True``; any problem becomes one :class:`ImpactModelError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImpactModelError(
            f"impact model weights not readable: {path} ({exc.strerror})"
        ) from exc
    digest = hashlib.sha256(raw).hexdigest()
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        meta = dict(payload["meta"])
        if (
            meta.get("node_features") != NODE_FEATURES
            or meta.get("global_features") != GLOBAL_FEATURES
            or list(meta.get("node_types", ())) != list(NODE_TYPES)
        ):
            raise ImpactModelError(f"impact model weights {path.name} do not match the features")
        net = ImpactGNN(hidden=int(meta["hidden"]))
        net.load_state_dict(payload["state_dict"])
        a, b = (float(v) for v in meta.get("calibration", (1.0, 0.0)))
    except ImpactModelError:
        raise
    except Exception as exc:
        reason = " ".join(str(exc).split())[:160]
        raise ImpactModelError(
            f"impact model weights {path.name} are damaged ({exc.__class__.__name__}: {reason})"
        ) from exc
    device = device or pick_device()
    net.to(device).eval()
    return LoadedModel(
        net=net,
        device=device,
        version=str(meta.get("version", MODEL_VERSION)),
        sha256=digest,
        calibration=(a, b),
        meta=meta,
    )
