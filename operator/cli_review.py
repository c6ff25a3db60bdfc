"""``hyperscore review add | import | list | queue``: the human-AI feedback loop on the CLI.

Reviews, and the assessments they judge, are kept in ``<data dir>/reviews.sqlite`` (the data
dir is ``$HYPERSCORE_DATA_DIR``, else ``$XDG_DATA_HOME/hyperscore``, else
``~/.local/share/hyperscore``). Each ``review add`` answers disagreements with the system's
evidence, refits ``calibration.json`` and, from five scored reviews on, learns
``weights.json``; the next ``hyperscore assess`` uses both. See docs/feedback.md.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hyperscore.evaluators.feedback.record import AssessmentRecord
    from hyperscore.evaluators.feedback.store import SqliteReviewStore

REVIEW_EXAMPLES = """\
examples:
  hyperscore assess ./project -f json -o report.json
  hyperscore review add report.json --score 72 --dimension testing=3 --comment "tests in CI"
  hyperscore review add a-3f2c9e1b --dimension data=2 --reviewer alice   (a stored assessment)
  hyperscore review import reports/*.json        record assessments for the review queue
  hyperscore review queue --top 5                the assessments a review would teach most
  hyperscore review list
"""


def add_review_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser(
        "review",
        help="record expert reviews; the system debates, recalibrates and learns its weights",
        description=__doc__,
        epilog=REVIEW_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="review an assessment (a JSON report or a stored id)")
    add.add_argument("assessment", metavar="ASSESSMENT", help="JSON report file or assessment id")
    add.add_argument("--score", type=float, metavar="0-100", help="the expert's overall score")
    add.add_argument(
        "--dimension",
        action="append",
        default=[],
        metavar="NAME=LEVEL",
        help="the expert's level (0-4) of a dimension; repeat for several",
    )
    add.add_argument("--comment", default="", help="free text kept with the review")
    add.add_argument("--reviewer", help="who reviews (default: the login name)")
    add.add_argument("--json", action="store_true", help="print the reply as JSON")
    imp = actions.add_parser("import", help="record assessments (JSON reports) to be reviewed")
    imp.add_argument("reports", nargs="+", metavar="REPORT")
    lst = actions.add_parser("list", help="the stored reviews")
    lst.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    queue = actions.add_parser("queue", help="unreviewed assessments, most uncertain first")
    queue.add_argument("--top", type=int, default=10, metavar="N", help="how many (default 10)")
    queue.add_argument("--json", action="store_true", help="JSON lines instead of a table")


def cmd_review(args: argparse.Namespace) -> int:
    """Run one ``review`` action; bad input raises ``ValueError`` (one line, exit 2)."""
    from hyperscore.evaluators.feedback.store import STORE_FILE, SqliteReviewStore
    from hyperscore.evaluators.fusion.state import data_dir

    directory = data_dir()
    if args.review_command == "queue" and args.top < 1:
        raise ValueError(f"--top {args.top}: must be at least 1")
    # Every report is read and validated before anything is written.
    records = (
        [_read_report(Path(p)) for p in args.reports] if args.review_command == "import" else []
    )
    with SqliteReviewStore(directory / STORE_FILE) as store:
        if args.review_command == "add":
            return _add(args, store, directory)
        if args.review_command == "import":
            for record in records:
                new = store.record_assessment(record)
                print(f"{record.id}  {'recorded' if new else 'already stored'}  {record.source}")
            return 0
        if args.review_command == "list":
            return _list(args, store)
        return _queue(args, store, directory)


def _read_report(path: Path) -> AssessmentRecord:
    from hyperscore.evaluators.feedback.record import FeedbackInputError, record_from_report

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise FeedbackInputError(f"{path}: cannot read ({reason})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedbackInputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return record_from_report(data, str(path))


def _resolve(ref: str, store: SqliteReviewStore) -> AssessmentRecord:
    """A report file (read and validated, not yet stored) or a stored id / id prefix."""
    path = Path(ref)
    if path.exists() or ref.endswith(".json") or os.sep in ref:
        return _read_report(path)
    return store.assessment(ref)


def _add(args: argparse.Namespace, store: SqliteReviewStore, directory: Path) -> int:
    from hyperscore.evaluators.feedback.learning import feature_row
    from hyperscore.evaluators.feedback.loop import submit
    from hyperscore.evaluators.feedback.record import Review, parse_dimension_levels

    levels = parse_dimension_levels(args.dimension)
    reviewer = args.reviewer if args.reviewer is not None else _login()
    record = _resolve(args.assessment, store)
    review = Review(record.id, reviewer, args.score, levels, args.comment)
    done = submit(store, directory, record, review)
    if args.json:
        print(json.dumps({"review": done.review_id, **done.reply.to_json()}, indent=2))
        return 0
    print(f"review {done.review_id} of {record.id} ({record.source}) by {reviewer} recorded")
    print(done.reply.text())
    outcome, calibration = done.outcome, done.outcome.calibration
    if calibration is not None:
        now = calibration.predict(feature_row(record, outcome.weights, calibration))
        print(
            f"calibration refitted on {outcome.reviews} scored review(s): this assessment now "
            f"scores {now.score:.1f} [90% {now.low:.1f}-{now.high:.1f}] "
            f"(report: {record.score:.1f})"
        )
    if outcome.weights_source == "learned":
        shown = ", ".join(f"{k} {v:.3f}" for k, v in outcome.weights.items())
        print(
            f"weights learned from {outcome.reviews} reviews: {shown} (mean error "
            f"{outcome.error_before:.1f} -> {outcome.error_after:.1f} points)"
        )
    else:
        print("weights: AHP defaults until 5 scored reviews of assessments with fused components")
    return 0


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "anonymous"


def _list(args: argparse.Namespace, store: SqliteReviewStore) -> int:
    for stored in store.reviews():
        r = stored.review
        disagreements = sum(1 for p in stored.debate.get("points", []) if p["verdict"] != "agree")
        if args.json:
            row = {"id": stored.id, **r.__dict__, "disagreements": disagreements}
            print(json.dumps(row))
            continue
        score = "-" if r.score is None else f"{r.score:g}"
        dims = " ".join(f"{k}={v}" for k, v in sorted(r.levels.items()))
        print(
            f"{stored.id:>4}  {r.assessment_id}  {r.created_at}  {r.reviewer:12.12}  "
            f"score {score:>5}  {dims}  ({disagreements} disagreement(s))"
        )
    return 0


def _queue(args: argparse.Namespace, store: SqliteReviewStore, directory: Path) -> int:
    from hyperscore.evaluators.feedback.active import rank
    from hyperscore.evaluators.feedback.learning import (
        initial_calibration,
        load_calibration,
        load_policy,
    )

    calibration = load_calibration(directory) or initial_calibration()
    items = rank(store.unreviewed(), calibration, load_policy(directory))[: args.top]
    if not items and not args.json:
        print("no unreviewed assessment (record some with `hyperscore review import`)")
    for item in items:
        if args.json:
            print(
                json.dumps(
                    {
                        "id": item.record.id,
                        "source": item.record.source,
                        "predicted": item.predicted,
                        "interval": [item.low, item.high],
                        "uncertainty": item.uncertainty,
                        "calibration_width": item.calibration_width,
                        "policy_width": item.policy_width,
                    }
                )
            )
        else:
            print(
                f"{item.record.id}  uncertainty {item.uncertainty:5.1f}  predicted "
                f"{item.predicted:5.1f} [{item.low:.1f}-{item.high:.1f}]  {item.record.source}"
            )
    return 0
