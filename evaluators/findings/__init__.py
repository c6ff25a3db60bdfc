"""Security and hygiene findings (rules live in one module per family)."""

from __future__ import annotations

from hyperscore.evaluators.findings.engine import run_rules

__all__ = ["run_rules"]
