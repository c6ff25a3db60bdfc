"""open_source: choosing the source kind, one-line errors, and URL redaction."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.source import Limits, SourceError
from hyperscore.evaluators.ingest.sources import (
    DirectorySource,
    is_remote_spec,
    open_source,
    redact_text,
    redact_url,
)
from hyperscore.evaluators.ingest.sources_archive import ArchiveSource
from hyperscore.evaluators.ingest.sources_git import GitSource

from .conftest import GitRepoFactory


def error_of(spec: str, rev: str | None = None) -> str:
    with pytest.raises(SourceError) as exc:
        open_source(spec, rev=rev)
    assert type(exc.value) is SourceError
    message = str(exc.value)
    assert "\n" not in message and message == message.strip() and message
    return message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pa55@host/x.git", "https://user:***@host/x.git"),
        ("https://user:p@ss@host/x.git", "https://user:***@host/x.git"),
        ("https://ghp_TOKEN123@github.com/o/r", "https://***@github.com/o/r"),
        ("http://host/r.git?token=abc&x=1", "http://host/r.git?token=***&x=1"),
        ("https://h/r?private_token=abc#frag", "https://h/r?private_token=***#frag"),
        ("https://h/r?access_token=abc&api_key=k", "https://h/r?access_token=***&api_key=***"),
        ("ssh://git@host:22/r.git", "ssh://git@host:22/r.git"),
        ("ssh://git:hunter2@host/r.git", "ssh://git:***@host/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("/plain/path", "/plain/path"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_finds_urls_inside_messages() -> None:
    text = "fatal: unable to access 'https://bob:secret@h/r.git/': 403 (also https://tok@h2/)"
    assert (
        redact_text(text)
        == "fatal: unable to access 'https://bob:***@h/r.git/': 403 (also https://***@h2/)"
    )


@pytest.mark.parametrize(
    ("spec", "remote"),
    [
        ("https://github.com/o/r.git", True),
        ("HTTP://host/r", True),
        ("git://127.0.0.1:9418/r", True),
        ("ssh://git@host/r.git", True),
        ("file:///srv/repo.git", True),
        ("git@github.com:o/r.git", True),
        ("./project", False),
        ("/abs/path", False),
        ("ext::sh -c touch% /tmp/pwned", False),
        ("C:/windows/path", False),
    ],
)
def test_remote_specs(spec: str, remote: bool) -> None:
    assert is_remote_spec(spec) is remote


def test_dispatch(git_repo: GitRepoFactory, tmp_path: Path) -> None:
    repo = git_repo("proj", {"a.txt": "a"})
    with open_source(str(repo.path)) as tree:
        assert isinstance(tree, DirectorySource)
    with open_source(str(repo.path), rev="HEAD") as tree:
        assert isinstance(tree, GitSource)
    with open_source(str(repo.path / ".git")) as tree:  # a git dir is a bare layout
        assert isinstance(tree, GitSource)
    with open_source(f"file://{repo.path}") as tree:
        assert isinstance(tree, GitSource)
        assert [f.path for f in tree.walk()] == ["a.txt"]
    archive = tmp_path / "proj.TAR.GZ"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(repo.path / "a.txt", "a.txt")
    with open_source(str(archive)) as tree:
        assert isinstance(tree, ArchiveSource)


def test_errors_name_the_input(git_repo: GitRepoFactory, tmp_path: Path) -> None:
    missing = str(tmp_path / "does-not-exist")
    assert missing in error_of(missing)
    assert "no source" in error_of("  ")
    (tmp_path / "notes.txt").write_text("x")
    message = error_of(str(tmp_path / "notes.txt"))
    assert "unsupported source file" in message and "notes.txt" in message
    plain = tmp_path / "plain"
    plain.mkdir()
    assert "not a git repository" in error_of(str(plain), rev="main")
    archive = tmp_path / "a.zip"
    archive.write_bytes(b"")
    assert "--rev applies to git sources only" in error_of(str(archive), rev="main")
    assert "invalid revision" in error_of(str(plain), rev="-x")
    assert "invalid revision" in error_of(str(plain), rev="a\nb")


def test_dangerous_transports_are_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for spec in (f"ext::sh -c touch% {marker}", "fd::17", f"--upload-pack=touch {marker}"):
        message = error_of(spec)
        assert "\n" not in message
    assert not marker.exists()


def test_unreachable_https_url_is_redacted() -> None:
    # port 9 on loopback: connection refused at once, no internet involved
    message = error_of("https://alice:hunter2@127.0.0.1:9/repo.git?token=abc")
    assert "hunter2" not in message and "abc" not in message
    assert "https://alice:***@127.0.0.1:9/repo.git?token=***" in message


def test_no_traceback_from_the_command_line(tmp_path: Path) -> None:
    """The one-line message is all a caller prints: a fresh interpreter shows exactly that."""
    code = (
        "import sys\n"
        "from hyperscore.evaluators.ingest.sources import open_source, SourceError\n"
        "try:\n"
        f"    open_source({str(tmp_path / 'nope')!r})\n"
        "except SourceError as exc:\n"
        "    print(exc, file=sys.stderr); sys.exit(2)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_limits_reach_the_source(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 100)
    with open_source(str(tmp_path), limits=Limits(max_file_bytes=10)) as tree:
        assert list(tree.walk()) == []
        assert [o.reason for o in tree.omitted] == ["too-large"]


def test_linked_worktree_with_rev(git_repo: GitRepoFactory, tmp_path: Path) -> None:
    repo = git_repo("main-tree", {"a.txt": "a"})
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked), "-b", "feature")
    assert (linked / ".git").is_file()
    with open_source(str(linked), rev="feature") as tree:
        assert isinstance(tree, GitSource)
        assert [f.path for f in tree.walk()] == ["a.txt"]


def test_a_project_that_merely_looks_bare_is_a_directory(tmp_path: Path) -> None:
    for name in ("objects", "refs"):
        (tmp_path / name).mkdir()
    (tmp_path / "HEAD").write_text("not a git head\n")
    with open_source(str(tmp_path)) as tree:
        assert isinstance(tree, DirectorySource)
        assert [f.path for f in tree.walk()] == ["HEAD"]
