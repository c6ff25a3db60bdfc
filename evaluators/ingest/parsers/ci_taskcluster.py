"""Taskcluster (Mozilla's CI): ``.taskcluster.yml``, hooks, taskgraph kinds and cron jobs.

Taskcluster files are JSON-e templates: tasks sit inside ``$let``/``$if``/``$mergeDeep``
constructs evaluated by the service for each GitHub event. Nothing is evaluated here; the
structure is walked instead: ``$let`` bindings are kept (so ``{$eval: default_task}`` inside a
``$mergeDeep`` resolves and ``${image}`` interpolates when bound to plain text), ``$if``
branches are all followed and their expressions kept as the job's ``condition``, and any
mapping carrying ``payload``/``provisionerId``/``workerType``/``taskQueueId`` is a task.

* triggers come from the ``tasks_for`` values the file compares against (``github-push`` ->
  ``push``, ``github-pull-request`` -> ``pull_request``, ``cron`` -> ``schedule``, ``action``
  -> ``manual``...), from ``on.events`` (version 0) and, for hook definitions (JSON with a
  ``task``), from ``schedule`` (cron) and pulse ``bindings`` (``pipeline``: another task ended);
* a task is a job: ``taskId: {$eval: as_slugid("x")}`` (or ``ID``, or ``metadata.name``) is its
  id, ``dependencies`` its needs, ``payload.command`` its one step (``bash -c`` scripts are
  unwrapped), ``payload.image`` its image, ``secrets:get:<name>`` scopes its secrets
  (``taskcluster-secret:<name>``), ``maxRunTime`` its timeout;
* taskgraph kinds (``taskcluster/**/kind.yml``): one job per task (``task-defaults`` applied),
  ``run.command`` as the step, ``kind-dependencies`` as the pipeline's upstream,
  ``when.files-changed`` as paths; ``.cron.yml``: scheduled decision tasks.

Tasks clone the repository themselves (``git clone ${repository} && cd myproj``), so the first
``cd`` into the clone is read as the repository root when resolving the scripts a task runs: the
step's ``run`` keeps the script as written, its ``commands`` show that ``cd`` as ``cd .``.
Environment variables that name a Taskcluster secret (``TASKCLUSTER_SECRET``, ``TC_SECRET_ID``)
are recorded as ``taskcluster-secret:<name>``, not as hard-coded secrets.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    build_evidence,
)
from hyperscore.evaluators.ingest.parsers.ci_common import clean_image
from hyperscore.evaluators.ingest.parsers.ci_shell import split_commands
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    Budget,
    LineDict,
    end_of,
    key_line,
    load_single_mapping,
    mapping,
    scalar,
    seq,
    strings,
    summary,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

MAX_TASKS = 500
_TASK_KEYS = ("payload", "provisionerId", "workerType", "taskQueueId")
_SLUGID_RE = re.compile(r"""as_slugid\(\s*["']([^"']{1,200})["']\s*\)""")
#: ``tasks_for == "x"``, ``tasks_for[:19] != "x"``, ``tasks_for in ["x", "y"]`` and reversed.
_TASKS_FOR_RE = re.compile(
    r"""tasks_for(?:\[[^\]\n]{0,20}\])?\s*(?:==|!=|in)\s*(\[[^\]\n]{0,300}\]|["'][^"'\n]{0,60}["'])"""
    r"""|(["'][^"'\n]{0,60}["'])\s*(?:==|!=)\s*tasks_for"""
)
_QUOTED_RE = re.compile(r"""["']([^"']+)["']""")
_TASKS_FOR_TRIGGERS = {
    "github-push": "push", "github-pull-request": "pull_request",
    "github-pull-request-untrusted": "pull_request", "github-release": "release",
    "github-issue-comment": "issue_comment", "cron": "schedule", "action": "manual",
    "pr-action": "manual",
}  # fmt: skip
_V0_EVENTS = {"push": "push", "tag": "tag", "release": "release"}
_INTERPOLATION_RE = re.compile(r"\$\{([A-Za-z_]\w*)\}")
_CLONE_RE = re.compile(r"git\s+clone\s+(?:-\S+\s+)*(\S+)(?:\s+(?!&&|;|\|)([^\s&;|]+))?")
_CD_AFTER_RE = re.compile(r"(?:&&|;)\s*cd\s+([^\s&;|]+)")
_SECRET_SCOPE_RE = re.compile(r"^secrets:get:(\S+)$")
_SECRET_ID_VARS = frozenset({"TASKCLUSTER_SECRET", "TASKCLUSTER_SECRET_ID", "TC_SECRET_ID"})


#: ``.taskcluster.yml``, ``.cron.yml``, the ``taskcluster/`` tree and files named after
#: Taskcluster (``taskcluster-hook-*.json``). Task graphs spawned from files with other names are
#: not claimed: every YAML file of every project would be a candidate.
TASKCLUSTER_GLOBS = [
    "*taskcluster*.yml", "*taskcluster*.yaml", "*taskcluster*.json", ".cron.yml", ".cron.yaml",
    "**/taskcluster/*.yml", "**/taskcluster/*.yaml", "**/taskcluster/*.json",
]  # fmt: skip


@dataclass
class _Task:
    body: dict[str, Any]
    line: int | None
    end_line: int | None
    conditions: list[str]
    bindings: dict[str, Any]


def _deep_merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = _deep_merge(merged[key], value) if key in merged else value
        return merged
    return extra


def _resolve(value: Any, bindings: dict[str, Any]) -> Any:
    """``{$eval: name}`` -> the bound value (only bare names: nothing is evaluated)."""
    if isinstance(value, dict) and len(value) == 1 and "$eval" in value:
        name = scalar(value["$eval"]) or ""
        if name in bindings:
            return bindings[name]
    return value


def _collect(
    node: Any, bindings: dict[str, Any], conditions: list[str], out: list[_Task], budget: Budget
) -> None:
    """Append every task found under ``node`` (JSON-e constructs followed, not evaluated)."""
    budget.spend()
    if len(out) >= MAX_TASKS:
        return
    if isinstance(node, list):
        for item in node:
            _collect(item, bindings, conditions, out, budget)
        return
    if not isinstance(node, dict):
        return
    if "$let" in node:
        bound = {**bindings, **{str(k): v for k, v in mapping(node["$let"]).items()}}
        _collect(node.get("in"), bound, conditions, out, budget)
        return
    if "$if" in node:
        condition = scalar(node["$if"]) or "?"
        _collect(node.get("then"), bindings, [*conditions, condition], out, budget)
        if "else" in node:
            _collect(node["else"], bindings, [*conditions, f"!({condition})"], out, budget)
        return
    for operator in ("$mergeDeep", "$merge"):
        if operator in node:
            merged: Any = {}
            for part in seq(node[operator]):
                budget.spend()
                merged = _deep_merge(merged, _resolve(part, bindings))
            if isinstance(merged, dict) and any(k in merged for k in _TASK_KEYS):
                out.append(_Task(merged, node_line(node), end_of(node), conditions, bindings))
            return
    if any(k in node for k in _TASK_KEYS):
        out.append(_Task(node, node_line(node), end_of(node), conditions, bindings))
        return
    for key, value in node.items():
        if str(key) not in {"metadata", "extra", "tags"}:
            _collect(value, bindings, conditions, out, budget)


def _dict(value: Any) -> dict[str, Any]:
    """A mapping as is (merged task bodies are plain dicts, not line-aware ones), else empty."""
    return value if isinstance(value, dict) else {}


def node_line(node: Any) -> int | None:
    return node.start if isinstance(node, LineDict) and node.start else None


def _interpolate(text: str, bindings: dict[str, Any]) -> str:
    """``${name}`` replaced where ``name`` is bound to plain text."""
    if "${" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        bound = bindings.get(match.group(1))
        return bound if isinstance(bound, str) else match.group(0)

    return _INTERPOLATION_RE.sub(value, text)


def _task_ref(value: Any) -> str | None:
    """A task's own name: ``{$eval: as_slugid("x")}`` -> ``x``; a plain string as is."""
    text = scalar(value) if not isinstance(value, dict) else scalar(value.get("$eval"))
    if not text:
        return None
    match = _SLUGID_RE.search(text)
    return match.group(1) if match else (None if isinstance(value, dict) else text)


def _rebase_checkout(script: str) -> str:
    """Read the first ``cd`` into the task's own clone of the repository as ``cd .``."""
    clone = _CLONE_RE.search(script)
    if clone is None:
        return script
    dest = clone.group(2)
    if dest is None:
        repo = clone.group(1).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        following = _CD_AFTER_RE.search(script, clone.end())
        dest = repo if "$" not in repo else (following.group(1) if following else None)
    if not dest:
        return script
    pattern = re.compile(rf"(?<![\w/.-])cd\s+{re.escape(dest)}(?=\s*(?:&&|;|\)|$))")
    return pattern.sub("cd .", script, count=1)


def _command(payload: dict[str, Any], bindings: dict[str, Any]) -> str | None:
    """The script a task runs: ``bash -c`` text unwrapped, argv joined, list-of-argv per line,
    ``${name}`` interpolated where bound to text."""
    items = seq(payload.get("command"))
    if items and all(isinstance(item, list) for item in items):
        text = "\n".join(shlex.join(strings(item)) for item in items)
    else:
        argv = strings(payload.get("command"))
        if not argv:
            return None
        shell = argv[0].rsplit("/", 1)[-1] in {"bash", "sh", "zsh"}
        if shell and len(argv) >= 3 and argv[1].startswith("-") and "c" in argv[1]:
            text = argv[2]
        else:
            text = shlex.join(argv)
    return _interpolate(text, bindings)


def _job(task: _Task, index: int) -> JobDraft:
    body = task.body
    meta = _dict(body.get("metadata"))
    name = scalar(meta.get("name"))
    job_id = _task_ref(body.get("taskId")) or scalar(body.get("ID")) or name or f"task-{index}"
    payload = _dict(body.get("payload"))
    image = payload.get("image")
    image_text = _interpolate(image, task.bindings) if isinstance(image, str) else None
    job = JobDraft(job_id=job_id, line=task.line, end_line=task.end_line, display_name=name)
    job.image = clean_image(image_text) if image_text and "${" not in image_text else None
    needs = [ref for dep in seq(body.get("dependencies")) if (ref := _task_ref(dep))]
    if needs:
        job.needs, job.needs_source = needs, "explicit"
    queue = scalar(body.get("taskQueueId")) or "/".join(
        t for t in (scalar(body.get("provisionerId")), scalar(body.get("workerType"))) if t
    )
    job.runs_on = [queue] if queue else []
    if task.conditions:
        job.condition = " && ".join(task.conditions)[:500]
    run_time = payload.get("maxRunTime")
    if isinstance(run_time, int) and not isinstance(run_time, bool):
        job.timeout_minutes = round(run_time / 60, 4)
    for key, value in _dict(payload.get("env")).items():
        text = scalar(value) or ""
        if str(key).upper() in _SECRET_ID_VARS and text:  # names a secret, holds no value
            job.secrets.add(f"taskcluster-secret:{text}")
            text = "${taskcluster-secret}"
        job.env[str(key)] = text
    for scope in strings(body.get("scopes")):
        match = _SECRET_SCOPE_RE.match(scope)
        if match:
            job.secrets.add(f"taskcluster-secret:{match.group(1)}")
    run = _command(payload, task.bindings)
    commands = [_rebase_checkout(c) for c in split_commands(run)] if run else None
    job.steps.append(
        StepDraft(
            name="", line=task.line, end_line=task.end_line, run=run, commands=commands,
            image=job.image,
        )
    )  # fmt: skip
    return job


def _triggers(doc: LineDict, text: str, draft: PipelineDraft) -> None:
    if "tasks_for" in text:
        values = [v for m in _TASKS_FOR_RE.finditer(text) for v in _QUOTED_RE.findall(m.group())]
        for raw in dict.fromkeys(v for v in values if v in _TASKS_FOR_TRIGGERS):
            draft.events.append(raw)
            draft.triggers.append(_TASKS_FOR_TRIGGERS[raw])
    for entry in seq(doc.get("on")):  # version 0
        for event in strings(mapping(entry).get("events")):
            draft.events.append(event)
            head = event.split(".", 1)[0]
            draft.triggers.append(
                "pull_request" if head == "pull_request" else _V0_EVENTS.get(head, head)
            )
    schedule = strings(doc.get("schedule"))
    if schedule:
        draft.triggers.append("schedule")
        draft.schedules.extend(schedule)
    for binding in seq(doc.get("bindings")):
        exchange = scalar(mapping(binding).get("exchange"))
        if exchange:
            draft.triggers.append("pipeline")
            draft.events.append(exchange)


def _task_graph(source: ParseInput, doc: LineDict) -> list[Evidence]:
    """A ``.taskcluster.yml``, a hook definition or a spawned task graph."""
    draft = PipelineDraft(
        system="taskcluster", name=source.path, end_line=len(source.lines) or None
    )
    _triggers(doc, source.text, draft)
    root = doc.get("tasks") if "tasks" in doc else doc.get("task")
    found: list[_Task] = []
    _collect(root, {}, [], found, Budget(what="Taskcluster tasks"))
    jobs = [_job(task, idx + 1) for idx, task in enumerate(found)]
    names = {job.job_id for job in jobs}
    for job in jobs:  # dependencies on tasks made elsewhere (decision tasks) are not edges
        job.needs = [n for n in job.needs if n in names]
        job.needs_source = job.needs_source if job.needs else "none"
    return build_evidence(source.path, draft, jobs)


def _kind_command(spec: dict[str, Any]) -> str | None:
    for holder in (_dict(spec.get("run")), _dict(spec.get("worker"))):
        command = holder.get("command")
        if isinstance(command, str):
            return command
        if isinstance(command, list):
            argv = strings(command)
            if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in {"bash", "sh"}:
                return argv[-1]
            return shlex.join(argv)
    return None


def _kind(source: ParseInput, doc: LineDict) -> list[Evidence]:
    """A taskgraph kind: its tasks, with ``task-defaults`` applied."""
    draft = PipelineDraft(
        system="taskcluster", name=source.path, end_line=len(source.lines) or None
    )
    draft.upstream = strings(doc.get("kind-dependencies"))
    defaults = doc.get("task-defaults", doc.get("job-defaults"))
    tasks = mapping(doc.get("tasks", doc.get("jobs")))
    jobs: list[JobDraft] = []
    for name, raw in list(tasks.items())[:MAX_TASKS]:
        spec = _deep_merge(dict(defaults) if isinstance(defaults, dict) else {}, raw)
        if not isinstance(spec, dict):
            continue
        job = JobDraft(
            job_id=str(name), line=key_line(tasks, name), end_line=end_of(raw),
            display_name=scalar(spec.get("description")),
        )  # fmt: skip
        worker = _dict(spec.get("worker"))
        job.image = clean_image(scalar(worker.get("docker-image")))
        job.runs_on = strings(spec.get("worker-type"))
        deps = [d for d in strings(list(_dict(spec.get("dependencies")).values())) if d in tasks]
        if deps:
            job.needs, job.needs_source = deps, "explicit"
        for pattern in strings(_dict(spec.get("when")).get("files-changed")):
            draft.paths.append(pattern)
        for raw_event in strings(spec.get("run-on-tasks-for")):
            draft.events.append(raw_event)
            draft.triggers.append(_TASKS_FOR_TRIGGERS.get(raw_event, raw_event))
        run = _kind_command(spec)
        cwd = scalar(_dict(spec.get("run")).get("cwd"))
        job.steps.append(
            StepDraft(
                name="", line=job.line, end_line=job.end_line, run=run,
                working_directory=None if not cwd or "{" in cwd else cwd,
            )
        )  # fmt: skip
        jobs.append(job)
    return build_evidence(source.path, draft, jobs)


def _cron(source: ParseInput, doc: LineDict) -> list[Evidence]:
    """``.cron.yml``: decision tasks run on a schedule."""
    draft = PipelineDraft(
        system="taskcluster", name=source.path, end_line=len(source.lines) or None
    )
    entries = doc.get("jobs")
    jobs: list[JobDraft] = []
    for index, raw in enumerate(seq(entries)[:MAX_TASKS]):
        entry = mapping(raw)
        name = scalar(entry.get("name")) or f"cron-{index + 1}"
        when = "; ".join(summary(w, 100) for w in seq(entry.get("when")))
        draft.triggers.append("schedule")
        draft.schedules.append(f"{name}: {when}" if when else name)
        job = JobDraft(job_id=name, line=entry.start or None, end_line=end_of(raw))
        method = scalar(mapping(entry.get("job")).get("target-tasks-method"))
        job.display_name = f"{name} ({method})" if method else None
        jobs.append(job)
    return build_evidence(source.path, draft, jobs)


@parser("ci-taskcluster", Modality.CI, TASKCLUSTER_GLOBS)
def parse_taskcluster(source: ParseInput) -> list[Evidence]:
    """Taskcluster tasks as CI jobs (see the module docstring for what counts as one)."""
    low = source.path.lower()
    name = low.rsplit("/", 1)[-1]
    is_root = name in {".taskcluster.yml", ".taskcluster.yaml"}
    in_tree = low.startswith("taskcluster/") or "/taskcluster/" in low
    is_cron = name in {".cron.yml", ".cron.yaml"}
    signature = "payload" in source.text and any(
        k in source.text for k in ("provisionerId", "taskQueueId", "workerType")
    )
    if not (is_root or in_tree or is_cron or signature):
        return []
    doc = load_single_mapping(source.text, "Taskcluster file")
    if doc is None:
        return []
    if in_tree and ("tasks" in doc or "jobs" in doc) and ("loader" in doc or "transforms" in doc):
        return _kind(source, doc)
    if is_cron and isinstance(doc.get("jobs"), list):
        return _cron(source, doc)
    if is_root or (signature and ("tasks" in doc or isinstance(doc.get("task"), dict))):
        return _task_graph(source, doc)
    return []
