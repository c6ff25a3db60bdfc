"""The operator's own image and manifests pass HyperScore's container rules (we eat our food).

The image cannot be built in the test environment, so the Dockerfile is linted instead: ingested
by our engine exactly as a user's project would be, and checked against the hardening rules.
Each check first proves on a near-miss that the rule fires, so a renamed rule cannot make the
test pass vacuously.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators.assessment import Finding
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import run_rules
from hyperscore.evaluators.ingest import ingest
from hyperscore.operator.cli import build_parser

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


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def structural_problems(text: str) -> list[str]:
    """Checks hadolint would make (it is not available here), on the parsed instructions."""
    found: list[str] = []
    steps = instructions(text)
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    for word, args in steps:
        if word == "FROM" and not re.search(r"@sha256:[0-9a-f]{64}\b", args):
            found.append(f"base image not pinned by digest: {args}")
        if word == "FROM" and re.search(r":latest\b", args):
            found.append(f"latest tag: {args}")
        if word == "RUN" and re.search(r"\b(curl|wget)\b[^|;&]*\|\s*(ba|z|da)?sh\b", args):
            found.append(f"pipes a download into a shell: {args}")
        if word == "ADD" and re.search(r"https?://", args):
            found.append(f"ADD of a URL: {args}")
    users = [args for word, args in final if word == "USER"]
    if not users:
        found.append("the final stage has no USER")
    elif users[-1].split(":")[0] in {"0", "root"} or not users[-1].split(":")[0].isdigit():
        found.append(f"USER must be a numeric non-root uid: {users[-1]}")
    env = " ".join(args for word, args in final if word == "ENV")
    for offline in ("HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1"):
        if offline not in env:
            found.append(f"{offline} missing: the model must never be downloaded at run time")
    if not any(word == "HEALTHCHECK" and "/healthz" in args for word, args in final):
        found.append("no HEALTHCHECK on /healthz")
    return found


def test_operator_dockerfile_passes_the_structural_checks() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert structural_problems(text) == []
    steps = dict(instructions(text))
    assert json.loads(steps["ENTRYPOINT"]) == ["hyperscore"]
    # the default command is one the real CLI accepts (no drift with `hyperscore operator run`)
    parsed = build_parser().parse_args(json.loads(steps["CMD"]))
    assert (parsed.command, parsed.operator_command, parsed.all_namespaces) == (
        "operator",
        "run",
        True,
    )


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: re.sub(r"@sha256:[0-9a-f]{64}", "", t), "not pinned by digest"),
        (lambda t: t.replace("python:3.11-slim@", "python:latest@"), "latest tag"),
        (lambda t: t.replace("USER 10001:10001", "USER root"), "non-root uid"),
        (lambda t: t.replace("USER 10001:10001", ""), "no USER"),
        (
            lambda t: t.replace("    TRANSFORMERS_OFFLINE=1 \\\n", ""),
            "TRANSFORMERS_OFFLINE=1 missing",
        ),
        (
            lambda t: t.replace(
                "RUN apt-get update",
                "RUN curl -fsSL https://get.example.com | sh && apt-get update",
            ),
            "pipes a download into a shell",
        ),
        (lambda t: t + "\nADD https://example.com/model.bin /opt/model.bin\n", "ADD of a URL"),
        (lambda t: re.sub(r"HEALTHCHECK[^\n]*\\\n[^\n]*\n", "", t), "no HEALTHCHECK"),
    ],
    ids=["digest", "latest", "root", "no-user", "online", "curl-sh", "add-url", "no-healthcheck"],
)
def test_structural_checks_fire_on_a_regression(edit: Any, problem: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text
    assert any(problem in p for p in structural_problems(edited)), structural_problems(edited)
