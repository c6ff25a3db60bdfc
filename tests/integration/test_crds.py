"""The generated CRDs and the examples against a real API server.

What only a real kube-apiserver can tell: that the schemas are structural (it refuses the CRD
otherwise), that the CEL rules compile and reject what they should with our message, and that
the printer columns and the status subresource work. The Helm chart, its RBAC and the plain
install are tested in test_chart.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hyperscore.operator.api.models import (
    AHP_MESSAGE,
    KINDS,
    SCHEDULE_MESSAGE,
    SOURCE_MESSAGE,
    MaturityReviewSpec,
    ScoringPolicySpec,
)

from .controlplane import ControlPlane

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
EXAMPLES = ROOT / "manifests" / "examples"


@pytest.fixture(scope="module")
def crds(control_plane: ControlPlane) -> ControlPlane:
    """The CRDs applied and established (the API server refuses non-structural schemas)."""
    control_plane.kubectl("apply", "-f", str(CRDS))
    names = [f"crd/{info.plural}.hyperscore.dev" for info in KINDS]
    control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
    return control_plane


def assessment(name: str, source: dict[str, Any], **spec: Any) -> str:
    body = {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "MaturityAssessment",
        "metadata": {"name": name},
        "spec": {"source": source, **spec},
    }
    return yaml.safe_dump(body)


def apply(cp: ControlPlane, namespace: str, text: str) -> subprocess.CompletedProcess[str]:
    return cp.kubectl("apply", "-n", namespace, "-f", "-", input=text, check=False)


def get_json(cp: ControlPlane, namespace: str, *what: str) -> dict[str, Any]:
    out = cp.kubectl("get", "-n", namespace, *what, "-o", "json").stdout
    return json.loads(out)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- MaturityAssessment


def test_valid_assessment_is_stored_with_defaults(crds: ControlPlane, namespace: str) -> None:
    applied = crds.kubectl(
        "apply", "-n", namespace, "-f", str(EXAMPLES / "assessment-configmap.yaml")
    )
    assert "maturityassessment.hyperscore.dev/tiny-project created" in applied.stdout
    stored = get_json(crds, namespace, "ma", "tiny-project")
    assert stored["spec"]["source"] == {"configMapRef": {"name": "tiny-project"}}
    assert stored["spec"]["suspend"] is False  # defaulted by the schema
    assert stored["spec"]["schedule"] == {"cron": "0 3 * * *"}
    git = crds.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / "assessment-git.yaml"))
    assert "created" in git.stdout
    stages = get_json(crds, namespace, "ma", "fraud-model")["spec"]["stages"]
    assert stages["semantic"] == {"enabled": True} and stages["dynamic"]["sandbox"] is True


def test_an_explicit_null_source_is_pruned_not_counted(crds: ControlPlane, namespace: str) -> None:
    """spec fields are not nullable, so ``git: null`` is dropped and the CEL rule sees one."""
    text = assessment("nulls", {"git": None, "configMapRef": {"name": "p"}})
    assert apply(crds, namespace, text).returncode == 0
    assert get_json(crds, namespace, "ma", "nulls")["spec"]["source"] == {
        "configMapRef": {"name": "p"}
    }


@pytest.mark.parametrize(
    "source",
    [
        {"git": {"url": "https://example.com/a.git"}, "configMapRef": {"name": "p"}},
        {
            "git": {"url": "https://example.com/a.git"},
            "pvc": {"claimName": "d"},
            "configMapRef": {"name": "p"},
        },
        {},
    ],
    ids=["two-sources", "three-sources", "no-source"],
)
def test_source_must_be_exactly_one(
    crds: ControlPlane, namespace: str, source: dict[str, Any]
) -> None:
    result = apply(crds, namespace, assessment("bad", source))
    assert result.returncode != 0
    assert SOURCE_MESSAGE in result.stderr


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"intervalSeconds": 300, "cron": "0 * * * *"}, SCHEDULE_MESSAGE),
        ({}, SCHEDULE_MESSAGE),
        ({"intervalSeconds": 30}, "should be greater than or equal to 60"),
    ],
    ids=["both", "neither", "too-often"],
)
def test_schedule_rules(
    crds: ControlPlane, namespace: str, schedule: dict[str, Any], message: str
) -> None:
    result = apply(
        crds, namespace, assessment("sched", {"pvc": {"claimName": "d"}}, schedule=schedule)
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_status_subresource_and_printer_columns(crds: ControlPlane, namespace: str) -> None:
    assert (
        apply(crds, namespace, assessment("cols", {"pvc": {"claimName": "data"}})).returncode == 0
    )
    header = crds.kubectl("get", "ma", "-n", namespace).stdout.splitlines()[0].split()
    assert header == ["NAME", "SCORE", "LEVEL", "READY", "LAST-SCORED", "AGE"]
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "Scored",
        "message": "",
        "lastTransitionTime": "2026-01-02T03:04:05Z",
        "observedGeneration": 1,
    }
    status = {
        "observedGeneration": 1,
        "score": 72.5,
        "hyperScore": 104.2,
        "level": 2,
        "lastScoredTime": "2026-01-02T03:04:05Z",
        "components": [{"name": "practices", "score": 80, "shapley": 41.2}],
        "findings": {
            "counts": {"high": 2},
            "top": [{"ruleId": "r", "severity": "high", "title": "t"}],
        },
        "conditions": [ready],
    }
    patch = json.dumps({"status": status})
    crds.kubectl(
        "patch", "ma", "cols", "-n", namespace, "--subresource=status", "--type=merge", "-p", patch
    )
    row = crds.kubectl("get", "ma", "cols", "-n", namespace, "--no-headers").stdout.split()
    assert row[:4] == ["cols", "72.5", "2", "True"]
    assert re.fullmatch(r"\d+[smhdy]\w*", row[4]), row  # a date column prints as an age
    # the main resource ignores status, and the status subresource ignores spec
    crds.kubectl(
        "patch", "ma", "cols", "-n", namespace, "--type=merge", "-p", '{"status": {"score": 1}}'
    )
    assert get_json(crds, namespace, "ma", "cols")["status"]["score"] == 72.5
    bad = json.dumps({"status": {"level": 7}})
    rejected = crds.kubectl(
        "patch",
        "ma",
        "cols",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        bad,
        check=False,
    )
    assert rejected.returncode != 0 and "status.level" in rejected.stderr
    wrong_reason = json.dumps({"status": {"conditions": [ready | {"reason": "not ok"}]}})
    rejected = crds.kubectl(
        "patch",
        "ma",
        "cols",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        wrong_reason,
        check=False,
    )
    assert rejected.returncode != 0 and "reason" in rejected.stderr


# --------------------------------------------------------------------------- review and policy


def test_review_and_policy_round_trip(crds: ControlPlane, namespace: str) -> None:
    for name, model, plural in (
        ("review.yaml", MaturityReviewSpec, "mr"),
        ("policy.yaml", ScoringPolicySpec, "sp"),
    ):
        sent = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
        crds.kubectl("apply", "-n", namespace, "-f", str(EXAMPLES / name))
        stored = get_json(crds, namespace, plural, sent["metadata"]["name"])
        assert model.model_validate(stored["spec"]) == model.model_validate(sent["spec"])
    listed = crds.kubectl("get", "ml", "-n", namespace, "-o", "name").stdout.split()
    assert sorted(listed) == [
        "maturityreview.hyperscore.dev/fraud-model-review-1",
        "scoringpolicy.hyperscore.dev/default",
    ]
    reply = json.dumps(
        {
            "status": {
                "reply": "Monitoring: conceded.",
                "points": [
                    {"dimension": "monitoring", "expert": 1, "system": 2, "verdict": "concede"}
                ],
            }
        }
    )
    crds.kubectl(
        "patch",
        "mr",
        "fraud-model-review-1",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        reply,
    )
    assert (
        get_json(crds, namespace, "mr", "fraud-model-review-1")["status"]["points"][0]["verdict"]
        == "concede"
    )


def test_policy_matrix_must_be_square(crds: ControlPlane, namespace: str) -> None:
    body = {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "ScoringPolicy",
        "metadata": {"name": "skewed"},
        "spec": {"ahp": {"criteria": ["a", "b", "c"], "matrix": [[1, 2, 3], [0.5, 1]]}},
    }
    result = apply(crds, namespace, yaml.safe_dump(body))
    assert result.returncode != 0 and AHP_MESSAGE in result.stderr
