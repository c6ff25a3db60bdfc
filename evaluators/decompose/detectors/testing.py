"""Testing and code quality: tests, linters, CI test runs, data/model tests, coverage gates.

Tests come from the Python analysis (``code.test`` per test function with its asserts,
thresholds, fixtures and markers; ``code.test_file`` per file), tool configuration from the
dependency parsers (``dep.manifest.tools``, ``coverage_fail_under``) and CI commands from the
CI parsers. A test file counts as a data or model test only when what it imports, calls or
names shows that it exercises data validation or a model, never from its file name alone.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors._common import (
    basename,
    calls_by_path,
    ci_commands,
    command_matches,
    import_names,
    imported_paths,
    imports_by_path,
    is_test_path,
    is_vendored,
    parts,
    resolve_module,
    stem,
    test_files,
    tests_by_path,
    uses_library,
    word_set,
    words,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeTest
from hyperscore.evaluators.ingest.parsers.dependencies import DepManifest

LINTERS = frozenset(
    {
        "ruff",
        "flake8",
        "pylint",
        "black",
        "isort",
        "mypy",
        "pyright",
        "pycodestyle",
        "pydocstyle",
        "yapf",
        "autopep8",
        "pyflakes",
        "pylama",
        "blue",
        "pytype",
    }
)
_LINT_FILES = (
    "*.flake8",
    "*.pylintrc",
    "*pylintrc",
    "*ruff.toml",
    "*mypy.ini",
    "*.pre-commit-config.yaml",
    "*.pre-commit-config.yml",
    "*.isort.cfg",
    "*.style.yapf",
    "*pyrightconfig.json",
    "*.pydocstyle",
)
_LINT_CMD = re.compile(
    r"\b(?:ruff|flake8|pylint|black|isort|mypy|pyright|pycodestyle|pydocstyle|pre-commit\s+run"
    r"|nbqa|pytype)\b"
)
_LINT_TARGET = frozenset({"lint", "linting", "format", "style", "typecheck", "mypy", "ruff"})
_TEST_CMD = re.compile(
    r"\b(?:pytest|py\.test|tox|nox|nose2?|behave|coverage\s+run|unittest"
    r"|hatch\s+(?:run\s+)?test|(?:npm|yarn|pnpm)\s+(?:run\s+)?test|go\s+test|cargo\s+test"
    r"|setup\.py\s+test|make\s+(?:\S+\s+)*(?:test|tests|unittest|unit-tests?|check|coverage)\b)"
)
_TEST_TARGET = frozenset({"test", "tests", "unittest", "unit", "check", "coverage", "pytest"})
_COVERAGE_CMD = re.compile(
    r"--cov-fail-under[= ]+\d|coverage\s+report\s+.*--fail-under|--fail-under"
)
_CODECOV_FILES = ("*codecov.yml", "*codecov.yaml")

VALIDATION_LIBS = (
    "pandera",
    "great_expectations",
    "deepchecks",
    "tensorflow_data_validation",
    "evidently",
    "soda",
    "datacontract",
)
_DATA_MODULE_WORDS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "schema",
        "schemas",
        "validate",
        "validation",
        "preprocess",
        "preprocessing",
        "ingest",
        "ingestion",
        "etl",
        "loader",
        "loaders",
        "dataloader",
        "contract",
        "contracts",
        "cleaning",
        "quality",
    }
)
_DATA_CHECK_WORDS = frozenset(
    {
        "schema",
        "column",
        "columns",
        "null",
        "nulls",
        "nan",
        "nans",
        "missing",
        "dtype",
        "dtypes",
        "range",
        "ranges",
        "duplicate",
        "duplicates",
        "validate",
        "validation",
        "valid",
        "invalid",
        "contract",
        "shape",
        "distribution",
        "leak",
        "leakage",
        "outlier",
        "outliers",
        "bounds",
        "unique",
        "integrity",
        "expectation",
        "expectations",
        "balance",
        "imbalance",
    }
)
METRIC_WORDS = frozenset(
    {
        "acc",
        "accuracy",
        "auc",
        "roc",
        "f1",
        "precision",
        "recall",
        "rmse",
        "mae",
        "mse",
        "r2",
        "iou",
        "map",
        "bleu",
        "rouge",
        "wer",
        "cer",
        "perplexity",
        "ndcg",
        "loss",
        "metric",
        "metrics",
        "performance",
        "mape",
        "logloss",
        "gini",
    }
)
_THRESHOLD_WORDS = frozenset(
    {
        "threshold",
        "thresholds",
        "above",
        "below",
        "min",
        "minimum",
        "max",
        "floor",
        "baseline",
        "better",
        "exceeds",
        "least",
        "beats",
        "target",
        "acceptable",
        "sufficient",
        "meets",
        "gate",
    }
)
_METRIC_LIBS = ("sklearn.metrics", "torchmetrics", "evaluate", "ignite.metrics", "torcheval")
_BEHAVIOUR_WORDS = frozenset(
    {
        "invariance",
        "invariant",
        "directional",
        "direction",
        "robust",
        "robustness",
        "perturbation",
        "perturb",
        "perturbed",
        "noise",
        "noisy",
        "adversarial",
        "fairness",
        "fair",
        "bias",
        "counterfactual",
        "metamorphic",
        "behavioral",
        "behavioural",
        "monotonic",
        "monotonicity",
        "sensitivity",
        "slice",
        "slices",
    }
)
_BEHAVIOUR_LIBS = ("checklist", "giskard", "fairlearn", "aif360", "deepchecks.tabular.suites")
_MODEL_WORDS = frozenset(
    {
        "model",
        "models",
        "predict",
        "prediction",
        "predictions",
        "predictor",
        "classifier",
        "clf",
        "estimator",
        "regressor",
        "inference",
        "score",
        "scores",
        "net",
        "network",
    }
)
_ML_LIBS = (
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "transformers",
    "xgboost",
    "lightgbm",
    "catboost",
    "jax",
    "mlflow",
)
_INTEGRATION_WORDS = frozenset({"integration", "integrations", "e2e", "end2end", "endtoend"})
_INTEGRATION_DIRS = _INTEGRATION_WORDS | {"functional", "system", "acceptance", "smoke"}
_PLUMBING_WORDS = frozenset(
    {
        "job",
        "jobs",
        "definition",
        "baseline",
        "baselines",
        "monitor",
        "monitoring",
        "schedule",
        "create",
        "config",
        "endpoint",
        "stack",
        "template",
        "policy",
        "role",
    }
)


def _tests_in(ctx: DetectionContext, path: str) -> list[CodeTest]:
    return [t for t in tests_by_path(ctx).get(path, ()) if t.role in ("function", "method")]


def _e2e_name(name: str) -> bool:
    ws = set(words(name))
    return bool(ws & _INTEGRATION_WORDS) or {"end", "to"} <= ws


# --------------------------------------------------------------------------- level 1


@detects("unit-tests")
def unit_tests(ctx: DetectionContext) -> list[Citation]:
    out = []
    for f in test_files(ctx):
        framework = "/".join(f.frameworks) or "pytest"
        out.append(cite(f, f"{f.path}: {f.tests} {framework} test functions"))
    return out


@detects("linting-configured")
def linting_configured(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for m in ctx.typed(DepManifest):
        tools = sorted(LINTERS & set(m.tools))
        if tools and not is_vendored(m.path):
            out.append(cite(m, f"{basename(m.path)} configures {', '.join(tools)}"))
    for path in ctx.paths_matching(*_LINT_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{basename(path)} configures linting"))
    for step, command in ci_commands(ctx):
        if _LINT_CMD.search(command):
            out.append(cite(step, f"CI runs a linter: {command[:100]}"))
    for step in ctx.typed(CiStep):
        targets = [r.rsplit(":", 1)[-1] for r in step.runs if r.startswith("make-target:")]
        if any(set(words(t)) & _LINT_TARGET for t in targets):
            out.append(cite(step, f"CI step '{step.name}' runs a lint target"))
    return out


# --------------------------------------------------------------------------- level 2


@detects("tests-in-ci")
def tests_in_ci(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for step, command in ci_commands(ctx):
        if _TEST_CMD.search(command):
            out.append(cite(step, f"CI job '{step.job_id}' runs tests: {command[:100]}"))
    for step in ctx.typed(CiStep):
        for node in step.runs:
            kind, _, target = node.partition(":")
            if kind == "make-target" and set(words(target.rsplit(":", 1)[-1])) & _TEST_TARGET:
                out.append(cite(step, f"CI job '{step.job_id}' runs make target {target}"))
            elif kind == "file" and is_test_path(target):
                out.append(cite(step, f"CI job '{step.job_id}' runs test script {target}"))
    return out


# --------------------------------------------------------------------------- level 3


_VALIDATION_MODULE_WORDS = frozenset(
    {"schema", "schemas", "validate", "validation", "contract", "contracts", "expectations"}
)
_VALIDATION_NAME_WORDS = frozenset({"validate", "validation", "schema", "contract", "expectation"})
_DATA_DIRS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "schema",
        "schemas",
        "validation",
        "preprocessing",
        "etl",
        "ingestion",
        "contracts",
    }
)
_DATA_STEMS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "data_utils",
        "data_loader",
        "dataloader",
        "data_processing",
        "data_processor",
        "make_dataset",
        "data_prep",
    }
)


def _data_module(path: str) -> bool:
    """A project module about data: by its own name or its package, not ``data_types.py``."""
    name = stem(path).lower()
    if name in _DATA_STEMS or set(parts(path)[:-1]) & _DATA_DIRS:
        return True
    return bool(set(words(name)) & (_DATA_MODULE_WORDS - {"data"}))


def _validation_lib(ctx: DetectionContext, path: str) -> str | None:
    lib = uses_library(import_names(ctx, path), VALIDATION_LIBS)
    if lib:
        return lib
    for call in calls_by_path(ctx).get(path, ()):
        if call.category == "data-validation":
            return call.function
    return None


@detects("data-tests")
def data_tests(ctx: DetectionContext) -> list[Citation]:
    """Tests that validate data: with a validation library, through the project's schema or
    validation code, or by checking a committed dataset. Unit tests of cleaning functions on
    hand-made frames (``test_clean_drops_duplicates``) are ordinary unit tests."""
    out: list[Citation] = []
    for f in test_files(ctx):
        lib = _validation_lib(ctx, f.path)
        if lib:
            out.append(cite(f, f"{f.path} tests data validation with {lib}"))
            continue
        validation = _validation_import(ctx, f.path)
        if validation:
            out.append(cite(f, f"{f.path} exercises the project's data validation ({validation})"))
            continue
        datasets = [
            c
            for c in calls_by_path(ctx).get(f.path, ())
            if c.category == "data-io" and c.first_arg and _dataset_path(c.first_arg)
        ]
        checks = [t for t in _tests_in(ctx, f.path) if set(words(t.name)) & _DATA_CHECK_WORDS]
        if datasets and checks:
            what = f"{f.path}: {checks[0].name} checks dataset {datasets[0].first_arg}"
            out.append(cite(checks[0], what))
    return out


def _validation_import(ctx: DetectionContext, path: str) -> str | None:
    """A project schema/validation module or function the test file imports."""
    for imp in imports_by_path(ctx).get(path, ()):
        target = resolve_module(ctx, imp.module)
        if target is None or is_test_path(target):
            continue
        if set(words(stem(target))) & _VALIDATION_MODULE_WORDS:
            return imp.module
        named = [n for n in imp.names if set(words(n)) & _VALIDATION_NAME_WORDS]
        if named:
            return f"{imp.module}.{named[0]}"
    return None


def _dataset_path(arg: str) -> bool:
    low = arg.lower()
    return "tmp" not in low and (low.startswith(("data/", "./data/")) or "/data/" in low)


def _metric_test(test: CodeTest, imports_metrics: bool) -> str | None:
    for threshold in test.thresholds:
        if set(words(threshold)) & METRIC_WORDS:
            return f"asserts {threshold[:80]}"
    name = set(words(test.name))
    if test.asserts and name & METRIC_WORDS and (name & _THRESHOLD_WORDS or imports_metrics):
        return "asserts a metric threshold"
    return None


@detects("model-evaluation-tests")
def model_evaluation_tests(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for f in test_files(ctx):
        imports_metrics = bool(uses_library(import_names(ctx, f.path), _METRIC_LIBS))
        for test in _tests_in(ctx, f.path):
            why = _metric_test(test, imports_metrics)
            if why:
                out.append(cite(test, f"{f.path}: {test.name} {why}"))
    return out


# --------------------------------------------------------------------------- level 4


def _about_model(ctx: DetectionContext, test: CodeTest, path: str) -> bool:
    if (set(words(test.name)) | set(test.fixtures)) & _MODEL_WORDS:
        return True
    if set(words(path)) & _MODEL_WORDS:
        return True
    if uses_library(import_names(ctx, path), _ML_LIBS):
        return True
    return any(word_set(p) & _MODEL_WORDS for p in imported_paths(ctx, path))


@detects("behavioural-model-tests")
def behavioural_model_tests(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for f in test_files(ctx):
        lib = uses_library(import_names(ctx, f.path), _BEHAVIOUR_LIBS)
        if lib:
            out.append(cite(f, f"{f.path} runs behavioural model checks with {lib}"))
            continue
        for test in _tests_in(ctx, f.path):
            name = set(words(test.name))
            kinds = sorted(name & _BEHAVIOUR_WORDS)
            if kinds and not name & _PLUMBING_WORDS and _about_model(ctx, test, f.path):
                out.append(cite(test, f"{f.path}: {test.name} is a {kinds[0]} test of the model"))
    return out


@detects("pipeline-integration-tests")
def pipeline_integration_tests(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for f in test_files(ctx):
        dirs = set(parts(f.path)[:-1])
        tests = _tests_in(ctx, f.path)
        if (
            dirs & _INTEGRATION_DIRS
            or set(words(stem(f.path))) & _INTEGRATION_WORDS
            or set(f.markers) & {"integration", "e2e"}
        ):
            out.append(cite(f, f"{f.path}: {f.tests} integration/end-to-end tests"))
            continue
        e2e = [t for t in tests if _e2e_name(t.name)]
        if e2e:
            out.append(cite(e2e[0], f"{f.path}: {e2e[0].name} tests the system end to end"))
    for job in ctx.typed(CiJob):
        name_words = word_set(job.job_id, job.display_name or "")
        if "test" in job.roles and name_words & _INTEGRATION_WORDS:
            out.append(cite(job, f"CI job '{job.job_id}' runs integration tests"))
    return out


@detects("coverage-gate")
def coverage_gate(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for m in ctx.typed(DepManifest):
        if m.coverage_fail_under and not is_vendored(m.path):
            out.append(
                cite(m, f"{basename(m.path)} sets coverage fail_under = {m.coverage_fail_under:g}")
            )
    out += command_matches(
        ctx, _COVERAGE_CMD, lambda c: f"fails the build below a coverage floor: {c}"
    )
    for path in ctx.paths_matching(*_CODECOV_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{path} sets Codecov coverage status targets"))
    return out
