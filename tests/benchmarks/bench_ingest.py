"""Ingestion throughput and peak RSS on generated repositories of 2,000 and 20,000 files.

Targets (issue 2, 2 cores): >= 2,000 files/s, peak RSS <= 500 MB, cost linear in file count.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks.common import median, record, run_child
from tests.benchmarks.generate import generate

CHILD = """
import time
def main(path):
    from hyperscore.evaluators.ingest import ingest
    t0 = time.perf_counter()
    result = ingest(path)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "files": result.stats.files_seen,
            "evidence": len(result.evidence)}
"""

SIZES = (2_000, 20_000)
REPEATS = {2_000: 3, 20_000: 3}


def run() -> list[str]:
    lines = []
    per_file: list[float] = []
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        for size in SIZES:
            root = generate(Path(tmp) / f"repo{size}", size)
            runs = [run_child(CHILD, str(root)) for _ in range(REPEATS[size])]
            secs = median([r["seconds"] for r in runs])
            rss = median([r["peak_rss_mb"] for r in runs])
            files = runs[0]["files"]
            rate = files / secs
            per_file.append(secs / files)
            record("ingest", files=files, seconds=secs, files_per_s=rate, peak_rss_mb=rss)
            lines.append(
                f"{files:>6} files: median {secs:.2f} s over {len(runs)} runs = {rate:,.0f} files/s,"
                f" {runs[0]['evidence']} evidence items, peak RSS {rss:.0f} MB"
            )
    if len(per_file) == 2:
        lines.append(f"linearity: per-file cost 20k/2k = {per_file[1] / per_file[0]:.2f} (1.0 = linear)")
    return lines
