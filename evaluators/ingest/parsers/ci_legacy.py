"""Older or less common CI services: Travis CI, AppVeyor and Drone.

Travis CI (``.travis.yml``) matters mostly as a signal: travis-ci.org stopped building open
source projects in 2021, so a project whose only CI is Travis probably has no running CI. Its
phases (install, script, deploy...) become steps; ``jobs.include`` entries become jobs ordered
by build stage. AppVeyor (``appveyor.yml``) has one job whose steps are its script phases; its
environment matrix feeds ``python_versions``. Drone (``.drone.yml``) files hold one pipeline
per YAML document: each becomes a job (``depends_on`` -> needs), its steps keep their images,
and ``from_secret`` values are recorded as secret names.
"""

from __future__ import annotations

from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    add_matrix_values,
    build_evidence,
    order_by_stages,
    stage_links,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    end_of,
    item_line,
    key_line,
    load_single_mapping,
    load_yaml_lines,
    mapping,
    scalar,
    seq,
    strings,
    summary,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_TRAVIS_PHASES = ("before_install", "install", "before_script", "script", "after_success",
                  "after_failure", "before_deploy", "after_deploy", "after_script")  # fmt: skip
_APPVEYOR_PHASES = ("init", "install", "before_build", "build_script", "after_build",
                    "before_test", "test_script", "after_test", "deploy_script", "on_success",
                    "on_failure", "on_finish")  # fmt: skip
_DRONE_EVENTS = {"push": "push", "pull_request": "pull_request", "tag": "tag", "cron": "schedule",
                 "promote": "manual", "custom": "manual", "rollback": "manual"}  # fmt: skip


def _phase_steps(
    job: JobDraft, body: dict[Any, Any], fallback: dict[Any, Any], phases: tuple[str, ...]
) -> None:
    """One step per script phase; a job inherits phases it does not override."""
    for phase in phases:
        source = body if phase in body else fallback if phase in fallback else None
        if source is None:
            continue
        commands = []
        for item in seq(source[phase]):
            text = (
                scalar(item)
                if not isinstance(item, dict)
                else next((scalar(v) for v in item.values()), None)
            )
            if text:
                commands.append(text)
        if commands:
            job.steps.append(
                StepDraft(
                    name=phase,
                    line=key_line(source, phase),
                    end_line=end_of(source[phase]),
                    run="\n".join(commands),
                    commands=commands,
                )
            )


def _travis_env(value: Any, secrets: set[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    items = (
        [*seq(mapping(value).get("global")), *seq(mapping(value).get("jobs"))]
        if isinstance(value, dict)
        else seq(value)
    )
    for item in items:
        if isinstance(item, dict) and "secure" in item:
            secrets.add("travis:secure")
            continue
        for pair in (scalar(item) or "").split():
            name, sep, val = pair.partition("=")
            if sep:
                env[name] = val
    return env


def _travis_deploy(job: JobDraft, body: dict[Any, Any]) -> None:
    deploy = body.get("deploy")
    for idx, target in enumerate(seq(deploy)):
        provider = scalar(mapping(target).get("provider")) or "custom"
        line = item_line(deploy, idx) or key_line(body, "deploy")
        job.steps.append(StepDraft(name=f"deploy ({provider})", line=line, end_line=end_of(target)))


@parser("ci-travis", Modality.CI, [".travis.yml", ".travis.yaml"])
def parse_travis(source: ParseInput) -> list[Evidence]:
    """Travis CI: phases as steps, python versions, build stages, deploy providers."""
    doc = load_single_mapping(source.text, "Travis config")
    if doc is None:
        return []
    draft = PipelineDraft(system="travis", name=source.path, end_line=len(source.lines) or None)
    draft.triggers = ["push", "pull_request"]
    branches = doc.get("branches")
    draft.branches = (
        strings(mapping(branches).get("only")) if isinstance(branches, dict) else strings(branches)
    )
    draft.env = _travis_env(doc.get("env"), draft.secrets)
    draft.stages = [
        s
        for s in (scalar(x) or scalar(mapping(x).get("name")) for x in seq(doc.get("stages")))
        if s
    ]
    matrix = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else doc.get("matrix")
    include = mapping(matrix).get("include")
    jobs: list[JobDraft] = []
    stage = "test"
    for idx, raw in enumerate(seq(include)):
        body = mapping(raw)
        stage = scalar(body.get("stage")) or stage
        job = JobDraft(
            job_id=scalar(body.get("name")) or f"{stage}-{idx + 1}",
            line=item_line(include, idx),
            end_line=end_of(raw),
            stage=stage,
        )
        add_matrix_values(job, "python", body.get("python", doc.get("python")))
        job.env = _travis_env(body.get("env"), job.secrets)
        _phase_steps(job, body, doc, _TRAVIS_PHASES)
        _travis_deploy(job, body if "deploy" in body else doc)
        jobs.append(job)
    if not jobs:
        job = JobDraft(job_id="build", line=1, end_line=len(source.lines) or None)
        add_matrix_values(job, "python", doc.get("python"))
        _phase_steps(job, doc, LineDict(), _TRAVIS_PHASES)
        _travis_deploy(job, doc)
        job.services = strings(doc.get("services"))
        jobs.append(job)
    order = draft.stages or list(dict.fromkeys(j.stage for j in jobs if j.stage))
    order_by_stages(jobs, order)
    draft.stages = order if include else draft.stages
    stage_links(source.path, draft, jobs if include else [])
    return build_evidence(source.path, draft, jobs)


@parser("ci-appveyor", Modality.CI, ["appveyor.yml", ".appveyor.yml"])
def parse_appveyor(source: ParseInput) -> list[Evidence]:
    """AppVeyor: script phases as steps, environment matrix, encrypted variables by name."""
    doc = load_single_mapping(source.text, "AppVeyor config")
    if doc is None:
        return []
    draft = PipelineDraft(system="appveyor", name=source.path, end_line=len(source.lines) or None)
    draft.triggers = ["push", "pull_request"]
    draft.branches = strings(mapping(doc.get("branches")).get("only"))
    job = JobDraft(job_id="build", line=1, end_line=len(source.lines) or None)
    job.runs_on = strings(doc.get("image") or doc.get("os"))
    environment = doc.get("environment")
    env_map = mapping(environment)
    for name, value in env_map.items():
        if name == "matrix":
            for combo in seq(value):
                for key, val in mapping(combo).items():
                    add_matrix_values(job, str(key), val)
        elif isinstance(value, dict) and "secure" in value:
            job.secrets.add(str(name))
            job.secret_vars.add(str(name))
        else:
            job.env[str(name)] = scalar(value) or ""
    _phase_steps(job, doc, LineDict(), _APPVEYOR_PHASES)
    return build_evidence(source.path, draft, [job])


def _drone_step(raw: Any, idx: int, steps: Any) -> StepDraft:
    body = mapping(raw)
    step = StepDraft(
        name=scalar(body.get("name")) or "", line=item_line(steps, idx), end_line=end_of(raw)
    )
    step.image = scalar(body.get("image"))
    step.commands = strings(body.get("commands"))
    step.run = "\n".join(step.commands)
    for name, value in mapping(body.get("environment")).items():
        secret = scalar(mapping(value).get("from_secret")) if isinstance(value, dict) else None
        step.env[str(name)] = "from_secret" if secret else scalar(value) or ""
        if secret:
            step.secrets.add(secret)
            step.secret_vars.add(str(name))
    when = body.get("when")
    step.condition = summary(when) if isinstance(when, dict) else None
    return step


@parser("ci-drone", Modality.CI, [".drone.yml", ".drone.yaml"])
def parse_drone(source: ParseInput) -> list[Evidence]:
    """Drone: one job per pipeline document, steps with images, trigger events, secrets."""
    docs = [d for d in load_yaml_lines(source.text) if isinstance(d, LineDict)]
    pipelines = [d for d in docs if scalar(d.get("kind")) in (None, "pipeline") and "steps" in d]
    if not pipelines:
        return []
    draft = PipelineDraft(system="drone", name=source.path, end_line=len(source.lines) or None)
    draft.secrets |= {
        s for d in docs if scalar(d.get("kind")) == "secret" for s in [scalar(d.get("name"))] if s
    }
    jobs: list[JobDraft] = []
    for idx, doc in enumerate(pipelines):
        job = JobDraft(
            job_id=scalar(doc.get("name")) or f"pipeline-{idx + 1}",
            line=doc.start or None,
            end_line=doc.end or None,
        )
        if "depends_on" in doc:
            job.needs, job.needs_source = strings(doc["depends_on"]), "explicit"
        platform = mapping(doc.get("platform"))
        job.runs_on = [
            s
            for s in (
                scalar(doc.get("type")),
                scalar(platform.get("os")),
                scalar(platform.get("arch")),
            )
            if s
        ]
        job.services = [
            s for s in (scalar(mapping(x).get("image")) for x in seq(doc.get("services"))) if s
        ]
        steps = doc.get("steps")
        job.steps = [_drone_step(raw, i, steps) for i, raw in enumerate(seq(steps))]
        trigger = mapping(doc.get("trigger"))
        events = (
            strings(trigger.get("event"))
            if not isinstance(trigger.get("event"), dict)
            else strings(mapping(trigger["event"]).get("include"))
        )
        draft.events += events
        draft.triggers += [_DRONE_EVENTS.get(e, e) for e in events] or ["push", "pull_request"]
        branch = trigger.get("branch")
        draft.branches += (
            strings(mapping(branch).get("include")) if isinstance(branch, dict) else strings(branch)
        )
        job.condition = summary(trigger) if trigger else None
        jobs.append(job)
    return build_evidence(source.path, draft, jobs)
