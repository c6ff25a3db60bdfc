"""DAG obligations: acyclicity, inputs produced-or-present, gate dominance.

Graphs are built per pipeline file (DVC, Airflow, Kubeflow, ... ``pipeline.stage`` with
``upstream``) and per CI file (``ci.job`` with ``needs``), with edges in *execution* order
(upstream -> downstream).

* Acyclicity. Negation "there is a cycle" as a circulation: one Boolean per edge, at least one
  edge chosen, and at every node as many chosen edges enter as leave. Such an edge set exists
  iff the graph has a cycle (every non-empty Eulerian subgraph contains one), so ``unsat`` means
  acyclic. The counterexample is a cycle that networkx finds among the chosen edges.
* Dominance. Negation "some path from the trigger to a deploy/register step avoids every gate".
  ``reached[v]`` needs a reached, gate-free predecessor with a smaller integer ``rank`` -- the
  ranks make the support well-founded, so a model is a real path (no self-justifying loop).
  The counterexample is that path, read back from the model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import z3

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.model import Evidence
from hyperscore.evaluators.stages.logic.obligations import Fact, Obligation, membership

GATE_WORDS = frozenset(
    {
        "test",
        "tests",
        "evaluate",
        "evaluation",
        "eval",
        "gate",
        "validate",
        "validation",
        "check",
        "verify",
        "approval",
        "approve",
    }
)
GATE_ROLES = frozenset({"test", "evaluate", "gate"})
TARGET_ROLES = frozenset({"deploy", "register"})
TRIGGER = "<trigger>"


@dataclass
class Flow:
    """One pipeline or CI file as a directed graph in execution order."""

    name: str
    path: str
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    items: dict[str, Evidence] = field(default_factory=dict)
    gates: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)


def _tokens(text: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t}


def flows(ctx: DetectionContext) -> list[Flow]:
    """Pipeline and CI graphs, one per defining file (and pipeline name)."""
    out: dict[tuple[str, str], Flow] = {}
    for st in ctx.kind("pipeline.stage"):
        key = (st.path, str(getattr(st, "pipeline", "")))
        flow = out.setdefault(key, Flow(name=f"{st.path}#{key[1]}", path=st.path))
        flow.graph.add_node(st.name)
        flow.items[st.name] = st
        for up in getattr(st, "upstream", ()):
            flow.graph.add_edge(up, st.name)
        role = str(getattr(st, "role", "other"))
        if role in GATE_ROLES:
            flow.gates.add(st.name)
        if role in TARGET_ROLES:
            flow.targets.add(st.name)
    for job in ctx.kind("ci.job"):
        key = (job.path, "")
        flow = out.setdefault(key, Flow(name=job.path, path=job.path))
        job_id = str(getattr(job, "job_id", job.name))
        flow.graph.add_node(job_id)
        flow.items[job_id] = job
        for need in getattr(job, "needs", ()):
            flow.graph.add_edge(need, job_id)
        roles = set(getattr(job, "roles", ()))
        if roles & TARGET_ROLES:
            flow.targets.add(job_id)
        # A job is a gate when testing is what it is for: a gate role without a deploy role, or
        # a name that says so (an "evaluate" job that promotes the model gates its own step).
        if (roles & GATE_ROLES and not roles & TARGET_ROLES) or _tokens(job_id) & GATE_WORDS:
            flow.gates.add(job_id)
    return [out[k] for k in sorted(out)]


def _cites(flow: Flow, nodes: Iterable[str], what: str) -> list[Citation]:
    return [cite(flow.items[n], what) for n in nodes if n in flow.items]


def acyclic(flow: Flow) -> Obligation:
    edges = sorted(flow.graph.edges())
    chosen = [z3.Bool(f"in_cycle[{u}->{v}]") for u, v in edges]
    negation: list[Any] = [z3.PbGe([(c, 1) for c in chosen], 1) if chosen else z3.BoolVal(False)]
    ins: dict[str, list[Any]] = defaultdict(list)
    outs: dict[str, list[Any]] = defaultdict(list)
    for c, (u, v) in zip(chosen, edges, strict=True):
        outs[u].append(c)
        ins[v].append(c)
    zero = [z3.IntVal(0)]
    for node in sorted(set(ins) | set(outs)):
        negation.append(
            z3.Sum([z3.If(c, 1, 0) for c in ins[node]] or zero)
            == z3.Sum([z3.If(c, 1, 0) for c in outs[node]] or zero)
        )

    def explain(model: Any) -> str:
        picked = [
            e
            for c, e in zip(chosen, edges, strict=True)
            if z3.is_true(model.eval(c, model_completion=True))
        ]
        cycle = nx.find_cycle(nx.DiGraph(picked))
        return "cycle: " + " -> ".join([u for u, _ in cycle] + [cycle[0][0]])

    return Obligation(
        id=f"dag.acyclic:{flow.name}",
        kind="dag.acyclic",
        statement=f"the dependency graph of {flow.name} is acyclic",
        negation=negation,
        explain=explain,
        evidence=_cites(flow, sorted(flow.graph), "node")[:10],
        detail={"nodes": flow.graph.number_of_nodes(), "edges": len(edges)},
    )


def _dirs(paths: Iterable[str]) -> set[str]:
    """Every folder that holds at least one of ``paths``."""
    out: set[str] = set()
    for p in paths:
        parts = p.split("/")
        out.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return out


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def inputs_available(ctx: DetectionContext, flow: Flow) -> list[Obligation]:
    """Per stage: every declared input is produced by an upstream stage or is in the repo."""
    tracked = {str(getattr(d, "target", "") or "") for d in ctx.kind("pipeline.data_version")}
    present = set(ctx.files) | tracked | _dirs(ctx.files) | _dirs(tracked)
    producer: dict[str, list[str]] = defaultdict(list)
    for name, stage in flow.items.items():
        for o in getattr(stage, "outputs", ()):
            producer[o.strip().rstrip("/").removeprefix("./")].append(name)
    out = []
    for name in sorted(flow.items):
        stage = flow.items[name]
        inputs = [i for i in getattr(stage, "inputs", ()) if i and "${" not in i and "://" not in i]
        if not inputs:
            continue
        ancestors = nx.ancestors(flow.graph, name) if name in flow.graph else set()
        facts = []
        for raw in inputs:
            wanted = raw.strip().rstrip("/").removeprefix("./")
            producers = sorted(
                a for p in _parents(wanted) for a in producer.get(p, ()) if a in ancestors
            )
            here = wanted in present or f"{wanted}.dvc" in present
            note = (
                f"produced upstream by {producers[0]}"
                if producers
                else "in the repository"
                if here
                else "neither in the repository nor produced by an upstream stage"
            )
            facts.append(Fact(raw, bool(producers) or here, cite(stage, f"input {raw}"), note))
        out.append(
            membership(
                f"dag.inputs:{flow.name}/{name}",
                "dag.inputs",
                f"every input of stage {name} ({flow.path}) is produced upstream or exists",
                facts,
                evidence=[cite(stage, "stage")],
                missing_word="unavailable input",
            )
        )
    return out


def gate_dominance(flow: Flow) -> list[Obligation]:
    """Per deploy/register target: every path from the trigger to it passes a gate first."""
    graph = flow.graph.copy()
    for node in list(graph.nodes()):
        if graph.in_degree(node) == 0:
            graph.add_edge(TRIGGER, node)
    out = []
    for target in sorted(flow.targets):
        out.append(_dominance(flow, graph, target))
    return out


def _dominance(flow: Flow, graph: nx.DiGraph, target: str) -> Obligation:
    # A target that is itself a gate by name (an "evaluate" job that promotes) gates itself.
    nodes = sorted(n for n in graph.nodes() if n == TRIGGER or nx.has_path(graph, n, target))
    reached = {n: z3.Bool(f"reached[{n}]") for n in nodes}
    rank = {n: z3.Int(f"rank[{n}]") for n in nodes}
    negation: list[Any] = [reached[TRIGGER], reached[target]]
    if target in flow.gates:
        negation.append(z3.BoolVal(False))
    preds: dict[str, list[str]] = defaultdict(list)
    for u, v in graph.edges():
        if u in reached and v in reached:
            preds[v].append(u)
    for n in nodes:
        if n == TRIGGER:
            continue
        if n in flow.gates and n != target:
            negation.append(z3.Not(reached[n]))
            continue
        support = [z3.And(reached[p], rank[p] < rank[n]) for p in sorted(preds[n])]
        negation.append(z3.Implies(reached[n], z3.Or(support) if support else z3.BoolVal(False)))

    def explain(model: Any) -> str:
        path, node = [target], target
        while node != TRIGGER and len(path) <= len(nodes):
            node = next(
                p
                for p in sorted(preds[node])
                if z3.is_true(model.eval(reached[p], model_completion=True))
                and z3.is_true(model.eval(rank[p] < rank[node], model_completion=True))
            )
            path.append(node)
        return "gate-free path: " + " -> ".join(reversed(path))

    return Obligation(
        id=f"dag.gate:{flow.name}/{target}",
        kind="dag.gate-dominance",
        statement=(
            f"in {flow.name}, every path from the trigger to {target} passes a test or "
            "evaluation gate first"
        ),
        negation=negation,
        explain=explain,
        evidence=_cites(flow, [target, *sorted(flow.gates & set(nodes))], "path node"),
        detail={"gates": sorted(flow.gates & set(nodes))},
    )


def obligations(ctx: DetectionContext) -> list[Obligation]:
    out: list[Obligation] = []
    for flow in flows(ctx):
        if flow.graph.number_of_edges():
            out.append(acyclic(flow))
        out.extend(inputs_available(ctx, flow))
        if flow.targets and nx.is_directed_acyclic_graph(flow.graph):
            out.extend(gate_dominance(flow))
    return out
