"""The operator's own image and manifests pass HyperScore's container rules (we eat our food).

The image cannot be built in the test environment, so the Dockerfile is linted instead: ingested
by our engine exactly as a user's project would be, and checked against the hardening rules.
Each check first proves on a near-miss that the rule fires, so a renamed rule cannot make the
test pass vacuously.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hyperscore.evaluators.assessment import Finding
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import run_rules
from hyperscore.evaluators.ingest import ingest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "operator" / "Dockerfile"
IMAGE_RULES = {
    "docker-runs-as-root",
    "image-latest-or-untagged",
    "docker-base-image-not-digest-pinned",
}
K8S_RULES = {
    "k8s-runs-as-root",
    "k8s-privileged-container",
    "k8s-hostpath-volume",
    "k8s-missing-resource-limits",
    "k8s-missing-probes",
    "k8s-cluster-admin-binding",
    "k8s-rbac-wildcard",
    "image-latest-or-untagged",
}


def findings(path: Path) -> list[Finding]:
    return run_rules(DetectionContext(result=ingest(str(path))), [])


def lint_dockerfile(tmp_path: Path, text: str) -> set[str]:
    (tmp_path / "Dockerfile").write_text(text, encoding="utf-8")
    return {f.rule_id for f in findings(tmp_path)}


def test_operator_dockerfile_has_no_image_hardening_findings(tmp_path: Path) -> None:
    shutil.copy(DOCKERFILE, tmp_path / "Dockerfile")
    assert {f.rule_id for f in findings(tmp_path)} & IMAGE_RULES == set()


def test_the_rules_fire_when_the_dockerfile_regresses(tmp_path: Path) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    no_user = "\n".join(line for line in text.splitlines() if not line.startswith("USER"))
    assert "docker-runs-as-root" in lint_dockerfile(tmp_path, no_user)
    tagged = re.sub(r"@sha256:[0-9a-f]{64}", "", text)
    assert tagged != text
    assert "docker-base-image-not-digest-pinned" in lint_dockerfile(tmp_path, tagged)
    latest = tagged.replace("python:3.11-slim", "python:latest")
    assert "image-latest-or-untagged" in lint_dockerfile(tmp_path, latest)


def test_operator_dockerfile_runs_offline_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    final = text.rsplit("\nFROM ", 1)[1]
    assert "USER 10001" in final
    assert "HF_HUB_OFFLINE=1" in final
    froms = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(froms) >= 2  # multi-stage: no compilers or pip caches in the final image
    assert all("@sha256:" in line for line in froms)


@pytest.mark.parametrize("folder", ["charts/hyperscore", "manifests"])
def test_chart_and_manifests_have_no_container_findings(folder: str) -> None:
    found = [f for f in findings(ROOT / folder) if f.rule_id in K8S_RULES]
    assert found == [], [(f.rule_id, f.path, f.message) for f in found]
