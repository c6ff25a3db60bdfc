"""Automation detectors: one positive and one negative tiny project per practice, plus the
fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    Case,
    dimension_tests,
)

TASKCLUSTER = (
    "version: 1\n"
    "tasks:\n"
    "  - taskId: tests\n"
    "    payload:\n"
    "      image: python:3.12\n"
    "      command: [/bin/bash, -c, 'pip install -r requirements.txt && pytest tests/']\n"
    "    metadata: {name: unit tests}\n"
)

DIMENSION = Dimension.AUTOMATION


def workflow(on: str, jobs: dict[str, list[str]], needs: dict[str, str] | None = None) -> str:
    """A GitHub Actions workflow: ``jobs`` maps job ids to their ``run`` commands."""
    out = [f"on: {on}", "jobs:"]
    for job, commands in jobs.items():
        out += [f"  {job}:", "    runs-on: ubuntu-latest"]
        if needs and job in needs:
            out.append(f"    needs: {needs[job]}")
        out.append("    steps:")
        out += [f"      - run: {c}" for c in commands]
    return "\n".join(out) + "\n"


DVC_TRAIN = (
    "stages:\n"
    "  prepare:\n    cmd: python src/prepare.py\n    deps: [data/raw.csv]\n"
    "    outs: [data/prepared]\n"
    "  train:\n    cmd: python src/train.py\n    deps: [data/prepared]\n"
    "    outs: [model.pkl]\n"
)
DVC_NO_TRAIN = (
    "stages:\n"
    "  prepare:\n    cmd: python src/prepare.py\n    deps: [data/raw.csv]\n"
    "    outs: [data/prepared]\n"
    "  report:\n    cmd: python src/report.py\n    deps: [data/prepared]\n"
    "    outs: [report.html]\n"
)
PROMOTE = (
    "import mlflow\n\n\n"
    "def promote(auc: float, floor: float) -> None:\n"
    "    assert auc >= 0.8\n"
    "    client = mlflow.tracking.MlflowClient()\n"
    "    client.set_registered_model_alias('m', 'champion', '3')\n"
)
PROMOTE_UNGATED = (
    "import mlflow\n\n\n"
    "def promote() -> None:\n"
    "    client = mlflow.tracking.MlflowClient()\n"
    "    client.set_registered_model_alias('m', 'champion', '3')\n"
)


CASES: list[Case] = [
    (
        "ci-pipeline",
        "github-workflow",
        {".github/workflows/ci.yml": workflow("[push]", {"lint": ["ruff check ."]})},
        True,
    ),
    ("ci-pipeline", "taskcluster-file", {".taskcluster.yml": TASKCLUSTER}, True),
    (
        "ci-pipeline",
        "workflow-outside-workflows-dir",
        {".github/ci.yml": workflow("[push]", {"lint": ["ruff check ."]})},
        False,
    ),
    (
        "ci-tests-on-change",
        "pytest-on-pull-request",
        {".github/workflows/ci.yml": workflow("[push, pull_request]", {"t": ["pytest -q"]})},
        True,
    ),
    (
        "ci-tests-on-change",
        "pytest-only-on-manual-dispatch",
        {".github/workflows/ci.yml": workflow("[workflow_dispatch]", {"t": ["pytest -q"]})},
        False,
    ),
    (
        "ci-tests-on-change",
        "job-named-test-without-test-command",
        {".github/workflows/ci.yml": workflow("[push]", {"test": ["echo hello"]})},
        False,
    ),
    ("training-pipeline", "dvc-train-stage", {"dvc.yaml": DVC_TRAIN}, True),
    ("training-pipeline", "dvc-without-training", {"dvc.yaml": DVC_NO_TRAIN}, False),
    (
        "scheduled-retraining",
        "cron-runs-dvc-repro",
        {
            "dvc.yaml": DVC_TRAIN,
            ".github/workflows/retrain.yml": workflow(
                "\n  schedule:\n    - cron: '0 3 * * 1'", {"train": ["dvc repro"]}
            ),
        },
        True,
    ),
    (
        "scheduled-retraining",
        "cron-runs-only-tests",
        {
            "dvc.yaml": DVC_TRAIN,
            ".github/workflows/nightly.yml": workflow(
                "\n  schedule:\n    - cron: '0 3 * * 1'", {"test": ["pytest -q"]}
            ),
        },
        False,
    ),
    (
        "continuous-delivery",
        "push-to-main-deploys",
        {
            ".github/workflows/cd.yml": workflow(
                "\n  push:\n    branches: [main]",
                {"deploy": ["kubectl apply -k deploy/overlays/production"]},
            )
        },
        True,
    ),
    (
        "continuous-delivery",
        "push-only-publishes-image",
        {
            ".github/workflows/cd.yml": workflow(
                "\n  push:\n    branches: [main]",
                {"deploy": ["docker build -t app .", "docker push ghcr.io/acme/app"]},
            )
        },
        False,
    ),
    (
        "automated-model-validation",
        "train-evaluate-deploy-chain",
        {
            ".github/workflows/cd.yml": workflow(
                "[push]",
                {
                    "train": ["python src/train.py"],
                    "evaluate": ["python src/evaluate.py --min-auc 0.8"],
                    "deploy": ["kubectl apply -f deploy/"],
                },
                needs={"evaluate": "train", "deploy": "evaluate"},
            )
        },
        True,
    ),
    (
        "automated-model-validation",
        "promotion-module-with-threshold-run-by-ci",
        {
            "src/promote.py": PROMOTE,
            ".github/workflows/cd.yml": workflow("[push]", {"promote": ["python src/promote.py"]}),
        },
        True,
    ),
    (
        "automated-model-validation",
        "deploy-after-unit-tests-only",
        {
            ".github/workflows/cd.yml": workflow(
                "[push]",
                {"test": ["pytest -q"], "deploy": ["kubectl apply -f deploy/"]},
                needs={"deploy": "test"},
            )
        },
        False,
    ),
    (
        "automated-model-validation",
        "promotion-without-threshold",
        {
            "src/promote.py": PROMOTE_UNGATED,
            ".github/workflows/cd.yml": workflow("[push]", {"promote": ["python src/promote.py"]}),
        },
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)
