"""Compiled and declarative pipeline specs: KFP v2 IR (and Vertex PipelineJob JSON),
SageMaker pipeline definition JSON, Azure ML pipeline / schedule YAML, Prefect prefect.yaml.

These files are what actually runs in the cloud, so they are the most faithful record of a
pipeline's graph: KFP ``dependentTasks`` and ``triggerPolicy.condition``, SageMaker
``DependsOn`` / ``Get: Steps.X...`` references and ``Condition`` steps, Azure ML
``${{parent.jobs.x.outputs.y}}`` bindings. KFP v1 (Argo ``Workflow``) specs belong to the
Argo parser and are not claimed here.

One parser sees every YAML/JSON file; a substring check on the raw text picks the dialect
before anything is parsed, so unrelated files cost one scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from hyperscore.evaluators.ingest.formats import as_dict, as_list, load_json
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MAX_STAGES,
    MAX_TEXT,
    PipelineDraft,
    PipelineTrigger,
    StageDraft,
    StageParameter,
    YamlDoc,
    dirname,
    emit_pipeline,
    is_uri,
    load_yaml_with_lines,
    mask_text,
    normalize_path,
    scalar_text,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_NESTING = 8
"""KFP sub-DAG levels (conditions in loops in conditions...) followed."""
MAX_WALK = 5000
"""Nodes visited when collecting references inside one SageMaker step's arguments."""

_SAGEMAKER_REF = re.compile(r"^Steps\.([A-Za-z0-9_-]+)")
_AZURE_PARENT_JOB = re.compile(r"\$\{\{\s*parent\.jobs\.([A-Za-z0-9_-]+)\.outputs")


@parser("pipeline-specs", Modality.PIPELINE, ["*.yaml", "*.yml", "*.json"])
def parse_pipeline_specs(source: ParseInput) -> Iterator[Evidence]:
    """Dispatch on a content signature; files that are none of these yield nothing."""
    text = source.text
    is_json = source.name.lower().endswith(".json")
    if "pipelineInfo" in text and "root" in text and "argoproj.io" not in text:
        yield from _kfp(source, is_json)
    elif is_json and '"Steps"' in text and '"Version"' in text:
        yield from _sagemaker(source)
    elif not is_json and "azureml" in text and ("jobs" in text or "create_job" in text):
        yield from _azure(source)
    elif not is_json and source.name.lower() in ("prefect.yaml", "prefect.yml"):
        yield from _prefect(source)


def _load(source: ParseInput, is_json: bool) -> tuple[Any, YamlDoc | None]:
    if is_json:
        return load_json(source.text), None
    doc = load_yaml_with_lines(source.text)
    return doc.data, doc


def _json_line(source: ParseInput, key: str, start: int = 0) -> int | None:
    """First line (from ``start``) holding ``"key":`` -- JSON keeps no positions."""
    needle = json.dumps(key) + ":"
    compact = json.dumps(key) + " :"
    for index in range(max(0, start), len(source.lines)):
        line = source.lines[index]
        if needle in line or compact in line:
            return index + 1
    return None


# --------------------------------------------------------------------------------------------
# KFP v2 IR / Vertex
# --------------------------------------------------------------------------------------------


def _kfp(source: ParseInput, is_json: bool) -> Iterator[Evidence]:
    data, doc = _load(source, is_json)
    spec = as_dict(data)
    framework = "kubeflow"
    if "pipelineSpec" in spec:  # Vertex PipelineJob JSON wraps the IR
        spec, framework = as_dict(spec["pipelineSpec"]), "vertex"
    info = as_dict(spec.get("pipelineInfo"))
    root = as_dict(spec.get("root"))
    if not info or not root:
        return
    name = scalar_text(info.get("name")) or source.name
    last_line = max(1, len(source.lines))
    draft = PipelineDraft(
        framework=framework,
        name=name,
        line=(doc.line("pipelineInfo") if doc else _json_line(source, "pipelineInfo")) or 1,
        end_line=last_line,
        text=scalar_text(info.get("description")),
    )
    for param, definition in as_dict(
        as_dict(root.get("inputDefinitions")).get("parameters")
    ).items():
        default = as_dict(definition).get("defaultValue")
        draft.parameters.append(
            StageParameter(
                name=param,
                type=scalar_text(as_dict(definition).get("parameterType")),
                default=json.dumps(default)[:200] if default is not None else None,
            )
        )
    components = as_dict(spec.get("components"))
    executors = as_dict(as_dict(spec.get("deploymentSpec")).get("executors"))
    reader = _KfpReader(source, doc, components, executors, draft)
    reader.dag(as_dict(root.get("dag")), parent=None, depth=0)
    yield from emit_pipeline(source.path, draft, last_line)


class _KfpReader:
    def __init__(
        self,
        source: ParseInput,
        doc: YamlDoc | None,
        components: dict[str, Any],
        executors: dict[str, Any],
        draft: PipelineDraft,
    ) -> None:
        self.source = source
        self.doc = doc
        self.components = components
        self.executors = executors
        self.draft = draft
        self.cursor = 0
        self.task_lines: dict[str, int] = {}
        for key, line in doc.lines.items() if doc is not None else ():
            if len(key) >= 3 and key[-2] == "tasks" and isinstance(key[-1], str):
                self.task_lines.setdefault(key[-1], line)

    def dag(self, dag: dict[str, Any], parent: StageDraft | None, depth: int) -> None:
        """Add the tasks of one DAG; nested DAGs (conditions, loops) run after their task."""
        for task_name, raw in list(as_dict(dag.get("tasks")).items())[:MAX_STAGES]:
            if len(self.draft.stages) >= MAX_STAGES:
                return
            task = as_dict(raw)
            stage = StageDraft(name=task_name, line=self._line(task_name), step_type="kfp-task")
            stage.upstream = [str(t) for t in as_list(task.get("dependentTasks"))]
            stage.upstream.extend(self._producers(as_dict(task.get("inputs"))))
            if parent is not None:
                stage.upstream.append(parent.name)
                stage.condition = parent.condition
                stage.foreach, stage.foreach_over = parent.foreach, parent.foreach_over
            condition = scalar_text(as_dict(task.get("triggerPolicy")).get("condition"))
            if condition:
                stage.condition, stage.is_condition, stage.step_type = (
                    condition,
                    True,
                    "dsl.Condition",
                )
            iterator = task.get("parameterIterator") or task.get("artifactIterator")
            if iterator:
                stage.foreach = True
                items = as_dict(as_dict(iterator).get("items"))
                stage.foreach_over = (
                    scalar_text(
                        items.get("raw")
                        or items.get("inputParameter")
                        or items.get("inputArtifact")
                    )
                    or "items"
                )
            component = as_dict(
                self.components.get(str(as_dict(task.get("componentRef")).get("name")))
            )
            self._executor(stage, component)
            self.draft.stages.append(stage)
            nested = as_dict(component.get("dag"))
            if nested and depth < MAX_NESTING:
                self.dag(nested, stage, depth + 1)

    def _line(self, task_name: str) -> int | None:
        if self.doc is not None:
            return self.task_lines.get(task_name)
        found = _json_line(self.source, task_name, self.cursor)
        if found:
            self.cursor = found
        return found

    @staticmethod
    def _producers(inputs: dict[str, Any]) -> list[str]:
        """Tasks whose outputs feed this task (``taskOutputArtifact/Parameter.producerTask``)."""
        producers = []
        for kind in ("artifacts", "parameters"):
            for binding in as_dict(inputs.get(kind)).values():
                for key in ("taskOutputArtifact", "taskOutputParameter"):
                    producer_ref = as_dict(as_dict(binding).get(key))
                    producer = scalar_text(producer_ref.get("producerTask"))
                    if producer:
                        producers.append(producer)
        return producers

    def _executor(self, stage: StageDraft, component: dict[str, Any]) -> None:
        executor = as_dict(self.executors.get(str(component.get("executorLabel"))))
        container = as_dict(executor.get("container"))
        if container:
            stage.image = scalar_text(container.get("image"))
            command = [str(c) for c in as_list(container.get("command")) if scalar_text(c)]
            args = [str(a) for a in as_list(container.get("args")) if scalar_text(a)]
            stage.cmd = " ".join([*command, *args])[:MAX_TEXT] or None
        elif "importer" in executor:
            importer = as_dict(executor["importer"])
            uri = scalar_text(
                as_dict(as_dict(importer.get("artifactUri")).get("constant")).get("stringValue")
            )
            stage.step_type = "kfp-importer"
            if uri:
                stage.inputs.append(uri)


# --------------------------------------------------------------------------------------------
# SageMaker pipeline definition JSON
# --------------------------------------------------------------------------------------------


def _sagemaker(source: ParseInput) -> Iterator[Evidence]:
    data = as_dict(load_json(source.text))
    steps = as_list(data.get("Steps"))
    if not steps or not all(isinstance(s, dict) and "Name" in s and "Type" in s for s in steps):
        return
    stem = source.name.rsplit(".", 1)[0]
    last_line = max(1, len(source.lines))
    draft = PipelineDraft(
        framework="sagemaker", name=stem, line=_json_line(source, "Steps") or 1, end_line=last_line
    )
    draft.parameters = [
        StageParameter(
            name=str(p.get("Name")),
            type=scalar_text(p.get("Type")),
            default=(scalar_text(p.get("DefaultValue")) or "")[:200] or None,
        )
        for p in (as_dict(raw) for raw in as_list(data.get("Parameters"))[:MAX_STAGES])
        if p.get("Name")
    ]
    pending: list[tuple[dict[str, Any], StageDraft | None]] = [(s, None) for s in steps]
    while pending and len(draft.stages) < MAX_STAGES:
        step, condition = pending.pop(0)
        stage, branches = _sagemaker_step(source, step)
        if condition is not None:
            stage.upstream.append(condition.name)
            stage.condition = f"{condition.name}: {condition.condition or ''}"[:MAX_TEXT]
        draft.stages.append(stage)
        pending.extend((as_dict(b), stage) for b in branches if isinstance(b, dict))
    yield from emit_pipeline(source.path, draft, last_line)


def _sagemaker_step(source: ParseInput, step: dict[str, Any]) -> tuple[StageDraft, list[Any]]:
    name, step_type = str(step["Name"]), str(step["Type"])
    args = as_dict(step.get("Arguments"))
    stage = StageDraft(name=name, step_type=step_type, line=_sagemaker_line(source, name))
    stage.upstream = [str(d) for d in as_list(step.get("DependsOn"))]
    branches: list[Any] = []
    if step_type == "Condition":
        stage.is_condition = True
        stage.condition = json.dumps(args.get("Conditions"), default=str)[:MAX_TEXT]
        branches = [*as_list(args.get("IfSteps")), *as_list(args.get("ElseSteps"))]
        args = {"Conditions": args.get("Conditions")}
    stage.upstream.extend(_sagemaker_refs(args, name))
    app = as_dict(args.get("AppSpecification"))
    algorithm = as_dict(args.get("AlgorithmSpecification"))
    stage.image = scalar_text(app.get("ImageUri")) or scalar_text(algorithm.get("TrainingImage"))
    entry = [str(c) for c in as_list(app.get("ContainerEntrypoint")) if scalar_text(c)]
    stage.cmd = " ".join(entry)[:MAX_TEXT] or None
    for item in as_list(args.get("ProcessingInputs")):
        uri = scalar_text(as_dict(as_dict(item).get("S3Input")).get("S3Uri"))
        if uri:
            stage.inputs.append(uri)
    for item in as_list(as_dict(args.get("ProcessingOutputConfig")).get("Outputs")):
        uri = scalar_text(as_dict(as_dict(item).get("S3Output")).get("S3Uri"))
        if uri:
            stage.outputs.append(uri)
    for item in as_list(args.get("InputDataConfig")):
        source_cfg = as_dict(as_dict(as_dict(item).get("DataSource")).get("S3DataSource"))
        uri = scalar_text(source_cfg.get("S3Uri"))
        if uri:
            stage.inputs.append(uri)
    output = scalar_text(as_dict(args.get("OutputDataConfig")).get("S3OutputPath"))
    if output:
        stage.outputs.append(output)
    return stage, branches


def _sagemaker_line(source: ParseInput, name: str) -> int | None:
    needle = f'"Name": {json.dumps(name)}'
    for index, line in enumerate(source.lines):
        if needle in line:
            return index + 1
    return None


def _sagemaker_refs(args: Any, own: str) -> list[str]:
    """Step names referenced by ``{"Get": "Steps.X..."}`` anywhere in the arguments."""
    found: list[str] = []
    stack = [args]
    visited = 0
    while stack and visited < MAX_WALK:
        node = stack.pop()
        visited += 1
        if isinstance(node, dict):
            get = node.get("Get")
            match = _SAGEMAKER_REF.match(get) if isinstance(get, str) else None
            if match and match.group(1) != own:
                found.append(match.group(1))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------------------------
# Azure ML pipeline / schedule YAML
# --------------------------------------------------------------------------------------------


def _azure(source: ParseInput) -> Iterator[Evidence]:
    doc = load_yaml_with_lines(source.text)
    data = as_dict(doc.data)
    schema = scalar_text(data.get("$schema")) or ""
    if "azureml" not in schema.lower():
        return
    base = dirname(source.path)
    if "create_job" in data or "schedule" in schema.lower():
        yield _azure_schedule(source, doc, data, base)
        return
    if data.get("type") != "pipeline" and "pipeline" not in schema.lower():
        return
    name = (
        scalar_text(data.get("display_name"))
        or scalar_text(data.get("name"))
        or source.name.rsplit(".", 1)[0]
    )
    draft = PipelineDraft(
        framework="azureml",
        name=name,
        line=doc.line("jobs") or 1,
        end_line=doc.last_line,
        text=scalar_text(data.get("description")),
    )
    for input_name, raw in as_dict(data.get("inputs")).items():
        spec = as_dict(raw)
        draft.parameters.append(
            StageParameter(
                name=input_name,
                type=scalar_text(spec.get("type")),
                default=scalar_text(spec.get("path") or spec.get("default"))
                if spec
                else scalar_text(raw),
            )
        )
    for job_name, raw in list(as_dict(data.get("jobs")).items())[:MAX_STAGES]:
        draft.stages.append(_azure_job(job_name, as_dict(raw), base, doc.line("jobs", job_name)))
    yield from emit_pipeline(source.path, draft, doc.last_line)


def _azure_job(name: str, job: dict[str, Any], base: str, line: int | None) -> StageDraft:
    stage = StageDraft(name=name, line=line, step_type=f"azureml.{job.get('type') or 'command'}")
    component = job.get("component")
    inline = as_dict(component)
    stage.cmd = scalar_text(job.get("command")) or scalar_text(inline.get("command"))
    environment = job.get("environment") or inline.get("environment")
    stage.image = scalar_text(as_dict(environment).get("image")) or scalar_text(environment)
    component_ref = scalar_text(component)
    if component_ref and not component_ref.startswith("azureml:"):
        stage.inputs.append(normalize_path(base, component_ref))
    for value in as_dict(job.get("inputs")).values():
        binding = scalar_text(value) or scalar_text(as_dict(value).get("path"))
        if not binding:
            continue
        stage.upstream.extend(_AZURE_PARENT_JOB.findall(binding))
        if "${{" not in binding and ("/" in binding or is_uri(binding)):
            stage.inputs.append(binding if is_uri(binding) else normalize_path(base, binding))
    stage.text = scalar_text(job.get("description"))
    return stage


def _azure_schedule(
    source: ParseInput, doc: YamlDoc, data: dict[str, Any], base: str
) -> PipelineTrigger:
    trigger = as_dict(data.get("trigger"))
    expression = scalar_text(trigger.get("expression"))
    if expression is None and trigger:
        pattern = {k: v for k, v in trigger.items() if k in ("frequency", "interval", "schedule")}
        expression = json.dumps(pattern, default=str)[:MAX_TEXT]
    job = data.get("create_job")
    target = scalar_text(job)
    if target and not target.startswith("azureml:"):
        target = normalize_path(base, target)
    elif isinstance(job, dict):
        target = scalar_text(job.get("display_name")) or scalar_text(job.get("name"))
    name = scalar_text(data.get("name")) or scalar_text(data.get("display_name")) or "schedule"
    links = (
        (Link(src=f"file:{source.path}", dst=f"file:{target}", rel="triggers"),)
        if target and "/" in target
        else ()
    )
    return PipelineTrigger(
        path=source.path,
        line=doc.line("trigger") or 1,
        name=name,
        framework="azureml",
        trigger="schedule",
        schedule=mask_text(expression) if expression else None,
        target=target,
        links=links,
    )


# --------------------------------------------------------------------------------------------
# Prefect prefect.yaml deployments
# --------------------------------------------------------------------------------------------


def _prefect(source: ParseInput) -> Iterator[Evidence]:
    """One trigger per deployment schedule (``schedule`` or each of ``schedules``) and one for
    its event ``triggers``, each on its own line so their ids differ."""
    doc = load_yaml_with_lines(source.text)
    for index, raw in enumerate(as_list(as_dict(doc.data).get("deployments"))[:MAX_STAGES]):
        deployment = as_dict(raw)
        entrypoint = scalar_text(deployment.get("entrypoint")) or ""
        target = entrypoint.rsplit(":", 1)[-1] if ":" in entrypoint else entrypoint or None
        line = doc.line("deployments", index) or 1
        name = scalar_text(deployment.get("name")) or f"deployment-{index + 1}"
        schedules: list[tuple[Any, int]] = []
        if "schedule" in deployment:
            schedules.append(
                (deployment["schedule"], doc.line("deployments", index, "schedule") or line)
            )
        for position, item in enumerate(as_list(deployment.get("schedules"))[:MAX_STAGES]):
            schedules.append((item, doc.line("deployments", index, "schedules", position) or line))
        for schedule, schedule_line in schedules:
            spec = as_dict(schedule)
            text = scalar_text(spec.get("cron") or spec.get("interval") or spec.get("rrule"))
            if text is None and not spec:
                text = scalar_text(schedule)
            if text:
                yield PipelineTrigger(
                    path=source.path,
                    line=schedule_line,
                    name=name,
                    framework="prefect",
                    trigger="schedule",
                    schedule=mask_text(text),
                    target=target,
                )
        events = as_list(deployment.get("triggers"))
        if events:
            drift = "drift" in f"{name} {json.dumps(events, default=str)}".lower()
            yield PipelineTrigger(
                path=source.path,
                line=doc.line("deployments", index, "triggers") or line,
                name=name,
                framework="prefect",
                trigger="drift" if drift else "event",
                target=target,
            )
