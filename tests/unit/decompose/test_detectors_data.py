"""Data detectors: one positive and one negative tiny project per practice, plus
the fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    Case,
    dimension_tests,
)

DIMENSION = Dimension.DATA
DVC_YAML = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data/raw.csv]
    outs: [data/prepared.csv]
  validate:
    cmd: python -m validate
    deps: [data/prepared.csv, validate.py]
    outs: [reports/validation.json]
"""
DVC_LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw.csv
      hash: md5
      md5: 0123456789abcdef0123456789abcdef
      size: 10
    outs:
    - path: data/prepared.csv
      hash: md5
      md5: fedcba9876543210fedcba9876543210
      size: 20
"""
DVC_FILE = """\
outs:
- md5: 0123456789abcdef0123456789abcdef
  size: 10
  path: raw.csv
"""
SCHEMA = """\
import pandera as pa


class Transactions(pa.DataFrameModel):
    amount: float = pa.Field(gt=0)
"""
VALIDATE = """\
import pandas as pd

from schema import Transactions


def main() -> None:
    Transactions.validate(pd.read_csv("data/prepared.csv"))


if __name__ == "__main__":
    main()
"""
WORKFLOW = """\
on: push
jobs:
  data:
    runs-on: ubuntu-latest
    steps:
      - run: great_expectations checkpoint run transactions
"""


CASES: list[Case] = [
    (
        "data-preparation-script",
        "download-script",
        {"scripts/download_data.sh": "wget -q https://example.org/data.zip\n"},
        True,
    ),
    (
        "data-preparation-script",
        "make-dataset",
        {
            "src/data/make_dataset.py": "import pandas as pd\n"
            "pd.read_csv('data/raw.csv').to_parquet('data/clean.parquet')\n"
        },
        True,
    ),
    (
        "data-preparation-script",
        "no-data-code",
        {
            "model.py": "def predict(x):\n    return x\n",
            "tests/test_prepare.py": "def test_x():\n    assert True\n",
        },
        False,
    ),
    ("data-versioning", "dvc-file", {"data/raw.csv.dvc": DVC_FILE}, True),
    (
        "data-versioning",
        "mlflow-log-input",
        {"train.py": "import mlflow\nmlflow.log_input(ds, context='training')\n"},
        True,
    ),
    (
        "data-versioning",
        "dvc-remote-only",
        {
            ".dvc/config": "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b/x\n",
            "train.py": "print(1)\n",
        },
        False,
    ),
    ("data-schema", "pandera-model", {"schema.py": SCHEMA}, True),
    (
        "data-schema",
        "expectation-suite",
        {"great_expectations/expectations/transactions_suite.json": "{}\n"},
        True,
    ),
    (
        "data-schema",
        "api-schemas-and-helm",
        {
            "app/models.py": "from pydantic import BaseModel\n\n\nclass Req(BaseModel):\n"
            "    x: int\n",
            "chart/values.schema.json": "{}\n",
        },
        False,
    ),
    (
        "data-validation-in-pipeline",
        "dvc-stage-runs-pandera",
        {
            "dvc.yaml": DVC_YAML,
            "schema.py": SCHEMA,
            "validate.py": VALIDATE,
            "prepare.py": "print(1)\n",
        },
        True,
    ),
    (
        "data-validation-in-pipeline",
        "ci-checkpoint",
        {".github/workflows/data.yml": WORKFLOW},
        True,
    ),
    (
        "data-validation-in-pipeline",
        "schema-never-run",
        {
            "schema.py": SCHEMA,
            "dvc.yaml": DVC_YAML.split("  validate:", maxsplit=1)[0],
            "prepare.py": "print(1)\n",
        },
        False,
    ),
    ("data-lineage", "dvc-lock-hashes", {"dvc.yaml": DVC_YAML, "dvc.lock": DVC_LOCK}, True),
    (
        "data-lineage",
        "openlineage",
        {"etl.py": "from openlineage.client import OpenLineageClient\n"},
        True,
    ),
    ("data-lineage", "dvc-file-only", {"data/raw.csv.dvc": DVC_FILE}, False),
    (
        "feature-store",
        "feast",
        {"features.py": "from feast import Entity, FeatureView\n"},
        True,
    ),
    (
        "feature-store",
        "feature-engineering-only",
        {"features.py": "import pandas as pd\n\n\ndef add_features(df):\n    return df\n"},
        False,
    ),
    (
        "data-contracts",
        "datacontract-yaml",
        {"datacontract.yaml": "dataContractSpecification: 1.1.0\nid: transactions\n"},
        True,
    ),
    (
        "data-contracts",
        "plain-schema",
        {"schema.py": SCHEMA},
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)
