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
    Check,
    Citation,
    ComponentResult,
    Dimension,
    DimensionResult,
    Finding,
    FusionSummary,
    PracticeResult,
    PracticeState,
    RoadmapItem,
    Severity,
    StageResult,
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


# --------------------------------------------------------------------------- stages and fusion

CYCLE = "cycle: lint -> test -> lint"
DROPPED_WHY = "meta-evaluation did not run"


def _logic_stage(tag: str) -> StageResult:
    proved = [
        Check(
            id=f"refs.doc-links:doc{i}.md",
            kind="refs.doc-links",
            statement=f"every relative link in doc{i}.md resolves{tag}",
            result="proved",
            evidence=[Citation(path=f"doc{i}.md", line=1, what="link")],
        )
        for i in range(3)
    ]
    refuted = Check(
        id="dag.acyclic:.github/workflows/ci.yml",
        kind="dag.acyclic",
        statement=f"the dependency graph of .github/workflows/ci.yml is acyclic{tag}",
        result="refuted",
        evidence=[Citation(path=f".github/workflows/ci.yml{tag}", line=4, what="node")],
        counterexample=CYCLE + tag,
    )
    missing = Check(
        id="refs.images:docker-compose.yml",
        kind="refs.images",
        statement="every image that docker-compose.yml builds locally has its Dockerfile",
        result="refuted",
        evidence=[Citation(path="docker-compose.yml", line=2, what="builds serve/Dockerfile")],
        counterexample="unbuildable image: serve/Dockerfile: build context serve/ missing",
    )
    unknown = Check(
        id="config.keys:train.py->c.yaml",
        kind="config.keys",
        statement="every key train.py reads exists",
        result="unknown",
        detail={"reason": "keys not read"},
    )
    return StageResult(
        stage="logic",
        status="ok",
        score=0.6,
        summary="3 proved, 2 refuted, 1 unknown of 6 obligations",
        checks=[*proved, refuted, missing, unknown],
        timings={"derive.dag": 0.01, "solve": 0.2, "total": 0.25},
        details={"counts": {"proved": 3, "refuted": 2, "unknown": 1}},
    )


def _run(name: str, ok: bool, tag: str) -> Check:
    return Check(
        id=f"sandbox:{name}",
        kind="sandbox.pytest",
        statement=f"`{name}` succeeds in the sandbox{tag}",
        result="passed" if ok else "failed",
        evidence=[Citation(path="pyproject.toml", line=9, what="pytest configured")],
        counterexample=None if ok else "exit status 1",
        detail={
            "command": name.split(),
            "exit_status": 0 if ok else 1,
            "timed_out": False,
            "wall_seconds": 2.5 if ok else 3.25,
            "cpu_seconds": 1.75,
            "peak_memory_bytes": 84 * 1024 * 1024,
            "tests_passed": 12 if ok else 9,
            "tests_failed": 0 if ok else 3,
        },
    )


def make_stages(tag: str = "") -> dict[str, StageResult]:
    """Five stages: logic (refuted and unknown obligations), sandbox (a failed run), repro,
    novelty, impact."""
    return {
        "logic": _logic_stage(tag),
        "sandbox": StageResult(
            stage="sandbox",
            status="ok",
            score=0.5,
            summary="1/2 sandboxed runs succeeded",
            checks=[_run("pytest -q", True, tag), _run("pytest tests/slow", False, tag)],
            timings={"sandbox": 6.1},
        ),
        "repro": StageResult(
            stage="repro",
            status="ok",
            score=0.75,
            summary="ΔRepro 0.75",
            checks=[
                Check(
                    id="repro:seeds",
                    kind="repro.seeds",
                    statement="training seeds its random generators",
                    result="failed",
                    counterexample="train.py never calls a seed function",
                )
            ],
            details={"static_score": 0.75, "dynamic_score": None},
        ),
        "novelty": StageResult(
            stage="novelty",
            status="ok",
            score=0.4,
            summary="2 of 9 chunks match known projects",
            details={"chunks": 9, "counts": {"novel": 7, "known": 2}},
        ),
        "impact": StageResult.skipped("impact", "no forecast model installed"),
    }


def make_components() -> dict[str, ComponentResult]:
    rows = [
        ("logic", "Logical consistency", 0.6, 0.3, 0.25, 0.05),
        ("novelty", "Novelty", 0.4, 0.15, 0.125, -0.02),
        ("impact", "Impact forecast", 0.7, 0.3, 0.25, 0.04),
        ("repro", "Reproducibility", 0.75, 0.45, 0.375, 0.03),
    ]
    comps = {
        name: ComponentResult(
            name=name,  # type: ignore[arg-type]
            title=title,
            status="used",
            term=term,
            nominal_weight=nominal,
            weight=weight,
            shapley=phi,
        )
        for name, title, term, nominal, weight, phi in rows
    }
    comps["meta"] = ComponentResult(
        name="meta",
        title="Meta-evaluation",
        status="dropped",
        nominal_weight=0.1,
        weight=0.0,
        why=DROPPED_WHY,
    )
    return comps


def make_roadmap(n: int = 12) -> list[RoadmapItem]:
    return [
        RoadmapItem(
            practice=f"practice-{i}",
            title=f"Practice number {i}",
            dimension=Dimension.MONITORING,
            gain=round(12.0 - i * 0.75, 2),
            prerequisites=["experiment-tracking"] if i == 0 else [],
            effort="low",
        )
        for i in range(n)
    ]


def make_fused_assessment(*, hostile: bool = False, confidence: str = "high") -> Assessment:
    """``make_assessment`` with every stage, the fusion summary and a 12-item roadmap."""
    tag = f" {XSS}{XSS_ATTR}" if hostile else ""
    return make_assessment(
        hostile=hostile,
        score=62.3,
        baseline_score=38.8,
        scoreInterval=(55.1, 69.4),
        hyperScore=143.2,
        stages=make_stages(tag),
        components=make_components(),
        fusion=FusionSummary(
            v=0.6,
            baseline_v=0.5,
            weights_source="ahp-default",
            consistency_ratio=0.012,
            dropped=["meta"],
            note=f"meta dropped: {DROPPED_WHY}; weights renormalised over 4 components{tag}",
            calibration="bayesian-linear prior",
            confidence=confidence,  # type: ignore[arg-type]
        ),
        roadmap=make_roadmap(),
    )
