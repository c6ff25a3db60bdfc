"""Drafts and their analysis: from what a CI file says to ``ci.*`` evidence.

Parsers fill :class:`PipelineDraft`/:class:`JobDraft`/:class:`StepDraft` (plain mutable
dataclasses) with what the file says; :func:`build_evidence` does the analysis once for every
system: secrets referenced (names only; values are redacted), secrets echoed into logs,
script-injection contexts, scripts run, job roles and graph edges.

Graph edges (``Link.src -rel-> Link.dst``):

* ``file:<ci file> -defines-> ci-job:<ci file>#<job id>``
* ``ci-job:A -needs-> ci-job:B`` -- A runs after B (edge from the dependent to its dependency)
* ``ci-job:J -in-stage-> ci-stage:<ci file>#<stage>`` and ``ci-stage:X -precedes-> ci-stage:Y``
* ``ci-job:J -uses-> action:<owner/repo[/path]>`` (remote), ``action:./path`` (local action),
  ``image:<ref>`` (docker actions), ``file:<path>`` (local reusable workflows / templates),
  ``ci-job:<same file>#<task>`` (Tekton tasks, Argo templates)
* ``ci-job:J -runs-in-> image:<ref>`` (job/step container) and ``-uses-service-> image:<ref>``
* ``ci-job:J -runs-> file:<script>`` | ``module:<dotted>`` | ``make-target:<target>`` (with
  ``-C dir``: ``make-target:<dir>:<target>``) | ``stage:dvc:<stage>`` | ``file:dvc.yaml``;
  ``-builds-> file:<Dockerfile>``; ``-deploys-> file:<manifest or dir>``
* ``file:<ci file> -includes-> file:<included ci file>``; ``file:<action.yml> -defines->
  action:./<dir>``
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
    CiJob,
    CiPipeline,
    CiStep,
    CiSystem,
    NeedsSource,
    clean_image,
)
from hyperscore.evaluators.ingest.parsers.ci_shell import (
    analyse_commands,
    classify_roles,
    echoes_secret,
    expand_env,
    github_secrets,
    is_secret_name,
    literal_secret_env,
    redact,
    shell_vars,
    split_commands,
    untrusted_contexts,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import SourceFloat, scalar, seq
from hyperscore.evaluators.model import Evidence, Link

#: Variables every run of these systems provides: never counted as project secrets.
PREDEFINED_PREFIXES: dict[str, tuple[str, ...]] = {
    "gitlab-ci": ("CI_", "GITLAB_"),
    "bitbucket": ("BITBUCKET_",),
    "circleci": ("CIRCLE_",),
    "travis": ("TRAVIS_",),
    "appveyor": ("APPVEYOR",),
    "drone": ("DRONE_", "CI_"),
    "azure-pipelines": ("BUILD.", "SYSTEM.", "AGENT.", "PIPELINE.", "RELEASE.", "ENVIRONMENT."),
    "aws-codebuild": ("CODEBUILD_", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "jenkins": ("BUILD_", "JOB_", "JENKINS_", "GIT_", "WORKSPACE", "NODE_", "BRANCH_", "CHANGE_"),
}


# --------------------------------------------------------------------------- drafts


@dataclass
class StepDraft:
    """What a CI file says about one step, before analysis."""

    name: str  # as written; "" lets the builder derive a label (not used for role keywords)
    line: int | None
    end_line: int | None = None
    run: str | None = None
    commands: list[str] | None = None
    uses: ActionRef | None = None
    with_inputs: dict[str, str] = field(default_factory=dict)
    shell: str | None = None
    image: str | None = None
    working_directory: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    condition: str | None = None
    continue_on_error: bool = False
    step_id: str | None = None
    secrets: set[str] = field(default_factory=set)
    secret_vars: set[str] = field(default_factory=set)
    checks_out_pr_head: bool = False
    untrusted_inputs: list[str] = field(default_factory=list)
    extra_links: list[Link] = field(default_factory=list)


@dataclass
class JobDraft:
    """What a CI file says about one job, before analysis."""

    job_id: str
    line: int | None
    end_line: int | None = None
    display_name: str | None = None
    needs: list[str] = field(default_factory=list)
    needs_source: NeedsSource = "none"
    stage: str | None = None
    stage_index: int | None = None
    runs_on: list[str] = field(default_factory=list)
    image: str | None = None
    services: list[str] = field(default_factory=list)
    environment: str | None = None
    permissions: str | dict[str, str] | None = None
    condition: str | None = None
    matrix: dict[str, list[str]] = field(default_factory=dict)
    python_versions: list[str] = field(default_factory=list)
    float_python_versions: list[str] = field(default_factory=list)
    timeout_minutes: float | None = None
    continue_on_error: bool = False
    manual_approval: bool = False
    uses: ActionRef | None = None
    inherits_secrets: bool = False
    downstream: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    secret_vars: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    steps: list[StepDraft] = field(default_factory=list)
    extra_links: list[Link] = field(default_factory=list)


@dataclass
class PipelineDraft:
    """What a CI file says globally, before analysis."""

    system: CiSystem
    name: str
    line: int | None = 1
    end_line: int | None = None
    fragment: bool = False
    triggers: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    schedules: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    permissions: str | dict[str, str] | None = None
    concurrency: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    python_versions: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    stage_order: list[tuple[str, str]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    uses: list[ActionRef] = field(default_factory=list)
    image: str | None = None
    secrets: set[str] = field(default_factory=set)
    secret_vars: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Order-preserving de-duplication."""
    return tuple(dict.fromkeys(v for v in values if v))


def job_node(path: str, job_id: str) -> str:
    return f"ci-job:{path}#{job_id}"


def stage_links(path: str, draft: PipelineDraft, jobs: list[JobDraft]) -> None:
    """``in-stage`` edges for jobs and ``precedes`` edges between consecutive/declared stages."""
    for job in jobs:
        if job.stage:
            job.extra_links.append(
                Link(
                    src=job_node(path, job.job_id),
                    dst=f"ci-stage:{path}#{job.stage}",
                    rel="in-stage",
                )
            )
    pairs = draft.stage_order or list(zip(draft.stages, draft.stages[1:], strict=False))
    for before, after in pairs:
        draft.links.append(
            Link(src=f"ci-stage:{path}#{before}", dst=f"ci-stage:{path}#{after}", rel="precedes")
        )


#: Implied dependencies kept per job: a stage of 1,000 jobs followed by another would otherwise
#: give a million ``needs`` edges. Real pipelines stay far below; the order stays reachable.
MAX_IMPLICIT_NEEDS = 100


def order_by_stages(jobs: list[JobDraft], order: list[str]) -> None:
    """Set ``stage_index`` and, for jobs without explicit needs, stage-order needs: every job of
    the nearest earlier stage that has jobs (earlier stages follow transitively)."""
    by_stage: dict[str, list[str]] = {}
    for job in jobs:
        job.stage_index = order.index(job.stage) if job.stage in order else None
        if job.stage is not None:
            by_stage.setdefault(job.stage, []).append(job.job_id)
    for job in jobs:
        if job.needs_source != "none" or job.stage_index is None:
            continue
        earlier = [s for s in order[: job.stage_index] if by_stage.get(s)]
        if earlier:
            job.needs = by_stage[earlier[-1]][:MAX_IMPLICIT_NEEDS]
            job.needs_source = "stage-order"


# --------------------------------------------------------------------------- matrix helpers

_PYTHON_KEYS = frozenset(
    {"python", "python-version", "python-versions", "py", "pyver", "py-version", "pythonversion"}
)


def is_python_key(key: str) -> bool:
    return re.sub(r"[_.]", "-", key.strip().lower()) in _PYTHON_KEYS


def add_matrix_values(job: JobDraft, key: str, values: Any) -> None:
    """Record matrix values as text; python keys also feed ``python_versions``.

    An unquoted ``3.10`` is read by YAML (and by GitHub) as the number 3.1; such values are
    reported in ``float_python_versions`` with their written text.
    """
    texts = job.matrix.setdefault(key, [])
    for value in seq(values):
        text = scalar(value)
        if text is None or text in texts:
            continue
        texts.append(text)
        if is_python_key(key):
            add_python_version(job, value)


def add_python_version(job: JobDraft, value: Any) -> None:
    text = scalar(value)
    if text is None or text in job.python_versions or any(m in text for m in "$<{\\/:"):
        return  # expressions and interpreter paths (C:\Python311) are not versions
    if not any(c.isdigit() for c in text):
        return
    job.python_versions.append(text)
    if isinstance(value, SourceFloat) and repr(float(value)) != value.raw:
        job.float_python_versions.append(value.raw)


# --------------------------------------------------------------------------- evidence


def _env_secret_vars(env: dict[str, str], github: bool, predefined: tuple[str, ...]) -> set[str]:
    """Env names whose value is (or refers to) a secret."""
    out: set[str] = set()
    for name, value in env.items():
        if (
            (github and github_secrets(value))
            or (not github and any(_is_project_secret(v, predefined) for v in shell_vars(value)))
            or "from_secret" in value
            or "credentials(" in value
        ):
            out.add(name)
    return out


def _is_project_secret(name: str, predefined: tuple[str, ...]) -> bool:
    return is_secret_name(name) and not name.upper().startswith(predefined)


def _referenced_secrets(
    text: str, github: bool, predefined: tuple[str, ...], literal: set[str]
) -> set[str]:
    if github:
        return github_secrets(text)
    return {v for v in shell_vars(text) if v not in literal and _is_project_secret(v, predefined)}


def _mask_input(key: str, value: str) -> str:
    if is_secret_name(key) and "$" not in value and "{{" not in value:
        return "***"
    return redact(value)


def _uses_node(ref: ActionRef) -> str | None:
    """The graph node a reference points at; None for in-file references (Tekton tasks, Argo
    templates), which their parsers link to the defining job directly."""
    if ref.pin == "local":
        path = posixpath.normpath(ref.action.replace("\\", "/"))
        if path.startswith("../") or path == "..":
            return None
        if path.endswith((".yml", ".yaml")):
            return f"file:{path.lstrip('/')}"
        if path == ".":
            return "action:."
        return f"action:./{path}" if ref.action.startswith(".") else None
    if ref.pin == "docker":
        return "image:" + ref.action.removeprefix("docker://")
    return f"action:{ref.action}"


def _valid_span(line: int | None, end_line: int | None) -> tuple[int | None, int | None]:
    line = line if line and line > 0 else None
    if line is None or end_line is None or end_line < line:
        return line, None
    return line, end_line


@dataclass
class _Context:
    path: str
    system: CiSystem
    github: bool
    predefined: tuple[str, ...]


def _default_step_name(step: StepDraft, commands: list[str], index: int) -> str:
    """A label for an unnamed step: its action reference or its first command."""
    if step.uses is not None:
        versioned = step.uses.ref and step.uses.pin not in {"docker", "local"}
        return step.uses.action + (f"@{step.uses.ref}" if versioned else "")
    if commands:
        return redact(commands[0])[:80]
    return f"step {index + 1}"


def _build_step(
    ctx: _Context,
    job: JobDraft,
    index: int,
    step: StepDraft,
    *,
    env: dict[str, str],
    secret_vars: set[str],
    node: str | None = None,
) -> CiStep:
    commands = list(step.commands) if step.commands is not None else []
    if step.commands is None and step.run:
        commands = list(split_commands(step.run))
    literal = set(literal_secret_env({**env, **step.env}))
    step_secret_vars = (
        secret_vars | step.secret_vars | _env_secret_vars(step.env, ctx.github, ctx.predefined)
    )
    texts = "\n".join([step.run or "", *step.with_inputs.values(), *step.env.values()])
    referenced = _referenced_secrets(texts, ctx.github, ctx.predefined, literal)
    if not ctx.github:  # a variable already known to hold a named secret is not a second one
        referenced -= step_secret_vars
        step_secret_vars |= referenced
    secrets = set(step.secrets) | referenced
    untrusted = step.untrusted_inputs or (
        untrusted_contexts(step.run) if ctx.github and step.run else []
    )
    node = node or job_node(ctx.path, job.job_id)
    links = list(step.extra_links)
    if step.uses is not None:
        uses_node = _uses_node(step.uses)
        if uses_node:
            links.append(Link(src=node, dst=uses_node, rel="uses"))
    image = clean_image(step.image)
    if image and step.image != job.image:  # the job already asserts its own image
        links.append(Link(src=node, dst=f"image:{image}", rel="runs-in"))
    expanded = expand_env(commands, {**env, **step.env})
    targets = analyse_commands(expanded, step.working_directory)
    links += [Link(src=node, dst=dst, rel=rel) for rel, dst in targets]
    roles = classify_roles([step.name], expanded, step.uses.action if step.uses else None)
    label = redact(step.name) if step.name else _default_step_name(step, commands, index)
    line, end_line = _valid_span(step.line, step.end_line)
    return CiStep(
        path=ctx.path,
        line=line,
        end_line=end_line,
        name=label[:200],
        text=label[:200],
        links=tuple(dict.fromkeys(links)),
        system=ctx.system,
        job_id=job.job_id,
        index=index,
        step_id=step.step_id,
        uses=step.uses,
        with_inputs={k: _mask_input(k, v) for k, v in step.with_inputs.items()},
        run=redact(step.run) if step.run is not None else None,
        commands=tuple(redact(c) for c in commands),
        shell=step.shell,
        image=step.image,
        working_directory=step.working_directory,
        env=tuple(step.env),
        condition=step.condition,
        continue_on_error=step.continue_on_error,
        secrets=tuple(sorted(secrets)),
        echoes_secret=echoes_secret(commands, step_secret_vars, ctx.github),
        untrusted_inputs=tuple(untrusted),
        checks_out_pr_head=step.checks_out_pr_head,
        roles=tuple(sorted(roles)),
        runs=unique(dst for rel, dst in targets if rel == "runs"),
    )


def _job_links(path: str, job: JobDraft) -> list[Link]:
    node = job_node(path, job.job_id)
    links = [Link(src=f"file:{path}", dst=node, rel="defines")]
    links += [Link(src=node, dst=job_node(path, dep), rel="needs") for dep in unique(job.needs)]
    image = clean_image(job.image)
    if image:
        links.append(Link(src=node, dst=f"image:{image}", rel="runs-in"))
    for service in job.services:
        service_image = clean_image(service)
        if service_image:
            links.append(Link(src=node, dst=f"image:{service_image}", rel="uses-service"))
    if job.uses is not None:
        uses_node = _uses_node(job.uses)
        if uses_node:
            links.append(Link(src=node, dst=uses_node, rel="uses"))
    return links + job.extra_links


def build_evidence(
    path: str, draft: PipelineDraft, jobs: list[JobDraft], *, github: bool = False
) -> list[Evidence]:
    """Analyse drafts into ``ci.pipeline``, ``ci.job`` and ``ci.step`` evidence.

    ``github`` selects ``${{ secrets.X }}`` secret syntax and script-injection analysis; other
    systems reference secrets as shell variables, recognised by name (see ``is_secret_name``).
    """
    ctx = _Context(path, draft.system, github, PREDEFINED_PREFIXES.get(draft.system, ()))
    pipe_secret_vars = draft.secret_vars | _env_secret_vars(draft.env, github, ctx.predefined)
    pipe_literal = set(literal_secret_env(draft.env))
    pipe_secrets = set(draft.secrets) | _referenced_secrets(
        "\n".join(draft.env.values()), github, ctx.predefined, pipe_literal
    )
    out: list[Evidence] = []
    all_roles: set[str] = set()
    python_versions = list(draft.python_versions)
    for job in jobs:
        env = {**draft.env, **job.env}
        literal = set(literal_secret_env(env))
        secret_vars = (
            pipe_secret_vars | job.secret_vars | _env_secret_vars(job.env, github, ctx.predefined)
        )
        secrets = set(job.secrets) | _referenced_secrets(
            "\n".join(job.env.values()), github, ctx.predefined, literal
        )
        action = job.uses.action if job.uses else None
        names = [job.display_name or "", job.job_id.rsplit("/", 1)[-1]]  # not qualifying prefixes
        roles = set(job.roles) | classify_roles(names, [], action)
        if job.environment:
            roles.add("deploy")
        links = _job_links(path, job)
        steps = [
            _build_step(ctx, job, idx, step, env=env, secret_vars=secret_vars)
            for idx, step in enumerate(job.steps)
        ]
        for step in steps:
            secrets.update(step.secrets)
            roles.update(step.roles)
        all_roles |= roles
        pipe_secrets |= secrets
        python_versions += job.python_versions
        line, end_line = _valid_span(job.line, job.end_line)
        label = job.display_name or job.job_id
        out.append(
            CiJob(
                path=path,
                line=line,
                end_line=end_line,
                name=job.job_id[:200],
                text=f"{label}: " + "; ".join(s.name for s in steps)[:500],
                links=tuple(dict.fromkeys(links)),
                system=draft.system,
                job_id=job.job_id,
                display_name=job.display_name,
                needs=unique(job.needs),
                needs_source=job.needs_source,
                stage=job.stage,
                stage_index=job.stage_index,
                runs_on=unique(job.runs_on),
                image=job.image,
                services=unique(job.services),
                environment=job.environment,
                permissions=job.permissions,
                condition=job.condition,
                matrix={k: tuple(v) for k, v in job.matrix.items()},
                python_versions=unique(job.python_versions),
                float_python_versions=unique(job.float_python_versions),
                timeout_minutes=job.timeout_minutes,
                continue_on_error=job.continue_on_error,
                manual_approval=job.manual_approval,
                uses=job.uses,
                inherits_secrets=job.inherits_secrets,
                downstream=job.downstream,
                env=tuple(job.env),
                plaintext_secret_env=tuple(literal_secret_env(job.env)),
                secrets=tuple(sorted(secrets)),
                roles=tuple(sorted(roles)),
                step_count=len(steps),
            )
        )
        out.extend(steps)
    line, end_line = _valid_span(draft.line, draft.end_line)
    pipeline = CiPipeline(
        path=path,
        line=line,
        end_line=end_line,
        name=draft.name[:200],
        text=f"{draft.name}: " + ", ".join(j.display_name or j.job_id for j in jobs)[:500],
        links=tuple(dict.fromkeys(draft.links)),
        system=draft.system,
        fragment=draft.fragment,
        triggers=unique(draft.triggers),
        events=unique(draft.events),
        schedules=unique(draft.schedules),
        branches=unique(draft.branches),
        paths=unique(draft.paths),
        upstream=unique(draft.upstream),
        permissions=draft.permissions,
        concurrency=draft.concurrency,
        env=tuple(draft.env),
        plaintext_secret_env=tuple(sorted(pipe_literal)),
        python_versions=unique(python_versions),
        stages=unique(draft.stages),
        includes=unique(draft.includes),
        uses=tuple(draft.uses),
        image=draft.image,
        secrets=tuple(sorted(pipe_secrets)),
        job_ids=unique(j.job_id for j in jobs),
        roles=tuple(sorted(all_roles)),
    )
    return [pipeline, *_distinct_ids(out)]


def _distinct_ids(items: list[Evidence]) -> list[Evidence]:
    """Steps inherited from one template share line and label; qualify repeats by job so that
    every item keeps a distinct ``Evidence.id``."""
    seen: set[tuple[str, int | None, str]] = set()
    out: list[Evidence] = []
    for item in items:
        unique_item = item
        key = (item.kind, item.line, item.name)
        if key in seen and isinstance(item, CiStep):
            unique_item = item.model_copy(update={"name": f"{item.name} [{item.job_id}]"})
            key = (item.kind, item.line, unique_item.name)
        seen.add(key)
        out.append(unique_item)
    return out


def build_steps(
    path: str,
    system: CiSystem,
    job_id: str,
    steps: list[StepDraft],
    *,
    node: str,
    github: bool = False,
) -> list[CiStep]:
    """Analyse steps that belong to no job (a composite action's ``runs.steps``); their edges
    start at ``node`` (e.g. ``action:./.github/actions/setup``)."""
    ctx = _Context(path, system, github, PREDEFINED_PREFIXES.get(system, ()))
    owner = JobDraft(job_id=job_id, line=None)
    return [
        _build_step(ctx, owner, idx, step, env={}, secret_vars=set(), node=node)
        for idx, step in enumerate(steps)
    ]
