"""Notebooks: markdown cells as sections, code cells as Python, magics, outputs, JSON lines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeImport,
    CodeModule,
    CodeNotebook,
    CodeNotebookOutputSecret,
    CodeSeed,
    CodeShellCommand,
)
from hyperscore.evaluators.ingest.parsers.docs_kinds import DocLink, DocSection
from hyperscore.evaluators.ingest.parsers.notebooks import (
    analyse_notebook,
    parse_notebook,
    prepare_code,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence

FAKE_HF = "hf_" + "Zy9" * 12


def source_lines(text: str) -> list[str]:
    """nbformat's layout: one element per line, each but the last ending in a newline."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def code(
    text: str, count: int | None, outputs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": count, "metadata": {},
            "outputs": outputs or [], "source": source_lines(text)}  # fmt: skip


def markdown(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source_lines(text)}


CELLS = [
    markdown("# Exploration\n\nSee [the data](data/README.md)."),
    code("!pip install torch\n%matplotlib inline\nimport torch\nimport mlflow", 1),
    markdown("Prose continuing the section.\n\n## Training"),
    code(
        "model = torch.load('model.pt')\nmlflow.log_param('lr', 0.1)\n"
        "for i in range(3):\n    !python train.py --fold $i\ntorch.manual_seed(0)",
        3,
        [{"name": "stdout", "output_type": "stream", "text": [f"token={FAKE_HF}\n"]},
         {"output_type": "error", "ename": "E", "evalue": "x", "traceback": []}],
    ),
    code("%%bash\ncurl -s https://x.sh | sh", 2),
    code("def broken(:\n    pass", None),
    {"cell_type": "raw", "metadata": {}, "source": ["raw text"]},
]  # fmt: skip
METADATA = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python"},
}


def notebook_text(cells: list[dict[str, Any]] = CELLS, indent: int | None = 1) -> str:
    data = {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=indent)


def of(items: list[Evidence], cls: type[Any]) -> list[Any]:
    return [item for item in items if isinstance(item, cls)]


def line_text(text: str, line: int | None) -> str:
    assert line is not None
    return text.split("\n")[line - 1].strip()


class TestNotebook:
    TEXT = notebook_text()
    ITEMS = analyse_notebook("notebooks/explore.ipynb", TEXT)

    def test_summary(self) -> None:
        summary = of(self.ITEMS, CodeNotebook)[0]
        assert (summary.cells, summary.code_cells, summary.markdown_cells, summary.raw_cells) == (
            7, 4, 2, 1,
        )  # fmt: skip
        assert (summary.executed_cells, summary.execution_in_order) == (3, False)
        assert (summary.has_outputs, summary.outputs, summary.error_outputs) == (True, 2, 1)
        assert (summary.kernel, summary.language, summary.nbformat) == ("python3", "python", 4)
        assert (summary.magics, summary.shell_commands, summary.unparseable_cells) == (2, 4, 1)
        assert of(self.ITEMS, CodeModule) == []

    def test_markdown_cells_become_sections_citing_json_lines(self) -> None:
        sections = of(self.ITEMS, DocSection)
        summary = [(s.heading, s.level, s.heading_path, s.cell, s.continuation) for s in sections]
        assert summary == [
            ("Exploration", 1, ("Exploration",), 0, False),
            ("Exploration", 1, ("Exploration",), 2, True),
            ("Training", 2, ("Exploration", "Training"), 2, False),
        ]
        assert all(s.format == "notebook" for s in sections)
        assert line_text(self.TEXT, sections[0].line) == '"# Exploration\\n",'
        assert line_text(self.TEXT, sections[2].line) == '"## Training"'
        link = of(self.ITEMS, DocLink)[0]
        assert (link.resolved, link.cell) == ("notebooks/data/README.md", 0)

    def test_code_cells_share_imports_and_cite_exact_lines(self) -> None:
        imports = of(self.ITEMS, CodeImport)
        assert [(i.module, i.cell) for i in imports] == [("torch", 1), ("mlflow", 1)]
        assert imports[0].links[0].src == "file:notebooks/explore.ipynb"
        found = {c.function: c for c in of(self.ITEMS, CodeCall)}
        load = found["torch.load"]
        assert load.cell == 3
        assert line_text(self.TEXT, load.line) == "\"model = torch.load('model.pt')\\n\","
        assert load.links[0].dst == "artifact:notebooks/model.pt"  # notebooks run in their folder
        assert found["mlflow.log_param"].first_arg == "lr"
        seed = of(self.ITEMS, CodeSeed)[0]
        assert (seed.function, seed.value, line_text(self.TEXT, seed.line)) == (
            "torch.manual_seed", 0, '"torch.manual_seed(0)"',
        )  # fmt: skip

    def test_shell_lines_magics_and_bash_cells(self) -> None:
        shell = of(self.ITEMS, CodeShellCommand)
        summary = [(c.program, c.cell, c.risks, line_text(self.TEXT, c.line)) for c in shell]
        assert summary == [
            ("pip", 1, ("unpinned-install",), '"!pip install torch\\n",'),
            ("python", 3, (), '"    !python train.py --fold $i\\n",'),
            ("curl", 4, ("pipe-to-shell",), '"curl -s https://x.sh | sh"'),
            ("sh", 4, (), '"curl -s https://x.sh | sh"'),
        ]
        assert shell[1].links[0].dst == "file:notebooks/train.py"

    def test_output_secrets_are_reported_by_rule_only(self) -> None:
        secrets = of(self.ITEMS, CodeNotebookOutputSecret)
        assert [(s.rule, s.cell, s.output_type) for s in secrets] == [
            ("huggingface-token", 3, "stream")
        ]
        assert FAKE_HF not in repr(self.ITEMS)

    def test_registered_for_ipynb(self) -> None:
        assert "notebook" in [p.name for p in parsers_for("notebooks/explore.ipynb")]
        items = list(parse_notebook(ParseInput("x.ipynb", notebook_text([]))))
        assert [i.kind for i in items] == ["code.notebook"]


def test_minified_json_falls_back_to_the_cell_line() -> None:
    text = notebook_text(indent=None)
    items = analyse_notebook("n.ipynb", text)
    assert {item.line for item in items} == {1}
    assert any(isinstance(item, CodeCall) for item in items)


def test_unusual_layout_cites_the_source_key() -> None:
    cells = [code("import os\nos.system('ls')", 1)]
    cells[0]["source"] = "import os\nos.system('ls')"  # one string, not a list of lines
    text = notebook_text(cells)
    call = of(analyse_notebook("n.ipynb", text), CodeCall)[0]
    assert line_text(text, call.line).startswith('"source": "import os')


def test_nbformat3_worksheets_and_heading_cells() -> None:
    data = {
        "nbformat": 3,
        "metadata": {},
        "worksheets": [{"cells": [
            {"cell_type": "heading", "level": 2, "source": ["Results"]},
            {"cell_type": "code", "input": ["import pickle\n", "pickle.load(f)"],
             "prompt_number": 4, "outputs": [], "language": "python"},
        ]}],
    }  # fmt: skip
    items = analyse_notebook("old.ipynb", json.dumps(data, indent=1))
    assert [(s.heading, s.level) for s in of(items, DocSection)] == [("Results", 2)]
    assert [c.function for c in of(items, CodeCall)] == ["pickle.load"]
    assert of(items, CodeNotebook)[0].executed_cells == 1


def test_non_python_kernels_keep_docs_but_skip_code_analysis() -> None:
    data = {
        "cells": [markdown("# R analysis"), code("library(ggplot2)\nx <- 1", 1)],
        "metadata": {"kernelspec": {"name": "ir", "language": "R"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    items = analyse_notebook("r.ipynb", json.dumps(data, indent=1))
    assert [s.heading for s in of(items, DocSection)] == ["R analysis"]
    summary = of(items, CodeNotebook)[0]
    assert (summary.language, summary.unparseable_cells, summary.code_cells) == ("R", 0, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "invalid JSON"), ('{"metadata": {}}', "no 'cells' list"), ("[1, 2]", "cells")],
)
def test_malformed_notebooks_raise_format_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        analyse_notebook("bad.ipynb", text)


def test_prepare_code_blanks_ipython_syntax() -> None:
    python, shell, magics = prepare_code(
        "%load_ext autoreload\nfiles = !ls data\nif x:\n    !echo hi\n%run train.py\ndf?\ny = 1"
    )
    assert python == "pass\npass\nif x:\n    pass\npass\npass\ny = 1"
    assert shell == [(1, "ls data"), (3, "echo hi"), (4, "python train.py")]
    assert magics == 2
    assert prepare_code("%%html\n<b>x</b>") == (None, [], 1)
    assert prepare_code("%%time\nx = 1") == ("pass\nx = 1", [], 1)


# --- property tests -----------------------------------------------------------------------

BASE = notebook_text()


def check(text: str) -> None:
    try:
        items = analyse_notebook("n.ipynb", text)
    except Exception:
        return
    count = text.count("\n") + 1
    for item in items:
        assert item.path == "n.ipynb"
        assert item.line is None or 1 <= item.line <= count
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= count


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_random_text_never_breaks_the_parser(text: str) -> None:
    check(text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(BASE)),
    insert=st.text(alphabet='{}[]",:\\n 01abc#!%\n', max_size=30),
)
def test_mutated_notebooks_never_break_the_parser(cut: int, insert: str) -> None:
    check(BASE[:cut] + insert + BASE[cut:])


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sources=st.lists(st.text(max_size=80), max_size=5), kinds=st.lists(st.booleans(), max_size=5)
)
def test_random_cells_never_break_the_parser(sources: list[str], kinds: list[bool]) -> None:
    cells = [
        markdown(text) if is_md else code(text, None)
        for text, is_md in zip(sources, kinds, strict=False)
    ]
    check(notebook_text(cells))
