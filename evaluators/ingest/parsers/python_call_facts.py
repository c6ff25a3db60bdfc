"""Facts of the calls the Python analysis cares about: keyword facts, risks, edges, seeds.

:mod:`python_code` classifies each call by its resolved name (tables in
:mod:`python_calls`); this module turns a classified call into evidence: literal keyword
values (credential-looking ones redacted), ``weights_only``/``trust_remote_code``/
``allow_pickle``/``shell`` flags, hub ``revision`` pinning, the YAML ``Loader``, the risks
those imply, and graph edges to the artifacts and metrics the call reads, writes or exposes.
Seeding calls become ``code.seed``; ``random_state=`` keywords are tallied per file.
"""

from __future__ import annotations

import ast

from hyperscore.evaluators.ingest.parsers.code_kinds import CodeCall, CodeSeed, Scalar
from hyperscore.evaluators.ingest.parsers.python_calls import (
    ARTIFACT_ARGS,
    HEX40,
    HUB_DOWNLOADS,
    PICKLE_LOADS,
    SAFE_YAML_LOADERS,
    secret_like_name,
    secret_rule,
)
from hyperscore.evaluators.ingest.parsers.python_config import (
    ConfigTracker,
    Context,
    keyword,
    literal,
    literal_str,
)
from hyperscore.evaluators.ingest.parsers.python_tests import unparse
from hyperscore.evaluators.model import Link

_METRIC_CLASSES = frozenset({"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"})


class CallFacts:
    """Emits ``code.call`` and ``code.seed`` items for one analysis."""

    def __init__(self, ctx: Context, config: ConfigTracker) -> None:
        self.ctx = ctx
        self.config = config
        # (count, first line, its cell, first literal value) of random_state= keywords
        self.random_state: tuple[int, int, int | None, Scalar] | None = None

    def emit_call(self, node: ast.Call, name: str, category: str, scope: str) -> None:
        """One ``code.call`` with its keyword facts, risks and artifact/metric edges."""
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
        if hub and not (model_id and is_local_path(model_id)):
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
                scope=scope,
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
                links=self._links(node, name, category, first),
            )
        )

    def _links(
        self, node: ast.Call, name: str, category: str, first: str | None
    ) -> tuple[Link, ...]:
        src = self.ctx.src_node
        last = name.rsplit(".", 1)[-1]
        if category == "metrics-instrumentation" and last in _METRIC_CLASSES and first:
            return (Link(src=src, dst=f"metric:{first}", rel="exposes"),)
        spec = ARTIFACT_ARGS.get(name) or ARTIFACT_ARGS.get(last)
        if spec is None:
            if last == "from_pretrained" and first and is_local_path(first):
                path = self.ctx.rooted(self.config.literal_path(node.args[0]))
                return (Link(src=src, dst=f"artifact:{path}", rel="reads"),) if path else ()
            return ()
        rel, index, kw = spec
        expr = node.args[index] if len(node.args) > index else keyword(node, kw)
        path = self.ctx.rooted(self.config.literal_path(expr))
        return (Link(src=src, dst=f"artifact:{path}", rel=rel),) if path else ()

    def seed(self, node: ast.Call, name: str, framework: str) -> None:
        arg = node.args[0] if node.args else None
        for kw in node.keywords:
            if arg is None and kw.arg in ("seed", "a", "mode", "d", "x"):
                arg = kw.value
        self.emit_seed(node, name, framework, arg)

    def emit_seed(self, node: ast.AST, name: str, framework: str, arg: ast.AST | None) -> None:
        value = literal(arg)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        expr_text = None
        if arg is not None and not isinstance(value, int):
            expr_text = unparse(arg, 80)
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

    def tally_random_state(self, node: ast.Call, value: ast.expr) -> None:
        if self.random_state is None:
            self.random_state = (1, self.ctx.line(node), self.ctx.cell, literal(value))
        else:
            count, line, cell, first = self.random_state
            self.random_state = (count + 1, line, cell, first)

    def finish(self) -> None:
        if self.random_state is None:
            return
        count, line, cell, value = self.random_state
        self.ctx.out.append(
            CodeSeed(
                path=self.ctx.path, line=line, cell=cell, name="random_state",
                function="random_state=", framework="sklearn", count=count,
                value=value if isinstance(value, int) and not isinstance(value, bool) else None,
            )
        )  # fmt: skip


def is_local_path(model_id: str) -> bool:
    """Local checkpoints, not hub ids: ``./out``, ``/models/x``, ``~/m``, ``a/b/c``, ``C:\\``."""
    return (
        model_id.startswith((".", "/", "~", "\\"))
        or model_id.count("/") > 1
        or "\\" in model_id
        or (len(model_id) > 1 and model_id[1] == ":")
    )
