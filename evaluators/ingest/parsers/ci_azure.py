"""Azure Pipelines (``azure-pipelines*.yml``, ``.azure-pipelines/``, ``.azuredevops/``).

``trigger``/``pr``/``schedules``/pipeline resources become triggers; stages -> jobs (and
deployment jobs with their ``environment`` and strategy hooks) -> steps (``script``/``bash``/
``pwsh``, ``task: Name@N`` as a version-pinned reference, templates as local or repository
references). Jobs are ``<stage>/<job>`` when stages exist. Stages without ``dependsOn`` follow
the previous stage; a job without ``dependsOn`` needs every job of the stages its stage depends
on (``needs_source="stage-order"``). Variable groups and Key Vault tasks are recorded as secret
sources (``variable-group:<name>``, ``key-vault:<name>``); secret values never are.
"""

from __future__ import annotations

from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_build import (
    MAX_IMPLICIT_NEEDS,
    JobDraft,
    PipelineDraft,
    StepDraft,
    add_matrix_values,
    add_python_version,
    build_evidence,
    stage_links,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    Budget,
    end_of,
    item_line,
    key_line,
    load_single_mapping,
    mapping,
    parse_duration_minutes,
    scalar,
    seq,
    strings,
    truthy,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_AZURE_SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
_AZURE_APPROVAL_TASKS = frozenset({"manualvalidation", "manualintervention"})


def _yaml_name(name: str) -> bool:
    return name.endswith((".yml", ".yaml"))


def _is_azure(path: str) -> bool:
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    if name.startswith("azure-pipelines") and _yaml_name(name):
        return True
    return low.startswith((".azure-pipelines/", ".azuredevops/", ".pipelines/")) and _yaml_name(
        name
    )


def _azure_filter(draft: PipelineDraft, value: Any, trigger: str, key: str, present: bool) -> None:
    """``trigger``/``pr``: absent = default on (all branches), ``none`` = off, else filters."""
    if not present:
        draft.triggers.append(trigger)
        return
    draft.events.append(key)
    if scalar(value) == "none" or value is False:
        return
    draft.triggers.append(trigger)
    if isinstance(value, dict):
        draft.branches += strings(mapping(value.get("branches")).get("include"))
        draft.paths += strings(mapping(value.get("paths")).get("include"))
        if mapping(value.get("tags")).get("include") is not None and trigger == "push":
            draft.triggers.append("tag")
    else:
        draft.branches += strings(value)


def _azure_variables(value: Any, secrets: set[str]) -> dict[str, str]:
    """Both forms of ``variables``; variable groups become ``variable-group:<name>`` sources."""
    if isinstance(value, dict):
        return {str(k): scalar(v) or "" for k, v in value.items()}
    out: dict[str, str] = {}
    for item in seq(value):
        entry = mapping(item)
        if "group" in entry:
            secrets.add(f"variable-group:{scalar(entry['group'])}")
        elif "name" in entry:
            out[str(scalar(entry["name"]))] = scalar(entry.get("value")) or ""
    return out


def _azure_step(raw: Any, idx: int, steps: Any, job: JobDraft) -> StepDraft:
    body = mapping(raw)
    line = item_line(steps, idx)
    step = StepDraft(name=scalar(body.get("displayName")) or "", line=line, end_line=end_of(raw))
    step.step_id = scalar(body.get("name"))
    step.env = {str(k): scalar(v) or "" for k, v in mapping(body.get("env")).items()}
    step.condition = scalar(body.get("condition"))
    step.continue_on_error = truthy(body.get("continueOnError"))
    step.working_directory = scalar(body.get("workingDirectory"))
    for key in _AZURE_SCRIPT_KEYS:
        if key in body:
            step.run, step.shell = scalar(body[key]), (None if key == "script" else key)
    task = scalar(body.get("task"))
    inputs = mapping(body.get("inputs"))
    if task:
        name, _, version = task.partition("@")
        step.uses = ActionRef(
            action=name,
            ref=version or None,
            pin="tag" if version else "none",
            third_party="." in name,
            line=key_line(body, "task") or line,
        )
        step.with_inputs = {str(k): scalar(v) or "" for k, v in inputs.items()}
        lowered = name.lower()
        if lowered in _AZURE_APPROVAL_TASKS:
            job.manual_approval = True
        if lowered == "usepythonversion" and inputs.get("versionSpec") is not None:
            add_python_version(job, inputs["versionSpec"])
        if lowered == "azurekeyvault":
            step.secrets |= {f"key-vault:{scalar(inputs.get('KeyVaultName')) or '?'}"}
        step.run = step.run or scalar(inputs.get("script")) or scalar(inputs.get("inlineScript"))
        script_path = scalar(inputs.get("scriptPath"))
        if lowered == "pythonscript" and script_path and not step.run:
            step.run = f"python {script_path} {scalar(inputs.get('arguments')) or ''}".strip()
    template = scalar(body.get("template"))
    if template:
        step.uses = _azure_template(template, key_line(body, "template") or line)
    if "checkout" in body:
        step.name = step.name or f"checkout {scalar(body['checkout'])}"
    return step


def _azure_template(template: str, line: int | None) -> ActionRef:
    path, _, repo = template.partition("@")
    if repo and repo != "self":
        return ActionRef(action=f"{repo}:{path}", pin="none", third_party=True, line=line)
    return ActionRef(action=path, pin="local", line=line)


def _collect_steps(node: Any, budget: Budget, depth: int = 0) -> list[tuple[Any, Any]]:
    """(steps list, item) pairs in a deployment strategy (runOnce/rolling/canary hooks)."""
    out: list[tuple[Any, Any]] = []
    if depth > 6 or not isinstance(node, dict):
        return out
    for key, value in node.items():
        budget.spend()
        if key == "steps":
            out += [(value, item) for item in seq(value)]
        else:
            out += _collect_steps(value, budget, depth + 1)
    return out


def _azure_job(
    raw: Any, idx: int, jobs: Any, stage: str | None, containers: dict[str, str]
) -> JobDraft:
    body = mapping(raw)
    name = scalar(body.get("job")) or scalar(body.get("deployment"))
    template = scalar(body.get("template"))
    name = name or template or f"job{idx + 1}"
    job = JobDraft(
        job_id=f"{stage}/{name}" if stage else name, line=item_line(jobs, idx), end_line=end_of(raw)
    )
    job.display_name = scalar(body.get("displayName"))
    job.stage = stage
    if template:
        job.uses = _azure_template(template, key_line(body, "template"))
    if "dependsOn" in body:
        job.needs_source = "explicit"
        job.needs = [f"{stage}/{d}" if stage else d for d in strings(body["dependsOn"])]
    pool = body.get("pool")
    job.runs_on = (
        [s for s in (scalar(mapping(pool).get("vmImage")), scalar(mapping(pool).get("name"))) if s]
        if isinstance(pool, dict)
        else strings(pool)
    )
    container = body.get("container")
    image = scalar(container) if not isinstance(container, dict) else scalar(container.get("image"))
    job.image = containers.get(image or "", image)
    job.services = [
        containers.get(v, v)
        for v in (scalar(s) for s in mapping(body.get("services")).values())
        if v
    ]
    environment = body.get("environment")
    job.environment = (
        scalar(environment)
        if not isinstance(environment, dict)
        else scalar(environment.get("name"))
    )
    strategy = mapping(body.get("strategy"))
    for combo in mapping(strategy.get("matrix")).values():
        for key, value in mapping(combo).items():
            add_matrix_values(job, str(key), value)
    job.timeout_minutes = parse_duration_minutes(body.get("timeoutInMinutes"))
    job.continue_on_error = truthy(body.get("continueOnError"))
    job.condition = scalar(body.get("condition"))
    job.env = _azure_variables(body.get("variables"), job.secrets)
    own_steps = [(body.get("steps"), item) for item in seq(body.get("steps"))]
    pairs = own_steps + _collect_steps(strategy, Budget(5_000, "deployment strategy"))
    positions: dict[int, int] = {}
    for steps_list, item in pairs:
        pos = positions.get(id(steps_list), 0)
        positions[id(steps_list)] = pos + 1
        job.steps.append(_azure_step(item, pos, steps_list, job))
    return job


@parser("ci-azure-pipelines", Modality.CI, _is_azure)
def parse_azure_pipelines(source: ParseInput) -> list[Evidence]:
    """Triggers, stages/jobs/steps with dependsOn ordering, tasks as pinned references."""
    doc = load_single_mapping(source.text, "Azure pipeline")
    if doc is None or not any(k in doc for k in ("stages", "jobs", "steps", "extends")):
        return []
    draft = PipelineDraft(system="azure-pipelines", name=scalar(doc.get("name")) or source.path)
    draft.end_line = len(source.lines) or None
    draft.fragment = "parameters" in doc and not any(
        k in doc for k in ("trigger", "pr", "schedules", "pool")
    )
    _azure_filter(draft, doc.get("trigger"), "push", "trigger", "trigger" in doc)
    _azure_filter(draft, doc.get("pr"), "pull_request", "pr", "pr" in doc)
    for schedule in seq(doc.get("schedules")):
        cron = scalar(mapping(schedule).get("cron"))
        if cron:
            draft.schedules.append(cron)
            draft.triggers.append("schedule")
    resources = mapping(doc.get("resources"))
    for pipeline in seq(resources.get("pipelines")):
        entry = mapping(pipeline)
        if entry.get("trigger") not in (None, "none", False):
            draft.triggers.append("pipeline")
            draft.upstream.append(
                scalar(entry.get("source")) or scalar(entry.get("pipeline")) or ""
            )
    containers = {
        scalar(mapping(c).get("container")) or "": scalar(mapping(c).get("image")) or ""
        for c in seq(resources.get("containers"))
    }
    draft.env = _azure_variables(doc.get("variables"), draft.secrets)
    extends = mapping(doc.get("extends"))
    if scalar(extends.get("template")):
        draft.uses.append(
            _azure_template(scalar(extends["template"]) or "", key_line(extends, "template"))
        )
    jobs: list[JobDraft] = []
    if "stages" in doc:
        stages_raw = doc.get("stages")
        previous: str | None = None
        stage_jobs: dict[str, list[str]] = {}
        stage_deps: dict[str, list[str]] = {}
        for idx, raw_stage in enumerate(seq(stages_raw)):
            stage_map = mapping(raw_stage)
            stage = (
                scalar(stage_map.get("stage"))
                or scalar(stage_map.get("template"))
                or f"stage{idx + 1}"
            )
            draft.stages.append(stage)
            deps = (
                strings(stage_map["dependsOn"])
                if "dependsOn" in stage_map
                else ([previous] if previous else [])
            )
            stage_deps[stage] = deps
            draft.stage_order += [(dep, stage) for dep in deps]
            stage_list = stage_map.get("jobs")
            for jdx, raw_job in enumerate(seq(stage_list)):
                job = _azure_job(raw_job, jdx, stage_list, stage, containers)
                job.stage_index = idx
                job.condition = job.condition or scalar(stage_map.get("condition"))
                jobs.append(job)
                stage_jobs.setdefault(stage, []).append(job.job_id)
            if scalar(stage_map.get("template")):
                job = JobDraft(
                    job_id=stage,
                    line=item_line(stages_raw, idx),
                    end_line=end_of(raw_stage),
                    stage=stage,
                    stage_index=idx,
                )
                job.uses = _azure_template(
                    scalar(stage_map["template"]) or "", key_line(stage_map, "template")
                )
                jobs.append(job)
                stage_jobs.setdefault(stage, []).append(job.job_id)
            previous = stage
        for job in jobs:
            if job.needs_source == "none" and job.stage:
                deps = [j for d in stage_deps.get(job.stage, []) for j in stage_jobs.get(d, [])]
                job.needs = deps[:MAX_IMPLICIT_NEEDS]
                job.needs_source = "stage-order" if job.needs else "none"
        stage_links(source.path, draft, jobs)
    elif "jobs" in doc:
        jobs = [
            _azure_job(raw, idx, doc["jobs"], None, containers)
            for idx, raw in enumerate(seq(doc["jobs"]))
        ]
    elif "steps" in doc:
        job = JobDraft(job_id="job", line=key_line(doc, "steps"), end_line=end_of(doc.get("steps")))
        job.runs_on = (
            strings(doc.get("pool"))
            if not isinstance(doc.get("pool"), dict)
            else strings(mapping(doc["pool"]).get("vmImage"))
        )
        job.steps = [
            _azure_step(item, idx, doc["steps"], job) for idx, item in enumerate(seq(doc["steps"]))
        ]
        jobs = [job]
    return build_evidence(source.path, draft, jobs)
