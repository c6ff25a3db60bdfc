"""Stages, score fusion and roadmap in every format, on assessments built in tests/unit/report.

``make_fused_assessment()`` has five stages (two refuted obligations, an unknown one, a failed
and a passed sandbox run, a failed repro check, a skipped impact stage), four used components
and a dropped one, and a 12-item roadmap. The plain ``make_assessment()`` has none of these:
every format must then leave the sections out rather than print empty headings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from hyperscore.evaluators.report import FORMATS, render
from hyperscore.evaluators.report import sections as sec
from hyperscore.evaluators.report.html import render_html
from hyperscore.evaluators.report.html_sections import waterfall_svg
from hyperscore.evaluators.report.json_report import SCHEMA_FILE
from hyperscore.evaluators.report.markdown import render_markdown
from hyperscore.evaluators.report.sarif import build_sarif, stage_rule_id
from hyperscore.evaluators.report.text import render_text
from tests.unit.report import (
    CYCLE,
    DROPPED_WHY,
    XSS,
    make_assessment,
    make_fused_assessment,
)
from tests.unit.report.test_html import parse

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
HUMAN = ("text", "markdown", "html")


@pytest.fixture(scope="module")
def fused() -> dict[str, str]:
    a = make_fused_assessment()
    return {fmt: render(a, fmt) for fmt in FORMATS}


# -- shared view --------------------------------------------------------------------------------


def test_sections_pick_problems_and_count_the_rest() -> None:
    a = make_fused_assessment()
    assert [s.stage for s in sec.ordered_stages(a)] == list(sec.STAGE_ORDER)
    logic = a.stages["logic"]
    assert [c.result for c in sec.problem_checks(logic)] == ["refuted", "refuted"]
    assert sec.counts_text(sec.result_counts(logic)) == "2 refuted, 1 unknown, 3 proved"
    failed = sec.problem_checks(a.stages["sandbox"])[0]
    assert sec.run_facts(failed) == [
        "exit status 1",
        "9 passed, 3 failed",
        "wall 3.25 s",
        "CPU 1.75 s",
        "peak memory 84.0 MiB",
    ]
    steps = sec.waterfall(a)
    assert [s.name for s in steps] == ["logic", "novelty", "impact", "repro"]
    assert steps[0].start == a.fusion.baseline_v  # type: ignore[union-attr]
    assert steps[-1].end == pytest.approx(a.fusion.v)  # type: ignore[union-attr]
    assert sec.roadmap_line(a.roadmap[0]) == (
        "adopt Practice number 0: +12.0 points, prerequisites experiment-tracking"
    )


def test_timed_out_run_and_missing_measurements() -> None:
    run = make_fused_assessment().stages["sandbox"].checks[1]
    hung = run.model_copy(update={"detail": {"timed_out": True, "exit_status": None}})
    assert sec.run_facts(hung) == ["timed out"]


# -- text and Markdown --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_refuted_in_full_proved_by_count(fused: dict[str, str], fmt: str) -> None:
    out = fused[fmt]
    plain = out.replace("\\", "").replace("&gt;", ">")
    assert CYCLE in plain
    assert "unbuildable image: serve/Dockerfile: build context serve/ missing" in plain
    assert "2 refuted, 1 unknown, 3 proved" in out
    assert "doc0.md" not in out  # proved obligations are counted, not listed
    assert "exit status 1, 9 passed, 3 failed, wall 3.25 s, CPU 1.75 s, peak memory 84.0 MiB" in out
    assert "train.py never calls a seed function" in plain
    assert "no forecast model installed" in out  # the skipped stage says why
    assert "counts: novel 7, known 2" in out  # novelty key details


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_many_refuted_obligations_are_capped_with_a_pointer(fmt: str) -> None:
    a = make_fused_assessment()
    logic = a.stages["logic"]
    refuted = logic.checks[3]
    many = [
        refuted.model_copy(update={"id": f"x{i}", "counterexample": f"cycle: a{i} -> a{i}"})
        for i in range(25)
    ]
    a.stages["logic"] = logic.model_copy(update={"checks": many})
    out = render(a, fmt).replace("\\", "").replace("&gt;", ">")
    assert "cycle: a19 -> a19" in out and "cycle: a20 -> a20" not in out
    assert "... and 5 more (see --format html or json)" in out
    assert "cycle: a24 -&gt; a24" in render(a, "html")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_fusion_and_top_ten_roadmap(fused: dict[str, str], fmt: str) -> None:
    out = fused[fmt].replace("\\", "")
    assert "score 62.3/100 (90% interval 55.1-69.4) · HyperScore 143.2 · baseline 38.8" in out
    assert "LOW CONFIDENCE" not in out.upper().replace("LOW CONFIDENCE)", "")
    for title in ("Logical consistency", "Novelty", "Impact forecast", "Reproducibility"):
        assert title in out
    assert f"dropped: {DROPPED_WHY}" in out
    assert "+0.0500" in out and "-0.0200" in out  # Shapley values, signed
    assert "adopt Practice number 0: +12.0 points, prerequisites experiment-tracking" in out
    assert "adopt Practice number 9:" in out and "adopt Practice number 10:" not in out
    assert "top 10 of 12" in out


def test_markdown_components_table_has_a_row_per_component(fused: dict[str, str]) -> None:
    lines = fused["markdown"].splitlines()
    start = lines.index("| Component | Term | Weight | Nominal | Shapley | Status |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    assert len(rows) == 5
    assert rows[-1] == f"| Meta-evaluation | - | 0.000 | 0.100 | - | dropped: {DROPPED_WHY} |"


def test_low_confidence_is_marked_everywhere() -> None:
    a = make_fused_assessment(confidence="low")
    assert "LOW CONFIDENCE" in render_text(a)
    assert "**low confidence**" in render_markdown(a)
    assert '<span class="low-confidence">low confidence</span>' in render_html(a)
    assert 'class="low-confidence"' not in render_html(make_fused_assessment())


@pytest.mark.parametrize("fmt", HUMAN)
def test_sections_left_out_without_stages_fusion_or_roadmap(fmt: str) -> None:
    out = render(make_assessment(), fmt)
    for heading in ("Stages", "Score fusion", "Roadmap", "HyperScore 1", "90% interval"):
        assert heading not in out, heading
    assert 'id="stages"' not in out and "<svg" not in out.split('class="radar"')[-1]


def test_fusion_without_components_or_steps_still_renders() -> None:
    a = make_fused_assessment().model_copy(update={"components": {}, "roadmap": []})
    for fmt in HUMAN:
        out = render(a, fmt)
        assert "HyperScore 143.2" in out and "Roadmap" not in out
    assert waterfall_svg(a) == ""


# -- HTML ---------------------------------------------------------------------------------------


def test_waterfall_has_one_bar_per_used_component(fused: dict[str, str]) -> None:
    page = fused["html"]
    svg = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640') :]
    svg = svg[: svg.index("</svg>")]
    bars = re.findall(r'<rect class="bar" data-component="([a-z]+)"[^>]*fill="(#[0-9a-f]+)"', svg)
    assert [name for name, _ in bars] == ["logic", "novelty", "impact", "repro"]
    assert dict(bars)["novelty"] == "#cf222e" and dict(bars)["logic"] == "#2da44e"
    assert svg.count('<rect class="total"') == 2  # baseline V and V
    assert "meta" not in [name for name, _ in bars]  # dropped: no bar
    assert "Novelty -0.0200" in svg


def test_html_sections_and_self_containment(fused: dict[str, str]) -> None:
    page = fused["html"]
    doc = parse(page)
    assert "script" not in doc.tags and "link" not in doc.tags
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert page.index('id="fusion"') < page.index('id="stages"') < page.index('id="roadmap"')
    roadmap = page[page.index('id="roadmap"') : page.index('id="next-steps"')]
    assert roadmap.count("<tr>") - 1 == 12  # all of it, plus the header
    assert DROPPED_WHY in page and 'class="dropped"' in page
    assert "cycle: lint -&gt; test -&gt; lint" in page
    assert "all 6 checks: 2 refuted, 1 unknown, 3 proved" in page
    assert "doc0.md" in page  # the full list is folded, not dropped
    runs = page[page.index('<table class="runs">') :]
    assert "<code>pytest tests/slow</code></td><td>1</td><td>9 / 3</td><td>3.25</td>" in runs
    assert "90% interval 55.1-69.4" in page and "HyperScore <strong>143.2</strong>" in page


def test_hostile_stage_strings_are_escaped() -> None:
    page = render_html(make_fused_assessment(hostile=True))
    doc = parse(page)
    assert "script" not in doc.tags and "img" not in doc.tags
    assert not any(name.startswith("on") for name, _ in doc.attrs)
    assert XSS in "".join(doc.text)
    md = render_markdown(make_fused_assessment(hostile=True))
    assert "<script>" not in md and "<img" not in md


# -- SARIF and JSON -----------------------------------------------------------------------------


def test_sarif_has_refuted_obligations_and_failed_runs(fused: dict[str, str]) -> None:
    doc = json.loads(fused["sarif"])
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft4Validator(schema).iter_errors(doc))
    assert not errors, [e.message for e in errors[:5]]
    run = doc["runs"][0]
    stage = [r for r in run["results"] if "stage" in r["properties"]]
    assert [r["ruleId"] for r in stage] == [
        "logic/dag.acyclic",
        "logic/refs.images",
        "sandbox/pytest",
    ]
    cycle = stage[0]
    assert CYCLE in cycle["message"]["text"] and cycle["level"] == "warning"
    loc = cycle["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == ".github/workflows/ci.yml"
    assert loc["region"] == {"startLine": 4}
    assert stage[2]["level"] == "error" and "9 passed, 3 failed" in stage[2]["message"]["text"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    # a rule per obligation kind checked (the proved and unknown kinds too), none duplicated
    assert {"logic/refs.doc-links", "logic/config.keys", "logic/dag.acyclic"} <= set(ids)
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert all("security-severity" not in r["properties"] for r in rules if "/" in r["id"])
    assert run["properties"]["hyperScore"] == 143.2
    assert run["properties"]["scoreInterval"] == [55.1, 69.4]


def test_sarif_with_hostile_stage_strings_validates() -> None:
    doc = build_sarif(make_fused_assessment(hostile=True), rules=[])
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(doc))
    cycle = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "logic/dag.acyclic")
    uri = cycle["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "<" not in uri and " " not in uri  # percent-encoded, a valid URI reference
    assert XSS in cycle["message"]["text"]  # plain text in SARIF; viewers escape it


def test_sarif_without_stages_has_only_findings() -> None:
    a = make_assessment()
    doc = build_sarif(a, rules=[])
    assert len(doc["runs"][0]["results"]) == len(a.findings)
    assert stage_rule_id("logic", "dag.acyclic") == "logic/dag.acyclic"


def test_json_carries_fusion_and_validates(fused: dict[str, str]) -> None:
    data = json.loads(fused["json"])
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["hyperScore"] == 143.2 and data["scoreInterval"] == [55.1, 69.4]
    assert data["components"]["meta"]["why"] == DROPPED_WHY
    assert len(data["roadmap"]) == 12
    assert data["stages"]["logic"]["checks"][3]["counterexample"] == CYCLE
