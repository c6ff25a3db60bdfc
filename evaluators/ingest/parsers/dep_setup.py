"""setuptools metadata: ``setup.cfg`` (configparser) and ``setup.py`` (read with ``ast``).

``setup.py`` is code, and project code is never executed: the ``setup(...)`` call is found in
the syntax tree and only literal values are read -- list/str literals, module-level variables
bound to literals, and ``+`` of those. Anything computed (``open("requirements.txt")...``)
marks the manifest ``dynamic``; requirement-file names spelled in that computation are still
recorded as includes, since that is where the real requirements live.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.parsers.dep_specs import (
    parent_dir,
    parse_pep508,
    percentage,
    resolve_include,
)
from hyperscore.evaluators.ingest.parsers.dep_text import Cursor, TextIndex
from hyperscore.evaluators.ingest.parsers.dependencies import (
    DepSource,
    invalid_line,
    make_manifest,
    make_requirement,
)
from hyperscore.evaluators.ingest.parsers.python_ast import shared_ast
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_INI_SECTION_RE = re.compile(r"^\[([^\]\r\n]+)\]", re.M)
_INI_KEY_RE = re.compile(r"^([A-Za-z0-9_.-]+)[ \t]*[=:]", re.M)
_INLINE_COMMENT_RE = re.compile(r"\s#.*$")
_COMMA_LIST_RE = re.compile(r",\s*[A-Za-z][\w.-]*\s*(?:[<>=!~\[;@]|$)")
_REQ_FILE_RE = re.compile(r"(?i)^[\w./-]*req[\w.-]*\.(?:txt|in)$")
_KEYWORD_GROUPS = {
    "install_requires": "main",
    "tests_require": "test",
    "setup_requires": "build",
}
_SETUP_NAMES = {"setup", "setuptools.setup", "distutils.core.setup"}
_MAX_RESOLVE_DEPTH = 20
_MAX_FILE_NAME = 200


@dataclass
class _SetupFile:
    """Requirements found so far in one file, and whether any were out of static reach."""

    pi: ParseInput
    source: DepSource
    items: list[Evidence] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    dynamic: bool = False

    def add(self, text: str, line: int | None, group: str) -> None:
        if line is not None:
            line = max(1, min(line, len(self.pi.lines)))
        text = _INLINE_COMMENT_RE.sub("", text).strip()
        if not text or text.startswith("#"):
            return
        try:
            parsed = parse_pep508(text)
        except ValueError as exc:
            self.items.append(
                invalid_line(
                    path=self.pi.path, line=line, source=self.source, reason=str(exc), content=text
                )
            )
            return
        self.items.append(
            make_requirement(parsed, path=self.pi.path, line=line, group=group, source=self.source)
        )


# --------------------------------------------------------------------------- setup.cfg


def _ini_positions(text: str) -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, int]]]:
    """Offsets of each section's first header, and of each (section, key) with the end of its
    section. Sections may repeat (configparser's strict=False merges them, later keys winning),
    so a key's position is its last occurrence's."""
    headers = [(m.start(), m.group(1).strip()) for m in _INI_SECTION_RE.finditer(text)]
    starts: dict[str, int] = {}
    keys: dict[tuple[str, str], tuple[int, int]] = {}
    for pos, (start, name) in enumerate(headers):
        end = headers[pos + 1][0] if pos + 1 < len(headers) else len(text)
        starts.setdefault(name, start)
        for match in _INI_KEY_RE.finditer(text, start, end):
            keys[name, match.group(1).lower()] = (match.start(), end)
    return starts, keys


def _tool_name(section: str) -> str:
    """``tool:pytest`` -> pytest, ``coverage:report`` -> coverage, ``mypy-pkg.*`` -> mypy."""
    name = section.removeprefix("tool:").split(":", 1)[0]
    return name.split("-", 1)[0]


@parser("dependencies.setup_cfg", Modality.DEPENDENCIES, ["setup.cfg"])
def parse_setup_cfg(pi: ParseInput) -> Iterator[Evidence]:
    """``[options] install_requires``/``tests_require``/``setup_requires``, extras, tool
    sections; malformed lines become invalid-line facts, the rest still counts."""
    config = configparser.RawConfigParser(strict=False, interpolation=None)
    errors: list[tuple[int, str]] = []
    try:
        config.read_string(pi.text, source=pi.path)
    except configparser.MissingSectionHeaderError as exc:
        raise ValueError(f"setup.cfg: no section header before line {exc.lineno}") from None
    except configparser.ParsingError as exc:
        errors = [
            (lineno, pi.lines[lineno - 1] if 0 < lineno <= len(pi.lines) else "")
            for lineno, _ in exc.errors
        ]
    index = TextIndex(pi.text)
    section_starts, key_positions = _ini_positions(pi.text)
    found = _SetupFile(pi, "setup.cfg")
    for lineno, line in errors:
        found.items.append(
            invalid_line(
                path=pi.path,
                line=min(lineno, index.line_count),
                source="setup.cfg",
                reason="setup.cfg line is not 'key = value'",
                content=line,
            )
        )

    def read(section: str, key: str, group: str) -> None:
        if not config.has_option(section, key):
            return
        value = config.get(section, key)
        key_offset, end = key_positions.get(
            (section, key.lower()), (section_starts.get(section, 0), len(pi.text))
        )
        cursor = Cursor(index, key_offset, end)
        if value.strip().startswith(("file:", "attr:")):
            found.dynamic = True
            for ref in value.strip()[5:].split(","):
                if ref.strip():
                    found.includes.append(resolve_include(parent_dir(pi.path), ref.strip()) or ref)
            return
        # setuptools reads one requirement per line, or ';'-separated on a single line.
        entries = value.splitlines() if "\n" in value.strip() else value.split(";")
        for raw_entry in entries:
            entry = raw_entry.strip()
            if not entry:
                continue
            line = cursor.find(entry) or index.line_at(key_offset)
            for part in entry.split(",") if _is_comma_list(entry) else [entry]:
                found.add(part, line, group)

    for key, group in _KEYWORD_GROUPS.items():
        read("options", key, group)
    if config.has_section("options.extras_require"):
        for extra in config.options("options.extras_require"):
            read("options.extras_require", extra, extra)
    python = config.get("options", "python_requires", fallback=None)
    fail_under = config.get("coverage:report", "fail_under", fallback=None)
    tools = [
        _tool_name(s)
        for s in config.sections()
        if s not in ("metadata", "options") and not s.startswith("options.")
    ]
    yield from found.items
    yield make_manifest(
        pi.path,
        "setup.cfg",
        found.items,
        python_requires=python,
        includes=found.includes,
        tools=tuple(sorted(set(tools))),
        coverage_fail_under=percentage(fail_under),
        dynamic=found.dynamic,
        project=config.get("metadata", "name", fallback=None),
    )


def _is_comma_list(entry: str) -> bool:
    """setuptools also accepts ``a, b>=1`` on one line; a comma inside a specifier does not
    start a new requirement, so split only where the next part starts with a name."""
    return "," in entry and _COMMA_LIST_RE.search(entry) is not None


# --------------------------------------------------------------------------- setup.py


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _module_bindings(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` / ``NAME += value`` (also inside if/try/with blocks, not
    functions), the last binding winning -- what the ``setup()`` call would most likely see."""
    bindings: dict[str, ast.expr] = {}
    stack: list[list[ast.stmt]] = [list(tree.body)]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        bindings[target.id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    bindings[stmt.target.id] = stmt.value
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                old = bindings.get(stmt.target.id)
                if old is not None:
                    bindings[stmt.target.id] = ast.BinOp(left=old, op=stmt.op, right=stmt.value)
            elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                stack.append(list(stmt.body))
                stack.append(list(getattr(stmt, "orelse", [])))
    return bindings


class _Static:
    """Literal evaluation of the few expression shapes setup() arguments take."""

    def __init__(self, bindings: dict[str, ast.expr]) -> None:
        self.bindings = bindings

    def strings(self, node: ast.expr, depth: int = 0) -> list[tuple[str, int]] | None:
        """(string, line) items of a list/tuple/str expression, or None if not static."""
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [(line, node.lineno + i) for i, line in enumerate(node.value.splitlines())]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out: list[tuple[str, int]] = []
            for elt in node.elts:
                part = self.strings(elt.value if isinstance(elt, ast.Starred) else elt, depth + 1)
                if part is None:
                    return None
                out.extend(part)
            return out
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return self.strings(self.bindings[node.id], depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.strings(node.left, depth + 1)
            right = self.strings(node.right, depth + 1)
            return None if left is None or right is None else left + right
        return None

    def mapping(self, node: ast.expr, depth: int = 0) -> list[tuple[str, ast.expr]] | None:
        """(key, value node) pairs of a dict literal or ``dict(k=...)`` call."""
        if depth > _MAX_RESOLVE_DEPTH:
            return None
        if isinstance(node, ast.Name) and node.id in self.bindings:
            return self.mapping(self.bindings[node.id], depth + 1)
        if isinstance(node, ast.Dict):
            pairs: list[tuple[str, ast.expr]] = []
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    return None
                pairs.append((key.value, value))
            return pairs
        if isinstance(node, ast.Call) and _dotted(node.func) == "dict" and not node.args:
            if any(kw.arg is None for kw in node.keywords):
                return None
            return [(str(kw.arg), kw.value) for kw in node.keywords]
        return None

    def file_refs(self, node: ast.expr, depth: int = 0) -> list[str]:
        """Requirement-file names spelled anywhere in a computed expression."""
        refs: list[str] = []
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                if len(sub.value) <= _MAX_FILE_NAME and _REQ_FILE_RE.match(sub.value):
                    refs.append(sub.value)
            elif isinstance(sub, ast.Name) and sub.id in self.bindings and depth < 3:
                refs.extend(self.file_refs(self.bindings[sub.id], depth + 1))
        return refs


@parser("dependencies.setup_py", Modality.DEPENDENCIES, ["setup.py"])
def parse_setup_py(pi: ParseInput) -> Iterator[Evidence]:
    """Literal requirements of every ``setup(...)`` call; nothing for a file without one."""
    try:
        tree = shared_ast(pi.text, pi.path)  # warnings suppressed; parse shared with *.py parsers
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"setup.py is not valid Python: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ValueError("setup.py nested too deeply to read") from None
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func) in _SETUP_NAMES
    ]
    if not calls:
        return
    static = _Static(_module_bindings(tree))
    found = _SetupFile(pi, "setup.py")
    python: str | None = None
    base = parent_dir(pi.path)

    def requirements(node: ast.expr, group: str) -> None:
        items = static.strings(node)
        if items is None:
            found.dynamic = True
            found.includes.extend(resolve_include(base, r) or r for r in static.file_refs(node))
            return
        for text, line in items:
            found.add(text, line, group)

    for call in calls:
        found.dynamic |= any(kw.arg is None for kw in call.keywords)
        for kw in call.keywords:
            if kw.arg in _KEYWORD_GROUPS:
                requirements(kw.value, _KEYWORD_GROUPS[kw.arg])
            elif kw.arg == "extras_require":
                pairs = static.mapping(kw.value)
                if pairs is None:
                    found.dynamic = True
                    continue
                for extra, extra_node in pairs:
                    requirements(extra_node, extra)
            elif kw.arg == "python_requires":
                spelled = static.strings(kw.value)
                if spelled is None or len(spelled) > 1:
                    found.dynamic = True
                elif spelled:
                    python = spelled[0][0].strip()
    yield from found.items
    yield make_manifest(
        pi.path,
        "setup.py",
        found.items,
        python_requires=python,
        includes=found.includes,
        dynamic=found.dynamic,
    )
