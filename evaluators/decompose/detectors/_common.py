"""Helpers shared by the detector modules: path and name tests, indexes, command scanning.

Detectors stay O(evidence): the indexes here are built once per :class:`DetectionContext`
(memoised by identity) and every helper is a plain function of typed evidence.
"""

from __future__ import annotations

import posixpath
import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.ingest.parsers.ci_common import CiStep
from hyperscore.evaluators.ingest.parsers.ci_shell import analyse_commands
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeImport,
    CodeModule,
    CodeShellCommand,
    CodeTest,
    CodeTestFile,
)
from hyperscore.evaluators.ingest.parsers.pipeline_common import PipelineStage
from hyperscore.evaluators.model import Evidence

T = TypeVar("T")

TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "unittests", "unit_tests"})
VENDOR_DIRS = frozenset(
    {
        "node_modules",
        "site-packages",
        "dist-packages",
        ".venv",
        "venv",
        "env",
        ".tox",
        ".nox",
        "vendor",
        "vendored",
        "third_party",
        "third-party",
        "3rdparty",
        "external",
        "_vendor",
    }
)
ARTIFACT_FRAMEWORKS = frozenset({"zenml", "metaflow", "kubeflow", "vertex"})
"""Pipeline frameworks that store every step output in a versioned, tracked artifact store."""
_TEST_FILE = re.compile(r"^(?:test_.*|.*_test|conftest|tests?)\.py$")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_INSTALL = re.compile(
    r"^\s*(?:sudo\s+)?(?:python\d?(?:\.\d+)?\s+-m\s+)?(?:pip3?|uv\s+pip|conda|mamba|micromamba"
    r"|poetry|pipx|apt(?:-get)?|brew|npm|yarn)\s+(?:install|add|sync)\b"
)

# --------------------------------------------------------------------------- paths and names


def parts(path: str) -> list[str]:
    return [p for p in path.lower().split("/") if p]


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def stem(path: str) -> str:
    name = basename(path)
    return name.rsplit(".", 1)[0] if "." in name[1:] else name


def is_vendored(path: str) -> bool:
    """Code copied in from elsewhere (virtualenvs, node_modules, vendored libraries)."""
    return any(p in VENDOR_DIRS for p in parts(path)[:-1])


def is_test_path(path: str) -> bool:
    """A test module or anything under a tests directory."""
    segs = parts(path)
    if not segs:
        return False
    return bool(_TEST_FILE.match(segs[-1])) or any(p in TEST_DIRS for p in segs[:-1])


def words(text: str) -> list[str]:
    """Lower-case words of an identifier or path: ``testAUC_above`` -> test, auc, above."""
    return [w.lower() for w in _WORD_SPLIT.split(text) if w]


def word_set(*texts: str) -> set[str]:
    out: set[str] = set()
    for text in texts:
        out.update(words(text))
    return out


def first_party(paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not is_vendored(p)]


# --------------------------------------------------------------------------- memoised indexes

_MEMO: dict[tuple[int, str], tuple[weakref.ref[DetectionContext], object]] = {}


def memo(ctx: DetectionContext, key: str, build: Callable[[], T]) -> T:
    """``build()`` once per context (contexts are unhashable dataclasses: keyed by identity)."""
    slot = (id(ctx), key)
    hit = _MEMO.get(slot)
    if hit is not None and hit[0]() is ctx:
        return hit[1]  # type: ignore[return-value]
    value = build()
    _MEMO[slot] = (weakref.ref(ctx, lambda _ref: _MEMO.pop(slot, None)), value)
    return value


def _group(items: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    out: dict[str, list[T]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return dict(out)


def imports_by_path(ctx: DetectionContext) -> dict[str, list[CodeImport]]:
    return memo(ctx, "imports", lambda: _group(ctx.typed(CodeImport), lambda e: e.path))


def calls_by_path(ctx: DetectionContext) -> dict[str, list[CodeCall]]:
    return memo(ctx, "calls", lambda: _group(ctx.typed(CodeCall), lambda e: e.path))


def tests_by_path(ctx: DetectionContext) -> dict[str, list[CodeTest]]:
    return memo(ctx, "tests", lambda: _group(ctx.typed(CodeTest), lambda e: e.path))


def test_files(ctx: DetectionContext) -> list[CodeTestFile]:
    """First-party test files that define at least one test."""
    return [f for f in ctx.typed(CodeTestFile) if f.tests > 0 and not is_vendored(f.path)]


def module_paths(ctx: DetectionContext) -> dict[str, str]:
    """Dotted module name -> file, for the project's own Python modules."""

    def build() -> dict[str, str]:
        out: dict[str, str] = {}
        for mod in ctx.typed(CodeModule):
            if mod.module and mod.cell is None:
                out.setdefault(mod.module, mod.path)
        return out

    return memo(ctx, "modules", build)


def resolve_module(ctx: DetectionContext, module: str) -> str | None:
    """The file of a project module (also tried without its first package, for src/ quirks)."""
    index = module_paths(ctx)
    found = index.get(module)
    if found is None and "." in module:
        found = index.get(module.split(".", 1)[1])
    return found


def imported_paths(ctx: DetectionContext, path: str) -> set[str]:
    """Project files that ``path`` imports directly (modules and ``from pkg import name``)."""
    out: set[str] = set()
    for imp in imports_by_path(ctx).get(path, ()):
        if imp.stdlib:
            continue
        candidates = [imp.module, *(f"{imp.module}.{n}" for n in imp.names)]
        for cand in candidates:
            target = resolve_module(ctx, cand)
            if target is not None and target != path:
                out.add(target)
    return out


def import_names(ctx: DetectionContext, path: str) -> set[str]:
    """Every dotted name ``path`` imports (``pkg.mod`` and ``pkg.mod.Name``)."""
    out: set[str] = set()
    for imp in imports_by_path(ctx).get(path, ()):
        out.add(imp.module)
        out.update(f"{imp.module}.{n}" for n in imp.names)
    return out


def uses_library(names: Iterable[str], prefixes: Iterable[str]) -> str | None:
    """The first name (by ``prefixes`` order, then alphabetically) that is, or lives under,
    one of ``prefixes``; deterministic whatever the iteration order of ``names``."""
    ordered = sorted(names)
    for p in prefixes:
        for name in ordered:
            if name == p or name.startswith(p + "."):
                return name
    return None


# --------------------------------------------------------------------------- commands


def is_install(command: str) -> bool:
    """``pip install pytest`` mentions a tool without running it."""
    return bool(_INSTALL.match(command))


def ci_commands(ctx: DetectionContext) -> Iterator[tuple[CiStep, str]]:
    """Every command line of every CI step (installs skipped)."""
    for step in ctx.typed(CiStep):
        lines: Iterable[str] = step.commands or ((step.run or "").splitlines())
        for raw in lines:
            line = raw.strip()
            if line and not line.startswith("#") and not is_install(line):
                yield step, line


def script_commands(ctx: DetectionContext) -> Iterator[tuple[CodeShellCommand, str]]:
    """Commands of first-party shell scripts and notebook ``!`` lines (installs skipped)."""
    for cmd in ctx.typed(CodeShellCommand):
        if not is_vendored(cmd.path) and not is_install(cmd.command):
            yield cmd, cmd.command


def all_commands(ctx: DetectionContext) -> Iterator[tuple[Evidence, str]]:
    yield from ci_commands(ctx)
    yield from script_commands(ctx)


def command_matches(
    ctx: DetectionContext, pattern: re.Pattern[str], what: Callable[[str], str]
) -> list[Citation]:
    """A citation for every CI/script command matching ``pattern`` (showing the matching line)."""
    out: list[Citation] = []
    for item, command in all_commands(ctx):
        match = pattern.search(command)
        if match:
            start = command.rfind("\n", 0, match.start()) + 1
            end = command.find("\n", match.end())
            line = command[start : end if end >= 0 else len(command)].strip()
            out.append(cite(item, what(line[:120])))
    return out


def stage_code_paths(ctx: DetectionContext, stage: PipelineStage) -> set[str]:
    """Project code a pipeline stage runs: its command's script/module and code inputs."""
    out: set[str] = set()
    if stage.cmd:
        base = posixpath.dirname(stage.path)
        for rel, node in analyse_commands([stage.cmd], base or None):
            if rel != "runs":
                continue
            kind, _, target = node.partition(":")
            if kind == "file" and target in ctx.files:
                out.add(target)
            elif kind == "module":
                found = resolve_module(ctx, target)
                if found:
                    out.add(found)
    for item in stage.inputs:
        if item.endswith(".py") and item in ctx.files:
            out.add(item)
    return out
