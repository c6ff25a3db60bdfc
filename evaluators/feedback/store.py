"""Where reviews live: a small protocol, and its SQLite implementation for the CLI.

The CLI keeps reviews in ``<data_dir>/reviews.sqlite``; the operator will keep them in
MaturityReview resources. Both sides of the loop (debate, recalibration, weight learning,
review queue) only talk to :class:`ReviewStore`, so the engine never needs a cluster client.

SQLite settings and why: WAL so readers (``review list``, ``review queue``) never block a
writer; ``busy_timeout`` so concurrent CLI calls wait instead of failing with "database is
locked"; every write in one ``BEGIN IMMEDIATE`` transaction so a crash leaves either the whole
review or none of it; ``PRAGMA user_version`` carries the schema version, and a store written by
a newer HyperScore is refused rather than misread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hyperscore.evaluators.feedback.record import AssessmentRecord, FeedbackInputError, Review

SCHEMA_VERSION = 1
STORE_FILE = "reviews.sqlite"
_BUSY_TIMEOUT_S = 30.0
_MIN_PREFIX = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assessments (
    id            TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    score         REAL NOT NULL CHECK (score BETWEEN 0 AND 100),
    interval_low  REAL,
    interval_high REAL,
    v             REAL NOT NULL CHECK (v BETWEEN 0 AND 1),
    terms         TEXT NOT NULL,
    levels        TEXT NOT NULL,
    coverage      REAL NOT NULL CHECK (coverage BETWEEN 0 AND 1),
    features      TEXT NOT NULL,
    report        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    reviewer      TEXT NOT NULL,
    score         REAL CHECK (score IS NULL OR score BETWEEN 0 AND 100),
    levels        TEXT NOT NULL,
    comment       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    debate        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_by_assessment ON reviews(assessment_id);
"""


class StoreError(ValueError):
    """The store file cannot be used (newer schema, not a database): bad input, exit 2."""


@dataclass(frozen=True)
class StoredReview:
    """A review as stored, with its number and the debate reply the system gave."""

    id: int
    review: Review
    debate: dict[str, Any]


class ReviewStore(Protocol):
    """What the feedback loop needs from a review store (SQLite here, CRDs in the operator)."""

    def record_assessment(self, record: AssessmentRecord) -> bool:
        """Keep an assessment; False when it was already there (same content id)."""
        ...

    def assessment(self, ref: str) -> AssessmentRecord:
        """By id or unique id prefix; :class:`FeedbackInputError` when unknown or ambiguous."""
        ...

    def assessments(self) -> list[AssessmentRecord]: ...

    def unreviewed(self) -> list[AssessmentRecord]: ...

    def add_review(self, review: Review, debate: Mapping[str, Any]) -> int: ...

    def reviews(self, assessment_id: str | None = None) -> list[StoredReview]: ...


class SqliteReviewStore:
    """:class:`ReviewStore` on one SQLite file (see the module docstring for the settings)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            with self._write() as db:
                found = int(db.execute("PRAGMA user_version").fetchone()[0])
                if found > SCHEMA_VERSION:
                    raise StoreError(
                        f"{path}: review store schema {found} is newer than this HyperScore "
                        f"understands ({SCHEMA_VERSION}); upgrade HyperScore"
                    )
                if found < SCHEMA_VERSION:
                    # Statement by statement: executescript() would commit the transaction.
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable review store ({exc})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteReviewStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (IMMEDIATE) so concurrent writers queue."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ assessments

    def record_assessment(self, record: AssessmentRecord) -> bool:
        low, high = record.interval if record.interval is not None else (None, None)
        with self._write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.source,
                    record.recorded_at,
                    record.score,
                    low,
                    high,
                    record.v,
                    json.dumps(record.terms),
                    json.dumps(record.levels),
                    record.coverage,
                    json.dumps(record.features),
                    json.dumps(record.report, separators=(",", ":")),
                ),
            )
            return cur.rowcount == 1

    def assessment(self, ref: str) -> AssessmentRecord:
        rows = self._db.execute(
            "SELECT * FROM assessments WHERE id = ? OR (length(?) >= ? AND substr(id, 1, "
            "length(?)) = ?) ORDER BY id",
            (ref, ref, _MIN_PREFIX, ref, ref),
        ).fetchall()
        exact = [r for r in rows if r[0] == ref]
        if exact:
            return _record(exact[0])
        if not rows:
            raise FeedbackInputError(f"{ref}: no such report file or stored assessment id")
        if len(rows) > 1:
            raise FeedbackInputError(
                f"{ref}: ambiguous assessment id prefix ({', '.join(r[0] for r in rows[:5])})"
            )
        return _record(rows[0])

    def assessments(self) -> list[AssessmentRecord]:
        rows = self._db.execute("SELECT * FROM assessments ORDER BY recorded_at, id")
        return [_record(r) for r in rows.fetchall()]

    def unreviewed(self) -> list[AssessmentRecord]:
        rows = self._db.execute(
            "SELECT * FROM assessments WHERE id NOT IN (SELECT assessment_id FROM reviews) "
            "ORDER BY recorded_at, id"
        )
        return [_record(r) for r in rows.fetchall()]

    # ------------------------------------------------------------------ reviews

    def add_review(self, review: Review, debate: Mapping[str, Any]) -> int:
        with self._write() as db:
            try:
                cur = db.execute(
                    "INSERT INTO reviews (assessment_id, reviewer, score, levels, comment, "
                    "created_at, debate) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        review.assessment_id,
                        review.reviewer,
                        review.score,
                        json.dumps(review.levels),
                        review.comment,
                        review.created_at,
                        json.dumps(dict(debate)),
                    ),
                )
            except sqlite3.IntegrityError:
                raise FeedbackInputError(
                    f"{review.assessment_id}: no stored assessment with this id"
                ) from None
            return int(cur.lastrowid or 0)

    def reviews(self, assessment_id: str | None = None) -> list[StoredReview]:
        query = "SELECT * FROM reviews"
        params: tuple[str, ...] = ()
        if assessment_id is not None:
            query += " WHERE assessment_id = ?"
            params = (assessment_id,)
        rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [
            StoredReview(
                id=int(r[0]),
                review=Review(
                    assessment_id=r[1],
                    reviewer=r[2],
                    score=r[3],
                    levels={str(k): int(v) for k, v in json.loads(r[4]).items()},
                    comment=r[5],
                    created_at=r[6],
                ),
                debate=json.loads(r[7]),
            )
            for r in rows
        ]

    def integrity(self) -> str:
        """SQLite's own integrity check ("ok" when the file is sound)."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _record(row: tuple[Any, ...]) -> AssessmentRecord:
    low, high = row[4], row[5]
    return AssessmentRecord(
        id=row[0],
        source=row[1],
        recorded_at=row[2],
        score=float(row[3]),
        interval=None if low is None or high is None else (float(low), float(high)),
        v=float(row[6]),
        terms=json.loads(row[7]),
        levels={str(k): int(v) for k, v in json.loads(row[8]).items()},
        coverage=float(row[9]),
        features={str(k): float(v) for k, v in json.loads(row[10]).items()},
        report=json.loads(row[11]),
    )
