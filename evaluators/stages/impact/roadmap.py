"""What-if roadmap: the forecast gain of adopting each missing practice, in a sensible order.

For every absent or claimed-only practice the counterfactual graph is the project's graph
with that practice's node switched to *present* and given the evidence an adopting project
would have (a file of the usual kind and the artefacts parsers find in it, as the training
generator builds them). The base graph and all counterfactuals go through the GNN in one
forward pass; ``gain = forecast(counterfactual) - forecast(project)``.

Order: a practice's prerequisites are what the catalogue's level rules need one level below
it in its dimension (``missing_for``), so the roadmap never asks for drift monitoring before
any monitoring exists. Items are placed in topological order of prerequisites; among the
ready ones, items whose forecast gain is positive come before those that would not move the
forecast, then the lowest catalogue level goes first (the rubric is a ladder: a project
without CI gets CI before drift monitoring), then the best gain per unit of effort.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from hyperscore.evaluators.assessment import (
    Dimension,
    PracticeResult,
    PracticeState,
    RoadmapItem,
)
from hyperscore.evaluators.catalogue import load_level_rules, load_practices, missing_for
from hyperscore.evaluators.decompose.practices import dimension_levels
from hyperscore.evaluators.stages.impact.features import (
    CONTENT_DIM,
    NODE_FEATURES,
    OFF_CONTENT,
    TYPE_INDEX,
    GraphTensors,
    global_features_add,
    hashed_content,
    practice_row,
)
from hyperscore.evaluators.stages.impact.model import LoadedModel
from hyperscore.evaluators.stages.impact.synth import ARTEFACTS

EFFORT_COST = {"low": 1.0, "medium": 2.0, "high": 4.0}
CANDIDATES = (PracticeState.ABSENT, PracticeState.CLAIMED_ONLY)


def counterfactual(base: GraphTensors, practice: PracticeResult) -> GraphTensors:
    """``base`` with ``practice`` present and an evidence file (plus its artefacts) attached."""
    row = base.practice_rows.get(practice.id)
    x = base.x.clone()
    if row is not None:
        x[row] = torch.from_numpy(
            practice_row(practice.dimension.value, practice.level, "present", practice.id)
        )
    path, artefacts = ARTEFACTS.get(practice.id, (f"{practice.id}.txt", ()))
    kinds = ["file", *(kind for kind, _, _ in artefacts)]
    extra = torch.zeros((len(kinds), NODE_FEATURES))
    for i, kind in enumerate(kinds):
        extra[i, TYPE_INDEX.get(kind, TYPE_INDEX["other"])] = 1.0
        node_id = f"file:{path}" if i == 0 else f"{kind}:{practice.id}-0"  # as synth names it
        extra[i, OFF_CONTENT : OFF_CONTENT + CONTENT_DIM] = torch.tensor(hashed_content(node_id))
    n = x.shape[0]
    new_edges = [(n + i, n) for i in range(1, len(kinds))]
    if row is not None:
        new_edges.append((n, row))
    pairs = torch.tensor(new_edges, dtype=torch.long).t().reshape(2, -1)
    edge_index = torch.cat([base.edge_index, pairs, pairs.flip(0)], dim=1)
    return GraphTensors(
        x=torch.cat([x, extra]),
        edge_index=edge_index,
        dim_of=torch.cat([base.dim_of, torch.full((len(kinds),), -1, dtype=torch.long)]),
        globals=global_features_add(base.globals, kinds),
        practice_rows=base.practice_rows,
    )


def prerequisites(practice: PracticeResult, present: set[str]) -> list[str]:
    """What the level rule just below this practice's level still needs (catalogue data)."""
    if practice.level <= 1:
        return []
    rule = load_level_rules()[practice.dimension].get(practice.level - 1)
    if rule is None:
        return []
    return [pid for pid in missing_for(rule, present) if pid != practice.id]


def _rationale(
    practice: PracticeResult,
    practices: Sequence[PracticeResult],
    gain: float,
    levels: dict[Dimension, int],
) -> str:
    dim = practice.dimension
    adopted = [
        p.model_copy(update={"state": PracticeState.PRESENT}) if p.id == practice.id else p
        for p in practices
        if p.dimension == dim
    ]
    after = next(d.level for d in dimension_levels(adopted) if d.name == dim)
    parts = [f"forecast {gain:+.1f} points"]
    if after != levels[dim]:
        parts.append(f"{dim.value} level {levels[dim]} -> {after} by the rubric")
    elif levels[dim] < 4:
        parts.append(f"progress toward {dim.value} level {levels[dim] + 1}")
    else:
        parts.append(f"{dim.value} is already at level 4")
    if practice.state == PracticeState.CLAIMED_ONLY:
        parts.append("claimed in prose: add the artefact that shows it")
    return "; ".join(parts)


def order(items: list[RoadmapItem], levels: dict[str, int]) -> list[RoadmapItem]:
    """Topological in prerequisites; among ready items those the forecast says help (gain >
    0) first, then by catalogue level, then by gain per effort."""
    remaining = {i.practice: i for i in items}
    placed: list[RoadmapItem] = []
    while remaining:
        ready = [
            i
            for i in remaining.values()
            if not any(p in remaining and p != i.practice for p in i.prerequisites)
        ] or list(remaining.values())  # a cycle cannot happen with sane rules; never hang
        best = min(
            ready,
            key=lambda i: (
                i.gain <= 0.0,
                levels[i.practice],
                -i.gain / EFFORT_COST[i.effort],
                i.practice,
            ),
        )
        placed.append(best)
        del remaining[best.practice]
    return placed


def roadmap(
    model: LoadedModel, base: GraphTensors, practices: Sequence[PracticeResult]
) -> tuple[float, list[RoadmapItem]]:
    """Forecast of the project and its ordered what-if roadmap (one forward pass)."""
    candidates = [p for p in practices if p.state in CANDIDATES]
    forecasts = model.forecast([base, *(counterfactual(base, p) for p in candidates)])
    forecast = forecasts[0]
    present = {p.id for p in practices if p.state == PracticeState.PRESENT}
    catalogue = load_practices()
    levels = {d.name: d.level for d in dimension_levels(list(practices))}
    items = []
    for practice, after in zip(candidates, forecasts[1:], strict=True):
        gain = round(after - forecast, 2)
        entry = catalogue.get(practice.id)
        items.append(
            RoadmapItem(
                practice=practice.id,
                title=f"Adopt {practice.title}",
                dimension=practice.dimension,
                gain=gain,
                prerequisites=[
                    pid
                    for pid in prerequisites(practice, present)
                    if any(c.id == pid for c in candidates)
                ],
                effort=entry.effort if entry else "medium",
                rationale=_rationale(practice, practices, gain, levels),
            )
        )
    return forecast, order(items, {p.id: p.level for p in candidates})
