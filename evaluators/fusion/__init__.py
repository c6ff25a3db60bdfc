"""Score fusion (issue 7, section 5): stage terms -> V -> attribution, calibration, HyperScore.

Pure functions, no I/O; the formulas, defaults and their rationale are in docs/scoring.md.

* :mod:`.components` -- V = weighted sum of five terms in [0, 1]; missing stages drop out and
  the weights renormalise (:func:`fuse`).
* :mod:`.ahp` -- default weights from an AHP pairwise-comparison matrix, with the consistency
  ratio check (:func:`default_weights`, :class:`AHPMatrix`, :class:`AHPInconsistent`).
* :mod:`.shapley` -- exact Shapley attribution of V against a baseline (:func:`attribute`).
* :mod:`.calibration` -- conjugate Bayesian regression onto the expert 0-100 scale with a 90%
  credible interval (:class:`Calibration`, :func:`fit`, :func:`default_prior`).
* :mod:`.hyperscore` -- HyperScore = 100 * [1 + sigma(beta ln V + gamma)^kappa], 100-111.1.
"""

from hyperscore.evaluators.fusion.ahp import (
    AHPInconsistent,
    AHPMatrix,
    AHPResult,
    default_matrix,
    default_weights,
)
from hyperscore.evaluators.fusion.calibration import (
    Calibration,
    Prediction,
    default_prior,
    features,
    fit,
)
from hyperscore.evaluators.fusion.components import (
    COMPONENTS,
    Fusion,
    component_terms,
    fuse,
    impact_term,
)
from hyperscore.evaluators.fusion.hyperscore import HyperScoreParams, hyperscore
from hyperscore.evaluators.fusion.shapley import DEFAULT_BASELINE, Attribution, attribute, shapley

__all__ = [
    "COMPONENTS",
    "DEFAULT_BASELINE",
    "AHPInconsistent",
    "AHPMatrix",
    "AHPResult",
    "Attribution",
    "Calibration",
    "Fusion",
    "HyperScoreParams",
    "Prediction",
    "attribute",
    "component_terms",
    "default_matrix",
    "default_prior",
    "default_weights",
    "features",
    "fit",
    "fuse",
    "hyperscore",
    "impact_term",
    "shapley",
]
