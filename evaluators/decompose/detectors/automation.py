"""Automation: CI, CI tests on every change, training pipelines, continuous training/delivery.

CI facts come from the CI parsers (``ci.pipeline``/``ci.job``/``ci.step`` with normalised
triggers, ``needs`` and the scripts each step runs); ML pipelines from the pipeline parsers
(``pipeline.definition``/``pipeline.stage`` with stage roles and upstream links). What a CI
step *does* is judged from its commands and actions, never from its name alone.
"""

from __future__ import annotations

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors._helpers_b import (
    AUTOMATIC_TRIGGERS,
    CHANGE_TRIGGERS,
    DEPLOY_WORDS,
    EVAL_WORDS,
    EXTERNAL_EVENT_TRIGGERS,
    REGISTER_WORDS,
    TRAIN_WORDS,
    ci_index,
    command_roles,
    deploy_reason,
    is_product_path,
    job_label,
    pipeline_label,
    runs_training,
    short,
    stage_index,
    step_commands,
    tokens,
    training_pipelines,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_shell import analyse_commands, classify_roles
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeCall, CodeModule
from hyperscore.evaluators.ingest.parsers.infra_iac import IacResource
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineStage,
    PipelineTrigger,
)

#: CI configuration files some systems keep where no parser reads them (cited by path only).
UNPARSED_CI_GLOBS = (
    ".taskcluster.yml",
    ".taskcluster.yaml",
    ".buildkite/*.yml",
    ".buildkite/*.yaml",
    ".woodpecker.yml",
    ".woodpecker/*.yml",
    ".semaphore/semaphore.yml",
    ".cirrus.yml",
    "cloudbuild/*.yaml",
    "cloudbuild/*.yml",
    "bitrise.yml",
    "codemagic.yaml",
    ".teamcity/settings.kts",
)
#: IaC resource types that define a CI/CD pipeline (CodePipeline, CodeBuild, Cloud Build...).
CICD_RESOURCE_WORDS = frozenset({"codepipeline", "codebuild", "cloudbuild", "codedeploy"})
#: IaC resource types that start something on a schedule or an event.
SCHEDULE_RESOURCE_WORDS = (
    "cloud_scheduler",
    "scheduler_schedule",
    "cloudwatch_event_rule",
    "events::rule",
    "events.rule",
    "scheduler::schedule",
    "eventbridge",
    "logic_app_trigger_recurrence",
)
#: Code calls that register or promote a model version.
PROMOTION_CALLS = (
    "register_model",
    "create_model_version",
    "transition_model_version_stage",
    "set_registered_model_alias",
    "update_model_version",
    "create_model_package",
    "link_model",
)


@detects("ci-pipeline")
def ci_pipeline(ctx: DetectionContext) -> list[Citation]:
    """A CI configuration with at least one job (or a CI/CD pipeline declared as IaC)."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path, pipe in sorted(index.pipelines.items()):
        jobs = index.jobs.get(path, [])
        if not jobs:
            continue
        names = ", ".join(job_label(j) for j in jobs[:6])
        more = f" (+{len(jobs) - 6} more)" if len(jobs) > 6 else ""
        trig = f", triggered on {', '.join(pipe.triggers)}" if pipe.triggers else ""
        out.append(cite(pipe, f"{pipe.system} pipeline with jobs {names}{more}{trig}"))
    for path in ctx.paths_matching(*UNPARSED_CI_GLOBS):
        if path not in index.pipelines:
            out.append(cite_file(path, "CI configuration file (content not analysed)"))
    for res in ctx.typed(IacResource):
        if res.data_source or not is_product_path(res.path):
            continue
        if tokens(res.resource_type) & CICD_RESOURCE_WORDS:
            out.append(
                cite(
                    res,
                    f"CI/CD pipeline declared as infrastructure: {res.resource_type} "
                    f"'{res.name}' ({res.tool})",
                )
            )
    return out


def _test_steps(ctx: DetectionContext, pipe: CiPipeline) -> list[tuple[CiJob, str]]:
    """Jobs of ``pipe`` that run tests, with the command or action that does."""
    index = ci_index(ctx)
    found: list[tuple[CiJob, str]] = []
    for job in index.jobs.get(pipe.path, []):
        for step in index.job_steps(job):
            if "test" in command_roles(step):
                what = next(
                    (c for c in step_commands(step) if "test" in classify_roles((), [c], None)),
                    step.uses.action if step.uses else step.name,
                )
                found.append((job, short(what)))
                break
        else:
            called = job.uses
            if called is not None and called.pin == "local":
                target = index.pipelines.get(called.action.removeprefix("./"))
                if target is not None and "test" in target.roles:
                    found.append((job, f"calls reusable workflow {called.action}"))
    return found


@detects("ci-tests-on-change")
def ci_tests_on_change(ctx: DetectionContext) -> list[Citation]:
    """A CI pipeline triggered by pushes or pull/merge requests runs a test command."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path, pipe in sorted(index.pipelines.items()):
        triggers = set(pipe.triggers) & CHANGE_TRIGGERS
        if not triggers and not (pipe.system == "jenkins" and not pipe.triggers):
            continue
        on = ", ".join(sorted(triggers)) or "every push (Jenkins multibranch default)"
        for job, what in _test_steps(ctx, pipe):
            out.append(
                cite(
                    job,
                    f"{pipeline_label(pipe, path)} runs tests on {on}: job "
                    f"'{job_label(job)}' runs '{what}'",
                )
            )
    return out


@detects("training-pipeline")
def training_pipeline(ctx: DetectionContext) -> list[Citation]:
    """An orchestrated pipeline (DVC, Kubeflow, Airflow, ZenML, Metaflow, MLproject...) with a
    training stage, or a Tekton/Argo workflow whose steps train."""
    out: list[Citation] = []
    index = stage_index(ctx)
    for train, stages in training_pipelines(ctx):
        definition = index.definitions.get((train.path, train.pipeline))
        framework = definition.framework if definition else train.framework
        names = " -> ".join(s.name for s in stages[:8]) + (" ..." if len(stages) > 8 else "")
        cmd = f" runs {short(train.cmd, 60)}" if train.cmd else ""
        out.append(
            cite(
                train,
                f"{framework} pipeline '{train.pipeline}' ({names}): stage '{train.name}'{cmd}",
            )
        )
    ci = ci_index(ctx)
    for path, pipe in ci.pipelines.items():
        if pipe.system not in {"tekton", "argo-workflows"}:
            continue
        for job in ci.jobs.get(path, []):
            if any(runs_training(ctx, s) for s in ci.job_steps(job)):
                out.append(cite(job, f"{pipe.system} workflow step '{job_label(job)}' trains"))
                break
    return out


def _ci_training_jobs(ctx: DetectionContext) -> list[tuple[CiPipeline, CiJob, str]]:
    index = ci_index(ctx)
    out: list[tuple[CiPipeline, CiJob, str]] = []
    for path, pipe in index.pipelines.items():
        for job in index.jobs.get(path, []):
            for step in index.job_steps(job):
                why = runs_training(ctx, step)
                if why:
                    out.append((pipe, job, why))
                    break
    return out


@detects("scheduled-retraining")
def scheduled_retraining(ctx: DetectionContext) -> list[Citation]:
    """Training starts without a person: a CI schedule or external event runs training, a
    training pipeline carries a schedule/sensor/drift trigger, or an IaC scheduler exists
    beside a training pipeline."""
    out: list[Citation] = []
    for pipe, job, why in _ci_training_jobs(ctx):
        if pipe.schedules or "schedule" in pipe.triggers:
            cron = f" (cron {', '.join(pipe.schedules)})" if pipe.schedules else ""
            out.append(cite(job, f"{pipe.path} is scheduled{cron}; job '{job_label(job)}' {why}"))
        external = set(pipe.triggers) & EXTERNAL_EVENT_TRIGGERS
        if external:
            out.append(
                cite(
                    job,
                    f"{pipe.path} starts on {', '.join(sorted(external))}; job "
                    f"'{job_label(job)}' {why}",
                )
            )
    trained = {(train.path, train.pipeline) for train, _ in training_pipelines(ctx)}
    for definition in ctx.typed(PipelineDefinition):
        if (definition.path, definition.name) in trained and definition.triggers:
            when = f" ({definition.schedule})" if definition.schedule else ""
            out.append(
                cite(
                    definition,
                    f"{definition.framework} training pipeline "
                    f"'{definition.name}' has a "
                    f"{'/'.join(definition.triggers)} trigger{when}",
                )
            )
    train_names = {name for _, name in trained} | {path for path, _ in trained}
    for trigger in ctx.typed(PipelineTrigger):
        if trigger.target and (
            trigger.target in train_names or tokens(trigger.target) & TRAIN_WORDS
        ):
            out.append(
                cite(
                    trigger,
                    f"{trigger.framework} {trigger.trigger} trigger starts "
                    f"training pipeline '{trigger.target}'",
                )
            )
    if trained:
        for res in ctx.typed(IacResource):
            rtype = res.resource_type.lower()
            if not res.data_source and any(w in rtype for w in SCHEDULE_RESOURCE_WORDS):
                out.append(
                    cite(
                        res,
                        f"{res.tool} {res.resource_type} '{res.name}' schedules "
                        "runs beside a training pipeline",
                    )
                )
    return out


def _registers(step: CiStep) -> bool:
    return "register" in command_roles(step, with_action=False)


@detects("continuous-delivery")
def continuous_delivery(ctx: DetectionContext) -> list[Citation]:
    """An automatically triggered CI/CD job deploys or registers a model, or a training
    pipeline ends in a register/deploy stage."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path, pipe in sorted(index.pipelines.items()):
        auto = set(pipe.triggers) & AUTOMATIC_TRIGGERS
        if not auto and not (pipe.system == "jenkins" and not pipe.triggers):
            continue
        on = ", ".join(sorted(auto)) or "every push"
        for job in index.jobs.get(path, []):
            for step in index.job_steps(job):
                why = deploy_reason(step)
                if why is None and _registers(step):
                    why = f"registers a model ('{short(' '.join(step_commands(step)), 70)}')"
                if why:
                    out.append(cite(step, f"{path} on {on}: job '{job_label(job)}' {why}"))
                    break
    for train, stages in training_pipelines(ctx):
        after = {s.name for s in stage_index(ctx).downstream(train)}
        for stage in stages:
            if stage.name in after and stage.role in {"register", "deploy"}:
                out.append(
                    cite(
                        stage,
                        f"{stage.framework} pipeline '{stage.pipeline}': stage "
                        f"'{stage.name}' ({stage.role}) follows training stage "
                        f"'{train.name}'",
                    )
                )
    return out


def _is_evaluation_job(ctx: DetectionContext, job: CiJob) -> str | None:
    words = tokens(job.job_id, job.display_name)
    steps = ci_index(ctx).job_steps(job)
    if words & EVAL_WORDS:
        return f"job '{job_label(job)}'"
    for step in steps:
        for target in step.runs:
            if tokens(target.partition(":")[2]) & EVAL_WORDS:
                return f"job '{job_label(job)}' runs {target.partition(':')[2]}"
    return None


def _gated_module_paths(ctx: DetectionContext) -> dict[str, CodeModule]:
    """Modules that promote/register a model and also assert metric thresholds."""
    promoting = {
        c.path for c in ctx.typed(CodeCall)
        if c.function.rsplit(".", 1)[-1] in PROMOTION_CALLS
        or c.literal_kwargs.get("registered_model_name") is not None
    }  # fmt: skip
    return {
        m.path: m for m in ctx.typed(CodeModule)
        if m.path in promoting and m.threshold_asserts > 0 and is_product_path(m.path)
    }  # fmt: skip


@detects("automated-model-validation")
def automated_model_validation(ctx: DetectionContext) -> list[Citation]:
    """An evaluation gate runs automatically before a model is registered or deployed: a CI
    chain train -> evaluate -> deploy/register, a pipeline gate/evaluation stage after training
    followed by a register/deploy/promotion stage, or a CI/pipeline-run module that checks
    metric thresholds before promoting the model."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path in sorted(index.jobs):
        jobs = index.jobs[path]
        for job in jobs:
            what = _is_evaluation_job(ctx, job)
            if what is None:
                continue
            later = [j for j in jobs if j.job_id in index.downstream(path, job.job_id)]
            acting = next(
                (j for j in later
                 if any(deploy_reason(s) or _registers(s) for s in index.job_steps(j))
                 or tokens(j.job_id) & (DEPLOY_WORDS | REGISTER_WORDS)),
                None,
            )  # fmt: skip
            ml = any(runs_training(ctx, s) for s in index.job_steps(job)) or any(
                runs_training(ctx, s)
                for up in index.upstream(path, job.job_id)
                for j in jobs if j.job_id == up
                for s in index.job_steps(j)
            ) or "runs" in what  # fmt: skip
            if acting is not None and ml:
                out.append(
                    cite(
                        job,
                        f"{path}: {what} evaluates the model before job "
                        f"'{job_label(acting)}' (needs chain)",
                    )
                )
    stages_index = stage_index(ctx)
    for train, _stages in training_pipelines(ctx):
        after = {s.name: s for s in stages_index.downstream(train)}
        for stage in after.values():
            if stage.role not in {"gate", "evaluate"}:
                continue
            follow = [
                s
                for s in stages_index.downstream(stage)
                if s.role in {"register", "deploy", "gate"}
                or tokens(s.name)
                & {
                    "best",
                    "champion",
                    "promote",
                    "upload",
                    "update",
                    "compare",
                    "select",
                    "register",
                    "deploy",
                }
            ]
            if stage.role == "gate" and (stage.condition or stage.step_type):
                follow = follow or [stage]
            if follow:
                out.append(
                    cite(
                        stage,
                        f"{stage.framework} pipeline '{stage.pipeline}': "
                        f"{stage.role} stage '{stage.name}' after training "
                        f"decides '{follow[0].name}'",
                    )
                )
                break
    gated = _gated_module_paths(ctx)
    if gated:
        modules = {m.module: m for m in gated.values() if m.module}
        for step in ctx.typed(CiStep):
            for target in step.runs:
                kind, _, rest = target.partition(":")
                hit = gated.get(rest) if kind == "file" else None
                if kind == "module":
                    hit = next(
                        (
                            m
                            for name, m in modules.items()
                            if name == rest or name.endswith("." + rest)
                        ),
                        None,
                    )
                if hit is not None:
                    out.append(
                        cite(
                            step,
                            f"CI runs {rest}, which checks {hit.threshold_asserts} "
                            "metric threshold(s) before registering/promoting",
                        )
                    )
        for stage in ctx.typed(PipelineStage):
            for _rel, target in analyse_commands([stage.cmd or ""]):
                kind, _, rest = target.partition(":")
                hit = gated.get(rest) if kind == "file" else None
                if kind == "module":
                    hit = next(
                        (
                            m
                            for name, m in modules.items()
                            if name == rest or name.endswith("." + rest)
                        ),
                        None,
                    )
                if hit is not None:
                    out.append(
                        cite(
                            stage,
                            f"pipeline stage '{stage.name}' runs {hit.path}, "
                            "which checks metric thresholds before promoting",
                        )
                    )
    return out
