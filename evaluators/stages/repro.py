"""Stage 3-5: reproducibility, reported as ΔRepro (higher is better, in [0, 1]).

Static checks read the evidence: locked and hashed dependencies, image digests, seeds, DVC
hashes, captured configuration, and whether every third-party import is declared. Dynamic
checks (when the sandbox is on) compare two runs of the same command in fresh sandboxes.

Formula (docs/sandbox.md explains the rationale)::

    static   = passed static checks / applicable static checks
    d_out    = |s1 - s2|                  (s = 1 when a run succeeded, else 0)
    d_files  = |paths produced by one run only, or with different sha256| / |paths produced|
               (0 when neither run produced files)
    dynamic  = 1 - (d_out + d_files) / 2
    ΔRepro   = 0.4 * static + 0.6 * dynamic     when both are known
             = whichever one is known           otherwise (not-applicable when neither)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import PurePosixPath

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.stages.base import Check, CheckResult, StageInput, StageResult
from hyperscore.evaluators.stages.sandbox.local import RunOutcome

STAGE = "repro"
STATIC_WEIGHT, DYNAMIC_WEIGHT = 0.4, 0.6
HASHED_LOCK_SHARE = 0.9

# Import names whose distribution is named differently (PEP 503-normalised dist names).
IMPORT_TO_DIST: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python"),
    "PIL": ("pillow",),
    "yaml": ("pyyaml",),
    "bs4": ("beautifulsoup4",),
    "skimage": ("scikit-image",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("pyjwt",),
    "attr": ("attrs",),
    "google": ("protobuf", "google-cloud-storage"),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "serial": ("pyserial",),
    "tensorflow_datasets": ("tensorflow-datasets",),
    "pytorch_lightning": ("pytorch-lightning",),
    "lightning": ("lightning", "pytorch-lightning"),
    "magic": ("python-magic",),
    "git": ("gitpython",),
    "zmq": ("pyzmq",),
    "fitz": ("pymupdf",),
    "docx": ("python-docx",),
    "prometheus_client": ("prometheus-client",),
    "jose": ("python-jose",),
}
# Modules every Python has but are not in stdlib_module_names.
ALWAYS_PRESENT = frozenset({"__future__", "__main__", "pkg_resources", "setuptools", "pip"})


def normalise(name: str) -> str:
    """PEP 503 normalisation: case-folded, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _check(
    cid: str,
    statement: str,
    result: CheckResult,
    evidence: Sequence[Citation] = (),
    counterexample: str | None = None,
    **detail: object,
) -> Check:
    return Check(
        id=f"repro:{cid}",
        kind=f"repro.{cid}",
        statement=statement,
        result=result,
        evidence=list(evidence)[:10],
        counterexample=counterexample,
        detail=detail,
    )


def _deps_checks(ctx: DetectionContext) -> list[Check]:
    reqs, locked = ctx.kind("dep.requirement"), ctx.kind("dep.locked")
    locks = [m for m in ctx.kind("dep.manifest") if getattr(m, "is_lock", False)]
    if not reqs and not locked:
        return []
    unpinned = [r for r in reqs if getattr(r, "pin", "") not in ("pinned", "hashed")]
    pinned_ok = bool(locks) or not unpinned
    out = [
        _check(
            "pinned",
            "dependencies are locked or every requirement is pinned",
            "passed" if pinned_ok else "failed",
            [cite(m, "lock file") for m in locks] or [cite(r, "unpinned") for r in unpinned],
            None if pinned_ok else f"{len(unpinned)} unpinned requirement(s), no lock file",
            locks=[m.path for m in locks],
            unpinned=sorted({r.name for r in unpinned}),
        )
    ]
    registry = [e for e in locked if getattr(e, "origin", "registry") == "registry"] or reqs
    hashed = [e for e in registry if getattr(e, "hashes", 0) > 0]
    share = len(hashed) / len(registry) if registry else 0.0
    ok = share >= HASHED_LOCK_SHARE
    out.append(
        _check(
            "hashes",
            f"at least {HASHED_LOCK_SHARE:.0%} of locked packages carry hashes",
            "passed" if ok else "failed",
            [cite(m, "lock file") for m in locks],
            None if ok else f"{share:.0%} of packages hashed",
            hashed_share=share,
        )
    )
    return out


def _image_check(ctx: DetectionContext) -> list[Check]:
    refs = [
        r
        for r in ctx.kind("infra.image_ref")
        if getattr(r, "pin", "") not in ("stage", "scratch", "variable")
    ]
    if not refs:
        return []
    loose = [r for r in refs if getattr(r, "pin", "") != "digest"]
    return [
        _check(
            "image-digests",
            "every container image is pinned by digest",
            "failed" if loose else "passed",
            [cite(r, "image not pinned by digest") for r in loose]
            or [cite(r, "digest-pinned image") for r in refs],
            f"{len(loose)}/{len(refs)} image(s) without digest" if loose else None,
            unpinned=sorted({getattr(r, "ref", "") for r in loose}),
        )
    ]


def _code_checks(ctx: DetectionContext) -> list[Check]:
    if not ctx.kind("code.module", "code.notebook"):
        return []
    seeds = [s for s in ctx.kind("code.seed") if getattr(s, "seeded", True)]
    configs = [
        c
        for c in ctx.kind("code.config")
        if getattr(c, "role", "") in ("load", "settings", "configurable")
    ]
    params = ctx.kind("pipeline.params")
    return [
        _check(
            "seeds",
            "random number generators are seeded",
            "passed" if seeds else "failed",
            [cite(s, "seed") for s in seeds],
            None if seeds else "no seeding call found",
        ),
        _check(
            "configs",
            "run configuration is captured in files, not only in code",
            "passed" if configs or params else "failed",
            [cite(c, "configuration") for c in [*configs, *params]],
            None if configs or params else "no loaded configuration or params file",
        ),
    ]


def _dvc_check(ctx: DetectionContext) -> list[Check]:
    versions = [
        v
        for v in ctx.kind("pipeline.data_version")
        if getattr(v, "source", "") in ("dvc-file", "dvc-lock")
    ]
    has_dvc = "dvc.yaml" in ctx.files or bool(versions)
    if not has_dvc:
        return []
    unhashed = [v for v in versions if not getattr(v, "hashed", False)]
    lock = "dvc.lock" in ctx.files or "dvc.yaml" not in ctx.files
    ok = lock and bool(versions) and not unhashed
    why = (
        None
        if ok
        else (
            "dvc.yaml without dvc.lock"
            if not lock
            else f"{len(unhashed)} DVC output(s) without hash"
        )
    )
    return [
        _check(
            "dvc-hashes",
            "DVC-tracked data and pipeline outputs are recorded by hash",
            "passed" if ok else "failed",
            [cite_file("dvc.lock", "dvc lock")] if "dvc.lock" in ctx.files else [],
            why,
        )
    ]


def _local_names(ctx: DetectionContext) -> set[str]:
    names = {str(getattr(m, "module", "") or "").split(".")[0] for m in ctx.kind("code.module")}
    for path in ctx.files:
        parts = PurePosixPath(path).parts
        for i, part in enumerate(parts[:2]):
            if i == 1 and parts[0] not in ("src", "lib"):
                break
            names.add(part[:-3] if part.endswith(".py") else part)
    return {n for n in names if n}


def undeclared_imports(ctx: DetectionContext) -> dict[str, list[Citation]]:
    """Third-party top-level imports no dependency file declares (optional ones excluded)."""
    declared = {
        normalise(getattr(e, "name", "")) for e in ctx.kind("dep.requirement", "dep.locked")
    }
    local = _local_names(ctx)
    out: dict[str, list[Citation]] = {}
    for imp in ctx.kind("code.import"):
        top = str(getattr(imp, "top_level", "") or getattr(imp, "module", "")).split(".")[0]
        if (
            not top
            or getattr(imp, "stdlib", False)
            or getattr(imp, "optional", False)
            or getattr(imp, "level", 0)
            or top in sys.stdlib_module_names
            or top in ALWAYS_PRESENT
            or top in local
        ):
            continue
        candidates = {normalise(top), *(normalise(d) for d in IMPORT_TO_DIST.get(top, ()))}
        if not candidates & declared:
            out.setdefault(top, []).append(cite(imp, f"import {top}"))
    return out


def _imports_check(ctx: DetectionContext) -> list[Check]:
    third_party = [i for i in ctx.kind("code.import") if not getattr(i, "stdlib", False)]
    if not third_party:
        return []
    missing = undeclared_imports(ctx)
    cites = [c for cs in missing.values() for c in cs[:1]]
    return [
        _check(
            "imports-declared",
            "every third-party import is a declared dependency",
            "failed" if missing else "passed",
            cites,
            ("undeclared: " + ", ".join(sorted(missing))) if missing else None,
            undeclared=sorted(missing),
        )
    ]


def static_checks(ctx: DetectionContext) -> list[Check]:
    return [
        *_deps_checks(ctx),
        *_image_check(ctx),
        *_code_checks(ctx),
        *_dvc_check(ctx),
        *_imports_check(ctx),
    ]


def dynamic_score(first: RunOutcome, second: RunOutcome) -> tuple[float, dict[str, object]]:
    """``1 - (d_out + d_files) / 2`` for two runs of one command (see the module docstring)."""
    d_out = abs(int(first.ok) - int(second.ok))
    paths = set(first.produced) | set(second.produced)
    differing = sorted(p for p in paths if first.produced.get(p) != second.produced.get(p))
    d_files = len(differing) / len(paths) if paths else 0.0
    return 1.0 - (d_out + d_files) / 2, {
        "d_out": d_out,
        "d_files": d_files,
        "differing_files": differing[:50],
        "produced_files": len(paths),
    }


def run(inp: StageInput, sandbox_runs: Sequence[RunOutcome] | None = None) -> StageResult:
    """ΔRepro of the project; ``sandbox_runs``: two runs of the same command, or None."""
    checks = static_checks(inp.ctx)
    static = (sum(c.result == "passed" for c in checks) / len(checks)) if checks else None
    dynamic: float | None = None
    details: dict[str, object] = {"static_score": static}
    if sandbox_runs is not None:
        if len(sandbox_runs) != 2 or sandbox_runs[0].command != sandbox_runs[1].command:
            raise ValueError("sandbox_runs must be two runs of the same command")
        dynamic, facts = dynamic_score(sandbox_runs[0], sandbox_runs[1])
        details.update(dynamic_score=dynamic, **facts)
        checks.append(
            _check(
                "rerun",
                "two fresh runs agree on outcome and produced files",
                "passed" if dynamic == 1.0 else "failed",
                (),
                None if dynamic == 1.0 else f"deviation {1 - dynamic:.2f}",
                command=list(sandbox_runs[0].command),
                **facts,
            )
        )
    if static is None and dynamic is None:
        return StageResult.not_applicable(STAGE, "no reproducibility evidence to check")
    if static is not None and dynamic is not None:
        score = STATIC_WEIGHT * static + DYNAMIC_WEIGHT * dynamic
    else:
        score = static if static is not None else (dynamic or 0.0)
    return StageResult(
        stage=STAGE,
        status="ok",
        score=round(score, 4),
        checks=checks,
        summary=f"ΔRepro {score:.2f}",
        details=details,
    )
