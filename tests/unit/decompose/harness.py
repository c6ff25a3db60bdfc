"""The shared harness of the per-dimension detector tests (``test_detectors_*.py``).

Each test file lists its cases -- ``(practice, case name, {path: text}, expected)`` -- and
calls the three checks below: every case, both polarities for every practice of the
dimension, and the dimension's level on the fixture projects (computed once per run for all
eight dimensions, not once per file).
"""

from __future__ import annotations

from collections.abc import Callable
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

Case = tuple[str, str, dict[str, str], bool]
TestFn = Callable[..., None]

#: Databricks Asset Bundle resources shared by the deployment, monitoring and tracking cases.
BUNDLE_JOB_ONLY = (
    "bundle:\n  name: churn\nresources:\n  jobs:\n    train:\n      name: train\n"
    "      tasks:\n        - task_key: train\n          notebook_task: {notebook_path: train.py}\n"
)
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


def dimension_tests(dimension: Dimension, cases: list[Case]) -> tuple[TestFn, TestFn, TestFn]:
    """The three tests of one dimension's file, bound to its cases::

    test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(...)
    """

    @pytest.mark.parametrize(
        ("practice", "files", "expected"),
        [pytest.param(p, f, e, id=f"{p}-{name}") for p, name, f, e in cases],
    )
    def test_detector(tmp_path: Path, practice: str, files: dict[str, str], expected: bool) -> None:
        check_case(tmp_path, practice, files, expected)

    def test_both_polarities() -> None:
        check_both_polarities(dimension, cases)

    def test_fixture_projects_levels() -> None:
        check_fixture_levels(dimension)

    return test_detector, test_both_polarities, test_fixture_projects_levels


def check_case(tmp_path: Path, practice: str, files: dict[str, str], expected: bool) -> None:
    citations = detect(tmp_path, practice, files)
    assert bool(citations) is expected, citations
    for citation in citations:
        assert citation.what and citation.path


def check_both_polarities(dimension: Dimension, cases: list[Case]) -> None:
    from hyperscore.evaluators.catalogue import load_practices

    ours = {p.id for p in load_practices().values() if p.dimension == dimension}
    positive = {p for p, _, _, e in cases if e}
    negative = {p for p, _, _, e in cases if not e}
    assert ours <= positive and ours <= negative, (ours - positive, ours - negative)


@cache
def _fixture_levels(path: str) -> dict[str, int]:
    ctx = DetectionContext(result=ingest(str(ROOT / path)))
    return {d.name.value: d.level for d in dimension_levels(detect_practices(ctx))}


def check_fixture_levels(dimension: Dimension) -> None:
    expected = load_yaml((ROOT / "tests/fixtures/expected.yaml").read_text(encoding="utf-8"))
    tolerance = int(expected["tolerance"]["dimension"])
    got = {}
    for name, project in expected["projects"].items():
        level = _fixture_levels(project["path"])[dimension.value]
        want = int(project["dimensions"][dimension.value])
        assert abs(level - want) <= tolerance, (name, level, want)
        got[name] = level
    assert got["notebook-research"] <= got["mid-level"] <= got["full-mlops"], got
