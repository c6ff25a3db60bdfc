"""The JSON report: ``Assessment.to_json_dict()`` plus a ``$schema`` reference, and its schema.

The schema is generated from the pydantic model (``Assessment.model_json_schema()``) and
checked in at ``evaluators/report/schema/assessment.schema.json``; a unit test fails when the
checked-in file is stale. Regenerate it with::

    python -m hyperscore.evaluators.report.json_report

The top level always carries ``score`` (0-100), ``level`` (0-4) and ``dimensions``
(name -> level); docs/report-schema.md documents every top-level field.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hyperscore.evaluators.assessment import REPORT_SCHEMA_VERSION, Assessment
from hyperscore.evaluators.model import IngestResult

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "assessment.schema.json"
SCHEMA_URI = (
    "https://raw.githubusercontent.com/hyperscore/hyperscore/main/"
    "evaluators/report/schema/assessment.schema.json"
)
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Listed first in the report, so `head report.json` shows what most readers want.
LEADING = ("schema_version", "tool_version", "score", "level", "dimensions")


def report_dict(assessment: Assessment, ingest: IngestResult | None = None) -> dict[str, Any]:
    """The report; with ``ingest``, also the facts it rests on (``evidence``, ``graph``)."""
    data = assessment.to_json_dict()
    ordered: dict[str, Any] = {"$schema": SCHEMA_URI}
    ordered.update({key: data[key] for key in LEADING if key in data})
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    if ingest is not None:
        facts = ingest.to_json_dict()
        ordered["evidence"] = facts["evidence"]
        ordered["graph"] = facts["graph"]
    return ordered


def render_json(assessment: Assessment, ingest: IngestResult | None = None) -> str:
    return json.dumps(report_dict(assessment, ingest), indent=2, ensure_ascii=False) + "\n"


def _evidence_schema() -> dict[str, Any]:
    line = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
    return {
        "type": "array",
        "description": "optional: every fact ingestion extracted (present in CLI reports). "
        "Each kind adds typed fields; see hyperscore.evaluators.model.Evidence.",
        "items": {
            "type": "object",
            "required": ["kind", "modality", "path"],
            "properties": {
                "kind": {"type": "string"},
                "modality": {"type": "string"},
                "path": {"type": "string", "description": "POSIX path relative to the root"},
                "line": line,
                "end_line": line,
                "name": {"type": "string"},
                "text": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "links": {"type": "array", "items": {"type": "object"}},
            },
        },
    }


def build_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON report."""
    model = Assessment.model_json_schema(mode="serialization", by_alias=True)
    schema: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": SCHEMA_URI,
        "title": f"HyperScore assessment report {REPORT_SCHEMA_VERSION}",
        "description": (
            "The JSON report of `hyperscore assess --format json`. The top level always "
            "carries score (0-100), level (0-4) and dimensions (name -> level). "
            "Generated from the pydantic model hyperscore.evaluators.assessment.Assessment; "
            "see docs/report-schema.md."
        ),
    }
    schema.update(
        {key: value for key, value in model.items() if key not in ("title", "description")}
    )
    properties = {
        "$schema": {"type": "string", "format": "uri", "description": "the URI of this schema"},
        **schema.get("properties", {}),
    }
    properties["evidence"] = _evidence_schema()
    properties["graph"] = {
        "type": "object",
        "description": "optional: the evidence graph as networkx node-link JSON "
        "(present in CLI reports)",
    }
    schema["properties"] = properties
    required = ["schema_version", *schema.get("required", [])]
    schema["required"] = list(dict.fromkeys(required))
    dims = properties.get("dimensions")
    if isinstance(dims, dict):
        dims["additionalProperties"] = {"type": "integer", "minimum": 0, "maximum": 4}
        dims["description"] = "dimension name -> level 0-4 (all eight dimensions)"
    return schema


def schema_text() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_FILE) -> Path:
    """(Re)write the checked-in schema file; returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(schema_text(), encoding="utf-8")
    tmp.replace(path)
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(f"wrote {write_schema()}\n")
