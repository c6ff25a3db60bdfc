"""The trusted source fetch: Secret keys, credentials kept out of every message, ConfigMap
sources (flat keys, or one archive for a whole tree) and git over a loopback smart-HTTP server."""

from __future__ import annotations

import base64
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest import Limits
from hyperscore.operator.controller import sources
from tests.unit.ingest.conftest import GitHTTPServer, GitRepo


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_credentials_from_username_password_or_token() -> None:
    assert sources.credentials_from_secret("s", {"username": b64("al"), "password": b64("pw")}) == (
        "al",
        "pw",
    )
    assert sources.credentials_from_secret("s", {"token": b64("tok\n")}) == (
        "x-access-token",
        "tok",
    )
    assert sources.credentials_from_secret("s", {"token": b64("t"), "username": b64("bot")}) == (
        "bot",
        "t",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"password": b64("hunter2")},
            "Secret s must have keys username and password, or token (found: password)",
        ),
        ({}, "(found: none)"),
        ({"ssh-privatekey": b64("KEY")}, "ssh-privatekey is not supported yet"),
        ({"token": "%%%"}, "key token is not valid base64"),
    ],
)
def test_unusable_secrets_name_keys_never_values(data: dict[str, str], message: str) -> None:
    with pytest.raises(sources.InvalidSource) as caught:
        sources.credentials_from_secret("s", data)
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value) and "KEY" not in str(caught.value)


def test_credentials_only_over_http() -> None:
    assert sources.url_with_credentials("https://git.example/a.git", "u", "p@ss/") == (
        "https://u:p%40ss%2F@git.example/a.git"
    )
    with pytest.raises(sources.InvalidSource, match="need an http"):
        sources.url_with_credentials("git://git.example/a.git", "u", "p")


def test_config_map_keys_are_root_files_and_an_archive_is_a_tree() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("tests/test_a.py", "setup.cfg"):
            data = b"def test(): pass\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    cm = {
        "metadata": {"resourceVersion": "42"},
        "data": {"README.md": "# hi\n"},
        "binaryData": {"tree.tar.gz": base64.b64encode(buffer.getvalue()).decode()},
    }
    fetched = sources.fetch_config_map("proj", cm, Limits())
    try:
        files = sorted(
            p.relative_to(fetched.directory).as_posix()
            for p in fetched.directory.rglob("*")
            if p.is_file()
        )
        assert files == ["README.md", "setup.cfg", "tests/test_a.py"]
        assert (fetched.info.location, fetched.info.revision) == ("configmap/proj", "42")
    finally:
        fetched.close()
    assert not fetched.directory.exists()
    with pytest.raises(sources.SourceUnavailable, match="ConfigMap proj not found"):
        sources.fetch_config_map("proj", None, Limits())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GitHTTPServer, str]]:
    repo = GitRepo(tmp_path / "src")
    repo.write("README.md", "# private\n")
    commit = repo.commit("one")
    import subprocess

    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(tmp_path / "base" / "p.git")],
        check=True,
    )
    server = GitHTTPServer(tmp_path / "base", "alice", "pa55word")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, commit
    server.shutdown()
    server.server_close()


def test_git_fetch_with_credentials_and_redacted_failures(
    served: tuple[GitHTTPServer, str],
) -> None:
    server, commit = served
    url = f"http://127.0.0.1:{server.port}/p.git"
    fetched = sources.fetch_git(url, "main", ("alice", "pa55word"), Limits())
    try:
        assert (fetched.directory / "README.md").read_text() == "# private\n"
        assert fetched.info.revision == commit and fetched.info.location == url
        assert "pa55word" not in fetched.info.model_dump_json()
    finally:
        fetched.close()
    with pytest.raises(sources.SourceUnavailable) as caught:
        sources.fetch_git(url, "main", ("alice", "wrong-pa55"), Limits())
    assert "wrong-pa55" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


def test_pvc_paths_stay_inside_the_volume(tmp_path: Path) -> None:
    (tmp_path / "claim" / "proj").mkdir(parents=True)
    (tmp_path / "claim" / "proj" / "a.py").write_text("x = 1\n")
    fetched = sources.fetch_pvc(tmp_path, "claim", "/proj", Limits())
    try:
        assert (fetched.directory / "a.py").exists()
    finally:
        fetched.close()
    with pytest.raises(sources.InvalidSource, match="leaves the volume"):
        sources.fetch_pvc(tmp_path, "claim", "/../..", Limits())
    with pytest.raises(sources.InvalidSource, match="no --pvc-root"):
        sources.fetch_pvc(None, "claim", "/", Limits())
