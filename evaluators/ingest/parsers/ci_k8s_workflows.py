"""Tekton and Argo Workflows: Kubernetes-native pipelines (CI/CD and ML orchestration).

Matched broadly (every ``*.yaml``/``*.yml``) and claimed only when a document declares
``apiVersion: tekton.dev/...`` or ``argoproj.io/...`` with a workflow kind; anything else
(Argo CD ``Application``, Argo Rollouts, plain manifests) returns nothing. Helm-templated files
that are not YAML are skipped, not reported as unparseable.

Job ids are qualified by the resource that defines them so that several resources can share a
file:

* Tekton ``Task``/``ClusterTask`` -> job ``<task>`` whose steps are the task's steps; ``Pipeline``
  task -> job ``<pipeline>/<task>`` with ``runAfter`` and ``$(tasks.X.results...)`` references
  as needs, ``finally`` tasks needing every regular task, and ``taskRef`` as a reference (tasks
  defined in the same file are linked to their job). ``PipelineRun``/``TaskRun`` with inline
  specs are read the same way; ``EventListener``/``TriggerTemplate`` mean webhook triggers.
* Argo ``Workflow``/``WorkflowTemplate``/``ClusterWorkflowTemplate``/``CronWorkflow``: container,
  script and resource templates -> job ``<workflow>/<template>`` with one step; ``suspend``
  templates -> approval gates; DAG tasks -> ``<workflow>/<dag template>/<task>`` with
  ``dependencies``/``depends`` as needs; ``steps`` groups -> jobs needing the previous group.
  Invocation jobs take the roles of the template they run.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.ci_build import (
    MAX_IMPLICIT_NEEDS,
    JobDraft,
    PipelineDraft,
    StepDraft,
    build_evidence,
    job_node,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
    classify_ref,
    split_image,
)
from hyperscore.evaluators.ingest.parsers.ci_shell import classify_roles, split_commands
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    end_of,
    item_line,
    load_yaml_lines,
    mapping,
    parse_duration_minutes,
    scalar,
    seq,
    strings,
    summary,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

_API_RE = re.compile(
    r"^[ \t]*apiVersion[ \t]*:[ \t]*[\"']?[\w.]*(?:tekton\.dev|argoproj\.io)/", re.MULTILINE
)
_TASK_RESULT_RE = re.compile(r"\$\(tasks\.([\w-]+)\.(?:results|status)")
_DEPENDS_SUFFIX_RE = re.compile(
    r"\.(?:Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|AllFailed)"
)
_DEPENDS_NAME_RE = re.compile(r"[A-Za-z0-9][\w-]*")
_TEKTON_KINDS = frozenset(
    {
        "Task",
        "ClusterTask",
        "Pipeline",
        "PipelineRun",
        "TaskRun",
        "EventListener",
        "TriggerTemplate",
    }
)
_ARGO_KINDS = frozenset(
    {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "Sensor"}
)
_LEAF_KEYS = ("container", "script", "resource", "containerSet", "http")


def _meta_name(doc: LineDict, fallback: str) -> str:
    meta = mapping(doc.get("metadata"))
    return (
        scalar(meta.get("name")) or (scalar(meta.get("generateName")) or "").rstrip("-") or fallback
    )


def _container_env(container: dict[Any, Any], step: StepDraft) -> None:
    """Env names, with ``secretKeyRef`` values recorded as ``k8s-secret:<name>`` sources."""
    for entry in seq(container.get("env")):
        item = mapping(entry)
        name = scalar(item.get("name"))
        if not name:
            continue
        secret = mapping(mapping(item.get("valueFrom")).get("secretKeyRef"))
        if secret:
            step.env[name] = "secretKeyRef"
            step.secrets.add(f"k8s-secret:{scalar(secret.get('name')) or '?'}")
            step.secret_vars.add(name)
        else:
            step.env[name] = scalar(item.get("value")) or ""
    for source in seq(container.get("envFrom")):
        secret_name = scalar(mapping(mapping(source).get("secretRef")).get("name"))
        if secret_name:
            step.secrets.add(f"k8s-secret:{secret_name}")


def _container_step(
    container: dict[Any, Any], line: int | None, end: int | None, script: str | None = None
) -> StepDraft:
    run = script or scalar(container.get("script"))
    if run is None:
        parts = strings(container.get("command")) + strings(container.get("args"))
        if (
            len(parts) >= 3
            and parts[0] in {"sh", "bash", "/bin/sh", "/bin/bash"}
            and parts[1] == "-c"
        ):
            run = parts[2]
        elif parts:
            run = shlex.join(parts)
    step = StepDraft(name=scalar(container.get("name")) or "", line=line, end_line=end, run=run)
    step.image = scalar(container.get("image"))
    step.working_directory = scalar(container.get("workingDir"))
    _container_env(container, step)
    return step


def _draft_roles(job: JobDraft) -> set[str]:
    """Roles from step names and commands, for invocations that run this job's template."""
    commands = [c for s in job.steps for c in split_commands(s.run or "")]
    return classify_roles([s.name for s in job.steps], commands, None)


# --------------------------------------------------------------------------- Tekton


def _task_ref(ref: dict[Any, Any], line: int | None) -> ActionRef:
    name = scalar(ref.get("name")) or ""
    bundle = scalar(ref.get("bundle"))
    params = {
        scalar(mapping(p).get("name")): scalar(mapping(p).get("value"))
        for p in seq(ref.get("params"))
    }
    if bundle or params.get("bundle"):
        image, tag = split_image(bundle or params.get("bundle") or "")
        return ActionRef(
            action=f"{image}:{params.get('name') or name}",
            ref=tag,
            pin=classify_ref(tag),
            third_party=True,
            line=line,
        )
    resolver = scalar(ref.get("resolver"))
    if resolver:
        version = params.get("version") or params.get("revision")
        action = params.get("name") or params.get("pathInRepo") or params.get("url") or name
        return ActionRef(
            action=f"{resolver}:{action}",
            ref=version,
            pin=classify_ref(version),
            third_party=True,
            line=line,
        )
    return ActionRef(action=name, pin="none", line=line)


def _tekton_task_job(
    job_id: str, spec: dict[Any, Any], line: int | None, end: int | None
) -> JobDraft:
    job = JobDraft(job_id=job_id, line=line, end_line=end)
    steps = spec.get("steps")
    for idx, raw in enumerate(seq(steps)):
        job.steps.append(_container_step(mapping(raw), item_line(steps, idx), end_of(raw)))
    job.services = [
        s for s in (scalar(mapping(c).get("image")) for c in seq(spec.get("sidecars"))) if s
    ]
    for volume in seq(spec.get("volumes")):
        secret = scalar(mapping(mapping(volume).get("secret")).get("secretName"))
        if secret:
            job.secrets.add(f"k8s-secret:{secret}")
    return job


def _tekton_pipeline(
    name: str, spec: dict[Any, Any], path: str, local_tasks: dict[str, JobDraft]
) -> list[JobDraft]:
    jobs: list[JobDraft] = []
    regular: list[str] = []
    for section in ("tasks", "finally"):
        tasks = spec.get(section)
        for idx, raw in enumerate(seq(tasks)):
            task = mapping(raw)
            task_name = scalar(task.get("name")) or f"task{idx + 1}"
            line = item_line(tasks, idx)
            job = JobDraft(
                job_id=f"{name}/{task_name}",
                line=line,
                end_line=end_of(raw),
                display_name=task_name,
            )
            references = summary(task.get("params"), 5000) + " " + summary(task.get("when"), 2000)
            deps = strings(task.get("runAfter")) + _TASK_RESULT_RE.findall(references)
            if section == "finally":
                job.needs, job.needs_source = regular[:MAX_IMPLICIT_NEEDS], "stage-order"
            elif deps:
                job.needs, job.needs_source = (
                    [f"{name}/{d}" for d in dict.fromkeys(deps)],
                    "explicit",
                )
            if "when" in task:
                job.condition = summary(task["when"])
            job.timeout_minutes = parse_duration_minutes(task.get("timeout"), bare_unit="s")
            ref = task.get("taskRef")
            if isinstance(ref, dict):
                job.uses = _task_ref(ref, line)
                target = local_tasks.get(scalar(ref.get("name")) or "")
                if target is not None and not ref.get("resolver") and not ref.get("bundle"):
                    job.uses = job.uses.model_copy(update={"pin": "local"})
                    job.extra_links.append(
                        Link(
                            src=job_node(path, job.job_id),
                            dst=job_node(path, target.job_id),
                            rel="uses",
                        )
                    )
                    job.roles |= _draft_roles(target)
            inline = mapping(task.get("taskSpec"))
            if inline:
                job.steps = _tekton_task_job(job.job_id, inline, line, None).steps
            if section == "tasks":
                regular.append(job.job_id)
            jobs.append(job)
    return jobs


def _tekton(docs: list[LineDict], path: str, end_line: int | None) -> list[Evidence]:
    draft = PipelineDraft(system="tekton", name=path, end_line=end_line)
    local_tasks: dict[str, JobDraft] = {}
    jobs: list[JobDraft] = []
    for idx, doc in enumerate(docs):
        kind = scalar(doc.get("kind")) or ""
        name = _meta_name(doc, f"{kind.lower()}-{idx + 1}")
        spec = mapping(doc.get("spec"))
        if kind in {"Task", "ClusterTask"}:
            job = _tekton_task_job(name, spec, doc.start or None, doc.end or None)
            local_tasks[name] = job
            jobs.append(job)
        elif kind == "TaskRun" and isinstance(spec.get("taskSpec"), dict):
            jobs.append(
                _tekton_task_job(
                    name, mapping(spec["taskSpec"]), doc.start or None, doc.end or None
                )
            )
        if kind in {"PipelineRun", "TaskRun"}:
            draft.triggers.append("manual")
            draft.events.append(kind)
        elif kind in {"EventListener", "TriggerTemplate"}:
            draft.triggers.append("webhook")
            draft.events.append(kind)
    for idx, doc in enumerate(docs):
        kind = scalar(doc.get("kind")) or ""
        name = _meta_name(doc, f"{kind.lower()}-{idx + 1}")
        spec = mapping(doc.get("spec"))
        if kind == "Pipeline":
            draft.name = name if draft.name == path else draft.name
            jobs += _tekton_pipeline(name, spec, path, local_tasks)
        elif kind == "PipelineRun" and isinstance(spec.get("pipelineSpec"), dict):
            jobs += _tekton_pipeline(name, mapping(spec["pipelineSpec"]), path, local_tasks)
    return build_evidence(path, draft, jobs)


# --------------------------------------------------------------------------- Argo Workflows


def _argo_leaf(wf: str, template: LineDict, line: int | None) -> JobDraft | None:
    name = scalar(template.get("name")) or "template"
    job = JobDraft(
        job_id=f"{wf}/{name}", line=line, end_line=end_of(template) or line, display_name=name
    )
    job.timeout_minutes = parse_duration_minutes(
        template.get("activeDeadlineSeconds"), bare_unit="s"
    )
    if "suspend" in template:
        job.manual_approval = True
        return job
    if "script" in template:
        script = mapping(template["script"])
        job.steps.append(
            _container_step(script, line, end_of(template), scalar(script.get("source")))
        )
    elif "container" in template:
        job.steps.append(_container_step(mapping(template["container"]), line, end_of(template)))
    elif "containerSet" in template:
        for raw in seq(mapping(template["containerSet"]).get("containers")):
            job.steps.append(_container_step(mapping(raw), line, end_of(template)))
    elif "resource" in template:
        resource = mapping(template["resource"])
        action = scalar(resource.get("action")) or "apply"
        job.steps.append(
            StepDraft(
                name=f"resource {action}",
                line=line,
                end_line=end_of(template),
                run=f"kubectl {action} -f -",
            )
        )
    elif "http" in template:
        job.steps.append(
            StepDraft(
                name="http",
                line=line,
                run=f"curl {scalar(mapping(template['http']).get('url')) or ''}",
            )
        )
    else:
        return None
    job.image = next((s.image for s in job.steps if s.image), None)
    return job


def _argo_invocation(
    wf: str,
    owner: str,
    entry: LineDict,
    line: int | None,
    *,
    leaves: dict[str, JobDraft],
    path: str,
) -> JobDraft:
    task = scalar(entry.get("name")) or "task"
    job = JobDraft(
        job_id=f"{wf}/{owner}/{task}", line=line, end_line=end_of(entry) or line, display_name=task
    )
    job.condition = scalar(entry.get("when"))
    template = scalar(entry.get("template"))
    ref = mapping(entry.get("templateRef"))
    if ref:
        job.uses = ActionRef(
            action=f"{scalar(ref.get('name'))}/{scalar(ref.get('template'))}", pin="none", line=line
        )
    elif template:
        job.uses = ActionRef(action=f"{wf}/{template}", pin="local", line=line)
        leaf = leaves.get(template)
        if leaf is not None:
            job.extra_links.append(
                Link(src=job_node(path, job.job_id), dst=job_node(path, leaf.job_id), rel="uses")
            )
            job.roles |= _draft_roles(leaf)
            job.manual_approval = leaf.manual_approval
            job.image = leaf.image
    return job


def _argo_workflow(wf: str, spec: dict[Any, Any], path: str) -> list[JobDraft]:
    templates = spec.get("templates")
    leaves: dict[str, JobDraft] = {}
    jobs: list[JobDraft] = []
    for idx, raw in enumerate(seq(templates)):
        template = mapping(raw)
        leaf = _argo_leaf(wf, template, item_line(templates, idx))
        if leaf is not None:
            leaves[scalar(template.get("name")) or ""] = leaf
            jobs.append(leaf)
    for idx, raw in enumerate(seq(templates)):
        template = mapping(raw)
        owner = scalar(template.get("name")) or f"template{idx + 1}"
        tasks = mapping(template.get("dag")).get("tasks")
        for tdx, entry in enumerate(seq(tasks)):
            job = _argo_invocation(
                wf, owner, mapping(entry), item_line(tasks, tdx), leaves=leaves, path=path
            )
            body = mapping(entry)
            deps = strings(body.get("dependencies"))
            depends = scalar(body.get("depends"))
            if depends:
                deps += _DEPENDS_NAME_RE.findall(_DEPENDS_SUFFIX_RE.sub("", depends))
            if deps:
                job.needs, job.needs_source = (
                    [f"{wf}/{owner}/{d}" for d in dict.fromkeys(deps)],
                    "explicit",
                )
            jobs.append(job)
        previous: list[str] = []
        groups = template.get("steps")
        for gdx, group in enumerate(seq(groups)):
            members = group if isinstance(group, list) else [group]
            current: list[str] = []
            for mdx, entry in enumerate(members):
                line = item_line(group, mdx) or item_line(groups, gdx)
                job = _argo_invocation(wf, owner, mapping(entry), line, leaves=leaves, path=path)
                job.needs = previous[:MAX_IMPLICIT_NEEDS]
                job.needs_source = "stage-order" if previous else "none"
                jobs.append(job)
                current.append(job.job_id)
            previous = current or previous
    return jobs


def _argo(docs: list[LineDict], path: str, end_line: int | None) -> list[Evidence]:
    draft = PipelineDraft(system="argo-workflows", name=path, end_line=end_line)
    jobs: list[JobDraft] = []
    for idx, doc in enumerate(docs):
        kind = scalar(doc.get("kind")) or ""
        spec = mapping(doc.get("spec"))
        draft.events.append(kind)
        if kind == "Sensor":
            draft.triggers.append("webhook")
            continue
        wf = _meta_name(doc, f"{kind.lower()}-{idx + 1}")
        if draft.name == path:
            draft.name = wf
        if kind == "CronWorkflow":
            draft.schedules += strings(spec.get("schedule")) + strings(spec.get("schedules"))
            draft.triggers.append("schedule")
            spec = mapping(spec.get("workflowSpec"))
        elif kind == "Workflow":
            draft.triggers.append("manual")
        jobs += _argo_workflow(wf, spec, path)
    return build_evidence(path, draft, jobs)


@parser("ci-k8s-workflows", Modality.CI, ["*.yaml", "*.yml"])
def parse_k8s_workflows(source: ParseInput) -> list[Evidence]:
    """Tekton and Argo Workflows resources (cheap text check first; other YAML -> nothing)."""
    if not _API_RE.search(source.text):
        return []
    try:
        loaded = load_yaml_lines(source.text)
    except FormatError:
        if "{{" in source.text:
            return []  # a Helm/Kustomize template, not YAML until rendered
        raise
    docs = [d for d in loaded if isinstance(d, LineDict)]
    tekton = [
        d
        for d in docs
        if "tekton.dev/" in str(d.get("apiVersion", "")) and d.get("kind") in _TEKTON_KINDS
    ]
    argo = [
        d
        for d in docs
        if str(d.get("apiVersion", "")).startswith("argoproj.io/") and d.get("kind") in _ARGO_KINDS
    ]
    out: list[Evidence] = []
    if tekton:
        out += _tekton(tekton, source.path, len(source.lines) or None)
    if argo and any(d.get("kind") != "Sensor" for d in argo):
        out += _argo(argo, source.path, len(source.lines) or None)
    return out
