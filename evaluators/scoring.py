"""The explainable baseline: dimension levels -> score 0-100 and an overall maturity level.

score = 100 * mean over the eight dimensions of (level + progress) / 4, where progress in
[0, 0.5) is half the share of the dimension's higher-level practices already present (credit
for work toward the next level without granting it). The overall level follows the rubric's
level definitions, read off the dimension levels:

  4  full MLOps: automation 4, monitoring 4, deployment >= 3, governance >= 3
  3  automated deployment: automation >= 3 and deployment >= 3
  2  automated training: automation >= 3, or automation >= 2 with tracking >= 2
  1  DevOps without MLOps: automation >= 1 or testing >= 2
  0  otherwise
"""

from __future__ import annotations

from hyperscore.evaluators.assessment import (
    Dimension,
    DimensionResult,
    PracticeResult,
    PracticeState,
)

MAX_PROGRESS = 0.5


def progress(dim: DimensionResult, practices: list[PracticeResult]) -> float:
    above = [p for p in practices if p.dimension == dim.name and p.level > dim.level]
    if not above or dim.level >= 4:
        return 0.0
    done = sum(1 for p in above if p.state == PracticeState.PRESENT)
    return MAX_PROGRESS * done / len(above)


def baseline_score(dims: list[DimensionResult], practices: list[PracticeResult]) -> float:
    total = sum(d.level + progress(d, practices) for d in dims)
    return round(100.0 * total / (4 * len(dims)), 1) if dims else 0.0


def overall_level(levels: dict[str, int]) -> int:
    def lv(dim: Dimension) -> int:
        return levels.get(dim.value, 0)

    auto, dep, mon = lv(Dimension.AUTOMATION), lv(Dimension.DEPLOYMENT), lv(Dimension.MONITORING)
    if auto >= 4 and mon >= 4 and dep >= 3 and lv(Dimension.GOVERNANCE) >= 3:
        return 4
    if auto >= 3 and dep >= 3:
        return 3
    if auto >= 3 or (auto >= 2 and lv(Dimension.TRACKING) >= 2):
        return 2
    if auto >= 1 or lv(Dimension.TESTING) >= 2:
        return 1
    return 0
