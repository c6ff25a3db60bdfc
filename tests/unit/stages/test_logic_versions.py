"""Version obligations (integer-tuple encoding) and the SMT-LIB export round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import z3

from hyperscore.evaluators.stages import logic
from hyperscore.evaluators.stages.logic import versions
from tests.unit.stages.test_logic import FIXTURES, one, run_on, stage_input, write

PYPROJECT = """[project]
name = "x"
version = "0.1"
requires-python = "{python}"
dependencies = ["numpy{numpy}"]
"""


def _holds(spec: str, version: tuple[int, int, int]) -> bool:
    solver = z3.Solver()
    solver.add(
        versions.specifier(spec), *[v == n for v, n in zip(versions._V, version, strict=True)]
    )
    return bool(solver.check() == z3.sat)


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        (">=3.10,<3.13", (3, 12, 1), (3, 13, 0)),
        ("~=1.4.2", (1, 4, 9), (1, 5, 0)),
        ("~=1.4", (1, 9, 0), (2, 0, 0)),
        ("==3.11.*", (3, 11, 7), (3, 12, 0)),
        ("^1.2", (1, 9, 0), (2, 0, 0)),
        ("^0.3", (0, 3, 5), (0, 4, 0)),
        ("!=2.0.1,>=2", (2, 0, 2), (2, 0, 1)),
        (">1.2", (1, 3, 0), (1, 2, 5)),
        ("<=1.2", (1, 2, 5), (1, 3, 0)),
        ("=1.2", (1, 2, 3), (1, 3, 0)),
    ],
)
def test_specifier_semantics(
    spec: str, inside: tuple[int, int, int], outside: tuple[int, int, int]
) -> None:
    assert _holds(spec, inside)
    assert not _holds(spec, outside)


def test_unreadable_specifier_raises() -> None:
    with pytest.raises(versions.SpecError):
        versions.specifier(">=banana")


def test_python_runtime_proved_and_refuted(tmp_path: Path) -> None:
    files = {"pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=1")}
    ok = run_on(write(tmp_path / "ok", {**files, "Dockerfile": "FROM python:3.11-slim\n"}))
    assert one(ok, "versions.python-runtime").result == "proved"
    bad = run_on(write(tmp_path / "bad", {**files, "Dockerfile": "FROM python:3.9-slim\n"}))
    check = one(bad, "versions.python-runtime")
    assert check.result == "refuted"
    assert "python:3.9" in (check.counterexample or "")
    assert "requires-python >=3.10" in (check.counterexample or "")


def test_python_ranges_jointly_satisfiable(tmp_path: Path) -> None:
    setup = "[metadata]\nname = x\n[options]\npython_requires = {spec}\n"
    files = {"pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=1")}
    ok = run_on(write(tmp_path / "ok", {**files, "setup.cfg": setup.format(spec=">=3.9")}))
    assert one(ok, "versions.python-range").result == "proved"
    bad = run_on(write(tmp_path / "bad", {**files, "setup.cfg": setup.format(spec="<3.9")}))
    check = one(bad, "versions.python-range")
    assert check.result == "refuted" and "<3.9" in (check.counterexample or "")


def test_package_constraints_across_files(tmp_path: Path) -> None:
    ok = run_on(
        write(
            tmp_path / "ok",
            {
                "pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=1.24,<2"),
                "requirements.txt": "numpy==1.26.4\n",
            },
        )
    )
    assert one(ok, "versions.package").result == "proved"
    bad = run_on(
        write(
            tmp_path / "bad",
            {
                "pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=2"),
                "requirements.txt": "numpy==1.26.4\n",
            },
        )
    )
    check = one(bad, "versions.package")
    assert check.result == "refuted"
    assert "numpy==1.26.4" in (check.counterexample or "")
    assert "numpy>=2" in (check.counterexample or "")


def test_exported_smt_rechecks_to_the_same_answer(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=2"),
            "requirements.txt": "numpy==1.26.4\n",
            "Dockerfile": "FROM python:3.11-slim\n",
            "README.md": "[a](docs/gone.md)\n",
        },
    )
    out = tmp_path / "smt"
    result = logic.run(stage_input(root), export_dir=out)
    files = sorted(out.glob("*.smt2"))
    assert len(files) == len(result.checks) >= 3
    verdicts = {"proved": z3.unsat, "refuted": z3.sat}
    seen = set()
    for check in result.checks:
        path = out / f"{logic.obligations.safe_name(check.id)}.smt2"
        text = path.read_text(encoding="utf-8")
        assert "; expected: unsat = proved" in text and check.statement in text
        solver = z3.Solver()
        solver.add(z3.parse_smt2_file(str(path)))
        assert solver.check() == verdicts[check.result], check.id
        seen.add(check.result)
    assert seen == {"proved", "refuted"}


def test_full_mlops_export(tmp_path: Path) -> None:
    written = logic.export_smt(logic.collect(stage_input(FIXTURES / "full-mlops")), tmp_path)
    assert written and all(
        p.read_text(encoding="utf-8").startswith("; obligation:") for p in written
    )
