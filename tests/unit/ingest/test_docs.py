"""Docs parser: Markdown/RST/plain-text sections, code blocks, local links, badges, governance."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.docs import parse_docs, resolve_local
from hyperscore.evaluators.ingest.parsers.docs_governance import guess_spdx, is_docs_path
from hyperscore.evaluators.ingest.parsers.docs_kinds import (
    DocBadge,
    DocCodeBlock,
    DocGovernance,
    DocLink,
    DocSection,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence


def parse(path: str, text: str) -> list[Evidence]:
    return list(parse_docs(ParseInput(path, text)))


def of(items: list[Evidence], cls: type[Any]) -> list[Any]:
    return [item for item in items if isinstance(item, cls)]


README = """\
---
title: Demo
---
[![CI](https://github.com/o/r/actions/workflows/ci.yml/badge.svg)](https://github.com/o/r/actions)
[![cov][cov-img]][cov-link]

# Demo project

Trains a model. See [the guide](docs/guide.md#setup), ![arch](./img/arch.png) and
[home](https://example.org) or [top](#demo-project). Not a link: `[x](skip.md)`.

Usage
=====

## Install

<!-- runnable -->
```bash
pip install -e .
# not a heading
```

~~~python {.runnable}
import demo
~~~

```python
# doctest
>>> 1 + 1
2
```

### Details <a name="d"></a>

More in [../escape.md](../../escape.md) and [root](/CONTRIBUTING.md).

<h2 align="center">Centered</h2>

[cov-img]: https://codecov.io/gh/o/r/branch/main/graph/badge.svg
[cov-link]: https://codecov.io/gh/o/r
[guide]: docs/other.md
"""


class TestMarkdown:
    def test_sections_have_headings_levels_paths_and_spans(self) -> None:
        sections = of(parse("README.md", README), DocSection)
        summary = [(s.heading, s.level, s.heading_path, s.line, s.end_line) for s in sections]
        assert summary == [
            ("", 0, (), 4, 5),
            ("Demo project", 1, ("Demo project",), 7, 10),
            ("Usage", 1, ("Usage",), 12, 13),
            ("Install", 2, ("Usage", "Install"), 15, 31),
            ("Details", 3, ("Usage", "Install", "Details"), 33, 35),
            ("Centered", 2, ("Usage", "Centered"), 37, 41),
        ]
        intro = sections[1]
        assert intro.format == "markdown"
        assert intro.text is not None and intro.text.startswith("Trains a model.")
        assert all(s.name for s in sections)

    def test_front_matter_is_not_a_section(self) -> None:
        sections = of(parse("README.md", README), DocSection)
        assert all("title: Demo" not in (s.text or "") for s in sections)

    def test_fenced_blocks_with_language_and_runnable_markers(self) -> None:
        blocks = of(parse("README.md", README), DocCodeBlock)
        summary = [(b.language, b.line, b.end_line, b.runnable, b.runnable_marker, b.doctest)
                   for b in blocks]  # fmt: skip
        assert summary == [
            ("bash", 18, 21, True, "comment", False),
            ("python", 23, 25, True, "info-string", False),
            ("python", 27, 31, True, "doctest-comment", True),
        ]
        assert blocks[0].text == "pip install -e .\n# not a heading"
        assert blocks[0].heading_path == ("Usage", "Install")
        assert blocks[1].info == "python {.runnable}"

    def test_unmarked_block_is_not_runnable_and_unclosed_fence_runs_to_end(self) -> None:
        blocks = of(parse("a.md", "# T\n\n```sh\nls\n\nmore\n"), DocCodeBlock)
        assert [(b.language, b.line, b.end_line, b.runnable) for b in blocks] == [
            ("sh", 3, 6, False)
        ]

    def test_local_links_resolve_against_the_document_folder(self) -> None:
        links = {link.target: link for link in of(parse("docs/README.md", README), DocLink)}
        guide = links["docs/guide.md#setup"]
        assert (guide.resolved, guide.anchor, guide.label, guide.line) == (
            "docs/docs/guide.md", "setup", "the guide", 9,
        )  # fmt: skip
        assert guide.links[0].src == "file:docs/README.md"
        assert guide.links[0].dst == "file:docs/docs/guide.md"
        assert links["./img/arch.png"].link_type == "image"
        assert links["./img/arch.png"].resolved == "docs/img/arch.png"
        assert links["/CONTRIBUTING.md"].resolved == "CONTRIBUTING.md"
        assert links["../../escape.md"].resolved is None
        assert links["../../escape.md"].links == ()
        assert links["docs/other.md"].link_type == "reference"
        # URLs, bare anchors and inline code are not local links
        assert "https://example.org" not in links
        assert "#demo-project" not in links
        assert "skip.md" not in links

    def test_badges_inline_reference_and_html(self) -> None:
        html = (
            '<p><a href="https://pypi.org/project/x"><img src="https://img.shields.io/pypi/v/x"'
            ' alt="PyPI"></a></p>\n'
        )
        badges = of(parse("README.md", README + html), DocBadge)
        summary = [(b.category, b.service, b.line) for b in badges]
        assert summary == [
            ("ci", "github-actions", 4),
            ("release", "shields", 42),
            ("coverage", "codecov", 5),
        ]
        ci = badges[0]
        assert ci.workflow == ".github/workflows/ci.yml"
        assert ci.links[0].dst == "file:.github/workflows/ci.yml"
        assert ci.link_url == "https://github.com/o/r/actions"
        assert badges[1].link_url == "https://pypi.org/project/x"
        assert badges[2].link_url == "https://codecov.io/gh/o/r"

    def test_headings_inside_fences_and_comments_are_ignored(self) -> None:
        text = "# A\n\n```\n# not\n```\n\n<!--\n# hidden\n-->\n\n    # indented code\n\n## B\n"
        headings = [s.heading for s in of(parse("x.md", text), DocSection)]
        assert headings == ["A", "B"]

    def test_crlf_and_byte_order_mark(self) -> None:
        text = "\ufeff# Title\r\n\r\nbody\r\n\r\n## Next\rmore\r\n"
        sections = of(parse("x.md", text), DocSection)
        assert [(s.heading, s.line, s.end_line, s.text) for s in sections] == [
            ("Title", 1, 3, "body"),
            ("Next", 5, 6, "more"),
        ]

    def test_long_sections_are_trimmed(self) -> None:
        section = of(parse("x.md", "# Big\n\n" + "word " * 2000), DocSection)[0]
        assert section.truncated
        assert section.text is not None and len(section.text) == 4000


class TestRst:
    TEXT = """\
=======
 Title
=======

Intro with `a link <docs/usage.rst>`_ and :doc:`install`.

Section
=======

.. code-block:: python

   import x
   print(x)

.. doctest::

   >>> 1 + 1
   2

Sub
---

Example::

    $ run me

.. image:: https://readthedocs.org/projects/x/badge/?version=latest
   :target: https://x.readthedocs.io

.. image:: img/diagram.png
.. include:: ../CHANGES.rst
.. _guide: guide/index.rst
"""

    def test_titles_levels_follow_first_appearance(self) -> None:
        sections = of(parse("docs/index.rst", self.TEXT), DocSection)
        assert [(s.heading, s.level, s.line, s.format) for s in sections] == [
            ("Title", 1, 1, "rst"),
            ("Section", 2, 7, "rst"),
            ("Sub", 3, 20, "rst"),
        ]
        assert sections[2].heading_path == ("Title", "Section", "Sub")

    def test_code_directives_and_literal_blocks(self) -> None:
        blocks = of(parse("docs/index.rst", self.TEXT), DocCodeBlock)
        summary = [(b.language, b.line, b.end_line, b.runnable, b.doctest) for b in blocks]
        assert summary == [
            ("python", 10, 13, False, False),
            ("python", 15, 18, True, True),
            ("", 23, 25, False, False),
        ]
        assert blocks[0].text == "import x\nprint(x)"
        assert blocks[1].runnable_marker == "directive"
        assert blocks[2].text == "$ run me"

    def test_references_images_includes_and_badges(self) -> None:
        items = parse("docs/index.rst", self.TEXT)
        links = {(link.target, link.link_type, link.resolved) for link in of(items, DocLink)}
        assert links == {
            ("docs/usage.rst", "link", "docs/docs/usage.rst"),
            ("install", "doc-role", "docs/install"),
            ("img/diagram.png", "image", "docs/img/diagram.png"),
            ("../CHANGES.rst", "include", "CHANGES.rst"),
            ("guide/index.rst", "reference", "docs/guide/index.rst"),
        }
        badge = of(items, DocBadge)[0]
        assert (badge.category, badge.service, badge.line) == ("docs", "readthedocs", 27)
        assert badge.link_url == "https://x.readthedocs.io"


class TestPlainText:
    def test_title_lines_split_sections(self) -> None:
        text = (
            "My Tool\n=======\n\nDoes things.\n\nINSTALLATION\n\nRun setup.\n\n"
            "Usage:\n\nCall it. Then more.\n\n2. Notes\n\nshort line\n"
        )
        sections = of(parse("README.txt", text), DocSection)
        assert [(s.heading, s.level, s.line) for s in sections] == [
            ("My Tool", 1, 1),
            ("INSTALLATION", 1, 6),
            ("Usage", 2, 10),
            ("2. Notes", 2, 14),
        ]
        assert sections[0].text == "Does things."

    def test_text_without_titles_is_one_section(self) -> None:
        sections = of(parse("notes.txt", "just some words\nand more.\n"), DocSection)
        assert [(s.heading, s.level, s.line, s.end_line) for s in sections] == [("", 0, 1, 2)]

    def test_extensionless_markdown_readme_is_read_as_markdown(self) -> None:
        sections = of(parse("README", "# Title\n\nbody\n"), DocSection)
        assert [(s.heading, s.format) for s in sections] == [("Title", "markdown")]


class TestGovernance:
    @pytest.mark.parametrize(
        ("text", "spdx"),
        [
            ("Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/", "Apache-2.0"),
            ("MIT License\n\nPermission is hereby granted, free of charge, to any person", "MIT"),
            ("Redistribution and use in source and binary forms ... 3. Neither the name of",
             "BSD-3-Clause"),
            ("Redistribution and use in source and binary forms, with or without", "BSD-2-Clause"),
            ("GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007", "GPL-3.0"),
            ("GNU LESSER GENERAL PUBLIC LICENSE\n Version 3", "LGPL-3.0"),
            ("GNU AFFERO GENERAL PUBLIC LICENSE\n Version 3", "AGPL-3.0"),
            ("Mozilla Public License Version 2.0", "MPL-2.0"),
            ("// SPDX-License-Identifier: Apache-2.0 OR MIT", "Apache-2.0 OR MIT"),
            ("All rights reserved. Proprietary.", None),
        ],
    )  # fmt: skip
    def test_license_spdx_guess(self, text: str, spdx: str | None) -> None:
        assert guess_spdx(text) == spdx
        items = parse("LICENSE", text)
        assert len(items) == 1
        gov = items[0]
        assert isinstance(gov, DocGovernance)
        assert (gov.doc_type, gov.spdx, gov.line) == ("license", spdx, 1)

    def test_license_file_name_hint(self) -> None:
        gov = of(parse("LICENSE-APACHE", "see the website"), DocGovernance)[0]
        assert gov.spdx == "Apache-2.0"

    def test_codeowners_rules(self) -> None:
        text = "# owners\n* @org/core\n\n/src/models/ @alice @bob  # ml\n[Docs]\ndocs/ @carol\n"
        gov = of(parse(".github/CODEOWNERS", text), DocGovernance)[0]
        assert gov.doc_type == "codeowners"
        assert [(r.pattern, r.owners, r.line) for r in gov.rules] == [
            ("*", ("@org/core",), 2),
            ("/src/models/", ("@alice", "@bob"), 4),
            ("docs/", ("@carol",), 6),
        ]

    @pytest.mark.parametrize(
        ("path", "doc_type"),
        [
            ("SECURITY.md", "security-policy"),
            (".github/CONTRIBUTING.md", "contributing"),
            ("CODE_OF_CONDUCT.md", "code-of-conduct"),
            ("MODEL_CARD.md", "model-card"),
            ("docs/model_card.md", "model-card"),
            ("DATASHEET.md", "datasheet"),
            ("CHANGELOG.rst", "changelog"),
            ("README.ja.md", "readme"),
            ("NOTICE", "notice"),
        ],
    )
    def test_governance_types_by_name(self, path: str, doc_type: str) -> None:
        items = parse(path, "# Heading\n\nText.\n")
        govs = of(items, DocGovernance)
        assert [g.doc_type for g in govs] == [doc_type]
        has_sections = bool(of(items, DocSection))
        assert has_sections == (doc_type != "notice")

    def test_hugging_face_model_card_front_matter(self) -> None:
        text = (
            "---\nlicense: apache-2.0\npipeline_tag: text-classification\nlibrary_name: "
            "transformers\n---\n# Model\n\n## Intended uses\n\n## Limitations\n"
        )
        govs = {g.doc_type: g for g in of(parse("README.md", text), DocGovernance)}
        assert set(govs) == {"readme", "model-card"}
        card = govs["model-card"]
        assert card.spdx == "Apache-2.0"
        assert card.headings == ("Model", "Intended uses", "Limitations")
        assert card.front_matter_keys == ("library_name", "license", "pipeline_tag")

    def test_changelog_versions(self) -> None:
        text = "# Changelog\n\n## [1.2.0] - 2024-01-01\n\n## v1.1.0\n\n## 1.0\n"
        gov = of(parse("CHANGELOG.md", text), DocGovernance)[0]
        assert (gov.versions, gov.latest_version) == (3, "1.2.0")


class TestMatching:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("README.md", True), ("docs/guide.rst", True), ("notes/design.markdown", True),
            ("docs/notes.txt", True), ("LICENSE", True), ("COPYING.LESSER", True),
            (".github/CODEOWNERS", True), ("CHANGELOG", True),
            ("requirements.txt", False), ("requirements-dev.txt", False),
            ("requirements/base.txt", False), ("constraints.txt", False),
            ("deps.lock.txt", False), ("CMakeLists.txt", False), ("data/labels.txt", False),
            ("vocab.txt", False), ("history.py", False), ("authors.json", False),
            ("src/train.py", False), ("LICENSE.html", False),
        ],
    )  # fmt: skip
    def test_is_docs_path(self, path: str, expected: bool) -> None:
        assert is_docs_path(path) is expected

    def test_registered_for_markdown_not_for_requirements(self) -> None:
        assert "docs" in [p.name for p in parsers_for("docs/index.md")]
        assert "docs" not in [p.name for p in parsers_for("requirements.txt")]

    @pytest.mark.parametrize(
        ("target", "expected"),
        [
            ("a.md", ("docs/a.md", None)),
            ("./a.md#x", ("docs/a.md", "x")),
            ("../README.md", ("README.md", None)),
            ("/top.md", ("top.md", None)),
            ("my%20file.md", ("docs/my file.md", None)),
            ("../../out.md", (None, None)),
            ("https://x.org/a.md", None),
            ("mailto:a@b.c", None),
            ("#anchor", None),
            ("", None),
        ],
    )
    def test_resolve_local(
        self, target: str, expected: tuple[str | None, str | None] | None
    ) -> None:
        assert resolve_local("docs/index.md", target) == expected


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("a.md", "[](" * 30_000),
        ("a.md", "[![a](b" * 15_000),
        ("a.md", "<a " * 30_000),
        ("a.md", "# a" + " " * 100_000 + "x"),
        ("a.md", "```\n" + "\n" * 100_000 + "```"),
        ("a.rst", "`<" * 50_000),
        ("a.txt", "WORD\n\n" * 20_000),
    ],
)
def test_hostile_long_inputs_stay_linear(path: str, text: str) -> None:
    started = time.perf_counter()
    parse(path, text)
    assert time.perf_counter() - started < 5


# --- property tests -----------------------------------------------------------------------

SAMPLES = {"README.md": README, "docs/index.rst": TestRst.TEXT, "NOTES.txt": "A\n===\n\nb\n"}


def check(path: str, text: str) -> None:
    try:
        items = parse(path, text)
    except Exception:  # the walker records any exception as unparseable
        return
    count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for item in items:
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= count
            if item.end_line is not None:
                assert item.line <= item.end_line <= count


markup_chars = st.text(alphabet="#=-~`*[]()!<>:.|_ \n\tabcXYZ/\\\r{}", max_size=400)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(sorted(SAMPLES)), text=st.text(max_size=300) | markup_chars)
def test_random_text_never_breaks_the_parser(path: str, text: str) -> None:
    check(path, text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(sorted(SAMPLES)),
    cut=st.integers(min_value=0, max_value=2000),
    insert=markup_chars,
)
def test_mutated_documents_never_break_the_parser(path: str, cut: int, insert: str) -> None:
    base = SAMPLES[path]
    cut %= len(base) + 1
    check(path, base[:cut] + insert + base[cut:])
