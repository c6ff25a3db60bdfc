"""Databricks Asset Bundles: ``databricks.yml`` (or ``bundle.yml``) and the resource files it
includes.

A bundle declares a project's whole Databricks footprint: jobs (the ML pipelines: training,
validation, deployment, batch inference, retraining), MLflow experiments, registered models,
model-serving endpoints, Lakehouse quality monitors and the deployment targets (dev, staging,
prod). What fits the shared vocabulary is emitted with it:

* each job is a ``pipeline.definition`` (framework ``databricks-jobs``) with one
  ``pipeline.stage`` per task (``depends_on`` -> upstream; ``condition_task`` is a gate; the
  notebook/python file a task runs is linked ``stage -runs-> file:<path>``, resolved against the
  YAML file's directory as the bundle CLI does); schedules (quartz cron), periodic, file-arrival
  and table-update triggers are its triggers. A ``run_job_task`` starts another job: it is a
  ``pipeline.trigger`` targeting that job, of kind ``drift`` when the calling job gates it on a
  monitored-metric check (the MLOps Stacks retraining pattern), else ``event``;
* each deployment target is an ``infra.environment`` (tool ``databricks-bundle``);
* every other resource (experiments, models, registered models, serving endpoints, quality
  monitors, DLT pipelines, clusters...) and each job is a :class:`DatabricksResource`, with the
  settings detectors ask about (traffic split, inference tables, monitor type and schedule).

Bundles are often project templates (``databricks.yml.tmpl``); the walker renders template
syntax to a placeholder first, and :func:`_tolerate_template` repairs the few YAML shapes that
placeholder leaves broken (a placeholder glued to a key or an alias, a value placeholder
followed by a nested block), keeping every line where it was.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    item_line,
    key_line,
    load_single_mapping,
    mapping,
    scalar,
    seq,
    strings,
)
from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal, environment_of
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MAX_STAGES,
    SECRET_KEY,
    PipelineDraft,
    PipelineStage,
    PipelineTrigger,
    StageDraft,
    StageParameter,
    clamp_lines,
    emit_pipeline,
    mask_text,
    normalize_path,
    pipeline_node,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.ingest.walk import TEMPLATE_PLACEHOLDER, effective_path
from hyperscore.evaluators.model import Evidence, Link, Modality

FRAMEWORK = "databricks-jobs"
MAX_RESOURCES = 500
MAX_SETTINGS = 40

#: Resource types of a bundle (``resources.<type>``) and the singular name evidence uses.
RESOURCE_TYPES: dict[str, str] = {
    "jobs": "job", "pipelines": "dlt_pipeline", "experiments": "experiment", "models": "model",
    "registered_models": "registered_model", "model_serving_endpoints": "model_serving_endpoint",
    "quality_monitors": "quality_monitor", "clusters": "cluster", "schemas": "schema",
    "volumes": "volume", "apps": "app", "dashboards": "dashboard", "secret_scopes": "secret_scope",
    "sql_warehouses": "sql_warehouse", "alerts": "alert", "database_instances": "database_instance",
}  # fmt: skip
_MODALITY: dict[str, Modality] = {
    "quality_monitor": Modality.MONITORING,
    "alert": Modality.MONITORING,
    "model_serving_endpoint": Modality.INFRASTRUCTURE,
    "cluster": Modality.INFRASTRUCTURE,
    "sql_warehouse": Modality.INFRASTRUCTURE,
    "app": Modality.INFRASTRUCTURE,
}
_TASK_TYPES = (
    "notebook_task", "spark_python_task", "python_wheel_task", "sql_task", "dbt_task",
    "pipeline_task", "run_job_task", "condition_task", "for_each_task", "spark_jar_task",
    "spark_submit_task", "clean_rooms_notebook_task", "dashboard_task", "power_bi_task",
)  # fmt: skip
_RESOURCE_SIGNATURE = re.compile(r"^resources:[ \t]*(?:#.*)?$", re.M)
_TYPE_SIGNATURE = re.compile(r"^[ \t]+(?:" + "|".join(RESOURCE_TYPES) + r"):", re.M)
_JOB_REF = re.compile(r"\$\{resources\.jobs\.([\w-]+)\.id\}")
_DRIFT_WORDS = re.compile(r"monitor|drift|violat|degrad", re.I)


class DatabricksResource(Evidence):
    """One bundle resource (or the bundle itself, ``resource_type="bundle"``).

    ``key`` is the resource's key under ``resources.<type>``; ``resource_name`` its ``name``
    field (often an expression such as ``${bundle.target}-model``). Serving endpoints carry
    ``served_entities`` (``<entity>@<version>``), ``traffic`` (route -> percent) and
    ``inference_table`` (payload logging on); quality monitors ``monitor_type``
    (``inference_log``/``time_series``/``snapshot``), ``table_name`` and ``schedule``.
    ``settings`` keeps other scalar settings as text (secret-looking values masked).
    """

    kind: Literal["databricks.resource"] = "databricks.resource"
    modality: Modality = Modality.PIPELINE
    resource_type: str
    key: str
    resource_name: str | None = None
    schedule: str | None = None
    served_entities: tuple[str, ...] = ()
    traffic: dict[str, int] = {}
    inference_table: bool | None = None
    monitor_type: str | None = None
    table_name: str | None = None
    targets: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    settings: dict[str, str] = {}


_ROOT_NAMES = frozenset({"databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml"})
_PLACEHOLDER_LINE = re.compile(rf"^[ \t]*(?:{TEMPLATE_PLACEHOLDER}[ \t]*)+(?:#.*)?$", re.M)
_GLUED_KEY = re.compile(rf"^([ \t]*(?:-[ \t]+)?){TEMPLATE_PLACEHOLDER}(?=[A-Za-z][\w-]*:)", re.M)
_GLUED_ALIAS = re.compile(rf"(\*[A-Za-z_][\w-]*?){TEMPLATE_PLACEHOLDER}")
_ESCAPED_BRACES = re.compile(rf"{TEMPLATE_PLACEHOLDER}\"\}}\}}")
_VALUE_PLACEHOLDER = re.compile(
    rf"^([ \t]*[^\s#:][^:#]*:)[ \t]+{TEMPLATE_PLACEHOLDER}[ \t]*(?:#.*)?$"
)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _tolerate_template(text: str) -> str:
    """Repair YAML broken by template placeholders, line for line (no line is added/removed)."""
    if TEMPLATE_PLACEHOLDER not in text:
        return text
    text = _PLACEHOLDER_LINE.sub("", text)
    text = _GLUED_KEY.sub(r"\1", text)
    text = _GLUED_ALIAS.sub(r"\1", text)
    text = _ESCAPED_BRACES.sub(TEMPLATE_PLACEHOLDER, text)  # {{"{{x}}"}} emits literal braces
    lines = text.split("\n")
    for idx, line in enumerate(lines):
        match = _VALUE_PLACEHOLDER.match(line)
        if match is None:
            continue
        following = next(
            (n for n in lines[idx + 1 : idx + 50] if n.strip() and not n.lstrip().startswith("#")),
            "",
        )
        if following and _indent(following) > _indent(line):
            lines[idx] = match.group(1)  # a conditional value before a nested block
    return "\n".join(lines)


def _block_end(lines: list[str], line: int | None) -> int | None:
    """Last content line of the YAML block starting at 1-based ``line``: the following lines
    that are blank, comments or indented deeper (a key's own ``- item`` list may sit at the
    key's indentation).

    Spans from the loader cannot be used: a merge key (``<<: *permissions``) ends a mapping at
    the anchor's position, far above.
    """
    if line is None or not 0 < line <= len(lines):
        return None
    head = lines[line - 1]
    indent = _indent(head)
    is_item = head.lstrip().startswith("- ")
    last = line
    for index in range(line, len(lines)):
        text = lines[index]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = _indent(text)
        if depth < indent or (depth == indent and (is_item or not stripped.startswith("- "))):
            break
        last = index + 1
    return last


def _text(value: Any, limit: int = 300) -> str | None:
    text = scalar(value)
    return mask_text(text)[:limit] if text else None


def _settings(body: dict[str, Any], skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Top-level scalar settings as masked text (nested blocks are summarised elsewhere)."""
    out: dict[str, str] = {}
    for key, value in body.items():
        if len(out) >= MAX_SETTINGS:
            break
        text = None if str(key) in skip else _text(value, 200)
        if text is not None:
            out[str(key)] = "***" if SECRET_KEY.search(str(key)) and "$" not in text else text
    return out


def _resource_node(resource_type: str, key: str) -> str:
    return f"databricks:{resource_type}/{key}"


# --------------------------------------------------------------------------- jobs


def _task_command(task: LineDict, base: str) -> tuple[str | None, str | None, str | None]:
    """``(task type, command text, repo file it runs)`` of one job task."""
    for task_type in _TASK_TYPES:
        spec = task.get(task_type)
        if spec is None:
            continue
        body = mapping(spec)
        path = scalar(body.get("notebook_path")) or scalar(body.get("python_file"))
        path = path or scalar(mapping(body.get("file")).get("path"))
        file_node = None
        if path and not path.startswith(("/", "$")) and "://" not in path and "." in path[-6:]:
            file_node = normalize_path(base, path)
        if task_type == "python_wheel_task":
            entry = f"{scalar(body.get('package_name'))}:{scalar(body.get('entry_point'))}"
            return task_type, f"wheel {entry}", None
        if task_type == "run_job_task":
            return task_type, f"run job {scalar(body.get('job_id'))}", None
        if task_type == "condition_task":
            parts = (scalar(body.get(k)) or "" for k in ("left", "op", "right"))
            return task_type, " ".join(parts), None
        if task_type == "for_each_task":
            _, inner, inner_file = _task_command(mapping(body.get("task")), base)
            return task_type, f"for each {scalar(body.get('inputs'))}: {inner}", inner_file
        if task_type == "dbt_task":
            return task_type, " && ".join(strings(body.get("commands"))) or None, None
        label = task_type.removesuffix("_task")
        return task_type, f"{label} {path}" if path else label, file_node
    return None, None, None


@dataclass(frozen=True)
class _File:
    """The file being read: where links point from and what line numbers may be."""

    path: str
    lines: list[str]

    @property
    def base(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def last_line(self) -> int:
        return max(1, len(self.lines))

    def span(self, line: int | None) -> tuple[int | None, int | None]:
        return clamp_lines(line, _block_end(self.lines, line), self.last_line)


def _triggers(job: LineDict, draft: PipelineDraft) -> None:
    cron = scalar(mapping(job.get("schedule")).get("quartz_cron_expression"))
    if cron:
        draft.add_trigger("schedule", cron)
    trigger = mapping(job.get("trigger"))
    periodic = mapping(trigger.get("periodic"))
    if periodic:
        every = f"every {scalar(periodic.get('interval'))} {scalar(periodic.get('unit'))}"
        draft.add_trigger("schedule", every)
    if "file_arrival" in trigger:
        draft.add_trigger("sensor", scalar(mapping(trigger["file_arrival"]).get("url")))
    if "table_update" in trigger or "table" in trigger:
        draft.add_trigger("dataset")
    if mapping(job.get("continuous")):
        draft.add_trigger("event")


def _stage(source: _File, task: LineDict, name: str, line: int | None) -> StageDraft:
    task_type, command, _ = _task_command(task, source.base)
    depends = [scalar(mapping(d).get("task_key")) for d in seq(task.get("depends_on"))]
    start, end = source.span(line)
    stage = StageDraft(
        name=name,
        line=start,
        end_line=end,
        cmd=command,
        step_type=task_type,
        text=scalar(task.get("description")),
        upstream=[d for d in depends if d],
    )
    spec = mapping(task.get(task_type)) if task_type else LineDict()
    if task_type == "condition_task":
        stage.is_condition, stage.condition = True, command
    elif task_type == "for_each_task":
        stage.foreach, stage.foreach_over = True, scalar(spec.get("inputs"))
    parameters = mapping(spec.get("base_parameters") or spec.get("named_parameters"))
    stage.parameters = [
        StageParameter(name=str(k), default=scalar(v)) for k, v in parameters.items()
    ]
    return stage


def _job(source: _File, key: str, job: LineDict, line: int | None) -> Iterator[Evidence]:
    start, end = source.span(line)
    draft = PipelineDraft(
        framework=FRAMEWORK,
        name=key,
        line=start,
        end_line=end,
        text=scalar(job.get("description")) or scalar(job.get("name")),
    )
    _triggers(job, draft)
    tasks = job.get("tasks")
    runs: dict[str, str] = {}
    called: dict[str, str] = {}
    for index, raw in enumerate(seq(tasks)[:MAX_STAGES]):
        task = mapping(raw)
        name = scalar(task.get("task_key")) or f"task-{index + 1}"
        stage = _stage(source, task, name, item_line(tasks, index))
        task_type, _, file_node = _task_command(task, source.base)
        if file_node:
            runs[name] = f"file:{file_node}"
        ref = _JOB_REF.search(scalar(mapping(task.get("run_job_task")).get("job_id")) or "")
        if task_type == "run_job_task" and ref:
            called[name] = ref.group(1)
            runs[name] = pipeline_node(FRAMEWORK, ref.group(1))
        draft.stages.append(stage)
    for item in emit_pipeline(source.path, draft, source.last_line):
        if isinstance(item, PipelineStage) and item.name in runs:
            extra = Link(src=item.stage_id, dst=runs[item.name], rel="runs")
            yield item.model_copy(update={"links": (*item.links, extra)})
        else:
            yield item
    yield from _job_triggers(source.path, key, draft, called)


def _job_triggers(
    path: str, key: str, draft: PipelineDraft, called: dict[str, str]
) -> Iterator[Evidence]:
    """A ``run_job_task`` starts another job; gated on a monitored metric, it is retraining."""
    gates = {s.name for s in draft.stages if s.is_condition}
    names = " ".join([key, *(s.name for s in draft.stages)])
    for stage_name, target in called.items():
        stage = next(s for s in draft.stages if s.name == stage_name)
        gated = bool(set(stage.upstream) & gates)
        drift = gated and _DRIFT_WORDS.search(names) is not None
        yield PipelineTrigger(
            path=path,
            line=stage.line,
            name=f"{key}/{stage_name}",
            framework=FRAMEWORK,
            trigger="drift" if drift else "event",
            schedule=draft.schedule,
            target=target,
            links=(
                Link(
                    src=pipeline_node(FRAMEWORK, key),
                    dst=pipeline_node(FRAMEWORK, target),
                    rel="triggers",
                ),
            ),
        )


# --------------------------------------------------------------------------- other resources


def _serving(body: LineDict, item: dict[str, Any]) -> None:
    config = mapping(body.get("config"))
    entities = [*seq(config.get("served_entities")), *seq(config.get("served_models"))]
    item["served_entities"] = tuple(
        f"{scalar(e.get('entity_name')) or scalar(e.get('model_name'))}"
        f"@{scalar(e.get('entity_version')) or scalar(e.get('model_version'))}"
        for e in map(mapping, entities)
    )
    routes = seq(mapping(config.get("traffic_config")).get("routes"))
    traffic: dict[str, int] = {}
    for route in map(mapping, routes):
        label = scalar(route.get("served_entity_name")) or scalar(route.get("served_model_name"))
        percent = route.get("traffic_percentage")
        if label and isinstance(percent, int) and not isinstance(percent, bool):
            traffic[label] = percent
    item["traffic"] = traffic
    capture = mapping(config.get("auto_capture_config"))
    gateway = mapping(mapping(body.get("ai_gateway")).get("inference_table_config"))
    if capture or gateway:
        item["inference_table"] = capture.get("enabled", True) is not False and (
            not gateway or gateway.get("enabled") is not False
        )


def _monitor(body: LineDict, item: dict[str, Any]) -> None:
    item["table_name"] = _text(body.get("table_name"))
    item["monitor_type"] = next(
        (t for t in ("inference_log", "time_series", "snapshot") if t in body), None
    )
    item["schedule"] = _text(mapping(body.get("schedule")).get("quartz_cron_expression"))
    profile = mapping(body.get(item["monitor_type"] or ""))
    settings = item["settings"]
    for key in ("problem_type", "prediction_col", "label_col", "model_id_col"):
        if (text := _text(profile.get(key))) is not None:
            settings[key] = text
    if body.get("baseline_table_name"):
        settings["baseline_table_name"] = _text(body.get("baseline_table_name")) or ""
    metrics = [scalar(mapping(m).get("name")) or "" for m in seq(body.get("custom_metrics"))]
    if metrics:
        settings["custom_metrics"] = ", ".join(metrics)[:300]


def _resource(
    source: _File, resource_type: str, key: str, body: LineDict, line: int | None
) -> DatabricksResource:
    node = _resource_node(resource_type, key)
    item: dict[str, Any] = {
        "settings": _settings(body, frozenset({"name", "description", "comment"})),
        "resource_name": _text(body.get("name")),
    }
    links = [Link(src=f"file:{source.path}", dst=node, rel="defines")]
    if resource_type == "model_serving_endpoint":
        _serving(body, item)
    elif resource_type == "quality_monitor":
        _monitor(body, item)
        table = item.get("table_name")
        if table and "$" not in table and TEMPLATE_PLACEHOLDER not in table:
            links.append(Link(src=node, dst=f"table:{table}", rel="monitors"))
    elif resource_type == "job":
        item["schedule"] = _text(mapping(body.get("schedule")).get("quartz_cron_expression"))
        notify = [str(k) for k, v in mapping(body.get("email_notifications")).items() if v]
        if notify:
            item["settings"]["email_notifications"] = ", ".join(notify)
        links.append(Link(src=node, dst=pipeline_node(FRAMEWORK, key), rel="defines"))
    start, end = source.span(line)
    return DatabricksResource(
        path=source.path,
        line=start,
        end_line=end,
        name=key,
        modality=_MODALITY.get(resource_type, Modality.PIPELINE),
        text=_text(body.get("description")) or _text(body.get("comment")),
        resource_type=resource_type,
        key=key,
        links=tuple(links),
        **item,
    )


def _resources(source: _File, resources: LineDict) -> Iterator[Evidence]:
    count = 0
    pending = list(resources.items())
    while pending:
        plural, entries = pending.pop(0)
        resource_type = RESOURCE_TYPES.get(str(plural))
        group = mapping(entries)
        for key, raw in group.items():
            if count >= MAX_RESOURCES:
                return
            if str(key) in RESOURCE_TYPES and isinstance(raw, dict):
                pending.append((key, raw))  # a template's other branch, nested one level in
                continue
            if resource_type is None or not isinstance(raw, LineDict):
                continue
            count += 1
            line = key_line(group, key)
            yield _resource(source, resource_type, str(key), raw, line)
            if resource_type == "job":
                yield from _job(source, str(key), raw, line)


# --------------------------------------------------------------------------- bundle root


def _bundle(source: _File, doc: LineDict) -> Iterator[Evidence]:
    bundle = mapping(doc.get("bundle"))
    targets = mapping(doc.get("targets") or doc.get("environments"))
    includes = strings(doc.get("include"))
    file_node = f"file:{source.path}"
    name = scalar(bundle.get("name")) or source.base or source.path
    links = [Link(src=file_node, dst=_resource_node("bundle", name), rel="defines")]
    links.extend(
        Link(src=file_node, dst=f"file:{normalize_path(source.base, include)}", rel="includes")
        for include in includes
        if not any(c in include for c in "*?[$")
    )
    line, end = source.span(key_line(doc, "bundle") or 1)
    yield DatabricksResource(
        path=source.path,
        line=line,
        end_line=end,
        name=name,
        resource_type="bundle",
        key=name,
        targets=tuple(str(t) for t in targets),
        includes=tuple(includes),
        links=tuple(links),
        settings=_settings(bundle, frozenset({"uuid", "name"})),
    )
    for target, raw in targets.items():
        found = environment_of(str(target))
        mode = scalar(mapping(raw).get("mode"))
        environment = found[0] if found else ("prod" if mode == "production" else str(target))
        yield EnvironmentSignal(
            path=source.path,
            line=key_line(targets, target),
            name=str(target),
            environment=environment.lower(),
            raw=str(target),
            source="databricks-target",
            tool="databricks-bundle",
            text=f"mode: {mode}" if mode else None,
        )


@parser("databricks-bundle", Modality.PIPELINE, ["*.yml", "*.yaml"])
def parse_databricks_bundle(source: ParseInput) -> Iterator[Evidence]:
    """Jobs, resources and targets of a bundle root file or an included resource file."""
    root = effective_path(source.path)[0].rsplit("/", 1)[-1].lower() in _ROOT_NAMES
    text = source.text
    if not root and not (_RESOURCE_SIGNATURE.search(text) and _TYPE_SIGNATURE.search(text)):
        return
    doc = load_single_mapping(_tolerate_template(text), "Databricks bundle")
    if doc is None:
        return
    if root and not any(k in doc for k in ("bundle", "resources", "targets", "include")):
        return
    current = _File(source.path, source.lines)
    if root:
        yield from _bundle(current, doc)
    resources = doc.get("resources")
    if isinstance(resources, LineDict):
        yield from _resources(current, resources)
