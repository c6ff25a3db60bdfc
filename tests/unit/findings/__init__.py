"""Tests of the finding rules, each on a tiny project written to a temporary directory.

``fire(tmp_path, files, rule_id)`` writes ``files`` (path -> text, or bytes for binaries),
ingests the directory exactly as an assessment would, runs every registered rule and returns
the findings of ``rule_id``. Each rule gets a positive and a negative test; the negative one
is the near-miss a careless rule would flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hyperscore.evaluators.assessment import Finding
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import run_rules
from hyperscore.evaluators.ingest import ingest


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def all_findings(root: Path, files: Mapping[str, str | bytes] | None = None) -> list[Finding]:
    if files:
        write(root, files)
    result = ingest(str(root))
    return run_rules(DetectionContext(result=result), [])


def fire(root: Path, files: Mapping[str, str | bytes], rule_id: str) -> list[Finding]:
    """Findings of ``rule_id`` on a project made of ``files``."""
    return [f for f in all_findings(root, files) if f.rule_id == rule_id]
