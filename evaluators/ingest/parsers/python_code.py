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
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeImport,
    CodeModule,
    CodeSecretLiteral,
    CodeSeed,
    CodeTest,
    CodeTestFile,
    Scalar,
)
from hyperscore.evaluators.ingest.parsers.python_calls import (
    ARTIFACT_ARGS,
    DETERMINISM_FLAGS,
    HEX40,
    HUB_DOWNLOADS,
    METRIC_WORDS,
    PICKLE_LOADS,
    SAFE_YAML_LOADERS,
    SEED_FUNCTIONS,
    SUBPROCESS_CALLS,
    classify_call,
    is_placeholder,
    mask,
    secret_like_name,
    secret_match,
    secret_rule,
)
from hyperscore.evaluators.ingest.parsers.python_config import (
    ConfigTracker,
    Context,
    LineMap,
    keyword,
    literal,
    literal_str,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

_TEST_FILE = re.compile(r"^(?:test_.*|.*_test|conftest|tests)\.py$")
_COMPARISONS = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_UNITTEST_THRESHOLDS = frozenset(
    {"assertGreater", "assertGreaterEqual", "assertLess", "assertLessEqual"}
)
_METRIC_CLASSES = frozenset({"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"})
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
        self.scopes: list[str] = []
        self.scope_kinds: list[str] = []
        self.class_kinds: list[str | None] = []
        self.tests: list[_TestAcc | None] = []
        self.optional: list[bool] = []
        self.secret_seen: set[int] = set()
        self.functions = self.classes = self.threshold_asserts = 0
        self.has_main_guard = False
        self.uses_hypothesis = False
        self.test_items: list[CodeTest] = []
        self.random_state: tuple[int, int | None, int | None, Scalar] | None = None  # n, line...
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
            ast.ClassDef: self._leave_scope,
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
        if self.random_state is not None:
            count, line, cell, value = self.random_state
            ctx.out.append(
                CodeSeed(
                    path=ctx.path,
                    line=line,
                    cell=cell,
                    name="random_state",
                    function="random_state=",
                    framework="sklearn",
                    count=count,
                    value=value if isinstance(value, int) and not isinstance(value, bool) else None,
                )
            )
        ctx.out.extend(self.test_items)
        if self.is_test or self.test_items:
            frameworks = sorted({t.framework for t in self.test_items} or {"pytest"})
            ctx.out.append(
                CodeTestFile(
                    path=ctx.path,
                    line=1,
                    name=ctx.path.rsplit("/", 1)[-1],
                    frameworks=tuple(frameworks),
                    tests=sum(t.role in ("function", "method") for t in self.test_items),
                    fixtures=sum(t.role == "fixture" for t in self.test_items),
                    parametrized=sum(t.parametrized for t in self.test_items),
                    has_threshold_assert=any(t.has_threshold_assert for t in self.test_items),
                    uses_hypothesis=self.uses_hypothesis,
                    markers=tuple(sorted({m for t in self.test_items for m in t.markers})),
                    conftest=ctx.path.endswith("conftest.py"),
                )
            )
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
                    threshold_asserts=self.threshold_asserts,
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
            self.uses_hypothesis = True
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
                self._tally_random_state(node, kw.value)
        name, imported = self.ctx.resolve(func)
        if name is None:
            return
        if name.startswith("self.assert") and self.tests and self.tests[-1] is not None:
            self._unittest_assert(node, name, self.tests[-1])
            return
        self.config.on_call(node, name, imported)
        framework = SEED_FUNCTIONS.get(name) if imported else None
        if framework is None and name.startswith("torch.") and name.endswith(".manual_seed"):
            framework = "torch"
        if framework is not None:
            self._seed(node, name, framework)
            return
        category = classify_call(name, imported)
        if category is None and imported and name in SUBPROCESS_CALLS:
            shell = keyword(node, "shell")
            always_shell = name in ("subprocess.getoutput", "subprocess.getstatusoutput")
            if always_shell or (shell is not None and literal(shell) is not False):
                category = "shell"
        if category is not None:
            self._emit_call(node, name, category)

    def _emit_call(self, node: ast.Call, name: str, category: str) -> None:
        ctx = self.ctx
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        literal_kwargs: dict[str, Scalar] = {}
        for key, expr in kwargs.items():
            if isinstance(expr, ast.Constant) and (
                expr.value is None or isinstance(expr.value, str | int | float | bool)
            ):
                value = expr.value
                if isinstance(value, str):
                    secret = secret_like_name(key) or secret_rule(value) is not None
                    value = "<redacted>" if secret else value[:200]
                literal_kwargs[key] = value
        first = literal_str(node.args[0]) if node.args else None
        if first is not None and secret_rule(first) is not None:
            first = "<redacted>"
        flags = {
            key: value if isinstance(value := literal(kwargs.get(key)), bool) else None
            for key in ("weights_only", "trust_remote_code", "allow_pickle", "shell")
        }
        revision = literal_str(kwargs.get("revision"))
        revision_pinned: bool | None = None
        model_id = first or literal_str(
            kwargs.get("repo_id")
            or kwargs.get("pretrained_model_name_or_path")
            or kwargs.get("path")
            or kwargs.get("model")
        )
        hub = name in HUB_DOWNLOADS or name.endswith(".from_pretrained")
        if hub and not (model_id and _is_local_path(model_id)):
            revision_pinned = bool(revision and HEX40.fullmatch(revision))
        loader = None
        if category == "yaml":
            loader_expr = kwargs.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
            loader = ctx.resolve(loader_expr)[0] if loader_expr is not None else None
        risks: list[str] = []
        if (
            (name == "torch.load" and flags["weights_only"] is not True)
            or name in PICKLE_LOADS
            or (name == "numpy.load" and flags["allow_pickle"])
        ):
            risks.append("pickle-deserialisation")
        if name in ("yaml.unsafe_load", "yaml.unsafe_load_all") or (
            name in ("yaml.load", "yaml.load_all") and loader not in SAFE_YAML_LOADERS
        ):
            risks.append("unsafe-yaml-loader")
        if category in ("code-execution", "shell"):
            risks.append("dynamic-code-execution" if category == "code-execution" else "shell")
        if flags["trust_remote_code"]:
            risks.append("trust-remote-code")
        if revision_pinned is False and model_id:
            risks.append("unpinned-hub-revision")
        if literal(kwargs.get("verify")) is False:
            risks.append("tls-verification-disabled")
        ctx.out.append(
            CodeCall(
                path=ctx.path,
                line=ctx.line(node),
                end_line=ctx.end_line(node),
                name=name[:200],
                cell=ctx.cell,
                function=name[:200],
                category=category,
                scope=self.scope,
                first_arg=first[:200] if first else None,
                keywords=tuple(kwargs)[:30],
                literal_kwargs=literal_kwargs,
                weights_only=flags["weights_only"],
                trust_remote_code=flags["trust_remote_code"],
                allow_pickle=flags["allow_pickle"],
                shell=flags["shell"],
                revision=revision[:100] if revision else None,
                revision_pinned=revision_pinned,
                loader=loader,
                risks=tuple(risks),
                links=self._call_links(node, name, category, first),
            )
        )

    def _call_links(
        self, node: ast.Call, name: str, category: str, first: str | None
    ) -> tuple[Link, ...]:
        src = self.ctx.src_node
        last = name.rsplit(".", 1)[-1]
        if category == "metrics-instrumentation" and last in _METRIC_CLASSES and first:
            return (Link(src=src, dst=f"metric:{first}", rel="exposes"),)
        spec = ARTIFACT_ARGS.get(name) or ARTIFACT_ARGS.get(last)
        if spec is None:
            if last == "from_pretrained" and first and _is_local_path(first):
                path = self.ctx.rooted(self.config.literal_path(node.args[0]))
                return (Link(src=src, dst=f"artifact:{path}", rel="reads"),) if path else ()
            return ()
        rel, index, kw = spec
        expr = node.args[index] if len(node.args) > index else keyword(node, kw)
        path = self.ctx.rooted(self.config.literal_path(expr))
        return (Link(src=src, dst=f"artifact:{path}", rel=rel),) if path else ()

    def _seed(self, node: ast.Call, name: str, framework: str) -> None:
        arg = node.args[0] if node.args else None
        for kw in node.keywords:
            if arg is None and kw.arg in ("seed", "a", "mode", "d", "x"):
                arg = kw.value
        self._emit_seed(node, name, framework, arg)

    def _emit_seed(self, node: ast.AST, name: str, framework: str, arg: ast.AST | None) -> None:
        value = literal(arg)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        expr_text = None
        if arg is not None and not isinstance(value, int):
            expr_text = _unparse(arg, 80)
        ctx = self.ctx
        ctx.out.append(
            CodeSeed(
                path=ctx.path,
                line=ctx.line(node),
                cell=ctx.cell,
                name=name[:200],
                function=name[:200],
                framework=framework,
                value=int(value) if isinstance(value, int) else None,
                value_expr=expr_text,
                seeded=arg is not None,
            )
        )

    def _tally_random_state(self, node: ast.Call, value: ast.expr) -> None:
        if self.random_state is None:
            self.random_state = (1, self.ctx.line(node), self.ctx.cell, literal(value))
        else:
            count, line, cell, first = self.random_state
            self.random_state = (count + 1, line, cell, first)

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
                    self._emit_seed(node, name or "", "torch-determinism", value)
            elif isinstance(target, ast.Subscript) and self._is_environ(target.value):
                key = literal_str(target.slice)
                self.config.env(target, key, "env-write")
                self.config.consumed.add(id(target))
                if key == "PYTHONHASHSEED":
                    self._emit_seed(node, "os.environ[PYTHONHASHSEED]", "python-hash", value)

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
        kind: str | None = None
        if any(base.endswith("TestCase") for base in bases):
            kind = "unittest"
        elif self.is_test and node.name.startswith("Test") and "function" not in self.scope_kinds:
            kind = "pytest"
        qualname = ".".join([*self.scopes, node.name])
        if kind is not None:
            self.test_items.append(
                CodeTest(
                    path=self.ctx.path,
                    line=self.ctx.line(node),
                    end_line=self.ctx.end_line(node),
                    name=node.name,
                    cell=self.ctx.cell,
                    qualname=qualname,
                    role="class",
                    framework=kind,
                )
            )
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
        self.class_kinds.append(kind)
        self.tests.append(None)

    def _leave_scope(self, node: ast.AST) -> None:
        self.scopes.pop()
        if self.scope_kinds.pop() == "class":
            self.class_kinds.pop()
        self.tests.pop()

    def _function(self, node: ast.AST) -> None:
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        self.functions += 1
        self.config.on_function(node)
        markers: list[str] = []
        parametrized, cases, fixture = False, None, False
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            name, _ = self.ctx.resolve(call.func if call else dec)
            if not name:
                continue
            if name in ("pytest.fixture", "pytest_asyncio.fixture"):
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
        parent = self.scope_kinds[-1] if self.scope_kinds else "module"
        class_kind = self.class_kinds[-1] if parent == "class" else None
        acc: _TestAcc | None = None
        role, framework = "", ""
        if fixture and self.is_test:
            role, framework = "fixture", "pytest"
        elif node.name.startswith("test"):
            if parent == "module" and self.is_test:
                role, framework = "function", "pytest"
            elif class_kind is not None:
                role, framework = "method", class_kind
        if role:
            args = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
            acc = _TestAcc(
                name=node.name,
                qualname=".".join([*self.scopes, node.name]),
                role=role,
                framework=framework,
                line=self.ctx.line(node),
                end_line=self.ctx.end_line(node),
                markers=markers,
                fixtures=tuple(a for a in args if a not in ("self", "cls")),
                parametrized=parametrized,
                param_cases=cases,
                is_async=isinstance(node, ast.AsyncFunctionDef),
            )
        self.scopes.append(node.name)
        self.scope_kinds.append("function")
        self.tests.append(acc)

    def _leave_function(self, node: ast.AST) -> None:
        acc = self.tests[-1]
        self._leave_scope(node)
        if acc is None:
            return
        self.test_items.append(
            CodeTest(
                path=self.ctx.path,
                line=acc.line,
                end_line=acc.end_line,
                name=acc.name,
                cell=self.ctx.cell,
                qualname=acc.qualname,
                role=acc.role,
                framework=acc.framework,
                parametrized=acc.parametrized,
                param_cases=acc.param_cases,
                markers=tuple(acc.markers)[:20],
                fixtures=acc.fixtures[:30],
                asserts=acc.asserts,
                has_threshold_assert=bool(acc.thresholds),
                thresholds=tuple(acc.thresholds)[:5],
                is_async=acc.is_async,
            )
        )

    # --- asserts -------------------------------------------------------------------------------

    def _assert(self, node: ast.AST) -> None:
        assert isinstance(node, ast.Assert)
        acc = self.tests[-1] if self.tests else None
        threshold = _threshold(node.test)
        if acc is not None:
            acc.asserts += 1
            if threshold:
                acc.thresholds.append(threshold)
        elif threshold:
            self.threshold_asserts += 1

    def _unittest_assert(self, node: ast.Call, name: str, acc: _TestAcc) -> None:
        acc.asserts += 1
        method = name.rsplit(".", 1)[-1]
        if method in _UNITTEST_THRESHOLDS and len(node.args) >= 2:
            numbers = [a for a in node.args[:2] if _is_number(a)]
            others = [a for a in node.args[:2] if not isinstance(a, ast.Constant)]
            if numbers and others:
                acc.thresholds.append(_unparse(node, 120))


def _is_number(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and type(expr.value) in (int, float)


def _threshold(test: ast.AST) -> str | None:
    """``assert acc > 0.8``-style quality gates: a comparison of a metric with a number."""
    if isinstance(test, ast.BoolOp):
        return next((t for t in map(_threshold, test.values) if t), None)
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
    text = _unparse(test, 120)
    if is_float or METRIC_WORDS.search(text):
        return text
    return None


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


def _unparse(node: ast.AST, limit: int) -> str:
    try:
        return ast.unparse(node)[:limit]
    except (RecursionError, ValueError):
        return "<expr>"


def _unparse_simple(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        return repr(node.value)
    return ""


def _is_local_path(model_id: str) -> bool:
    """Local checkpoints, not hub ids: ``./out``, ``/models/x``, ``~/m``, ``a/b/c``, ``C:\\``."""
    return (
        model_id.startswith((".", "/", "~", "\\"))
        or model_id.count("/") > 1
        or "\\" in model_id
        or (len(model_id) > 1 and model_id[1] == ":")
    )


def analyse_python(path: str, source: str) -> list[Evidence]:
    """All facts of one ``.py`` file."""
    source = source.removeprefix("\ufeff")  # a BOM is valid in files, not in ast.parse
    tree = parse_python(source)
    module, package = module_name(path)
    analysis = PythonAnalysis(
        path, module, package, bool(_TEST_FILE.match(path.rsplit("/", 1)[-1]))
    )
    try:
        analysis.feed(tree)
    except RecursionError:
        raise ValueError("Python source nested too deeply to analyse") from None
    lines = source.count("\n") + (1 if source and not source.endswith("\n") else 0)
    return analysis.finish(tree, lines)


@parser("python", Modality.CODE, ["*.py", "*.pyw"])
def parse_python_file(inp: ParseInput) -> list[Evidence]:
    return analyse_python(inp.path, inp.text)
