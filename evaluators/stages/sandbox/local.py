"""The local sandbox backend: bubblewrap namespaces, rlimits and a per-run cgroup.

Isolation model (docs/sandbox.md has the long form):

* ``bwrap --unshare-all``: new user, pid, net, ipc, uts and cgroup namespaces. The network
  namespace has only a down loopback, so nothing inside reaches the host or the internet.
* The project is *copied* first. The copy is bound read-only at ``/src``; a second, writable
  copy is ``/work`` (the working directory and ``$HOME``). ``/tmp`` is a private tmpfs; the
  sandbox root is remounted read-only, so writes anywhere else fail. Only ``/usr`` (and the
  merged-usr links), and the prefixes of the Python that runs the tests, are visible -- no
  ``/etc``, no ``/home``, no host ``/tmp``.
* ``--clearenv``: the environment is exactly PATH, HOME, LANG, TMPDIR -- no host secrets.
* Per-process limits via ``prlimit`` (CPU seconds, address space, processes, file size, no
  core dumps); a wall-clock deadline kills the whole tree; output is truncated.
* The sandbox user is uid 65534. RLIMIT_NPROC is not enforced for host uid 0, so when we run
  as root a ``pids`` cgroup bounds the tree instead; without one we refuse
  (:class:`SandboxUnavailable`) rather than run a fork bomb unbounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hyperscore.evaluators.stages.sandbox._cgroup import Cgroup
from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits

# Directories never copied into the sandbox (VCS data, environments, caches) and never hashed
# as "produced" (interpreter caches differ between runs without meaning anything).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".dvc",
    }
)
MAX_COPY_BYTES = 512 * 1024 * 1024
# Inside the sandbox /tmp is a private tmpfs, not the host's shared /tmp.
SANDBOX_TMP = "/tmp"  # noqa: S108


class SandboxUnavailable(RuntimeError):
    """The host cannot isolate a run; the message says why in one line."""


@dataclass(frozen=True)
class RunOutcome:
    """What one sandboxed run did. ``exit_code`` is negative when killed by a signal."""

    command: tuple[str, ...]
    exit_code: int
    timed_out: bool
    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int
    stdout: str
    stderr: str
    output_truncated: bool
    isolated: bool
    produced: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _python_prefixes() -> list[str]:
    """The host Python that runs the tests inside: its venv and its base installation."""
    out: list[str] = []
    for p in (sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)):
        real = str(Path(p).resolve())
        for cand in (p, real):
            if cand not in out and not cand.startswith("/usr/") and cand != "/usr":
                out.append(cand)
    return out


def _copy_tree(src: Path, dst: Path) -> None:
    total = 0

    def ignore(directory: str, names: list[str]) -> set[str]:
        nonlocal total
        skipped = {n for n in names if n in SKIP_DIRS}
        for n in names:
            if n not in skipped:
                try:
                    total += os.lstat(os.path.join(directory, n)).st_size
                except OSError:
                    continue
        if total > MAX_COPY_BYTES:
            raise SandboxUnavailable(f"project larger than {MAX_COPY_BYTES} bytes; not copied")
        return skipped

    shutil.copytree(src, dst, symlinks=True, ignore=ignore)


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root`` (relative POSIX paths), caches skipped."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink() or not path.is_file() or name.endswith(".pyc"):
                continue
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 16), b""):
                    digest.update(chunk)
            out[path.relative_to(root).as_posix()] = digest.hexdigest()
    return out


class _Capture:
    """Drains a pipe in a thread, keeping at most the shared byte budget."""

    def __init__(self, stream: object, budget: list[int], lock: threading.Lock) -> None:
        self.chunks: list[bytes] = []
        self.truncated = False
        self._stream = stream
        self._budget = budget
        self._lock = lock
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        read = self._stream.read1  # type: ignore[attr-defined]
        while chunk := read(65536):
            with self._lock:
                room = self._budget[0]
                keep = chunk[: max(room, 0)]
                self._budget[0] -= len(keep)
            self.chunks.append(keep)
            if len(keep) < len(chunk):
                self.truncated = True

    def text(self) -> str:
        self.thread.join(timeout=5)
        return b"".join(self.chunks).decode("utf-8", "replace")


class LocalSandbox:
    """Runs commands on a copy of a project inside bubblewrap, within :class:`SandboxLimits`.

    ``allow_unsafe``: when the host cannot sandbox, run anyway *without* isolation (copy,
    cleared environment and rlimits only). Never the default: the caller must ask for it.
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        allow_unsafe: bool = False,
        ro_binds: Sequence[str] | None = None,
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.allow_unsafe = allow_unsafe
        self.ro_binds = list(ro_binds) if ro_binds is not None else _python_prefixes()
        self._problem: str | None = None
        self._checked = False

    # -- availability -------------------------------------------------------------------
    def problem(self) -> str | None:
        """Why this host cannot sandbox (one line), or None when it can. Cached."""
        if not self._checked:
            self._problem = self._probe()
            self._checked = True
        return self._problem

    def check(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise SandboxUnavailable(problem)

    def _probe(self) -> str | None:
        for tool in ("bwrap", "prlimit"):
            if shutil.which(tool) is None:
                return (
                    f"cannot sandbox: '{tool}' not found (install bubblewrap and "
                    "util-linux, or pass the explicit unsafe flag)"
                )
        if os.geteuid() == 0:
            group = Cgroup.create(self.limits.max_processes, self.limits.memory_bytes)
            if group is None:
                return (
                    "cannot sandbox: running as root without a writable pids cgroup, so "
                    "a fork bomb could not be contained; run as an unprivileged user"
                )
            group.remove()
        with tempfile.TemporaryDirectory(prefix="hs-probe-") as tmp:
            argv = self._bwrap_argv(Path(tmp), Path(tmp), ["/bin/sh", "-c", "exit 0"], {})
            try:
                done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"cannot sandbox: bubblewrap failed to start ({exc})"
            if done.returncode != 0:
                why = done.stderr.decode("utf-8", "replace").strip().splitlines()
                return (
                    "cannot sandbox: bubblewrap cannot create namespaces here ("
                    + (why[-1] if why else f"exit {done.returncode}")
                    + ")"
                )
        return None

    # -- command lines ------------------------------------------------------------------
    def _env(self, extra: Mapping[str, str]) -> dict[str, str]:
        path = [f"{p}/bin" for p in self.ro_binds] + ["/usr/local/bin", "/usr/bin", "/bin"]
        env = {
            "PATH": ":".join(path),
            "HOME": "/work",
            "LANG": "C.UTF-8",
            "TMPDIR": SANDBOX_TMP,
            "USER": "sandbox",
            "LOGNAME": "sandbox",
        }
        env.update(extra)
        return env

    def _bwrap_argv(
        self, src: Path, work: Path, command: Sequence[str], env: Mapping[str, str]
    ) -> list[str]:
        argv = [
            "bwrap",
            "--unshare-all",
            "--unshare-user",
            "--uid",
            "65534",
            "--gid",
            "65534",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
            if os.path.islink(top):
                argv += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                argv += ["--ro-bind", top, top]
        for prefix in self.ro_binds:
            if os.path.isdir(prefix):
                argv += ["--ro-bind", prefix, prefix]
        argv += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            SANDBOX_TMP,
            "--ro-bind",
            str(src),
            "/src",
            "--bind",
            str(work),
            "/work",
            "--remount-ro",
            "/",
            "--chdir",
            "/work",
        ]
        for key, value in self._env(env).items():
            argv += ["--setenv", key, value]
        prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
        return [*argv, "--", prlimit, *self.limits.prlimit_args(), "--", *command]

    # -- running ------------------------------------------------------------------------
    def run(
        self, source: Path, command: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> RunOutcome:
        """Run ``command`` in a fresh sandbox holding a copy of ``source``.

        Raises :class:`SandboxUnavailable` when the host cannot isolate and unsafe runs were
        not explicitly allowed.
        """
        problem = self.problem()
        if problem is not None and not self.allow_unsafe:
            raise SandboxUnavailable(problem)
        with tempfile.TemporaryDirectory(prefix="hs-sandbox-") as tmp:
            src, work = Path(tmp, "src"), Path(tmp, "work")
            _copy_tree(Path(source), src)
            _copy_tree(Path(source), work)
            before = hash_tree(work)
            isolated = problem is None
            if isolated:
                argv = self._bwrap_argv(src, work, command, env or {})
            else:
                argv = [
                    shutil.which("prlimit") or "prlimit",
                    *self.limits.prlimit_args(),
                    "--",
                    *command,
                ]
            outcome = self._execute(argv, tuple(command), work, env, isolated)
            after = hash_tree(work)
            produced = {p: h for p, h in after.items() if before.get(p) != h}
            return RunOutcome(**{**outcome.__dict__, "produced": produced})

    def _execute(
        self,
        argv: list[str],
        command: tuple[str, ...],
        work: Path,
        env: Mapping[str, str] | None,
        isolated: bool,
    ) -> RunOutcome:
        group = (
            Cgroup.create(self.limits.max_processes, self.limits.memory_bytes)
            if os.geteuid() == 0
            else None
        )
        if group is not None:  # join the cgroup before exec, so no child escapes it
            script = (
                'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; '
                'shift; n=$((n-1)); done; exec "$@"'
            )
            argv = [
                "/bin/sh",
                "-c",
                script,
                "sh",
                str(len(group.procs_files)),
                *group.procs_files,
                *argv,
            ]
        host_env = self._env(env or {}) if not isolated else {"PATH": "/usr/bin:/bin"}
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=host_env,
            cwd=work,
            start_new_session=True,
        )
        budget, lock = [self.limits.max_output_bytes], threading.Lock()
        out = _Capture(proc.stdout, budget, lock)
        err = _Capture(proc.stderr, budget, lock)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            if group is not None:
                group.kill_all()

        timer = threading.Timer(self.limits.wall_seconds, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            proc.returncode = 0  # reaped by wait4; stop Popen from waiting again
        wall = time.perf_counter() - started
        peak = int(usage.ru_maxrss) * 1024
        cpu = usage.ru_utime + usage.ru_stime
        if group is not None:  # the cgroup sees the whole tree; rusage only waited children
            peak = max(peak, group.peak_memory() or 0)
            cpu = max(cpu, group.cpu_seconds() or 0.0)
            group.remove()
        stdout, stderr = out.text(), err.text()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        return RunOutcome(
            command=command,
            exit_code=os.waitstatus_to_exitcode(status),
            timed_out=timed_out.is_set(),
            wall_seconds=round(wall, 4),
            cpu_seconds=round(cpu, 4),
            peak_memory_bytes=peak,
            stdout=stdout,
            stderr=stderr,
            output_truncated=out.truncated or err.truncated,
            isolated=isolated,
        )
