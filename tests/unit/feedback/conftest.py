"""A real JSON report of the mid-level fixture (no Transformer), shared by the feedback tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "mid-level"


@pytest.fixture(scope="session")
def mid_report_session() -> dict[str, Any]:
    from hyperscore.evaluators import pipeline

    assessment, _ = pipeline.assess(str(FIXTURE), pipeline.Options(semantic=False))
    return assessment.to_json_dict()


@pytest.fixture
def mid_report(mid_report_session: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy per test, so tests may edit it."""
    return copy.deepcopy(mid_report_session)


Variant = Callable[..., dict[str, Any]]


@pytest.fixture
def variant(mid_report_session: dict[str, Any]) -> Variant:
    """The real report as if from another project: other source name, levels and terms."""

    def make(
        name: str, levels: dict[str, int] | None = None, terms: dict[str, float] | None = None
    ) -> dict[str, Any]:
        report = copy.deepcopy(mid_report_session)
        report["source"]["location"] = name
        for dim, level in (levels or {}).items():
            report["dimensions"][dim] = level
            for detail in report["dimension_details"]:
                if detail["name"] == dim:
                    detail["level"] = level
        for stage, score in (terms or {}).items():
            report["stages"][stage] = {"stage": stage, "status": "ok", "score": score}
        return report

    return make
