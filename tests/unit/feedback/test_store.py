from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators.feedback.record import FeedbackInputError, Review, record_from_report
from hyperscore.evaluators.feedback.store import SCHEMA_VERSION, SqliteReviewStore, StoreError

from .conftest import Variant


def test_round_trip(tmp_path: Path, mid_report: dict[str, Any]) -> None:
    record = record_from_report(mid_report)
    with SqliteReviewStore(tmp_path / "r.sqlite") as store:
        assert store.record_assessment(record) is True
        assert store.record_assessment(record) is False  # same content, same id
        back = store.assessment(record.id)
        assert (back.id, back.v, back.levels, back.terms) == (
            record.id,
            record.v,
            record.levels,
            record.terms,
        )
        assert back.features == record.features
        assert back.report == record.report
        review = Review(record.id, "alice", 72.0, {"testing": 3}, "fine")
        rid = store.add_review(review, {"points": [{"verdict": "maintain"}]})
        stored = store.reviews()
        assert [s.id for s in stored] == [rid]
        assert stored[0].review == review
        assert stored[0].debate == {"points": [{"verdict": "maintain"}]}
        assert store.unreviewed() == []


def test_lookup_by_prefix_and_errors(tmp_path: Path, variant: Variant) -> None:
    with SqliteReviewStore(tmp_path / "r.sqlite") as store:
        records = [record_from_report(variant(f"p{i}")) for i in range(20)]
        for r in records:
            store.record_assessment(r)
        target = records[3]
        assert store.assessment(target.id[:12]).id == target.id
        with pytest.raises(FeedbackInputError, match="no such report file or stored assessment"):
            store.assessment("a-000000000000")
        with pytest.raises(FeedbackInputError, match="no such"):
            store.assessment("a-")  # shorter than 4 characters: never a prefix
        assert {r.id for r in store.unreviewed()} == {r.id for r in records}
        # Two ids sharing their first 4 characters (pigeonhole: 256 values of "a-XX").
        seen: dict[str, str] = {r.id[:4]: r.id for r in records}
        i = len(records)
        while True:
            extra = record_from_report(variant(f"p{i}"))
            store.record_assessment(extra)
            if extra.id[:4] in seen:
                break
            seen[extra.id[:4]] = extra.id
            i += 1
        with pytest.raises(FeedbackInputError, match="ambiguous assessment id prefix"):
            store.assessment(extra.id[:4])


def test_review_of_unknown_assessment_writes_nothing(tmp_path: Path) -> None:
    with SqliteReviewStore(tmp_path / "r.sqlite") as store:
        with pytest.raises(FeedbackInputError, match="a-nothere"):
            store.add_review(Review("a-nothere", "bob", 50.0, {}), {})
        assert store.reviews() == []


def test_wal_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    SqliteReviewStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this HyperScore"):
        SqliteReviewStore(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_text("this is not a database, just text " * 100)
    with pytest.raises(StoreError, match="not a usable review store"):
        SqliteReviewStore(path)


def _writer(path: str, assessment: str, worker: int, count: int) -> None:
    with SqliteReviewStore(Path(path)) as store:
        for i in range(count):
            store.add_review(Review(assessment, f"w{worker}", float(i), {"data": i % 5}), {"n": i})


def test_concurrent_writers_do_not_corrupt_the_store(
    tmp_path: Path, mid_report: dict[str, Any]
) -> None:
    path = tmp_path / "r.sqlite"
    record = record_from_report(mid_report)
    with SqliteReviewStore(path) as store:
        store.record_assessment(record)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(path), record.id, w, 25)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    with SqliteReviewStore(path) as store:
        reviews = store.reviews()
        assert store.integrity() == "ok"
    assert len(reviews) == 100
    assert len({r.id for r in reviews}) == 100
    for w in range(4):
        mine = [r.review.score for r in reviews if r.review.reviewer == f"w{w}"]
        assert mine == [float(i) for i in range(25)]  # each writer's reviews, in its order
