"""Testing detectors: one positive and one negative tiny project per practice, plus
the fixture projects' levels."""

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
DIMENSION = Dimension.TESTING


def workflow(*commands: str) -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return (
        f"on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    )


SIMPLE_TEST = "def test_add():\n    assert 1 + 1 == 2\n"
SCHEMA = "import pandera as pa\n\n\nclass Rows(pa.DataFrameModel):\n    x: int = pa.Field(ge=0)\n"
CLEANING = "import pandas as pd\n\n\ndef clean(df):\n    return df.drop_duplicates()\n"


def detect(tmp_path: Path, practice: str, files: dict[str, str]) -> list[Citation]:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    ctx = DetectionContext(result=ingest(str(tmp_path)))
    return detectors()[practice](ctx)


CASES: list[tuple[str, str, dict[str, str], bool]] = [
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
