"""The logic stage (3-1): derive and discharge every proof obligation.

Measured on ``tests/fixtures/full-mlops`` and on a generated repository whose ``dvc.yaml`` holds
a 500-stage DAG (each stage reads the outputs of the two before it and one params key), so
acyclicity, input availability and params references all scale with the stage count. The timed
span is ``logic.run`` alone (ingest and practice detection happen before it, untimed); each
figure is the median of 3 fresh processes. Run: ``python -m tests.benchmarks.bench_logic``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks.common import median, record, run_child, warm_bytecode

REPEATS = 3
STAGES = 500

LOGIC_CHILD = """
import time
def main(path):
    from hyperscore.evaluators.decompose.context import DetectionContext
    from hyperscore.evaluators.decompose.practices import detect_practices
    from hyperscore.evaluators.ingest import ingest
    from hyperscore.evaluators.stages import logic
    from hyperscore.evaluators.stages.base import StageInput
    result = ingest(path)
    ctx = DetectionContext(result=result)
    inp = StageInput(ingest=result, ctx=ctx, practices=detect_practices(ctx))
    t0 = time.perf_counter()
    out = logic.run(inp)
    return {"logic_s": time.perf_counter() - t0, "obligations": len(out.checks),
            "score": out.score, "solve_s": out.timings.get("solve", 0.0)}
"""


def generate_dvc(root: Path, stages: int = STAGES) -> Path:
    """A DVC project with ``stages`` stages; stage i depends on stages i-1 and i-2."""
    lines = ["stages:"]
    params = ["stages:"]
    for i in range(stages):
        deps = [f"src/s{i}.py"] + [f"data/s{j}.csv" for j in (i - 1, i - 2) if j >= 0]
        if i == 0:
            deps.append("data/raw.csv")
        lines += [
            f"  s{i}:",
            f"    cmd: python src/s{i}.py",
            f"    deps: [{', '.join(deps)}]",
            f"    outs: [data/s{i}.csv]",
            "    params:",
            f"      - stages.s{i}",
        ]
        params.append(f"  s{i}: {i}")
        (root / "src").mkdir(parents=True, exist_ok=True)
        (root / "src" / f"s{i}.py").write_text(f"print({i})\n", encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "raw.csv").write_text("a\n1\n", encoding="utf-8")
    (root / "dvc.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "params.yaml").write_text("\n".join(params) + "\n", encoding="utf-8")
    return root


def measure(label: str, path: Path) -> str:
    runs = [run_child(LOGIC_CHILD, str(path)) for _ in range(REPEATS)]
    logic_s = median([r["logic_s"] for r in runs])
    solve_s = median([r["solve_s"] for r in runs])
    record(
        "logic", repo=label, logic_s=logic_s, solve_s=solve_s, obligations=runs[0]["obligations"]
    )
    return (
        f"logic {label}: {logic_s:.3f} s median of {REPEATS} (solve {solve_s:.3f} s), "
        f"{runs[0]['obligations']} obligations, LogicScore {runs[0]['score']}"
    )


def run() -> list[str]:
    """The entry point of ``python -m tests.benchmarks logic`` (and ``make bench``)."""
    warm_bytecode()
    lines = [measure("full-mlops", Path("tests/fixtures/full-mlops"))]
    with tempfile.TemporaryDirectory() as tmp:
        lines.append(measure(f"dvc-{STAGES}-stages", generate_dvc(Path(tmp), STAGES)))
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
