"""AST toolkit for Python pipeline code, plus the frameworks that declare graphs explicitly.

Airflow (operators wired with ``>>``), SageMaker Pipelines (step objects with ``depends_on``
and property references) and Metaflow (``self.next``) state their graphs as objects and
calls, not as function-call data flow; they are read here. The function-call frameworks
(KFP, ZenML, Prefect, Dagster, Azure ML) live in :mod:`pipeline_python`, which owns the parser.

Nothing is imported or executed: names are resolved through the module's import statements
only (``from kfp import dsl`` makes ``dsl.pipeline`` mean ``kfp.dsl.pipeline``).
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MAX_STAGES,
    MAX_TEXT,
    PipelineDraft,
    StageDraft,
    StageParameter,
    dirname,
    is_uri,
    normalize_path,
)
from hyperscore.evaluators.ingest.parsers.python_ast import shared_ast, walk_nodes

# Import roots that identify a framework, most specific first.
FRAMEWORK_ROOTS: tuple[tuple[str, str], ...] = (
    ("google_cloud_pipeline_components", "vertex"),
    ("google.cloud.aiplatform", "vertex"),
    ("azure.ai.ml", "azureml"),
    ("mldesigner", "azureml"),
    ("airflow", "airflow"),
    ("kfp", "kubeflow"),
    ("zenml", "zenml"),
    ("metaflow", "metaflow"),
    ("prefect", "prefect"),
    ("dagster", "dagster"),
    ("sagemaker", "sagemaker"),
    ("kedro", "kedro"),
)

# Modules whose functions are never pipeline steps when called inside a pipeline body.
LIBRARY_ROOTS = frozenset(sys.stdlib_module_names) | frozenset((
    "numpy", "pandas", "sklearn", "scipy", "torch", "tensorflow", "keras", "mlflow", "boto3",
    "botocore", "requests", "yaml", "pydantic", "typing_extensions", "kfp", "zenml", "prefect",
    "dagster", "airflow", "azure", "sagemaker", "metaflow", "google", "kedro", "pendulum",
    "polars", "pyspark", "wandb", "joblib",
))  # fmt: skip
# Component libraries whose callables *are* steps (``ModelUploadOp(...)``).
COMPONENT_LIBRARIES = frozenset({"google_cloud_pipeline_components"})
MAX_SOURCE_TEXT = 200


def short(text: str | None, limit: int = MAX_TEXT) -> str | None:
    return text[:limit] if text else None


def unparse(node: ast.AST | None, limit: int = MAX_TEXT) -> str:
    """Source text of a node, capped (a node of a parsed tree always unparses)."""
    if node is None:
        return ""
    return ast.unparse(node)[:limit]


def const_str(node: ast.AST | None) -> str | None:
    """A literal string; f-strings keep their placeholders as ``{expr}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + unparse(value.value, 60) + "}")
        return "".join(parts)
    return None


def kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def arg_or_kwarg(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    found = kwarg(call, *names)
    if found is None and len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return found


def call_args(call: ast.Call) -> Iterator[ast.expr]:
    yield from call.args
    yield from (k.value for k in call.keywords)


def function_parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[StageParameter]:
    """Declared arguments with their annotation and default as source text."""
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    defaults: list[ast.expr | None] = [None] * (
        len(fn.args.posonlyargs) + len(fn.args.args) - len(fn.args.defaults)
    )
    defaults += [*fn.args.defaults, *fn.args.kw_defaults]
    params = []
    for arg, default in zip(args, defaults, strict=False):
        if arg.arg in ("self", "cls"):
            continue
        params.append(
            StageParameter(
                name=arg.arg,
                type=unparse(arg.annotation, 100) or None,
                default=unparse(default, 100) if default is not None else None,
            )
        )
    return params


def docstring(node: ast.AST) -> str | None:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return short(ast.get_docstring(node))
    return None


@dataclass
class PyModule:
    """One parsed Python file with its import aliases resolved."""

    path: str
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)
    frameworks: set[str] = field(default_factory=set)
    assignments: dict[str, ast.expr] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    nodes: list[ast.AST] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)

    @classmethod
    def parse(cls, path: str, text: str) -> PyModule:
        try:
            tree = shared_ast(text, path)  # the same parse the other *.py parsers use
        except SyntaxError as exc:
            raise ValueError(f"invalid Python: {exc.msg} (line {exc.lineno})") from None
        module = cls(path=path, tree=tree, lines=text.splitlines())
        module.nodes = walk_nodes(tree)  # the one full walk (ast.walk order); readers filter it
        module.calls = [n for n in module.nodes if isinstance(n, ast.Call)]
        for node in module.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".", 1)[0]
                    module.aliases[local] = alias.name if alias.asname else local
                    module._note_framework(alias.name)
            elif isinstance(node, ast.ImportFrom):
                origin = "." * node.level + (node.module or "")
                for alias in node.names:
                    module.aliases[alias.asname or alias.name] = f"{origin}.{alias.name}"
                    if node.level == 0:  # ``from google.cloud import aiplatform``
                        module._note_framework(f"{origin}.{alias.name}")
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    module.assignments[target.id] = node.value
        return module

    def _note_framework(self, module_name: str) -> None:
        for root, framework in FRAMEWORK_ROOTS:
            if module_name == root or module_name.startswith(root + "."):
                self.frameworks.add(framework)
                return

    @property
    def stem(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return name[:-3] if name.endswith(".py") else name

    @property
    def base_dir(self) -> str:
        return dirname(self.path)

    def qualname(self, node: ast.AST | None) -> str | None:
        """``kfp.dsl.component`` for ``dsl.component`` after ``from kfp import dsl``."""
        if isinstance(node, ast.Call):
            node = node.func
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.aliases.get(node.id, node.id)
        return ".".join([root, *reversed(parts)])

    def framework_of(self, qual: str | None) -> str | None:
        """The framework an (already resolved) qualified name belongs to."""
        if not qual:
            return None
        for root, framework in FRAMEWORK_ROOTS:
            if qual == root or qual.startswith(root + "."):
                return framework
        return None

    def api(self, node: ast.AST | None, framework: str) -> str | None:
        """The last name of ``node`` when it resolves into ``framework`` (else None)."""
        qual = self.qualname(node)
        if qual and self.framework_of(qual) == framework:
            return qual.rsplit(".", 1)[-1]
        return None

    def is_library(self, node: ast.AST) -> bool:
        """True when a callee resolves to a third-party or standard library (not a step).

        Relative imports and unknown roots are the project's own modules: their callables,
        called inside a pipeline body, are steps defined elsewhere.
        """
        qual = self.qualname(node)
        if not qual or qual.startswith("."):
            return False
        root = qual.split(".", 1)[0]
        return root in LIBRARY_ROOTS and root not in COMPONENT_LIBRARIES

    def imported(self, name: str) -> bool:
        return name in self.aliases

    def text_has(self, node: ast.AST, needle: str) -> bool:
        """Whether the source lines of ``node`` mention ``needle`` (lower-case)."""
        start = getattr(node, "lineno", 1) - 1
        end = getattr(node, "end_lineno", start + 1) or start + 1
        return any(needle in line.lower() for line in self.lines[start : min(end, start + 400)])


def decorator_api(module: PyModule, fn: ast.AST, framework: str) -> Iterator[tuple[str, ast.expr]]:
    """``(qualified name, decorator node)`` of each decorator of ``fn`` from ``framework``."""
    for dec in getattr(fn, "decorator_list", ()):
        qual = module.qualname(dec)
        if qual and module.framework_of(qual) == framework:
            yield qual, dec


def assigned_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in assigned_names(elt)]
    if isinstance(target, ast.Starred):
        return assigned_names(target.value)
    return []


def literal_paths(nodes: Iterable[ast.AST]) -> list[str]:
    """String literals in ``nodes`` that look like files or URIs (``s3://``, ``data/x.csv``)."""
    found = []
    for node in nodes:
        text = const_str(node)
        if text and ("/" in text or is_uri(text)) and "\n" not in text and len(text) < 300:
            found.append(text)
    return found


# --------------------------------------------------------------------------------------------
# Airflow
# --------------------------------------------------------------------------------------------

AIRFLOW_TASK_DECORATORS = ("task", "virtualenv", "docker", "kubernetes", "external_python")
AIRFLOW_GATE_DECORATORS = {"branch": "task.branch", "short_circuit": "task.short_circuit"}
NO_SCHEDULE = frozenset({"None", "@once", "once"})


@dataclass
class _AirflowDag:
    draft: PipelineDraft
    var: str | None
    counts: dict[str, int] = field(default_factory=dict)


class AirflowReader:
    """DAGs (``with DAG``, ``DAG(...)``, ``@dag``), tasks (``task_id=`` calls and ``@task``
    functions) and dependencies (``>>``, ``<<``, ``set_upstream``, ``chain``, data passing)."""

    def __init__(self, module: PyModule) -> None:
        self.module = module
        self.dags: list[_AirflowDag] = []
        self.by_var: dict[str, _AirflowDag] = {}
        self.task_vars: dict[str, list[tuple[_AirflowDag, StageDraft]]] = {}
        self.taskflow: dict[str, tuple[str, str | None]] = {}  # fn -> (task name, step type)
        self.created: dict[int, list[StageDraft]] = {}  # id(call) -> tasks it created

    def read(self) -> list[PipelineDraft]:
        self._find_taskflow()
        for node in self.module.nodes:
            if isinstance(node, ast.With):
                for item in node.items:
                    if self._is_dag_call(item.context_expr):
                        var = item.optional_vars
                        name = var.id if isinstance(var, ast.Name) else None
                        dag = self._new_dag(item.context_expr, name, node)
                        self._collect_tasks(node.body, dag)
            elif isinstance(node, ast.Assign) and self._is_dag_call(node.value):
                names = [n for t in node.targets for n in assigned_names(t)]
                self._new_dag(node.value, names[0] if names else None, node)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for qual, dec in decorator_api(self.module, node, "airflow"):
                    if qual.rsplit(".", 1)[-1] == "dag":
                        dag = self._new_dag(dec, node.name, node)
                        self._collect_tasks(node.body, dag)
        self._collect_dag_kwarg_tasks()
        self._wire_dependencies()
        return [dag.draft for dag in self.dags]

    def _is_dag_call(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and self.module.api(node.func, "airflow") == "DAG"

    def _new_dag(self, call: ast.AST, var: str | None, owner: ast.AST) -> _AirflowDag:
        name = var or self.module.stem
        schedule: ast.expr | None = None
        if isinstance(call, ast.Call):
            dag_id = const_str(arg_or_kwarg(call, 0, "dag_id"))
            name = dag_id or name
            schedule = kwarg(call, "schedule", "schedule_interval", "timetable")
        draft = PipelineDraft(
            framework="airflow",
            name=name,
            line=getattr(owner, "lineno", None),
            end_line=getattr(owner, "end_lineno", None),
            text=docstring(owner),
        )
        if schedule is not None:
            self._schedule(draft, schedule)
        dag = _AirflowDag(draft=draft, var=var)
        self.dags.append(dag)
        if var:
            self.by_var[var] = dag
        return dag

    def _schedule(self, draft: PipelineDraft, node: ast.expr) -> None:
        text = const_str(node) or unparse(node)
        if text in NO_SCHEDULE:
            return
        calls = [self.module.qualname(n) or "" for n in ast.walk(node) if isinstance(n, ast.Call)]
        if isinstance(node, ast.List | ast.Tuple) or any(
            q.endswith((".Dataset", ".Asset", "DatasetOrTimeSchedule")) for q in calls
        ):
            draft.add_trigger("dataset", text)
        else:
            draft.add_trigger("schedule", text)

    def _find_taskflow(self) -> None:
        for node in self.module.nodes:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for qual, dec in decorator_api(self.module, node, "airflow"):
                parts = qual.split(".")
                if "task" not in parts:
                    continue
                last = parts[-1]
                step_type = AIRFLOW_GATE_DECORATORS.get(
                    last, f"task.{last}" if last != "task" else "task"
                )
                task_id = const_str(kwarg(dec, "task_id")) if isinstance(dec, ast.Call) else None
                self.taskflow[node.name] = (task_id or node.name, step_type)

    def _collect_tasks(self, body: list[ast.stmt], dag: _AirflowDag) -> None:
        for stmt in body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr):
                    self._task_statement(node, dag)

    def _collect_dag_kwarg_tasks(self) -> None:
        """Operators outside any ``with DAG`` that name their DAG: ``Op(task_id=.., dag=dag)``."""
        for node in self.module.nodes:
            if isinstance(node, ast.Assign | ast.Expr):
                call = node.value
                if isinstance(call, ast.Call):
                    dag_arg = kwarg(call, "dag")
                    if isinstance(dag_arg, ast.Name) and dag_arg.id in self.by_var:
                        self._task_statement(node, self.by_var[dag_arg.id])

    def _task_statement(
        self, node: ast.Assign | ast.AnnAssign | ast.Expr, dag: _AirflowDag
    ) -> None:
        value = node.value
        if value is None:
            return
        targets: list[str] = []
        if isinstance(node, ast.Assign):
            targets = [n for t in node.targets for n in assigned_names(t)]
        elif isinstance(node, ast.AnnAssign):
            targets = assigned_names(node.target)
        stages = self._tasks_in(value, dag)
        for name in targets:
            if stages:
                self.task_vars[name] = [(dag, s) for s in stages[-1:]]

    def _tasks_in(self, expr: ast.expr, dag: _AirflowDag) -> list[StageDraft]:
        """Create the tasks an expression instantiates (nested TaskFlow calls pass data)."""
        if not isinstance(expr, ast.Call):
            return []
        if id(expr) in self.created:  # ``ast.walk`` and ``>>`` operands meet calls twice
            return self.created[id(expr)]
        stages = self._new_tasks(expr, dag)
        self.created[id(expr)] = stages
        return stages

    def _new_tasks(self, expr: ast.Call, dag: _AirflowDag) -> list[StageDraft]:
        task_id = const_str(kwarg(expr, "task_id"))
        func = expr.func
        # ``extract.override(task_id="x")(...)`` -> the TaskFlow function ``extract``
        override = func.func if isinstance(func, ast.Call) else None
        if (
            isinstance(func, ast.Call)
            and isinstance(override, ast.Attribute)
            and override.attr == "override"
        ):
            task_id = const_str(kwarg(func, "task_id")) or task_id
            func = override.value
        if isinstance(func, ast.Name) and func.id in self.taskflow:
            upstream = [s.name for arg in call_args(expr) for s in self._refs(arg, dag)]
            name, step_type = self.taskflow[func.id]
            stage = self._add(dag, task_id or name, expr, step_type)
            stage.upstream.extend(upstream)
            stage.cmd = f"python_callable: {func.id}"
            return [stage]
        if task_id is None:
            return []
        operator = (self.module.qualname(func) or unparse(func, 100)).rsplit(".", 1)[-1]
        stage = self._add(dag, task_id, expr, operator)
        self._operator_details(stage, expr, operator, dag)
        return [stage]

    def _add(
        self, dag: _AirflowDag, name: str, call: ast.Call, step_type: str | None
    ) -> StageDraft:
        count = dag.counts.get(name, 0)
        dag.counts[name] = count + 1
        unique = name if count == 0 else f"{name}__{count}"
        stage = StageDraft(
            name=unique,
            line=call.lineno,
            end_line=call.end_lineno,
            step_type=step_type,
        )
        if len(dag.draft.stages) < MAX_STAGES:
            dag.draft.stages.append(stage)
        return stage

    def _operator_details(
        self, stage: StageDraft, call: ast.Call, operator: str, dag: _AirflowDag
    ) -> None:
        bash = kwarg(call, "bash_command")
        if bash is not None:
            stage.cmd = const_str(bash) or unparse(bash)
        image = kwarg(call, "image")
        if image is not None:
            stage.image = const_str(image) or unparse(image, 200)
        command = kwarg(call, "cmds", "command", "arguments")
        if command is not None and stage.cmd is None:
            stage.cmd = " ".join(
                const_str(n) or "" for n in ast.walk(command) if const_str(n)
            ) or unparse(command)
        callable_ = kwarg(call, "python_callable")
        if callable_ is not None and stage.cmd is None:
            stage.cmd = f"python_callable: {unparse(callable_, 100)}"
        if operator.endswith("Sensor"):
            dag.draft.add_trigger("sensor")
            if "drift" in stage.name.lower() or self.module.text_has(call, "drift"):
                dag.draft.add_trigger("drift")

    def _refs(self, expr: ast.AST, dag: _AirflowDag) -> list[StageDraft]:
        """Tasks an operand denotes: variables, lists of them, or TaskFlow calls (created)."""
        if isinstance(expr, ast.Name):
            return [s for d, s in self.task_vars.get(expr.id, []) if d is dag]
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            return [s for elt in expr.elts for s in self._refs(elt, dag)]
        if isinstance(expr, ast.Call):
            return self._tasks_in(expr, dag)
        if isinstance(expr, ast.Subscript | ast.Attribute | ast.Starred):
            return self._refs(expr.value, dag)
        return []

    def _wire_dependencies(self) -> None:
        for node in self.module.nodes:
            if isinstance(node, ast.Expr):
                self._dependency_expr(node.value)

    def _dag_of(self, expr: ast.AST) -> _AirflowDag | None:
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Name) and sub.id in self.task_vars:
                return self.task_vars[sub.id][0][0]
        return self.dags[0] if len(self.dags) == 1 else None

    def _dependency_expr(self, expr: ast.expr) -> None:
        dag = self._dag_of(expr)
        if dag is None:
            return
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.RShift | ast.LShift):
            self._shift(expr, dag)
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            method = expr.func.attr
            if method in ("set_downstream", "set_upstream") and expr.args:
                receiver = self._refs(expr.func.value, dag)
                other = self._refs(expr.args[0], dag)
                if method == "set_downstream":
                    _edges(receiver, other)
                else:
                    _edges(other, receiver)
        elif isinstance(expr, ast.Call) and self.module.api(expr.func, "airflow") in (
            "chain",
            "cross_downstream",
        ):
            groups = [self._refs(arg, dag) for arg in expr.args]
            for before, after in itertools.pairwise(groups):
                _edges(before, after)

    def _shift(self, expr: ast.expr, dag: _AirflowDag) -> list[StageDraft]:
        """Apply ``a >> b`` / ``a << b`` edges; the value of a chain is its right operand."""
        if not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.RShift | ast.LShift)):
            return self._refs(expr, dag)
        left = self._shift(expr.left, dag)
        right = self._refs(expr.right, dag)
        if isinstance(expr.op, ast.RShift):
            _edges(left, right)
        else:
            _edges(right, left)
        return right


def _edges(before: list[StageDraft], after: list[StageDraft]) -> None:
    for stage in after:
        stage.upstream.extend(s.name for s in before if s.name not in stage.upstream)


# --------------------------------------------------------------------------------------------
# SageMaker Pipelines (step objects)
# --------------------------------------------------------------------------------------------

SAGEMAKER_STEPS = frozenset(
    {
        "ProcessingStep",
        "TrainingStep",
        "TuningStep",
        "TransformStep",
        "ModelStep",
        "CreateModelStep",
        "RegisterModel",
        "ConditionStep",
        "FailStep",
        "LambdaStep",
        "CallbackStep",
        "QualityCheckStep",
        "ClarifyCheckStep",
        "EMRStep",
        "NotebookJobStep",
        "AutoMLStep",
        "EMRServerlessStep",
    }
)
# Which argument of which SageMaker helper names an input / output location.
SAGEMAKER_INPUTS = {
    "ProcessingInput": "source",
    "TrainingInput": "s3_data",
    "TransformInput": "data",
}
SAGEMAKER_OUTPUTS = {"ProcessingOutput": "destination"}
SAGEMAKER_CODE_KWARGS = ("code", "entry_point")
CONTAINER_PREFIX = "/opt/ml/"
MAX_VALUE_DEPTH = 4


@dataclass
class _SageMakerStep:
    var: str
    call: ast.Call
    stage: StageDraft


class SageMakerReader:
    """Steps bound to variables, ``Pipeline(name=.., steps=[..])``, ``depends_on``, property
    references (``step.properties...``, ``JsonGet(step_name=step.name)``) and condition
    branches (``if_steps`` / ``else_steps`` run after the ConditionStep)."""

    def __init__(self, module: PyModule) -> None:
        self.module = module
        self.steps: dict[str, _SageMakerStep] = {}

    def read(self) -> list[PipelineDraft]:
        for node in self.module.nodes:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                step_type = self.module.api(node.value.func, "sagemaker")
                if step_type in SAGEMAKER_STEPS:
                    for var in [n for t in node.targets for n in assigned_names(t)][:1]:
                        self._add_step(var, node.value, step_type)
        if not self.steps:
            return []
        by_name = {s.stage.name: s for s in self.steps.values()}
        for step in self.steps.values():
            self._dependencies(step, by_name)
        pipelines = []
        claimed: set[str] = set()
        for node in self.module.nodes:
            if isinstance(node, ast.Call) and self.module.api(node.func, "sagemaker") == "Pipeline":
                name = const_str(arg_or_kwarg(node, 0, "name")) or self.module.stem
                members = self._members(kwarg(node, "steps"))
                claimed.update(members)
                draft = PipelineDraft(
                    framework="sagemaker", name=name, line=node.lineno, end_line=node.end_lineno
                )
                draft.stages = [self.steps[v].stage for v in members]
                draft.parameters = [
                    StageParameter(name=const_str(arg_or_kwarg(p, 0, "name")) or unparse(p, 80))
                    for p in _list_items(kwarg(node, "parameters"))
                    if isinstance(p, ast.Call)
                ] or [
                    StageParameter(name=n.id)
                    for n in _list_items(kwarg(node, "parameters"))
                    if isinstance(n, ast.Name)
                ]
                pipelines.append(draft)
        rest = [s.stage for v, s in self.steps.items() if v not in claimed]
        if rest:
            first = min(s.line or 1 for s in rest)
            pipelines.append(
                PipelineDraft(framework="sagemaker", name=self.module.stem, line=first, stages=rest)
            )
        return pipelines

    def _add_step(self, var: str, call: ast.Call, step_type: str) -> None:
        name = const_str(arg_or_kwarg(call, 0, "name")) or var
        stage = StageDraft(
            name=name, line=call.lineno, end_line=call.end_lineno, step_type=step_type
        )
        if step_type == "ConditionStep":
            conditions = _list_items(kwarg(call, "conditions"))
            stage.condition = "; ".join(
                unparse(self.module.assignments.get(c.id, c) if isinstance(c, ast.Name) else c)
                for c in conditions
            )[:MAX_TEXT]
            stage.is_condition = True
        for sub in self._values(call, 0, set()):
            if isinstance(sub, ast.Call):
                helper = (self.module.qualname(sub.func) or "").rsplit(".", 1)[-1]
                if helper in SAGEMAKER_INPUTS:
                    stage.inputs.extend(self._paths(kwarg(sub, SAGEMAKER_INPUTS[helper])))
                if helper in SAGEMAKER_OUTPUTS:
                    stage.outputs.extend(self._paths(kwarg(sub, SAGEMAKER_OUTPUTS[helper])))
                code = const_str(kwarg(sub, *SAGEMAKER_CODE_KWARGS))
                if code:
                    stage.inputs.extend(self._paths(kwarg(sub, *SAGEMAKER_CODE_KWARGS)))
                if code and stage.cmd is None:
                    stage.cmd = code
                image = const_str(kwarg(sub, "image_uri"))
                if image and stage.image is None:
                    stage.image = image
        self.steps[var] = _SageMakerStep(var=var, call=call, stage=stage)

    def _paths(self, node: ast.expr | None) -> list[str]:
        """Literal locations (code paths are relative to the pipeline file; container paths
        under /opt/ml are not artifacts)."""
        text = const_str(node)
        if not text or "\n" in text or text.startswith(CONTAINER_PREFIX) or "{" in text:
            return []
        return [text if is_uri(text) else normalize_path(self.module.base_dir, text)]

    def _values(self, node: ast.AST, depth: int, seen: set[str]) -> Iterator[ast.AST]:
        """Every sub-node of ``node``, following plain variables to their assigned values."""
        for sub in ast.walk(node):
            yield sub
            if (
                isinstance(sub, ast.Name)
                and depth < MAX_VALUE_DEPTH
                and sub.id not in seen
                and sub.id not in self.steps
                and sub.id in self.module.assignments
            ):
                seen.add(sub.id)
                yield from self._values(self.module.assignments[sub.id], depth + 1, seen)

    def _dependencies(self, step: _SageMakerStep, by_name: dict[str, _SageMakerStep]) -> None:
        call, stage = step.call, step.stage
        branch_vars: list[str] = []
        for key in ("if_steps", "else_steps"):
            branch_vars.extend(
                n.id for n in _list_items(kwarg(call, key)) if isinstance(n, ast.Name)
            )
        for dep in _list_items(kwarg(call, "depends_on")):
            dep_name = const_str(dep)
            if dep_name in by_name:
                stage.upstream.append(dep_name)
            elif isinstance(dep, ast.Name) and dep.id in self.steps:
                stage.upstream.append(self.steps[dep.id].stage.name)
        branch_nodes = {
            id(n) for key in ("if_steps", "else_steps") if (n := kwarg(call, key)) is not None
        }
        for keyword in call.keywords:
            if id(keyword.value) in branch_nodes or keyword.arg == "depends_on":
                continue
            for sub in self._values(keyword.value, 0, set()):
                if isinstance(sub, ast.Name) and sub.id in self.steps and sub.id != step.var:
                    stage.upstream.append(self.steps[sub.id].stage.name)
                step_name = (
                    const_str(kwarg(sub, "step_name")) if isinstance(sub, ast.Call) else None
                )
                if step_name in by_name:
                    stage.upstream.append(step_name)
        for var in branch_vars:
            if var in self.steps:
                target = self.steps[var].stage
                target.upstream.append(stage.name)
                target.condition = (
                    target.condition or f"{stage.name}: {stage.condition or ''}"[:MAX_TEXT]
                )

    def _members(self, steps_arg: ast.expr | None) -> list[str]:
        """Step variables in ``steps=[...]`` plus, transitively, their condition branches."""
        pending = [
            n.id for n in _list_items(steps_arg) if isinstance(n, ast.Name) and n.id in self.steps
        ]
        members: list[str] = []
        while pending:
            var = pending.pop(0)
            if var in members:
                continue
            members.append(var)
            call = self.steps[var].call
            for key in ("if_steps", "else_steps"):
                pending.extend(
                    n.id
                    for n in _list_items(kwarg(call, key))
                    if isinstance(n, ast.Name) and n.id in self.steps
                )
        return members


def _list_items(node: ast.expr | None) -> list[ast.expr]:
    if isinstance(node, ast.List | ast.Tuple):
        return list(node.elts)
    return [node] if node is not None else []


# --------------------------------------------------------------------------------------------
# Metaflow
# --------------------------------------------------------------------------------------------

METAFLOW_SCHEDULE_FLAGS = ("hourly", "daily", "weekly")
METAFLOW_PARAMS = ("Parameter", "IncludeFile")


def read_metaflow(module: PyModule) -> list[PipelineDraft]:
    """``FlowSpec`` subclasses: ``@step`` methods, ``self.next`` edges, parameters, triggers."""
    drafts = []
    for node in module.nodes:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any((module.qualname(base) or "").endswith("FlowSpec") for base in node.bases):
            continue
        draft = PipelineDraft(
            framework="metaflow",
            name=node.name,
            line=node.lineno,
            end_line=node.end_lineno,
            text=docstring(node),
        )
        _metaflow_triggers(module, node, draft)
        steps: dict[str, StageDraft] = {}
        nexts: list[tuple[str, ast.Call]] = []
        for item in node.body:
            parameter = _metaflow_parameter(module, item)
            if parameter is not None:
                draft.parameters.append(parameter)
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = {
                q.rsplit(".", 1)[-1]: d for q, d in decorator_api(module, item, "metaflow")
            }
            if "step" not in decorators:
                continue
            stage = StageDraft(
                name=item.name,
                line=item.lineno,
                end_line=item.end_lineno,
                step_type="metaflow.step",
                text=docstring(item),
            )
            for compute in ("kubernetes", "batch"):
                dec = decorators.get(compute)
                if isinstance(dec, ast.Call):
                    stage.image = const_str(kwarg(dec, "image"))
            steps[item.name] = stage
            nexts.extend(
                (item.name, call)
                for call in ast.walk(item)
                if isinstance(call, ast.Call) and _is_self_next(call)
            )
        for source, call in nexts:
            _metaflow_next(steps, source, call)
        draft.stages = list(steps.values())
        drafts.append(draft)
    return drafts


def _is_self_next(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "next"
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    )


def _metaflow_next(steps: dict[str, StageDraft], source: str, call: ast.Call) -> None:
    targets: list[tuple[str, str | None]] = []
    for arg in call.args:
        if isinstance(arg, ast.Attribute):
            targets.append((arg.attr, None))
        elif isinstance(arg, ast.Dict):  # switch: self.next({"a": self.a}, condition="x")
            for key, value in zip(arg.keys, arg.values, strict=False):
                if isinstance(value, ast.Attribute):
                    targets.append((value.attr, unparse(key, 100) if key is not None else None))
    foreach = const_str(kwarg(call, "foreach"))
    condition = const_str(kwarg(call, "condition"))
    if condition and source in steps:
        steps[source].is_condition = True
        steps[source].condition = f"switch on {condition}"
    for target, branch in targets:
        stage = steps.get(target)
        if stage is None:
            continue
        if source not in stage.upstream:
            stage.upstream.append(source)
        if foreach:
            stage.foreach, stage.foreach_over = True, foreach
        if condition and branch:
            stage.condition = f"{condition} == {branch}"


def _metaflow_parameter(module: PyModule, item: ast.stmt) -> StageParameter | None:
    """A class-level ``alpha = Parameter("alpha", default=0.1)`` declaration."""
    if not (isinstance(item, ast.Assign) and isinstance(item.value, ast.Call)):
        return None
    call = item.value
    if module.api(call.func, "metaflow") not in METAFLOW_PARAMS:
        return None
    target = item.targets[0]
    name = const_str(arg_or_kwarg(call, 0, "name")) or (
        target.id if isinstance(target, ast.Name) else "?"
    )
    type_node, default = kwarg(call, "type"), kwarg(call, "default")
    return StageParameter(
        name=name,
        type=unparse(type_node, 100) if type_node is not None else None,
        default=unparse(default, 100) if default is not None else None,
    )


def _metaflow_triggers(module: PyModule, cls: ast.ClassDef, draft: PipelineDraft) -> None:
    for qual, dec in decorator_api(module, cls, "metaflow"):
        name = qual.rsplit(".", 1)[-1]
        if name == "schedule":
            text = "schedule"
            if isinstance(dec, ast.Call):
                cron = const_str(kwarg(dec, "cron"))
                flags = [f for f in METAFLOW_SCHEDULE_FLAGS if kwarg(dec, f) is not None]
                text = cron or (flags[0] if flags else unparse(dec))
            draft.add_trigger("schedule", text)
        elif name in ("trigger", "trigger_on_finish"):
            draft.add_trigger("event", unparse(dec) if isinstance(dec, ast.Call) else None)
            if module.text_has(dec, "drift"):
                draft.add_trigger("drift")
