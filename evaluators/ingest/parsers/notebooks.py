"""Jupyter notebooks (``*.ipynb``): markdown cells as documentation, code cells as Python.

Markdown cells go through the Markdown scanner (headings continue across cells); code cells
go through the same :class:`PythonAnalysis` as ``.py`` files, fed cell by cell so imports in
one cell resolve calls in later ones. IPython syntax is neutralised before ``ast.parse``:
``!cmd``, ``%pip``/``%run`` and ``%%bash`` cells become ``code.shell_command`` items, other
magics are blanked. Lines cite the notebook's JSON: with the usual one-line-per-source-element
layout every fact points at its exact line, otherwise at the cell's ``"source"`` key. Saved
outputs are scanned for credential-shaped text (``code.notebook_output_secret``, rule only).
"""

from __future__ import annotations

import bisect
import itertools
import posixpath
import re
from collections.abc import Callable
from typing import Any

from hyperscore.evaluators.ingest.formats import FormatError, as_dict, as_list, load_json
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeNotebook, CodeNotebookOutputSecret
from hyperscore.evaluators.ingest.parsers.docs import markup_evidence
from hyperscore.evaluators.ingest.parsers.docs_markup import scan_markdown, split_lines
from hyperscore.evaluators.ingest.parsers.python_calls import secret_match
from hyperscore.evaluators.ingest.parsers.python_code import PythonAnalysis, parse_python
from hyperscore.evaluators.ingest.parsers.shell import analyse_shell
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

LineMap = Callable[[int], int]
MAX_OUTPUT_SCAN_CHARS = 1_000_000
_CELL_KEY = re.compile(r'"cell_type"\s*:')
_SOURCE_KEY = re.compile(r'"(?:source|input)"\s*:\s*(\[)?')
_SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_ASSIGN_SHELL = re.compile(r"^\s*[\w.]+\s*=\s*!(.*)$")
_HELP = re.compile(r"^\s*[\w.]+\s*\?{1,2}\s*$")
_TEXT_MIME = ("text/plain", "text/markdown", "application/json")


class _CellLines:
    """Where each cell's source lives in the notebook's JSON text (1-based line numbers)."""

    def __init__(self, text: str, cells: list[Any]) -> None:
        self.total = text.count("\n") + 1
        self.bases: list[tuple[int, bool]] | None = None
        starts = [m.start() for m in _CELL_KEY.finditer(text)]
        if len(starts) != len(cells):
            return
        newlines = [m.start() for m in re.finditer("\n", text)]
        lines = split_lines(text)
        bases: list[tuple[int, bool]] = []
        for idx, start in enumerate(starts):
            end = starts[idx + 1] if idx + 1 < len(starts) else len(text)
            found = _SOURCE_KEY.search(text, start, end)
            at = found.start() if found else start
            line = bisect.bisect_left(newlines, at) + 1
            source = as_dict(cells[idx]).get("source", as_dict(cells[idx]).get("input"))
            exact = bool(found and found.group(1)) and _one_per_line(source, lines, line)
            bases.append((line, exact))
        self.bases = bases

    def maps(self, cell: int) -> tuple[LineMap, LineMap, int]:
        """(0-based line index map, 1-based ``ast`` line map, the cell's own line)."""
        if self.bases is None:
            return _fixed(1), _fixed(1), 1
        base, exact = self.bases[cell]
        total = self.total
        if not exact:
            return _fixed(base), _fixed(base), base
        return (
            lambda idx: min(total, base + 1 + idx),
            lambda lineno: min(total, base + lineno),
            base,
        )


def _fixed(line: int) -> LineMap:
    return lambda _idx: line


def _one_per_line(source: Any, lines: list[str], key_line: int) -> bool:
    """The usual nbformat layout: one source element per JSON line, then ``]``."""
    if not isinstance(source, list) or not source:
        return False
    last = len(source) - 1
    if any(
        not isinstance(part, str) or ("\n" in part[:-1]) or (idx < last and not part.endswith("\n"))
        for idx, part in enumerate(source)
    ):
        return False
    close = key_line + len(source)  # 0-based index of the line holding "]"
    return (
        close < len(lines)
        and lines[key_line].lstrip().startswith('"')
        and lines[close].lstrip().startswith("]")
    )


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def prepare_code(source: str) -> tuple[str | None, list[tuple[int, str]], int]:
    """(Python text with IPython syntax blanked, shell commands by line index, magic count).

    Python text is None for cells that are not Python at all (``%%bash``, ``%%html``...).
    Blanked lines become ``pass`` at the same indentation so blocks stay valid.
    """
    lines = split_lines(source)
    shell: list[tuple[int, str]] = []
    magics = 0
    first = lines[0].strip() if lines else ""
    start = 0
    if first.startswith("%%"):
        magics += 1
        magic = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if magic in _SHELL_CELL_MAGICS:
            shell.extend((idx, line) for idx, line in enumerate(lines[1:], 1))
            return None, shell, magics
        if magic not in _PYTHON_CELL_MAGICS:
            return None, shell, magics
        start = 1
    out: list[str] = ["pass"] * start
    for idx in range(start, len(lines)):
        line = lines[idx]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        assigned = _ASSIGN_SHELL.match(line) if "!" in line else None
        if stripped.startswith("!"):
            shell.append((idx, stripped[1:]))
        elif stripped.startswith("%"):
            magics += 1
            name, _, rest = stripped.lstrip("%").partition(" ")
            if name in ("pip", "conda", "sx", "system"):
                shell.append((idx, f"{name} {rest}" if name in ("pip", "conda") else rest))
            elif name == "run":
                shell.append((idx, f"python {rest}"))
        elif assigned:
            shell.append((idx, assigned.group(1)))
        elif _HELP.match(line):
            pass
        else:
            out.append(line)
            continue
        out.append(f"{indent}pass")
    return "\n".join(out), shell, magics


def _output_texts(output: dict[str, Any]) -> list[str]:
    texts: list[str] = [_source(output.get("text"))]
    data = as_dict(output.get("data"))
    texts.extend(_source(data.get(mime)) for mime in _TEXT_MIME)
    texts.append(_source(output.get("evalue")))
    texts.extend(part for part in as_list(output.get("traceback")) if isinstance(part, str))
    return [text for text in texts if text]


def analyse_notebook(path: str, text: str) -> list[Evidence]:
    """All facts of one notebook: sections, code facts, shell commands, output secrets."""
    text = text.removeprefix("\ufeff")
    notebook = as_dict(load_json(text))
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        worksheets = [as_dict(ws) for ws in as_list(notebook.get("worksheets"))]
        if not worksheets:
            raise FormatError("not a Jupyter notebook: no 'cells' list")
        cells = [cell for ws in worksheets for cell in as_list(ws.get("cells"))]
    metadata = as_dict(notebook.get("metadata"))
    kernelspec = as_dict(metadata.get("kernelspec"))
    language_info = as_dict(metadata.get("language_info"))
    language = language_info.get("name") or kernelspec.get("language")
    language = str(language) if language else None
    is_python = language is None or "python" in language.lower()
    where = _CellLines(text, cells)
    workdir = posixpath.dirname(path) or None
    analysis = PythonAnalysis(path)
    analysis.ctx.workdir = workdir
    out: list[Evidence] = []
    stack: list[tuple[int, str]] = []
    counts = {"code": 0, "markdown": 0, "raw": 0, "outputs": 0, "errors": 0, "magics": 0,
              "shell": 0, "unparseable": 0}  # fmt: skip
    executions: list[int] = []
    scanned = 0
    secrets: set[tuple[int, str]] = set()
    for idx, raw in enumerate(cells):
        cell = as_dict(raw)
        cell_type = cell.get("cell_type")
        source = _source(cell.get("source", cell.get("input")))
        index_map, ast_map, cell_line = where.maps(idx)
        if cell_type in ("markdown", "heading"):
            counts["markdown"] += 1
            if cell_type == "heading":
                level = cell.get("level")
                source = "#" * (level if isinstance(level, int) and 1 <= level <= 6 else 1) + (
                    " " + source
                )
            markup = scan_markdown(source, stack=stack, allow_front_matter=False)
            stack = markup.stack
            out.extend(markup_evidence(path, markup, "notebook", index_map, idx))
            continue
        if cell_type != "code":
            counts["raw"] += cell_type == "raw"
            continue
        counts["code"] += 1
        count = cell.get("execution_count", cell.get("prompt_number"))
        if isinstance(count, int) and not isinstance(count, bool):
            executions.append(count)
        for output in map(as_dict, as_list(cell.get("outputs"))):
            counts["outputs"] += 1
            counts["errors"] += output.get("output_type") in ("error", "pyerr")
            for chunk in _output_texts(output):
                if scanned >= MAX_OUTPUT_SCAN_CHARS:
                    break
                scanned += len(chunk)
                found = secret_match(chunk[:MAX_OUTPUT_SCAN_CHARS])
                if found and (idx, found[0]) not in secrets:
                    secrets.add((idx, found[0]))
                    out.append(
                        CodeNotebookOutputSecret(
                            path=path,
                            line=cell_line,
                            name=found[0],
                            cell=idx,
                            rule=found[0],
                            output_type=str(output.get("output_type") or "unknown")[:40],
                        )
                    )
        if not is_python:
            continue
        python_text, shell_lines, magics = prepare_code(source)
        counts["magics"] += magics
        for line_idx, command in shell_lines:
            commands = analyse_shell(path, command, _fixed(index_map(line_idx)), idx, workdir)
            counts["shell"] += len(commands)
            out.extend(commands)
        if python_text is None or not python_text.strip():
            continue
        try:
            analysis.feed(parse_python(python_text), ast_map, idx)
        except (ValueError, RecursionError):
            counts["unparseable"] += 1
    out.extend(analysis.finish())
    nbformat = notebook.get("nbformat")
    out.append(
        CodeNotebook(
            path=path, line=1, name=path.rsplit("/", 1)[-1],
            nbformat=nbformat if isinstance(nbformat, int) else None, cells=len(cells),
            code_cells=counts["code"], markdown_cells=counts["markdown"], raw_cells=counts["raw"],
            executed_cells=len(executions),
            execution_in_order=all(a < b for a, b in itertools.pairwise(executions))
            if executions else None,
            has_outputs=counts["outputs"] > 0, outputs=counts["outputs"],
            error_outputs=counts["errors"],
            kernel=str(kernelspec["name"])[:100] if kernelspec.get("name") else None,
            language=language[:50] if language else None, magics=counts["magics"],
            shell_commands=counts["shell"], unparseable_cells=counts["unparseable"],
        )
    )  # fmt: skip
    return out


@parser("notebook", Modality.CODE, ["*.ipynb"])
def parse_notebook(inp: ParseInput) -> list[Evidence]:
    return analyse_notebook(inp.path, inp.text)
