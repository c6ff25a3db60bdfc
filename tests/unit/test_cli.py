"""The ``hyperscore`` command line: formats, output, CI gates and exit codes.

Most tests replace ``pipeline.assess`` with a stub returning a built assessment, so they test
the CLI and not the detectors; two run the real pipeline on the demo project.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators import pipeline
from hyperscore.evaluators.assessment import Assessment, Severity
from hyperscore.evaluators.ingest import SourceError
from hyperscore.evaluators.model import IngestResult
from hyperscore.operator.cli import (
    EXIT_FAIL_THRESHOLD,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from tests.unit.report import make_assessment

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-project"
ESC = "\x1b["


class Stub:
    """Stands in for ``pipeline.assess``; records the options it was called with."""

    def __init__(
        self, assessment: Assessment | None = None, error: BaseException | None = None
    ) -> None:
        self.assessment = assessment or make_assessment()
        self.error = error
        self.calls: list[tuple[str, pipeline.Options]] = []

    def __call__(
        self, spec: str, options: pipeline.Options | None = None
    ) -> tuple[Assessment, IngestResult]:
        assert options is not None
        self.calls.append((spec, options))
        if self.error is not None:
            raise self.error
        a = self.assessment
        return a, IngestResult(
            source=a.source, evidence=[], graph={"nodes": [], "edges": []}, stats=a.stats
        )


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Stub:
    s = Stub()
    monkeypatch.setattr(pipeline, "assess", s)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    return s


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- help and usage


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "--help")
    assert code == EXIT_OK
    for text in (
        "exit codes:",
        "0   the report",
        "1   a threshold failed",
        "2   bad input",
        "70  internal error",
        "--fail-under SCORE",
        "--fail-on SEVERITY",
        "--no-color",
        "--no-semantic",
        "text,json,markdown,sarif,html",
    ):
        assert text in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys)[0] == EXIT_USAGE


@pytest.mark.parametrize(
    "argv",
    [
        ["--fail-under", "150"],
        ["--fail-under", "abc"],
        ["--fail-on", "severe"],
        ["--format", "pdf"],
        ["--max-files", "0"],
    ],
)
def test_bad_options_are_usage_errors(
    stub: Stub, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, "assess", ".", *argv)
    assert code == EXIT_USAGE
    assert out == "" and "error" in err
    assert stub.calls == []


# --------------------------------------------------------------------------- formats and output


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "html"])
def test_every_format_on_stdout(stub: Stub, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run(capsys, "assess", "proj", "--format", fmt, "--quiet")
    assert code == EXIT_OK
    assert out
    assert err == ""
    if fmt in ("json", "sarif"):
        json.loads(out)  # stdout is exactly one JSON document


def test_json_stdout_is_clean_and_carries_the_verdict(
    stub: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "assess", "proj", "-f", "json")
    data = json.loads(out)
    assert (data["score"], data["level"]) == (38.8, 1)
    assert data["dimensions"]["deployment"] == 3
    assert data["evidence"] == [] and "graph" in data


def test_output_file_is_written_atomically(
    stub: Stub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    code, out, err = run(capsys, "assess", "proj", "-f", "html", "-o", str(target))
    assert code == EXIT_OK
    assert out == ""
    assert f"report written to {target}" in err
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp files left


def test_output_into_a_missing_directory_is_a_usage_error(
    stub: Stub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "assess", "proj", "-o", str(tmp_path / "nope" / "r.json"))
    assert code == EXIT_USAGE
    assert "does not exist" in err


def test_options_reach_the_pipeline(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    run(
        capsys,
        "assess",
        "repo.git",
        "--rev",
        "v1",
        "--no-semantic",
        "--max-files",
        "10",
        "--max-file-size",
        "1000",
        "-q",
    )
    spec, options = stub.calls[0]
    assert spec == "repo.git"
    assert options.rev == "v1" and options.semantic is False
    assert options.limits.max_files == 10 and options.limits.max_file_bytes == 1000
    run(capsys, "assess", "repo.git", "-q")
    assert stub.calls[1][1].semantic is True


def test_evidence_summary_is_appended_to_text_and_markdown(
    stub: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "assess", "proj", "--evidence")
    assert "HyperScore evidence summary" in out
    _, out, _ = run(capsys, "assess", "proj", "--evidence", "-f", "markdown")
    assert "## HyperScore evidence summary" in out
    code, _, err = run(capsys, "assess", "proj", "--evidence", "-f", "sarif")
    assert code == EXIT_USAGE and "--evidence" in err


# --------------------------------------------------------------------------- colour


def test_colour_only_on_a_tty(
    stub: Stub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ESC not in run(capsys, "assess", "proj")[1]  # captured stdout is not a TTY
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert ESC in run(capsys, "assess", "proj")[1]
    assert ESC not in run(capsys, "assess", "proj", "--no-color")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert ESC not in run(capsys, "assess", "proj")[1]


def test_colour_never_in_other_formats_or_files(
    stub: Stub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert ESC not in run(capsys, "assess", "proj", "-f", "markdown")[1]
    run(capsys, "assess", "proj", "-o", str(tmp_path / "r.txt"))
    assert ESC not in (tmp_path / "r.txt").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- CI gates


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        ("50", EXIT_FAIL_THRESHOLD),
        ("38.9", EXIT_FAIL_THRESHOLD),
        ("38.8", EXIT_OK),
        ("0", EXIT_OK),
    ],
)
def test_fail_under(
    stub: Stub, capsys: pytest.CaptureFixture[str], threshold: str, expected: int
) -> None:
    code, out, err = run(capsys, "assess", "proj", "--fail-under", threshold)
    assert code == expected
    assert "Maturity score 38.8/100" in out  # the report is written either way
    assert ("below --fail-under" in err) == (expected == EXIT_FAIL_THRESHOLD)


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_fail_on_with_a_critical_finding(
    stub: Stub, capsys: pytest.CaptureFixture[str], severity: str
) -> None:
    code, _, err = run(capsys, "assess", "proj", "--fail-on", severity)
    assert code == EXIT_FAIL_THRESHOLD
    assert f"--fail-on {severity}" in err


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", EXIT_OK),
        ("high", EXIT_OK),
        ("medium", EXIT_FAIL_THRESHOLD),
        ("low", EXIT_FAIL_THRESHOLD),
    ],
)
def test_fail_on_is_at_or_above(
    stub: Stub, capsys: pytest.CaptureFixture[str], severity: str, expected: int
) -> None:
    base = make_assessment()
    stub.assessment = base.model_copy(
        update={
            "findings": [f for f in base.findings if f.severity in (Severity.MEDIUM, Severity.LOW)]
        }
    )
    code, _, err = run(capsys, "assess", "proj", "--fail-on", severity, "-f", "json")
    assert code == expected
    if expected == EXIT_FAIL_THRESHOLD:
        assert "finding(s) at or above" in err


def test_fail_on_without_findings_passes(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.assessment = make_assessment(findings=0)
    assert run(capsys, "assess", "proj", "--fail-on", "low", "--fail-under", "10")[0] == EXIT_OK


def test_both_gates_report_both_failures(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "assess", "proj", "--fail-on", "high", "--fail-under", "90")
    assert code == EXIT_FAIL_THRESHOLD
    assert len(err.strip().splitlines()) == 2


def test_gate_failure_still_writes_the_output_file(
    stub: Stub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "r.sarif"
    code, _, _ = run(
        capsys, "assess", "proj", "-f", "sarif", "-o", str(target), "--fail-on", "critical"
    )
    assert code == EXIT_FAIL_THRESHOLD
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"


# --------------------------------------------------------------------------- errors


def test_bad_source_is_exit_2(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.error = SourceError("source /nope does not exist")
    code, out, err = run(capsys, "assess", "/nope")
    assert code == EXIT_USAGE
    assert out == ""
    assert err.strip() == "hyperscore: error: source /nope does not exist"


def test_internal_error_is_exit_70(
    stub: Stub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HYPERSCORE_DEBUG", raising=False)
    stub.error = RuntimeError("detector exploded\nbadly")
    code, out, err = run(capsys, "assess", "proj")
    assert code == EXIT_INTERNAL
    assert out == ""
    assert "internal error: RuntimeError: detector exploded badly" in err
    assert "Traceback" not in err
    monkeypatch.setenv("HYPERSCORE_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["assess", "proj"])


def test_interrupt_is_exit_130(stub: Stub, capsys: pytest.CaptureFixture[str]) -> None:
    stub.error = KeyboardInterrupt()
    assert run(capsys, "assess", "proj")[0] == 130


# --------------------------------------------------------------------------- markdown links


def test_markdown_links_from_github_actions_environment(
    stub: Stub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "org/model")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    _, out, _ = run(capsys, "assess", str(tmp_path), "-f", "markdown")
    assert "(https://github.com/org/model/blob/abc123/src/train.py#L8)" in out
    _, out, _ = run(capsys, "assess", str(tmp_path / "sub"), "-f", "markdown")
    assert "(src/train.py#L8)" in out  # another directory: paths are not the repository's
    _, out, _ = run(capsys, "assess", "x", "-f", "markdown", "--link-base", "https://h/b/")
    assert "(https://h/b/src/train.py#L8)" in out


# --------------------------------------------------------------------------- the real pipeline


@pytest.mark.slow
def test_real_assessment_of_the_demo_project(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", str(DEMO), "-f", "json", "--no-semantic", "-q")
    assert code == EXIT_OK
    data: dict[str, Any] = json.loads(out)
    assert 0 <= data["score"] <= 100 and data["level"] in range(5)
    assert len(data["dimensions"]) == 8
    code, _, err = run(capsys, "assess", str(DEMO), "--no-semantic", "-q", "--fail-under", "100")
    assert code == EXIT_FAIL_THRESHOLD and "below --fail-under 100" in err


def test_missing_path_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "assess", str(tmp_path / "missing"), "-q")
    assert code == EXIT_USAGE
    assert out == "" and err.startswith("hyperscore: error:")


POLICY_HEAD = "ahp:\n  criteria: [logic, novelty, impact, repro, meta]\n  matrix:\n"


def test_policy_file_sets_the_fusion_weights(tmp_path: Path) -> None:
    """A ScoringPolicy (or its spec) overrides the AHP defaults, as in the cluster."""
    third = "0.1111111111"
    rows = [[1, 9, 9, 9, 9], *([third, 1, 1, 1, 1] for _ in range(4))]
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY_HEAD + "".join(f"    - {row}\n" for row in rows).replace("'", ""))
    out = tmp_path / "report.json"
    code = main(["assess", str(DEMO), "--policy", str(policy), "-f", "json", "-o", str(out)])
    assert code == EXIT_OK
    report = json.loads(out.read_text())
    used = {k: c["nominal_weight"] for k, c in report["components"].items()}
    assert used["logic"] == pytest.approx(0.6923, abs=1e-3)  # 9 / (9 + 4) of the eigenvector
    assert report["fusion"]["weights_source"].startswith("policy policy.yaml")


def test_inconsistent_policy_is_one_line_naming_the_comparisons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        [1, 9, "0.1111111111", 1, 1],
        ["0.1111111111", 1, 9, 1, 1],
        [9, "0.1111111111", 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
    ]
    policy = tmp_path / "cyclic.yaml"
    policy.write_text(POLICY_HEAD + "".join(f"    - {row}\n" for row in rows).replace("'", ""))
    code = main(["assess", str(DEMO), "--policy", str(policy), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and len(err.strip().splitlines()) == 1
    assert str(policy) in err and "consistency ratio" in err and " vs " in err
    missing = main(["assess", str(DEMO), "--policy", str(tmp_path / "absent.yaml"), "-q"])
    assert missing == EXIT_USAGE and "absent.yaml" in capsys.readouterr().err
