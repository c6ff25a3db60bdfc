"""One turn of the feedback loop: a review in; the debate reply, stored review and new state out.

Kept apart from the CLI so the operator can run the same turn against its own store. The order
matters for "nothing half-written": the reply is computed and the new state learned *before*
anything is written, then the review is committed (one transaction) and the state files are
renamed into place, all under the data directory's lock (:func:`.files.exclusive`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hyperscore.evaluators.feedback.debate import DebateReply, debate
from hyperscore.evaluators.feedback.files import exclusive
from hyperscore.evaluators.feedback.learning import Label, Outcome, labels, relearn, save
from hyperscore.evaluators.feedback.record import AssessmentRecord, Review
from hyperscore.evaluators.feedback.store import ReviewStore
from hyperscore.evaluators.fusion.calibration import Calibration


@dataclass(frozen=True)
class Submission:
    review_id: int
    reply: DebateReply
    outcome: Outcome
    written: list[Path]


def submit(
    store: ReviewStore,
    state_dir: Path,
    record: AssessmentRecord,
    review: Review,
    prior: Calibration | None = None,
) -> Submission:
    """Record ``review`` of ``record`` (stored first if new), answer it, refit and save.

    The caller validates both before calling: nothing is written for a review that is refused.
    """
    reply = debate(record.report, review)
    with exclusive(state_dir):
        store.record_assessment(record)
        items = labels(store)
        if review.score is not None:
            items.append(Label(record, review.score))
        outcome = relearn(items, prior)
        review_id = store.add_review(review, reply.to_json())
        written = save(outcome, state_dir)
    return Submission(review_id, reply, outcome, written)
