"""Finding rules: each a small function over the detection context, registered with metadata.

A rule yields :class:`Hit` values (where, what); the engine attaches the rule's id, severity,
remediation and dimension, so rule bodies hold only detection logic and the metadata is
available to SARIF (``tool.driver.rules``) without running anything.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hyperscore.evaluators.assessment import (
    Dimension,
    Finding,
    PracticeResult,
    Severity,
)
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.model import Evidence


@dataclass(frozen=True)
class Hit:
    path: str
    line: int | None
    message: str
    severity: Severity | None = None  # overrides the rule's default when set

    @classmethod
    def at(cls, item: Evidence, message: str, severity: Severity | None = None) -> Hit:
        return cls(item.path, item.line, message, severity)


RuleFn = Callable[[DetectionContext, list[PracticeResult]], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    remediation: str
    dimension: Dimension | None
    tags: tuple[str, ...]
    fn: RuleFn


_RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    title: str,
    severity: Severity,
    remediation: str,
    dimension: Dimension | None = None,
    tags: Iterable[str] = (),
) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        if rule_id in _RULES:
            raise ValueError(f"finding rule {rule_id!r} registered twice")
        _RULES[rule_id] = Rule(rule_id, title, severity, remediation, dimension, tuple(tags), fn)
        return fn

    return register


def all_rules() -> dict[str, Rule]:
    from hyperscore.evaluators.findings import rules as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return dict(_RULES)


def run_rules(ctx: DetectionContext, practices: list[PracticeResult]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str, int | None]] = set()
    for r in all_rules().values():
        for hit in r.fn(ctx, practices):
            key = (r.id, hit.path, hit.line)
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Finding(
                    rule_id=r.id,
                    title=r.title,
                    severity=hit.severity or r.severity,
                    path=hit.path,
                    line=hit.line,
                    message=hit.message,
                    remediation=r.remediation,
                    dimension=r.dimension,
                    tags=list(r.tags),
                )
            )
    return findings
