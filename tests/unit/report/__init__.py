"""Tests of the report renderers, on assessments built here rather than computed.

``make_assessment()`` builds a small but complete :class:`Assessment` (eight dimensions, a
claimed-only practice, findings of every severity) without running any detector, so these
tests do not depend on the catalogue or the rules being in a consistent state.
``hostile=True`` puts markup into every project-derived string, for escaping tests.
"""

from __future__ import annotations

from typing import Any

from hyperscore.evaluators.assessment import (
    Assessment,
    Citation,
    Dimension,
    DimensionResult,
    Finding,
    PracticeResult,
    PracticeState,
    Severity,
)
from hyperscore.evaluators.model import IngestStats, SourceInfo

XSS = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(2)>'

# (id, dimension, level, title, state)
PRACTICES: list[tuple[str, Dimension, int, str, PracticeState]] = [
    ("requirements-file", Dimension.REPRODUCIBILITY, 1, "Requirements file", PracticeState.PRESENT),
    (
        "pinned-dependencies",
        Dimension.REPRODUCIBILITY,
        2,
        "Pinned dependencies",
        PracticeState.PRESENT,
    ),
    ("lockfile", Dimension.REPRODUCIBILITY, 3, "Lock file with hashes", PracticeState.ABSENT),
    ("data-download-script", Dimension.DATA, 1, "Scripted data preparation", PracticeState.PRESENT),
    ("data-versioning", Dimension.DATA, 2, "Data versioning (DVC)", PracticeState.PRESENT),
    ("data-validation", Dimension.DATA, 3, "Automated data validation", PracticeState.ABSENT),
    ("metrics-files", Dimension.TRACKING, 1, "Metrics written to files", PracticeState.PRESENT),
    (
        "experiment-tracking",
        Dimension.TRACKING,
        2,
        "Experiment tracking tool",
        PracticeState.CLAIMED_ONLY,
    ),
    ("unit-tests", Dimension.TESTING, 1, "Unit tests", PracticeState.PRESENT),
    ("tests-in-ci", Dimension.TESTING, 2, "Tests run in CI", PracticeState.ABSENT),
    ("ci-exists", Dimension.AUTOMATION, 1, "Continuous integration", PracticeState.PRESENT),
    (
        "training-pipeline",
        Dimension.AUTOMATION,
        3,
        "Automated training pipeline",
        PracticeState.ABSENT,
    ),
    ("dockerfile", Dimension.DEPLOYMENT, 2, "Container image for serving", PracticeState.PRESENT),
    ("k8s-manifests", Dimension.DEPLOYMENT, 3, "Kubernetes manifests", PracticeState.PRESENT),
    ("drift-monitoring", Dimension.MONITORING, 3, "Drift monitoring", PracticeState.CLAIMED_ONLY),
    ("app-logging", Dimension.MONITORING, 1, "Application logging", PracticeState.ABSENT),
    ("readme", Dimension.GOVERNANCE, 1, "README", PracticeState.PRESENT),
    ("license", Dimension.GOVERNANCE, 2, "License file", PracticeState.PRESENT),
    ("model-card", Dimension.GOVERNANCE, 3, "Model card", PracticeState.ABSENT),
]

LEVELS = {
    Dimension.REPRODUCIBILITY: (2, ["lockfile"]),
    Dimension.DATA: (2, ["data-validation"]),
    Dimension.TRACKING: (1, ["experiment-tracking"]),
    Dimension.TESTING: (1, ["tests-in-ci"]),
    Dimension.AUTOMATION: (1, ["tests-in-ci"]),
    Dimension.DEPLOYMENT: (3, []),
    Dimension.MONITORING: (0, ["app-logging"]),
    Dimension.GOVERNANCE: (2, ["model-card"]),
}

FINDINGS: list[tuple[str, str, Severity, str, int | None, str]] = [
    (
        "ci-pr-target-checkout",
        "pull_request_target checks out the PR head",
        Severity.CRITICAL,
        ".github/workflows/ci.yml",
        12,
        "checks out ${{ github.event.pull_request.head.sha }}",
    ),
    (
        "hardcoded-secret",
        "Hard-coded credential",
        Severity.HIGH,
        "src/train.py",
        8,
        "AWS secret key literal in `train.py`",
    ),
    (
        "unsafe-deserialisation",
        "pickle.load of an untrusted file",
        Severity.HIGH,
        "src/serve.py",
        31,
        "`pickle.load` on a downloaded file",
    ),
    (
        "ci-third-party-action-pinned-by-tag",
        "Third-party action pinned by tag",
        Severity.MEDIUM,
        ".github/workflows/ci.yml",
        20,
        "codecov/codecov-action@v4 is pinned by tag",
    ),
    (
        "large-artifact-committed",
        "Large model or data file in the repository",
        Severity.MEDIUM,
        "models/model.bin",
        None,
        "model weights of 48.0 MiB committed",
    ),
    (
        "ci-missing-permissions",
        "Workflow without a permissions block",
        Severity.LOW,
        ".github/workflows/ci.yml",
        None,
        "the GITHUB_TOKEN has default (broad) permissions",
    ),
]


def make_assessment(
    *, hostile: bool = False, findings: int | None = None, **overrides: Any
) -> Assessment:
    """A complete assessment; ``findings=N`` repeats the sample findings up to N entries."""
    tag = f" {XSS}{XSS_ATTR}" if hostile else ""
    practices = [
        PracticeResult(
            id=pid,
            dimension=dim,
            level=level,
            title=title + tag,
            state=state,
            evidence=[Citation(path=f"src/{pid}.py{tag}", line=3, what=f"seen {pid}{tag}")]
            if state == PracticeState.PRESENT
            else [],
            claims=[Citation(path="README.md", line=5, what=f'prose claims it: "{title}{tag}"')]
            if state == PracticeState.CLAIMED_ONLY
            else [],
        )
        for pid, dim, level, title, state in PRACTICES
    ]
    details = []
    for dim, (level, missing) in LEVELS.items():
        earned = [p.id for p in practices if p.dimension == dim and p.state == "present"]
        claimed = [p.id for p in practices if p.dimension == dim and p.state == "claimed-only"]
        details.append(
            DimensionResult(
                name=dim,
                level=level,
                rationale=f"level {level}: {', '.join(earned) or 'nothing'} found{tag}",
                earned_by=earned,
                claimed_only=claimed,
                next_steps=missing,
            )
        )
    base = [
        Finding(
            rule_id=rid,
            title=title + tag,
            severity=sev,
            path=path + tag,
            line=line,
            message=message + tag,
            remediation=f"Fix {rid} like this: do the right thing{tag}",
            dimension=Dimension.GOVERNANCE,
            tags=["security"],
        )
        for rid, title, sev, path, line, message in FINDINGS
    ]
    found = base
    if findings is not None:
        found = [base[i % len(base)].model_copy(update={"line": 100 + i}) for i in range(findings)]
    counts = {s.value: sum(1 for f in found if f.severity == s) for s in Severity}
    values: dict[str, Any] = {
        "tool_version": "0.1.0",
        "source": SourceInfo(type="directory", location=f"/tmp/demo-project{tag}"),
        "score": 38.8,
        "level": 1,
        "dimensions": {d.value: LEVELS[d][0] for d in Dimension},
        "dimension_details": details,
        "practices": practices,
        "findings": found,
        "stats": IngestStats(files_seen=42, files_parsed=40, bytes_read=123456, seconds=0.42),
        "summary": {"findings": counts},
    }
    values.update(overrides)
    return Assessment(**values)
