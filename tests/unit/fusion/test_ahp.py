"""AHP weights and consistency on textbook matrices with published answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperscore.evaluators.fusion.ahp import (
    CR_THRESHOLD,
    RANDOM_INDEX,
    AHPInconsistent,
    AHPMatrix,
    default_matrix,
    default_weights,
)
from hyperscore.evaluators.fusion.components import COMPONENTS


def consistent(weights: list[float]) -> list[list[float]]:
    return [[wi / wj for wj in weights] for wi in weights]


def test_consistent_matrix_has_cr_zero_and_recovers_its_weights() -> None:
    w = [0.4, 0.3, 0.15, 0.1, 0.05]
    res = AHPMatrix(list("abcde"), consistent(w)).check()
    assert res.weights == pytest.approx(w, abs=1e-12)
    assert res.lambda_max == pytest.approx(5.0, abs=1e-9)
    assert res.ci == pytest.approx(0.0, abs=1e-9)
    assert res.cr == pytest.approx(0.0, abs=1e-9)


def test_saaty_3x3_classic() -> None:
    """The 3x3 textbook example: w = (.105, .258, .637), lambda 3.039, CI .019, CR .033."""
    res = AHPMatrix("abc", [[1, 1 / 3, 1 / 5], [3, 1, 1 / 3], [5, 3, 1]]).check()
    assert res.weights == pytest.approx((0.105, 0.258, 0.637), abs=5e-4)
    assert res.lambda_max == pytest.approx(3.039, abs=5e-4)
    assert res.ci == pytest.approx(0.019, abs=5e-4)
    assert res.cr == pytest.approx(0.033, abs=5e-4)


def test_leader_4x4_criteria() -> None:
    """The 'choosing a leader' criteria (experience, education, charisma, age): CR .044."""
    m: list[list[float]] = [
        [1, 4, 3, 7],
        [1 / 4, 1, 1 / 3, 3],
        [1 / 3, 3, 1, 5],
        [1 / 7, 1 / 3, 1 / 5, 1],
    ]
    res = AHPMatrix(["experience", "education", "charisma", "age"], m).check()
    assert res.weights == pytest.approx((0.547, 0.127, 0.270, 0.056), abs=1.5e-3)
    assert res.cr == pytest.approx(0.044, abs=5e-4)


SAATY_HOUSE: list[list[float]] = [
    [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
    [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
    [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
    [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
    [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
    [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
    [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
    [4, 7, 5, 8, 6, 6, 2, 1],
]
HOUSE_LABELS = ["size", "bus", "neighbourhood", "age", "yard", "modern", "condition", "finance"]


def test_saaty_1990_house_example_values_and_rejection() -> None:
    """Saaty (1990, EJOR) house example: lambda 9.669, CI .238, CR .169 -> rejected at 0.1."""
    m = AHPMatrix(HOUSE_LABELS, SAATY_HOUSE)
    res = m.evaluate()
    assert res.weights == pytest.approx(
        (0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333), abs=1.5e-3
    )
    assert res.lambda_max == pytest.approx(9.669, abs=1e-3)
    assert res.ci == pytest.approx(0.238, abs=1e-3)
    assert res.cr == pytest.approx(0.169, abs=1e-3)
    with pytest.raises(AHPInconsistent) as err:
        m.check()
    assert err.value.cr == pytest.approx(res.cr)
    assert "neighbourhood vs condition: given 6, weights imply 1.1" in str(err.value)
    # A looser, explicit threshold accepts it.
    assert m.check(threshold=0.2).cr == pytest.approx(res.cr)


def test_inconsistent_matrix_message_names_the_perturbed_pair() -> None:
    w = [0.4, 0.3, 0.15, 0.1, 0.05]
    a = np.asarray(consistent(w))
    a[1, 3], a[3, 1] = 1 / 9, 9.0  # "b vs d" was 3; now reversed and extreme
    m = AHPMatrix(list("abcde"), a.tolist())
    with pytest.raises(AHPInconsistent) as err:
        m.check()
    worst = err.value.offenders[0]
    assert {worst.row, worst.col} == {"b", "d"}
    assert worst.given == pytest.approx(1 / 9)
    msg = str(err.value)
    assert "b vs d: given 1/9, weights imply" in msg
    assert f"{err.value.cr:.3f} > {CR_THRESHOLD:g}" in msg
    assert msg.index("b vs d") < msg.index("Revise")


def test_mildly_perturbed_matrix_passes() -> None:
    a = np.asarray(consistent([0.4, 0.3, 0.15, 0.1, 0.05]))
    a[0, 1], a[1, 0] = 1.6, 1 / 1.6  # 4/3 -> 1.6
    res = AHPMatrix(list("abcde"), a.tolist()).check()
    assert 0.0 < res.cr < CR_THRESHOLD


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        ([[1, 2], [2, 1]], "not reciprocal"),
        ([[2, 2], [0.5, 1]], "diagonal"),
        ([[1, -2], [-0.5, 1]], "> 0"),
        ([[1, math.nan], [1, 1]], "finite"),
        ([[1, 2, 3], [0.5, 1, 1]], "2x2"),
    ],
)
def test_invalid_matrices_are_rejected(matrix: list[list[float]], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        AHPMatrix(["x", "y"], matrix)


def test_from_comparisons_requires_every_pair_once() -> None:
    with pytest.raises(ValueError, match="missing comparisons: a vs c"):
        AHPMatrix.from_comparisons("abc", {("a", "b"): 2, ("b", "c"): 2})
    with pytest.raises(ValueError, match="given twice"):
        AHPMatrix.from_comparisons("ab", {("a", "b"): 2, ("b", "a"): 0.5})
    with pytest.raises(ValueError, match="unknown"):
        AHPMatrix.from_comparisons("ab", {("a", "z"): 2})
    m = AHPMatrix.from_comparisons("abc", {("a", "b"): 2, ("c", "b"): 0.5, ("a", "c"): 4})
    assert m.matrix[2, 1] == 0.5 and m.matrix[1, 2] == 2.0
    assert m.check().cr == pytest.approx(0.0, abs=1e-9)
    assert m.weights() == pytest.approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})


def test_small_matrices_have_cr_zero_by_definition() -> None:
    assert AHPMatrix(["only"], [[1]]).check().weights == (1.0,)
    res = AHPMatrix(["x", "y"], [[1, 9], [1 / 9, 1]]).check()
    assert res.cr == 0.0
    assert res.weights == pytest.approx((0.9, 0.1))
    with pytest.raises(ValueError, match="1 to 10"):
        AHPMatrix([str(i) for i in range(11)], np.ones((11, 11)).tolist())
    assert len(RANDOM_INDEX) == 10


def test_default_matrix_is_consistent_and_documented_order() -> None:
    m = default_matrix()
    assert m.labels == COMPONENTS
    res = m.check()
    assert res.cr < CR_THRESHOLD
    w = default_weights()
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["logic"] == pytest.approx(w["repro"])
    assert w["logic"] > w["impact"] > w["novelty"]
    assert w["novelty"] == pytest.approx(w["meta"])
