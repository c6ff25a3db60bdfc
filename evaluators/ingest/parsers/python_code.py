"""Python source analysis: one iterative pass over the ``ast`` of each file (never imported,
never executed).

Facts: the module and its docstring (``code.module``), imports with the import graph
(``code.import``), interesting calls resolved through import aliases (``code.call``: experiment
tracking, (un)pickling, hub downloads with their ``revision``/``trust_remote_code``, unsafe
YAML, eval/exec, shell), seeding (``code.seed``), configuration (``code.config``, see
:mod:`python_config`), tests (``code.test``, ``code.test_file``) and credential-shaped string
literals (``code.secret_literal``, masked). The walker uses an explicit stack rather than
recursion, so deeply nested but valid code cannot exhaust the interpreter stack; the notebook
parser feeds every code cell through the same :class:`PythonAnalysis`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from typing import Any

from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeImport,
    CodeModule,
    CodeSecretLiteral,
)
from hyperscore.evaluators.ingest.parsers.python_ast import shared_ast
from hyperscore.evaluators.ingest.parsers.python_call_facts import CallFacts
from hyperscore.evaluators.ingest.parsers.python_calls import (
    DETERMINISM_FLAGS,
    SEED_FUNCTIONS,
    SUBPROCESS_CALLS,
    classify_call,
    is_placeholder,
    mask,
    secret_like_name,
    secret_match,
)
from hyperscore.evaluators.ingest.parsers.python_config import (
    ConfigTracker,
    Context,
    LineMap,
    keyword,
    literal,
    literal_str,
)
from hyperscore.evaluators.ingest.parsers.python_tests import TEST_FILE, TestTracker
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

_TRACKED_BINDINGS = ("typer.", "click.")


def _child_fields() -> dict[type, tuple[str, ...]]:
    """Per node type, the fields that can hold child nodes, in reverse source order.

    Skipping ``ctx`` (a Load/Store node on every name) and the string-valued fields halves
    the walk compared with ``ast.iter_child_nodes``.
    """
    scalar = {"ctx", "id", "attr", "arg", "name", "asname", "module", "level", "type_comment",
              "kind", "conversion", "is_async", "n", "s", "tag"}  # fmt: skip
    out: dict[type, tuple[str, ...]] = {}
    for value in vars(ast).values():
        if isinstance(value, type) and issubclass(value, ast.AST) and value is not ast.Constant:
            fields = tuple(f for f in value._fields if f not in scalar)
            if fields:
                out[value] = fields[::-1]
    return out


_CHILD_FIELDS = _child_fields()


def module_name(path: str) -> tuple[str | None, bool]:
    """Dotted module name for a ``.py`` path (``src/`` layout stripped) and whether a package."""
    if not path.endswith(".py"):
        return None, False
    parts = path[:-3].split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    package = parts[-1] == "__init__"
    if package:
        parts = parts[:-1]
    return (".".join(parts) or None), package


def parse_python(source: str) -> ast.Module:
    """``ast.parse`` with every failure as a one-line ``ValueError``."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise ValueError(f"invalid Python: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ValueError("Python source nested too deeply to parse") from None


def parse_python_cached(source: str, filename: str = "<unknown>") -> ast.Module:
    """:func:`parse_python` through :func:`shared_ast`: the walker runs every ``*.py`` parser
    on a file back to back, and they share one parse. Callers must treat the tree as read-only.
    """
    try:
        return shared_ast(source, filename)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise ValueError(f"invalid Python: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ValueError("Python source nested too deeply to parse") from None


class _Leave:
    __slots__ = ("node",)

    def __init__(self, node: ast.AST) -> None:
        self.node = node


class PythonAnalysis:
    """Facts of one Python file, or of all code cells of one notebook (fed in order)."""

    def __init__(
        self, path: str, module: str | None = None, package: bool = False, is_test: bool = False
    ) -> None:
        self.module = module
        self.package = package
        self.is_test = is_test
        src = f"module:{module}" if module else f"file:{path}"
        self.ctx = Context(path=path, src_node=src)
        self.config = ConfigTracker(self.ctx)
        self.tests = TestTracker(self.ctx, is_test)
        self.calls = CallFacts(self.ctx, self.config)
        self.scopes: list[str] = []
        self.scope_kinds: list[str] = []
        self.optional: list[bool] = []
        self.secret_seen: set[int] = set()
        self.functions = self.classes = 0
        self.has_main_guard = False
        self.enter: dict[type[ast.AST], Callable[[ast.AST], None]] = {
            ast.Import: self._import,
            ast.ImportFrom: self._import_from,
            ast.Call: self._call,
            ast.Constant: self._constant,
            ast.Assign: self._assign,
            ast.AnnAssign: self._assign,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.Assert: self._assert,
            ast.Subscript: self._subscript,
            ast.Attribute: self._attribute,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.Try: self._try,
            ast.TryStar: self._try,
            ast.If: self._if,
            ast.Dict: self._dict,
        }
        self.leave: dict[type[ast.AST], Callable[[ast.AST], None]] = {
            ast.FunctionDef: self._leave_function,
            ast.AsyncFunctionDef: self._leave_function,
            ast.ClassDef: self._leave_class,
            ast.Try: self._leave_try,
            ast.TryStar: self._leave_try,
        }

    # --- driving -------------------------------------------------------------------------------

    def feed(
        self, tree: ast.Module, line_map: LineMap | None = None, cell: int | None = None
    ) -> None:
        """Walk one parsed module (or notebook cell); ``line_map`` maps its lines to the file's."""
        if line_map is not None:
            self.ctx.line_map = line_map
        self.ctx.cell = cell
        enter, leave, child_fields = self.enter, self.leave, _CHILD_FIELDS
        # The stack also receives None and str values from fields and lists; they have no
        # handler and no child fields, so they fall through at no cost.
        stack: list[Any] = [tree]
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is _Leave:
                leave[type(item.node)](item.node)
                continue
            handler = enter.get(kind)
            if handler is not None:
                handler(item)
            if kind in leave:
                stack.append(_Leave(item))
            for name in child_fields.get(kind, ()):
                value = getattr(item, name, None)
                if type(value) is list:
                    stack.extend(reversed(value))
                else:
                    stack.append(value)

    def finish(self, tree: ast.Module | None = None, lines: int = 0) -> list[Evidence]:
        """Flush pending facts; with ``tree`` also the ``code.module`` and test-file summary."""
        ctx = self.ctx
        self.config.finish()
        self.calls.finish()
        self.tests.finish()
        if tree is not None:
            doc = ast.get_docstring(tree) or ""
            summary = doc.strip().split("\n\n", 1)[0].strip()[:500]
            links: tuple[Link, ...] = ()
            if self.module:
                links = (Link(src=f"file:{ctx.path}", dst=f"module:{self.module}", rel="defines"),)
            ctx.out.append(
                CodeModule(
                    path=ctx.path,
                    line=1,
                    name=self.module or ctx.path,
                    text=summary or None,
                    module=self.module,
                    package=self.package,
                    is_test=self.is_test,
                    functions=self.functions,
                    classes=self.classes,
                    lines=lines,
                    has_main_guard=self.has_main_guard,
                    threshold_asserts=self.tests.threshold_asserts,
                    links=links,
                )
            )
        return ctx.out

    @property
    def scope(self) -> str:
        return ".".join(self.scopes) or "<module>"

    # --- imports -------------------------------------------------------------------------------

    def _absolute(self, module: str, level: int) -> str | None:
        if level == 0:
            return module
        if self.module is None:
            return None
        package = self.module.split(".") if self.package else self.module.split(".")[:-1]
        if level - 1 >= len(package) and not (level == 1 and not package):
            return None
        base = package[: len(package) - (level - 1)]
        return ".".join([*base, module] if module else base) or None

    def _emit_import(
        self,
        node: ast.AST,
        module: str,
        *,
        names: tuple[str, ...],
        alias: str | None,
        level: int,
        resolved: bool,
    ) -> None:
        top = module.lstrip(".").split(".", 1)[0]
        self.config.note_import(top)
        if top == "hypothesis":
            self.tests.uses_hypothesis = True
        ctx = self.ctx
        links = (
            (Link(src=ctx.src_node, dst=f"module:{module}", rel="imports"),)
            if (resolved and module)
            else ()
        )
        ctx.out.append(
            CodeImport(
                path=ctx.path,
                line=ctx.line(node),
                name=module,
                cell=ctx.cell,
                module=module,
                names=names[:50],
                alias=alias,
                level=level,
                top_level=top,
                stdlib=level == 0 and top in sys.stdlib_module_names,
                optional=any(self.optional),
                links=links,
            )
        )

    def _import(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Import)
        for alias in node.names:
            if alias.asname:
                self.ctx.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.ctx.aliases[top] = top
            self._emit_import(
                node, alias.name, names=(), alias=alias.asname, level=0, resolved=True
            )

    def _import_from(self, node: ast.AST) -> None:
        assert isinstance(node, ast.ImportFrom)
        absolute = self._absolute(node.module or "", node.level)
        target = absolute if absolute is not None else "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name != "*":
                full = f"{target}.{alias.name}" if target.strip(".") else alias.name
                self.ctx.aliases[alias.asname or alias.name] = full
        names = tuple(alias.name for alias in node.names)
        self._emit_import(
            node, target, names=names, alias=None, level=node.level, resolved=absolute is not None
        )

    # --- calls ---------------------------------------------------------------------------------

    def _call(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        if isinstance(func, ast.Attribute):
            self.config.consumed.add(id(func))
            if func.attr in ("get", "pop", "setdefault", "select"):
                self.config.read(node)
            else:
                self.config.read(func.value)
        for kw in node.keywords:
            if kw.arg is None:
                continue
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                self._secret(kw.value, kw.arg)
            if kw.arg == "random_state":
                self.calls.tally_random_state(node, kw.value)
        name, imported = self.ctx.resolve(func)
        if name is None:
            return
        if self.tests.on_self_assert(node, name):
            return
        self.config.on_call(node, name, imported)
        framework = SEED_FUNCTIONS.get(name) if imported else None
        if framework is None and name.startswith("torch.") and name.endswith(".manual_seed"):
            framework = "torch"
        if framework is not None:
            self.calls.seed(node, name, framework)
            return
        category = classify_call(name, imported)
        if category is None and imported and name in SUBPROCESS_CALLS:
            shell = keyword(node, "shell")
            always_shell = name in ("subprocess.getoutput", "subprocess.getstatusoutput")
            if always_shell or (shell is not None and literal(shell) is not False):
                category = "shell"
        if category is not None:
            self.calls.emit_call(node, name, category, self.scope)

    # --- assignments, constants, scopes --------------------------------------------------------

    def _assign(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Assign | ast.AnnAssign)
        value = node.value
        if value is None:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            var = _target_name(target)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                self._secret(value, var)
            if isinstance(target, ast.Name) or (var and var.startswith("self.")):
                self.config.bind(var or "", value)
                if isinstance(value, ast.Call) and isinstance(target, ast.Name):
                    self._bind_instance(target.id, value)
            if isinstance(target, ast.Attribute):
                name, imported = self.ctx.resolve(target)
                if imported and name in DETERMINISM_FLAGS:
                    self.calls.emit_seed(node, name or "", "torch-determinism", value)
            elif isinstance(target, ast.Subscript) and self._is_environ(target.value):
                key = literal_str(target.slice)
                self.config.env(target, key, "env-write")
                self.config.consumed.add(id(target))
                if key == "PYTHONHASHSEED":
                    self.calls.emit_seed(node, "os.environ[PYTHONHASHSEED]", "python-hash", value)

    def _bind_instance(self, var: str, call: ast.Call) -> None:
        """``run = wandb.init()`` makes ``run.log(...)`` resolve to ``wandb.init().log``."""
        name, imported = self.ctx.resolve(call.func)
        if (
            name
            and imported
            and (classify_call(name, imported) is not None or name.startswith(_TRACKED_BINDINGS))
        ):
            self.ctx.aliases[var] = f"{name}()"

    def _with(self, node: ast.AST) -> None:
        assert isinstance(node, ast.With | ast.AsyncWith)
        for item in node.items:
            var = item.optional_vars
            if isinstance(var, ast.Name):
                self.config.bind_handle(var.id, item.context_expr)
                if isinstance(item.context_expr, ast.Call):
                    self._bind_instance(var.id, item.context_expr)

    def _constant(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Constant)
        if isinstance(node.value, str) and len(node.value) >= 20:
            self._secret(node, None)

    def _dict(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Dict)
        for key, value in zip(node.keys, node.values, strict=False):
            key_text = literal_str(key)
            if key_text and isinstance(value, ast.Constant) and isinstance(value.value, str):
                self._secret(value, key_text)

    def _secret(self, node: ast.Constant, context: str | None) -> None:
        """Flag a credential-shaped literal once: by pattern, or by a secret-looking name."""
        if id(node) in self.secret_seen or not isinstance(node.value, str):
            return
        self.secret_seen.add(id(node))
        value = node.value
        found = secret_match(value)
        rule, shown = found if found else (None, value)
        if rule is None and context and secret_like_name(context) and not is_placeholder(value):
            rule = "credential-assignment"
        if rule is None:
            return
        ctx = self.ctx
        ctx.out.append(
            CodeSecretLiteral(
                path=ctx.path,
                line=ctx.line(node),
                cell=ctx.cell,
                name=rule,
                rule=rule,
                masked=mask(shown),
                context=context[:100] if context else None,
            )
        )

    def _subscript(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Subscript)
        if id(node) in self.config.consumed:
            return
        if self._is_environ(node.value):
            role = "env" if isinstance(node.ctx, ast.Load) else "env-write"
            self.config.env(node, literal_str(node.slice), role)
            self.config.consumed.add(id(node))
        elif isinstance(node.ctx, ast.Load):
            self.config.read(node)

    def _attribute(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Attribute)
        if self.config.vars and isinstance(node.ctx, ast.Load):
            self.config.read(node, attribute_only=True)

    def _is_environ(self, expr: ast.AST) -> bool:
        if (isinstance(expr, ast.Attribute) and expr.attr == "environ") or isinstance(
            expr, ast.Name
        ):
            return self.ctx.resolve(expr)[0] == "os.environ"
        return False

    def _if(self, node: ast.AST) -> None:
        assert isinstance(node, ast.If)
        test = node.test
        if isinstance(test, ast.Compare) and len(test.comparators) == 1:
            sides = {_unparse_simple(test.left), _unparse_simple(test.comparators[0])}
            if sides == {"__name__", "'__main__'"}:
                self.has_main_guard = True

    def _try(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Try | ast.TryStar)
        names = set()
        for handler in node.handlers:
            if handler.type is None:
                names.add("Exception")
            for expr in (
                handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            ):
                if isinstance(expr, ast.Name):
                    names.add(expr.id)
        self.optional.append(bool(names & {"ImportError", "ModuleNotFoundError", "Exception"}))

    def _leave_try(self, node: ast.AST) -> None:
        self.optional.pop()

    def _class(self, node: ast.AST) -> None:
        assert isinstance(node, ast.ClassDef)
        self.classes += 1
        bases = [self.ctx.resolve(base)[0] or "" for base in node.bases]
        self.tests.enter_class(node, bases, self.scopes, "function" in self.scope_kinds)
        if any(base.endswith("BaseSettings") for base in bases):
            fields = tuple(
                stmt.target.id
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            )
            self.config.emit(
                node, "pydantic-settings", "settings", option=node.name, flags=fields[:50]
            )
        self.scopes.append(node.name)
        self.scope_kinds.append("class")

    def _leave_class(self, node: ast.AST) -> None:
        self.tests.leave_class()
        self.scopes.pop()
        self.scope_kinds.pop()

    def _function(self, node: ast.AST) -> None:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        self.functions += 1
        self.config.on_function(node)
        parent = self.scope_kinds[-1] if self.scope_kinds else "module"
        self.tests.enter_function(node, self.scopes, parent)
        self.scopes.append(node.name)
        self.scope_kinds.append("function")

    def _leave_function(self, node: ast.AST) -> None:
        self.tests.leave_function()
        self.scopes.pop()
        self.scope_kinds.pop()

    def _assert(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Assert)
        self.tests.on_assert(node)


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        if isinstance(target.value, ast.Name) and target.value.id == "self":
            return f"self.{target.attr}"
        return target.attr
    if isinstance(target, ast.Subscript):
        return literal_str(target.slice)
    return None


def _unparse_simple(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        return repr(node.value)
    return ""


def analyse_python(path: str, source: str) -> list[Evidence]:
    """All facts of one ``.py`` file."""
    source = source.removeprefix("\ufeff")  # a BOM is valid in files, not in ast.parse
    tree = parse_python_cached(source, path)
    module, package = module_name(path)
    analysis = PythonAnalysis(path, module, package, bool(TEST_FILE.match(path.rsplit("/", 1)[-1])))
    try:
        analysis.feed(tree)
    except RecursionError:
        raise ValueError("Python source nested too deeply to analyse") from None
    lines = source.count("\n") + (1 if source and not source.endswith("\n") else 0)
    return analysis.finish(tree, lines)


@parser("python", Modality.CODE, ["*.py", "*.pyw"])
def parse_python_file(inp: ParseInput) -> list[Evidence]:
    return analyse_python(inp.path, inp.text)
