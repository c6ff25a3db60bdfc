"""Training the impact GNN on generated projects, and calibrating it on rated ones.

Used by ``hack/train_impact.py`` (``make train-impact``) and by the tests, which train a
small model end to end in seconds: one code path, so the test exercises what ships.
Everything is seeded (Python, torch, the generator), so the same command writes the same
weights on the same hardware.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from hyperscore.evaluators.stages.impact.features import GraphTensors, featurise
from hyperscore.evaluators.stages.impact.model import ImpactGNN, collate, pick_device
from hyperscore.evaluators.stages.impact.synth import generate


@dataclass(frozen=True)
class Sample:
    graph: GraphTensors
    label: float
    baseline: float


def generated_samples(count: int, seed: int, noise: float = 3.0) -> list[Sample]:
    rng = random.Random(seed)  # noqa: S311 - seeded data generation, not security
    out = []
    for _ in range(count):
        project = generate(rng, noise=noise)
        out.append(Sample(featurise(project.graph), project.label, project.baseline))
    return out


@dataclass(frozen=True)
class TrainReport:
    epochs: int
    seconds: float
    final_loss: float
    device: str


def train(
    samples: Sequence[Sample],
    *,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    device: torch.device | None = None,
) -> tuple[ImpactGNN, TrainReport]:
    """Adam on the mean squared error of forecasts (in hundredths), seeded."""
    torch.manual_seed(seed)
    order_rng = random.Random(seed)  # noqa: S311 - seeded shuffling, not security
    device = device or pick_device()
    net = ImpactGNN().to(device)
    optim = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(optim, T_max=max(epochs, 1))
    indices = list(range(len(samples)))
    started = time.perf_counter()
    loss_value = float("nan")
    for _ in range(epochs):
        order_rng.shuffle(indices)
        net.train()
        total, seen = 0.0, 0
        for start in range(0, len(indices), batch_size):
            chunk = [samples[i] for i in indices[start : start + batch_size]]
            batch = collate([s.graph for s in chunk]).to(device)
            target = torch.tensor([s.label for s in chunk], device=device) / 100.0
            loss = torch.mean((net(batch) / 100.0 - target) ** 2)
            optim.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optim.step()
            total += float(loss.detach()) * len(chunk)
            seen += len(chunk)
        sched.step()
        loss_value = total / max(seen, 1)
    net.eval()
    return net, TrainReport(epochs, time.perf_counter() - started, loss_value, str(device))


def predict(net: ImpactGNN, graphs: Sequence[GraphTensors], batch_size: int = 256) -> list[float]:
    device = next(net.parameters()).device
    out: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(graphs), batch_size):
            batch = collate(graphs[start : start + batch_size]).to(device)
            out.extend(float(v) for v in net(batch).cpu())
    return out


def fit_affine(raw: Sequence[float], target: Sequence[float]) -> tuple[float, float]:
    """Least-squares ``target ~ a * raw + b`` (identity when the fit is degenerate)."""
    n = len(raw)
    if n < 3:
        return 1.0, 0.0
    mx, my = sum(raw) / n, sum(target) / n
    sxx = sum((x - mx) ** 2 for x in raw)
    if sxx < 1e-9:
        return 1.0, 0.0
    a = sum((x - mx) * (y - my) for x, y in zip(raw, target, strict=True)) / sxx
    return a, my - a * mx


def mean_squared_error(pred: Sequence[float], target: Sequence[float]) -> float:
    return sum((p - t) ** 2 for p, t in zip(pred, target, strict=True)) / max(len(pred), 1)
