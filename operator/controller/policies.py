"""ScoringPolicy: validation of its AHP matrix, the fusion state it gives assessments, and the
in-memory index of the policies the operator has seen.

A policy's *fusion state* (the weights and the calibration an assessment is fused with) is a
pure function of the object: the AHP weights of ``spec.ahp`` (the engine's default matrix when
unset), replaced by ``status.learnedWeights`` once learning has produced them and
``spec.learning.enabled``; the calibration in ``status.calibration.parameters`` (written by
review learning, ``spec.calibration: bayesian``), else the factory calibration, else the
documented prior. Its :func:`fingerprint` goes into each assessment's ``status.policy``; the
assessment timer rescores when the fingerprint of its policy is no longer the one it was
scored with (a new matrix, new learned weights or a new calibration).

Assessments use ``spec.policyRef`` (same namespace), else the namespace's ``default`` policy if
there is one, else the built-in state (the default matrix and the factory calibration; the
operator never reads a data directory). A missing ``policyRef`` target or an unusable policy is
:class:`PolicyError`, which the controller turns into ``Degraded``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kopf
from pydantic import ValidationError

from hyperscore.evaluators.feedback.learning import Outcome, initial_calibration
from hyperscore.evaluators.fusion.ahp import AHPInconsistent, AHPMatrix, AHPResult, default_matrix
from hyperscore.evaluators.fusion.apply import FusionState
from hyperscore.evaluators.fusion.calibration import Calibration
from hyperscore.evaluators.fusion.components import COMPONENTS, validate_weights
from hyperscore.operator.api.models import (
    GROUP,
    READY,
    VERSION,
    AppliedPolicy,
    CalibrationState,
    FeedbackCounts,
    ScoringPolicySpec,
)
from hyperscore.operator.controller import status
from hyperscore.operator.controller.status import ConditionUpdate

PLURAL = "scoringpolicies"
DEFAULT_POLICY = "default"
POLICY_REASONS = ("PolicyNotFound", "PolicyNotReady")  # an assessment's Degraded reasons


class PolicyError(Exception):
    """An assessment's policy cannot be used; ``reason`` is the condition reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidPolicy(ValueError):
    """The policy's spec cannot give weights (bad criteria, not reciprocal, inconsistent)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _line(text: str) -> str:
    return " ".join(text.split())


def parse_spec(spec: Mapping[str, Any]) -> ScoringPolicySpec:
    try:
        return ScoringPolicySpec.model_validate(dict(spec))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        raise InvalidPolicy("InvalidSpec", f"spec.{where}: {first['msg']}") from None


def ahp_result(spec: ScoringPolicySpec) -> AHPResult:
    """The checked AHP weights of the policy (the default matrix without ``spec.ahp``).

    Raises :class:`InvalidPolicy`: reason ``InconsistentMatrix`` (CR > 0.1; the message names
    the most inconsistent comparisons), ``InvalidCriteria`` or ``InvalidMatrix``.
    """
    if spec.ahp is None:
        return default_matrix().check()
    criteria = list(spec.ahp.criteria)
    if sorted(criteria) != sorted(COMPONENTS):
        missing = [c for c in COMPONENTS if c not in criteria]
        unknown = [c for c in criteria if c not in COMPONENTS]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
                "a criterion is repeated" if len(set(criteria)) != len(criteria) else "",
            )
            if part
        )
        raise InvalidPolicy(
            "InvalidCriteria",
            f"spec.ahp.criteria must name the fusion components {', '.join(COMPONENTS)} "
            f"once each ({detail})",
        )
    try:
        return AHPMatrix(criteria, spec.ahp.matrix).check()
    except AHPInconsistent as exc:
        raise InvalidPolicy("InconsistentMatrix", _line(str(exc))) from None
    except ValueError as exc:
        raise InvalidPolicy("InvalidMatrix", f"spec.ahp.matrix: {_line(str(exc))}") from None


def _learned(status_: Mapping[str, Any]) -> dict[str, float] | None:
    raw = status_.get("learnedWeights")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        weights = {str(k): float(v) for k, v in raw.items()}
        total = sum(weights.values())
        weights = {k: v / total for k, v in weights.items()}  # rounding in status
        validate_weights(weights, COMPONENTS)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return weights


def _calibration(status_: Mapping[str, Any]) -> Calibration | None:
    raw = status_.get("calibration")
    params = raw.get("parameters") if isinstance(raw, Mapping) else None
    if not isinstance(params, Mapping) or not params:
        return None
    try:
        return Calibration.from_json(params)
    except (KeyError, TypeError, ValueError):
        return None


def _calibration_source(cal: Calibration) -> str:
    return f"{cal.note or 'calibration'} ({cal.n_obs} labels)"


def builtin_state() -> FusionState:
    """No ScoringPolicy: the default AHP matrix and the factory calibration (else the prior)."""
    ahp = default_matrix().check()
    cal = initial_calibration()
    return FusionState(ahp.as_dict(), "ahp-default", ahp.cr, cal, _calibration_source(cal))


def fusion_state(
    name: str, spec: ScoringPolicySpec, status_: Mapping[str, Any] | None
) -> FusionState:
    """The weights and calibration an assessment using this policy is fused with (module doc).
    Raises :class:`InvalidPolicy` when the matrix is unusable."""
    current = status_ or {}
    ahp = ahp_result(spec)
    cr: float | None = ahp.cr
    weights, source = ahp.as_dict(), f"policy {name}: ahp"
    learned = _learned(current) if spec.learning.enabled else None
    if learned is not None:
        reviews = ((current.get("feedback") or {}).get("reviews")) or 0
        weights, source, cr = learned, f"policy {name}: learned ({reviews} reviews)", None
    cal = _calibration(current) if spec.calibration == "bayesian" else None
    if cal is not None:
        csource = f"policy {name}: {_calibration_source(cal)}"
    else:
        cal = initial_calibration()
        csource = _calibration_source(cal)
    return FusionState(weights, source, cr, cal, csource)


def fingerprint(state: FusionState) -> str:
    """16 hex of the weights and calibration (what changes scores), rounded so that a status
    round trip does not change it."""
    content = json.dumps(
        {
            "weights": {k: round(v, 6) for k, v in sorted(state.weights.items())},
            "calibration": state.calibration.to_json(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(content.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PolicyView:
    """What the operator knows of one policy (or of the built-in state: ``name`` None)."""

    name: str | None
    state: FusionState | None
    error: InvalidPolicy | None = None

    @property
    def fingerprint(self) -> str:
        assert self.state is not None
        return fingerprint(self.state)

    def applied(self) -> dict[str, Any]:
        """``status.policy`` of an assessment scored with this view."""
        assert self.state is not None
        return AppliedPolicy(
            name=self.name,
            fingerprint=self.fingerprint,
            weights_source=self.state.weights_source,
            calibration_source=self.state.calibration_source[:256],
        ).model_dump(by_alias=True, exclude_none=True, mode="json")


def view_of(body: Mapping[str, Any]) -> PolicyView:
    name = str(body["metadata"]["name"])
    try:
        spec = parse_spec(body.get("spec") or {})
        return PolicyView(name, fusion_state(name, spec, body.get("status") or {}))
    except InvalidPolicy as exc:
        return PolicyView(name, None, exc)


BUILTIN = PolicyView(None, builtin_state())


# --------------------------------------------------------------------------- status


def policy_status(
    spec: Mapping[str, Any], generation: int
) -> tuple[dict[str, Any], ConditionUpdate]:
    """The spec-derived status fields (``consistencyRatio``, ``weights``) and ``Ready``."""
    fields: dict[str, Any] = {"observedGeneration": generation}
    try:
        parsed = parse_spec(spec)
    except InvalidPolicy as exc:
        return fields, ConditionUpdate(READY, "False", exc.reason, str(exc))
    try:
        result = ahp_result(parsed)
    except InvalidPolicy as exc:
        if exc.reason == "InconsistentMatrix" and parsed.ahp is not None:
            raw = AHPMatrix(parsed.ahp.criteria, parsed.ahp.matrix).evaluate()
            fields["consistencyRatio"] = round(raw.cr, 4)
        fields["weights"] = None
        return fields, ConditionUpdate(READY, "False", exc.reason, str(exc))
    fields["consistencyRatio"] = round(result.cr, 4)
    fields["weights"] = {k: round(v, 4) for k, v in result.as_dict().items()}
    source = "spec.ahp" if parsed.ahp is not None else "the default matrix"
    message = f"weights from {source}, consistency ratio {result.cr:.3f}"
    return fields, ConditionUpdate(READY, "True", "Consistent", message)


def learned_status(
    outcome: Outcome, counts: FeedbackCounts, spec: ScoringPolicySpec, now: dt.datetime
) -> dict[str, Any]:
    """The learning part of a policy's status, as a merge patch (None clears a field)."""
    data: dict[str, Any] = {
        "feedback": counts.model_dump(by_alias=True, mode="json"),
        "learnedWeights": None,
        "calibration": None,
    }
    if spec.learning.enabled and outcome.weights_source == "learned":
        data["learnedWeights"] = {k: round(v, 6) for k, v in outcome.weights.items()}
    if spec.calibration == "bayesian" and outcome.calibration is not None:
        data["calibration"] = CalibrationState(
            method="bayesian",
            samples=outcome.reviews,
            last_calibrated_time=now.replace(microsecond=0),
            parameters=outcome.calibration.to_json(),
        ).model_dump(by_alias=True, exclude_none=True, mode="json")
        data["calibration"]["lastCalibratedTime"] = status.rfc3339(now)
    return data


# --------------------------------------------------------------------------- the index


class Policies:
    """The policies seen on the watch stream, by (namespace, name), for the assessment timer
    (no API call per tick); a miss is read once from the API server."""

    def __init__(self, custom_api: Any) -> None:
        self.custom = custom_api
        self._views: dict[tuple[str, str], PolicyView | None] = {}
        self._lock = threading.Lock()

    # kopf handlers -------------------------------------------------------------------

    def reconcile(self, body: kopf.Body, patch: kopf.Patch) -> None:
        """create/update(spec)/resume: validate the matrix; status and ``Ready``."""
        generation = int(body["metadata"].get("generation") or 0)
        fields, ready = policy_status(body.get("spec") or {}, generation)
        for key, value in fields.items():
            patch.status[key] = value
        now = dt.datetime.now(dt.UTC)
        patch.fns.append(status.conditions_patch([ready], generation=generation, now=now))
        if ready.status != "True":
            kopf.warn(body, reason=ready.reason, message=ready.message)

    def observe(self, event: Mapping[str, Any]) -> None:
        """Every watch event (ours included: learning writes the status)."""
        obj = event.get("object") or {}
        meta = obj.get("metadata") or {}
        if "name" not in meta or "namespace" not in meta:
            return
        key = (meta["namespace"], meta["name"])
        view = None if event.get("type") == "DELETED" else view_of(obj)
        with self._lock:
            self._views[key] = view

    # lookups -------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> PolicyView | None:
        with self._lock:
            if (namespace, name) in self._views:
                return self._views[(namespace, name)]
        body = self.read(namespace, name)
        view = None if body is None else view_of(body)
        with self._lock:
            self._views.setdefault((namespace, name), view)
            return self._views[(namespace, name)]

    def read(self, namespace: str, name: str) -> dict[str, Any] | None:
        from kubernetes.client import ApiException

        try:
            body = self.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return body if isinstance(body, dict) else None

    def resolve(self, namespace: str, ref: str | None) -> PolicyView:
        """The view an assessment with ``spec.policyRef`` = ``ref`` is scored with."""
        view = self.get(namespace, ref or DEFAULT_POLICY)
        if view is None:
            if ref is None:
                return BUILTIN
            raise PolicyError(
                "PolicyNotFound",
                f"spec.policyRef: ScoringPolicy {ref} not found in namespace {namespace}",
            )
        if view.error is not None:
            raise PolicyError(
                "PolicyNotReady", f"ScoringPolicy {view.name} is not usable: {view.error}"
            )
        return view

    def write_learned(self, namespace: str, name: str, data: Mapping[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, name, {"status": dict(data)}
        )
