"""Deployment detectors: one positive and one negative tiny project per practice, plus the
fixture projects' levels."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from hyperscore.evaluators.assessment import Citation, Dimension
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.practices import (
    detect_practices,
    detectors,
    dimension_levels,
)
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.ingest.formats import load_yaml

ROOT = Path(__file__).resolve().parents[3]
DIMENSION = Dimension.DEPLOYMENT


def workflow(*commands: str, environment: str | None = None, job: str = "deploy") -> str:
    env = f"    environment: {environment}\n" if environment else ""
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return f"on: [push]\njobs:\n  {job}:\n    runs-on: ubuntu-latest\n{env}    steps:\n{steps}"


FASTAPI_APP = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.post('/predict')\ndef predict(x: dict) -> dict:\n    return {'y': 1}\n"
)
FASTAPI_ROUTER = (
    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
    "@router.get('/health')\ndef health() -> dict:\n    return {'ok': True}\n"
)
SERVE_DOCKERFILE = (
    "FROM python:3.11-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n"
    'CMD ["uvicorn", "app.serve:app", "--host", "0.0.0.0"]\n'
)
TRAIN_DOCKERFILE = (
    "FROM python:3.11-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n"
    'CMD ["python", "train.py"]\n'
)
DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n"
    "  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n"
    "      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n"
    "          image: ghcr.io/acme/api:1.0.0\n"
)
CANARY = (
    "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n"
    "spec:\n  predictor:\n    canaryTrafficPercent: 10\n    model:\n"
    "      modelFormat: {name: sklearn}\n      storageUri: s3://models/m/v2\n"
)
NO_CANARY = CANARY.replace("    canaryTrafficPercent: 10\n", "")
KUSTOMIZATION = "resources:\n  - ../../base\nnamespace: {ns}\n"

BUNDLE_SERVING = (
    "bundle:\n  name: churn\nresources:\n  model_serving_endpoints:\n    churn_endpoint:\n"
    "      name: churn-endpoint\n      config:\n        served_entities:\n"
    "          - {name: champion, entity_name: main.ml.churn, entity_version: '3'}\n"
    "          - {name: challenger, entity_name: main.ml.churn, entity_version: '4'}\n"
    "        traffic_config:\n          routes:\n"
    "            - {served_entity_name: champion, traffic_percentage: 90}\n"
    "            - {served_entity_name: challenger, traffic_percentage: 10}\n"
    "        auto_capture_config: {catalog_name: main, schema_name: ml, enabled: true}\n"
)
BUNDLE_JOB_ONLY = (
    "bundle:\n  name: churn\nresources:\n  jobs:\n    train:\n      name: train\n"
    "      tasks:\n        - task_key: train\n          notebook_task: {notebook_path: train.py}\n"
)
BUNDLE_MONITOR = (
    "bundle:\n  name: churn\nresources:\n  quality_monitors:\n    churn_monitor:\n"
    "      table_name: main.ml.churn_inference\n      output_schema_name: main.ml\n"
    "      inference_log:\n        problem_type: PROBLEM_TYPE_CLASSIFICATION\n"
    "        prediction_col: prediction\n{label}        model_id_col: model_version\n"
    "        timestamp_col: ts\n        granularities: [1 day]\n"
)


def detect(tmp_path: Path, practice: str, files: dict[str, str]) -> list[Citation]:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    ctx = DetectionContext(result=ingest(str(tmp_path)))
    return detectors()[practice](ctx)


CASES: list[tuple[str, str, dict[str, str], bool]] = [
    (
        "inference-code",
        "predict-script",
        {"src/pkg/predict.py": "import joblib\n\n\ndef main():\n    return joblib.load('m')\n"},
        True,
    ),
    (
        "inference-code",
        "prediction-flag",
        {
            "main.py": "import argparse\n\np = argparse.ArgumentParser()\n"
            "p.add_argument('--do_predict', action='store_true')\n"
        },
        True,
    ),
    (
        "inference-code",
        "training-only",
        {"src/pkg/train.py": "def main():\n    return 1\n"},
        False,
    ),
    ("serving-api", "fastapi-app", {"app/serve.py": FASTAPI_APP}, True),
    ("serving-api", "gradio-demo", {"demo_app.py": "import gradio as gr\n\ngr.Interface\n"}, True),
    ("serving-api", "router-only", {"app/routes.py": FASTAPI_ROUTER}, False),
    ("serving-api", "app-only-in-tests", {"tests/test_api.py": FASTAPI_APP}, False),
    ("model-packaging", "dockerfile-serves", {"Dockerfile": SERVE_DOCKERFILE}, True),
    ("model-packaging", "kserve-config", {"deploy/isvc.yaml": NO_CANARY}, True),
    ("model-packaging", "dockerfile-trains", {"Dockerfile": TRAIN_DOCKERFILE}, False),
    ("infrastructure-as-code", "k8s-deployment", {"k8s/deployment.yaml": DEPLOYMENT}, True),
    (
        "infrastructure-as-code",
        "terraform",
        {"infra/main.tf": 'resource "aws_s3_bucket" "models" {\n  bucket = "models"\n}\n'},
        True,
    ),
    (
        "infrastructure-as-code",
        "compose-only",
        {"docker-compose.yml": "services:\n  api:\n    image: ghcr.io/acme/api:1.0.0\n"},
        False,
    ),
    (
        "infrastructure-as-code",
        "manifest-in-test-fixtures",
        {"tests/fixtures/deployment.yaml": DEPLOYMENT},
        False,
    ),
    (
        "automated-deployment",
        "kubectl-apply-in-ci",
        {".github/workflows/cd.yml": workflow("kubectl apply -f k8s/")},
        True,
    ),
    (
        "automated-deployment",
        "job-named-deploy-only-pushes-image",
        {".github/workflows/cd.yml": workflow("docker push ghcr.io/acme/api:1.0.0")},
        False,
    ),
    (
        "automated-deployment",
        "kubectl-read-piped-to-grep",
        {".github/workflows/cd.yml": workflow("kubectl get pods | grep create")},
        False,
    ),
    (
        "automated-deployment",
        "docs-site-deploy",
        {".github/workflows/docs.yml": workflow("mkdocs gh-deploy --force")},
        False,
    ),
    ("progressive-delivery", "kserve-canary", {"deploy/isvc.yaml": CANARY}, True),
    ("progressive-delivery", "kserve-without-canary", {"deploy/isvc.yaml": NO_CANARY}, False),
    (
        "progressive-delivery",
        "cloud-run-traffic-split",
        {
            ".github/workflows/cd.yml": workflow(
                "gcloud run services update-traffic api --to-revisions=api-v2=10"
            )
        },
        True,
    ),
    (
        "progressive-delivery",
        "git-mirror-is-not-traffic-mirroring",
        {".github/workflows/cd.yml": workflow("git clone --mirror https://example.com/r.git")},
        False,
    ),
    (
        "multiple-environments",
        "kustomize-overlays",
        {
            "deploy/base/deployment.yaml": DEPLOYMENT,
            "deploy/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "deploy/overlays/staging/kustomization.yaml": KUSTOMIZATION.format(ns="stg"),
            "deploy/overlays/production/kustomization.yaml": KUSTOMIZATION.format(ns="prod"),
        },
        True,
    ),
    (
        "multiple-environments",
        "ci-environments",
        {
            ".github/workflows/cd.yml": workflow(
                "kubectl apply -f k8s/", environment="staging"
            ).replace(
                "on: [push]\njobs:\n",
                "on: [push]\njobs:\n  prod:\n    runs-on: x\n"
                "    environment: production\n    steps:\n      - run: helm upgrade a b\n",
            )
        },
        True,
    ),
    (
        "multiple-environments",
        "single-environment",
        {
            "deploy/base/deployment.yaml": DEPLOYMENT,
            "deploy/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "deploy/overlays/production/kustomization.yaml": KUSTOMIZATION.format(ns="prod"),
        },
        False,
    ),
    (
        "rollback-strategy",
        "rollout-undo-on-failure",
        {
            ".github/workflows/cd.yml": workflow(
                "kubectl apply -f k8s/",
                "kubectl rollout status deployment/api || kubectl rollout undo deployment/api",
            )
        },
        True,
    ),
    (
        "rollback-strategy",
        "deploy-without-rollback",
        {".github/workflows/cd.yml": workflow("kubectl apply -f k8s/")},
        False,
    ),
    ("serving-api", "databricks-endpoint", {"databricks.yml": BUNDLE_SERVING}, True),
    ("serving-api", "databricks-job-only", {"databricks.yml": BUNDLE_JOB_ONLY}, False),
    ("progressive-delivery", "databricks-traffic-split", {"databricks.yml": BUNDLE_SERVING}, True),
    (
        "progressive-delivery",
        "databricks-single-route",
        {
            "databricks.yml": BUNDLE_SERVING.replace("90}", "100}").split(
                "            - {served_entity_name: challenger"
            )[0]
        },
        False,
    ),
]


@pytest.mark.parametrize(
    ("practice", "files", "expected"),
    [pytest.param(p, f, e, id=f"{p}-{name}") for p, name, f, e in CASES],
)
def test_detector(tmp_path: Path, practice: str, files: dict[str, str], expected: bool) -> None:
    citations = detect(tmp_path, practice, files)
    assert bool(citations) is expected, citations
    for citation in citations:
        assert citation.what and citation.path


def test_every_practice_of_the_dimension_has_both_cases() -> None:
    from hyperscore.evaluators.catalogue import load_practices

    ours = {p.id for p in load_practices().values() if p.dimension == DIMENSION}
    positive = {p for p, _, _, e in CASES if e}
    negative = {p for p, _, _, e in CASES if not e}
    assert ours <= positive and ours <= negative


@cache
def _fixture_levels(path: str) -> dict[str, int]:
    ctx = DetectionContext(result=ingest(str(ROOT / path)))
    return {d.name.value: d.level for d in dimension_levels(detect_practices(ctx))}


def test_fixture_projects_levels() -> None:
    expected = load_yaml((ROOT / "tests/fixtures/expected.yaml").read_text(encoding="utf-8"))
    tolerance = int(expected["tolerance"]["dimension"])
    got = {}
    for name, project in expected["projects"].items():
        level = _fixture_levels(project["path"])[DIMENSION.value]
        want = int(project["dimensions"][DIMENSION.value])
        assert abs(level - want) <= tolerance, (name, level, want)
        got[name] = level
    assert got["notebook-research"] <= got["mid-level"] <= got["full-mlops"], got
