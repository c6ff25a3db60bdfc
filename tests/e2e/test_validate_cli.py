"""`hyperscore validate` through the real CLI on fixture projects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.test_validate import PROJECTS, labelled_set


def hs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hyperscore.operator", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_validate_json_and_html(tmp_path: Path) -> None:
    labels, sources = labelled_set(tmp_path)
    out = hs(
        "validate",
        "--labels",
        str(labels),
        "--sources",
        str(sources),
        "--no-semantic",
        "--format",
        "json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["n"] == len(PROJECTS) and data["skipped"] == []
    assert -1 <= data["pearson"]["r"] <= 1 and 0 <= data["pearson"]["p"] <= 1
    html = tmp_path / "v.html"
    out = hs(
        "validate",
        "--labels",
        str(labels),
        "--sources",
        str(sources),
        "--no-semantic",
        "--format",
        "html",
        "--output",
        str(html),
    )
    assert out.returncode == 0, out.stderr
    assert html.read_text().count('class="point"') == len(PROJECTS)


def test_no_sources_found_is_a_one_line_error(tmp_path: Path) -> None:
    labels, _ = labelled_set(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    out = hs("validate", "--labels", str(labels), "--sources", str(empty))
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and str(empty) in errors[0] and "Traceback" not in out.stderr
    out = hs("validate", "--labels", str(tmp_path / "nope.yaml"), "--sources", str(empty))
    assert out.returncode == 2 and "nope.yaml" in out.stderr and "Traceback" not in out.stderr
