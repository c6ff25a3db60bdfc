"""Run the benchmarks: ``python -m tests.benchmarks [NAME ...]`` (default: all).

Each benchmark module under tests/benchmarks/ named ``bench_*.py`` exposes ``run() -> list[str]``
returning printable result lines. Results are also appended as JSON lines to
``.benchmarks/results.jsonl`` so runs can be compared.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

from tests import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
        return 2
    for name in wanted:
        module = importlib.import_module(f"tests.benchmarks.{name}")
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        for line in module.run():
            print(f"   {line}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
