"""Ingestion throughput and peak RSS on generated repositories of 2,000 and 20,000 files.

Targets (issue 2, 2 cores): >= 2,000 files/s, peak RSS <= 500 MB, cost linear in file count.
The timed span is ``ingest(path)`` in a fresh process (parser imports, the walk, every parser,
the graph) -- the figure earlier runs reported; importing the engine before it is shown apart.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks.common import (
    load_line,
    median,
    record,
    run_child,
    target_line,
    warm_bytecode,
)
from tests.benchmarks.generate import generate

CHILD = """
import time
def main(path):
    t0 = time.perf_counter()
    from hyperscore.evaluators.ingest import ingest
    t1 = time.perf_counter()
    result = ingest(path)
    seconds = time.perf_counter() - t1
    return {"seconds": seconds, "import_s": t1 - t0, "files": result.stats.files_seen,
            "evidence": len(result.evidence)}
"""

SIZES = (2_000, 20_000)
REPEATS = {2_000: 3, 20_000: 3}
TARGET_FILES_PER_S = 2_000
TARGET_RSS_MB = 500


def run() -> list[str]:
    lines = [load_line()]
    per_file: list[float] = []
    warm_bytecode()
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        for size in SIZES:
            root = generate(Path(tmp) / f"repo{size}", size)
            runs = [run_child(CHILD, str(root)) for _ in range(REPEATS[size])]
            secs = median([r["seconds"] for r in runs])
            cpu = median([r["cpu_s"] for r in runs])
            import_s = median([r["import_s"] for r in runs])
            rss = median([r["peak_rss_mb"] for r in runs])
            files = runs[0]["files"]
            rate = files / secs
            per_file.append(secs / files)
            record(
                "ingest",
                files=files,
                seconds=secs,
                cpu_s=cpu,
                files_per_s=rate,
                peak_rss_mb=rss,
                import_s=import_s,
            )
            lines.append(
                f"{files:>6} files: ingest() median {secs:.2f} s over {len(runs)} runs"
                f" (+ {import_s:.2f} s importing the engine; whole process {cpu:.2f} s CPU),"
                f" {runs[0]['evidence']} evidence items"
            )
            lines.append(
                "  "
                + target_line(
                    "throughput", rate, TARGET_FILES_PER_S, "files/s", higher_is_better=True
                )
            )
            lines.append(
                "  " + target_line("peak RSS", rss, TARGET_RSS_MB, "MB", higher_is_better=False)
            )
    if len(per_file) == 2:
        lines.append(
            f"linearity: per-file cost 20k/2k = {per_file[1] / per_file[0]:.2f}"
            " (1.0 = linear; start-up weighs more at 2k, so below 1 is expected)"
        )
    lines.append(load_line())
    return lines
