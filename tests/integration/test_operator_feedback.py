"""ScoringPolicy and MaturityReview reconciled by the operator (a real subprocess) on the real
control plane: AHP validation in the policy's status, assessments scored with their policy's
weights (and rescored when it changes), a missing policy degrading the assessment, reviews
answered with the debate, counted in the policy and, from five scored reviews, learned weights
and a calibration in the policy's status.

One module-wide operator watches the ``test-feedback-*`` namespaces (each test gets its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hyperscore.evaluators.fusion.components import COMPONENTS

from .controlplane import ControlPlane
from .operator_harness import (
    TINY_PROJECT,
    Operator,
    apply,
    assessment,
    conditions,
    config_map,
    get,
    install_crds,
    start_operator,
    wait_for,
    wait_scored,
)

pytestmark = pytest.mark.cluster

CRITERIA = list(COMPONENTS)  # logic, novelty, impact, repro, meta


@pytest.fixture(scope="module")
def operator(
    control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    install_crds(control_plane)
    running = start_operator(
        control_plane,
        tmp_path_factory.mktemp("operator"),
        "--namespace",
        "test-feedback-*",
        env={"PYTHONFAULTHANDLER": "1"},  # a crash leaves every thread's stack in the log
    )
    yield running
    running.stop()


def favouring(first: str, factor: float = 9.0) -> list[list[float]]:
    w = {c: (factor if c == first else 1.0) for c in CRITERIA}
    return [[w[r] / w[c] for c in CRITERIA] for r in CRITERIA]


def policy(name: str, matrix: list[list[float]] | None = None, **spec: Any) -> dict[str, Any]:
    if matrix is not None:
        spec["ahp"] = {"criteria": CRITERIA, "matrix": matrix}
    return {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "ScoringPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def review(name: str, target: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "MaturityReview",
        "metadata": {"name": name},
        "spec": {"assessmentRef": {"name": target}, "reviewer": "jane", **spec},
    }


def ready(cp: ControlPlane, namespace: str, kind: str, name: str, state: str) -> Any:
    def check() -> dict[str, Any] | None:
        obj = get(cp, namespace, kind, name)
        return obj if conditions(obj).get("Ready", {}).get("status") == state else None

    return check


def weights(obj: dict[str, Any]) -> dict[str, float]:
    return {c["name"]: c["weight"] for c in obj["status"]["components"]}


def test_feedback_policies_validate_their_matrix(
    control_plane: ControlPlane, operator: Operator, namespace: str
) -> None:
    cycle = favouring("logic", 1.0)
    for (r, c), value in {("logic", "novelty"): 9.0, ("novelty", "impact"): 9.0}.items():
        i, j = CRITERIA.index(r), CRITERIA.index(c)
        cycle[i][j], cycle[j][i] = value, 1 / value
    i, j = CRITERIA.index("impact"), CRITERIA.index("logic")
    cycle[i][j], cycle[j][i] = 9.0, 1 / 9.0
    applied = apply(
        control_plane, namespace, policy("cyclic", cycle), policy("repro-first", favouring("repro"))
    )
    assert applied.returncode == 0, applied.stderr

    bad = wait_for(
        "the cyclic policy to be refused",
        ready(control_plane, namespace, "sp", "cyclic", "False"),
        60,
        operator,
    )
    found = conditions(bad)["Ready"]
    assert found["reason"] == "InconsistentMatrix"
    assert "consistency ratio" in found["message"]
    assert any(
        pair in found["message"]
        for pair in ("logic vs novelty", "novelty vs impact", "logic vs impact")
    )
    assert bad["status"]["consistencyRatio"] > 0.1 and "weights" not in bad["status"]
    events = get(control_plane, namespace, "events")["items"]
    assert any(e["reason"] == "InconsistentMatrix" for e in events)

    good = wait_for(
        "the consistent policy to be ready",
        ready(control_plane, namespace, "sp", "repro-first", "True"),
        60,
        operator,
    )
    status = good["status"]
    assert sum(status["weights"].values()) == pytest.approx(1.0, abs=1e-3)
    assert status["weights"]["repro"] == pytest.approx(9 / 13, abs=1e-3)
    assert status["consistencyRatio"] == pytest.approx(0.0, abs=1e-6)
    assert status["observedGeneration"] == good["metadata"]["generation"]
    row = control_plane.kubectl("get", "sp", "repro-first", "-n", namespace, "--no-headers")
    assert row.stdout.split()[-2] == "True"  # the Ready printer column
    assert "Traceback" not in operator.log()


def test_feedback_assessments_are_scored_with_their_policy(
    control_plane: ControlPlane, operator: Operator, namespace: str
) -> None:
    source = {"configMapRef": {"name": "tiny"}}
    applied = apply(
        control_plane,
        namespace,
        config_map("tiny", TINY_PROJECT),
        policy("meta-first", favouring("meta")),
        assessment("plain", source),
        assessment("tuned", source, policyRef={"name": "meta-first"}),
        assessment("orphan", source, policyRef={"name": "later"}),
    )
    assert applied.returncode == 0, applied.stderr
    plain = wait_scored(control_plane, namespace, "plain", operator)
    tuned = wait_scored(control_plane, namespace, "tuned", operator)
    assert "name" not in plain["status"]["policy"]  # built-in: no policy object
    assert plain["status"]["policy"]["weightsSource"] == "ahp-default"
    assert tuned["status"]["policy"]["name"] == "meta-first"
    assert tuned["status"]["policy"]["weightsSource"] == "policy meta-first: ahp"
    default, favoured = weights(plain), weights(tuned)
    assert set(default) == set(favoured) and "meta" in favoured
    # The policy's nominal weights (meta 9x each other component), renormalised over the
    # components that ran in this project, are what scored it.
    assert favoured["meta"] == pytest.approx(9 / (9 + len(favoured) - 1), abs=1e-3)
    assert favoured["meta"] > default["meta"] + 0.3
    assert all(favoured[c] < default[c] for c in favoured if c != "meta")

    # A policyRef to nothing degrades with a clear message, and scores once the policy exists.
    orphan = wait_for(
        "the orphan to degrade",
        lambda: (
            o
            if conditions(o := get(control_plane, namespace, "ma", "orphan"))
            .get("Degraded", {})
            .get("status")
            == "True"
            else None
        ),
        60,
        operator,
    )
    degraded = conditions(orphan)["Degraded"]
    assert degraded["reason"] == "PolicyNotFound"
    assert degraded["message"] == (
        f"spec.policyRef: ScoringPolicy later not found in namespace {namespace}"
    )
    assert conditions(orphan)["Ready"]["status"] == "False"
    assert apply(control_plane, namespace, policy("later")).returncode == 0
    orphan = wait_scored(control_plane, namespace, "orphan", operator)
    assert conditions(orphan)["Degraded"]["status"] == "False"
    assert orphan["status"]["policy"]["name"] == "later"

    # Changing the policy rescores its assessment (a new fingerprint), not the others.
    before = tuned["status"]["policy"]["fingerprint"]
    changed = apply(control_plane, namespace, policy("meta-first", favouring("repro")))
    assert changed.returncode == 0, changed.stderr
    tuned = wait_scored(
        control_plane, namespace, "tuned", operator, run=2, after=tuned["status"]["lastScoredTime"]
    )
    assert tuned["status"]["policy"]["fingerprint"] != before
    assert weights(tuned)["repro"] == pytest.approx(9 / (9 + len(favoured) - 1), abs=1e-3)
    assert weights(tuned)["repro"] > default["repro"]
    assert (
        get(control_plane, namespace, "ma", "plain")["metadata"]["annotations"][
            "hyperscore.dev/completed-run"
        ]
        == "1"
    )
    assert "Traceback" not in operator.log()


def test_feedback_reviews_are_answered_and_teach_the_default_policy(
    control_plane: ControlPlane, operator: Operator, namespace: str
) -> None:
    applied = apply(
        control_plane,
        namespace,
        config_map("tiny", TINY_PROJECT),
        policy("default"),
        assessment("tiny", {"configMapRef": {"name": "tiny"}}),
        review("early", "tiny", score=90, dimensions={"tracking": 4, "testing": 0}),
        review("lost", "nowhere", score=50),
        review("odd", "tiny", dimensions={"vibes": 3}),
    )
    assert applied.returncode == 0, applied.stderr

    # A review of an assessment that does not exist waits for it, saying so.
    lost = wait_for(
        "the lost review's condition",
        lambda: (
            o
            if conditions(o := get(control_plane, namespace, "mr", "lost"))
            .get("Ready", {})
            .get("reason")
            == "AssessmentNotFound"
            else None
        ),
        60,
        operator,
    )
    assert conditions(lost)["Ready"]["status"] == "False"
    assert "MaturityAssessment nowhere not found" in conditions(lost)["Ready"]["message"]
    odd = wait_for(
        "the odd review to be refused",
        ready(control_plane, namespace, "mr", "odd", "False"),
        60,
        operator,
    )
    assert conditions(odd)["Ready"]["reason"] == "InvalidReview"
    assert "unknown dimension vibes" in conditions(odd)["Ready"]["message"]

    # The review of the scored assessment gets the debate and is counted by the policy.
    early = wait_for(
        "the first review's reply",
        ready(control_plane, namespace, "mr", "early", "True"),
        120,
        operator,
    )
    status = early["status"]
    assert status["observedGeneration"] == 1 and status["incorporated"] is True
    points = {p["dimension"]: p for p in status["points"]}
    assert set(points) == {"tracking", "testing"}
    assert points["tracking"]["expert"] == 4
    assert all(p["verdict"] in ("agree", "concede", "maintain") for p in points.values())
    assert status["reply"].startswith("overall: ")
    counted = get(control_plane, namespace, "sp", "default")["status"]
    assert counted["feedback"]["reviews"] == 1
    assert counted["calibration"]["method"] == "bayesian"
    assert counted["calibration"]["samples"] == 1
    assert "learnedWeights" not in counted  # fewer than minReviews scored reviews

    # Four more scored reviews: the policy learns weights and refits its calibration.
    more = [review(f"r{i}", "tiny", score=85 + i) for i in range(4)]
    assert apply(control_plane, namespace, *more).returncode == 0

    def learned() -> dict[str, Any] | None:
        obj = get(control_plane, namespace, "sp", "default")
        return obj if obj["status"].get("feedback", {}).get("reviews") == 5 else None

    final = wait_for("five reviews in the policy", learned, 120, operator)["status"]
    assert set(final["learnedWeights"]) == set(COMPONENTS)
    assert sum(final["learnedWeights"].values()) == pytest.approx(1.0, abs=1e-4)
    assert final["learnedWeights"] != final["weights"]
    assert final["calibration"]["samples"] == 5
    assert final["calibration"]["parameters"]["n_obs"] >= 5
    assert final["feedback"]["maintained"] + final["feedback"]["conceded"] >= 5
    for i in range(4):
        answered = wait_for(
            f"review r{i} answered", ready(control_plane, namespace, "mr", f"r{i}", "True"), 60
        )
        assert answered["status"]["incorporated"] is True

    # The assessment is rescored with what the policy learned.
    def relearned() -> dict[str, Any] | None:
        obj = get(control_plane, namespace, "ma", "tiny")
        source = obj.get("status", {}).get("policy", {}).get("weightsSource", "")
        return obj if source.startswith("policy default: learned") else None

    wait_for("the assessment rescored with learned weights", relearned, 120, operator)
    assert "Traceback" not in operator.log()
