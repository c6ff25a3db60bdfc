"""Shared benchmark helpers: medians, child-process peak RSS, result logging.

Every measurement runs in a fresh interpreter (``run_child``) so imports, caches and peak RSS
are those of one real invocation. Children may write bytecode (``__pycache__``, git-ignored)
even when the developer's shell sets ``PYTHONDONTWRITEBYTECODE``: an installed HyperScore has
compiled bytecode, so start-up figures without it would measure the compiler, not the tool.
(``PYTHONPYCACHEPREFIX`` is no substitute: with it set, Python ignores the bytecode already
installed next to site-packages and recompiles torch and transformers.)

Timings are wall-clock medians, as the targets are; each figure also reports the child's CPU
seconds, which say more than wall time when the machine is shared (the load average is
printed with each benchmark).

``HS_BENCH_ENGINE=/path/to/other/checkout`` runs the children against another copy of the
engine (its ``evaluators/`` folder) -- a before/after comparison on the same, equally loaded
machine in one session.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(".benchmarks/results.jsonl")

# Remap the editable install's finder onto another checkout when HS_BENCH_ENGINE is set.
_ENGINE_SWITCH = """
import os
_engine = os.environ.get("HS_BENCH_ENGINE")
if _engine:
    import sys as _sys
    for _name, _mod in list(_sys.modules.items()):
        if _name.startswith("__editable___hyperscore") and hasattr(_mod, "MAPPING"):
            _mod.MAPPING["hyperscore.evaluators"] = os.path.join(_engine, "evaluators")
"""


def median(values: list[float]) -> float:
    return statistics.median(values)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def run_child(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object on its last line.

    ``code`` defines ``main(*args) -> dict``. Peak RSS is read from the child's own
    ``ru_maxrss`` (reported in the JSON), so the parent's memory never pollutes the figure;
    ``cpu_s`` is the child's user+system CPU time (a steadier figure on a loaded machine).
    """
    wrapper = (
        "import json, resource, sys\n"
        f"{_ENGINE_SWITCH}\n"
        f"{code}\n"
        "out = main(*sys.argv[1:])\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "out['peak_rss_mb'] = usage.ru_maxrss / 1024\n"
        "out['cpu_s'] = usage.ru_utime + usage.ru_stime\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *args],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(env),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {proc.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


WARM_IMPORTS = """
def main():
    from hyperscore.evaluators.ingest.registry import load_parsers
    from hyperscore.evaluators import pipeline  # noqa: F401
    return {"parsers": len(load_parsers())}
"""


def warm_bytecode() -> None:
    """Import the engine once so later children measure an installed tool, not compilation."""
    run_child(WARM_IMPORTS)


def load_line() -> str:
    """The machine's load average, for reading wall-clock figures on a shared machine."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def record(name: str, **values: Any) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    engine = os.environ.get("HS_BENCH_ENGINE")
    extra = {"engine": engine} if engine else {}
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"bench": name, "time": time.time(), **extra, **values}) + "\n")


def target_line(label: str, value: float, target: float, unit: str, higher_is_better: bool) -> str:
    """``label: value unit (target ..., ratio x, ok/MISSED)`` for the printed summary."""
    ratio = value / target if target else float("inf")
    met = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    return (
        f"{label}: {value:,.2f} {unit} (target {sign} {target:,.0f} {unit}, "
        f"{ratio:.2f}x of target, {'ok' if met else 'MISSED'})"
    )
