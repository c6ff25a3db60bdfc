"""MaturityReview: the system's reply (the debate) in status, and the review fed to learning.

One reconciliation of a review (create, spec update, resume of an unanswered one):

1. ``spec.assessmentRef`` is read in the review's namespace; a missing or not yet scored
   assessment is ``Ready=False`` (``AssessmentNotFound`` / ``NotScored``) and
   ``kopf.TemporaryError``: retried until it is scored.
2. Its full report is read back from the owned report ConfigMaps (chunks concatenated in the
   order of ``status.report.configMaps``, checked against ``status.report.sha256``) and
   :func:`~hyperscore.evaluators.feedback.debate.debate` answers the review: ``status.reply``
   is the reply's text (the overall point included), ``status.points`` one entry per dimension
   the expert rated.
3. Learning: the MaturityReviews of the namespace whose assessments use the same ScoringPolicy
   *are* that policy's review store. The calibration and learned weights are recomputed from
   all of them (:func:`~hyperscore.evaluators.feedback.learning.relearn`: a pure function of the
   set of reviews, so the order reviews arrive in does not matter) and written to the policy's
   status with its feedback counts; ``status.incorporated`` is then true. An assessment scored
   with the built-in state (no ``policyRef`` and no ``default`` policy) has nowhere to keep
   learned state: the review is answered and ``incorporated`` is false.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kopf
from pydantic import ValidationError

from hyperscore.evaluators.feedback.debate import DebateReply, debate
from hyperscore.evaluators.feedback.learning import Label, relearn
from hyperscore.evaluators.feedback.policy import ReinforceSettings
from hyperscore.evaluators.feedback.record import (
    DIMENSIONS,
    AssessmentRecord,
    FeedbackInputError,
    Review,
    record_from_report,
)
from hyperscore.operator.api.models import (
    GROUP,
    READY,
    VERSION,
    DebatePoint,
    FeedbackCounts,
    MaturityReviewSpec,
    MaturityReviewStatus,
)
from hyperscore.operator.controller import policies, status
from hyperscore.operator.controller.kube import PLURAL as ASSESSMENTS
from hyperscore.operator.controller.kube import Kube
from hyperscore.operator.controller.policies import PolicyError, PolicyView
from hyperscore.operator.controller.status import ConditionUpdate

PLURAL = "maturityreviews"
INCORPORATED = "Incorporated"
_ARGUMENT_LIMIT = 4096
_REPLY_LIMIT = 32768


class InvalidReview(ValueError):
    """The review cannot be answered as written (the user must change its spec)."""


class NotReady(Exception):
    """The assessment is not there or not scored yet; ``reason`` is the condition reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------- pure mapping


def parse_spec(spec: Mapping[str, Any]) -> MaturityReviewSpec:
    try:
        parsed = MaturityReviewSpec.model_validate(dict(spec))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise InvalidReview(f"spec.{where}: {first['msg']}") from None
    unknown = sorted(set(parsed.dimensions) - set(DIMENSIONS))
    if unknown:
        raise InvalidReview(
            f"spec.dimensions: unknown dimension {', '.join(unknown)} "
            f"(one of {', '.join(DIMENSIONS)})"
        )
    bad = sorted(d for d, level in parsed.dimensions.items() if not 0 <= level <= 4)
    if bad:
        raise InvalidReview(f"spec.dimensions: level of {', '.join(bad)} must be 0-4")
    if parsed.score is None and not parsed.dimensions:
        raise InvalidReview("a review needs spec.score and/or at least one spec.dimensions entry")
    return parsed


def to_review(spec: MaturityReviewSpec, assessment_id: str, created_at: str) -> Review:
    try:
        return Review(
            assessment_id=assessment_id,
            reviewer=spec.reviewer,
            score=spec.score,
            levels=dict(spec.dimensions),
            comment=spec.comment,
            created_at=created_at,
        )
    except FeedbackInputError as exc:  # parse_spec checked the same; kept as a guard
        raise InvalidReview(str(exc)) from None


def _level(value: float | None) -> int | None:
    return None if value is None else max(0, min(4, round(value)))


def review_status(reply: DebateReply, generation: int, incorporated: bool) -> dict[str, Any]:
    """``status`` fields of an answered review (no conditions): the reply's text (the overall
    point included) and one point per dimension the expert rated."""
    points = [
        DebatePoint(
            dimension=p.topic,
            expert=_level(p.expert),
            system=_level(p.system),
            verdict=p.verdict,
            argument=p.argument[:_ARGUMENT_LIMIT],
        )
        for p in reply.points
        if p.topic != "overall"
    ]
    # text() lists the disagreements (the overall one first); an agreed overall score is
    # stated too, so the reply always answers the expert's score.
    lines = [
        f"overall: agree -- {p.argument}"
        for p in reply.points
        if p.topic == "overall" and p.verdict == "agree"
    ]
    if reply.disagreements or not lines:
        lines.append(reply.text())
    text = "\n".join(lines)
    model = MaturityReviewStatus(
        observed_generation=generation,
        reply=text[:_REPLY_LIMIT],
        points=points,
        incorporated=incorporated,
    )
    data = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    data.pop("conditions", None)
    return data


def feedback_counts(replies: Sequence[DebateReply]) -> FeedbackCounts:
    """Reviews counted once each; verdicts counted per point (overall and each dimension)."""
    verdicts = [p.verdict for r in replies for p in r.points]
    return FeedbackCounts(
        reviews=len(replies),
        agreed=verdicts.count("agree"),
        conceded=verdicts.count("concede"),
        maintained=verdicts.count("maintain"),
    )


def read_report(config_maps: Sequence[Mapping[str, Any] | None], ref: Mapping[str, Any]) -> Any:
    """The JSON report from its chunk ConfigMaps; :class:`NotReady` when a chunk is missing or
    the whole does not match ``ref.sha256`` (a run is replacing them)."""
    key = str(ref.get("key") or "report.json")
    data = b""
    for cm in config_maps:
        if cm is None:
            raise NotReady("NotScored", "the assessment's report ConfigMaps are being replaced")
        if key in (cm.get("data") or {}):
            data += str(cm["data"][key]).encode()
        elif key in (cm.get("binaryData") or {}):
            data += base64.b64decode(cm["binaryData"][key])
        else:
            raise NotReady("NotScored", f"report ConfigMap without the key {key}")
    expected = ref.get("sha256")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise NotReady("NotScored", "the assessment's report is being replaced")
    return json.loads(data)


# --------------------------------------------------------------------------- the controller


@dataclass(frozen=True)
class Answered:
    review: Review
    record: AssessmentRecord
    reply: DebateReply


class Reviews:
    def __init__(self, kube: Kube, policies_: policies.Policies, retry_s: float) -> None:
        self.kube = kube
        self.policies = policies_
        self.retry_s = retry_s
        self._learning = threading.Lock()  # one learning pass at a time (whole namespace lists)

    async def reconcile(
        self, body: kopf.Body, patch: kopf.Patch, logger: logging.Logger | Any, resumed: bool
    ) -> None:
        meta = body["metadata"]
        generation = int(meta.get("generation") or 0)
        if resumed and (body.get("status") or {}).get("observedGeneration") == generation:
            return  # answered before the restart
        now = dt.datetime.now(dt.UTC)
        try:
            fields, incorporated_note = await asyncio.to_thread(self._answer, body)
        except InvalidReview as exc:
            patch.status["observedGeneration"] = generation
            self._conditions(patch, generation, now, "False", "InvalidReview", str(exc))
            kopf.warn(body, reason="InvalidReview", message=str(exc))
            raise kopf.PermanentError(str(exc)) from None
        except NotReady as exc:
            self._conditions(patch, generation, now, "False", exc.reason, str(exc))
            raise kopf.TemporaryError(str(exc), delay=self.retry_s) from None
        except Exception as exc:  # an API outage or a bug: one line, retried
            if os.environ.get("HYPERSCORE_DEBUG"):
                logger.exception("internal error")
            message = f"internal error: {exc.__class__.__name__}: {' '.join(str(exc).split())}"
            raise kopf.TemporaryError(message[:500], delay=self.retry_s) from None
        for key, value in fields.items():
            patch.status[key] = value
        verdicts = sum(1 for p in fields.get("points", []) if p["verdict"] != "agree")
        message = f"answered: {verdicts} dimension point(s) in dispute; {incorporated_note}"
        self._conditions(patch, generation, now, "True", "Answered", message)
        kopf.event(body, type="Normal", reason="Answered", message=message)

    @staticmethod
    def _conditions(
        patch: kopf.Patch,
        generation: int,
        now: dt.datetime,
        state: Any,
        reason: str,
        message: str,
    ) -> None:
        update = ConditionUpdate(READY, state, reason, message)
        patch.fns.append(status.conditions_patch([update], generation=generation, now=now))

    # ------------------------------------------------------------------ blocking work

    def _assessment(self, namespace: str, name: str) -> dict[str, Any]:
        from kubernetes.client import ApiException

        try:
            obj = self.kube.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, ASSESSMENTS, name
            )
        except ApiException as exc:
            if exc.status == 404:
                raise NotReady(
                    "AssessmentNotFound",
                    f"spec.assessmentRef: MaturityAssessment {name} not found in {namespace}",
                ) from None
            raise
        return dict(obj)

    def _record(self, namespace: str, assessment: Mapping[str, Any]) -> AssessmentRecord:
        name = assessment["metadata"]["name"]
        ref = (assessment.get("status") or {}).get("report")
        if not ref or not ref.get("configMaps"):
            raise NotReady("NotScored", f"MaturityAssessment {name} has not been scored yet")
        maps = [self.kube.config_map(namespace, cm) for cm in ref["configMaps"]]
        report = read_report(maps, ref)
        try:
            return record_from_report(report, f"the report of {name}")
        except FeedbackInputError as exc:
            raise NotReady("NotScored", str(exc)) from None

    def _policy_of(self, namespace: str, assessment: Mapping[str, Any]) -> PolicyView | None:
        ref = ((assessment.get("spec") or {}).get("policyRef") or {}).get("name")
        try:
            view = self.policies.resolve(namespace, ref)
        except PolicyError:
            return None
        return view if view.name is not None else None

    @staticmethod
    def _answer_one(body: Mapping[str, Any], record: AssessmentRecord) -> Answered:
        spec = parse_spec(body.get("spec") or {})
        created = str(body["metadata"].get("creationTimestamp") or "")
        review = to_review(spec, record.id, created)
        try:
            reply = debate(record.report, review)
        except FeedbackInputError as exc:
            raise InvalidReview(str(exc)) from None
        return Answered(review, record, reply)

    def _answer(self, body: kopf.Body) -> tuple[dict[str, Any], str]:
        meta = body["metadata"]
        namespace = meta["namespace"]
        spec = parse_spec(body.get("spec") or {})
        assessment = self._assessment(namespace, spec.assessment_ref.name)
        answered = self._answer_one(body, self._record(namespace, assessment))
        view = self._policy_of(namespace, assessment)
        incorporated, note = False, "no ScoringPolicy to learn into (policyRef or `default`)"
        if view is not None:
            assert view.name is not None
            reviews = self.learn(namespace, view.name)
            incorporated, note = True, f"ScoringPolicy {view.name} learned from {reviews} review(s)"
        generation = int(meta.get("generation") or 0)
        return review_status(answered.reply, generation, incorporated), note

    def _record_using(self, namespace: str, name: str, policy: str) -> AssessmentRecord | None:
        """The record of assessment ``name`` if it is scored and uses ``policy``."""
        try:
            target = self._assessment(namespace, name)
            used = self._policy_of(namespace, target)
            if used is None or used.name != policy:
                return None
            return self._record(namespace, target)
        except NotReady:
            return None

    def learn(self, namespace: str, policy: str) -> int:
        """Recompute the policy's calibration, learned weights and counts from every review of
        an assessment that uses it; returns how many reviews went in."""
        with self._learning:
            body = self.policies.read(namespace, policy)
            if body is None:
                return 0
            try:
                spec = policies.parse_spec(body.get("spec") or {})
                start = policies.ahp_result(spec).as_dict()
            except policies.InvalidPolicy:
                return 0  # it became unusable meanwhile: its own status says why
            listed = self.kube.custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL
            )
            records: dict[str, AssessmentRecord | None] = {}  # by assessment name, this pass
            answered: list[Answered] = []
            for item in listed.get("items", []):
                name = ((item.get("spec") or {}).get("assessmentRef") or {}).get("name")
                if not name:
                    continue
                if name not in records:
                    records[name] = self._record_using(namespace, name, policy)
                record = records[name]
                if record is None:
                    continue
                try:
                    answered.append(self._answer_one(item, record))
                except InvalidReview:
                    continue  # refused on its own; nothing to learn from
            labels = [
                Label(a.record, a.review.score) for a in answered if a.review.score is not None
            ]
            min_reviews = spec.learning.min_reviews if spec.learning.enabled else len(labels) + 1
            outcome = relearn(
                labels,
                min_reviews=min_reviews,
                settings=ReinforceSettings(learning_rate=spec.learning.learning_rate),
                start=start,
            )
            data = policies.learned_status(
                outcome, feedback_counts([a.reply for a in answered]), spec, dt.datetime.now(dt.UTC)
            )
            self.policies.write_learned(namespace, policy, data)
            return len(answered)
