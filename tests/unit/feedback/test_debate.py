from __future__ import annotations

from typing import Any

import pytest

from hyperscore.evaluators.feedback.debate import SCORE_TOLERANCE, DebateReply, debate
from hyperscore.evaluators.feedback.record import Review


def _review(score: float | None = None, **levels: int) -> Review:
    return Review("a-test", "alice", score, levels)


def _detail(report: dict[str, Any], dim: str) -> dict[str, Any]:
    return next(d for d in report["dimension_details"] if d["name"] == dim)


def test_agreement_needs_no_argument(mid_report: dict[str, Any]) -> None:
    levels = dict(mid_report["dimensions"])
    mid_report["scoreInterval"] = None
    reply = debate(mid_report, _review(mid_report["score"] + SCORE_TOLERANCE - 1, **levels))
    assert reply.disagreements == []
    assert {p.verdict for p in reply.points} == {"agree"}
    assert len(reply.points) == 1 + len(levels)
    assert reply.text().startswith("No disagreement")


def test_expert_lower_gets_the_cited_evidence(mid_report: dict[str, Any]) -> None:
    system = mid_report["dimensions"]["reproducibility"]
    (point,) = debate(mid_report, _review(reproducibility=system - 2)).points
    assert (point.topic, point.expert, point.system, point.verdict) == (
        "reproducibility",
        system - 2,
        system,
        "maintain",
    )
    practices = {p["id"]: p for p in mid_report["practices"]}
    lifting = [
        i
        for i in _detail(mid_report, "reproducibility")["earned_by"]
        if practices[i]["level"] > system - 2
    ]
    assert lifting
    for pid in lifting:
        cite = practices[pid]["evidence"][0]
        line = f"{cite['path']}:{cite['line']}" if cite["line"] else cite["path"]
        assert any(f"[{pid}]" in e and line in e for e in point.evidence)
        assert any(f"[{pid}]" in w and "discount" in w for w in point.would_change)


def test_expert_higher_gets_the_missing_practices(mid_report: dict[str, Any]) -> None:
    system = mid_report["dimensions"]["data"]
    (point,) = debate(mid_report, _review(data=system + 2)).points
    assert point.verdict == "maintain"
    next_steps = _detail(mid_report, "data")["next_steps"]
    assert next_steps
    # The next level's missing practices come first, then those of the level after.
    assert [f"[{i}]" in w for w, i in zip(point.would_change, next_steps, strict=False)] == [
        True
    ] * len(next_steps)
    levels = [int(w.split("level ")[1][0]) for w in point.would_change]
    assert levels == sorted(levels) and max(levels) == system + 2


def test_concedes_when_the_missing_practice_is_claimed_in_prose(mid_report: dict[str, Any]) -> None:
    detail = _detail(mid_report, "data")
    for practice in mid_report["practices"]:
        if practice["id"] in detail["next_steps"]:
            practice["state"] = "claimed-only"
    (point,) = debate(mid_report, _review(data=detail["level"] + 1)).points
    assert point.verdict == "concede"
    assert "claimed in the docs" in point.would_change[0]


def test_overall_uses_the_credible_interval(mid_report: dict[str, Any]) -> None:
    score = mid_report["score"]
    mid_report["scoreInterval"] = [score - 3, score + 3]
    assert debate(mid_report, _review(score + 2)).points[0].verdict == "agree"
    above = debate(mid_report, _review(score + 5)).points[0]  # within tolerance, outside interval
    assert above.verdict == "maintain" and "90% interval" in above.argument
    assert any("show " in w for w in above.would_change)
    below = debate(mid_report, _review(score - 5)).points[0]
    assert below.verdict == "maintain"
    assert all(w.startswith("discount the evidence") for w in below.would_change)


@pytest.mark.parametrize("delta", [SCORE_TOLERANCE + 1, -(SCORE_TOLERANCE + 1)])
def test_overall_without_interval_uses_the_tolerance(
    mid_report: dict[str, Any], delta: float
) -> None:
    mid_report["scoreInterval"] = None
    assert debate(mid_report, _review(mid_report["score"] + delta / 2)).points[0].verdict == "agree"
    expert = min(100.0, max(0.0, mid_report["score"] + delta))
    assert debate(mid_report, _review(expert)).points[0].verdict == "maintain"


def test_reply_round_trips_through_json(mid_report: dict[str, Any]) -> None:
    reply = debate(mid_report, _review(95.0, data=4, reproducibility=0))
    assert DebateReply.from_json(reply.to_json()) == reply
    text = reply.text()
    assert "overall: maintain" in text and "data: maintain" in text and "would change it" in text
