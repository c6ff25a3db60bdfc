"""Version obligations over integer tuples ``(major, minor, patch)``.

A version is three non-negative integers ordered lexicographically; specifiers (PEP 440
``>=1.2,<2``, ``~=``, ``==1.2.*``, poetry ``^``/``~``, conda ``=1.2``) become linear constraints
on them. Components past the third and pre/post/dev tags are dropped -- a documented
approximation that can only merge versions, never split them.

* ``versions.python-range``: the declared ``requires-python`` ranges (pyproject, setup.cfg,
  lock files) admit a common version.
* ``versions.python-runtime``: each runtime named elsewhere (Dockerfile ``python:3.11-slim``,
  CI matrix ``3.10``) admits a version inside those ranges. A floating tag (``3.11``) stands for
  any ``3.11.x``: the property is that *some* such release is allowed.
* ``versions.package``: the constraints on one package across requirement files and lock files
  admit a common version (requirements with environment markers are left out).

Each is the existential ``exists v. C1(v) and ... and Cn(v)``; the negation asserted is
``forall v. not (...)`` -- linear integer arithmetic, which z3 decides. On refutation the
counterexample is the unsat core of the positive form: the constraints that clash.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.stages.logic.obligations import Obligation

Version = tuple[int, int, int]
_V = (z3.Int("major"), z3.Int("minor"), z3.Int("patch"))
_NUM = re.compile(r"^v?(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?")
_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|>=|<=|>|<|\^|~|=)?\s*([^\s,;]+)\s*$")


class SpecError(ValueError):
    """A specifier this encoding does not understand (the obligation becomes unknown)."""


@dataclass(frozen=True)
class Constraint:
    """One source's constraint: its words, its formula over ``_V``, and where it is written."""

    label: str
    formula: Any
    cite: Citation


def _parse(text: str) -> tuple[list[int], bool]:
    """Numeric components (at most 3) and whether the text ended in a ``.*`` wildcard."""
    m = _NUM.match(text.strip())
    if not m:
        raise SpecError(f"not a version: {text!r}")
    parts = [g for g in m.groups() if g is not None]
    wildcard = "*" in parts
    return [int(p) for p in parts if p != "*"], wildcard


def _tuple(parts: Sequence[int]) -> Version:
    padded = [*parts, 0, 0, 0][:3]
    return padded[0], padded[1], padded[2]


def _lt(a: Version) -> Any:
    """``v < a`` lexicographically."""
    x, y, z = _V
    return z3.Or(x < a[0], z3.And(x == a[0], y < a[1]), z3.And(x == a[0], y == a[1], z < a[2]))


def _ge(a: Version) -> Any:
    return z3.Not(_lt(a))


def _prefix(parts: Sequence[int]) -> Any:
    """``v`` starts with ``parts`` (``3.11`` as a runtime tag, ``==3.11.*``)."""
    return z3.And([var == p for var, p in zip(_V, parts, strict=False)] or [z3.BoolVal(True)])


def _bump(parts: Sequence[int], at: int) -> Version:
    head = list(parts[: at + 1])
    head[-1] += 1
    return _tuple(head)


def clause(op: str, text: str) -> Any:
    """One ``op version`` clause as a formula over ``(major, minor, patch)``."""
    parts, wildcard = _parse(text)
    v = _tuple(parts)
    if op in ("==", "===", "=", ""):
        # conda ``=1.2`` and a bare ``1.2`` mean 1.2.*; PEP 440 ``==1.2`` means 1.2.0 exactly.
        return _prefix(parts) if wildcard or op in ("=", "") else _prefix(v)
    if op == "!=":
        return z3.Not(_prefix(parts) if wildcard else _prefix(v))
    if op == ">=":
        return _ge(v)
    if op == "<":
        return _lt(v)
    if op == ">":
        return z3.And(_ge(v), z3.Not(_prefix(parts) if len(parts) < 3 else _prefix(v)))
    if op == "<=":
        return z3.Or(_lt(v), _prefix(parts) if len(parts) < 3 else _prefix(v))
    if op == "~=":
        if len(parts) < 2:
            raise SpecError("~= needs two components")
        return z3.And(_ge(v), _lt(_bump(parts, len(parts) - 2)))
    if op == "^":
        first = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        return z3.And(_ge(v), _lt(_bump(parts, first)))
    if op == "~":
        return z3.And(_ge(v), _lt(_bump(parts, min(1, len(parts) - 1))))
    raise SpecError(f"operator {op!r}")


def specifier(text: str) -> Any:
    """A comma-separated specifier (``>=3.10,<3.13``; ``||`` alternatives for poetry/conda)."""
    alternatives = []
    for alt in re.split(r"\|\|?", text):
        clauses = []
        for raw in re.split(r"[,\s]+(?=[<>=!~^])|,", alt):
            if not raw.strip():
                continue
            m = _CLAUSE.match(raw)
            if not m:
                raise SpecError(f"cannot read {raw!r}")
            clauses.append(clause(m.group(1) or "", m.group(2)))
        alternatives.append(z3.And(clauses) if clauses else z3.BoolVal(True))
    return z3.Or(alternatives)


def _domain() -> Any:
    return z3.And([var >= 0 for var in _V])


def common_version(
    ob_id: str, kind: str, statement: str, constraints: Sequence[Constraint]
) -> Obligation:
    """``exists v. AND constraints``; asserted negation ``forall v. not AND``; core on refute."""
    body = z3.And(_domain(), *[c.formula for c in constraints])
    negation = [z3.ForAll(list(_V), z3.Not(body))]
    core = z3.Solver()
    core.set("timeout", 2000)
    core.add(_domain())
    for i, c in enumerate(constraints):
        core.assert_and_track(c.formula, f"c{i}")
    refutation = None
    if core.check() == z3.unsat:
        names = {str(n) for n in core.unsat_core()}
        clash = [c for i, c in enumerate(constraints) if f"c{i}" in names] or list(constraints)
        refutation = "no version satisfies all of: " + "; ".join(
            f"{c.label} ({c.cite.location})" for c in clash
        )
    return Obligation(
        id=ob_id,
        kind=kind,
        statement=statement,
        negation=negation,
        refutation=refutation,
        evidence=[c.cite for c in constraints],
        detail={"constraints": [c.label for c in constraints]},
    )


def _python_ranges(ctx: DetectionContext) -> tuple[list[Constraint], list[str]]:
    ranges, errors = [], []
    for m in ctx.kind("dep.manifest"):
        spec = getattr(m, "python_requires", None)
        if not spec:
            continue
        try:
            ranges.append(
                Constraint(
                    f"{m.path} requires-python {spec}",
                    specifier(spec),
                    cite(m, f"requires-python {spec}"),
                )
            )
        except SpecError as exc:
            errors.append(f"{m.path}: {exc}")
    for r in ctx.kind("dep.requirement"):
        spec = str(getattr(r, "specifier", "") or "")
        if r.name == "python" and spec:
            try:
                ranges.append(
                    Constraint(
                        f"{r.path} python {spec}", specifier(spec), cite(r, "python requirement")
                    )
                )
            except SpecError as exc:
                errors.append(f"{r.path}: {exc}")
    return ranges, errors


_IMAGE = re.compile(r"^(?:[\w.-]+/)*python:(\d+(?:\.\d+){0,2})(?:[-@]|$)")


def _runtimes(ctx: DetectionContext) -> list[Constraint]:
    out = []
    for d in ctx.kind("infra.dockerfile"):
        image = str(getattr(d, "base_image", "") or "")
        m = _IMAGE.match(image)
        if m:
            parts, _ = _parse(m.group(1))
            out.append(
                Constraint(
                    f"{d.path} base image python:{m.group(1)}",
                    _prefix(parts),
                    cite(d, f"base image {image}"),
                )
            )
    seen: set[tuple[str, str]] = set()
    for item in ctx.kind("ci.job", "ci.pipeline"):
        for version in getattr(item, "python_versions", ()):
            if (item.path, version) in seen:
                continue
            seen.add((item.path, version))
            try:
                parts, _ = _parse(version)
            except SpecError:
                continue
            out.append(
                Constraint(
                    f"{item.path} CI python {version}",
                    _prefix(parts),
                    cite(item, f"CI python {version}"),
                )
            )
    return out


def python_obligations(ctx: DetectionContext) -> list[Obligation]:
    ranges, errors = _python_ranges(ctx)
    out = []
    if errors:
        out.append(
            Obligation(
                id="versions.python-range",
                kind="versions.python-range",
                statement="the declared requires-python ranges admit a version",
                why_unknown="; ".join(errors),
            )
        )
    elif len(ranges) > 1:
        out.append(
            common_version(
                "versions.python-range",
                "versions.python-range",
                "the declared requires-python ranges admit a common version",
                ranges,
            )
        )
    if ranges and not errors:
        for rt in _runtimes(ctx):
            out.append(
                common_version(
                    f"versions.python-runtime:{rt.label}",
                    "versions.python-runtime",
                    f"{rt.label} admits a Python version that the declared ranges allow",
                    [rt, *ranges],
                )
            )
    return out


def package_obligations(ctx: DetectionContext) -> list[Obligation]:
    """One obligation per package constrained in two or more files."""
    by_name: dict[str, list[Constraint]] = defaultdict(list)
    unreadable: dict[str, list[str]] = defaultdict(list)
    for r in ctx.kind("dep.requirement"):
        spec = str(getattr(r, "specifier", "") or "")
        if (
            not r.name
            or r.name == "python"
            or not spec
            or getattr(r, "marker", None)
            or getattr(r, "url", None)
        ):
            continue
        try:
            by_name[r.name].append(
                Constraint(f"{r.path} {r.name}{spec}", specifier(spec), cite(r, f"{r.name}{spec}"))
            )
        except SpecError as exc:
            unreadable[r.name].append(f"{r.path}: {exc}")
    locked: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for lk in ctx.kind("dep.locked"):
        version = getattr(lk, "version", None)
        if lk.name and version and not getattr(lk, "marker", None):
            locked[(lk.name, lk.path)].append(lk)
    for (name, path), items in sorted(locked.items()):
        try:
            formula = z3.Or([_prefix(_tuple(_parse(str(i.version))[0])) for i in items])
        except SpecError as exc:
            unreadable[name].append(f"{path}: {exc}")
            continue
        versions = ", ".join(sorted({str(i.version) for i in items}))
        by_name[name].append(
            Constraint(
                f"{path} locks {name}=={versions}",
                formula,
                cite(items[0], f"locked {name} {versions}"),
            )
        )
    out = []
    for name in sorted(set(by_name) | set(unreadable)):
        cons = by_name.get(name, [])
        paths = {c.cite.path for c in cons} | {u.split(": ")[0] for u in unreadable.get(name, [])}
        if len(paths) < 2:
            continue
        statement = f"the constraints on {name} across dependency files admit a common version"
        if unreadable.get(name):
            out.append(
                Obligation(
                    id=f"versions.package:{name}",
                    kind="versions.package",
                    statement=statement,
                    evidence=[c.cite for c in cons],
                    why_unknown="; ".join(unreadable[name]),
                )
            )
        else:
            out.append(
                common_version(f"versions.package:{name}", "versions.package", statement, cons)
            )
    return out


def obligations(ctx: DetectionContext) -> list[Obligation]:
    return python_obligations(ctx) + package_obligations(ctx)
