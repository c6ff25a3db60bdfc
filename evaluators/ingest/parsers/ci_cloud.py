"""Cloud build services: AWS CodeBuild (``buildspec*.yml``) and Google Cloud Build
(``cloudbuild*.yaml|yml|json``).

Neither file says when it runs (triggers live in the cloud console), so ``triggers`` stays
empty. CodeBuild: one job ``build`` whose steps are the phases (install, pre_build, build,
post_build, each phase's ``finally``), ``runtime-versions`` (python -> ``python_versions``),
``env.secrets-manager``/``parameter-store`` (names of the variables and of the referenced
secrets, as ``secrets-manager:<id>``/``parameter-store:<name>``; values never), and batch
``build-graph`` entries as further jobs with ``depend-on`` -> needs. Cloud Build: every step is
a job (id or ``step-<n>``) running one command in its builder image; ``waitFor`` gives explicit
needs (``-`` = none), otherwise each step waits for the previous one; ``availableSecrets`` and
``secretEnv`` are secret names.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    add_python_version,
    build_evidence,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
)
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
from hyperscore.evaluators.model import Evidence, Modality

_PHASES = ("install", "pre_build", "build", "post_build")
_SECRET_NAME_RE = re.compile(r"/secrets/([^/]+)")


def _env_map(value: Any) -> dict[str, str]:
    return {str(k): scalar(v) or "" for k, v in mapping(value).items()}


def _buildspec_phase_steps(phases: Any, job: JobDraft) -> None:
    for phase in _PHASES:
        body = mapping(phases).get(phase)
        if body is None:
            continue
        phase_map = mapping(body)
        for key, value in mapping(phase_map.get("runtime-versions")).items():
            if str(key).lower() == "python":
                add_python_version(job, value)
        for label, section in (
            (phase, phase_map.get("commands")),
            (f"{phase}.finally", phase_map.get("finally")),
        ):
            commands = strings(section)
            if commands:
                line = key_line(phase_map, "commands" if label == phase else "finally")
                job.steps.append(
                    StepDraft(
                        name=label,
                        line=line,
                        end_line=end_of(section),
                        run="\n".join(commands),
                        commands=commands,
                    )
                )


@parser("ci-aws-codebuild", Modality.CI, ["buildspec*.yml", "buildspec*.yaml"])
def parse_buildspec(source: ParseInput) -> list[Evidence]:
    """Phases as steps, runtime versions, env variables and secret sources, batch graph."""
    doc = load_single_mapping(source.text, "buildspec")
    if doc is None or not any(k in doc for k in ("phases", "batch")):
        return []
    draft = PipelineDraft(
        system="aws-codebuild", name=source.path, end_line=len(source.lines) or None
    )
    env = mapping(doc.get("env"))
    draft.env = _env_map(env.get("variables"))
    for store, key in (
        ("secrets-manager", "secrets-manager"),
        ("parameter-store", "parameter-store"),
    ):
        for name, ref in mapping(env.get(key)).items():
            draft.env[str(name)] = f"${{{store}}}"
            draft.secret_vars.add(str(name))
            draft.secrets.add(str(name))
            reference = (
                (scalar(ref) or "").split(":", 1)[0]
                if store == "secrets-manager"
                else scalar(ref) or ""
            )
            draft.secrets.add(f"{store}:{reference}")
    jobs: list[JobDraft] = []
    if "phases" in doc:
        job = JobDraft(
            job_id="build", line=key_line(doc, "phases"), end_line=end_of(doc.get("phases"))
        )
        _buildspec_phase_steps(doc.get("phases"), job)
        jobs.append(job)
    batch = mapping(doc.get("batch"))
    graph = batch.get("build-graph") or batch.get("build-list")
    for idx, raw in enumerate(seq(graph)):
        entry = mapping(raw)
        identifier = scalar(entry.get("identifier")) or f"batch-{idx + 1}"
        job = JobDraft(job_id=identifier, line=item_line(graph, idx), end_line=end_of(raw))
        if "depend-on" in entry:
            job.needs, job.needs_source = strings(entry["depend-on"]), "explicit"
        spec = scalar(entry.get("buildspec"))
        if spec:
            job.uses = ActionRef(action=spec, pin="local", line=key_line(entry, "buildspec"))
        job.env = _env_map(mapping(entry.get("env")).get("variables"))
        jobs.append(job)
    return build_evidence(source.path, draft, jobs)


def _cloud_build_command(step: dict[Any, Any]) -> str | None:
    """The command a step runs: its script, ``bash -c`` text, or entrypoint + args."""
    script = scalar(step.get("script"))
    if script:
        return script
    args = strings(step.get("args"))
    image = scalar(step.get("name")) or ""
    entrypoint = (
        scalar(step.get("entrypoint")) or image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    )
    if entrypoint.rsplit("/", 1)[-1] in {"bash", "sh"} and len(args) >= 2 and args[0] == "-c":
        return args[1]
    return shlex.join([entrypoint, *args]) if entrypoint or args else None


@parser(
    "ci-cloud-build",
    Modality.CI,
    [
        "cloudbuild*.yaml",
        "cloudbuild*.yml",
        "cloudbuild*.json",
        "**/cloudbuild/*.yaml",
        "**/cloudbuild/*.yml",
        "**/cloudbuild/*.json",
    ],
)
def parse_cloud_build(source: ParseInput) -> list[Evidence]:
    """Steps as jobs (image, command, waitFor ordering), substitutions, secrets, images pushed."""
    doc = load_single_mapping(source.text, "Cloud Build config")
    if doc is None or not isinstance(doc.get("steps"), list):
        return []
    draft = PipelineDraft(
        system="cloud-build", name=source.path, end_line=len(source.lines) or None
    )
    draft.env = {str(k): scalar(v) or "" for k, v in mapping(doc.get("substitutions")).items()}
    for entry in seq(mapping(doc.get("availableSecrets")).get("secretManager")):
        secret = mapping(entry)
        env_name = scalar(secret.get("env"))
        if env_name:
            draft.secrets.add(env_name)
            draft.secret_vars.add(env_name)
        match = _SECRET_NAME_RE.search(scalar(secret.get("versionName")) or "")
        if match:
            draft.secrets.add(f"secret-manager:{match.group(1)}")
    steps = doc["steps"]
    jobs: list[JobDraft] = []
    for idx, raw in enumerate(steps):
        body = mapping(raw)
        job_id = scalar(body.get("id")) or f"step-{idx + 1}"
        line = item_line(steps, idx)
        job = JobDraft(
            job_id=job_id, line=line, end_line=end_of(raw), image=scalar(body.get("name"))
        )
        if "waitFor" in body:
            job.needs = [w for w in strings(body["waitFor"]) if w != "-"]
            job.needs_source = "explicit"
        elif jobs:
            job.needs, job.needs_source = [jobs[-1].job_id], "stage-order"
        job.timeout_minutes = parse_duration_minutes(body.get("timeout"), bare_unit="s")
        job.continue_on_error = truthy(body.get("allowFailure"))
        env = {}
        for item in strings(body.get("env")):
            name, _, value = item.partition("=")
            env[name] = value
        secret_env = strings(body.get("secretEnv"))
        run = _cloud_build_command(body)
        job.steps.append(
            StepDraft(
                name="",
                line=line,
                end_line=end_of(raw),
                run=run,
                image=job.image,
                working_directory=scalar(body.get("dir")),
                env=env,
                secrets=set(secret_env),
                secret_vars=set(secret_env),
            )
        )
        jobs.append(job)
    return build_evidence(source.path, draft, jobs)
