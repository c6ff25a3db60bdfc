"""Testing detectors: one positive and one negative tiny project per practice, plus
the fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    Case,
    dimension_tests,
)

DIMENSION = Dimension.TESTING


def workflow(*commands: str) -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return (
        f"on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    )


SIMPLE_TEST = "def test_add():\n    assert 1 + 1 == 2\n"
SCHEMA = "import pandera as pa\n\n\nclass Rows(pa.DataFrameModel):\n    x: int = pa.Field(ge=0)\n"
CLEANING = "import pandas as pd\n\n\ndef clean(df):\n    return df.drop_duplicates()\n"


CASES: list[Case] = [
    ("unit-tests", "pytest-file", {"tests/test_math.py": SIMPLE_TEST}, True),
    (
        "unit-tests",
        "test-named-helper-outside-tests",
        {"src/db.py": "def test_connection():\n    return True\n"},
        False,
    ),
    (
        "linting-configured",
        "ruff-in-pyproject",
        {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
        True,
    ),
    (
        "linting-configured",
        "pre-commit",
        {
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/psf/black\n"
            "    rev: 24.4.2\n    hooks:\n      - id: black\n"
        },
        True,
    ),
    (
        "linting-configured",
        "pytest-config-only",
        {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n"},
        False,
    ),
    (
        "tests-in-ci",
        "pytest-step",
        {".github/workflows/ci.yml": workflow("pip install -r requirements.txt", "pytest -q")},
        True,
    ),
    (
        "tests-in-ci",
        "installs-pytest-never-runs",
        {".github/workflows/ci.yml": workflow("pip install pytest", "python train.py")},
        False,
    ),
    (
        "data-tests",
        "pandera-in-test",
        {"tests/test_rows.py": "import pandera as pa\n\n\ndef test_rows():\n    assert pa\n"},
        True,
    ),
    (
        "data-tests",
        "project-schema",
        {
            "src/proj/__init__.py": "",
            "src/proj/schema.py": SCHEMA,
            "tests/test_schema.py": "from proj.schema import Rows\n\n\n"
            "def test_rows_schema(df):\n    Rows.validate(df)\n",
        },
        True,
    ),
    (
        "data-tests",
        "cleaning-unit-test",
        {
            "src/proj/__init__.py": "",
            "src/proj/data.py": CLEANING,
            "tests/test_data.py": "import pandas as pd\n\nfrom proj.data import clean\n\n\n"
            "def test_clean_drops_duplicates():\n"
            "    assert len(clean(pd.DataFrame({'a': [1, 1]}))) == 1\n",
        },
        False,
    ),
    (
        "model-evaluation-tests",
        "auc-threshold",
        {
            "tests/test_model.py": "def test_model_quality(model, data):\n"
            "    auc = evaluate(model, data)\n    assert auc >= 0.8\n"
        },
        True,
    ),
    (
        "model-evaluation-tests",
        "named-threshold",
        {
            "tests/test_model.py": "MIN_AUC = 0.8\n\n\ndef test_auc_above_threshold(model):\n"
            "    assert score(model) >= MIN_AUC\n"
        },
        True,
    ),
    (
        "model-evaluation-tests",
        "numeric-tolerance",
        {"tests/test_math.py": "def test_mean():\n    assert abs(mean([1, 2]) - 1.5) < 1e-9\n"},
        False,
    ),
    (
        "behavioural-model-tests",
        "invariance",
        {
            "tests/test_behaviour.py": "import numpy as np\n\n\n"
            "def test_invariant_to_customer_id(model, sample):\n"
            "    np.testing.assert_allclose(model.predict(sample), model.predict(sample))\n"
        },
        True,
    ),
    (
        "behavioural-model-tests",
        "robust-config-parser",
        {
            "tests/test_config.py": "def test_parser_is_robust_to_blank_lines():\n"
            "    assert parse('a=1\\n\\n') == {'a': '1'}\n"
        },
        False,
    ),
    (
        "pipeline-integration-tests",
        "integration-dir",
        {
            "tests/integration/test_pipeline.py": "def test_pipeline_runs(tmp_path):\n"
            "    assert run(tmp_path)\n"
        },
        True,
    ),
    (
        "pipeline-integration-tests",
        "end-to-end-name",
        {
            "tests/test_api.py": "def test_predict_end_to_end(client):\n"
            "    assert client.post('/predict').ok\n"
        },
        True,
    ),
    (
        "pipeline-integration-tests",
        "pipeline-builder-unit-test",
        {
            "tests/test_pipeline.py": "def test_build_pipeline_has_two_steps():\n"
            "    assert len(build_pipeline().steps) == 2\n"
        },
        False,
    ),
    (
        "coverage-gate",
        "fail-under-in-pyproject",
        {"pyproject.toml": "[tool.coverage.report]\nfail_under = 85\n"},
        True,
    ),
    (
        "coverage-gate",
        "ci-cov-fail-under",
        {".github/workflows/ci.yml": workflow("pytest --cov=src --cov-fail-under=90")},
        True,
    ),
    (
        "coverage-gate",
        "coverage-without-floor",
        {".github/workflows/ci.yml": workflow("pytest --cov=src --cov-report=xml")},
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)
