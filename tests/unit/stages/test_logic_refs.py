"""Reference obligations added for issue 5: CI ``needs``, locally built images, CI matrices.

Each kind is proved on a sound project and refuted on a broken one, with the counterexample
naming exactly what is missing; the SMT export of the new kinds re-checks to the same answer.
"""

from __future__ import annotations

from pathlib import Path

import z3

from hyperscore.evaluators.stages import logic
from tests.unit.stages.test_logic import job, one, run_on, stage_input, workflow, write
from tests.unit.stages.test_logic_versions import PYPROJECT

# -- refs.ci-needs ------------------------------------------------------------------------------


def test_ci_needs_proved_when_every_needed_job_exists(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".github/workflows/ci.yml": workflow(
                job("lint", "ruff .") + job("test", "pytest", "lint")
            )
        },
    )
    assert one(run_on(root), "refs.ci-needs").result == "proved"


def test_ci_needs_refuted_names_the_missing_job(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            ".github/workflows/ci.yml": workflow(
                job("lint", "ruff .") + job("test", "pytest", "lint, build")
            )
        },
    )
    check = one(run_on(root), "refs.ci-needs")
    assert check.result == "refuted"
    assert check.counterexample == (
        "undefined job: test needs build (.github/workflows/ci.yml:9): no such job in this file"
    )
    assert "lint" not in check.counterexample.removeprefix("undefined job: test needs build")
    assert [c.what for c in check.evidence] == ["job test needs build"]


def test_ci_needs_unknown_when_an_included_file_may_define_the_job(tmp_path: Path) -> None:
    gitlab = (
        "include:\n  - local: ci/common.yml\nstages: [test]\n"
        "unit:\n  stage: test\n  needs: [setup]\n  script: [pytest]\n"
    )
    check = one(run_on(write(tmp_path, {".gitlab-ci.yml": gitlab})), "refs.ci-needs")
    assert check.result == "unknown"
    assert "setup" in str(check.detail["reason"])


# -- refs.images --------------------------------------------------------------------------------

COMPOSE = "services:\n  api:\n    build: {context}\n    ports: ['8000:8000']\n"


def test_compose_build_context_proved_and_refuted(tmp_path: Path) -> None:
    ok = run_on(
        write(
            tmp_path / "ok",
            {
                "docker-compose.yml": COMPOSE.format(context="./serve"),
                "serve/Dockerfile": "FROM python:3.12\n",
            },
        )
    )
    assert one(ok, "refs.images").result == "proved"
    bad = run_on(write(tmp_path / "bad", {"docker-compose.yml": COMPOSE.format(context="./serve")}))
    check = one(bad, "refs.images")
    assert check.result == "refuted"
    assert check.counterexample is not None
    assert "serve/Dockerfile" in check.counterexample
    assert "build context serve/ missing" in check.counterexample


def test_ci_docker_build_of_a_missing_dockerfile_is_refuted(tmp_path: Path) -> None:
    ci = workflow(job("image", "docker build -f docker/serve.Dockerfile ."))
    ok = run_on(
        write(
            tmp_path / "ok",
            {".github/workflows/ci.yml": ci, "docker/serve.Dockerfile": "FROM python:3.12\n"},
        )
    )
    assert one(ok, "refs.images").result == "proved"
    bad = run_on(
        write(
            tmp_path / "bad",
            {".github/workflows/ci.yml": ci, "docker/other.Dockerfile": "FROM x\n"},
        )
    )
    check = one(bad, "refs.images")
    assert check.result == "refuted"
    assert check.counterexample == (
        "unbuildable image: docker/serve.Dockerfile (.github/workflows/ci.yml:8): "
        "no such Dockerfile"
    )


# -- versions.python-runtime from a CI matrix ---------------------------------------------------


def test_ci_python_matrix_against_requires_python(tmp_path: Path) -> None:
    ci = (
        "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n"
        "      matrix:\n        python-version: ['{v}']\n    steps:\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version: ${{{{ matrix.python-version }}}}\n      - run: pytest\n"
    )
    files = {"pyproject.toml": PYPROJECT.format(python=">=3.10", numpy=">=1")}
    ok = run_on(write(tmp_path / "ok", {**files, ".github/workflows/ci.yml": ci.format(v="3.12")}))
    assert one(ok, "versions.python-runtime").result == "proved"
    bad = run_on(write(tmp_path / "bad", {**files, ".github/workflows/ci.yml": ci.format(v="3.8")}))
    check = one(bad, "versions.python-runtime")
    assert check.result == "refuted"
    assert "3.8" in (check.counterexample or "") and ">=3.10" in (check.counterexample or "")


# -- export of the new kinds --------------------------------------------------------------------


def test_new_kinds_export_and_recheck(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            ".github/workflows/ci.yml": workflow(
                job("lint", "ruff .") + job("test", "docker build ./serve", "lint, build")
            ),
            "docker-compose.yml": COMPOSE.format(context="./api"),
            "api/Dockerfile": "FROM python:3.12\n",
        },
    )
    out = tmp_path / "smt"
    result = logic.run(stage_input(root), export_dir=out)
    verdicts = {"proved": z3.unsat, "refuted": z3.sat}
    answers = {}
    for check in result.checks:
        if check.kind not in ("refs.ci-needs", "refs.images"):
            continue
        path = out / f"{logic.obligations.safe_name(check.id)}.smt2"
        solver = z3.Solver()
        solver.add(z3.parse_smt2_file(str(path)))
        assert solver.check() == verdicts[check.result], check.id
        answers[check.id] = check.result
    assert answers == {
        "refs.ci-needs:.github/workflows/ci.yml": "refuted",
        "refs.images:.github/workflows/ci.yml": "refuted",
        "refs.images:docker-compose.yml": "proved",
    }
