"""One review turn through the engine API, as the operator will run it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hyperscore.evaluators.feedback.debate import DebateReply, debate
from hyperscore.evaluators.feedback.loop import submit
from hyperscore.evaluators.feedback.record import Review, record_from_report
from hyperscore.evaluators.feedback.store import SqliteReviewStore


def test_submit_stores_the_review_and_its_reply_and_writes_state(
    tmp_path: Path, mid_report: dict[str, Any]
) -> None:
    record = record_from_report(mid_report)
    review = Review(record.id, "carol", 5.0, {"data": 4}, "no data versioning at all")
    with SqliteReviewStore(tmp_path / "reviews.sqlite") as store:
        done = submit(store, tmp_path, record, review)
        (stored,) = store.reviews()
        assert store.assessment(record.id).id == record.id  # recorded on first review
    assert stored.id == done.review_id and stored.review == review
    assert DebateReply.from_json(stored.debate) == done.reply == debate(mid_report, review)
    assert [p.topic for p in done.reply.disagreements] == ["overall", "data"]
    assert [p.name for p in done.written] == ["calibration.json"]
    saved = json.loads((tmp_path / "calibration.json").read_text())
    assert saved["note"] == "refitted on 1 review(s)"
    assert done.outcome.weights_source == "ahp-default"
