"""The generated CRDs, the Helm chart and the plain install against a real API server.

What only a real kube-apiserver can tell: that the schemas are structural (it refuses the CRD
otherwise), that the CEL rules compile and reject what they should with our message, that the
printer columns and the status subresource work, and that the chart's RBAC grants exactly what
the operator needs (``kubectl auth can-i`` as its ServiceAccount).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
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
CHART = ROOT / "charts" / "hyperscore"
EXAMPLES = ROOT / "manifests" / "examples"
INSTALL = ROOT / "manifests" / "install"
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


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
        "hyperScore": 70.1,
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


# --------------------------------------------------------------------------- chart and install


class Helm:
    """The helm binary with its own cache/config/data homes (never the user's)."""

    def __init__(self, binary: Path, env: dict[str, str]) -> None:
        self.binary, self.env = binary, env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.binary), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert not check or done.returncode == 0, done.stderr
        return done

    def __call__(self, *args: str) -> str:
        return self.run(*args).stdout


@pytest.fixture(scope="module")
def run_helm(
    control_plane: ControlPlane, helm: Path, tmp_path_factory: pytest.TempPathFactory
) -> Helm:
    home = tmp_path_factory.mktemp("helm")
    homes = {f"HELM_{k}_HOME": str(home / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}
    return Helm(helm, control_plane.env(homes))


def docs_of(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_chart_lints_renders_and_applies(
    crds: ControlPlane, namespace: str, run_helm: Helm
) -> None:
    assert "0 chart(s) failed" in run_helm("lint", str(CHART), "--strict")
    rendered = run_helm("template", "hs", str(CHART), "--namespace", namespace)
    kinds = sorted(d["kind"] for d in docs_of(rendered))
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "ServiceAccount"]
    crds.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", "-", input=rendered)
    monitored = run_helm(
        "template",
        "hs",
        str(CHART),
        "--namespace",
        namespace,
        "--set",
        "serviceMonitor.enabled=true",
        "--set",
        "serviceMonitor.labels.release=prom",
    )
    (monitor,) = [d for d in docs_of(monitored) if d["kind"] == "ServiceMonitor"]
    assert monitor["metadata"]["labels"]["release"] == "prom"
    deployment = next(d for d in docs_of(rendered) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert (
        deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["args"][:2] == ["operator", "run"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_values_schema_rejects_bad_values(run_helm: Helm) -> None:
    done = run_helm.run("template", "hs", str(CHART), "--set", "logLevel=loud", check=False)
    assert done.returncode != 0 and "logLevel" in done.stderr
    done = run_helm.run("template", "hs", str(CHART), "--set", "image.digest=sha256:x", check=False)
    assert done.returncode != 0 and "digest" in done.stderr


def can_i(cp: ControlPlane, namespace: str, sa: str, verb: str, resource: str) -> bool:
    result = cp.kubectl(
        "auth",
        "can-i",
        verb,
        resource,
        "-n",
        namespace,
        f"--as=system:serviceaccount:{namespace}:{sa}",
        check=False,
    )
    return result.stdout.strip() == "yes"


def test_chart_rbac_is_least_privilege(crds: ControlPlane, namespace: str, run_helm: Helm) -> None:
    release = f"hs-{uuid.uuid4().hex[:6]}"
    rendered = run_helm("template", release, str(CHART), "--namespace", namespace)
    rbac = "---\n".join(
        yaml.safe_dump(d)
        for d in docs_of(rendered)
        if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")
    )
    crds.kubectl("apply", "-n", namespace, "-f", "-", input=rbac)
    try:
        sa = f"{release}-hyperscore"
        allowed = [
            ("get", "maturityassessments.hyperscore.dev"),
            ("patch", "maturityassessments.hyperscore.dev/status"),
            ("update", "maturityassessments.hyperscore.dev/finalizers"),
            ("create", "jobs.batch"),
            ("delete", "jobs.batch"),
            ("get", "pods/log"),
            ("get", "pods/status"),
            ("create", "configmaps"),
            ("get", "secrets"),
            ("create", "networkpolicies.networking.k8s.io"),
            ("create", "events"),
            ("list", "customresourcedefinitions.apiextensions.k8s.io"),
        ]
        denied = [
            ("list", "secrets"),
            ("watch", "secrets"),
            ("create", "pods"),
            ("delete", "maturityassessments.hyperscore.dev"),
            ("create", "deployments.apps"),
            ("update", "jobs.batch"),
            ("create", "clusterroles.rbac.authorization.k8s.io"),
            ("create", "customresourcedefinitions.apiextensions.k8s.io"),
        ]
        assert [a for a in allowed if not can_i(crds, namespace, sa, *a)] == []
        assert [d for d in denied if can_i(crds, namespace, sa, *d)] == []
    finally:
        crds.kubectl("delete", "-n", namespace, "-f", "-", "--wait=false", input=rbac, check=False)


def strip_helm(doc: dict[str, Any]) -> dict[str, Any]:
    metas = [doc["metadata"]]
    if doc["kind"] == "Deployment":
        metas.append(doc["spec"]["template"]["metadata"])
    for meta in metas:
        for label in HELM_LABELS:
            meta.get("labels", {}).pop(label, None)
    return doc


def test_plain_install_matches_the_chart(crds: ControlPlane, run_helm: Helm) -> None:
    built = docs_of(crds.kubectl("kustomize", str(INSTALL)).stdout)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in built:
        by_kind.setdefault(doc["kind"], []).append(doc)
    assert [d["metadata"]["name"] for d in by_kind.pop("Namespace")] == ["hyperscore-system"]
    crd_names = sorted(d["metadata"]["name"] for d in by_kind.pop("CustomResourceDefinition"))
    assert crd_names == sorted(f"{info.plural}.hyperscore.dev" for info in KINDS)
    rendered = run_helm("template", "hyperscore", str(CHART), "--namespace", "hyperscore-system")
    chart = sorted((strip_helm(d) for d in docs_of(rendered)), key=lambda d: d["kind"])
    install = sorted((d for docs in by_kind.values() for d in docs), key=lambda d: d["kind"])
    assert install == chart, "manifests/install/operator.yaml is out of step with the chart"
    crds.kubectl(
        "apply",
        "--dry-run=server",
        "-f",
        "-",
        input=yaml.safe_dump_all(
            [
                d
                for d in built
                if d["kind"] in ("Namespace", "CustomResourceDefinition", "ClusterRole")
            ]
        ),
    )
