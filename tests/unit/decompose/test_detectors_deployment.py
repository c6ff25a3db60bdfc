"""Deployment detectors: one positive and one negative tiny project per practice, plus the
fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    BUNDLE_JOB_ONLY,
    BUNDLE_SERVING,
    Case,
    dimension_tests,
)

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


CASES: list[Case] = [
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


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)
