"""GitHub Actions: workflows (``.github/workflows/*.yml``) and local actions (``action.yml``).

Besides the shared CI vocabulary this module records what GitHub-specific security rules need:
how each action is pinned, ``permissions`` exactly as written (absent = None), secrets named in
``${{ secrets.X }}``, attacker-controlled contexts interpolated into ``run`` (script injection)
and checkouts of the pull-request head (dangerous under ``pull_request_target``/``workflow_run``).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Literal

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    add_matrix_values,
    add_python_version,
    build_evidence,
    build_steps,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
    github_action_ref,
)
from hyperscore.evaluators.ingest.parsers.ci_shell import github_secrets, untrusted_contexts
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
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
from hyperscore.evaluators.model import Evidence, Link, Modality

#: Expressions naming the pull request's own code (head commit/branch, merge ref).
_PR_HEAD_REF_RE = re.compile(
    r"pull_request\.(?:head\.(?:sha|ref|repo\.full_name)|merge_commit_sha|number)|github\.head_ref"
    r"|workflow_run\.head_(?:sha|branch|repository\.full_name)|refs/pull/|issue\.number"
)
_PR_HEAD_RUN_RE = re.compile(
    r"gh pr checkout|git (?:fetch|checkout|switch|pull)\b[^\n]*(?:pull/|head_ref|head\.(?:sha|ref)"
    r"|head_sha|head_branch)"
)


class CiActionDefinition(Evidence):
    """A local GitHub action (``action.yml``): how it runs and what it takes."""

    kind: Literal["ci.action_definition"] = "ci.action_definition"
    modality: Modality = Modality.CI
    action: str
    using: str | None = None
    main: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    description: str | None = None
    step_count: int = 0


def _permissions(container: dict[Any, Any]) -> str | dict[str, str] | None:
    """``write-all``/``read-all`` as written, a scope map, or None when the key is absent."""
    if "permissions" not in container:
        return None
    value = container["permissions"]
    if isinstance(value, dict):
        return {str(k): scalar(v) or "" for k, v in value.items()}
    return scalar(value) or {}


def _env(value: Any) -> dict[str, str]:
    return {str(k): scalar(v) or "" for k, v in mapping(value).items()}


def _read_triggers(draft: PipelineDraft, on: Any) -> None:
    configs = mapping(on)
    events = strings(on) if not isinstance(on, dict) else [str(k) for k in on]
    for event in events:
        draft.events.append(event)
        draft.triggers.append(event)
        config = mapping(configs.get(event))
        if event in {"push", "pull_request", "pull_request_target"}:
            draft.branches += strings(config.get("branches"))
            draft.paths += strings(config.get("paths"))
            if event == "push" and config.get("tags") is not None:
                draft.triggers.append("tag")
        elif event == "schedule":
            draft.schedules += [
                c for c in (scalar(mapping(i).get("cron")) for i in seq(configs.get(event))) if c
            ]
        elif event == "workflow_run":
            draft.upstream += strings(config.get("workflows"))


def _step(raw: Any, idx: int, steps: Any, defaults: dict[str, Any]) -> StepDraft:
    body = mapping(raw)
    uses_text = scalar(body.get("uses"))
    line = item_line(steps, idx) or body.start or None
    ref = github_action_ref(uses_text, key_line(body, "uses") or line) if uses_text else None
    run = scalar(body.get("run"))
    with_map = mapping(body.get("with"))
    with_inputs = {str(k): scalar(v) or "" for k, v in with_map.items()}
    name = scalar(body.get("name")) or ""
    action = ref.action.lower() if ref else ""
    untrusted = untrusted_contexts(run or "")
    if action == "actions/github-script":
        untrusted += untrusted_contexts(with_inputs.get("script", ""))
    checkout_refs = " ".join(with_inputs.get(k, "") for k in ("ref", "repository"))
    pr_head = (
        action == "actions/checkout" and bool(_PR_HEAD_REF_RE.search(checkout_refs))
    ) or bool(run and _PR_HEAD_RUN_RE.search(run))
    return StepDraft(
        name=name,
        line=line,
        end_line=end_of(raw),
        run=run,
        uses=ref,
        with_inputs=with_inputs,
        shell=scalar(body.get("shell")) or defaults.get("shell"),
        working_directory=scalar(body.get("working-directory"))
        or defaults.get("working-directory"),
        env=_env(body.get("env")),
        condition=scalar(body.get("if")),
        continue_on_error=truthy(body.get("continue-on-error")),
        step_id=scalar(body.get("id")),
        checks_out_pr_head=pr_head,
        untrusted_inputs=list(dict.fromkeys(untrusted)),
    )


def _run_defaults(container: dict[Any, Any], inherited: dict[str, Any]) -> dict[str, Any]:
    run = mapping(mapping(container.get("defaults")).get("run"))
    merged = dict(inherited)
    for key in ("shell", "working-directory"):
        value = scalar(run.get(key))
        if value:
            merged[key] = value
    return merged


def _job(job_id: str, raw: Any, jobs: Any, defaults: dict[str, Any]) -> JobDraft:
    body = mapping(raw)
    job = JobDraft(job_id=job_id, line=key_line(jobs, job_id), end_line=end_of(raw))
    job.display_name = scalar(body.get("name"))
    if "needs" in body:
        job.needs, job.needs_source = strings(body["needs"]), "explicit"
    runs_on = body.get("runs-on")
    if isinstance(runs_on, dict):
        job.runs_on = strings(runs_on.get("group")) + strings(runs_on.get("labels"))
    else:
        job.runs_on = strings(runs_on)
    container = body.get("container")
    job.image = (
        scalar(container) if not isinstance(container, dict) else scalar(container.get("image"))
    )
    for service in mapping(body.get("services")).values():
        image = scalar(service) if not isinstance(service, dict) else scalar(service.get("image"))
        if image:
            job.services.append(image)
    environment = body.get("environment")
    job.environment = (
        scalar(environment)
        if not isinstance(environment, dict)
        else scalar(environment.get("name"))
    )
    job.permissions = _permissions(body)
    job.condition = scalar(body.get("if"))
    matrix = mapping(body.get("strategy")).get("matrix")
    if isinstance(matrix, dict):
        for key, values in matrix.items():
            if key == "include":
                for entry in seq(values):
                    for inc_key, inc_value in mapping(entry).items():
                        add_matrix_values(job, str(inc_key), inc_value)
            elif key != "exclude":
                add_matrix_values(job, str(key), values)
    elif matrix is not None:
        add_matrix_values(job, "matrix", matrix)
    job.timeout_minutes = parse_duration_minutes(body.get("timeout-minutes"))
    job.continue_on_error = truthy(body.get("continue-on-error"))
    uses = scalar(body.get("uses"))
    if uses:
        job.uses = github_action_ref(uses, key_line(body, "uses"))
    secrets = body.get("secrets")
    job.inherits_secrets = secrets == "inherit"
    for value in [*mapping(secrets).values(), *mapping(body.get("with")).values()]:
        job.secrets |= github_secrets(scalar(value) or "")
    job.env = _env(body.get("env"))
    step_defaults = _run_defaults(body, defaults)
    steps = body.get("steps")
    job.steps = [
        _step(raw_step, idx, steps, step_defaults) for idx, raw_step in enumerate(seq(steps))
    ]
    for raw_step, step in zip(seq(steps), job.steps, strict=True):
        if step.uses and step.uses.action.lower() == "actions/setup-python":
            version = mapping(mapping(raw_step).get("with")).get("python-version")
            if isinstance(version, str) and "${{" in version:
                continue
            values = re.split(r"[\s,]+", version) if isinstance(version, str) else seq(version)
            for value in values:
                if value != "":
                    add_python_version(job, value)
    return job


@parser("ci-github-actions", Modality.CI, [".github/workflows/*.yml", ".github/workflows/*.yaml"])
def parse_github_workflow(source: ParseInput) -> list[Evidence]:
    """A workflow: triggers, permissions, jobs (needs, matrix, environment) and steps."""
    doc = load_single_mapping(source.text, "GitHub workflow")
    if doc is None:
        return []
    stem = posixpath.splitext(source.name)[0]
    draft = PipelineDraft(system="github-actions", name=scalar(doc.get("name")) or stem)
    draft.end_line = len(source.lines) or None
    _read_triggers(draft, doc["on"] if "on" in doc else doc.get(True))
    draft.permissions = _permissions(doc)
    concurrency = doc.get("concurrency")
    draft.concurrency = (
        scalar(concurrency)
        if not isinstance(concurrency, dict)
        else scalar(concurrency.get("group"))
    )
    draft.env = _env(doc.get("env"))
    defaults = _run_defaults(doc, {})
    jobs_map = doc.get("jobs")
    jobs = [_job(str(job_id), raw, jobs_map, defaults) for job_id, raw in mapping(jobs_map).items()]
    return build_evidence(source.path, draft, jobs, github=True)


def _is_action_definition(path: str) -> bool:
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    return name in {"action.yml", "action.yaml"} and ("/" not in low or low.startswith(".github/"))


@parser("ci-github-action-definition", Modality.CI, _is_action_definition)
def parse_action_definition(source: ParseInput) -> list[Evidence]:
    """A local action: ``runs.using`` (composite/node/docker), inputs, and composite steps."""
    doc = load_single_mapping(source.text, "GitHub action")
    if doc is None or not isinstance(doc.get("runs"), dict):
        return []
    runs = mapping(doc["runs"])
    directory = posixpath.dirname(source.path)
    action = f"./{directory}" if directory else "."
    steps_raw = runs.get("steps")
    drafts = [_step(raw, idx, steps_raw, {}) for idx, raw in enumerate(seq(steps_raw))]
    main = scalar(runs.get("main")) or scalar(runs.get("image"))
    links = [Link(src=f"file:{source.path}", dst=f"action:{action}", rel="defines")]
    if main and main.startswith("docker://"):
        links.append(
            Link(src=f"action:{action}", dst="image:" + main.removeprefix("docker://"), rel="uses")
        )
    definition = CiActionDefinition(
        path=source.path,
        line=1,
        end_line=len(source.lines) or None,
        name=scalar(doc.get("name")) or action,
        text=scalar(doc.get("description")),
        links=tuple(links),
        action=action,
        using=scalar(runs.get("using")),
        main=main,
        inputs=tuple(str(k) for k in mapping(doc.get("inputs"))),
        outputs=tuple(str(k) for k in mapping(doc.get("outputs"))),
        description=scalar(doc.get("description")),
        step_count=len(drafts),
    )
    steps = build_steps(
        source.path, "github-actions", "runs", drafts, node=f"action:{action}", github=True
    )
    return [definition, *steps]


__all__ = ["ActionRef", "CiActionDefinition", "parse_action_definition", "parse_github_workflow"]
