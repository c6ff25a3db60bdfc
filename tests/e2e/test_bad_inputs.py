"""Hostile and broken inputs through the real CLI: one-line errors or recorded items, never a
traceback, never a read outside the source root, never a half-written report."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT-4f1c"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hyperscore.operator", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=cwd,
    )


def assess_json(path: Path, *extra: str) -> dict[str, Any]:
    proc = run("assess", str(path), "--format", "json", "--quiet", "--no-semantic", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def assert_one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in lines[0], lines[0]
    assert proc.stdout == ""


def evidence(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in report["evidence"] if e["kind"] == kind]


def test_nonexistent_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-project"
    assert_one_line_error(run("assess", str(missing)), str(missing))


def test_empty_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    assert_one_line_error(run("assess", str(repo)), "empty.git")


def test_unknown_revision(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "a.py").write_text("x = 1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    assert_one_line_error(run("assess", str(repo), "--rev", "no-such-rev"), "no-such-rev")


def test_binary_huge_and_non_utf8_files_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04\x95" + bytes(range(256)) * 8)
    (tmp_path / "params.yaml").write_bytes(b"lr: 0.1\x00\x00binary")
    (tmp_path / "huge.json").write_text('{"a": "' + "x" * 3_000_000 + '"}')
    (tmp_path / "README.md").write_bytes("# Caf\xe9 model\n\nTrained on data.\n".encode("latin-1"))
    report = assess_json(tmp_path)
    omitted = {(e["path"], e["reason"]) for e in evidence(report, "omitted")}
    assert ("huge.json", "too-large") in omitted
    assert ("params.yaml", "binary") in omitted
    readme = next(e for e in evidence(report, "file") if e["path"] == "README.md")
    assert readme["encoding"] == "latin-1"
    assert any(s["heading"].startswith("Caf") for s in evidence(report, "doc.section"))


def test_malformed_documents_are_unparseable_items(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages:\n  train: [unclosed\n")
    (tmp_path / "pyproject.toml").write_text("[project\nname = \n")
    (tmp_path / "nb.ipynb").write_text('{"cells": [')
    deep = "[" * 5000 + "]" * 5000
    (tmp_path / "dashboard.json").write_text('{"panels": ' + deep + ', "title": "x"}')
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev = chr(96 + i)
        bomb += (
            f"{chr(97 + i)}: &{chr(97 + i)} [*{prev},*{prev},*{prev},*{prev},*{prev},"
            f"*{prev},*{prev},*{prev},*{prev}]\n"
        )
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(bomb)
    report = assess_json(tmp_path)
    bad = {e["path"] for e in evidence(report, "unparseable")}
    assert {"dvc.yaml", "pyproject.toml", "nb.ipynb", ".github/workflows/ci.yml"} <= bad
    reasons = {e["path"]: e["reason"] for e in evidence(report, "unparseable")}
    assert all("\n" not in r for r in reasons.values())


def test_symlinks_escaping_or_looping_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "requirements.txt").write_text(SECRET + "==1.0\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "README.md").write_text("# Project\n")
    (root / "requirements.txt").symlink_to(outside / "requirements.txt")
    (root / "notes.md").symlink_to(outside / "secret.txt")
    (root / "loop").symlink_to(root / "loop")
    (root / "up").symlink_to(tmp_path)
    proc = run("assess", str(root), "--format", "json", "--quiet", "--no-semantic")
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    report = json.loads(proc.stdout)
    reasons = {e["path"]: e["reason"] for e in evidence(report, "omitted")}
    assert reasons.get("requirements.txt") == "symlink-escape"
    assert reasons.get("notes.md") == "symlink-escape"


def test_archive_traversal_members_are_omitted(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (
            ("proj/README.md", b"# ok\n"),
            ("proj/../../evil.py", b"x=1\n"),
            ("/etc/cron.d/evil", b"* * * * * root id\n"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("proj/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    report = assess_json(archive)
    paths = {e["path"] for e in evidence(report, "file")}
    assert "README.md" in paths
    assert not any("evil" in p for p in paths)
    assert not (tmp_path.parent / "evil.py").exists()
    omitted = evidence(report, "omitted")
    assert len(omitted) >= 3


def test_decompression_bomb_is_refused_in_one_line(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("proj/zeros.txt", b"\0" * (300 * 1024 * 1024))
    proc = run("assess", str(archive), "--format", "json", "--quiet", "--no-semantic")
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert_one_line_error(proc, "bomb.zip")
    else:  # refused member by member: recorded, never expanded
        report = json.loads(proc.stdout)
        assert any(e["path"].endswith("zeros.txt") for e in evidence(report, "omitted"))


def test_hundred_thousand_files_are_bounded(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for d in range(100):
        sub = root / f"d{d:03d}"
        sub.mkdir(parents=True)
        for f in range(1000):
            (sub / f"f{f:04d}.txt").touch()
    report = assess_json(root, "--max-files", "2000")
    limits = [e for e in evidence(report, "omitted") if e["reason"] == "file-limit"]
    assert len(limits) == 1
    assert report["stats"]["files_seen"] == 2000


def test_output_to_missing_directory_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "README.md").write_text("# p\n")
    target = tmp_path / "nowhere" / "report.json"
    proc = run(
        "assess", str(tmp_path / "p"), "--format", "json", "--output", str(target), "--no-semantic"
    )
    assert_one_line_error(proc, "nowhere")
    assert not target.exists()
