"""CircleCI (``.circleci/config.yml``) and Bitbucket Pipelines (``bitbucket-pipelines.yml``).

* CircleCI: ``jobs`` (docker/machine executors: first docker image is the job image, the rest
  are services), orbs as version-pinned references (``@volatile`` counts as unpinned),
  ``workflows`` with ``requires`` (-> needs, aliases resolved), contexts (recorded as
  ``context:<name>`` secret sources), approval jobs (``type: approval`` -> a job with
  ``manual_approval``), orb jobs used directly in workflows, and scheduled triggers.
* Bitbucket: every ``step`` is a job (``<section>/<n>``, e.g. ``branches/main/2``); steps run in
  order within a pipeline and members of a ``parallel`` group run together
  (``needs_source="stage-order"``). Consecutive script lines form one step, each pipe is a step
  with a pinned reference (``atlassian/aws-s3-deploy:1.1.0``); ``trigger: manual`` marks an
  approval gate and ``deployment`` names the environment.

Azure Pipelines lives in ``ci_azure``; build services in ``ci_cloud``; Travis/AppVeyor/Drone in
``ci_legacy``.
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
    is_python_key,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
    split_image,
    versioned_ref,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    end_of,
    item_line,
    key_line,
    load_single_mapping,
    mapping,
    parse_duration_minutes,
    scalar,
    seq,
    strings,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_MAX_NESTING = 5

# --------------------------------------------------------------------------- CircleCI


def _is_circleci(path: str) -> bool:
    low = path.lower()
    return low.startswith(".circleci/") and low.endswith((".yml", ".yaml"))


def _orb_refs(doc: LineDict) -> dict[str, ActionRef]:
    orbs_map = doc.get("orbs")
    out: dict[str, ActionRef] = {}
    for alias, value in mapping(orbs_map).items():
        line = key_line(orbs_map, alias)
        text = scalar(value)
        if text:
            name, _, version = text.partition("@")
            ref = versioned_ref(name, version or None, line)
            out[str(alias)] = (
                ref.model_copy(update={"pin": "none"}) if version == "volatile" else ref
            )
        else:
            out[str(alias)] = ActionRef(action=f"inline:{alias}", pin="local", line=line)
    return out


def _orb_member(name: str, orbs: dict[str, ActionRef], line: int | None) -> ActionRef | None:
    """``alias/command`` or ``alias/job`` of a declared orb, with the orb's pin."""
    alias, _, member = name.partition("/")
    orb = orbs.get(alias)
    if orb is None or not member:
        return None
    return orb.model_copy(update={"action": f"{orb.action}/{member}", "line": line})


def _circle_steps(steps: Any, orbs: dict[str, ActionRef], depth: int = 0) -> list[StepDraft]:
    out: list[StepDraft] = []
    for idx, item in enumerate(seq(steps)):
        line = item_line(steps, idx)
        key = (
            scalar(item)
            if not isinstance(item, dict)
            else (str(next(iter(item))) if item else None)
        )
        if key is None:
            continue
        value = item[key] if isinstance(item, dict) else None
        if key in {"when", "unless"} and depth < _MAX_NESTING:
            out += _circle_steps(mapping(value).get("steps"), orbs, depth + 1)
            continue
        step = StepDraft(name="", line=line, end_line=end_of(item))
        if key == "run":
            body = mapping(value)
            step.run = scalar(value) if not isinstance(value, dict) else scalar(body.get("command"))
            step.name = scalar(body.get("name")) or ""
            step.shell = scalar(body.get("shell"))
            step.working_directory = scalar(body.get("working_directory"))
            step.env = {
                str(k): scalar(v) or "" for k, v in mapping(body.get("environment")).items()
            }
        else:
            step.name = key
            step.uses = _orb_member(key, orbs, line)
            step.with_inputs = {str(k): scalar(v) or "" for k, v in mapping(value).items()}
        out.append(step)
    return out


def _circle_job(
    name: str, raw: Any, jobs_map: Any, doc: LineDict, orbs: dict[str, ActionRef]
) -> JobDraft:
    body = mapping(raw)
    job = JobDraft(job_id=name, line=key_line(jobs_map, name), end_line=end_of(raw))
    executor = body.get("executor")
    executor_name = (
        scalar(executor) if not isinstance(executor, dict) else scalar(executor.get("name"))
    )
    source = body
    if executor_name and not any(k in body for k in ("docker", "machine", "macos")):
        source = mapping(mapping(doc.get("executors")).get(executor_name))
        job.runs_on.append(executor_name)
    images = [i for i in (scalar(mapping(d).get("image")) for d in seq(source.get("docker"))) if i]
    if images:
        job.image, job.services = images[0], images[1:]
    machine = source.get("machine")
    if machine is not None:
        job.runs_on.append(scalar(mapping(machine).get("image")) or "machine")
    if "macos" in source:
        job.runs_on.append("macos")
    job.runs_on += strings(body.get("resource_class", source.get("resource_class")))
    job.env = {str(k): scalar(v) or "" for k, v in mapping(body.get("environment")).items()}
    for param, spec in mapping(body.get("parameters")).items():
        if is_python_key(str(param)) and isinstance(spec, dict) and "default" in spec:
            add_python_version(job, spec["default"])
    job.steps = _circle_steps(body.get("steps"), orbs)
    return job


def _circle_workflows(
    doc: LineDict, draft: PipelineDraft, jobs: dict[str, JobDraft], orbs: dict[str, ActionRef]
) -> None:
    push = False
    for wf_name, workflow in mapping(doc.get("workflows")).items():
        if wf_name == "version" or not isinstance(workflow, dict):
            continue
        triggers = seq(workflow.get("triggers"))
        push = push or not triggers
        for trigger in triggers:
            schedule = mapping(mapping(trigger).get("schedule"))
            if scalar(schedule.get("cron")):
                draft.schedules.append(scalar(schedule.get("cron")) or "")
                draft.triggers.append("schedule")
        if "scheduled_pipeline" in str(workflow.get("when")):
            draft.triggers.append("schedule")
        wf_jobs = workflow.get("jobs")
        entries: list[tuple[str, str, LineDict, int | None]] = []
        for idx, entry in enumerate(seq(wf_jobs)):
            job_name = (
                str(next(iter(entry))) if isinstance(entry, dict) and entry else scalar(entry)
            )
            if not job_name:
                continue
            params = mapping(entry[job_name]) if isinstance(entry, dict) else LineDict()
            entries.append(
                (job_name, scalar(params.get("name")) or job_name, params, item_line(wf_jobs, idx))
            )
        alias_of = {
            instance: job_name if job_name in jobs else instance
            for job_name, instance, _, _ in entries
        }
        for job_name, instance, params, line in entries:
            target = jobs.get(job_name) or jobs.get(instance)
            if target is None:
                target = JobDraft(job_id=instance, line=line, end_line=end_of(params) or line)
                target.manual_approval = scalar(params.get("type")) == "approval"
                target.uses = _orb_member(job_name, orbs, line)
                jobs[instance] = target
            requires = [alias_of.get(r, r) for r in strings(params.get("requires"))]
            if requires:
                target.needs = list(dict.fromkeys([*target.needs, *requires]))
                target.needs_source = "explicit"
            target.secrets |= {f"context:{c}" for c in strings(params.get("context"))}
            filters = mapping(params.get("filters"))
            draft.branches += strings(mapping(filters.get("branches")).get("only"))
            if mapping(filters.get("tags")).get("only") is not None:
                draft.triggers.append("tag")
            for key, values in mapping(mapping(params.get("matrix")).get("parameters")).items():
                add_matrix_values(target, str(key), values)
    if push or not mapping(doc.get("workflows")):
        draft.triggers.insert(0, "push")


@parser("ci-circleci", Modality.CI, _is_circleci)
def parse_circleci(source: ParseInput) -> list[Evidence]:
    """Jobs, orbs (pins), workflows (requires, contexts, approvals, schedules)."""
    doc = load_single_mapping(source.text, "CircleCI config")
    if doc is None or not any(k in doc for k in ("jobs", "workflows")):
        return []
    draft = PipelineDraft(system="circleci", name=source.path, end_line=len(source.lines) or None)
    orbs = _orb_refs(doc)
    draft.uses = list(orbs.values())
    jobs_map = doc.get("jobs")
    jobs = {
        str(name): _circle_job(str(name), raw, jobs_map, doc, orbs)
        for name, raw in mapping(jobs_map).items()
    }
    _circle_workflows(doc, draft, jobs, orbs)
    return build_evidence(source.path, draft, list(jobs.values()))


# --------------------------------------------------------------------------- Bitbucket


def _image_name(value: Any) -> str | None:
    return scalar(value.get("name")) if isinstance(value, dict) else scalar(value)


def _pipe_ref(text: str, line: int | None) -> ActionRef:
    name, tag = split_image(text.removeprefix("docker://"))
    return versioned_ref(name, tag, line)


def _bitbucket_steps(body: LineDict) -> list[StepDraft]:
    out: list[StepDraft] = []
    for section in ("script", "after-script"):
        items = body.get(section)
        pending: list[str] = []
        pending_line: int | None = None
        for idx, item in enumerate(seq(items)):
            pipe = scalar(mapping(item).get("pipe")) if isinstance(item, dict) else None
            if pipe is None:
                text = scalar(item)
                if text is not None:
                    pending_line = pending_line or item_line(items, idx)
                    pending.append(text)
                continue
            if pending:
                out.append(
                    StepDraft(
                        name=section, line=pending_line, run="\n".join(pending), commands=pending
                    )
                )
                pending, pending_line = [], None
            line = item_line(items, idx)
            variables = mapping(mapping(item).get("variables"))
            out.append(
                StepDraft(
                    name="",
                    line=line,
                    end_line=end_of(item),
                    uses=_pipe_ref(pipe, line),
                    with_inputs={str(k): scalar(v) or "" for k, v in variables.items()},
                )
            )
        if pending:
            out.append(
                StepDraft(
                    name=section,
                    line=pending_line,
                    end_line=end_of(items),
                    run="\n".join(pending),
                    commands=pending,
                )
            )
    return out


def _bitbucket_job(
    job_id: str, raw: Any, line: int | None, draft: PipelineDraft, services: dict[str, str]
) -> JobDraft:
    body = mapping(raw)
    job = JobDraft(
        job_id=job_id, line=line, end_line=end_of(raw), display_name=scalar(body.get("name"))
    )
    job.image = _image_name(body.get("image")) or draft.image
    job.services = [services.get(s, s) for s in strings(body.get("services")) if s != "docker"]
    job.environment = scalar(body.get("deployment"))
    job.manual_approval = scalar(body.get("trigger")) == "manual"
    job.timeout_minutes = parse_duration_minutes(body.get("max-time"))
    job.runs_on = strings(body.get("runs-on")) + strings(body.get("size"))
    changes = strings(mapping(mapping(body.get("condition")).get("changesets")).get("includePaths"))
    job.condition = f"changesets: {', '.join(changes)}" if changes else None
    job.steps = _bitbucket_steps(body)
    return job


def _bitbucket_sequence(
    prefix: str, items: Any, draft: PipelineDraft, services: dict[str, str]
) -> list[JobDraft]:
    """Jobs of one pipeline: sequential items, parallel groups, stages (sequential inside)."""
    jobs: list[JobDraft] = []
    previous: list[str] = []
    for idx, item in enumerate(seq(items)):
        entry = mapping(item)
        groups: list[list[tuple[Any, int | None]]] = []
        stage_name: str | None = None
        if "step" in entry:
            groups = [[(entry["step"], item_line(items, idx))]]
        elif "parallel" in entry:
            parallel = entry["parallel"]
            members = mapping(parallel).get("steps") if isinstance(parallel, dict) else parallel
            groups = [
                [
                    (mapping(m)["step"], item_line(members, i))
                    for i, m in enumerate(seq(members))
                    if "step" in mapping(m)
                ]
            ]
        elif "stage" in entry:
            stage = mapping(entry["stage"])
            stage_name = scalar(stage.get("name"))
            members = stage.get("steps")
            groups = [
                [(mapping(m)["step"], item_line(members, i))]
                for i, m in enumerate(seq(members))
                if "step" in mapping(m)
            ]
        for group in groups:
            current: list[str] = []
            for step_raw, line in group:
                job = _bitbucket_job(f"{prefix}/{len(jobs) + 1}", step_raw, line, draft, services)
                job.stage = stage_name
                if stage_name and not job.environment:
                    job.environment = scalar(mapping(entry["stage"]).get("deployment"))
                job.needs = previous[:MAX_IMPLICIT_NEEDS]
                job.needs_source = "stage-order" if previous else "none"
                jobs.append(job)
                current.append(job.job_id)
            previous = current or previous
    return jobs


_BITBUCKET_TRIGGERS = {"default": "push", "branches": "push", "tags": "tag", "bookmarks": "push",
                       "pull-requests": "pull_request", "custom": "manual"}  # fmt: skip


@parser("ci-bitbucket", Modality.CI, ["bitbucket-pipelines.yml", "bitbucket-pipelines.yaml"])
def parse_bitbucket(source: ParseInput) -> list[Evidence]:
    """Pipelines per trigger section, steps as jobs, pipes as pinned references."""
    doc = load_single_mapping(source.text, "Bitbucket pipelines")
    if doc is None or not isinstance(doc.get("pipelines"), dict):
        return []
    draft = PipelineDraft(system="bitbucket", name=source.path, end_line=len(source.lines) or None)
    draft.image = _image_name(doc.get("image"))
    services = {
        str(k): _image_name(mapping(v).get("image")) or str(k)
        for k, v in mapping(mapping(doc.get("definitions")).get("services")).items()
    }
    jobs: list[JobDraft] = []
    for section, value in mapping(doc["pipelines"]).items():
        section_name = str(section)
        draft.events.append(section_name)
        if section_name in _BITBUCKET_TRIGGERS:
            draft.triggers.append(_BITBUCKET_TRIGGERS[section_name])
        if section_name == "default":
            jobs += _bitbucket_sequence("default", value, draft, services)
            continue
        for pattern, items in mapping(value).items():
            if section_name == "branches":
                draft.branches.append(str(pattern))
            jobs += _bitbucket_sequence(f"{section_name}/{pattern}", items, draft, services)
    return build_evidence(source.path, draft, jobs)
