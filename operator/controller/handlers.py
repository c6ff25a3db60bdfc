"""kopf decorators only: each is one line into :class:`~.controller.Controller`.

Run with ``hyperscore operator run`` or, equivalently,
``kopf run -m hyperscore.operator.controller.handlers --all-namespaces`` (settings come from
``HYPERSCORE_*`` environment variables, see ``config.py``).

Level-based: create/update/resume only record intent (Ready=Unknown, "awaits scoring"); one
timer per assessment asks every ``HYPERSCORE_RECONCILE_SECONDS`` whether a run is due and runs
it. There is no deletion handler: children go with the garbage collector (they carry
ownerReferences) and the DELETED watch event drops the metric series. kopf still puts its
finalizer (``hyperscore.dev/finalizer``) on each assessment to stop the timer cleanly, so
deleting an assessment waits for a running operator (docs/operator.md: removing it by hand).
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from hyperscore.operator.api.models import GROUP, VERSION
from hyperscore.operator.controller import policies, reviews, runtime
from hyperscore.operator.controller.config import OperatorConfig
from hyperscore.operator.controller.kube import PLURAL

_CONFIG = OperatorConfig.from_env()
_RESOURCE = (GROUP, VERSION, PLURAL)


@kopf.on.startup()
def startup(
    settings: kopf.OperatorSettings,
    memo: kopf.Memo,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **_: Any,
) -> None:
    memo.runtime = runtime.start(_CONFIG, settings, logger)
    memo.controller = memo.runtime.controller


@kopf.on.cleanup()
def cleanup(memo: kopf.Memo, **_: Any) -> None:
    runtime.stop(memo.get("runtime"))


@kopf.on.create(*_RESOURCE)
def created(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.note_intent(body, patch, "created")


@kopf.on.resume(*_RESOURCE)
def resumed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.note_intent(body, patch, "resumed")


@kopf.on.update(*_RESOURCE, field="spec")
def updated(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.note_intent(body, patch, "spec changed")


@kopf.timer(*_RESOURCE, interval=_CONFIG.reconcile_seconds)
async def reconcile(
    body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    await memo.controller.reconcile(body, patch, logger)


@kopf.on.event(*_RESOURCE)
def watched(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if event["type"] == "DELETED" and "controller" in memo:
        meta = event["object"]["metadata"]
        memo.controller.forget(meta["namespace"], meta["name"], meta["uid"])


# --------------------------------------------------------------------------- ScoringPolicy
# Status from the spec (AHP weights, consistency, Ready); every watch event, the learning
# writes included, refreshes the index the assessment timer reads (controller/policies.py).

_POLICIES = (GROUP, VERSION, policies.PLURAL)


@kopf.on.create(*_POLICIES)
def policy_created(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.policies.reconcile(body, patch)


@kopf.on.resume(*_POLICIES)
def policy_resumed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.policies.reconcile(body, patch)


@kopf.on.update(*_POLICIES, field="spec")
def policy_updated(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    memo.controller.policies.reconcile(body, patch)


@kopf.on.event(*_POLICIES)
def policy_watched(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
    if "controller" in memo:
        memo.controller.policies.observe(event)


# --------------------------------------------------------------------------- MaturityReview
# The debate reply in status, then the review is fed to its policy's learning
# (controller/reviews.py); an assessment not scored yet is retried (TemporaryError).

_REVIEWS = (GROUP, VERSION, reviews.PLURAL)


@kopf.on.create(*_REVIEWS)
async def review_created(
    body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    await memo.controller.reviews.reconcile(body, patch, logger, resumed=False)


@kopf.on.resume(*_REVIEWS)
async def review_resumed(
    body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    await memo.controller.reviews.reconcile(body, patch, logger, resumed=True)


@kopf.on.update(*_REVIEWS, field="spec")
async def review_updated(
    body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: Any, **_: Any
) -> None:
    await memo.controller.reviews.reconcile(body, patch, logger, resumed=False)
