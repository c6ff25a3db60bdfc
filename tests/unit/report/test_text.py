"""The terminal report."""

from __future__ import annotations

from hyperscore.evaluators.report.text import render_text
from tests.unit.report import XSS, make_assessment

ESC = "\x1b["


def test_plain_text_has_no_escape_sequences() -> None:
    out = render_text(make_assessment(), color=False)
    assert ESC not in out
    assert "Maturity score 38.8/100" in out
    assert "level 1 (DevOps, no MLOps)" in out


def test_colour_only_when_asked() -> None:
    assert ESC in render_text(make_assessment(), color=True)


def test_dimension_table_has_bars_levels_and_rationale() -> None:
    out = render_text(make_assessment())
    for name in (
        "reproducibility",
        "data",
        "tracking",
        "testing",
        "automation",
        "deployment",
        "monitoring",
        "governance",
    ):
        assert name in out
    assert "███░ 3" in out  # deployment
    assert "░░░░ 0" in out  # monitoring
    assert "dockerfile, k8s-manifests found" in out


def test_findings_grouped_by_severity_most_severe_first() -> None:
    out = render_text(make_assessment())
    heads = [out.index(h) for h in ("CRITICAL (1)", "HIGH (2)", "MEDIUM (2)", "LOW (1)")]
    assert heads == sorted(heads)
    assert ".github/workflows/ci.yml:12" in out
    assert "[ci-pr-target-checkout]" in out


def test_findings_are_capped_with_a_pointer_to_the_rest() -> None:
    out = render_text(make_assessment(findings=40), max_findings=15)
    assert "... and 25 more" in out


def test_next_steps_and_claimed_only_are_called_out() -> None:
    out = render_text(make_assessment())
    assert "Next steps" in out
    assert "monitoring 0 -> 1" in out
    assert "Application logging [app-logging]" in out
    assert "claimed in the docs, not found in the files" in out
    assert "Claimed only (2)" in out
    assert "claimed at README.md:5" in out


def test_no_findings() -> None:
    out = render_text(make_assessment(findings=0))
    assert "Findings (0)" in out
    assert "none" in out


def test_markup_in_project_strings_is_printed_literally() -> None:
    a = make_assessment(source={"type": "directory", "location": "/p/[bold red]x[/] " + XSS})
    out = render_text(a, color=True)
    assert "[bold red]x[/]" in out
    assert XSS in out  # a terminal does not interpret HTML; nothing is swallowed either
