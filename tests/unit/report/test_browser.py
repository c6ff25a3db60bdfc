"""The HTML report in headless Chromium: it renders, logs nothing, and runs no project markup.

These tests FAIL when Chromium is missing (install: ``apt-get install -y chromium``): a report
that was never rendered in a browser is not known to work.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperscore.evaluators.report import render
from tests.unit.report import XSS, make_assessment
from tests.unit.report.browser import INSTALL_HINT, find_chromium, png_size, run_chromium

pytestmark = pytest.mark.slow

MIN_PNG_BYTES = 20_000


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.fail(INSTALL_HINT)
    return exe


def write(tmp_path: Path, html: str) -> Path:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_report_renders_to_a_screenshot_without_console_errors(
    chromium: str, tmp_path: Path
) -> None:
    page = write(tmp_path, render(make_assessment(), "html"))
    shot = tmp_path / "shot.png"
    run = run_chromium(
        page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.console == [], run.console
    assert shot.is_file()
    assert shot.stat().st_size > MIN_PNG_BYTES
    assert png_size(shot) == (1280, 2000)


def test_hostile_project_strings_stay_text_in_the_browser(chromium: str, tmp_path: Path) -> None:
    page = write(tmp_path, render(make_assessment(hostile=True), "html"))
    run = run_chromium(page, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert "</html>" in dom
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert run.console == [], run.console  # a CSP violation would show up here


def test_csp_would_block_a_script_that_slipped_through(chromium: str, tmp_path: Path) -> None:
    """Defence in depth: the page's policy forbids scripts even if escaping ever failed."""
    html = render(make_assessment(), "html").replace(
        "</main>", "<script>document.title='pwned'</script></main>"
    )
    run = run_chromium(write(tmp_path, html), tmp_path / "profile", "--dump-dom")
    assert "<title>pwned</title>" not in run.stdout
    assert any("Content Security Policy" in line for line in run.console), run.stderr[-2000:]


def test_project_with_a_script_heading_renders_escaped(chromium: str, tmp_path: Path) -> None:
    """End to end: a README heading and a directory name carrying markup, assessed for real."""
    from hyperscore.evaluators.pipeline import Options, assess

    project = tmp_path / '<img src=x onerror="alert(2)">'
    project.mkdir()
    (project / "README.md").write_text(
        f"# {XSS}\n\nExperiments are tracked with MLflow. We monitor drift in production.\n\n"
        f"## Usage {XSS}\n\nRun `python train.py` to train the model.\n",
        encoding="utf-8",
    )
    (project / "train.py").write_text(
        "import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))\n", encoding="utf-8"
    )
    (project / "requirements.txt").write_text("scikit-learn\n", encoding="utf-8")
    assessment, _ = assess(str(project), Options(semantic=True))
    html = render(assessment, "html")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    # the README's prose reaches the page (the docs parser drops the tags themselves)
    assert "alert(1)" in html
    run = run_chromium(write(tmp_path, html), tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "<script" not in run.stdout.lower() and "<img" not in run.stdout.lower()
    assert run.console == [], run.console
