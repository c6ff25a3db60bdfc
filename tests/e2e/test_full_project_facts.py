"""`hyperscore assess tests/fixtures/full-mlops --format json` carries the facts of every modality.

Runs the real CLI in a subprocess (as a user or CI job would) and checks extracted facts, not
counts: the evidence list and the evidence graph are part of the JSON report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "tests" / "fixtures" / "full-mlops"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hyperscore.operator",
            "assess",
            str(FULL),
            "--format",
            "json",
            "--quiet",
            "--no-semantic",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)  # stdout is clean JSON
    return data


def items(report: dict[str, Any], kind: str, **where: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in report["evidence"]
        if e["kind"] == kind and all(e.get(k) == v for k, v in where.items())
    ]


def one(report: dict[str, Any], kind: str, **where: Any) -> dict[str, Any]:
    found = items(report, kind, **where)
    assert len(found) == 1, (kind, where, [f.get("name") for f in items(report, kind)])
    return found[0]


def test_top_level_schema(report: dict[str, Any]) -> None:
    assert 0 <= report["score"] <= 100
    assert report["level"] in range(5)
    assert set(report["dimensions"]) == {
        "reproducibility",
        "data",
        "tracking",
        "testing",
        "automation",
        "deployment",
        "monitoring",
        "governance",
    }
    assert report["source"]["type"] == "directory"


def test_docs_sections_and_governance(report: dict[str, Any]) -> None:
    headings = {e["heading"] for e in items(report, "doc.section", path="README.md")}
    assert {"Quickstart", "Monitoring"} <= headings
    doc_types = {e["doc_type"] for e in items(report, "doc.governance")}
    assert {"license", "codeowners", "security-policy", "model-card"} <= doc_types


def test_code_tracking_calls_and_seeding(report: dict[str, Any]) -> None:
    calls = {e["name"] for e in items(report, "code.call", path="src/fraud/train.py")}
    assert {"mlflow.start_run", "mlflow.log_metric"} <= calls or "mlflow.log_metrics" in calls
    assert any(c.startswith("mlflow.sklearn.log_model") for c in calls)
    seeds = {e["name"] for e in items(report, "code.seed")}
    assert "torch.manual_seed" in seeds
    tests = items(report, "code.test")
    assert any(t["path"].startswith("tests/model/") for t in tests)


def test_dependencies_pin_states(report: dict[str, Any]) -> None:
    hashed = items(report, "dep.requirement", path="requirements.lock")
    assert hashed and all(r["pin"] == "hashed" for r in hashed)
    locked = items(report, "dep.locked", path="uv.lock")
    assert sum(1 for r in locked if r["pin"] == "hashed") >= 30
    manifest = one(report, "dep.manifest", path="pyproject.toml")
    assert manifest["python_requires"]


def test_ci_jobs_needs_pins_permissions(report: dict[str, Any]) -> None:
    evaluate = one(report, "ci.job", path=".github/workflows/cd.yml", job_id="evaluate")
    assert evaluate["needs"] == ["train"]
    prod = one(report, "ci.job", path=".github/workflows/cd.yml", job_id="deploy-production")
    assert prod["environment"] == "production" and prod["needs"] == ["deploy-staging"]
    ci = one(report, "ci.pipeline", path=".github/workflows/ci.yml")
    assert ci["permissions"] == {"contents": "read"}
    assert "pull_request" in ci["triggers"]
    pins = {s["uses"]["pin"] for s in items(report, "ci.step") if s.get("uses")}
    assert pins == {"sha"}
    cd = one(report, "ci.pipeline", path=".github/workflows/cd.yml")
    assert cd["schedules"], "the retraining cron must be recorded"


def test_ml_pipeline_stages(report: dict[str, Any]) -> None:
    stages = {e["name"]: e for e in items(report, "pipeline.stage", framework="dvc")}
    assert list(stages) == ["prepare", "validate", "featurize", "train", "evaluate"]
    assert "models/fraud-model" in stages["evaluate"]["inputs"]
    assert "train" in stages["evaluate"]["upstream"]
    assert items(report, "pipeline.data_version", path="data/raw.csv.dvc")
    assert one(report, "pipeline.mlproject")["entry_points"]


def test_infrastructure(report: dict[str, Any]) -> None:
    docker = one(report, "infra.dockerfile", path="Dockerfile")
    assert docker["healthcheck"] and not docker["runs_as_root"]
    assert "@sha256:" in docker["base_image"]
    workloads = {e["name"]: e for e in items(report, "k8s.workload")}
    api = workloads["fraud-api"]
    container = api["containers"][0]
    assert container["liveness_probe"] and container["readiness_probe"]
    assert container["limits"]
    assert items(report, "k8s.progressive_delivery"), "KServe canaryTrafficPercent"
    assert items(report, "infra.iac_resource")


def test_monitoring(report: dict[str, Any]) -> None:
    alerts = {e["name"]: e for e in items(report, "monitor.alert")}
    assert "fraud_feature_drift_share" in alerts["FraudModelDriftHigh"]["metrics"]
    dashboard = one(report, "monitor.dashboard")
    assert dashboard["metrics"]
    monitors = {e["library"] for e in items(report, "monitor.ml_monitor")}
    assert "evidently" in monitors


def test_graph_links_modalities(report: dict[str, Any]) -> None:
    graph = report["graph"]
    nodes = {n["id"]: n for n in graph["nodes"]}
    edges = {(e["source"], e["target"], e["rel"]) for e in graph["edges"]}
    types = {n["type"] for n in nodes.values()}
    assert {
        "file",
        "module",
        "stage",
        "artifact",
        "ci-job",
        "image",
        "metric",
        "alert",
        "dashboard",
        "practice",
    } <= types
    assert any(r == "needs" for _, _, r in edges)
    assert any(r == "imports" for _, _, r in edges)
    assert any(s.startswith("alert:") and t.startswith("metric:") for s, t, _ in edges)
    assert any(s.startswith("stage:") and t.startswith("artifact:") for s, t, _ in edges)
