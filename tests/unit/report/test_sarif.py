"""SARIF 2.1.0, validated against the official OASIS schema (tests/unit/report/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hyperscore.evaluators.assessment import Severity
from hyperscore.evaluators.findings.engine import all_rules
from hyperscore.evaluators.report.sarif import (
    FINGERPRINT_KEY,
    artifact_uri,
    build_sarif,
    fingerprint,
    render_sarif,
    rule_name,
)
from tests.unit.report import make_assessment

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the official schema, not a subset
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def run_of(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


@pytest.mark.parametrize("hostile", [False, True])
def test_valid_against_the_sarif_schema(
    validator: jsonschema.Draft4Validator, hostile: bool
) -> None:
    doc = json.loads(render_sarif(make_assessment(hostile=hostile)))
    errors = sorted(validator.iter_errors(doc), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:10])
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")


def test_schema_validation_catches_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    doc = build_sarif(make_assessment())
    run_of(doc)["results"][0]["level"] = "fatal"
    del run_of(doc)["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(doc))) >= 2


def test_driver_lists_every_registered_rule() -> None:
    driver = run_of(build_sarif(make_assessment()))["tool"]["driver"]
    assert driver["name"] == "HyperScore"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert set(all_rules()) <= set(ids)
    # findings of rules that are not registered still get a descriptor
    assert {"hardcoded-secret", "unsafe-deserialisation"} <= set(ids)


def test_rule_descriptor_fields() -> None:
    rules = {r["id"]: r for r in run_of(build_sarif(make_assessment()))["tool"]["driver"]["rules"]}
    registered = next(iter(all_rules().values()))
    r = rules[registered.id]
    assert r["name"] == rule_name(registered.id)
    assert r["shortDescription"]["text"] == registered.title
    assert registered.title in r["fullDescription"]["text"]
    assert "**Remediation**" in r["help"]["markdown"]
    assert r["help"]["text"]
    expected = {
        Severity.CRITICAL: ("error", "9.0"),
        Severity.HIGH: ("error", "7.0"),
        Severity.MEDIUM: ("warning", "5.0"),
        Severity.LOW: ("note", "3.0"),
    }
    for rule in all_rules().values():
        level, score = expected[rule.severity]
        d = rules[rule.id]
        assert d["defaultConfiguration"]["level"] == level
        assert d["properties"]["security-severity"] == score
        assert set(rule.tags) <= set(d["properties"]["tags"])


def test_results_point_at_their_rule_and_location() -> None:
    a = make_assessment()
    run = run_of(build_sarif(a))
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(a.findings)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert "://" not in loc["artifactLocation"]["uri"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert res["partialFingerprints"][FINGERPRINT_KEY]
    first = run["results"][0]
    assert first["ruleId"] == "ci-pr-target-checkout" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    no_line = next(r for r in run["results"] if r["ruleId"] == "large-artifact-committed")
    assert "region" not in no_line["locations"][0]["physicalLocation"]
    assert no_line["level"] == "warning"


def test_fingerprints_are_stable_and_distinguish_findings() -> None:
    a, b = make_assessment(), make_assessment()
    assert [fingerprint(f) for f in a.findings] == [fingerprint(f) for f in b.findings]
    f = a.findings[0]
    assert fingerprint(f) != fingerprint(f.model_copy(update={"line": 13}))
    assert fingerprint(f) != fingerprint(f.model_copy(update={"path": "other.yml"}))
    assert fingerprint(f) == fingerprint(f.model_copy(update={"message": f.message + "  "}))
    prints = [
        r["partialFingerprints"][FINGERPRINT_KEY]
        for r in run_of(build_sarif(make_assessment(findings=30)))["results"]
    ]
    assert len(set(prints)) == 30


def test_artifact_uris_are_relative_and_encoded() -> None:
    assert artifact_uri("src/train.py") == "src/train.py"
    assert artifact_uri("./src/a b.py") == "src/a%20b.py"
    assert artifact_uri("/abs/x.py") == "abs/x.py"
    assert artifact_uri("") == "."


def test_version_control_provenance_only_for_remote_sources() -> None:
    remote = make_assessment(
        source={"type": "git", "location": "https://github.com/o/r.git", "revision": "a" * 40}
    )
    run = run_of(build_sarif(remote))
    assert run["versionControlProvenance"] == [
        {"repositoryUri": "https://github.com/o/r.git", "revisionId": "a" * 40}
    ]
    assert "versionControlProvenance" not in run_of(build_sarif(make_assessment()))


def test_rule_name() -> None:
    assert rule_name("ci-action-unpinned") == "CiActionUnpinned"
