"""`evaluators.validate` on a small labelled set made from the fixture projects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hyperscore.evaluators.validate import (
    ValidationError,
    load_labels,
    render_html,
    render_text,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {
    "fixtures/notebook-research": (ROOT / "tests/fixtures/notebook-research", 10, 0),
    "fixtures/mid-level": (ROOT / "tests/fixtures/mid-level", 45, 2),
    "fixtures/full-mlops": (ROOT / "tests/fixtures/full-mlops", 85, 4),
    "examples/demo-project": (ROOT / "examples/demo-project", 35, 1),
}


def labelled_set(tmp: Path, missing: bool = False) -> tuple[Path, Path]:
    """Labels in the dev-set.yaml format and a sources folder of owner+name links."""
    sources = tmp / "sources"
    sources.mkdir()
    lines = []
    for repo, (path, overall, level) in PROJECTS.items():
        (sources / repo.replace("/", "+")).symlink_to(path, target_is_directory=True)
        lines.append(
            f"- repo: {repo}\n  commit: abc\n  label:\n    overall: {overall}\n    level: {level}\n"
        )
    if missing:
        lines.append("- repo: nobody/absent\n  label:\n    overall: 50\n    level: 2\n")
    labels = tmp / "labels.yaml"
    labels.write_text("".join(lines))
    return labels, sources


@pytest.fixture(scope="module")
def report(tmp_path_factory):  # type: ignore[no-untyped-def]
    labels, sources = labelled_set(tmp_path_factory.mktemp("v"), missing=True)
    return validate(load_labels(labels), sources, semantic=False)


def test_statistics_match_scipy_on_the_produced_scores(report) -> None:  # type: ignore[no-untyped-def]
    x = np.array([r.score for r in report.rows])
    y = np.array([r.label for r in report.rows])
    assert len(report.rows) == 4
    p, s = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert report.pearson.value == pytest.approx(p.statistic)
    assert report.pearson.p_value == pytest.approx(p.pvalue)
    assert report.spearman.value == pytest.approx(s.statistic)
    assert report.spearman.p_value == pytest.approx(s.pvalue)
    assert report.mae == pytest.approx(np.mean(np.abs(x - y)))
    assert report.level_accuracy == pytest.approx(
        np.mean([r.level == r.label_level for r in report.rows])
    )
    for iv in (report.pearson, report.spearman):
        assert -1.0 <= iv.low <= iv.high <= 1.0


def test_leave_one_out_scores_order_the_fixtures(report) -> None:  # type: ignore[no-untyped-def]
    by = {r.repo: r.score for r in report.rows}
    assert by["fixtures/full-mlops"] > by["fixtures/notebook-research"]
    assert all(r.low <= r.score <= r.high for r in report.rows)


def test_missing_source_is_skipped_and_listed(report) -> None:  # type: ignore[no-untyped-def]
    assert report.skipped == [
        f"nobody/absent: no source under {report.skipped[0].split(' under ')[1]}"
    ]
    assert "skipped nobody/absent" in render_text(report)


def test_html_scatter_has_one_point_per_project(report) -> None:  # type: ignore[no-untyped-def]
    page = render_html(report)
    assert page.count('class="point"') == len(report.rows) == 4
    assert "<svg" in page and "Pearson" in page


def test_bad_labels_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "l.yaml"
    bad.write_text("- repo: a/b\n  label: {overall: 150, level: 1}\n")
    with pytest.raises(ValidationError, match=r"l\.yaml"):
        load_labels(bad)
    bad.write_text("{not: a list}")
    with pytest.raises(ValidationError, match="non-empty list"):
        load_labels(bad)
    with pytest.raises(ValidationError, match="cannot read"):
        load_labels(tmp_path / "absent.yaml")
