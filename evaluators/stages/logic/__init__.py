"""Stage 3-1: the logical consistency engine and its LogicScore.

Proof obligations are derived from the evidence (see docs/logic.md for every kind) and
discharged one by one with z3, each with its own timeout:

* ``dag.*`` -- pipeline and CI graphs are acyclic, stage inputs are produced upstream or
  present, every path from a trigger to a deploy/register step passes a gate first;
* ``versions.*`` -- Python versions and package constraints are jointly satisfiable;
* ``refs.*`` -- doc links, scripts and build targets CI runs, DVC params, local actions, the
  jobs CI ``needs`` and the Dockerfiles of locally built images exist;
* ``config.keys`` -- config keys read by code exist in the file they are read from;
* ``claims.backed`` -- what the documentation claims is backed by an artefact.

Each obligation asserts the *negation* of its property: ``unsat`` is proved, ``sat`` refuted
(with the model rendered as a counterexample), ``unknown`` undecided.

    LogicScore = proved / (proved + refuted)

Unknown and not-applicable obligations are left out of the ratio; with nothing decided the
stage is ``not-applicable`` (score None) so fusion drops the term instead of reading a 0 or 1.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hyperscore.evaluators.stages.base import StageInput, StageResult, timed
from hyperscore.evaluators.stages.logic import claims, config_keys, dag, references, versions
from hyperscore.evaluators.stages.logic.obligations import (
    Obligation,
    discharge,
    safe_name,
    to_smt2,
)

STAGE = "logic"
DEFAULT_TIMEOUT_MS = 2000

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "STAGE",
    "Obligation",
    "collect",
    "export_smt",
    "logic_score",
    "run",
]


def default_root(inp: StageInput) -> Path | None:
    """The tree on disk when the source is a local directory (for config files' keys)."""
    source = inp.ingest.source
    if source.type == "directory":
        path = Path(source.location)
        if path.is_dir():
            return path
    return None


def collect(
    inp: StageInput, root: Path | None = None, timings: dict[str, float] | None = None
) -> list[Obligation]:
    """Every obligation of the project, in a stable order (family, then id)."""
    timings = timings if timings is not None else {}
    out: list[Obligation] = []
    with timed(timings, "derive.dag"):
        out += dag.obligations(inp.ctx)
    with timed(timings, "derive.versions"):
        out += versions.obligations(inp.ctx)
    with timed(timings, "derive.references"):
        out += references.obligations(inp.ctx)
    with timed(timings, "derive.config_keys"):
        out += config_keys.obligations(inp.ctx, root)
    with timed(timings, "derive.claims"):
        out += claims.obligations(inp.practices)
    unique: dict[str, Obligation] = {}
    for ob in out:
        unique.setdefault(ob.id, ob)
    return list(unique.values())


def logic_score(counts: dict[str, int]) -> float | None:
    """proved / (proved + refuted); None when nothing was decided."""
    decided = counts.get("proved", 0) + counts.get("refuted", 0)
    return round(counts.get("proved", 0) / decided, 4) if decided else None


def export_smt(
    obligations: list[Obligation], directory: str | Path, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> list[Path]:
    """Write each obligation to ``DIR/<id>.smt2`` (negation asserted: unsat = proved)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for ob in obligations:
        name = safe_name(ob.id)
        stem, n = name, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        path = target / f"{name}.smt2"
        path.write_text(to_smt2(ob, timeout_ms), encoding="utf-8")
        written.append(path)
    return written


# z3's default context is process-global and not thread-safe: two assessments running this
# stage in threads of one process (the operator's in-process executor) crashed z3 with an
# assertion violation. The stage takes well under a second, so runs take turns.
_Z3_LOCK = threading.Lock()


def run(
    inp: StageInput,
    *,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    root: Path | None = None,
    export_dir: str | Path | None = None,
    **_: Any,
) -> StageResult:
    """Derive and discharge every obligation; score = proved / decided.

    ``root``: the checked-out tree, read only for config files whose keys no parser recorded
    (defaults to the source directory of a directory assessment). ``export_dir``: also write
    each obligation as SMT-LIB 2 (``--export-smt DIR``). ``timeout_ms``: per obligation.
    """
    with _Z3_LOCK:
        return _run(inp, timeout_ms=timeout_ms, root=root, export_dir=export_dir)


def _run(
    inp: StageInput, *, timeout_ms: int, root: Path | None, export_dir: str | Path | None
) -> StageResult:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    obs = collect(inp, root if root is not None else default_root(inp), timings)
    if not obs:
        return StageResult.not_applicable(STAGE, "no proof obligation could be derived")
    with timed(timings, "solve"):
        checks = [discharge(ob, timeout_ms) for ob in obs]
    if export_dir is not None:
        with timed(timings, "export"):
            export_smt(obs, export_dir, timeout_ms)
    counts = Counter(c.result for c in checks)
    score = logic_score({str(k): v for k, v in counts.items()})
    timings["total"] = round(time.perf_counter() - started, 4)
    summary = (
        f"{counts['proved']} proved, {counts['refuted']} refuted, "
        f"{counts['unknown']} unknown of {len(checks)} obligations"
    )
    by_kind: dict[str, dict[str, int]] = {}
    for c in checks:
        by_kind.setdefault(c.kind, {}).setdefault(c.result, 0)
        by_kind[c.kind][c.result] += 1
    details = {
        "counts": dict(counts),
        "by_kind": by_kind,
        "formula": "LogicScore = proved / (proved + refuted)",
    }
    if score is None:
        return StageResult(
            stage=STAGE,
            status="not-applicable",
            score=None,
            summary=summary + "; nothing decided",
            checks=checks,
            timings=timings,
            details=details,
        )
    return StageResult(
        stage=STAGE,
        status="ok",
        score=score,
        summary=summary,
        checks=checks,
        timings=timings,
        details=details,
    )
