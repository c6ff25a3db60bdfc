"""ΔRepro: static checks on fixtures, undeclared imports, and the dynamic rerun comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.stages import repro
from hyperscore.evaluators.stages.base import StageInput
from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits
from hyperscore.evaluators.stages.sandbox.local import LocalSandbox, RunOutcome

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_BOX = LocalSandbox(SandboxLimits(max_processes=64))


def stage_input(root: Path) -> StageInput:
    result = ingest(str(root))
    return StageInput(ingest=result, ctx=DetectionContext(result=result), practices=[])


def outcome(ok: bool, produced: dict[str, str]) -> RunOutcome:
    return RunOutcome(
        command=("python", "x.py"),
        exit_code=0 if ok else 1,
        timed_out=False,
        wall_seconds=0.1,
        cpu_seconds=0.1,
        peak_memory_bytes=1,
        stdout="",
        stderr="",
        output_truncated=False,
        isolated=True,
        produced=produced,
    )


def test_full_mlops_scores_high_and_notebook_research_low() -> None:
    high = repro.run(stage_input(FIXTURES / "full-mlops"))
    low = repro.run(stage_input(FIXTURES / "notebook-research"))
    assert high.score is not None and low.score is not None
    assert high.score >= 0.75 and low.score <= 0.25
    passed = {c.id for c in high.checks if c.result == "passed"}
    assert {"repro:pinned", "repro:hashes", "repro:seeds", "repro:dvc-hashes"} <= passed
    failed = {c.id for c in low.checks if c.result == "failed"}
    assert {"repro:pinned", "repro:seeds"} <= failed


def test_undeclared_imports_are_findings() -> None:
    ctx = stage_input(FIXTURES / "notebook-research").ctx
    missing = repro.undeclared_imports(ctx)
    assert "huggingface_hub" in missing
    assert "sklearn" not in missing  # declared as scikit-learn: the mapping table applies
    assert "helpers" not in missing and "os" not in missing  # local and stdlib modules


def test_imports_covered_through_normalisation(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("PyYAML==6.0.1\nscikit_learn==1.4.0\n")
    (tmp_path / "train.py").write_text(
        "import yaml\nimport sklearn\nimport json\nimport mylib\nimport leftpad\n"
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
    )
    (tmp_path / "mylib.py").write_text("X = 1\n")
    missing = repro.undeclared_imports(stage_input(tmp_path).ctx)
    assert set(missing) == {"leftpad"}


def test_no_evidence_is_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing\n")
    result = repro.run(stage_input(tmp_path))
    assert result.status == "not-applicable" and result.score is None


def test_dynamic_score_formula() -> None:
    same = repro.dynamic_score(
        outcome(True, {"a": "1", "b": "2"}), outcome(True, {"a": "1", "b": "2"})
    )
    assert same[0] == 1.0
    half_files = repro.dynamic_score(
        outcome(True, {"a": "1", "b": "2"}), outcome(True, {"a": "1", "b": "3"})
    )
    assert half_files[0] == pytest.approx(1 - 0.5 / 2)
    flipped = repro.dynamic_score(outcome(True, {}), outcome(False, {}))
    assert flipped[0] == 0.5
    worst = repro.dynamic_score(outcome(True, {"a": "1"}), outcome(False, {"a": "2"}))
    assert worst[0] == 0.0


def test_combined_weights_and_input_validation(tmp_path: Path) -> None:
    inp = stage_input(FIXTURES / "full-mlops")
    static = repro.run(inp).score
    assert static is not None
    result = repro.run(inp, sandbox_runs=[outcome(True, {"a": "1"}), outcome(True, {"a": "2"})])
    assert result.score == pytest.approx(0.4 * static + 0.6 * 0.5, abs=1e-4)  # 1 of 1 file differs
    assert any(c.id == "repro:rerun" and c.result == "failed" for c in result.checks)
    with pytest.raises(ValueError):
        repro.run(inp, sandbox_runs=[outcome(True, {})])


@pytest.mark.skipif(_BOX.problem() is not None, reason=str(_BOX.problem()))
@pytest.mark.parametrize("deterministic", [True, False])
def test_dynamic_repro_in_real_sandboxes(tmp_path: Path, deterministic: bool) -> None:
    data = "b'fixed output'" if deterministic else "os.urandom(32)"
    (tmp_path / "make_output.py").write_text(f"import os\nopen('out.bin', 'wb').write({data})\n")
    argv = ["python", "make_output.py"]
    runs = [_BOX.run(tmp_path, argv), _BOX.run(tmp_path, argv)]
    assert all(r.ok and "out.bin" in r.produced for r in runs)
    result = repro.run(stage_input(tmp_path), sandbox_runs=runs)
    assert result.details["dynamic_score"] == (1.0 if deterministic else 0.5)
    assert result.details["differing_files"] == ([] if deterministic else ["out.bin"])
