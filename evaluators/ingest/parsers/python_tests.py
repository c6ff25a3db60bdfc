"""Test facts of Python code: pytest/unittest tests, fixtures, markers, metric-threshold asserts.

Used by :mod:`python_code` during its single AST pass: the analysis reports scope entries and
exits, asserts and ``self.assert*`` calls; this tracker accumulates one ``code.test`` per test
function, method, class or fixture and a ``code.test_file`` summary. Collection follows
pytest's defaults: ``test*`` functions in ``test_*.py``/``*_test.py``/``conftest.py``, ``test*``
methods of ``Test*`` classes there, and ``TestCase`` subclasses anywhere.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.parsers.code_kinds import CodeTest, CodeTestFile
from hyperscore.evaluators.ingest.parsers.python_calls import METRIC_WORDS
from hyperscore.evaluators.ingest.parsers.python_config import Context

TEST_FILE = re.compile(r"^(?:test_.*|.*_test|conftest|tests)\.py$")
_COMPARISONS = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_UNITTEST_THRESHOLDS = frozenset(
    {"assertGreater", "assertGreaterEqual", "assertLess", "assertLessEqual"}
)
_FIXTURES = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})


@dataclass
class _TestAcc:
    """A test function being walked: asserts and thresholds accumulate until it is left."""

    name: str
    qualname: str
    role: str
    framework: str
    line: int
    end_line: int | None
    markers: list[str] = field(default_factory=list)
    fixtures: tuple[str, ...] = ()
    parametrized: bool = False
    param_cases: int | None = None
    is_async: bool = False
    asserts: int = 0
    thresholds: list[str] = field(default_factory=list)


class TestTracker:
    """Collects test facts; one entry on ``stack`` per open function/class scope."""

    def __init__(self, ctx: Context, is_test_file: bool) -> None:
        self.ctx = ctx
        self.is_test_file = is_test_file
        self.stack: list[_TestAcc | None] = []
        self.class_kinds: list[str | None] = []
        self.items: list[CodeTest] = []
        self.threshold_asserts = 0
        self.uses_hypothesis = False

    def enter_class(
        self, node: ast.ClassDef, bases: list[str], scopes: list[str], in_function: bool
    ) -> None:
        kind: str | None = None
        if any(base.endswith("TestCase") for base in bases):
            kind = "unittest"
        elif self.is_test_file and node.name.startswith("Test") and not in_function:
            kind = "pytest"
        if kind is not None:
            ctx = self.ctx
            self.items.append(
                CodeTest(
                    path=ctx.path, line=ctx.line(node), end_line=ctx.end_line(node),
                    name=node.name, cell=ctx.cell, qualname=".".join([*scopes, node.name]),
                    role="class", framework=kind,
                )
            )  # fmt: skip
        self.class_kinds.append(kind)
        self.stack.append(None)

    def leave_class(self) -> None:
        self.class_kinds.pop()
        self.stack.pop()

    def enter_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scopes: list[str], parent: str
    ) -> None:
        """``parent`` is the kind of the enclosing scope: module, class or function."""
        markers: list[str] = []
        parametrized, cases, fixture = False, None, False
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            name, _ = self.ctx.resolve(call.func if call else dec)
            if not name:
                continue
            if name in _FIXTURES:
                fixture = True
            elif name == "pytest.mark.parametrize":
                parametrized = True
                values = call.args[1] if call and len(call.args) > 1 else None
                if isinstance(values, ast.List | ast.Tuple):
                    cases = (cases or 0) + len(values.elts)
            elif name.startswith("pytest.mark."):
                markers.append(name.rsplit(".", 1)[-1])
            elif name in ("hypothesis.given", "given"):
                markers.append("hypothesis")
        class_kind = self.class_kinds[-1] if parent == "class" and self.class_kinds else None
        role, framework = "", ""
        if fixture and self.is_test_file:
            role, framework = "fixture", "pytest"
        elif node.name.startswith("test"):
            if parent == "module" and self.is_test_file:
                role, framework = "function", "pytest"
            elif class_kind is not None:
                role, framework = "method", class_kind
        acc: _TestAcc | None = None
        if role:
            args = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            acc = _TestAcc(
                name=node.name, qualname=".".join([*scopes, node.name]), role=role,
                framework=framework, line=self.ctx.line(node), end_line=self.ctx.end_line(node),
                markers=markers, fixtures=tuple(a for a in args if a not in ("self", "cls")),
                parametrized=parametrized, param_cases=cases,
                is_async=isinstance(node, ast.AsyncFunctionDef),
            )  # fmt: skip
        self.stack.append(acc)

    def leave_function(self) -> None:
        acc = self.stack.pop()
        if acc is None:
            return
        self.items.append(
            CodeTest(
                path=self.ctx.path, line=acc.line, end_line=acc.end_line, name=acc.name,
                cell=self.ctx.cell, qualname=acc.qualname, role=acc.role,
                framework=acc.framework, parametrized=acc.parametrized,
                param_cases=acc.param_cases, markers=tuple(acc.markers)[:20],
                fixtures=acc.fixtures[:30], asserts=acc.asserts,
                has_threshold_assert=bool(acc.thresholds), thresholds=tuple(acc.thresholds)[:5],
                is_async=acc.is_async,
            )
        )  # fmt: skip

    def on_assert(self, node: ast.Assert) -> None:
        """Count the assert for the open test; outside tests count metric thresholds only."""
        acc = self.stack[-1] if self.stack else None
        threshold = threshold_text(node.test)
        if acc is not None:
            acc.asserts += 1
            if threshold:
                acc.thresholds.append(threshold)
        elif threshold:
            self.threshold_asserts += 1

    def on_self_assert(self, node: ast.Call, name: str) -> bool:
        """``self.assertGreater(f1, 0.75)`` inside a test; True when it was one."""
        acc = self.stack[-1] if self.stack else None
        if acc is None or not name.startswith("self.assert"):
            return False
        acc.asserts += 1
        if name.rsplit(".", 1)[-1] in _UNITTEST_THRESHOLDS and len(node.args) >= 2:
            numbers = [a for a in node.args[:2] if _is_number(a)]
            others = [a for a in node.args[:2] if not isinstance(a, ast.Constant)]
            if numbers and others:
                acc.thresholds.append(unparse(node, 120))
        return True

    def finish(self) -> None:
        ctx, items = self.ctx, self.items
        ctx.out.extend(items)
        if not (self.is_test_file or items):
            return
        ctx.out.append(
            CodeTestFile(
                path=ctx.path, line=1, name=ctx.path.rsplit("/", 1)[-1],
                frameworks=tuple(sorted({t.framework for t in items} or {"pytest"})),
                tests=sum(t.role in ("function", "method") for t in items),
                fixtures=sum(t.role == "fixture" for t in items),
                parametrized=sum(t.parametrized for t in items),
                has_threshold_assert=any(t.has_threshold_assert for t in items),
                uses_hypothesis=self.uses_hypothesis,
                markers=tuple(sorted({m for t in items for m in t.markers})),
                conftest=ctx.path.endswith("conftest.py"),
            )
        )  # fmt: skip


def _is_number(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and type(expr.value) in (int, float)


def threshold_text(test: ast.AST) -> str | None:
    """``assert acc > 0.8``-style quality gates: a comparison of a metric with a number.

    A float bound, or a metric-sounding operand (accuracy, loss, f1...) with any number;
    ``assert len(x) > 0`` is not a threshold.
    """
    if isinstance(test, ast.BoolOp):
        return next((t for t in map(threshold_text, test.values) if t), None)
    if not isinstance(test, ast.Compare) or not all(
        isinstance(op, _COMPARISONS) for op in test.ops
    ):
        return None
    operands = [test.left, *test.comparators]
    numbers = [o for o in operands if _is_number(o)]
    others = [o for o in operands if not isinstance(o, ast.Constant)]
    if not numbers or not others:
        return None
    is_float = any(isinstance(o, ast.Constant) and type(o.value) is float for o in numbers)
    text = unparse(test, 120)
    if is_float or METRIC_WORDS.search(text):
        return text
    return None


def unparse(node: ast.AST, limit: int) -> str:
    """Source text of a small expression (``<expr>`` when it is too deep to print)."""
    try:
        return ast.unparse(node)[:limit]
    except (RecursionError, ValueError):
        return "<expr>"
