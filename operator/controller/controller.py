"""One reconciliation of one MaturityAssessment: decide, run, write status, children, metrics.

The kopf handlers (``handlers.py``) call into :class:`Controller`; everything that blocks
(fetching, the engine, waiting for a sandbox Job) runs in a worker thread under a semaphore,
so the event loop keeps serving other objects and at most ``max_concurrent`` runs happen at
once. Errors become kopf's TemporaryError (wait and retry: the source is not there yet) or
PermanentError (the spec must change), each with a one-line, credential-free message, never
a traceback in the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import kopf
from pydantic import ValidationError

from hyperscore.evaluators.assessment import Assessment, StageResult
from hyperscore.evaluators.fusion.apply import FusionState
from hyperscore.evaluators.ingest import Limits
from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits
from hyperscore.operator import metrics
from hyperscore.operator.api.models import (
    DEGRADED,
    READY,
    MaturityAssessmentSpec,
    ReportRef,
    StageSettings,
)
from hyperscore.operator.controller import (
    policies,
    reconcile,
    resources,
    reviews,
    schedule,
    sources,
    status,
)
from hyperscore.operator.controller.config import OperatorConfig
from hyperscore.operator.controller.executors import EngineRequest, Executor, ExecutorError
from hyperscore.operator.controller.kube import Kube
from hyperscore.operator.controller.reconcile import RunNumbers
from hyperscore.operator.controller.schedule import CronError

ENGINE_STAGES = ("logic", "repro", "novelty")
KNOWN_STAGES = ("semantic", *ENGINE_STAGES, "sandbox")
SOURCE_RETRY_S = 30.0
EXECUTOR_RETRY_S = 60.0
JOB_POLL_S = 1.0
JOB_GRACE_S = 120.0  # scheduling and image pull, on top of the Job's own deadline

_T = TypeVar("_T")


class InvalidSpec(Exception):
    """The spec (or an object it names) cannot work as written; the user must change it."""


@dataclass(frozen=True)
class Finished:
    """What this process last finished for one assessment. The watch stream can lag behind our
    own writes (annotations and status are separate requests), so the next tick may see a body
    with the run marked complete but the old observedGeneration -- and would run again. What we
    wrote ourselves is known here without waiting for the echo."""

    run: int
    generation: int
    scored_at: dt.datetime | None
    policy: str | None = None  # the fingerprint of the policy state it was scored with


@dataclass(frozen=True)
class Outcome:
    assessment: Assessment
    revision: str | None
    policy: policies.PolicyView | None = None


def parse_spec(spec: Mapping[str, Any]) -> MaturityAssessmentSpec:
    try:
        parsed = MaturityAssessmentSpec.model_validate(dict(spec))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise InvalidSpec(f"spec.{where}: {first['msg']}") from None
    if parsed.schedule is not None and parsed.schedule.cron is not None:
        try:  # the CRD bounds only its length: refuse it before any run, not at the next one
            schedule.parse(parsed.schedule.cron)
        except CronError as exc:
            raise InvalidSpec(f"spec.schedule.cron: {exc}") from None
    unknown = sorted(set(parsed.stages) - set(KNOWN_STAGES))
    if unknown:
        raise InvalidSpec(
            f"spec.stages: unknown stage {', '.join(unknown)} (known: {', '.join(KNOWN_STAGES)})"
        )
    return parsed


def engine_request(
    spec: MaturityAssessmentSpec, timeout_s: float, fusion: FusionState | None = None
) -> EngineRequest:
    def enabled(stage: str) -> bool:
        return spec.stages.get(stage, StageSettings()).enabled

    return EngineRequest(
        semantic=enabled("semantic"),
        stages=tuple(s for s in ENGINE_STAGES if enabled(s)),
        timeout_s=timeout_s,
        fusion=fusion,
    )


def sandbox_wanted(spec: MaturityAssessmentSpec) -> bool:
    """The sandbox runs only when asked for (it needs an image able to run the project)."""
    settings = spec.stages.get("sandbox")
    return settings is not None and settings.enabled


def _parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _degraded_by_policy(current: Mapping[str, Any]) -> bool:
    """Degraded because of the policy: cleared by the next run once the policy works."""
    for condition in current.get("conditions") or []:
        if condition.get("type") == DEGRADED and condition.get("status") == "True":
            return condition.get("reason") in policies.POLICY_REASONS
    return False


class Controller:
    def __init__(self, config: OperatorConfig, executor: Executor, kube: Kube) -> None:
        self.config = config
        self.executor = executor
        self.kube = kube
        self.semaphore = asyncio.Semaphore(config.max_concurrent)
        self.limits = Limits()
        self.sandbox_limits = SandboxLimits()
        self._finished: dict[str, Finished] = {}
        self.policies = policies.Policies(kube.custom)
        self.reviews = reviews.Reviews(
            kube, self.policies, retry_s=max(5.0, 3.0 * config.reconcile_seconds)
        )

    # ------------------------------------------------------------------ thin-handler intents

    def note_intent(self, body: kopf.Body, patch: kopf.Patch, why: str) -> None:
        """Record that a generation awaits scoring (Ready Unknown); the timer does the work."""
        generation = int(body["metadata"].get("generation") or 0)
        observed = (body.get("status") or {}).get("observedGeneration")
        if observed != generation:
            patch.fns.append(status.pending_patch(generation, dt.datetime.now(dt.UTC), why))

    def forget(self, namespace: str, name: str, uid: str) -> None:
        self._finished.pop(uid, None)
        metrics.forget(namespace, name)

    # ------------------------------------------------------------------ the timer

    async def reconcile(
        self, body: kopf.Body, patch: kopf.Patch, logger: logging.Logger | Any
    ) -> None:
        meta = body["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        generation = int(meta.get("generation") or 0)
        current = body.get("status") or {}
        runs = reconcile.run_numbers(meta.get("annotations") or {})
        observed = current.get("observedGeneration")
        last_scored = _parse_time(current.get("lastScoredTime"))
        applied = (current.get("policy") or {}).get("fingerprint")
        known = self._finished.get(meta["uid"])
        if known is not None and known.run >= runs.completed:  # newer than what we were shown
            runs = RunNumbers(started=max(runs.started, known.run), completed=known.run)
            if observed != known.generation:  # our status write has not come back yet
                observed = known.generation
                last_scored = known.scored_at or last_scored
            applied = known.policy or applied
        now = dt.datetime.now(dt.UTC)
        try:
            spec = parse_spec(body.get("spec") or {})
            decision = reconcile.decide(
                spec,
                generation=generation,
                observed_generation=observed,
                last_scored=last_scored,
                runs=runs,
                now=now,
            )
        except (InvalidSpec, CronError) as exc:
            if observed != generation or runs.in_flight:
                self._fail(body, patch, runs, "InvalidSpec", str(exc), generation)
            return
        if decision.reason == "Suspended":
            return
        try:
            policy = await self._policy(namespace, spec)
        except policies.PolicyError as exc:
            self._policy_unusable(body, patch, exc, generation)
            return
        message = decision.message
        if not decision.run:
            if last_scored is None:
                return
            if applied == policy.fingerprint and not _degraded_by_policy(current):
                return
            message = f"the scoring policy changed or is usable again ({policy.name or 'built-in'})"
        run = runs.current
        async with self.semaphore:
            try:
                if not runs.in_flight:
                    await asyncio.to_thread(
                        self.kube.annotate, namespace, name, {reconcile.RUN_ANNOTATION: str(run)}
                    )
                logger.info(f"run {run} of {sources.describe(spec)}: {message}")
                outcome = await asyncio.to_thread(self._run, body, spec, run, policy)
                scored_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
                report = await asyncio.to_thread(self._write_report, body, outcome.assessment)
            except sources.SourceUnavailable as exc:
                message = str(exc)
                patch.fns.append(
                    status.conditions_patch(
                        status.source_unavailable_conditions(message),
                        generation=generation,
                        now=now,
                    )
                )
                kopf.warn(body, reason="SourceUnavailable", message=message)
                raise kopf.TemporaryError(message, delay=SOURCE_RETRY_S) from None
            except ExecutorError as exc:
                kopf.warn(body, reason="EngineFailed", message=str(exc))
                raise kopf.TemporaryError(str(exc), delay=EXECUTOR_RETRY_S) from None
            except (sources.InvalidSource, InvalidSpec, resources.TooLarge) as exc:
                self._fail(body, patch, runs, "InvalidSource", str(exc), generation)
            except Exception as exc:  # a bug or an API outage: one line, retried
                if os.environ.get("HYPERSCORE_DEBUG"):
                    logger.exception("internal error")
                message = f"internal error: {exc.__class__.__name__}: {' '.join(str(exc).split())}"
                raise kopf.TemporaryError(message[:500], delay=EXECUTOR_RETRY_S) from None
        self._succeed(body, patch, run, generation, outcome, report, scored_at)

    async def _policy(self, namespace: str, spec: MaturityAssessmentSpec) -> policies.PolicyView:
        """The policy the assessment is scored with (the watch-fed index; a miss is one GET)."""
        ref = spec.policy_ref.name if spec.policy_ref is not None else None
        return await asyncio.to_thread(self.policies.resolve, namespace, ref)

    def _policy_unusable(
        self, body: kopf.Body, patch: kopf.Patch, exc: policies.PolicyError, generation: int
    ) -> None:
        """Degraded while the policy is missing or unusable; written once per message (no
        retry loop: the timer finds the policy when it appears or is fixed, and runs then)."""
        message = str(exc)
        found = {c.get("type"): c for c in (body.get("status") or {}).get("conditions") or []}
        degraded, ready = found.get(DEGRADED) or {}, found.get(READY) or {}
        if (degraded.get("status"), degraded.get("message")) == ("True", message) and ready.get(
            "status"
        ) == "False":  # a late "awaits scoring" intent may have set Ready to Unknown since
            return
        now = dt.datetime.now(dt.UTC)
        patch.fns.append(
            status.conditions_patch(
                status.degraded_conditions(exc.reason, message), generation=generation, now=now
            )
        )
        kopf.warn(body, reason=exc.reason, message=message)

    def _fail(
        self,
        body: kopf.Body,
        patch: kopf.Patch,
        runs: RunNumbers,
        reason: str,
        message: str,
        generation: int,
    ) -> NoReturn:
        """Degraded until the spec changes: observedGeneration moves, so no hot retry loop."""
        meta = body["metadata"]
        now = dt.datetime.now(dt.UTC)
        patch.status["observedGeneration"] = generation
        patch.fns.append(
            status.conditions_patch(
                status.degraded_conditions(reason, message), generation=generation, now=now
            )
        )
        patch.metadata.annotations[reconcile.COMPLETED_ANNOTATION] = str(runs.current)
        patch.metadata.annotations[reconcile.RUN_ANNOTATION] = str(runs.current)
        last = self._finished.get(meta["uid"])
        self._finished[meta["uid"]] = Finished(
            runs.current, generation, last.scored_at if last is not None else None
        )
        metrics.count_run(meta["namespace"], meta["name"], "failure")
        kopf.warn(body, reason=reason, message=message)
        raise kopf.PermanentError(message)

    def _succeed(
        self,
        body: kopf.Body,
        patch: kopf.Patch,
        run: int,
        generation: int,
        outcome: Outcome,
        report: ReportRef,
        scored_at: dt.datetime,
    ) -> None:
        """``generation`` is the one read when the run began (the body is a live view: a spec
        edited during the run must not be marked as scored)."""
        meta = body["metadata"]
        assessment = outcome.assessment
        fields = status.assessment_status(
            assessment,
            generation=generation,
            revision=outcome.revision,
            scored_at=scored_at,
            report=report,
        )
        for key, value in fields.items():
            patch.status[key] = value
        applied = outcome.policy.applied() if outcome.policy is not None else None
        patch.status["policy"] = applied
        patch.fns.append(
            status.conditions_patch(
                status.scored_conditions(assessment, outcome.revision),
                generation=generation,
                now=scored_at,
            )
        )
        patch.metadata.annotations[reconcile.COMPLETED_ANNOTATION] = str(run)
        self._finished[meta["uid"]] = Finished(
            run, generation, scored_at, applied["fingerprint"] if applied else None
        )
        metrics.record_assessment(
            meta["namespace"], meta["name"], assessment, scored_at=scored_at.timestamp()
        )
        metrics.count_run(meta["namespace"], meta["name"], "success")
        kopf.event(  # not kopf.info: Normal events are posted whatever the log posting level
            body,
            type="Normal",
            reason="Scored",
            message=f"run {run}: score {assessment.score:.1f}, level {assessment.level}",
        )

    # ------------------------------------------------------------------ blocking work

    def _timed(self, stage: str, work: Callable[[], _T]) -> _T:
        started = time.monotonic()
        try:
            return work()
        finally:
            metrics.observe_stage(stage, time.monotonic() - started)

    def _run(
        self,
        body: kopf.Body,
        spec: MaturityAssessmentSpec,
        run: int,
        policy: policies.PolicyView | None = None,
    ) -> Outcome:
        fetched = self._timed("fetch", lambda: self._fetch(body["metadata"]["namespace"], spec))
        try:
            fusion = policy.state if policy is not None else None
            request = engine_request(spec, self.config.run_timeout_s, fusion)
            result = self._timed("engine", lambda: self.executor.assess(fetched.directory, request))
            assessment = result.assessment.model_copy(update={"source": fetched.info})
            if sandbox_wanted(spec):
                stage = self._timed(
                    "sandbox", lambda: self._sandbox(body, spec, run, fetched, result.commands)
                )
                assessment = assessment.model_copy(
                    update={"stages": {**assessment.stages, "sandbox": stage}}
                )
            return Outcome(assessment=assessment, revision=fetched.info.revision, policy=policy)
        finally:
            fetched.close()

    def _fetch(self, namespace: str, spec: MaturityAssessmentSpec) -> sources.FetchedSource:
        source = spec.source
        if source.git is not None:
            credentials = None
            ref = source.git.credentials_secret_ref
            if ref is not None:
                data = self.kube.secret_data(namespace, ref.name)
                if data is None:
                    raise sources.SourceUnavailable(f"Secret {ref.name} not found")
                credentials = sources.credentials_from_secret(ref.name, data)
            return sources.fetch_git(source.git.url, source.git.revision, credentials, self.limits)
        if source.config_map_ref is not None:
            cm_name = source.config_map_ref.name
            return sources.fetch_config_map(
                cm_name, self.kube.config_map(namespace, cm_name), self.limits
            )
        assert source.pvc is not None
        return sources.fetch_pvc(
            self.config.pvc_root, source.pvc.claim_name, source.pvc.path, self.limits
        )

    def _sandbox(
        self,
        body: kopf.Body,
        spec: MaturityAssessmentSpec,
        run: int,
        fetched: sources.FetchedSource,
        commands: tuple[tuple[str, ...], ...],
    ) -> StageResult:
        settings = spec.stages["sandbox"]
        if settings.sandbox is False:
            return StageResult.skipped(
                "sandbox", "the operator runs project code only in sandboxed Jobs (sandbox: false)"
            )
        if not commands:
            return StageResult.not_applicable("sandbox", "nothing runnable was detected")
        meta = body["metadata"]
        namespace, uid = meta["namespace"], meta["uid"]
        owner = resources.owner_reference(body)
        snapshot = resources.source_snapshot(
            resources.source_archive(fetched.directory),
            namespace=namespace,
            uid=uid,
            run=run,
            owner=owner,
        )
        self.kube.create(snapshot)
        job, policy = resources.sandbox_job(
            commands[0],
            namespace=namespace,
            uid=uid,
            run=run,
            image=self.config.sandbox_image,
            owner=owner,
            limits=self.sandbox_limits,
        )
        self.kube.create(policy)  # the deny-all policy first: the Pod never runs without it
        self.kube.create(job)
        job_name = job["metadata"]["name"]
        deadline = time.monotonic() + self.sandbox_limits.wall_seconds + JOB_GRACE_S
        while True:
            state, message = self.kube.job_outcome(namespace, job_name)
            if state is not None or time.monotonic() > deadline:
                break
            time.sleep(JOB_POLL_S)
        self.kube.delete_config_map(namespace, snapshot["metadata"]["name"])
        return resources.sandbox_result(message, state or "TimedOut", commands[0])

    def _write_report(self, body: kopf.Body, assessment: Assessment) -> ReportRef:
        meta = body["metadata"]
        namespace, uid = meta["namespace"], meta["uid"]
        maps, ref = resources.report_config_maps(
            assessment.model_dump_json(by_alias=True),
            namespace=namespace,
            uid=uid,
            owner=resources.owner_reference(body),
        )
        for config_map in maps:
            self.kube.apply_config_map(config_map)
        selector = f"{resources.UID_LABEL}={uid},{resources.PART_LABEL}=report"
        self.kube.delete_config_maps(namespace, selector, keep=set(ref.config_maps))
        return ref
