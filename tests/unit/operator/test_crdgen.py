"""The CRDs are generated from the pydantic models, are structural, and are not stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from hyperscore.operator.api import crdgen
from hyperscore.operator.api.models import (
    KINDS,
    SOURCE_MESSAGE,
    AhpMatrix,
    MaturityAssessmentSpec,
    MaturityAssessmentStatus,
    MaturityReviewSpec,
    Schedule,
    ScoringPolicySpec,
)

ROOT = Path(__file__).resolve().parents[3]
CRDS = ROOT / "crds"
CHART_CRDS = ROOT / "charts" / "hyperscore" / "crds"
INSTALL = ROOT / "manifests" / "install"
COPIES = (CRDS, CHART_CRDS, INSTALL / "crds")
EXAMPLES = ROOT / "manifests" / "examples"
SPECS = {info.kind: info.spec for info in KINDS}


def walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every schema node below ``node`` with its JSON path."""
    if not isinstance(node, dict):
        return []
    nodes = [(path, node)]
    for name, sub in node.get("properties", {}).items():
        nodes += walk(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        nodes += walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        nodes += walk(node["additionalProperties"], f"{path}{{}}")
    return nodes


def schema_of(kind: str) -> dict[str, Any]:
    info = next(i for i in KINDS if i.kind == kind)
    text = (CRDS / crdgen.file_name(info)).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    return doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- stale check


def test_committed_crds_match_a_fresh_generation(tmp_path: Path) -> None:
    """Every copy (crds/, the chart's, the plain install's) equals a fresh generation."""
    fresh_root = tmp_path / "fresh"
    assert crdgen.main(["--out", str(fresh_root)]) == 0
    fresh = {p.name: p.read_bytes() for p in fresh_root.iterdir()}
    assert sorted(fresh) == sorted(crdgen.file_name(info) for info in KINDS)
    for folder in COPIES:
        on_disk = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
        assert sorted(on_disk) == sorted(fresh), f"{folder} holds other files"
        for name, text in fresh.items():
            assert on_disk[name] == text, f"{folder / name} is stale: run `make crds`"


def test_the_plain_install_lists_every_crd() -> None:
    kustomization = yaml.safe_load((INSTALL / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = {r for r in kustomization["resources"] if r.startswith("crds/")}
    assert listed == {f"crds/{crdgen.file_name(info)}" for info in KINDS}


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    args = [
        "--out",
        str(tmp_path),
        "--chart",
        str(tmp_path / "chart"),
        "--copy",
        str(tmp_path / "i"),
    ]
    assert crdgen.main([*args, "--check"]) == 1  # nothing there yet
    assert crdgen.main(args) == 0
    assert crdgen.main([*args, "--check"]) == 0
    victim = tmp_path / "i" / crdgen.file_name(KINDS[0])
    victim.write_text(victim.read_text() + "# edited by hand\n")
    assert crdgen.main([*args, "--check"]) == 1


def test_generation_is_deterministic_and_headed() -> None:
    for info in KINDS:
        text = crdgen.render(info)
        assert text == crdgen.render(info)
        assert text.startswith("# generated: do not edit")


# --------------------------------------------------------------------------- structural schema


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_schemas_are_structural(kind: str) -> None:
    for path, node in walk(schema_of(kind)):
        assert "$ref" not in node and "$defs" not in node, path
        assert "anyOf" not in node and "allOf" not in node and "oneOf" not in node, path
        assert "title" not in node and "uniqueItems" not in node and "const" not in node, path
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), path
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("additionalProperties") is not False, path
        assert not isinstance(node.get("exclusiveMinimum"), (int, float)) or isinstance(
            node.get("exclusiveMinimum"), bool
        ), path


def test_assessment_schema_carries_the_rules_and_bounds() -> None:
    schema = schema_of("MaturityAssessment")
    spec = schema["properties"]["spec"]
    source = spec["properties"]["source"]
    (rule,) = source["x-kubernetes-validations"]
    assert rule["message"] == SOURCE_MESSAGE
    assert "has(self.git)" in rule["rule"] and "size() == 1" in rule["rule"]
    schedule = spec["properties"]["schedule"]
    assert schedule["properties"]["intervalSeconds"]["minimum"] == 60
    assert "x-kubernetes-validations" in schedule
    assert spec["required"] == ["source"]
    # spec fields are never nullable (nulls are pruned, so CEL has() agrees with pydantic)
    assert all("nullable" not in node for _, node in walk(spec))
    status = schema["properties"]["status"]["properties"]
    assert status["score"] == {"maximum": 100, "minimum": 0, "nullable": True, "type": "number"}
    assert status["level"]["maximum"] == 4
    assert status["conditions"]["x-kubernetes-list-map-keys"] == ["type"]
    condition = status["conditions"]["items"]["properties"]
    assert condition["status"]["enum"] == ["True", "False", "Unknown"]
    assert condition["lastTransitionTime"]["format"] == "date-time"
    assert status["components"]["items"]["required"] == ["name", "shapley"]


def test_free_form_maps_preserve_unknown_fields_and_typed_maps_keep_their_schema() -> None:
    policy = schema_of("ScoringPolicy")["properties"]["status"]["properties"]
    assert policy["calibration"]["properties"]["parameters"] == {
        "description": "method-specific state (free-form)",
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert policy["learnedWeights"]["additionalProperties"] == {"type": "number"}
    stages = schema_of("MaturityAssessment")["properties"]["spec"]["properties"]["stages"]
    assert stages["additionalProperties"]["properties"]["enabled"]["default"] is True


def test_crd_names_columns_and_subresources() -> None:
    for info in KINDS:
        doc = crdgen.crd(info)
        names = doc["spec"]["names"]
        assert doc["metadata"]["name"] == f"{info.plural}.hyperscore.dev"
        assert names["categories"] == ["ml"] and names["shortNames"] == list(info.short_names)
        version = doc["spec"]["versions"][0]
        assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    ma = crdgen.crd(KINDS[0])["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in ma] == ["Score", "Level", "Ready", "Last-Scored", "Age"]
    assert ma[2]["jsonPath"] == '.status.conditions[?(@.type=="Ready")].status'
    assert ma[3]["type"] == "date"


def test_unions_of_several_types_are_refused() -> None:
    with pytest.raises(ValueError, match="not structural"):
        crdgen.structural({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    assert crdgen.structural({"anyOf": [{"type": "string"}, {"type": "null"}]}) == {
        "type": "string",
        "nullable": True,
    }
    assert crdgen.structural({"exclusiveMinimum": 0, "type": "number"}) == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
    }


# --------------------------------------------------------------------------- models


def test_source_needs_exactly_one_of_three() -> None:
    ok = MaturityAssessmentSpec.model_validate({"source": {"configMapRef": {"name": "p"}}})
    assert ok.source.config_map_ref is not None and ok.stages == {}
    for bad in ({}, {"git": {"url": "https://x/y.git"}, "pvc": {"claimName": "data"}}):
        with pytest.raises(ValidationError, match="exactly one of git, configMapRef or pvc"):
            MaturityAssessmentSpec.model_validate({"source": bad})


def test_schedule_is_an_interval_of_a_minute_or_more_or_a_cron() -> None:
    assert Schedule(interval_seconds=60).cron is None
    assert Schedule.model_validate({"cron": "*/5 * * * *"}).interval_seconds is None
    with pytest.raises(ValidationError):
        Schedule(interval_seconds=59)
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule(interval_seconds=600, cron="0 * * * *")
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule()


def test_ahp_matrix_must_be_square() -> None:
    AhpMatrix(criteria=["a", "b"], matrix=[[1, 2], [0.5, 1]])
    with pytest.raises(ValidationError, match="square"):
        AhpMatrix(criteria=["a", "b"], matrix=[[1, 2], [0.5]])


def test_camel_case_on_the_wire_and_snake_case_in_python() -> None:
    status = MaturityAssessmentStatus.model_validate(
        {"hyperScore": 104.5, "lastScoredTime": "2026-01-02T03:04:05Z", "observedGeneration": 3}
    )
    assert status.hyper_score == 104.5 and status.observed_generation == 3
    wire = status.model_dump(by_alias=True, exclude_none=True, mode="json")
    assert wire["hyperScore"] == 104.5 and wire["lastScoredTime"].startswith("2026-01-02T03:04:05")
    assert "hyper_score" not in wire


def test_condition_follows_the_kubernetes_conventions() -> None:
    status = MaturityAssessmentStatus.model_validate(
        {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Scored",
                    "lastTransitionTime": "2026-01-02T03:04:05Z",
                }
            ]
        }
    )
    assert status.conditions[0].status == "True"
    for bad in ({"status": "Yes"}, {"reason": "not camel case"}):
        cond = {
            "type": "Ready",
            "status": "True",
            "reason": "Ok",
            "lastTransitionTime": "2026-01-02T03:04:05Z",
        }
        with pytest.raises(ValidationError):
            MaturityAssessmentStatus.model_validate({"conditions": [cond | bad]})


def test_examples_are_valid_objects() -> None:
    kinds: list[str] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("apiVersion") == "hyperscore.dev/v1alpha1":
                SPECS[doc["kind"]].model_validate(doc["spec"])
                kinds.append(doc["kind"])
    assert sorted(set(kinds)) == sorted(SPECS)
    assert kinds.count("MaturityAssessment") == 2
    review = MaturityReviewSpec.model_validate(
        yaml.safe_load((EXAMPLES / "review.yaml").read_text(encoding="utf-8"))["spec"]
    )
    assert review.assessment_ref.name == "fraud-model"
    policy = ScoringPolicySpec.model_validate(
        yaml.safe_load((EXAMPLES / "policy.yaml").read_text(encoding="utf-8"))["spec"]
    )
    assert policy.ahp is not None and len(policy.ahp.matrix) == 5
