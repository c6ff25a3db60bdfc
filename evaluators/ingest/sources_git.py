"""Git sources: a commit's tree read straight from the object database, never checked out.

Works on work trees, bare repositories, shallow clones and partial clones. Blobs a partial
clone never downloaded are found up front with ``git rev-list --missing=print`` and recorded as
'missing-blob': asking git for them would start a lazy fetch (git 2.39 has no
``GIT_NO_LAZY_FETCH``), so they are never requested, and every read runs with
``GIT_ALLOW_PROTOCOL=none`` so that even a stray request cannot reach the network. Contents come
from one long-lived ``git cat-file --batch`` process.

Repositories are untrusted: git runs without system or user configuration, with no prompts,
without fsmonitor or hooks, with only the plain transports (never ``ext::``), and with timeouts.
Credentials in URLs never appear in messages or ``info``: an http(s) password reaches git
through the environment and an inline credential helper (not argv, not the clone's config),
and every message is redacted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Final, NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from hyperscore.evaluators.ingest.source import Limits, SourceError, SourceFile, SourceTree
from hyperscore.evaluators.ingest.sources import (
    FileBudget,
    SourceReadError,
    decode_git_path,
    in_skipped_dir,
    omitted,
    one_line,
    redact_text,
    redact_url,
    resolve_in_tree,
    venv_dirs_of,
)
from hyperscore.evaluators.model import SourceInfo

GIT_LOCAL_TIMEOUT_S: Final = 300.0
GIT_NETWORK_TIMEOUT_S: Final = 900.0
MAX_SYMLINK_TARGET_BYTES: Final = 4096

# `-c` options override every configuration file, the repository's own included.
_SAFE_CONFIG: Final = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "safe.directory=*",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.fd.allow=never",
    "-c", "protocol.file.allow=always",
    "-c", "credential.helper=",
    "-c", "http.lowSpeedLimit=1000",
    "-c", "http.lowSpeedTime=60",
    "-c", "advice.detachedHead=false",
)  # fmt: skip
_PASSED_ENV: Final = (
    "PATH", "TMPDIR", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
    "NO_PROXY", "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH", "SSH_AUTH_SOCK",
)  # fmt: skip
# Answers git's credential request from two environment variables: the password is never on
# a command line, in a file, or in the clone's configuration.
_ENV_CREDENTIAL_HELPER: Final = (
    '!f() { test "$1" = get || return 0; echo "username=$HYPERSCORE_GIT_USERNAME"; '
    'echo "password=$HYPERSCORE_GIT_PASSWORD"; }; f'
)
_MODE_SYMLINK: Final = "120000"


class _GitResult(NamedTuple):
    returncode: int
    stdout: bytes
    message: str  # the last meaningful stderr line, redacted, one line


class _Git:
    """Runs git with a scrubbed environment; every message is redacted before it leaves."""

    def __init__(
        self,
        *,
        git_dir: Path | None,
        network: bool,
        secrets: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
        extra_config: tuple[str, ...] = (),
    ) -> None:
        self.git_dir = git_dir
        self.extra_config = extra_config
        self.secrets = tuple(s for s in secrets if s)
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        env.update(
            HOME=os.devnull,
            XDG_CONFIG_HOME=os.devnull,
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_ASKPASS="true",
            SSH_ASKPASS="true",
            # keep an operator's ssh command (keys, known hosts), but never let ssh prompt
            GIT_SSH_COMMAND=os.environ.get("GIT_SSH_COMMAND", "ssh") + " -o BatchMode=yes",
            GIT_NO_REPLACE_OBJECTS="1",
            GIT_OPTIONAL_LOCKS="0",
            LC_ALL="C",
            LANG="C",
            # Reads must never fetch: with no transport allowed, a lazy fetch fails at once.
            GIT_ALLOW_PROTOCOL="file:git:http:https:ssh" if network else "none",
        )
        env.update(extra_env or {})
        self.env = env

    def command(self, *args: str) -> list[str]:
        prefix = ["--git-dir", str(self.git_dir)] if self.git_dir is not None else []
        return ["git", *_SAFE_CONFIG, *self.extra_config, *prefix, *args]

    def redact(self, text: str) -> str:
        text = redact_text(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def run(self, *args: str, timeout: float, stdin: bytes | None = None) -> _GitResult:
        try:
            proc = subprocess.Popen(
                self.command(*args),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                start_new_session=True,  # so a timeout can stop git's helpers too
            )
        except OSError as exc:
            raise SourceError(f"cannot run git: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return _GitResult(124, b"", f"git {args[0]} timed out after {timeout:.0f}s")
        return _GitResult(proc.returncode, out, self._last_line(err))

    def _last_line(self, stderr: bytes) -> str:
        lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("hint:", "warning:"))]
        fatal = [i for i, ln in enumerate(lines) if ln.startswith(("fatal:", "error:"))]
        if not fatal:
            return one_line(self.redact(lines[-1] if lines else "unknown error"), 300)
        index = fatal[-1]
        chosen = lines[index].removeprefix("fatal: ").removeprefix("error: ")
        if chosen.startswith("Could not read from remote") and index > 0:
            chosen = f"{lines[index - 1]}; {chosen}"  # ssh says why on the line before
        return one_line(self.redact(chosen), 300)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()


class _CatFileBatch:
    """One ``git cat-file --batch`` process serving every blob read, started on first use.

    Each request costs a round trip between two processes, which alone would cap reading near
    the 2,000 files/s target; so a read also asks for the next few blobs in walk order
    (``ahead``) in the same round trip and keeps them until the next miss. Walkers read in walk
    order, so most reads are served from that small cache (at most ``PREFETCH_BYTES``).
    """

    PREFETCH_COUNT: Final = 64
    PREFETCH_BYTES: Final = 4 * 1024 * 1024

    def __init__(self, git: _Git) -> None:
        self._git = git
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._cache: dict[str, bytes] = {}

    def read(self, oid: str, size: int, shown: str, ahead: Sequence[tuple[str, int]] = ()) -> bytes:
        with self._lock:
            if self._closed:
                raise SourceReadError(f"cannot read {shown}: the git source is closed")
            cached = self._cache.get(oid)
            if cached is not None:
                return cached
            wanted = [(oid, size)]
            budget = self.PREFETCH_BYTES - size
            for item in ahead[: self.PREFETCH_COUNT]:
                if item[1] > budget:
                    break
                budget -= item[1]
                wanted.append(item)
            try:
                self._cache = self._exchange(wanted)
            except (OSError, ValueError) as exc:
                self._cache = {}
                self._stop()  # the stream is out of step: start afresh on the next read
                raise SourceReadError(f"cannot read {shown} ({oid[:12]}): {exc}") from None
            return self._cache[oid]

    def _exchange(self, wanted: list[tuple[str, int]]) -> dict[str, bytes]:
        """Send every request at once, then read the answers in order (a single round trip).

        The requests (41 bytes each) fit in the pipe, so git never waits on us while we
        write, and we read every answer before writing again: no deadlock.
        """
        stdin, stdout = _pipes(self._start())
        stdin.write(b"".join(oid.encode("ascii") + b"\n" for oid, _ in wanted))
        stdin.flush()
        answers: dict[str, bytes] = {}
        for oid, size in wanted:
            header = stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob" or int(header[2]) != size:
                raise OSError("unexpected answer from git cat-file")
            data = stdout.read(size)
            if len(data) != size or stdout.read(1) != b"\n":
                raise OSError("short read from git cat-file")
            answers[oid] = data
        return answers

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                self._git.command("cat-file", "--batch"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self._git.env,
                start_new_session=True,
            )
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        stdin, stdout = _pipes(proc)
        for stream in (stdin, stdout):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_group(proc)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._cache = {}
            self._stop()


def _pipes(proc: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout


class _TreeEntry(NamedTuple):
    mode: str
    kind: str  # blob | commit | tree
    oid: str
    path: str


class GitSource(SourceTree):
    """One commit of a git repository, read from its object database."""

    def __init__(
        self,
        git_dir: Path,
        rev: str | None,
        limits: Limits | None = None,
        *,
        location: str,
        owned_dir: Path | None = None,
        git: _Git | None = None,
        ref: str | None = None,
    ) -> None:
        super().__init__(limits)
        self._location = redact_url(location)
        # A clone left open by a careless caller is still removed when the source is collected.
        self._cleanup = (
            weakref.finalize(self, shutil.rmtree, owned_dir, True) if owned_dir else None
        )
        self._git = git or _Git(git_dir=git_dir, network=False)
        self._batch = _CatFileBatch(self._git)
        self._dirs: frozenset[str] | None = None
        self._plan: list[tuple[str, int]] = []
        try:
            self.commit, self._ref = self._resolve(rev, ref)
        except BaseException:
            self.close()
            raise

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(type="git", location=self._location, revision=self.commit, ref=self._ref)

    def _resolve(self, rev: str | None, ref: str | None) -> tuple[str, str | None]:
        where = f"git repository {self._location}"
        wanted = rev or "HEAD"
        if wanted.startswith("-") or any(ord(c) < 32 for c in wanted):
            raise SourceError(f"{where}: invalid revision {wanted!r}")
        found = self._git.run(
            "rev-parse",
            "--verify",
            "-q",
            "--end-of-options",
            f"{wanted}^{{commit}}",
            timeout=GIT_LOCAL_TIMEOUT_S,
        )
        if found.returncode == 0:
            commit = found.stdout.decode("ascii", "replace").strip()
            return commit, ref or self._ref_name(wanted)
        refs = self._git.run("for-each-ref", "--count=1", timeout=GIT_LOCAL_TIMEOUT_S)
        if refs.returncode != 0:
            raise SourceError(f"{where} cannot be read: {refs.message}")
        if not refs.stdout.strip():
            raise SourceError(f"{where} has no commits")
        if rev is None:
            raise SourceError(f"{where}: HEAD does not name a commit; pass --rev")
        raise SourceError(f"{where} has no revision {rev!r}")

    def _ref_name(self, wanted: str) -> str | None:
        named = self._git.run("rev-parse", "--symbolic-full-name", wanted, timeout=60)
        name = named.stdout.decode("utf-8", "replace").strip() if named.returncode == 0 else ""
        if name and "\n" not in name:
            return name
        return None if wanted == "HEAD" else wanted

    def walk(self) -> Iterator[SourceFile]:
        self.omitted.clear()
        self._dirs = None
        entries = self._list_tree()
        missing = self._missing_objects()
        budget = FileBudget(self.limits, self.omitted)
        venvs = venv_dirs_of([e.path for e in entries])
        by_path = {e.path: e for e in entries}
        accepted: list[_TreeEntry] = []
        for entry in entries:
            if in_skipped_dir(entry.path, venvs):
                continue
            if not budget.take(entry.path):
                break
            accepted.append(entry)
        sizes = self._blob_sizes(
            {e.oid for e in accepted if e.kind == "blob" and e.oid not in missing}
        )
        # The read plan: the blobs readers will ask for, in walk order, so each read can
        # prefetch the next ones. Symlink targets are appended when resolved.
        limit = self.limits.max_file_bytes
        self._plan = [
            (e.oid, sizes[e.oid])
            for e in accepted
            if e.kind == "blob" and e.mode != _MODE_SYMLINK and sizes.get(e.oid, limit + 1) <= limit
        ]
        planned = 0
        link_targets: dict[str, str | None] = {}
        for entry in accepted:
            if entry.kind == "commit":
                self.omitted.append(omitted("special-file", entry.path, "submodule"))
            elif entry.kind != "blob":
                self.omitted.append(omitted("special-file", entry.path, f"git {entry.kind}"))
            elif entry.oid in missing:
                detail = "blob not present in this (partial or incomplete) clone"
                self.omitted.append(omitted("missing-blob", entry.path, detail))
            elif entry.mode == _MODE_SYMLINK:
                target = self._follow(entry, by_path, sizes, missing, link_targets)
                if target is not None:
                    yield from self._file(entry.path, target, sizes, None)
            else:
                in_plan = sizes.get(entry.oid, limit + 1) <= limit
                yield from self._file(entry.path, entry, sizes, planned if in_plan else None)
                planned += in_plan

    def _file(
        self, path: str, blob: _TreeEntry, sizes: dict[str, int], index: int | None
    ) -> Iterator[SourceFile]:
        size = sizes.get(blob.oid)
        if size is None:
            self.omitted.append(omitted("missing-blob", path, "blob size unknown"))
        elif size > self.limits.max_file_bytes:
            detail = f"larger than {self.limits.max_file_bytes} bytes"
            self.omitted.append(omitted("too-large", path, detail, size))
        else:
            if index is None:
                self._plan.append((blob.oid, size))
                index = len(self._plan) - 1
            reader = _BlobReader(self._batch, self._plan, index, path)
            yield SourceFile(path=path, size=size, reader=reader, stamp=blob.oid)

    def _follow(
        self,
        link: _TreeEntry,
        by_path: dict[str, _TreeEntry],
        sizes: dict[str, int],
        missing: set[str],
        cache: dict[str, str | None],
    ) -> _TreeEntry | None:
        """The blob a symlink entry stands for, or None (and an omitted item) when unusable."""

        def target_of(path: str) -> str | None:
            if path not in cache:
                entry = by_path.get(path)
                cache[path] = None
                if entry is not None and entry.mode == _MODE_SYMLINK and entry.oid not in missing:
                    cache[path] = self._link_text(entry, sizes)
            return cache[path]

        outcome, resolved = resolve_in_tree(link.path, target_of)
        if outcome == "escape":
            self.omitted.append(omitted("symlink-escape", link.path, "points outside the root"))
            return None
        if outcome == "loop":
            self.omitted.append(omitted("symlink-loop", link.path, "symlink chain loops"))
            return None
        target = by_path.get(resolved)
        if target is not None and target.kind == "blob" and target.mode != _MODE_SYMLINK:
            if target.oid in missing:
                self.omitted.append(omitted("missing-blob", link.path, f"target {resolved}"))
                return None
            if target.oid not in sizes:
                sizes.update(self._blob_sizes({target.oid}))
            return target
        if target is None and (not resolved or resolved in self._directories(by_path)):
            detail = "symlink to a directory (not followed)"
            self.omitted.append(omitted("special-file", link.path, detail))
        else:
            self.omitted.append(omitted("unreadable", link.path, "dangling symlink"))
        return None

    def _directories(self, by_path: dict[str, _TreeEntry]) -> frozenset[str]:
        if self._dirs is None:
            self._dirs = frozenset(path[:cut] for path in by_path for cut in _slash_positions(path))
        return self._dirs

    def _link_text(self, entry: _TreeEntry, sizes: dict[str, int]) -> str | None:
        size = sizes.get(entry.oid)
        if size is None:
            size = self._blob_sizes({entry.oid}).get(entry.oid)
        if size is None or size > MAX_SYMLINK_TARGET_BYTES:
            return "/"  # unusable target: treated as escaping
        try:
            raw = self._batch.read(entry.oid, size, entry.path)
        except SourceReadError:
            return None  # reported as an unusable (dangling) link by the caller
        return decode_git_path(raw)

    def _list_tree(self) -> list[_TreeEntry]:
        # No --long: sizes of absent blobs would trigger a lazy fetch.
        listed = self._git.run(
            "ls-tree", "-r", "-z", "--full-tree", self.commit, timeout=GIT_LOCAL_TIMEOUT_S
        )
        if listed.returncode != 0:
            raise SourceError(
                f"git repository {self._location}: cannot list {self.commit[:12]}: {listed.message}"
            )
        entries: list[_TreeEntry] = []
        for record in listed.stdout.split(b"\0"):
            meta, tab, raw_path = record.partition(b"\t")
            fields = meta.split()
            if not tab or len(fields) != 3:
                continue
            path = decode_git_path(raw_path)
            mode, kind, oid = (f.decode("ascii", "replace") for f in fields)
            if any(part in ("", ".", "..") for part in path.split("/")):
                self.omitted.append(omitted("unreadable", path, "unsafe path name in git tree"))
                continue
            entries.append(_TreeEntry(mode, kind, oid, path))
        return entries

    def _missing_objects(self) -> set[str]:
        listed = self._git.run(
            "rev-list",
            "--objects",
            "--no-walk",
            "--missing=print",
            self.commit,
            timeout=GIT_LOCAL_TIMEOUT_S,
        )
        if listed.returncode != 0:
            raise SourceError(
                f"git repository {self._location}: cannot list objects of "
                f"{self.commit[:12]}: {listed.message}"
            )
        return {
            line[1:].decode("ascii", "replace").strip()
            for line in listed.stdout.splitlines()
            if line.startswith(b"?")
        }

    def _blob_sizes(self, oids: set[str]) -> dict[str, int]:
        if not oids:
            return {}
        request = "\n".join(sorted(oids)).encode("ascii") + b"\n"
        checked = self._git.run(
            "cat-file",
            "--batch-check=%(objectname) %(objectsize)",
            timeout=GIT_LOCAL_TIMEOUT_S,
            stdin=request,
        )
        if checked.returncode != 0:
            raise SourceError(
                f"git repository {self._location}: cannot read object sizes: {checked.message}"
            )
        sizes: dict[str, int] = {}
        for line in checked.stdout.splitlines():
            oid, _, size = line.decode("ascii", "replace").partition(" ")
            if size.isdigit():
                sizes[oid] = int(size)
        return sizes

    def close(self) -> None:
        self._batch.close()
        if self._cleanup is not None:
            self._cleanup()  # runs shutil.rmtree once


def _slash_positions(path: str) -> Iterator[int]:
    cut = path.find("/")
    while cut != -1:
        yield cut
        cut = path.find("/", cut + 1)


class _BlobReader:
    """The lazy reader of one blob; ``index`` is its place in the walk's read plan."""

    __slots__ = ("_batch", "_index", "_oid", "_path", "_plan", "_size")

    def __init__(
        self, batch: _CatFileBatch, plan: list[tuple[str, int]], index: int, path: str
    ) -> None:
        self._batch, self._plan, self._index, self._path = batch, plan, index, path
        self._oid, self._size = plan[index]

    def __call__(self) -> bytes:
        ahead = self._plan[self._index + 1 : self._index + 1 + _CatFileBatch.PREFETCH_COUNT]
        return self._batch.read(self._oid, self._size, self._path, ahead)


# --- Opening -----------------------------------------------------------------------------------


def open_git_repository(
    git_dir: Path, rev: str | None, limits: Limits, *, location: str
) -> GitSource:
    """A local repository: ``git_dir`` is a bare repository or a work tree's ``.git``."""
    return GitSource(git_dir, rev, limits, location=location)


def _split_credentials(url: str) -> tuple[str, str, str]:
    """``(url without password, user, password)``; only http(s) passwords are split off."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or parts.password is None:
        return url, parts.username or "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return (
        urlunsplit(parts._replace(netloc=netloc)),
        unquote(parts.username or ""),
        unquote(parts.password),
    )


def clone_remote(url: str, rev: str | None, limits: Limits, work_dir: Path | None) -> GitSource:
    """Fetch one commit of a remote repository into a private temporary bare repository.

    First a shallow partial fetch of just ``rev`` (``--depth 1 --filter=blob:limit=...``:
    blobs above the file limit stay on the server and later show up as 'missing-blob'). Servers
    that refuse to serve an arbitrary commit, or revisions such as ``main~2``, get a second try
    that fetches every branch and tag (still without large blobs) and resolves ``rev`` locally.
    Servers without filter support simply send everything.
    """
    shown = redact_url(url)
    bare_url, user, password = _split_credentials(url)
    secrets = tuple({password, user if not password else "", _quoted_password(url)} - {""})
    try:
        owned = Path(tempfile.mkdtemp(prefix="hyperscore-git-", dir=work_dir))
    except OSError as exc:
        raise SourceError(f"cannot clone {shown}: no temporary directory: {exc.strerror}") from None
    try:
        git_dir = owned / "repo.git"
        extra_env: dict[str, str] = {}
        extra_config: tuple[str, ...] = ()
        if password:
            extra_env = {"HYPERSCORE_GIT_USERNAME": user, "HYPERSCORE_GIT_PASSWORD": password}
            extra_config = ("-c", f"credential.helper={_ENV_CREDENTIAL_HELPER}")
        fetcher = _Git(
            git_dir=git_dir,
            network=True,
            secrets=secrets,
            extra_env=extra_env,
            extra_config=extra_config,
        )
        init = _Git(git_dir=None, network=False).run(
            "init", "-q", "--bare", str(git_dir), timeout=GIT_LOCAL_TIMEOUT_S
        )
        if init.returncode != 0:
            raise SourceError(f"cannot clone {shown}: {init.message}")
        resolved = _fetch(fetcher, bare_url, rev, limits, shown)
        reader = _Git(git_dir=git_dir, network=False, secrets=secrets)
        return GitSource(
            git_dir,
            resolved,
            limits,
            location=url,
            owned_dir=owned,
            git=reader,
            ref=rev or "HEAD",
        )
    except BaseException:
        shutil.rmtree(owned, ignore_errors=True)
        raise


def _quoted_password(url: str) -> str:
    """The password as written in the URL (percent-encoded), so messages cannot echo it."""
    netloc = urlsplit(url).netloc
    userinfo = netloc.rpartition("@")[0]
    return userinfo.partition(":")[2] if ":" in userinfo else ""


def _fetch(git: _Git, url: str, rev: str | None, limits: Limits, shown: str) -> str:
    """Fetch ``rev`` (or the default branch) and return a local name for its commit."""
    wanted = rev or "HEAD"
    filter_arg = f"--filter=blob:limit={max(limits.max_file_bytes, 0)}"
    quick = git.run(
        "fetch",
        "-q",
        "--no-tags",
        "--depth",
        "1",
        filter_arg,
        url,
        f"+{wanted}:refs/hyperscore/source",
        timeout=GIT_NETWORK_TIMEOUT_S,
    )
    if quick.returncode == 0:
        return "refs/hyperscore/source"
    if quick.returncode == 124:
        raise SourceError(f"cannot clone {shown}: {quick.message}")
    full = git.run(
        "fetch",
        "-q",
        "--tags",
        filter_arg,
        url,
        "+refs/heads/*:refs/heads/*",
        timeout=GIT_NETWORK_TIMEOUT_S,
    )
    if full.returncode != 0:
        raise SourceError(f"cannot clone {shown}: {full.message}")
    listed = git.run("for-each-ref", "--count=1", timeout=GIT_LOCAL_TIMEOUT_S)
    if not listed.stdout.strip():
        raise SourceError(f"git repository {shown} has no commits")
    # Let revisions such as HEAD~2 mean what they mean on the server.
    remote_head = git.run("ls-remote", "--symref", url, "HEAD", timeout=GIT_NETWORK_TIMEOUT_S)
    for line in remote_head.stdout.decode("utf-8", "replace").splitlines():
        target, _, name = line.partition("\t")
        if target.startswith("ref: refs/heads/") and name == "HEAD":
            git.run("symbolic-ref", "HEAD", target[5:], timeout=GIT_LOCAL_TIMEOUT_S)
    if rev is None:
        raise SourceError(f"cannot clone {shown}: {quick.message}")
    return rev
