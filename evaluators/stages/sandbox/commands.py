"""Which of a project's own checks to run, decided from the evidence (never by guessing).

One *test command* is chosen, the most direct runner the evidence supports: pytest (test files
written for it, or pytest configured/declared), then ``python -m unittest``, then a ``make
test`` target, then tox, then nox. Running the direct runner first matters in a sandbox with
no network: tox/nox and many ``make test`` recipes install packages before testing. README
code blocks explicitly marked runnable (python or shell) each become a run; notebooks only on
request (``run_notebooks``), because executing them is slow and often needs data.
"""

from __future__ import annotations

from dataclasses import dataclass

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file

PYTEST = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
UNITTEST = ("python", "-m", "unittest", "discover", "-v")
PYTHON_LANGS = frozenset({"python", "py", "python3"})
# Executed notebooks go to the sandbox's private tmpfs, never back into the project copy.
NOTEBOOK_OUT = "/tmp"  # noqa: S108
SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh"})


@dataclass(frozen=True)
class DetectedCommand:
    """A command to run in the sandbox, and the evidence that it is the project's own."""

    id: str
    kind: str  # pytest | unittest | make | tox | nox | readme | notebook
    argv: tuple[str, ...]
    why: tuple[Citation, ...] = ()


def _pytest_evidence(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for item in ctx.kind("code.test_file"):
        if "pytest" in getattr(item, "frameworks", ()):
            out.append(cite(item, "test file written for pytest"))
    for item in ctx.kind("dep.manifest"):
        if "pytest" in getattr(item, "tools", ()):
            out.append(cite(item, "pytest configured"))
    for name in ("pytest.ini", "conftest.py"):
        if name in ctx.files:
            out.append(cite_file(name, "pytest configuration"))
    for item in ctx.kind("dep.requirement"):
        if getattr(item, "name", "") == "pytest":
            out.append(cite(item, "pytest declared"))
    return out


def _test_command(ctx: DetectionContext) -> DetectedCommand | None:
    test_files = ctx.kind("code.test_file")
    pytest_why = _pytest_evidence(ctx)
    if test_files and pytest_why:
        return DetectedCommand("tests:pytest", "pytest", PYTEST, tuple(pytest_why[:5]))
    unittest_files = [t for t in test_files if "unittest" in getattr(t, "frameworks", ())]
    if unittest_files:
        why = tuple(cite(t, "unittest test file") for t in unittest_files[:5])
        return DetectedCommand("tests:unittest", "unittest", UNITTEST, why)
    for target in ctx.kind("build.target"):
        if (
            getattr(target, "target", "") == "test"
            and getattr(target, "tool", "") == "make"
            and not getattr(target, "directory", "")
        ):
            return DetectedCommand(
                "tests:make", "make", ("make", "test"), (cite(target, "make test target"),)
            )
    if "tox.ini" in ctx.files:
        return DetectedCommand("tests:tox", "tox", ("tox",), (cite_file("tox.ini", "tox"),))
    if "noxfile.py" in ctx.files:
        return DetectedCommand("tests:nox", "nox", ("nox",), (cite_file("noxfile.py", "nox"),))
    return None


def _readme_blocks(ctx: DetectionContext) -> list[DetectedCommand]:
    out: list[DetectedCommand] = []
    for block in ctx.kind("doc.code_block"):
        if not getattr(block, "runnable", False) or getattr(block, "truncated", False):
            continue
        language = str(getattr(block, "language", "")).lower()
        code = block.text or ""
        if not code.strip():
            continue
        if language in PYTHON_LANGS:
            argv: tuple[str, ...] = ("python", "-c", code)
        elif language in SHELL_LANGS:
            argv = ("/bin/sh", "-ec", code)
        else:
            continue
        out.append(
            DetectedCommand(
                f"readme:{block.location}",
                "readme",
                argv,
                (cite(block, "code block marked runnable"),),
            )
        )
    return out


def _notebooks(ctx: DetectionContext) -> list[DetectedCommand]:
    out: list[DetectedCommand] = []
    for nb in ctx.kind("code.notebook"):
        argv = (
            "python",
            "-m",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--output-dir",
            NOTEBOOK_OUT,
            nb.path,
        )
        out.append(
            DetectedCommand(f"notebook:{nb.path}", "notebook", argv, (cite(nb, "notebook"),))
        )
    return out


def detect_commands(ctx: DetectionContext, *, run_notebooks: bool = False) -> list[DetectedCommand]:
    """The runs for one project, in a stable order: tests, README blocks, notebooks."""
    out: list[DetectedCommand] = []
    test = _test_command(ctx)
    if test is not None:
        out.append(test)
    out.extend(_readme_blocks(ctx))
    if run_notebooks:
        out.extend(_notebooks(ctx))
    return out
