"""Configuration facts of Python code: CLI options, config loads, config key reads, env vars.

Used by :mod:`python_code` during its single AST pass. Config key reads are tracked by
variable: ``cfg = yaml.safe_load(open("params.yaml"))`` binds ``cfg``; ``cfg["train"]["lr"]``,
``cfg.train.lr`` and ``cfg.get("lr")`` then record ``train.lr`` against ``params.yaml`` so a
later stage can check the key exists. Bindings are by name, file-wide (no scope analysis):
subscript reads are kept pending and resolved at the end, so a function defined before the
binding still counts.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.parsers.code_kinds import CodeConfig, Scalar
from hyperscore.evaluators.ingest.parsers.python_calls import (
    ARGPARSE_LIBS,
    CLI_MAINS,
    CONFIG_LOADERS,
    MAPPING_METHODS,
    secret_like_name,
    secret_rule,
)
from hyperscore.evaluators.model import Evidence, Link

LineMap = Callable[[int], int]
MAX_CHAIN = 20
MAX_KEY_ITEMS = 300
_ENV_FUNCTIONS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop", "os.getenvb"}
)
_OPEN_FUNCTIONS = frozenset(
    {"open", "io.open", "codecs.open", "builtins.open", "pathlib.Path", "Path"}
)
_PATH_METHODS = frozenset({"open", "read_text", "read_bytes", "resolve", "absolute", "expanduser"})
_KEY_METHODS = frozenset({"get", "pop", "setdefault", "select"})


def _identity(line: int) -> int:
    return line


@dataclass
class Context:
    """What one analysis shares: where facts go, how names resolve, how lines map."""

    path: str
    src_node: str
    out: list[Evidence] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    line_map: LineMap = _identity
    cell: int | None = None
    workdir: str | None = None

    def rooted(self, path: str | None) -> str | None:
        """A path the code opens, relative to the root: notebooks run in their own folder."""
        if path is None or not self.workdir or path.startswith("/"):
            return path
        joined = posixpath.normpath(posixpath.join(self.workdir, path))
        return None if joined == ".." or joined.startswith("../") else joined

    def line(self, node: ast.AST) -> int:
        return self.line_map(max(1, getattr(node, "lineno", 1)))

    def end_line(self, node: ast.AST) -> int | None:
        end = getattr(node, "end_lineno", None)
        return self.line_map(end) if isinstance(end, int) and end >= 1 else None

    def resolve(self, expr: ast.AST) -> tuple[str | None, bool]:
        """Dotted name of ``expr`` through the import aliases, and whether its root is known.

        ``mf.log_metric`` -> ``mlflow.log_metric``; ``wandb.init().log`` keeps the call as
        ``()``. Iterative and bounded, so absurd attribute chains cannot recurse.
        """
        parts: list[str] = []
        node = expr
        for _ in range(MAX_CHAIN * 2):
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                parts.append("()")
                node = node.func
            elif isinstance(node, ast.Name):
                base = self.aliases.get(node.id)
                name = base if base is not None else node.id
                for part in reversed(parts):
                    name = name + "()" if part == "()" else f"{name}.{part}"
                return name, base is not None
            else:
                return None, False
        return None, False


@dataclass
class ConfigRef:
    """Where a config variable came from, and the key prefix it stands for."""

    source: str
    file: str | None
    prefix: tuple[str, ...] = ()


def literal(expr: ast.AST | None) -> Scalar:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | int | float | bool):
        return expr.value
    return None


def literal_str(expr: ast.AST | None) -> str | None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def keyword(node: ast.Call, name: str) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    return None


def norm_path(path: str | None) -> str | None:
    """A literal path as a normalised POSIX string; None for templates and absurd strings."""
    if not path or len(path) > 300 or any(ch in path for ch in "{}\n\0*"):
        return None
    return posixpath.normpath(path.replace("\\", "/"))


def _yaml_name(config_name: str) -> str:
    return config_name if config_name.endswith((".yaml", ".yml")) else f"{config_name}.yaml"


def _safe_default(name: str, value: Scalar) -> Scalar:
    """Defaults of secret-looking options and credential-shaped strings are never stored."""
    if isinstance(value, str):
        if secret_like_name(name) or secret_rule(value):
            return None
        return value[:200]
    return value


class ConfigTracker:
    """Collects ``code.config`` facts; the Python analysis calls in at the relevant nodes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.vars: dict[str, ConfigRef] = {}
        self.handles: dict[str, str] = {}
        # (root name, keys, line, cell, binding at read time): unbound reads wait for the end
        self.pending: list[
            tuple[str, tuple[str, ...], int, int | None, tuple[ConfigRef, tuple[str, ...]] | None]
        ] = []
        self.consumed: set[int] = set()
        self.argparse_lib: str | None = None
        self.hydra_dir: str | None = None

    def emit(self, node: ast.AST, framework: str, role: str, **fields: object) -> None:
        ctx = self.ctx
        config_file = fields.get("config_file")
        links: tuple[Link, ...] = ()
        if isinstance(config_file, str) and role in ("load", "main"):
            links = (Link(src=ctx.src_node, dst=f"file:{config_file}", rel="reads"),)
        names = ("key", "option", "config_file", "config_dir", "config_name")
        name = str(next((fields[k] for k in names if fields.get(k)), role))
        ctx.out.append(
            CodeConfig.model_validate(
                {
                    "path": ctx.path,
                    "line": ctx.line(node),
                    "name": name[:200],
                    "cell": ctx.cell,
                    "framework": framework,
                    "role": role,
                    "links": links,
                    **fields,
                }
            )
        )

    def note_import(self, top_level: str) -> None:
        if top_level in ARGPARSE_LIBS and self.argparse_lib is None:
            self.argparse_lib = top_level

    # --- paths and bindings ------------------------------------------------------------------

    def literal_path(self, expr: ast.AST | None, depth: int = 0) -> str | None:
        """The file a path expression names, when it is spelled out literally."""
        if expr is None or depth > 4:
            return None
        if isinstance(expr, ast.Constant):
            return norm_path(expr.value) if isinstance(expr.value, str) else None
        if isinstance(expr, ast.Name):
            return self.handles.get(expr.id)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self.literal_path(expr.left, depth + 1)
            right = self.literal_path(expr.right, depth + 1)
            return norm_path(posixpath.join(left, right)) if left and right else None
        if isinstance(expr, ast.Call):
            name, _ = self.ctx.resolve(expr.func)
            if name in _OPEN_FUNCTIONS and expr.args:
                return self.literal_path(expr.args[0], depth + 1)
            if name in ("os.path.join", "posixpath.join") and expr.args:
                parts = [literal_str(arg) for arg in expr.args]
                if all(parts):
                    return norm_path(posixpath.join(*(p for p in parts if p)))
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _PATH_METHODS:
                return self.literal_path(expr.func.value, depth + 1)
        return None

    def bind_handle(self, var: str, expr: ast.AST) -> None:
        path = self.literal_path(expr)
        if path is not None:
            self.handles[var] = path

    def bind(self, var: str, value: ast.AST) -> None:
        ref = self.ref_of(value)
        if ref is not None:
            self.vars[var] = ref

    def ref_of(self, expr: ast.AST) -> ConfigRef | None:
        """The config an expression evaluates to: a loader call, a bound name, or a key path."""
        if isinstance(expr, ast.Name):
            return self.vars.get(expr.id)
        if isinstance(expr, ast.Call):
            name, imported = self.ctx.resolve(expr.func)
            if name in CONFIG_LOADERS and imported:
                return ConfigRef(name, self.loader_file(expr, name))
        chain = self.key_chain(expr)
        if chain is None:
            return None
        root, keys, _, _ = chain
        if root is expr:
            return None
        base = self.ref_of(root)
        if base is None and isinstance(root, ast.Name) and keys:
            base, keys = self.vars.get(f"{root.id}.{keys[0]}"), keys[1:]
        return ConfigRef(base.source, base.file, base.prefix + keys) if base else None

    def loader_file(self, call: ast.Call, name: str) -> str | None:
        if name == "dvc.api.params_show":
            path = norm_path(literal_str(call.args[0]) if call.args else None) or "params.yaml"
            return self.ctx.rooted(path)
        if name == "hydra.compose":
            config_name = literal_str(
                keyword(call, "config_name") or (call.args[0] if call.args else None)
            )
            if self.hydra_dir is None or not config_name:
                return None
            return norm_path(posixpath.join(self.hydra_dir, _yaml_name(config_name)))
        first = call.args[0] if call.args else None
        for kw in ("stream", "fp", "f", "file", "config_file"):
            first = first or keyword(call, kw)
        return self.ctx.rooted(self.literal_path(first))

    def key_chain(
        self, node: ast.AST
    ) -> tuple[ast.AST, tuple[str, ...], list[ast.AST], bool] | None:
        """(root, constant keys, inner nodes, has a string subscript) of an access chain."""
        keys: list[str] = []
        inner: list[ast.AST] = []
        has_str_key = False
        cur: ast.AST = node
        for _ in range(MAX_CHAIN):
            if isinstance(cur, ast.Subscript):
                key = cur.slice
                if isinstance(key, ast.Constant) and type(key.value) in (str, int):
                    keys.append(str(key.value))
                    has_str_key = has_str_key or isinstance(key.value, str)
                else:
                    keys.clear()
                cur = cur.value
            elif isinstance(cur, ast.Attribute):
                if cur.attr in MAPPING_METHODS:
                    keys.clear()
                else:
                    keys.append(cur.attr)
                cur = cur.value
            elif isinstance(cur, ast.Call):
                func = cur.func
                key_text = literal_str(cur.args[0]) if cur.args else None
                if not (isinstance(func, ast.Attribute) and func.attr in _KEY_METHODS and key_text):
                    return cur, tuple(reversed(keys)), inner, has_str_key  # e.g. a loader call
                keys.append(key_text)
                has_str_key = True
                inner.append(func)
                cur = func.value
            elif isinstance(cur, ast.Name):
                return cur, tuple(reversed(keys)), inner, has_str_key
            else:
                return None
            inner.append(cur)
        return None

    # --- reads -------------------------------------------------------------------------------

    def read(self, node: ast.AST, attribute_only: bool = False) -> None:
        """Record a config key read at ``node`` (the outermost node of an access chain)."""
        if id(node) in self.consumed:
            return
        chain = self.key_chain(node)
        if chain is None:
            return
        root, keys, inner, has_str_key = chain
        self.consumed.update(map(id, inner))
        if not keys or not isinstance(root, ast.Name):
            return
        bound = root.id in self.vars or f"{root.id}.{keys[0]}" in self.vars
        if bound or (has_str_key and not attribute_only):
            now = self._lookup(root.id, keys)
            self.pending.append((root.id, keys, self.ctx.line(node), self.ctx.cell, now))

    def _lookup(self, root: str, keys: tuple[str, ...]) -> tuple[ConfigRef, tuple[str, ...]] | None:
        """The binding of ``root`` (or of ``self.<first key>``) and the remaining keys."""
        ref = self.vars.get(root)
        if ref is not None:
            return ref, keys
        if keys and (ref := self.vars.get(f"{root}.{keys[0]}")) is not None:
            return ref, keys[1:]
        return None

    def env(self, node: ast.AST, var: str | None, role: str, has_default: bool = False) -> None:
        if var:
            self.emit(
                node,
                "env",
                role,
                option=var[:200],
                has_default=has_default,
                secret_like=secret_like_name(var),
            )

    def finish(self) -> None:
        seen: set[tuple[str, str]] = set()
        for root, keys, line, cell, at_read in self.pending:
            found = at_read or self._lookup(root, keys)
            if found is None:
                continue
            ref, rest = found
            if not ref.prefix + rest:
                continue
            key = ".".join(ref.prefix + rest)
            if (ref.file or ref.source, key) in seen:
                continue
            seen.add((ref.file or ref.source, key))
            self.ctx.out.append(
                CodeConfig(
                    path=self.ctx.path,
                    line=line,
                    name=key[:200],
                    cell=cell,
                    framework="config",
                    role="key",
                    option=root,
                    key=key[:300],
                    config_file=ref.file,
                    source=ref.source,
                )
            )
            if len(seen) >= MAX_KEY_ITEMS:
                break

    # --- calls and definitions ---------------------------------------------------------------

    def on_call(self, node: ast.Call, name: str, imported: bool) -> None:
        if name.endswith(".add_argument") and self.argparse_lib:
            self._option(node, self.argparse_lib, "option")
        elif not imported:
            return
        elif name in ("click.option", "click.argument"):
            self._option(node, "click", name.rsplit(".", 1)[-1])
        elif name.startswith(("absl.flags.DEFINE_", "ml_collections.config_flags.DEFINE_")):
            self._option(node, "absl", "option")
        elif name in CLI_MAINS:
            self.emit(node, CLI_MAINS[name], "main", option=name)
        elif name in CONFIG_LOADERS:
            config_file = self.loader_file(node, name)
            framework = name.split(".", 1)[0]
            config_name = literal_str(keyword(node, "config_name"))
            self.emit(
                node,
                framework,
                "load",
                source=name,
                config_file=config_file,
                config_name=config_name,
            )
        elif name in ("hydra.initialize", "hydra.initialize_config_dir"):
            path = literal_str(keyword(node, "config_path") or keyword(node, "config_dir"))
            if path is not None and name == "hydra.initialize":
                # relative to the calling file, as Hydra resolves it
                path = posixpath.join(posixpath.dirname(self.ctx.path), path)
            self.hydra_dir = norm_path(path)
            self.emit(node, "hydra", "load", source=name, config_dir=self.hydra_dir)
        elif name in _ENV_FUNCTIONS:
            has_default = len(node.args) > 1 or keyword(node, "default") is not None
            self.env(
                node,
                literal_str(node.args[0] if node.args else keyword(node, "key")),
                "env-write" if name == "os.environ.setdefault" else "env",
                has_default,
            )

    def _option(self, node: ast.Call, framework: str, role: str) -> None:
        flags = tuple(value[:100] for value in map(literal_str, node.args) if value is not None)
        if framework == "absl":
            flags, default_expr = flags[:1], node.args[1] if len(node.args) > 1 else None
        else:
            default_expr = keyword(node, "default")
        dest = literal_str(keyword(node, "dest"))
        option = dest or next((f.lstrip("-") for f in flags if f.startswith("--")), None)
        option = option or (flags[0].lstrip("-") if flags else "")
        type_expr = keyword(node, "type")
        type_name = self.ctx.resolve(type_expr)[0] if type_expr is not None else None
        required = literal(keyword(node, "required"))
        help_text = literal_str(keyword(node, "help"))
        self.ctx.out.append(
            CodeConfig(
                path=self.ctx.path,
                line=self.ctx.line(node),
                name=option[:200],
                cell=self.ctx.cell,
                framework=framework,
                role=role,
                option=option[:200],
                flags=flags[:10],
                default=_safe_default(option, literal(default_expr)),
                has_default=default_expr is not None,
                type_name=type_name[:100] if type_name else None,
                required=required if isinstance(required, bool) else None,
                text=help_text[:300] if help_text else None,
            )
        )

    def on_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Hydra entry points, click/typer commands, typer options and DictConfig params."""
        params = [*node.args.posonlyargs, *node.args.args]
        defaults: list[ast.expr | None] = [None] * (len(params) - len(node.args.defaults))
        pairs = list(zip(params, [*defaults, *node.args.defaults], strict=False))
        pairs += list(zip(node.args.kwonlyargs, node.args.kw_defaults, strict=False))
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name, _ = self.ctx.resolve(target)
            if name == "hydra.main" and isinstance(dec, ast.Call):
                self._hydra_main(node, dec, params)
            elif (
                name
                and name.startswith(("click.", "typer."))
                and name.endswith((".command", ".group"))
            ):
                framework = name.split(".", 1)[0]
                self.emit(node, framework, "command", option=node.name)
                if name.endswith(".group"):
                    self.ctx.aliases[node.name] = f"{framework}.group()"
            elif name == "gin.configurable":
                self.emit(node, "gin", "configurable", option=node.name)
        for arg, default in pairs:
            self._typer_param(arg.arg, default, None)
            self._typer_param(arg.arg, arg.annotation, default)
            annotation = arg.annotation
            if annotation is not None and arg.arg not in self.vars:
                ann_name, _ = self.ctx.resolve(annotation)
                if ann_name in ("omegaconf.DictConfig", "DictConfig", "omegaconf.OmegaConf"):
                    self.vars[arg.arg] = ConfigRef("omegaconf", None)

    def _typer_param(
        self, param: str, expr: ast.AST | None, annotated_default: ast.expr | None
    ) -> None:
        """``p: int = typer.Option(8080, "--port")`` or ``Annotated[int, typer.Option()] = 1``."""
        annotated = isinstance(expr, ast.Subscript)
        if isinstance(expr, ast.Subscript):
            elts = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else []
            expr = next((e for e in elts[1:] if isinstance(e, ast.Call)), None)
        if not isinstance(expr, ast.Call):
            return
        name, imported = self.ctx.resolve(expr.func)
        if not imported or name not in ("typer.Option", "typer.Argument"):
            return
        first: ast.expr | None = keyword(expr, "default")
        if annotated:
            first = first or annotated_default
        elif first is None and expr.args:
            flag = literal_str(expr.args[0])
            first = None if flag is not None and flag.startswith("-") else expr.args[0]
        has_default = first is not None and not (
            isinstance(first, ast.Constant) and first.value is Ellipsis
        )
        flags = tuple(v for v in map(literal_str, expr.args) if v and v.startswith("-"))
        self.emit(
            expr,
            "typer",
            "option" if name.endswith("Option") else "argument",
            option=param,
            flags=flags[:10],
            has_default=has_default,
            default=_safe_default(param, literal(first)) if has_default else None,
        )

    def _hydra_main(self, node: ast.AST, dec: ast.Call, params: list[ast.arg]) -> None:
        config_path = literal_str(
            keyword(dec, "config_path") or (dec.args[0] if dec.args else None)
        )
        config_name = literal_str(
            keyword(dec, "config_name") or (dec.args[1] if len(dec.args) > 1 else None)
        )
        config_file = None
        if config_path is not None and config_name is not None:
            base = posixpath.dirname(self.ctx.path)
            config_file = norm_path(posixpath.join(base, config_path, _yaml_name(config_name)))
        self.emit(
            node,
            "hydra",
            "main",
            option=getattr(node, "name", ""),
            config_file=config_file,
            config_name=config_name,
            source="hydra.main",
        )
        if params:
            self.vars[params[0].arg] = ConfigRef("hydra", config_file)
