"""Pipelines written in Python: KFP/Vertex, ZenML, Prefect, Dagster, Azure ML, SageMaker,
Airflow, Metaflow, Kedro -- read with ``ast``, never imported.

This parser sees every ``.py`` file, so it first looks for a framework name on the lines that
contain ``import`` (a few ``str.find`` calls) and returns at once when there is none; only
then is the file parsed, and only files that *import* a framework yield anything.

Most of these frameworks express the graph as function-call data flow inside a decorated
pipeline function: ``model = train(prep(data))`` makes ``prep`` upstream of ``train``. The
:class:`_Trace` below follows variables through a pipeline body to recover those edges, plus
the explicit ones (KFP ``.after()``, ZenML ``after=``, Prefect ``wait_for=``) and gates (KFP
``dsl.Condition``/``dsl.If``, Prefect ``if`` on a task result), which become stages named
``condition-N`` upstream of the guarded stages -- the shape the KFP compiler gives them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MAX_STAGES,
    MAX_TEXT,
    PipelineDraft,
    PipelineTrigger,
    StageDraft,
    StageParameter,
    emit_pipeline,
    link_by_artifacts,
    mask_text,
    normalize_path,
)
from hyperscore.evaluators.ingest.parsers.pipeline_python_frameworks import (
    AirflowReader,
    PyModule,
    SageMakerReader,
    arg_or_kwarg,
    assigned_names,
    call_args,
    const_str,
    docstring,
    function_parameters,
    kwarg,
    literal_paths,
    read_metaflow,
    short,
    unparse,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

# Framework names looked for on import lines: without one the file is not a pipeline.
_SIGNATURE = re.compile(
    r"airflow|kfp|zenml|metaflow|prefect|dagster|sagemaker|azure\.ai\.ml|mldesigner|aiplatform"
    r"|google_cloud_pipeline_components|kedro"
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_K8S_NAME = re.compile(r"[^a-z0-9]+")

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
TriggerKind = Literal["schedule", "sensor", "event", "dataset", "drift"]

# (framework, decorator last name) -> what the decorated function is.
PIPELINE_DECORATORS = {
    ("kubeflow", "pipeline"), ("zenml", "pipeline"), ("prefect", "flow"), ("dagster", "job"),
    ("dagster", "graph"), ("dagster", "pipeline"), ("azureml", "pipeline"),
}  # fmt: skip
STEP_DECORATORS = {
    ("kubeflow", "component"), ("kubeflow", "container_component"),
    ("kubeflow", "create_component_from_func"), ("kubeflow", "func_to_container_op"),
    ("zenml", "step"), ("prefect", "task"), ("prefect", "flow"), ("dagster", "op"),
    ("dagster", "solid"), ("dagster", "graph"), ("azureml", "command_component"),
    ("sagemaker", "step"), ("kubeflow", "pipeline"), ("zenml", "pipeline"),
}  # fmt: skip
# Calls that return a reusable component when assigned to a variable.
COMPONENT_FACTORIES = {
    ("kubeflow", "create_component_from_func"), ("kubeflow", "func_to_container_op"),
    ("kubeflow", "load_component_from_file"), ("kubeflow", "load_component_from_url"),
    ("kubeflow", "load_component_from_text"), ("kubeflow", "load_component"),
    ("azureml", "command"), ("azureml", "load_component"), ("azureml", "spark"),
    ("azureml", "parallel_run_function"),
}  # fmt: skip
# Calls that are stages by themselves (KFP v1 ``ContainerOp``, ``dsl.importer``).
INLINE_STAGES = {("kubeflow", "ContainerOp"), ("kubeflow", "importer")}
KFP_GATES = frozenset({"Condition", "If", "Elif", "Else"})
HANDLE_WRAPPERS = frozenset({"with_options", "options", "override", "configure"})
SCHEDULE_KWARGS = (
    "cron", "cron_expression", "cron_schedule", "expression", "interval", "interval_second",
    "rate", "rrule", "at", "schedule", "schedules", "frequency",
)  # fmt: skip
MAX_TRIGGERS = 100


@dataclass
class StepDef:
    """A callable that becomes a stage when a pipeline body calls it."""

    name: str
    kind: str
    line: int | None = None
    image: str | None = None
    cmd: str | None = None
    inputs: list[str] = field(default_factory=list)
    parameters: list[StageParameter] = field(default_factory=list)
    doc: str | None = None


@parser("pipeline-python", Modality.PIPELINE, ["*.py"])
def parse_pipeline_python(source: ParseInput) -> Iterator[Evidence]:
    """Pipelines, stages and triggers of every supported Python framework in one file."""
    if not imports_framework(source.text):
        return
    module = PyModule.parse(source.path, source.text)
    if not module.frameworks:
        return
    drafts: list[PipelineDraft] = []
    if "airflow" in module.frameworks:
        drafts.extend(AirflowReader(module).read())
    if "sagemaker" in module.frameworks:
        drafts.extend(SageMakerReader(module).read())
    if "metaflow" in module.frameworks:
        drafts.extend(read_metaflow(module))
    reader = DataflowReader(module)
    drafts.extend(reader.read())
    if "dagster" in module.frameworks:
        drafts.extend(read_dagster_assets(module))
    if "kedro" in module.frameworks:
        drafts.extend(read_kedro(module))
    if "vertex" in module.frameworks:
        drafts.extend(read_vertex_jobs(module, reader))
    drafts = _merge(drafts)
    triggers = TriggerFinder(module, reader, drafts).find()
    last_line = max(1, len(module.lines))
    for draft in drafts:
        yield from emit_pipeline(source.path, draft, last_line)
    yield from triggers


def imports_framework(text: str) -> bool:
    """Whether any line containing ``import`` names a framework.

    Scanning only the (few) import lines keeps the common case -- a .py file that is not a
    pipeline -- at a few ``str.find`` calls instead of a regex pass over the whole text.
    """
    pos = text.find("import")
    while pos != -1:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        if _SIGNATURE.search(text, start, end) is not None:
            return True
        pos = text.find("import", end)
    return False


def _merge(drafts: list[PipelineDraft]) -> list[PipelineDraft]:
    """One draft per (framework, name): two readers may meet the same pipeline."""
    merged: dict[tuple[str, str], PipelineDraft] = {}
    for draft in drafts:
        key = (draft.framework, draft.name)
        if key not in merged:
            merged[key] = draft
            continue
        kept = merged[key]
        names = {s.name for s in kept.stages}
        kept.stages.extend(s for s in draft.stages if s.name not in names)
        for trigger in draft.triggers:
            kept.add_trigger(trigger, draft.schedule)
    return list(merged.values())


def kfp_name(name: str) -> str:
    """The task / pipeline name the KFP compiler derives (``train_model`` -> ``train-model``)."""
    spaced = _CAMEL_BOUNDARY.sub("-", name)
    return _NOT_K8S_NAME.sub("-", spaced.lower()).strip("-") or name


# --------------------------------------------------------------------------------------------
# Function-call data flow (KFP, Vertex, ZenML, Prefect, Dagster jobs, Azure ML, SageMaker @step)
# --------------------------------------------------------------------------------------------


class DataflowReader:
    """Finds step definitions and pipeline functions, then traces each pipeline body."""

    def __init__(self, module: PyModule) -> None:
        self.module = module
        self.steps: dict[str, StepDef] = {}
        self.pipelines: list[tuple[FunctionNode, str, ast.expr]] = []
        self.pipeline_by_function: dict[str, PipelineDraft] = {}
        self.uses_vertex = "vertex" in module.frameworks

    def _framework(self, framework: str) -> str:
        return "vertex" if framework == "kubeflow" and self.uses_vertex else framework

    def read(self) -> list[PipelineDraft]:
        self._find_definitions()
        drafts = []
        for fn, framework, dec in self.pipelines:
            draft = self._pipeline(fn, framework, dec)
            self.pipeline_by_function[fn.name] = draft
            drafts.append(draft)
        drafts.extend(self._sagemaker_function_steps())
        return drafts

    def _find_definitions(self) -> None:
        module = self.module
        for node in module.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in node.decorator_list:
                    qual = module.qualname(dec)
                    framework = module.framework_of(qual)
                    if not qual or not framework:
                        continue
                    last = qual.rsplit(".", 1)[-1]
                    framework = "kubeflow" if framework == "vertex" else framework
                    if (framework, last) in STEP_DECORATORS:
                        self.steps[node.name] = self._decorated_step(node, framework, last, dec)
                    if (framework, last) in PIPELINE_DECORATORS:
                        self.pipelines.append((node, framework, dec))
                if node.name not in self.steps and "kubeflow" in module.frameworks:
                    self._op_factory(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                self._factory_step(node, node.value)

    def _decorated_step(
        self, fn: FunctionNode, framework: str, last: str, dec: ast.expr
    ) -> StepDef:
        call = dec if isinstance(dec, ast.Call) else None
        declared = const_str(kwarg(call, "name")) if call else None
        name = declared or fn.name
        if framework == "kubeflow":
            name = kfp_name(name)
        image = const_str(kwarg(call, "base_image", "image")) if call else None
        step = StepDef(
            name=name,
            kind=f"{framework}.{last}",
            line=fn.lineno,
            image=image,
            parameters=function_parameters(fn),
            doc=docstring(fn),
        )
        if last == "container_component":
            for sub in ast.walk(fn):
                if (
                    isinstance(sub, ast.Call)
                    and self.module.api(sub.func, "kubeflow") == "ContainerSpec"
                ):
                    step.image = const_str(arg_or_kwarg(sub, 0, "image")) or step.image
                    command = kwarg(sub, "command")
                    step.cmd = unparse(command) if command is not None else None
        return step

    def _op_factory(self, fn: FunctionNode) -> None:
        """KFP v1 helpers ``def train_op(): return dsl.ContainerOp(name=.., image=..)``."""
        for stmt in fn.body:
            value = stmt.value if isinstance(stmt, ast.Return) else None
            while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
                if self.module.api(value.func, "kubeflow") == "ContainerOp":
                    break
                value = value.func.value  # ``ContainerOp(...).apply(...)``
            if (
                isinstance(value, ast.Call)
                and self.module.api(value.func, "kubeflow") == "ContainerOp"
            ):
                name = const_str(kwarg(value, "name")) or fn.name
                command = kwarg(value, "command", "arguments")
                self.steps[fn.name] = StepDef(
                    name=kfp_name(name),
                    kind="kubeflow.ContainerOp",
                    line=fn.lineno,
                    image=const_str(kwarg(value, "image")),
                    cmd=unparse(command) if command is not None else None,
                    parameters=function_parameters(fn),
                    doc=docstring(fn),
                )
                return

    def _factory_step(self, node: ast.Assign, call: ast.Call) -> None:
        qual = self.module.qualname(call.func)
        framework = self.module.framework_of(qual)
        names = [n for t in node.targets for n in assigned_names(t)]
        if not qual or not framework or not names:
            return
        framework = "kubeflow" if framework == "vertex" else framework
        last = qual.rsplit(".", 1)[-1]
        components_get = qual.endswith((".components.get", ".components.create_or_update"))
        if (framework, last) not in COMPONENT_FACTORIES and not components_get:
            return
        var = names[0]
        first = call.args[0] if call.args else None
        if last in ("create_component_from_func", "func_to_container_op") and isinstance(
            first, ast.Name
        ):
            name = kfp_name(first.id)
        else:
            name = const_str(kwarg(call, "name", "display_name")) or var
            name = kfp_name(name) if framework == "kubeflow" else name
        step = StepDef(name=name, kind=f"{framework}.{last}", line=call.lineno)
        step.image = const_str(kwarg(call, "base_image", "image", "environment")) or (
            unparse(env, 200) if (env := kwarg(call, "environment")) is not None else None
        )
        step.cmd = const_str(kwarg(call, "command"))
        source = const_str(arg_or_kwarg(call, 0, "source", "filename", "path"))
        if last.startswith("load_component") and source and "\n" not in source:
            step.inputs.append(normalize_path(self.module.base_dir, source))
        self.steps[var] = step

    def _pipeline(self, fn: FunctionNode, framework: str, dec: ast.expr) -> PipelineDraft:
        call = dec if isinstance(dec, ast.Call) else None
        declared = const_str(kwarg(call, "name", "display_name")) if call else None
        name = declared or fn.name
        if framework == "kubeflow":
            name = kfp_name(name)
        description = const_str(kwarg(call, "description")) if call else None
        draft = PipelineDraft(
            framework=self._framework(framework),
            name=name,
            line=fn.lineno,
            end_line=fn.end_lineno,
            text=description or docstring(fn),
            parameters=function_parameters(fn),
        )
        schedule = kwarg(call, "schedule") if call else None
        if schedule is not None and not (
            isinstance(schedule, ast.Constant) and schedule.value is None
        ):
            draft.add_trigger("schedule", schedule_text(self.module, schedule))
        _Trace(self, draft, framework).block(fn.body)
        return draft

    def _sagemaker_function_steps(self) -> list[PipelineDraft]:
        """``@step`` functions of the SageMaker Python SDK, wired by the scope that builds the
        ``Pipeline(...)`` (or the module when none does)."""
        if not any(s.kind == "sagemaker.step" for s in self.steps.values()):
            return []
        drafts = []
        scopes: list[tuple[list[ast.stmt], ast.Call | None]] = []
        for scope in self.module.nodes:
            if not isinstance(scope, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for stmt in scope.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                for sub in ast.walk(stmt):
                    if (
                        isinstance(sub, ast.Call)
                        and self.module.api(sub.func, "sagemaker") == "Pipeline"
                    ):
                        scopes.append((scope.body, sub))
        for body, pipeline_call in scopes or [(self.module.tree.body, None)]:
            name = const_str(arg_or_kwarg(pipeline_call, 0, "name")) if pipeline_call else None
            draft = PipelineDraft(
                framework="sagemaker",
                name=name or self.module.stem,
                line=pipeline_call.lineno if pipeline_call else 1,
            )
            _Trace(self, draft, "sagemaker").block(
                [
                    s
                    for s in body
                    if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                ]
            )
            if draft.stages:
                drafts.append(draft)
        return drafts

    def callee(self, func: ast.expr, framework: str) -> StepDef | None:
        """The step a call invokes, if any: a local step, a component variable, a wrapper
        (``t.submit``, ``t.with_options(..)``), an inline KFP op, or a project import."""
        module = self.module
        kfp_api = module.api(func, "kubeflow")
        if kfp_api and ("kubeflow", kfp_api) in INLINE_STAGES:
            return StepDef(name=kfp_api.lower(), kind=f"kubeflow.{kfp_api}")
        if isinstance(func, ast.Name):
            if func.id in self.steps:
                return self.steps[func.id]
            if module.imported(func.id) and not module.is_library(func):
                name = kfp_name(func.id) if framework == "kubeflow" else func.id
                return StepDef(name=name, kind=f"{framework}.imported")
            return None
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute):
            if func.func.attr in HANDLE_WRAPPERS:
                return self.callee(func.func.value, framework)
            return None
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr in ("submit", "map") and isinstance(func.value, ast.Name):
            return self.steps.get(func.value.id)
        root: ast.expr = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and module.imported(root.id) and not module.is_library(func):
            name = kfp_name(func.attr) if framework == "kubeflow" else func.attr
            return StepDef(name=name, kind=f"{framework}.imported")
        return None


class _Trace:
    """Walks one pipeline body, binding variables to the stages whose outputs they hold."""

    def __init__(self, reader: DataflowReader, draft: PipelineDraft, framework: str) -> None:
        self.reader = reader
        self.module = reader.module
        self.draft = draft
        self.framework = framework
        self.vars: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}
        self.gates: list[StageDraft] = []
        self.loops: list[str] = []
        self.gate_count = 0
        self.last_gate_refs: list[str] = []
        self.runtime_if = framework == "prefect"

    # statements ---------------------------------------------------------------------------

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            refs = self.expr(stmt.value)
            for target in stmt.targets:
                self._bind(target, refs)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            refs = self.expr(stmt.value) if stmt.value is not None else []
            self._bind(stmt.target, refs)
        elif isinstance(stmt, ast.Expr | ast.Return):
            self.expr(stmt.value)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            self._with(stmt)
        elif isinstance(stmt, ast.If):
            self._if(stmt)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            refs = self.expr(stmt.iter)
            self._bind(stmt.target, refs)
            self.loops.append(unparse(stmt.iter, 200))
            self.block(stmt.body)
            self.loops.pop()
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.While):
            self.expr(stmt.test)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                self.block(part)

    def _bind(self, target: ast.expr, refs: list[str]) -> None:
        for name in assigned_names(target):
            if refs:
                self.vars[name] = list(dict.fromkeys(refs))
            else:
                self.vars.pop(name, None)

    def _with(self, stmt: ast.With | ast.AsyncWith) -> None:
        pushed_gates = pushed_loops = 0
        for item in stmt.items:
            ctx = item.context_expr
            kind = self.module.api(ctx.func, "kubeflow") if isinstance(ctx, ast.Call) else None
            if isinstance(ctx, ast.Call) and kind in KFP_GATES:
                test = ctx.args[0] if ctx.args else kwarg(ctx, "condition")
                refs = self.expr(test) if kind != "Else" else list(self.last_gate_refs)
                if kind == "If":
                    self.last_gate_refs = refs
                text = unparse(test) if test is not None else "else"
                self.gates.append(self._gate(ctx, f"dsl.{kind}", text, refs))
                pushed_gates += 1
            elif isinstance(ctx, ast.Call) and kind == "ParallelFor":
                items = ctx.args[0] if ctx.args else kwarg(ctx, "items")
                refs = self.expr(items)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, refs)
                self.loops.append(unparse(items, 200))
                pushed_loops += 1
            else:
                refs = self.expr(ctx)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, refs)
        self.block(stmt.body)
        del self.gates[len(self.gates) - pushed_gates :]
        del self.loops[len(self.loops) - pushed_loops :]

    def _if(self, stmt: ast.If) -> None:
        refs = self.expr(stmt.test)
        if self.runtime_if and refs:
            gate = self._gate(stmt, "if", unparse(stmt.test), refs)
            self.gates.append(gate)
            self.block(stmt.body)
            self.block(stmt.orelse)
            self.gates.pop()
        else:
            self.block(stmt.body)
            self.block(stmt.orelse)

    def _gate(self, node: ast.AST, step_type: str, text: str, refs: list[str]) -> StageDraft:
        self.gate_count += 1
        gate = StageDraft(
            name=f"condition-{self.gate_count}",
            line=getattr(node, "lineno", None),
            end_line=getattr(node, "end_lineno", None),
            step_type=step_type,
            condition=text,
            is_condition=True,
            upstream=[*refs, *(g.name for g in self.gates[-1:])],
        )
        self._append(gate)
        return gate

    def _append(self, stage: StageDraft) -> None:
        if len(self.draft.stages) < MAX_STAGES:
            self.draft.stages.append(stage)

    # expressions --------------------------------------------------------------------------

    def expr(self, node: ast.AST | None) -> list[str]:
        """The stages whose outputs ``node`` carries; creates stages for step calls in it."""
        if node is None:
            return []
        if isinstance(node, ast.Name):
            return list(self.vars.get(node.id, ()))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute | ast.Await | ast.Starred):
            return self.expr(node.value)
        refs: list[str] = []
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr | ast.comprehension | ast.keyword):
                refs.extend(self.expr(child))
        return refs

    def _call(self, call: ast.Call) -> list[str]:
        step = self.reader.callee(call.func, self.framework)
        if step is not None:
            return [self._stage(call, step)]
        func = call.func
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value)
            arg_refs = [r for a in call_args(call) for r in self.expr(a)]
            if receiver:
                self._handle_method(receiver, func.attr, call, arg_refs)
                return receiver
            return arg_refs
        refs = self.expr(func) if isinstance(func, ast.Call) else []
        return refs + [r for a in call_args(call) for r in self.expr(a)]

    def _handle_method(
        self, receiver: list[str], method: str, call: ast.Call, refs: list[str]
    ) -> None:
        stages = [s for s in self.draft.stages if s.name in receiver]
        for stage in stages:
            if method in ("after", "set_upstream"):
                stage.upstream.extend(refs)
            elif method == "set_caching_options":
                flag = arg_or_kwarg(call, 0, "enable_caching")
                if isinstance(flag, ast.Constant) and flag.value is False:
                    stage.always_changed = True
            elif method == "set_display_name":
                stage.text = stage.text or const_str(call.args[0] if call.args else None)

    def _stage(self, call: ast.Call, step: StepDef) -> str:
        upstream: list[str] = []
        for arg in call.args:
            upstream.extend(self.expr(arg))
        for keyword in call.keywords:
            if keyword.arg == "after":  # ZenML: invocation ids (strings) or step outputs
                upstream.extend(const_str(n) or "" for n in _items(keyword.value) if const_str(n))
            upstream.extend(self.expr(keyword.value))
        invocation = const_str(kwarg(call, "id")) if self.framework == "zenml" else None
        inline = ("kubeflow", self.module.api(call.func, "kubeflow")) in INLINE_STAGES
        declared = const_str(kwarg(call, "name")) if inline else None
        base = invocation or (kfp_name(declared) if declared else None) or step.name
        count = self.counts.get(base, 0)
        self.counts[base] = count + 1
        sep = "-" if self.framework == "kubeflow" else "_"
        name = base if count == 0 else f"{base}{sep}{count + 1}"
        stage = StageDraft(
            name=name,
            line=call.lineno,
            end_line=call.end_lineno,
            step_type=step.kind,
            image=step.image,
            cmd=step.cmd,
            parameters=list(step.parameters),
            text=step.doc,
            inputs=[*step.inputs, *literal_paths(call_args(call))],
        )
        if inline and step.kind.endswith("ContainerOp"):  # dsl.ContainerOp(...) in the body
            stage.image = const_str(kwarg(call, "image"))
            command = kwarg(call, "command", "arguments")
            stage.cmd = unparse(command) if command is not None else None
        if self.gates:
            stage.upstream.append(self.gates[-1].name)
            stage.condition = self.gates[-1].condition
        stage.upstream.extend(u for u in upstream if u != name)
        if self.loops:
            stage.foreach, stage.foreach_over = True, self.loops[-1]
        self._append(stage)
        return name


def _items(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]


# --------------------------------------------------------------------------------------------
# Dagster assets, Kedro pipelines, Vertex PipelineJob
# --------------------------------------------------------------------------------------------

DAGSTER_ASSETS = frozenset({"asset", "multi_asset", "graph_asset", "observable_source_asset"})


def read_dagster_assets(module: PyModule) -> list[PipelineDraft]:
    """``@asset`` functions grouped by ``group_name``; upstream from parameters, ``deps``, ``ins``;
    ``define_asset_job`` jobs as (stage-less) pipelines so schedules can target them."""
    groups: dict[str, PipelineDraft] = {}
    assets: list[tuple[StageDraft, FunctionNode, ast.Call | None]] = []
    for node in module.nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                if module.api(dec, "dagster") not in DAGSTER_ASSETS:
                    continue
                call = dec if isinstance(dec, ast.Call) else None
                name = (const_str(kwarg(call, "name")) if call else None) or node.name
                group = (const_str(kwarg(call, "group_name")) if call else None) or "default"
                draft = groups.setdefault(
                    group,
                    PipelineDraft(framework="dagster", name=f"assets:{group}", line=node.lineno),
                )
                stage = StageDraft(
                    name=name,
                    line=node.lineno,
                    end_line=node.end_lineno,
                    step_type="dagster.asset",
                    text=docstring(node),
                    parameters=function_parameters(node),
                )
                if (
                    call
                    and kwarg(call, "automation_condition", "auto_materialize_policy") is not None
                ):
                    draft.add_trigger(
                        "dataset",
                        unparse(kwarg(call, "automation_condition", "auto_materialize_policy")),
                    )
                draft.stages.append(stage)
                assets.append((stage, node, call))
                break
    known = {s.name for s, _, _ in assets}
    for stage, fn, call in assets:
        renamed: dict[str, str] = {}
        if call is not None:
            ins = kwarg(call, "ins")
            if isinstance(ins, ast.Dict):
                for key, value in zip(ins.keys, ins.values, strict=False):
                    source = (
                        const_str(arg_or_kwarg(value, 0, "key"))
                        if isinstance(value, ast.Call)
                        else None
                    )
                    if key is not None and (param_name := const_str(key)):
                        renamed[param_name] = source or param_name
            for dep in _items(kwarg(call, "deps") or ast.List(elts=[])):
                dep_name = const_str(dep) or (dep.id if isinstance(dep, ast.Name) else None)
                if isinstance(dep, ast.Call):
                    dep_name = const_str(arg_or_kwarg(dep, 0, "key"))
                if dep_name:
                    stage.upstream.append(dep_name)
        for parameter in function_parameters(fn):
            producer = renamed.get(parameter.name, parameter.name)
            if producer in known and producer != stage.name:
                stage.upstream.append(producer)
    drafts = list(groups.values())
    for node in module.nodes:
        if isinstance(node, ast.Call) and module.api(node.func, "dagster") == "define_asset_job":
            job_name = const_str(arg_or_kwarg(node, 0, "name"))
            if job_name:
                drafts.append(
                    PipelineDraft(
                        framework="dagster",
                        name=job_name,
                        line=node.lineno,
                        end_line=node.end_lineno,
                        text=f"asset job selecting {unparse(kwarg(node, 'selection'), 200)}",
                    )
                )
    return drafts


def read_kedro(module: PyModule) -> list[PipelineDraft]:
    """``pipeline([node(func, inputs, outputs, name=..)])``: datasets link the nodes."""
    drafts = []
    parts = module.path.split("/")
    for fn in module.nodes:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes = [
            call
            for call in ast.walk(fn)
            if isinstance(call, ast.Call) and module.api(call.func, "kedro") == "node"
        ]
        if not nodes:
            continue
        name = parts[-2] if len(parts) >= 2 and parts[-1] == "pipeline.py" else fn.name
        draft = PipelineDraft(framework="kedro", name=name, line=fn.lineno, end_line=fn.end_lineno)
        for call in nodes[:MAX_STAGES]:
            func = arg_or_kwarg(call, 0, "func")
            func_name = unparse(func, 100) if func is not None else "node"
            stage = StageDraft(
                name=const_str(kwarg(call, "name")) or func_name,
                line=call.lineno,
                end_line=call.end_lineno,
                step_type="kedro.node",
                cmd=f"python_callable: {func_name}",
            )
            for dataset in _kedro_datasets(arg_or_kwarg(call, 1, "inputs")):
                if dataset.startswith("params:"):
                    stage.params.append(f"conf/base/parameters.yml#{dataset[7:]}")
                elif dataset == "parameters":
                    stage.params.append("conf/base/parameters.yml#*")
                else:
                    stage.inputs.append(f"catalog:{dataset}")
            stage.outputs = [
                f"catalog:{d}" for d in _kedro_datasets(arg_or_kwarg(call, 2, "outputs"))
            ]
            draft.stages.append(stage)
        link_by_artifacts(draft.stages)
        drafts.append(draft)
    return drafts


def _kedro_datasets(node: ast.expr | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, ast.Dict):
        return [s for v in node.values if (s := const_str(v))]
    return [s for item in _items(node) if (s := const_str(item))]


def read_vertex_jobs(module: PyModule, reader: DataflowReader) -> list[PipelineDraft]:
    """``aiplatform.PipelineJob(display_name=.., template_path=..)``: a compiled pipeline run."""
    drafts = []
    for node in module.nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if module.api(call.func, "vertex") != "PipelineJob":
                continue
            names = [n for t in node.targets for n in assigned_names(t)]
            name = const_str(kwarg(call, "display_name")) or (names[0] if names else module.stem)
            template = const_str(kwarg(call, "template_path"))
            draft = PipelineDraft(
                framework="vertex",
                name=name,
                line=call.lineno,
                end_line=call.end_lineno,
                text=f"runs compiled pipeline {template}" if template else None,
            )
            for var in names:
                reader.pipeline_by_function[var] = draft
            drafts.append(draft)
    return drafts


# --------------------------------------------------------------------------------------------
# Schedules, sensors and event triggers
# --------------------------------------------------------------------------------------------

# (framework, called or decorator name) -> trigger kind, and the kwargs naming the target.
TRIGGER_CALLS: dict[tuple[str, str], tuple[TriggerKind, tuple[str, ...]]] = {
    ("dagster", "ScheduleDefinition"): ("schedule", ("job", "job_name")),
    ("dagster", "build_schedule_from_partitioned_job"): ("schedule", ("job",)),
    ("dagster", "SensorDefinition"): ("sensor", ("job", "job_name")),
    ("dagster", "schedule"): ("schedule", ("job", "job_name")),
    ("dagster", "sensor"): ("sensor", ("job", "job_name", "jobs")),
    ("dagster", "asset_sensor"): ("sensor", ("job", "job_name")),
    ("dagster", "multi_asset_sensor"): ("sensor", ("job", "job_name")),
    ("dagster", "run_status_sensor"): ("sensor", ("request_job",)),
    ("zenml", "Schedule"): ("schedule", ()),
    ("azureml", "JobSchedule"): ("schedule", ("create_job",)),
    ("vertex", "PipelineJobSchedule"): ("schedule", ("pipeline_job",)),
    ("sagemaker", "PipelineSchedule"): ("schedule", ()),
    ("prefect", "build_from_flow"): ("schedule", ("flow",)),
    ("prefect", "build"): ("schedule", ("flow",)),
    ("prefect", "DeploymentEventTrigger"): ("event", ()),
}
# Calls that are triggers only when they carry a schedule (Prefect deployments).
OPTIONAL_SCHEDULE = frozenset({"build_from_flow", "build"})
# Methods on a pipeline object that attach a schedule: ``flow.serve(cron=..)``.
TRIGGER_METHODS = frozenset({"serve", "deploy", "to_deployment", "with_options", "create_schedule"})


class TriggerFinder:
    """Every schedule / sensor / event trigger in the module, attached to its pipeline when
    that pipeline is defined in the same file."""

    def __init__(
        self, module: PyModule, reader: DataflowReader, drafts: list[PipelineDraft]
    ) -> None:
        self.module = module
        self.targets: dict[str, PipelineDraft] = dict(reader.pipeline_by_function)
        for draft in drafts:
            self.targets.setdefault(draft.name, draft)
        for var, value in module.assignments.items():  # job = my_pipeline(...) / .with_options()
            callee = value.func if isinstance(value, ast.Call) else None
            while isinstance(callee, ast.Attribute | ast.Call):
                callee = callee.value if isinstance(callee, ast.Attribute) else callee.func
            if isinstance(callee, ast.Name) and callee.id in self.targets:
                self.targets.setdefault(var, self.targets[callee.id])
        self.found: list[PipelineTrigger] = []
        self.used: set[int] = set()
        self.labels: set[tuple[int | None, str]] = set()

    def find(self) -> list[PipelineTrigger]:
        """Methods first (``p.with_options(schedule=s)`` claims the ``Schedule`` it passes),
        then schedule objects and decorators that no method claimed."""
        calls = self.module.calls
        for call in calls:
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in TRIGGER_METHODS:
                self._method_trigger(call, func)
            elif isinstance(func, ast.Attribute) and func.attr == "create_recurring_run":
                target = kwarg(call, "pipeline_package_path", "pipeline_id", "job_name")
                schedule = _first_schedule(self.module, call)
                self._add(
                    "kubeflow", "schedule", schedule=schedule, target=target, owner=call, name=None
                )
        for node in self.module.nodes:
            if len(self.found) >= MAX_TRIGGERS:
                break
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in node.decorator_list:
                    self._call_trigger(dec, node.name, node)
            elif isinstance(node, ast.Call):
                self._call_trigger(node, None, node)
        return self.found[:MAX_TRIGGERS]

    def _call_trigger(self, node: ast.expr, fn_name: str | None, owner: ast.AST) -> None:
        qual = self.module.qualname(node)
        framework = self.module.framework_of(qual)
        if not qual or not framework or id(node) in self.used:
            return
        last = qual.rsplit(".", 1)[-1]
        spec = TRIGGER_CALLS.get((framework, last))
        if spec is None:
            return
        if fn_name is None and framework == "dagster" and last in ("schedule", "sensor"):
            return  # decorators are handled with their function
        kind, target_kwargs = spec
        call = node if isinstance(node, ast.Call) else None
        target = kwarg(call, *target_kwargs) if call and target_kwargs else None
        if call is not None and target is None and last == "build_schedule_from_partitioned_job":
            target = call.args[0] if call.args else None
        schedule = (
            _first_schedule(self.module, call) if call is not None and kind == "schedule" else None
        )
        if schedule is None and last in OPTIONAL_SCHEDULE:
            return  # a deployment without a schedule starts only by hand
        name = (const_str(kwarg(call, "name", "display_name")) if call else None) or fn_name
        self.used.add(id(node))
        self._add(framework, kind, schedule=schedule, target=target, owner=owner, name=name)

    def _method_trigger(self, call: ast.Call, func: ast.Attribute) -> None:
        receiver = func.value
        while isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
            receiver = receiver.func.value
        if not isinstance(receiver, ast.Name) or receiver.id not in self.targets:
            return
        draft = self.targets[receiver.id]
        name = const_str(kwarg(call, "name", "display_name"))
        schedule_node = kwarg(call, *SCHEDULE_KWARGS)
        if schedule_node is not None:
            self._claim(schedule_node)
            schedule = schedule_text(self.module, schedule_node)
            self._add(
                draft.framework,
                "schedule",
                schedule=schedule,
                target=receiver,
                owner=call,
                name=name,
            )
        triggers = kwarg(call, "triggers")
        if triggers is not None:
            self._add(
                draft.framework,
                "event",
                schedule=unparse(triggers),
                target=receiver,
                owner=call,
                name=name,
            )

    def _claim(self, node: ast.expr) -> None:
        """Mark schedule objects passed to a method (directly or via a variable) as handled."""
        for sub in ast.walk(node):
            self.used.add(id(sub))
            if isinstance(sub, ast.Name) and sub.id in self.module.assignments:
                self.used.update(id(n) for n in ast.walk(self.module.assignments[sub.id]))

    def _add(
        self,
        framework: str,
        kind: TriggerKind,
        *,
        schedule: str | None,
        target: ast.expr | None,
        owner: ast.AST,
        name: str | None,
    ) -> None:
        draft = None
        target_text = None
        if target is not None:
            first = _items(target)[0] if _items(target) else target
            key = first.id if isinstance(first, ast.Name) else const_str(first)
            draft = self.targets.get(key or "")
            target_text = draft.name if draft else (key or unparse(target, 200))
        drift = "drift" in (name or "").lower() or self.module.text_has(owner, "drift")
        if draft is not None:
            draft.add_trigger(kind, schedule)
            if drift:
                draft.add_trigger("drift")
        line = getattr(owner, "lineno", None)
        label = name or target_text or kind
        if (line, label) in self.labels:  # two triggers on one call: keep evidence ids apart
            label = f"{label} [{kind}]"
        self.labels.add((line, label))
        links: tuple[Link, ...] = ()
        if draft is not None:
            src = f"trigger:{self.module.path}#{name or line}"
            dst = f"pipeline:{draft.framework}:{draft.name}"
            links = (Link(src=src, dst=dst, rel="triggers"),)
        self.found.append(
            PipelineTrigger(
                path=self.module.path,
                line=line,
                end_line=getattr(owner, "end_lineno", None) or line,
                name=label,
                framework=framework,
                trigger="drift" if drift and kind in ("sensor", "event") else kind,
                schedule=mask_text(schedule) if schedule else None,
                target=short(target_text),
                links=links,
            )
        )


def _first_schedule(module: PyModule, call: ast.Call | None) -> str | None:
    node = kwarg(call, *SCHEDULE_KWARGS, "trigger") if call is not None else None
    return schedule_text(module, node) if node is not None else None


def schedule_text(module: PyModule, node: ast.expr | None, depth: int = 0) -> str | None:
    """A readable schedule: the cron/interval literal, following variables and schedule calls
    (``CronSchedule(cron="0 * * * *")``, ``CronTrigger(expression=..)``) a few levels."""
    if node is None or depth > 3:
        return None
    text = const_str(node)
    if text is not None:
        return text[:MAX_TEXT]
    if isinstance(node, ast.Name) and node.id in module.assignments:
        return schedule_text(module, module.assignments[node.id], depth + 1)
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        return schedule_text(module, node.elts[0], depth + 1)
    if isinstance(node, ast.Call):
        inner = kwarg(node, *SCHEDULE_KWARGS, "trigger")
        if inner is None and node.args:
            inner = node.args[0]
        found = schedule_text(module, inner, depth + 1) if inner is not None else None
        return found or unparse(node, 200)
    return unparse(node, 200)
