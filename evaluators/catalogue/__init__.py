"""The maturity model as data: one YAML file per practice, plus the level rules.

Like OpenSSF Scorecard's ``def.yml`` beside each probe, a practice's description, detection,
remediation and references live in ``practices/<dimension>/<id>.yaml``; the detector with the
same id lives in ``hyperscore.evaluators.decompose.detectors``. ``levels.yaml`` says which
practices earn each level of each dimension. Loading validates everything against the
pydantic schema, and a test checks every practice has exactly one detector and vice versa.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from hyperscore.evaluators.assessment import Dimension, Practice
from hyperscore.evaluators.ingest.formats import load_yaml


class CatalogueError(ValueError):
    """A malformed catalogue entry or level rule (a bug in the shipped data)."""


@cache
def load_practices() -> dict[str, Practice]:
    root = resources.files(__package__).joinpath("practices")
    practices: dict[str, Practice] = {}
    for dim_dir in sorted(root.iterdir(), key=lambda p: p.name):
        if not dim_dir.is_dir():
            continue
        for entry in sorted(dim_dir.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".yaml"):
                continue
            data = load_yaml(entry.read_text(encoding="utf-8"))
            try:
                practice = Practice.model_validate(data)
            except ValueError as exc:
                raise CatalogueError(f"{dim_dir.name}/{entry.name}: {exc}") from exc
            if practice.id != entry.name.removesuffix(".yaml"):
                raise CatalogueError(f"{entry.name}: id {practice.id!r} differs from file name")
            if practice.dimension.value != dim_dir.name:
                raise CatalogueError(f"{entry.name}: dimension {practice.dimension} != folder")
            practices[practice.id] = practice
    return practices


Rule = dict[str, Any] | str


@cache
def load_level_rules() -> dict[Dimension, dict[int, Rule]]:
    """``{dimension: {level: rule}}``.

    A rule is a practice id, ``{any: [rules]}``, ``{all: [rules]}`` or
    ``{atleast: N, of: [rules]}``. A dimension's level is the highest level whose rule holds.
    """
    text = resources.files(__package__).joinpath("levels.yaml").read_text(encoding="utf-8")
    data = load_yaml(text)
    known = load_practices()
    rules: dict[Dimension, dict[int, Rule]] = {}
    for dim in Dimension:
        levels = data.get(dim.value)
        if not isinstance(levels, dict):
            raise CatalogueError(f"levels.yaml: no rules for {dim.value}")
        rules[dim] = {}
        for level, rule in levels.items():
            if int(level) not in (1, 2, 3, 4):
                raise CatalogueError(f"levels.yaml: {dim.value} has level {level}")
            for pid in rule_practices(rule):
                if pid not in known:
                    raise CatalogueError(f"levels.yaml: {dim.value}/{level} names {pid!r}")
            rules[dim][int(level)] = rule
    return rules


def rule_practices(rule: Rule) -> list[str]:
    if isinstance(rule, str):
        return [rule]
    out: list[str] = []
    for key in ("any", "all", "of"):
        for sub in rule.get(key, []):
            out.extend(rule_practices(sub))
    return out


def evaluate_rule(rule: Rule, satisfied: set[str]) -> bool:
    if isinstance(rule, str):
        return rule in satisfied
    if "all" in rule:
        return all(evaluate_rule(r, satisfied) for r in rule["all"])
    if "atleast" in rule:
        hits = sum(1 for r in rule["of"] if evaluate_rule(r, satisfied))
        return hits >= int(rule["atleast"])
    return any(evaluate_rule(r, satisfied) for r in rule.get("any", []))


def missing_for(rule: Rule, satisfied: set[str]) -> list[str]:
    """The practice ids that would satisfy ``rule`` with the fewest additions (greedy)."""
    if isinstance(rule, str):
        return [] if rule in satisfied else [rule]
    if "all" in rule:
        out: list[str] = []
        for sub in rule["all"]:
            for pid in missing_for(sub, satisfied):
                if pid not in out:
                    out.append(pid)
        return out
    if "atleast" in rule:
        need = int(rule["atleast"]) - sum(1 for r in rule["of"] if evaluate_rule(r, satisfied))
        gaps = sorted((missing_for(sub, satisfied) for sub in rule["of"]), key=len)
        picked: list[str] = []
        for gap in [g for g in gaps if g][: max(need, 0)]:
            picked.extend(p for p in gap if p not in picked)
        return picked
    options = [missing_for(sub, satisfied) for sub in rule.get("any", [])]
    if not options or any(not o for o in options):
        return []
    return min(options, key=len)
