"""The JSON report and its checked-in JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from hyperscore.evaluators.assessment import REPORT_SCHEMA_VERSION
from hyperscore.evaluators.model import IngestResult, SourceInfo
from hyperscore.evaluators.report.json_report import (
    SCHEMA_FILE,
    SCHEMA_URI,
    build_schema,
    render_json,
    report_dict,
    schema_text,
    write_schema,
)
from tests.unit.report import make_assessment

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "evaluators/report/schema/assessment.schema.json is stale: regenerate it with "
        "`.venv/bin/python -m hyperscore.evaluators.report.json_report`"
    )


def test_write_schema_writes_the_generated_schema(tmp_path: Path) -> None:
    path = write_schema(tmp_path / "s" / "schema.json")
    assert json.loads(path.read_text(encoding="utf-8")) == build_schema()


def test_schema_identity_and_top_level_fields() -> None:
    schema = build_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_URI
    assert {"score", "level", "dimensions", "schema_version"} <= set(schema["required"])
    props = schema["properties"]
    assert props["score"]["minimum"] == 0 and props["score"]["maximum"] == 100
    assert props["level"]["minimum"] == 0 and props["level"]["maximum"] == 4
    assert props["dimensions"]["additionalProperties"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 4,
    }


def test_report_carries_score_level_and_dimensions_at_the_top(
    validator: jsonschema.Draft202012Validator,
) -> None:
    a = make_assessment()
    data = json.loads(render_json(a))
    assert list(data)[:6] == [
        "$schema",
        "schema_version",
        "tool_version",
        "score",
        "level",
        "dimensions",
    ]
    assert data["$schema"] == SCHEMA_URI
    assert data["schema_version"] == REPORT_SCHEMA_VERSION
    assert data["score"] == 38.8 and data["level"] == 1
    assert data["dimensions"]["deployment"] == 3 and len(data["dimensions"]) == 8
    validator.validate(data)


def test_report_round_trips_to_the_model() -> None:
    a = make_assessment(hostile=True)
    data = json.loads(render_json(a))
    data.pop("$schema")
    assert type(a).model_validate(data) == a


def test_evidence_and_graph_come_with_the_ingest_result(
    validator: jsonschema.Draft202012Validator,
) -> None:
    ingest = IngestResult(
        source=SourceInfo(type="directory", location="/tmp/demo-project"),
        evidence=[],
        graph={"directed": True, "nodes": [], "edges": []},
        stats=make_assessment().stats,
    )
    data = report_dict(make_assessment(), ingest)
    assert data["evidence"] == [] and data["graph"]["nodes"] == []
    validator.validate(data)
    assert "evidence" not in report_dict(make_assessment())


def test_schema_rejects_a_broken_report(validator: jsonschema.Draft202012Validator) -> None:
    data = json.loads(render_json(make_assessment()))
    data["level"] = 7
    data["dimensions"]["data"] = "high"
    errors = {e.json_path for e in validator.iter_errors(data)}
    assert {"$.level", "$.dimensions.data"} <= errors


def test_schema_is_documented() -> None:
    doc = (ROOT / "docs" / "report-schema.md").read_text(encoding="utf-8")
    for field in build_schema()["properties"]:
        assert f"`{field}`" in doc, f"docs/report-schema.md does not document {field}"
