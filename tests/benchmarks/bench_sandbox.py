"""Start-up overhead of the local sandbox: one ``python -c pass`` sandboxed vs unsandboxed.

Median of 10 each. The sandboxed figure is the whole :meth:`LocalSandbox.run`: copying a
one-file project twice, hashing it, the cgroup (as root), bubblewrap's namespaces and mounts,
``prlimit``, then the interpreter -- what every sandboxed check pays before the project's own
work starts. The unsandboxed figure is the same interpreter started directly.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import median, record

REPEATS = 10


def run() -> list[str]:
    from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits
    from hyperscore.evaluators.stages.sandbox.local import LocalSandbox

    box = LocalSandbox(SandboxLimits())
    if box.problem() is not None:
        return [f"sandbox: skipped ({box.problem()})"]
    plain: list[float] = []
    sandboxed: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.py").write_text("pass\n")
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            plain.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            out = box.run(Path(tmp), ["python", "-c", "pass"])
            sandboxed.append(time.perf_counter() - t0)
            assert out.ok, out.stderr
    p, s = median(plain), median(sandboxed)
    record("sandbox", plain_s=p, sandboxed_s=s, overhead_s=s - p, repeats=REPEATS)
    return [
        f"sandbox start-up (median of {REPEATS}): unsandboxed {p * 1000:.0f} ms, "
        f"sandboxed {s * 1000:.0f} ms, overhead {(s - p) * 1000:.0f} ms"
    ]


if __name__ == "__main__":
    print("\n".join(run()))
