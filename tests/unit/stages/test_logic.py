"""Logic stage: every obligation kind proved on a sound project and refuted on a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperscore.evaluators.assessment import Citation, Dimension, PracticeResult, PracticeState
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.decompose.practices import detect_practices
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.stages import logic
from hyperscore.evaluators.stages.base import Check, StageInput, StageResult
from hyperscore.evaluators.stages.logic import claims

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def stage_input(root: Path) -> StageInput:
    result = ingest(str(root))
    ctx = DetectionContext(result=result)
    return StageInput(ingest=result, ctx=ctx, practices=detect_practices(ctx))


def run_on(root: Path, **options: object) -> StageResult:
    return logic.run(stage_input(root), **options)  # type: ignore[arg-type]


def one(result: StageResult, kind: str) -> Check:
    found = [c for c in result.checks if c.kind == kind]
    assert len(found) == 1, [c.id for c in result.checks]
    return found[0]


def workflow(jobs: str) -> str:
    return f"name: CD\non: [push]\njobs:\n{jobs}"


def job(name: str, run: str, needs: str | None = None) -> str:
    need = f"    needs: [{needs}]\n" if needs else ""
    return (
        f"  {name}:\n    runs-on: ubuntu-latest\n{need}    steps:\n"
        f"      - uses: actions/checkout@v4\n      - run: {run}\n"
    )


# -- dag.acyclic --------------------------------------------------------------------------------


def test_acyclic_proved_and_refuted_with_cycle(tmp_path: Path) -> None:
    ok = run_on(
        write(
            tmp_path / "ok",
            {
                ".github/workflows/ci.yml": workflow(
                    job("lint", "ruff check .") + job("test", "pytest", "lint")
                )
            },
        )
    )
    assert one(ok, "dag.acyclic").result == "proved"
    bad = run_on(
        write(
            tmp_path / "bad",
            {
                ".github/workflows/ci.yml": workflow(
                    job("lint", "ruff check .", "test") + job("test", "pytest", "lint")
                )
            },
        )
    )
    check = one(bad, "dag.acyclic")
    assert check.result == "refuted"
    assert check.counterexample is not None and "cycle:" in check.counterexample
    assert "lint" in check.counterexample and "test" in check.counterexample


# -- dag.gate-dominance -------------------------------------------------------------------------


def test_gate_dominance_proved_when_tests_precede_deploy(tmp_path: Path) -> None:
    result = run_on(
        write(
            tmp_path,
            {
                ".github/workflows/cd.yml": workflow(
                    job("build", "docker build .")
                    + job("test", "pytest", "build")
                    + job("deploy", "kubectl apply -f k8s/", "test")
                )
            },
        )
    )
    check = one(result, "dag.gate-dominance")
    assert check.result == "proved"


def test_gate_dominance_refuted_shows_the_gate_free_path(tmp_path: Path) -> None:
    result = run_on(
        write(
            tmp_path,
            {
                ".github/workflows/cd.yml": workflow(
                    job("build", "docker build .")
                    + job("test", "pytest", "build")
                    + job("deploy", "kubectl apply -f k8s/", "build")
                )
            },
        )
    )
    check = one(result, "dag.gate-dominance")
    assert check.result == "refuted"
    assert check.counterexample == "gate-free path: <trigger> -> build -> deploy"


# -- dag.inputs ---------------------------------------------------------------------------------

DVC = """stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, {raw}]
    outs: [data/prepared.csv]
  train:
    cmd: python train.py
    deps: [train.py, data/prepared.csv]
    outs: [model.pkl]
"""


def test_inputs_produced_upstream_or_present(tmp_path: Path) -> None:
    files = {"prepare.py": "", "train.py": "", "data/raw.csv": "a\n"}
    ok = run_on(write(tmp_path / "ok", {**files, "dvc.yaml": DVC.format(raw="data/raw.csv")}))
    inputs = [c for c in ok.checks if c.kind == "dag.inputs"]
    assert [c.result for c in inputs] == ["proved", "proved"]
    bad = run_on(write(tmp_path / "bad", {**files, "dvc.yaml": DVC.format(raw="data/gone.csv")}))
    refuted = [c for c in bad.checks if c.kind == "dag.inputs" and c.result == "refuted"]
    assert len(refuted) == 1 and refuted[0].id.endswith("/prepare")
    assert "data/gone.csv" in (refuted[0].counterexample or "")


# -- refs.* -------------------------------------------------------------------------------------


def test_doc_links(tmp_path: Path) -> None:
    ok = run_on(
        write(
            tmp_path / "ok", {"README.md": "# X\n\nSee [docs](docs/a.md).\n", "docs/a.md": "# A\n"}
        )
    )
    assert one(ok, "refs.doc-links").result == "proved"
    bad = run_on(write(tmp_path / "bad", {"README.md": "# X\n\nSee [docs](docs/gone.md).\n"}))
    check = one(bad, "refs.doc-links")
    assert check.result == "refuted" and "docs/gone.md" in (check.counterexample or "")


def test_ci_runs_scripts_and_make_targets(tmp_path: Path) -> None:
    make = ".PHONY: test\ntest:\n\tpytest\n"
    ok = run_on(
        write(
            tmp_path / "ok",
            {
                "Makefile": make,
                "scripts/train.py": "print(1)\n",
                ".github/workflows/ci.yml": workflow(
                    job("test", "make test") + job("train", "python scripts/train.py")
                ),
            },
        )
    )
    assert one(ok, "refs.ci-runs").result == "proved"
    bad = run_on(
        write(
            tmp_path / "bad",
            {
                "Makefile": make,
                ".github/workflows/ci.yml": workflow(
                    job("test", "make nothere") + job("train", "python scripts/train.py")
                ),
            },
        )
    )
    check = one(bad, "refs.ci-runs")
    assert check.result == "refuted"
    assert "scripts/train.py" in (check.counterexample or "")
    assert "make nothere" in (check.counterexample or "")


def test_params_keys(tmp_path: Path) -> None:
    dvc = (
        "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n    params:\n"
        "      - train.{key}\n"
    )
    files = {"train.py": "", "params.yaml": "train:\n  lr: 0.1\n"}
    ok = run_on(write(tmp_path / "ok", {**files, "dvc.yaml": dvc.format(key="lr")}))
    assert one(ok, "refs.params").result == "proved"
    bad = run_on(write(tmp_path / "bad", {**files, "dvc.yaml": dvc.format(key="epochs")}))
    check = one(bad, "refs.params")
    assert check.result == "refuted" and "train.epochs" in (check.counterexample or "")


def test_local_actions(tmp_path: Path) -> None:
    steps = (
        "name: CI\non: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ./.github/actions/setup\n"
    )
    action = "name: setup\nruns:\n  using: composite\n  steps: []\n"
    ok = run_on(
        write(
            tmp_path / "ok",
            {".github/workflows/ci.yml": steps, ".github/actions/setup/action.yml": action},
        )
    )
    assert one(ok, "refs.local-actions").result == "proved"
    bad = run_on(write(tmp_path / "bad", {".github/workflows/ci.yml": steps}))
    check = one(bad, "refs.local-actions")
    assert check.result == "refuted" and "./.github/actions/setup" in (check.counterexample or "")


# -- config.keys --------------------------------------------------------------------------------

TRAIN = """import argparse
import yaml

p = argparse.ArgumentParser()
p.add_argument("--config", default="configs/train.yaml")
args = p.parse_args()
with open(args.config) as fh:
    cfg = yaml.safe_load(fh)
lr = cfg["lr"]
depth = cfg["model"]["depth"]
"""


def test_config_keys(tmp_path: Path) -> None:
    ok = run_on(
        write(
            tmp_path / "ok",
            {"train.py": TRAIN, "configs/train.yaml": "lr: 1\nmodel:\n  depth: 3\n"},
        )
    )
    assert one(ok, "config.keys").result == "proved"
    bad = run_on(write(tmp_path / "bad", {"train.py": TRAIN, "configs/train.yaml": "lr: 1\n"}))
    check = one(bad, "config.keys")
    assert check.result == "refuted"
    assert "configs/train.yaml#model.depth" in (check.counterexample or "")
    assert "configs/train.yaml#lr" not in (check.counterexample or "")


def test_config_keys_unknown_without_the_file_contents(tmp_path: Path) -> None:
    root = write(tmp_path, {"train.py": TRAIN, "configs/train.yaml": "lr: 1\n"})
    inp = stage_input(root)
    inp.ingest = inp.ingest.model_copy(
        update={"source": inp.ingest.source.model_copy(update={"type": "git"})}
    )
    assert one(logic.run(inp), "config.keys").result == "unknown"


# -- claims.backed ------------------------------------------------------------------------------


def _practice(state: PracticeState, evidence: bool) -> PracticeResult:
    cite = Citation(path="README.md", line=3, what="claims model registry")
    art = [Citation(path="src/register.py", line=1, what="mlflow.register_model")]
    return PracticeResult(
        id="model-registry",
        dimension=Dimension.TRACKING,
        level=3,
        title="Model registry",
        state=state,
        claims=[cite],
        evidence=art if evidence else [],
    )


def test_claims_backed_and_unbacked() -> None:
    proved = claims.obligations([_practice(PracticeState.PRESENT, True)])
    refuted = claims.obligations([_practice(PracticeState.CLAIMED_ONLY, False)])
    from hyperscore.evaluators.stages.logic.obligations import discharge

    assert discharge(proved[0]).result == "proved"
    check = discharge(refuted[0])
    assert check.result == "refuted"
    assert "docs claim 'Model registry', no artefact backs it" in (check.counterexample or "")
    assert (
        claims.obligations(
            [_practice(PracticeState.ABSENT, False).model_copy(update={"claims": []})]
        )
        == []
    )


# -- fixtures and score -------------------------------------------------------------------------


def test_mid_level_batch_size_inconsistency_is_refuted() -> None:
    result = run_on(FIXTURES / "mid-level")
    refuted = [c for c in result.checks if c.result == "refuted"]
    assert [c.kind for c in refuted] == ["config.keys"]
    assert "configs/train.yaml#batch_size" in (refuted[0].counterexample or "")
    assert refuted[0].evidence[0].path == "src/churnmodel/train.py"
    proved = result.details["counts"]["proved"]
    assert result.score == pytest.approx(proved / (proved + 1), abs=1e-4)


def test_full_mlops_has_no_refuted_obligation() -> None:
    result = run_on(FIXTURES / "full-mlops")
    assert result.status == "ok" and result.score == 1.0
    assert not [c.id for c in result.checks if c.result == "refuted"]
    kinds = {c.kind for c in result.checks}
    assert {
        "dag.acyclic",
        "dag.inputs",
        "dag.gate-dominance",
        "versions.python-runtime",
        "versions.package",
        "refs.params",
    } <= kinds


def test_nothing_to_check_is_not_applicable(tmp_path: Path) -> None:
    result = run_on(write(tmp_path, {"notes.txt": "hello\n"}))
    assert result.status == "not-applicable" and result.score is None


def test_logic_score_formula() -> None:
    assert logic.logic_score({"proved": 3, "refuted": 1, "unknown": 5}) == 0.75
    assert logic.logic_score({"unknown": 2}) is None


def test_concurrent_runs_in_threads_agree() -> None:
    """The operator's in-process executor scores assessments in threads; z3's global context
    is not thread-safe (it aborted with an assertion violation), so runs must take turns."""
    from concurrent.futures import ThreadPoolExecutor

    root = FIXTURES / "full-mlops"
    inp = stage_input(root)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: logic.run(inp, root=root), range(8)))
    assert {r.score for r in results} == {results[0].score}
    assert {len(r.checks) for r in results} == {len(results[0].checks)}
