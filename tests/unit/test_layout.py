"""The repository layout never shadows the standard library.

The operator code lives in the folder ``operator/`` (import name ``hyperscore.operator``). A
regular package there (an ``operator/__init__.py``) would shadow the stdlib ``operator`` module
for any Python started with the repository root on ``sys.path`` (``python -m pip`` from the
root, for one), so the folder is a namespace portion, which a real module always outranks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_top_level_operator_package() -> None:
    assert (ROOT / "operator").is_dir()
    assert not (ROOT / "operator" / "__init__.py").exists()


def test_stdlib_operator_wins_with_the_root_on_sys_path() -> None:
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import operator, sys; print(operator.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "site-packages" not in proc.stdout and str(ROOT / "operator") not in proc.stdout


def test_cli_module_runs_from_the_repository_root() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hyperscore.operator", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("hyperscore ")


def test_every_benchmark_has_the_run_entry_point() -> None:
    """`make bench` imports each tests/benchmarks/bench_*.py and calls its run()."""
    import ast

    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    missing = [
        path.name
        for path in sorted(bench.glob("bench_*.py"))
        if "run"
        not in {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)}
    ]
    assert not missing, f"benchmarks without run(): {missing}"
