"""One assessment, end to end: ingest -> decompose -> findings -> report model.

The CLI and the operator both call :func:`assess`; executors (in-process, Ray, Jobs) decide
only where the stages run, never what they compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

from hyperscore.evaluators.assessment import Assessment, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.graphs import link_practices
from hyperscore.evaluators.decompose.practices import detect_practices, dimension_levels
from hyperscore.evaluators.findings import run_rules
from hyperscore.evaluators.ingest import Limits, ingest_tree
from hyperscore.evaluators.ingest.walk import ProgressFn
from hyperscore.evaluators.model import IngestResult
from hyperscore.evaluators.scoring import baseline_score, overall_level


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
    findings = sorted(run_rules(ctx, practices),
                      key=lambda f: (-f.severity.rank, f.path, f.line or 0, f.rule_id))
    result.graph = link_practices(result.graph, practices)
    counts = {s.value: sum(1 for f in findings if f.severity == s) for s in Severity}
    return Assessment(
        tool_version=tool_version(),
        source=result.source,
        score=baseline_score(dims, practices),
        level=overall_level(levels),
        dimensions=levels,
        dimension_details=dims,
        practices=practices,
        findings=findings,
        stats=result.stats,
        summary={"findings": counts,
                 "practices_present": sum(1 for p in practices if p.state == "present"),
                 "practices_claimed_only": sum(1 for p in practices if p.state == "claimed-only"),
                 "practices_total": len(practices)},
    )


def assess(spec: str, options: Options | None = None) -> tuple[Assessment, IngestResult]:
    """Assess a source; an unchanged source (same fingerprint) is served from the cache."""
    from hyperscore.evaluators import cache
    from hyperscore.evaluators.ingest.sources import open_source

    options = options or Options()
    with open_source(spec, rev=options.rev, limits=options.limits) as tree:
        files = list(tree.walk())
        key = None
        if options.use_cache:
            settings = {"semantic": options.semantic, "limits": repr(options.limits)}
            key = cache.fingerprint(files, tree.omitted, settings)
            hit = cache.load(key)
            if hit is not None:
                try:
                    return (Assessment.model_validate(hit["assessment"]),
                            IngestResult.from_json_dict(hit["ingest"]))
                except (KeyError, ValueError):
                    pass
        result = ingest_tree(tree, progress=options.progress, files=files)
    assessment = assess_ingested(result, options)
    if key is not None:
        cache.store(key, {"assessment": assessment.to_json_dict(),
                          "ingest": result.to_json_dict()})
    return assessment, result
