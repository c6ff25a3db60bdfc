"""Every format from a real assessment of the bundled projects (detectors and rules included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hyperscore.evaluators.assessment import Assessment
from hyperscore.evaluators.model import IngestResult
from hyperscore.evaluators.pipeline import Options, assess
from hyperscore.evaluators.report import FORMATS, render
from hyperscore.evaluators.report.json_report import SCHEMA_FILE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
PROJECTS = ["tests/fixtures/full-mlops", "examples/demo-project"]
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module", params=PROJECTS)
def assessed(request: pytest.FixtureRequest) -> tuple[Assessment, IngestResult]:
    return assess(str(ROOT / request.param), Options(semantic=False))


@pytest.fixture(scope="module")
def reports(assessed: tuple[Assessment, IngestResult]) -> dict[str, str]:
    assessment, result = assessed
    return {fmt: render(assessment, fmt, ingest=result) for fmt in FORMATS}


def test_json_report_validates_and_carries_the_verdict(
    assessed: tuple[Assessment, IngestResult], reports: dict[str, str]
) -> None:
    assessment, _ = assessed
    data: dict[str, Any] = json.loads(reports["json"])
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["score"] == assessment.score and 0 <= data["score"] <= 100
    assert data["level"] in range(5)
    assert set(data["dimensions"]) == {
        "reproducibility",
        "data",
        "tracking",
        "testing",
        "automation",
        "deployment",
        "monitoring",
        "governance",
    }
    assert data["evidence"]  # the CLI's JSON carries the facts too


def test_sarif_validates(reports: dict[str, str], assessed: tuple[Assessment, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    doc = json.loads(reports["sarif"])
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(doc))
    assert not errors, [e.message for e in errors[:5]]
    stage_failures = [
        c
        for name, bad in (("logic", {"refuted"}), ("sandbox", {"failed", "error"}))
        for c in (assessed[0].stages[name].checks if name in assessed[0].stages else [])
        if c.result in bad
    ]
    assert len(doc["runs"][0]["results"]) == len(assessed[0].findings) + len(stage_failures)


def test_human_formats_show_the_score(
    reports: dict[str, str], assessed: tuple[Assessment, Any]
) -> None:
    assessment, _ = assessed
    score = f"{assessment.score:.1f}"
    assert f"Maturity score {score}/100" in reports["text"]
    assert reports["markdown"].startswith(f"## Maturity score: {score}/100")
    html = reports["html"]
    assert html.count('class="card dim"') == 8
    assert "<script" not in html


def test_human_formats_show_every_stage(
    reports: dict[str, str], assessed: tuple[Assessment, Any]
) -> None:
    assessment, _ = assessed
    logic = assessment.stages["logic"]
    proved = sum(c.result == "proved" for c in logic.checks)
    assert proved > 0
    for fmt in ("text", "markdown", "html"):
        out = reports[fmt]
        assert "Stages" in out
        for name, stage in assessment.stages.items():
            assert f"{name}" in out and stage.status in out
        assert f"{proved} proved" in out, fmt
    if assessment.fusion is not None:
        assert reports["html"].count('<rect class="bar"') == sum(
            c.status == "used" and c.shapley is not None for c in assessment.components.values()
        )
