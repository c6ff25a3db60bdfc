"""Tracking detectors: one positive and one negative tiny project per practice, plus
the fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    Case,
    dimension_tests,
)

DIMENSION = Dimension.TRACKING
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [train.lr]
    outs: [models/model.pkl]
    metrics:
    - metrics.json:
        cache: false
"""
DVC_LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: train.py
      hash: md5
      md5: 0123456789abcdef0123456789abcdef
      size: 10
    outs:
    - path: models/model.pkl
      hash: md5
      md5: fedcba9876543210fedcba9876543210
      size: 20
"""
TRAIN_MLFLOW = """\
import mlflow
import mlflow.sklearn


def main(model, auc):
    with mlflow.start_run():
        mlflow.log_metric("auc", auc)
        mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
"""
EVALUATE_PROMOTE = """\
from mlflow.tracking import MlflowClient


def promote(version, auc, min_auc):
    if auc >= min_auc:
        MlflowClient().set_registered_model_alias("churn", "champion", version)
"""
PROMOTE_ONLY = """\
from mlflow.tracking import MlflowClient


def main(version):
    MlflowClient().transition_model_version_stage("churn", version, "Production")
"""
LINEAGE = """\
import os

import mlflow


def main():
    with mlflow.start_run():
        mlflow.set_tag("git_commit", os.environ.get("GITHUB_SHA", "dev"))
        mlflow.log_metric("auc", 0.9)
"""

BUNDLE_MODEL = (
    "bundle:\n  name: churn\nresources:\n  registered_models:\n    churn_model:\n"
    "      name: churn\n      catalog_name: main\n      schema_name: ml\n"
)
BUNDLE_EXPERIMENT_ONLY = (
    "bundle:\n  name: churn\nresources:\n  experiments:\n    churn:\n      name: /Shared/churn\n"
)


CASES: list[Case] = [
    (
        "metrics-files",
        "dvc-metrics",
        {"dvc.yaml": DVC_YAML, "train.py": "print(1)\n", "params.yaml": "train:\n  lr: 1\n"},
        True,
    ),
    (
        "metrics-files",
        "sklearn-metrics-to-json",
        {"train.py": "import json\nfrom sklearn.metrics import f1_score\n"},
        True,
    ),
    (
        "metrics-files",
        "no-metrics",
        {"predict.py": "def predict(x):\n    return x\n"},
        False,
    ),
    ("experiment-tracking", "mlflow-run", {"train.py": TRAIN_MLFLOW}, True),
    (
        "experiment-tracking",
        "wandb-env",
        {"train.py": "import os\nos.environ['WANDB_PROJECT'] = 'churn'\n"},
        True,
    ),
    (
        "experiment-tracking",
        "mlflow-load-only",
        {"serve.py": "import mlflow.pyfunc\nmodel = mlflow.pyfunc.load_model('models:/m/1')\n"},
        False,
    ),
    ("model-registry", "registered-model-name", {"train.py": TRAIN_MLFLOW}, True),
    (
        "model-registry",
        "log-model-unregistered",
        {"train.py": "import mlflow.sklearn\nmlflow.sklearn.log_model(m, 'model')\n"},
        False,
    ),
    (
        "model-artifact-versioning",
        "mlflow-log-model",
        {"train.py": "import mlflow.sklearn\nmlflow.sklearn.log_model(m, 'model')\n"},
        True,
    ),
    (
        "model-artifact-versioning",
        "dvc-model-output",
        {"dvc.yaml": DVC_YAML, "train.py": "print(1)\n", "params.yaml": "train:\n  lr: 1\n"},
        True,
    ),
    (
        "model-artifact-versioning",
        "loose-pickle",
        {"train.py": "import joblib\njoblib.dump(model, 'model.pkl')\n"},
        False,
    ),
    ("model-promotion-gate", "alias-after-gates", {"evaluate.py": EVALUATE_PROMOTE}, True),
    ("model-promotion-gate", "manual-promotion", {"promote.py": PROMOTE_ONLY}, False),
    ("experiment-lineage", "git-commit-tag", {"train.py": LINEAGE}, True),
    (
        "experiment-lineage",
        "dvclive-with-lock",
        {
            "dvc.yaml": DVC_YAML,
            "dvc.lock": DVC_LOCK,
            "params.yaml": "train:\n  lr: 1\n",
            "train.py": "from dvclive import Live\nwith Live() as live:\n"
            "    live.log_metric('auc', 0.9)\n",
        },
        True,
    ),
    ("experiment-lineage", "untagged-runs", {"train.py": TRAIN_MLFLOW}, False),
    ("model-registry", "databricks-registered-model", {"databricks.yml": BUNDLE_MODEL}, True),
    (
        "model-registry",
        "databricks-experiment-only",
        {"databricks.yml": BUNDLE_EXPERIMENT_ONLY},
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)
