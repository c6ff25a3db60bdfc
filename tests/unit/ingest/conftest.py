"""Shared fixtures for the ingestion tests: real git repositories and loopback git servers.

Every repository is built with the real ``git`` in a temporary directory, with no system or
user configuration. Remote URLs are served on 127.0.0.1 only (``git daemon`` for ``git://``,
``git http-backend`` behind a tiny HTTP server with basic auth for ``http://``): tests never
touch the internet.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

GIT_IDENTITY = ("-c", "user.name=HyperScore Tests", "-c", "user.email=tests@example.invalid")


def git_test_env(home: Path) -> dict[str, str]:
    """An environment in which git sees no system or user configuration and never prompts."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }


def run_git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``cwd`` and return its stdout; fail the test with git's stderr on error."""
    proc = subprocess.run(
        ["git", *GIT_IDENTITY, *args],
        cwd=cwd,
        env=dict(env or git_test_env(cwd)),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8", "replace")


class GitRepo:
    """A repository under construction: write files, commit, inspect."""

    def __init__(self, path: Path, *, bare: bool = False) -> None:
        self.path = path
        self.bare = bare
        path.mkdir(parents=True, exist_ok=True)
        args = ["init", "-q", "-b", "main"] + (["--bare"] if bare else [])
        run_git(path, *args)

    def git(self, *args: str) -> str:
        return run_git(self.path, *args)

    def write(self, rel: str | bytes, data: bytes | str = b"") -> Path:
        target = Path(os.fsdecode(self.path / os.fsdecode(rel)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        return target

    def symlink(self, rel: str, target: str) -> None:
        link = self.path / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)

    def commit(self, message: str = "change") -> str:
        """Stage everything and commit; returns the new commit id."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def allow_filters(self) -> None:
        """Let clones of this repository ask for partial (filtered) packs."""
        self.git("config", "uploadpack.allowFilter", "true")
        self.git("config", "uploadpack.allowAnySHA1InWant", "true")


GitRepoFactory = Callable[..., GitRepo]


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepoFactory:
    """``git_repo("name", files={...}, bare=False)``: a repository with one commit of files."""

    def make(
        name: str = "repo", files: Mapping[str, bytes | str] | None = None, *, bare: bool = False
    ) -> GitRepo:
        repo = GitRepo(tmp_path / name, bare=bare)
        if files and not bare:
            for rel, data in files.items():
                repo.write(rel, data)
            repo.commit("initial")
        return repo

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listens on 127.0.0.1:{port}")


class GitDaemon:
    """``git daemon`` on loopback serving every repository below ``base``."""

    def __init__(self, base: Path, log: Path) -> None:
        self.base = base
        self.log = log
        self.port = free_port()
        self._log_file = log.open("wb")
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--verbose",
                f"--base-path={base}",
                f"--port={self.port}",
                "--listen=127.0.0.1",
                "--enable=upload-pack",
                "--informative-errors",
                str(base),
            ],
            env=git_test_env(base),
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            start_new_session=True,
        )
        wait_for_port(self.port)

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def connections(self) -> int:
        """How many clients have connected so far (from the daemon's verbose log)."""
        return self.log.read_text(errors="replace").count("Connection from")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None
        self._log_file.close()


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[GitDaemon]:
    """A git daemon on 127.0.0.1 serving ``tmp_path / "served"`` (create repos there)."""
    base = tmp_path / "served"
    base.mkdir()
    daemon = GitDaemon(base, tmp_path / "daemon.log")
    try:
        yield daemon
    finally:
        daemon.stop()


class _SmartHTTPHandler(BaseHTTPRequestHandler):
    """Runs ``git http-backend`` as a CGI for each request, behind optional basic auth."""

    server: GitHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)

    def _serve(self) -> None:
        expected = self.server.authorization
        if expected is not None and self.headers.get("Authorization") != expected:
            self.server.rejected += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self._body()
        env = {
            **git_test_env(self.server.base),
            "GIT_PROJECT_ROOT": str(self.server.base),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        ).stdout
        sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
        head, _, payload = out.partition(sep)
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class GitHTTPServer(ThreadingHTTPServer):
    """Smart-HTTP git server on loopback; ``url(name, user, password)`` builds clone URLs."""

    daemon_threads = True

    def __init__(self, base: Path, user: str | None, password: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _SmartHTTPHandler)
        self.base = base
        self.requests: list[str] = []
        self.rejected = 0
        self.authorization = None
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.authorization = f"Basic {token}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, name: str, user: str | None = None, password: str | None = None) -> str:
        auth = ""
        if user is not None:
            auth = user + (f":{password}" if password is not None else "") + "@"
        return f"http://{auth}127.0.0.1:{self.port}/{name}"


GitHTTPFactory = Callable[..., GitHTTPServer]


@pytest.fixture
def git_http_server(tmp_path: Path) -> Iterator[GitHTTPFactory]:
    """``git_http_server(user="u", password="p")``: serves ``tmp_path / "served-http"``."""
    servers: list[GitHTTPServer] = []

    def start(user: str | None = None, password: str | None = None) -> GitHTTPServer:
        base = tmp_path / "served-http"
        base.mkdir(exist_ok=True)
        server = GitHTTPServer(base, user, password)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
