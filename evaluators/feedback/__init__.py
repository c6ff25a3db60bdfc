"""The human-AI feedback loop (issue 7, section 6): reviews in; debate, calibration, weights out.

* :mod:`.record` -- what is kept of an assessment and of a review; input validation.
* :mod:`.store` -- the :class:`ReviewStore` protocol and its SQLite implementation.
* :mod:`.debate` -- the system's reply to a disagreeing expert: its evidence, and what would
  change its mind.
* :mod:`.policy` -- REINFORCE over the five fusion weights (softmax-Gaussian policy).
* :mod:`.learning` -- all reviews -> calibration.json and weights.json (atomic).
* :mod:`.active` -- the review queue: unreviewed assessments by posterior uncertainty.
* :mod:`.loop` -- one review turn, as ``hyperscore review add`` and the operator run it.

The design and the algorithms are in docs/feedback.md.
"""

from hyperscore.evaluators.feedback.debate import DebatePoint, DebateReply, debate
from hyperscore.evaluators.feedback.record import (
    AssessmentRecord,
    FeedbackInputError,
    Review,
    parse_dimension_levels,
    record_from_report,
)
from hyperscore.evaluators.feedback.store import ReviewStore, SqliteReviewStore, StoreError

__all__ = [
    "AssessmentRecord",
    "DebatePoint",
    "DebateReply",
    "FeedbackInputError",
    "Review",
    "ReviewStore",
    "SqliteReviewStore",
    "StoreError",
    "debate",
    "parse_dimension_levels",
    "record_from_report",
]
