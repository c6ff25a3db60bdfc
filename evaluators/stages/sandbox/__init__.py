"""Stage 3-2: run a project's own checks in isolation, with time and memory tracking.

``run(inp, limits=..., allow_unsafe=False, run_notebooks=False)`` detects the project's test
command and runnable README blocks (:mod:`.commands`), runs each in a fresh bubblewrap sandbox
(:mod:`.local`) and reports one :class:`Check` per run: exit status, tests passed/failed, wall
and CPU time, peak memory. Score = passed runs / runs. Nothing runnable -> not-applicable.
A host that cannot sandbox -> ``skipped`` with the reason, unless ``allow_unsafe`` was passed.
The Kubernetes backend (:func:`.jobs.build_job`) builds the same run as a Job for the operator.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from hyperscore.evaluators.stages.base import Check, StageInput, StageResult
from hyperscore.evaluators.stages.sandbox.commands import DetectedCommand, detect_commands
from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits
from hyperscore.evaluators.stages.sandbox.local import LocalSandbox, RunOutcome, SandboxUnavailable

__all__ = [
    "LocalSandbox",
    "RunOutcome",
    "SandboxLimits",
    "SandboxUnavailable",
    "parse_test_counts",
    "run",
    "source_root",
]

STAGE = "sandbox"
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
_PYTEST_SUMMARY = re.compile(r"^=*\s*(?:\d+ \w+(?:, )?)+.* in [\d.]+s", re.MULTILINE)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.MULTILINE)
_UNITTEST_FAILED = re.compile(r"^FAILED \(([^)]*)\)", re.MULTILINE)


def parse_test_counts(kind: str, output: str) -> dict[str, int] | None:
    """Passed/failed counts from pytest's summary line or unittest's footer; None if absent."""
    if kind == "unittest":
        ran = _UNITTEST_RAN.findall(output)
        if not ran:
            return None
        failed = 0
        for group in _UNITTEST_FAILED.findall(output):
            for part in group.split(","):
                key, _, value = part.strip().partition("=")
                if key in ("failures", "errors") and value.isdigit():
                    failed += int(value)
        total = int(ran[-1])
        return {"passed": total - failed, "failed": failed}
    summaries = _PYTEST_SUMMARY.findall(output)
    if not summaries:
        return None
    counts = {"passed": 0, "failed": 0}
    for number, word in _PYTEST_COUNT.findall(summaries[-1]):
        if word == "passed":
            counts["passed"] += int(number)
        elif word in ("failed", "error", "errors"):
            counts["failed"] += int(number)
    return counts


def source_root(inp: StageInput) -> Path | None:
    """The directory that was assessed, when it is a local directory."""
    src = inp.ingest.source
    path = Path(src.location)
    return path if src.type == "directory" and path.is_dir() else None


def _check(cmd: DetectedCommand, out: RunOutcome) -> Check:
    counts = parse_test_counts(cmd.kind, out.stdout + "\n" + out.stderr)
    detail: dict[str, object] = {
        "command": list(cmd.argv),
        "exit_status": out.exit_code,
        "timed_out": out.timed_out,
        "wall_seconds": out.wall_seconds,
        "cpu_seconds": out.cpu_seconds,
        "peak_memory_bytes": out.peak_memory_bytes,
        "isolated": out.isolated,
        "output_truncated": out.output_truncated,
        "output_tail": (out.stdout + out.stderr)[-2000:],
    }
    if counts is not None:
        detail.update(tests_passed=counts["passed"], tests_failed=counts["failed"])
    what = "timed out" if out.timed_out else f"exit status {out.exit_code}"
    return Check(
        id=f"sandbox:{cmd.id}",
        kind=f"sandbox.{cmd.kind}",
        statement=f"`{' '.join(cmd.argv)[:120]}` succeeds in the sandbox",
        result="passed" if out.ok else "failed",
        evidence=list(cmd.why),
        counterexample=None if out.ok else what,
        detail=detail,
    )


def run(
    inp: StageInput,
    *,
    limits: SandboxLimits | None = None,
    allow_unsafe: bool = False,
    run_notebooks: bool = False,
    source_dir: Path | None = None,
    sandbox: LocalSandbox | None = None,
) -> StageResult:
    """Run the detected checks of ``inp``'s project, each in a fresh sandbox.

    ``source_dir`` overrides where the files are (default: the assessed directory);
    ``sandbox`` lets a caller reuse one backend (its availability probe is cached).
    """
    started = time.perf_counter()
    commands = detect_commands(inp.ctx, run_notebooks=run_notebooks)
    if not commands:
        return StageResult.not_applicable(STAGE, "no test command or runnable block detected")
    root = source_dir or source_root(inp)
    if root is None:
        return StageResult.skipped(STAGE, "the sources are not a local directory")
    box = sandbox or LocalSandbox(limits, allow_unsafe=allow_unsafe)
    checks: list[Check] = []
    try:
        for cmd in commands:
            checks.append(_check(cmd, box.run(root, cmd.argv)))
    except SandboxUnavailable as exc:
        return StageResult.skipped(STAGE, str(exc))
    passed = sum(c.result == "passed" for c in checks)
    return StageResult(
        stage=STAGE,
        status="ok",
        score=passed / len(checks),
        checks=checks,
        summary=f"{passed}/{len(checks)} sandboxed runs succeeded",
        timings={"sandbox": round(time.perf_counter() - started, 4)},
        details={
            "isolated": all(c.detail.get("isolated") for c in checks),
            "limits": box.limits.__dict__,
        },
    )
