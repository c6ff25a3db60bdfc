"""The finding rules on the four fixture projects, against tests/fixtures/expected.yaml.

Only rules registered by the security/hygiene rule modules (ML code, CI, containers, hygiene)
are checked here; expectations naming other rules (missing-license, claimed-only-*...) belong
to the modules that define them. full-mlops is the clean project: none of these rules may fire
on it, which covers its ``must_not_fire`` list and more.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from hyperscore.evaluators.assessment import Finding, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import all_rules, run_rules
from hyperscore.evaluators.ingest import ingest

ROOT = Path(__file__).resolve().parents[3]
EXPECTED: dict[str, Any] = yaml.safe_load(
    (ROOT / "tests/fixtures/expected.yaml").read_text(encoding="utf-8")
)["projects"]
MODULES = {
    f"hyperscore.evaluators.findings.rules.{name}"
    for name in ("ml_code", "ci", "containers", "hygiene")
}
OURS = {rid for rid, r in all_rules().items() if r.fn.__module__ in MODULES}


@cache
def findings_of(project: str) -> tuple[Finding, ...]:
    result = ingest(str(ROOT / EXPECTED[project]["path"]))
    return tuple(f for f in run_rules(DetectionContext(result=result), []) if f.rule_id in OURS)


def test_rule_ids_are_kebab_case_and_documented() -> None:
    assert len(OURS) >= 30
    for rid in OURS:
        r = all_rules()[rid]
        assert rid == rid.lower() and " " not in rid and "_" not in rid
        assert r.dimension is not None and r.tags and r.remediation and r.title
        assert r.fn.__doc__, f"{rid}: the rule function needs a docstring explaining why"


@pytest.mark.parametrize("project", sorted(EXPECTED))
def test_expected_findings_fire_at_expected_files(project: str) -> None:
    spec = EXPECTED[project]
    found = findings_of(project)
    fired = {f.rule_id for f in found}
    wanted = [rid for rid in spec.get("findings", []) if rid in OURS]
    assert not set(wanted) - fired, f"{project}: expected findings did not fire"
    for rid, where in (spec.get("finding_locations") or {}).items():
        if rid not in OURS:
            continue
        at = [f for f in found if f.rule_id == rid and f.path == where["path"]]
        assert at, f"{project}: {rid} did not fire at {where['path']}"
        assert {f.severity for f in at} == {Severity(where["severity"])}, (project, rid)


def test_clean_project_triggers_nothing() -> None:
    spec = EXPECTED["full-mlops"]
    assert spec["findings"] == []
    assert set(spec["must_not_fire"]) <= OURS
    assert [f"{f.rule_id} {f.location}" for f in findings_of("full-mlops")] == []


def test_messages_never_carry_the_planted_token() -> None:
    notebook = ROOT / "tests/fixtures/notebook-research/notebooks/02-finetune-bert.ipynb"
    text = notebook.read_text(encoding="utf-8")
    start = text.index("hf_")
    token = text[start : start + 37]
    for finding in findings_of("notebook-research"):
        assert token[:8] not in finding.message
