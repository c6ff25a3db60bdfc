"""The Markdown (pull-request comment) report."""

from __future__ import annotations

import re

from hyperscore.evaluators.model import SourceInfo
from hyperscore.evaluators.report.markdown import (
    MAX_FINDINGS,
    link_base_for,
    md_escape,
    render_markdown,
)
from tests.unit.report import make_assessment


def table_rows(md: str, header: str) -> list[str]:
    lines = md.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_headline_and_dimension_table_with_text_bars() -> None:
    md = render_markdown(make_assessment())
    assert md.startswith("## Maturity score: 38.8/100 · level 1 (DevOps, no MLOps)\n")
    rows = table_rows(md, "| Dimension | Level | Means | Why |")
    assert len(rows) == 8
    assert rows[0].startswith("| reproducibility | `██░░` 2 |")
    assert any(r.startswith("| monitoring | `░░░░` 0 |") for r in rows)
    # no emoji: every non-ASCII character is a bar block, an arrow, a dot or a joiner
    assert set(re.findall(r"[^\x00-\x7f]", md)) <= {"█", "░", "→", "·", "…", "\u200b"}


def test_findings_table_links_file_and_line() -> None:
    md = render_markdown(make_assessment())
    rows = table_rows(md, "| Severity | Location | Finding | Rule |")
    assert len(rows) == 6
    assert rows[0] == (
        "| **critical** | [.github/workflows/ci.yml:12](.github/workflows/ci.yml#L12) | checks "
        "out ${{ github.event.pull\\_request.head.sha }} | `ci-pr-target-checkout` |"
    )
    assert "[models/model.bin](models/model.bin)" in md  # no line, no anchor


def test_link_base_prefixes_links() -> None:
    base = "https://github.com/o/r/blob/abc123/"
    md = render_markdown(make_assessment(), link_base=base)
    assert f"[src/train.py:8]({base}src/train.py#L8)" in md


def test_link_base_from_a_hosted_git_source() -> None:
    src = SourceInfo(type="git", location="https://github.com/org/model.git", revision="f" * 40)
    assert link_base_for(src) == f"https://github.com/org/model/blob/{'f' * 40}/"
    lab = SourceInfo(type="git", location="https://gitlab.com/g/p", revision="abc")
    assert link_base_for(lab) == "https://gitlab.com/g/p/-/blob/abc/"
    assert link_base_for(SourceInfo(type="directory", location="/src")) is None
    md = render_markdown(make_assessment(source=src))
    assert f"(https://github.com/org/model/blob/{'f' * 40}/src/train.py#L8)" in md


def test_only_the_top_findings_are_listed() -> None:
    md = render_markdown(make_assessment(findings=45))
    rows = table_rows(md, "| Severity | Location | Finding | Rule |")
    assert len(rows) == MAX_FINDINGS == 20
    assert "### Findings (top 20 of 45)" in md
    assert "... and 25 more" in md


def test_next_steps_claimed_only_and_folded_practices() -> None:
    md = render_markdown(make_assessment())
    assert "### Next steps" in md
    assert "- **monitoring 0 → 1** (application logging)" in md
    assert "### Claimed only" in md
    assert "<details><summary>Practices: 11 present, 2 claimed only, 6 absent</summary>" in md
    assert md.count("<details>") == md.count("</details>")
    assert (
        "| tracking | 2 | Experiment tracking tool `experiment-tracking` | **claimed only** |" in md
    )


def test_no_findings() -> None:
    assert "No findings." in render_markdown(make_assessment(findings=0))


def test_project_strings_cannot_inject_markdown_or_html() -> None:
    md = render_markdown(make_assessment(hostile=True))
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    hostile = "x | y [click](https://evil.example) ![p](https://evil.example/p.png) @octocat"
    out = md_escape(hostile)
    assert "|" not in out.replace("\\|", "")
    assert "](" not in out.replace("\\](", "")
    assert "![" not in out and "@octocat" not in out
    assert md_escape("line\nbreak") == "line break"


def test_link_targets_are_percent_encoded() -> None:
    a = make_assessment()
    f = a.findings[0].model_copy(update={"path": "a dir/x).py", "line": 3})
    md = render_markdown(a.model_copy(update={"findings": [f]}))
    assert "(a%20dir/x%29.py#L3)" in md
