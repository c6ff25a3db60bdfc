"""Shared benchmark helpers: medians, child-process peak RSS, result logging."""

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


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_child(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object on its last line.

    Peak RSS is read from the child's own ``ru_maxrss`` (reported in the JSON), so the
    parent's memory never pollutes the figure.
    """
    wrapper = (
        "import json, resource, sys\n"
        f"{code}\n"
        "out = main(*sys.argv[1:])\n"
        "out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {proc.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def record(name: str, **values: Any) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"bench": name, "time": time.time(), **values}) + "\n")
