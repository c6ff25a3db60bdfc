"""The self-contained HTML report: structure, pictures and escaping (no browser here)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hyperscore.evaluators.report.html import gauge_svg, ladder_html, radar_svg, render_html
from tests.unit.report import XSS, make_assessment


class Collector(HTMLParser):
    """Tags and attributes as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Collector:
    c = Collector()
    c.feed(page)
    c.close()
    return c


def test_one_self_contained_document() -> None:
    page = render_html(make_assessment())
    assert page.startswith("<!DOCTYPE html>")
    doc = parse(page)
    assert "script" not in doc.tags and "link" not in doc.tags and "iframe" not in doc.tags
    assert not any(name.startswith("on") for name, _ in doc.attrs)  # no inline handlers
    for name, value in doc.attrs:  # nothing to fetch: no src/href to anywhere
        assert name not in ("src", "href") or (value or "").startswith("#"), (name, value)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/2000/svg)", page)
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in page


def test_sections_are_present() -> None:
    page = render_html(make_assessment())
    for anchor in (
        'id="next-steps"',
        'id="claimed"',
        'id="dimensions"',
        'id="findings"',
        'id="practices"',
    ):
        assert anchor in page
    assert page.count('class="card dim"') == 8
    assert page.count('<span class="sev sev-') >= 6 + 4  # table badges and the counts
    assert "Findings (6)" in page
    assert "11 present, 2 claimed-only, 6 absent" in page


def test_radar_is_an_octagon_with_four_rings_and_the_project_polygon() -> None:
    levels = {"a": 4, "b": 0, "c": 2, "d": 1, "e": 3, "f": 4, "g": 2, "h": 0}
    svg = radar_svg(levels)
    polygons = re.findall(r'<polygon points="([^"]+)"', svg)
    assert len(polygons) == 5  # rings 1-4 and the project
    assert all(len(p.split()) == 8 for p in polygons)
    assert svg.count("<line ") == 8
    assert svg.count("<circle ") == 8
    for name in levels:
        assert f">{name} <tspan" in svg
    # the project's vertex for level 4 lies on the outer ring, level 0 at the centre
    outer, project = polygons[3].split(), polygons[4].split()
    assert project[0] == outer[0] and project[5] == outer[5]
    centre = project[1]
    assert centre == project[7]


def test_gauge_and_ladder() -> None:
    svg = gauge_svg(38.8, 1)
    assert ">38.8</text>" in svg and "level 1" in svg
    assert ">100</text>" in gauge_svg(100.0, 4)
    ladder = ladder_html(2)
    assert ladder.count('class="step ') == 5
    assert ladder.count("current") == 1 and ladder.count("reached") == 2
    assert ladder.index(">4<") < ladder.index(">0<")  # a ladder: the top level on top
    current = re.search(r'<div class="step current">.*?</div></div></div>', ladder)
    assert current and "Automated training" in current.group(0)


def test_project_strings_are_escaped() -> None:
    page = render_html(make_assessment(hostile=True))
    doc = parse(page)
    assert "script" not in doc.tags
    assert "img" not in doc.tags
    assert not any(name.startswith("on") for name, _ in doc.attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = "".join(doc.text)
    assert XSS in text  # shown to the reader as text
    assert '"&gt;&lt;img src=x onerror=alert(2)&gt;' in page or "&quot;&gt;&lt;img" in page


def test_remediation_code_is_preformatted_and_escaped() -> None:
    a = make_assessment()
    f = a.findings[0].model_copy(
        update={"remediation": 'Use `env:` instead:\n\n    run: echo "$TITLE" <x>\n'}
    )
    page = render_html(a.model_copy(update={"findings": [f]}))
    assert "<p>Use <code>env:</code> instead:</p>" in page
    assert "<pre><code>run: echo &quot;$TITLE&quot; &lt;x&gt;</code></pre>" in page


def test_no_findings_and_no_practices() -> None:
    page = render_html(make_assessment(findings=0, practices=[]))
    assert "No findings." in page
    assert "No practices were evaluated." in page
