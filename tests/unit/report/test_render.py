"""The shared entry point and helpers: dispatch, level bars, next steps, remediation blocks."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.assessment import PracticeState, Severity
from hyperscore.evaluators.report import (
    FORMATS,
    at_or_above,
    level_bar,
    next_steps,
    render,
    severity_counts,
    sorted_findings,
    text_blocks,
)
from tests.unit.report import make_assessment


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_a_non_empty_string(fmt: str) -> None:
    out = render(make_assessment(), fmt)
    assert isinstance(out, str)
    assert out.endswith("\n") or fmt == "html"
    assert "38.8" in out or fmt == "sarif"


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        render(make_assessment(), "pdf")


def test_level_bar() -> None:
    assert level_bar(0) == "░░░░"
    assert level_bar(2) == "██░░"
    assert level_bar(4) == "████"
    assert level_bar(9) == "████"
    assert level_bar(-1) == "░░░░"


def test_next_steps_are_for_the_weakest_dimensions_first() -> None:
    steps = next_steps(make_assessment())
    # monitoring (0) first, then the level-1 dimensions in model order, three at most.
    assert [s.dimension for s in steps] == ["monitoring", "tracking", "testing"]
    assert [(s.current_level, s.target_level) for s in steps] == [(0, 1), (1, 2), (1, 2)]
    tracking = steps[1]
    assert tracking.practice_id == "experiment-tracking"
    assert tracking.claimed  # claimed in the README, not found in the files
    assert not steps[0].claimed


def test_next_steps_skip_dimensions_at_the_top_level() -> None:
    a = make_assessment()
    for d in a.dimension_details:
        d.level, d.next_steps = 4, []
    assert next_steps(a) == []


def test_next_steps_take_titles_from_the_practice_results_when_not_in_the_catalogue() -> None:
    a = make_assessment()
    steps = {s.practice_id: s for s in next_steps(a, max_dimensions=8)}
    assert steps["lockfile"].title  # a title either way, never empty
    assert set(steps) >= {"app-logging", "experiment-tracking", "tests-in-ci", "lockfile"}


def test_severity_helpers() -> None:
    a = make_assessment()
    counts = severity_counts(a.findings)
    assert counts == {Severity.CRITICAL: 1, Severity.HIGH: 2, Severity.MEDIUM: 2, Severity.LOW: 1}
    assert len(at_or_above(a.findings, Severity.HIGH)) == 3
    assert len(at_or_above(a.findings, Severity.LOW)) == 6
    ranks = [f.severity.rank for f in sorted_findings(reversed(a.findings))]
    assert ranks == sorted(ranks, reverse=True)


def test_claimed_only_practices_are_in_the_builder() -> None:
    states = {p.state for p in make_assessment().practices}
    assert states == set(PracticeState)


def test_text_blocks_split_paragraphs_and_code() -> None:
    text = "Add a stage:\n\n    stages:\n      validate:\n\n        cmd: x\n\nthen rerun.\n"
    assert text_blocks(text) == [
        ("p", "Add a stage:"),
        ("code", "stages:\n  validate:\n\n    cmd: x"),
        ("p", "then rerun."),
    ]
    assert text_blocks("one\nparagraph") == [("p", "one paragraph")]
    assert text_blocks("a\n```\nfenced\n```\nb") == [("p", "a"), ("code", "fenced"), ("p", "b")]
