"""`hyperscore review` end to end: a real report of the mid-level fixture, a real SQLite store."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators.fusion import Calibration
from hyperscore.operator.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mid-level"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "mid.json"
    code = main(
        ["assess", str(FIXTURE), "--format", "json", "--output", str(out), "--no-semantic", "-q"]
    )
    assert code == 0
    return out


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("HYPERSCORE_DATA_DIR", str(directory))
    return directory


def _variant(
    report_file: Path, tmp_path: Path, name: str, term: float | None = None, **levels: int
) -> Path:
    """The real report as if of another project (other source, levels, component terms)."""
    report: dict[str, Any] = json.loads(report_file.read_text())
    report = copy.deepcopy(report)
    report["source"]["location"] = name
    for component in report["components"].values():
        if term is not None and component["status"] == "used":
            component["term"] = term
    report["dimensions"].update(levels)
    for detail in report["dimension_details"]:
        detail["level"] = report["dimensions"][detail["name"]]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(report))
    return path


def _rows(data_dir: Path, table: str = "reviews") -> int:
    path = data_dir / "reviews.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_add_prints_the_debate_and_refits(
    report_file: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(report_file.read_text())
    data_level = report["dimensions"]["data"]
    code = main(
        [
            "review",
            "add",
            str(report_file),
            "--score",
            "97",
            "--dimension",
            f"data={data_level + 1}",
            "--dimension",
            f"reproducibility={report['dimensions']['reproducibility']}",
            "--comment",
            "great data hygiene",
            "--reviewer",
            "alice",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("review 1 of a-") and "by alice" in out
    assert "overall: maintain" in out  # 97 is above the report's interval
    assert "data: maintain" in out or "data: concede" in out
    assert "reproducibility:" not in out  # an agreement is not argued
    next_step = next(d for d in report["dimension_details"] if d["name"] == "data")["next_steps"][0]
    assert "would change it: show" in out and f"[{next_step}]" in out
    assert "calibration refitted on 1 scored review(s)" in out
    cal = Calibration.from_json(json.loads((data_dir / "calibration.json").read_text()))
    assert cal.note == "refitted on 1 review(s)"
    assert not (data_dir / "weights.json").exists()  # fewer than 5 scored reviews

    # The stored assessment can be reviewed again by id prefix; the list shows both reviews.
    assessment_id = out.split()[3]
    assert main(["review", "add", assessment_id[:8], "--dimension", "testing=4", "--json"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["review"] == 2 and reply["assessment_id"] == assessment_id
    assert [p["topic"] for p in reply["points"]] == ["testing"]
    assert main(["review", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (rows[0]["id"], rows[0]["reviewer"], rows[0]["score"]) == (1, "alice", 97.0)
    assert rows[0]["comment"] == "great data hygiene" and rows[0]["disagreements"] == 2
    assert rows[1]["levels"] == {"testing": 4}


def test_five_scored_reviews_learn_weights_and_the_queue_ranks(
    report_file: Path, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(5):
        path = _variant(report_file, tmp_path, f"reviewed-{i}", data=i % 5, testing=(i + 2) % 5)
        assert main(["review", "add", str(path), "--score", str(40 + 5 * i)]) == 0
    out = capsys.readouterr().out
    assert "weights learned from 5 reviews" in out
    weights = json.loads((data_dir / "weights.json").read_text())
    assert weights["source"] == "learned" and weights["reviews"] == 5
    assert sum(weights["weights"].values()) == pytest.approx(1.0)

    # The loop is closed: the next assessment uses the learned weights and the user calibration.
    fresh = tmp_path / "after.json"
    assessed = ["assess", str(FIXTURE), "-f", "json", "-o", str(fresh), "--no-semantic", "-q"]
    assert main(assessed) == 0
    fusion = json.loads(fresh.read_text())["fusion"]
    assert fusion["weights_source"] == "learned (5 reviews)"
    assert fusion["calibration"].startswith("user calibration (")

    typical = _variant(report_file, tmp_path, "typical", data=2, testing=4)
    # Far from every reviewed assessment: other levels, and V near 0 instead of about 0.7.
    odd = _variant(
        report_file, tmp_path, "odd", term=0.02, data=4, testing=0, monitoring=4, governance=0
    )
    assert main(["review", "import", str(typical), str(odd), str(typical)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["recorded", "recorded", "already"]
    assert main(["review", "queue", "--json"]) == 0
    queue = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [q["source"] for q in queue] == ["odd", "typical"]
    assert queue[0]["uncertainty"] > queue[1]["uncertainty"]
    assert main(["review", "queue", "--top", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.endswith("odd") and "uncertainty" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--score", "150"], "--score 150: must be in 0-100"),
        (["--dimension", "speed=3"], "--dimension 'speed=3': unknown dimension"),
        (["--dimension", "data=7"], "level must be 0-4"),
        ([], "a review needs --score"),
    ],
)
def test_bad_review_input(
    report_file: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needle: str,
) -> None:
    assert main(["review", "add", str(report_file), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hyperscore: error: ") and needle in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _rows(data_dir) == 0 and _rows(data_dir, "assessments") == 0  # nothing half-written
    assert not (data_dir / "calibration.json").exists()


def test_bad_assessment_argument(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ not json")
    not_report = tmp_path / "other.json"
    not_report.write_text('{"hello": "world"}')
    cases = {
        str(tmp_path / "missing.json"): "cannot read",
        str(not_json): "not valid JSON (line 1",
        str(not_report): "not a HyperScore JSON report",
        "a-deadbeef0000": "no such report file or stored assessment id",
        str(tmp_path): "cannot read",
    }
    for ref, needle in cases.items():
        assert main(["review", "add", ref, "--score", "50"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and ref in err, err
    assert main(["review", "queue", "--top", "0"]) == 2
    assert "--top 0" in capsys.readouterr().err
    assert _rows(data_dir) == 0


def test_newer_store_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / "reviews.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    assert main(["review", "list"]) == 2
    assert "newer than this HyperScore" in capsys.readouterr().err


def test_concurrent_cli_reviews(report_file: Path, tmp_path: Path) -> None:
    """Four `review add` processes at once: every review lands, and the state files agree."""
    data = tmp_path / "data"
    env = {**os.environ, "HYPERSCORE_DATA_DIR": str(data)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hyperscore.operator",
                "review",
                "add",
                str(report_file),
                "--score",
                str(50 + i),
                "--reviewer",
                f"r{i}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [r[1] for r in results]
    assert _rows(data) == 4
    with sqlite3.connect(data / "reviews.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The last writer saw all four reviews: the calibration on disk absorbed every one.
    cal = Calibration.from_json(json.loads((data / "calibration.json").read_text()))
    assert cal.note == "refitted on 4 review(s)"
