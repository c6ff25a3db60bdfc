"""One assessment, end to end: ingest -> decompose -> findings -> report model.

The CLI and the operator both call :func:`assess`; executors (in-process, Ray, Jobs) decide
only where the stages run, never what they compute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hyperscore.evaluators.assessment import (
    Assessment,
    Finding,
    PracticeResult,
    RoadmapItem,
    Severity,
    StageResult,
)
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.graphs import link_practices
from hyperscore.evaluators.decompose.practices import detect_practices, dimension_levels
from hyperscore.evaluators.findings import run_rules
from hyperscore.evaluators.fusion.apply import FusedScore, FusionState
from hyperscore.evaluators.ingest import Limits, ingest_tree
from hyperscore.evaluators.ingest.walk import ProgressFn
from hyperscore.evaluators.model import IngestResult
from hyperscore.evaluators.scoring import baseline_score, overall_level
from hyperscore.evaluators.stages.base import StageInput


def tool_version() -> str:
    try:
        return version("hyperscore")
    except PackageNotFoundError:  # pragma: no cover
        return "0+unknown"


@dataclass
class Options:
    rev: str | None = None
    limits: Limits = field(default_factory=Limits)
    semantic: bool = True
    use_cache: bool = True
    progress: ProgressFn | None = None
    stages: tuple[str, ...] = ("logic", "repro", "novelty", "impact")
    kb_uri: str | None = None
    export_smt: str | None = None
    sandbox: bool = False
    allow_unsafe_sandbox: bool = False
    run_notebooks: bool = False
    #: Meta-self-evaluation replicates (docs/scoring.md); 0 or 1 switches Meta off.
    meta_replicates: int = 16
    #: Weights and calibration to fuse with, instead of the data directory's files (the
    #: operator passes a ScoringPolicy's state); None = ``fusion.apply.load_state()``.
    fusion_state: FusionState | None = None


def assess_ingested(result: IngestResult, options: Options | None = None) -> Assessment:
    options = options or Options()
    claims = {}
    if options.semantic:
        from hyperscore.evaluators.decompose.semantic import find_claims

        claims = find_claims(result)
    ctx = DetectionContext(result=result, claims=claims)
    practices = detect_practices(ctx)
    dims = dimension_levels(practices)
    levels = {d.name.value: d.level for d in dims}
    result.graph = link_practices(result.graph, practices)
    stage_results = run_stages(StageInput(ingest=result, ctx=ctx, practices=practices), options)
    findings = sorted(
        [*run_rules(ctx, practices), *stage_findings(stage_results)],
        key=lambda f: (-f.severity.rank, f.path, f.line or 0, f.rule_id),
    )
    counts = {s.value: sum(1 for f in findings if f.severity == s) for s in Severity}
    fused = _fuse(ctx, stage_results, levels, practices, options)
    return Assessment(
        tool_version=tool_version(),
        source=result.source,
        score=fused.score,
        baseline_score=baseline_score(dims, practices),
        score_interval=fused.interval,
        hyper_score=fused.hyper_score,
        components=fused.components,
        fusion=fused.summary,
        roadmap=_roadmap(stage_results),
        level=overall_level(levels),
        dimensions=levels,
        dimension_details=dims,
        practices=practices,
        findings=findings,
        stats=result.stats,
        stages=stage_results,
        summary={
            "findings": counts,
            "practices_present": sum(1 for p in practices if p.state == "present"),
            "practices_claimed_only": sum(1 for p in practices if p.state == "claimed-only"),
            "practices_total": len(practices),
        },
    )


def _fuse(
    ctx: DetectionContext,
    stages: dict[str, StageResult],
    levels: dict[str, int],
    practices: list[PracticeResult],
    options: Options,
) -> FusedScore:
    """Issue 7: Meta (unless off), then V, Shapley, calibrated score and HyperScore."""
    from hyperscore.evaluators.fusion.apply import fuse_assessment, load_state, practice_coverage

    state = options.fusion_state if options.fusion_state is not None else load_state()
    coverage = practice_coverage(practices)
    if options.meta_replicates <= 1:
        return fuse_assessment(
            stages, levels, coverage, state, meta_why="meta-evaluation switched off"
        )
    from hyperscore.evaluators.meta import meta_stability

    meta = meta_stability(ctx, stages, state, n=options.meta_replicates)
    return fuse_assessment(stages, levels, coverage, state, meta.value, meta.details)


def _roadmap(stages: dict[str, StageResult]) -> list[RoadmapItem]:
    """The impact stage's what-if roadmap (``details["roadmap"]``) in the stage's priority
    order -- a prerequisite before what needs it, then by gain; malformed items skipped."""
    impact = stages.get("impact")
    raw = impact.details.get("roadmap", []) if impact is not None else []
    items = []
    for item in raw if isinstance(raw, list) else []:
        try:
            items.append(RoadmapItem.model_validate(item))
        except ValueError:
            continue
    return items  # the stage's order: prerequisites first, then by gain (docs/impact.md)


def run_stages(inp: StageInput, options: Options) -> dict[str, StageResult]:
    """Run the enabled evaluation stages in order; a failing stage is recorded, not raised."""
    out: dict[str, StageResult] = {}
    for name in options.stages:
        try:
            if name == "logic":
                from hyperscore.evaluators.stages import logic

                root = _local_root(inp.ingest)
                out[name] = logic.run(inp, root=root, export_dir=options.export_smt)
            elif name == "repro":
                out.update(_sandbox_and_repro(inp, options))
            elif name == "novelty":
                out[name] = _novelty(inp, options)
            elif name == "impact":
                from hyperscore.evaluators.stages import impact

                out[name] = impact.run(inp)
        except Exception as exc:
            line = " ".join(str(exc).split())[:300]
            out[name] = StageResult(
                stage=name, status="error", summary=f"{exc.__class__.__name__}: {line}"
            )
    return out


def _sandbox_and_repro(inp: StageInput, options: Options) -> dict[str, StageResult]:
    """Static ΔRepro always; with the sandbox on, the project's own checks run sandboxed and
    the first detected command runs twice more for the dynamic reproducibility comparison."""
    from hyperscore.evaluators.stages import repro

    if not options.sandbox:
        return {
            "repro": repro.run(inp),
            "sandbox": StageResult.skipped(
                "sandbox", "the sandbox runs only when asked (--sandbox)"
            ),
        }
    from hyperscore.evaluators.stages import sandbox
    from hyperscore.evaluators.stages.sandbox.commands import detect_commands
    from hyperscore.evaluators.stages.sandbox.local import LocalSandbox, SandboxUnavailable

    box = LocalSandbox(allow_unsafe=options.allow_unsafe_sandbox)
    result = sandbox.run(inp, sandbox=box, run_notebooks=options.run_notebooks)
    runs = None
    root = _local_root(inp.ingest)
    commands = detect_commands(inp.ctx)
    if root is not None and commands and result.status == "ok":
        try:
            runs = [box.run(root, commands[0].argv) for _ in range(2)]
        except SandboxUnavailable:
            runs = None
    return {"sandbox": result, "repro": repro.run(inp, sandbox_runs=runs)}


def _novelty(inp: StageInput, options: Options) -> StageResult:
    """Novelty against the knowledge base, when one has been built (``hyperscore kb build``)."""
    from hyperscore.evaluators.knowledge.store import KnowledgeBase, resolve_uri

    uri = options.kb_uri
    remote = uri is not None and uri.startswith(("http://", "https://", "tcp://"))
    if not remote and not Path(resolve_uri(uri)).exists():
        return StageResult.skipped(
            "novelty", "no knowledge base: build one with `hyperscore kb build`"
        )
    from hyperscore.evaluators.stages import novelty

    with KnowledgeBase(uri) as kb:
        return novelty.run(inp, kb=kb, root=_local_root(inp.ingest))


def stage_findings(stages: dict[str, StageResult]) -> list[Finding]:
    """Findings that stages report in ``details["findings"]`` (novelty's KB matches)."""
    out = []
    for result in stages.values():
        for raw in result.details.get("findings", []) if result.details else []:
            try:
                out.append(
                    Finding(
                        rule_id=str(raw["rule_id"]),
                        title=str(raw.get("title") or raw["rule_id"].replace("-", " ")),
                        severity=Severity(str(raw.get("severity", "low"))),
                        path=str(raw["path"]),
                        line=raw.get("line"),
                        message=str(raw["message"]),
                        remediation=str(
                            raw.get("remediation")
                            or "Replace the matched pattern with a current practice."
                        ),
                        tags=["novelty", "knowledge-base"],
                    )
                )
            except (KeyError, ValueError):
                continue
    return out


def _kb_stamp(options: Options) -> str:
    """What the cache must know of the knowledge base: where it is and when it last changed."""
    if "novelty" not in options.stages:
        return ""
    from hyperscore.evaluators.knowledge.store import resolve_uri

    uri = options.kb_uri
    if uri is not None and uri.startswith(("http://", "https://", "tcp://")):
        return uri  # a server may change at any time: key by location only
    path = Path(resolve_uri(uri))
    try:
        return f"{path}:{path.stat().st_mtime_ns}"
    except OSError:
        return f"{path}:absent"


def _fusion_stamp(options: Options) -> str:
    """The cache must miss when the review loop writes new weights or a new calibration."""
    from hyperscore.evaluators.fusion.apply import state_stamp

    state = options.fusion_state
    if state is not None:  # an explicit state: key by its content, not the data directory
        content = json.dumps(
            [state.weights, state.calibration.to_json(), state.weights_source],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()
        return f"meta={options.meta_replicates};given:{digest}"
    return f"meta={options.meta_replicates};{state_stamp()}"


def _local_root(result: IngestResult) -> Path | None:
    if result.source.type == "directory":
        path = Path(result.source.location)
        return path if path.is_dir() else None
    return None


def assess(spec: str, options: Options | None = None) -> tuple[Assessment, IngestResult]:
    """Assess a source; an unchanged source (same fingerprint) is served from the cache."""
    from hyperscore.evaluators import cache
    from hyperscore.evaluators.ingest.sources import open_source

    options = options or Options()
    with open_source(spec, rev=options.rev, limits=options.limits) as tree:
        files = list(tree.walk())
        key = None
        if options.use_cache and options.export_smt is None and not options.sandbox:
            settings = {
                "semantic": options.semantic,
                "limits": repr(options.limits),
                "stages": list(options.stages),
                "kb": _kb_stamp(options),
                "fusion": _fusion_stamp(options),
            }
            key = cache.fingerprint(files, tree.omitted, settings)
            hit = cache.load(key)
            if hit is not None:
                try:
                    return (
                        Assessment.model_validate(hit["assessment"]),
                        IngestResult.from_json_dict(hit["ingest"]),
                    )
                except (KeyError, ValueError):
                    pass
        result = ingest_tree(tree, progress=options.progress, files=files)
    assessment = assess_ingested(result, options)
    if key is not None:
        cache.store(key, {"assessment": assessment.to_json_dict(), "ingest": result.to_json_dict()})
    return assessment, result
