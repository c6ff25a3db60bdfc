"""Proof obligations and their discharge by z3.

Convention (also in docs/logic.md): an obligation carries the SMT encoding of the *negation* of
its property. The solver answers ``unsat`` -> no counterexample exists -> **proved**; ``sat`` ->
the model is a counterexample -> **refuted**; ``unknown`` (timeout, incompleteness) ->
**unknown**. One convention for every family means an exported ``.smt2`` file can be re-checked
by any SMT-LIB 2 prover without knowing which family produced it.

Many obligations are propositional (``exists(x)`` facts about the file set): they still go
through z3 so the report, the export and the counterexample path are uniform.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import z3

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.stages.base import Check

Verdict = Literal["proved", "refuted", "unknown", "not-applicable"]
Explain = Callable[[Any], str]
"""Turns a z3 model of the negation into a counterexample in words."""


@dataclass
class Obligation:
    """One property to prove: its words, the encoded negation and how to explain a model.

    ``why_unknown`` set means the property could not be encoded from the evidence (a config
    file whose keys were never read): the result is ``unknown`` without calling the solver.
    ``refutation`` is the counterexample text for encodings whose model says little (the
    quantified version encodings): the conflicting constraints, computed when the obligation
    is built.
    """

    id: str
    kind: str
    statement: str
    negation: list[Any] = field(default_factory=list)
    evidence: list[Citation] = field(default_factory=list)
    explain: Explain | None = None
    refutation: str | None = None
    why_unknown: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def solver_for(ob: Obligation, timeout_ms: int) -> Any:
    """A fresh solver holding the obligation's negation (one per obligation: no interference)."""
    solver = z3.Solver()
    solver.set("timeout", int(timeout_ms))
    for formula in ob.negation:
        solver.add(formula)
    return solver


def discharge(ob: Obligation, timeout_ms: int = 2000) -> Check:
    """Decide one obligation and render it as a stage :class:`Check`."""
    detail = dict(ob.detail)
    if ob.why_unknown is not None:
        detail["reason"] = ob.why_unknown
        return _check(ob, "unknown", None, detail)
    solver = solver_for(ob, timeout_ms)
    started = time.perf_counter()
    answer = solver.check()
    detail["solver_seconds"] = round(time.perf_counter() - started, 4)
    if answer == z3.unsat:
        return _check(ob, "proved", None, detail)
    if answer == z3.sat:
        text = ob.explain(solver.model()) if ob.explain is not None else None
        return _check(ob, "refuted", text or ob.refutation or "a model of the negation", detail)
    detail["reason"] = f"solver: {solver.reason_unknown()}"
    return _check(ob, "unknown", None, detail)


def _check(ob: Obligation, result: Verdict, cex: str | None, detail: dict[str, Any]) -> Check:
    return Check(
        id=ob.id,
        kind=ob.kind,
        statement=ob.statement,
        result=result,
        evidence=ob.evidence,
        counterexample=cex,
        detail=detail,
    )


def to_smt2(ob: Obligation, timeout_ms: int = 2000) -> str:
    """SMT-LIB 2 text of the obligation with a header stating what ``unsat`` means."""
    header = [
        f"; obligation: {ob.id}",
        f"; kind: {ob.kind}",
        *(f"; statement: {line}" for line in ob.statement.splitlines()),
        "; encoding: the NEGATION of the property is asserted.",
        "; expected: unsat = proved (no counterexample); sat = refuted; unknown = undecided.",
    ]
    if ob.why_unknown is not None:
        header.append(f"; not encodable from the evidence: {ob.why_unknown}")
    return "\n".join(header) + "\n" + str(solver_for(ob, timeout_ms).to_smt2())


def safe_name(obligation_id: str) -> str:
    """A file name for an obligation id (ids hold paths and colons)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", obligation_id).strip("_")[:180] or "obligation"


# --------------------------------------------------------------------------------------------
# Membership obligations: "every x in this list exists"
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One ``exists(x)`` fact: what it is called, whether the evidence holds it, and where."""

    label: str
    holds: bool
    cite: Citation | None = None
    note: str = ""


def membership(
    ob_id: str,
    kind: str,
    statement: str,
    facts: Sequence[Fact],
    evidence: Sequence[Citation] = (),
    missing_word: str = "missing",
) -> Obligation:
    """Property ``AND_i exists_i`` with the facts as axioms; negation ``OR_i not exists_i``.

    Each fact becomes a named Boolean so the exported SMT file reads as the property itself
    (``exists[data/raw.csv]``) and the model names the failing items.
    """
    variables = [z3.Bool(f"exists[{f.label}]") for f in facts]
    axioms = [v == z3.BoolVal(f.holds) for v, f in zip(variables, facts, strict=True)]
    negation = [*axioms, z3.Or([z3.Not(v) for v in variables])] if facts else [z3.BoolVal(False)]

    def explain(model: Any) -> str:
        bad = [
            f
            for v, f in zip(variables, facts, strict=True)
            if z3.is_false(model.eval(v, model_completion=True))
        ]
        parts = []
        for f in bad:
            where = f" ({f.cite.location})" if f.cite is not None else ""
            parts.append(f"{f.label}{where}{': ' + f.note if f.note else ''}")
        return f"{missing_word}: " + "; ".join(parts)

    cites = list(evidence) + [f.cite for f in facts if f.cite is not None and not f.holds]
    return Obligation(
        id=ob_id,
        kind=kind,
        statement=statement,
        negation=negation,
        evidence=_dedupe(cites),
        explain=explain,
        detail={"items": len(facts), "failing": sum(not f.holds for f in facts)},
    )


def _dedupe(cites: Sequence[Citation]) -> list[Citation]:
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for c in cites:
        key = (c.path, c.line, c.what)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out[:20]
