"""The six isolation proofs of the local sandbox, each against a real bubblewrap run."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from hyperscore.evaluators.stages.sandbox.limits import MiB, SandboxLimits
from hyperscore.evaluators.stages.sandbox.local import LocalSandbox, SandboxUnavailable
from tests.unit.stages.test_sandbox_stage import sandbox_required

LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=20, memory_bytes=512 * MiB, max_processes=32)
_BOX = LocalSandbox(LIMITS)
pytestmark = sandbox_required(_BOX)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "data.txt").write_text("original\n")
    return root


def py(code: str) -> list[str]:
    return ["python", "-c", code]


def test_a_benign_run_succeeds_and_reports_resources(project: Path) -> None:
    out = _BOX.run(project, py("print(open('data.txt').read().strip())"))
    assert out.ok and out.isolated
    assert out.stdout.strip() == "original"
    assert out.wall_seconds > 0 and out.peak_memory_bytes > 1 * MiB


def test_loopback_listener_outside_is_unreachable(project: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted: list[bool] = []

    def accept() -> None:
        server.settimeout(15)
        try:
            server.accept()
            accepted.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    code = (
        f"import socket\ntry:\n socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
        " print('CONNECTED')\nexcept OSError as e:\n print('refused', e)\n"
    )
    out = _BOX.run(project, py(code))
    server.close()
    thread.join(timeout=20)
    assert "refused" in out.stdout and "CONNECTED" not in out.stdout
    assert not accepted
    # the same code outside the sandbox does connect: the listener was really there
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    probe.listen(1)
    socket.create_connection(probe.getsockname(), timeout=3).close()
    probe.close()


def test_infinite_loop_is_killed_at_the_cpu_limit(project: Path) -> None:
    started = time.perf_counter()
    out = _BOX.run(project, py("while True: pass"))
    assert not out.ok and out.exit_code != 0
    assert 1.5 <= out.cpu_seconds <= 4.0
    assert time.perf_counter() - started < LIMITS.wall_seconds


def test_wall_clock_limit_kills_a_sleeping_run(project: Path) -> None:
    box = LocalSandbox(SandboxLimits(wall_seconds=2, max_processes=32))
    out = box.run(project, py("import time; time.sleep(60)"))
    assert out.timed_out and not out.ok and out.wall_seconds < 15


def test_allocating_10_gb_fails_under_512_mb(project: Path) -> None:
    out = _BOX.run(project, py("b = bytearray(10 * 1024**3); print('ALLOCATED')"))
    assert not out.ok and "ALLOCATED" not in out.stdout
    assert "MemoryError" in out.stderr


def test_fork_bomb_is_contained(project: Path) -> None:
    started = time.perf_counter()
    out = _BOX.run(project, ["/bin/sh", "-c", "f() { f | f & }; f; sleep 2; echo survived"])
    assert time.perf_counter() - started < LIMITS.wall_seconds
    assert "fork" in out.stderr.lower()  # forks were refused at the limit
    # the host is unaffected: it can still start processes, and no sandbox process is left
    assert _BOX.run(project, py("print('ok')")).stdout.strip() == "ok"
    assert os.system("true") == 0


@pytest.mark.parametrize("target", ["/etc/hyperscore-probe", "/src/data.txt", "/probe"])
def test_writes_outside_the_work_dir_fail(project: Path, target: str) -> None:
    code = f"open({target!r}, 'w').write('x')"
    out = _BOX.run(project, py(code))
    assert not out.ok and ("Read-only" in out.stderr or "No such file" in out.stderr)
    assert (project / "data.txt").read_text() == "original\n"  # the host copy untouched


def test_writes_to_the_work_dir_succeed_and_are_reported(project: Path) -> None:
    out = _BOX.run(project, py("open('result.bin', 'wb').write(b'abc')"))
    assert out.ok and set(out.produced) == {"result.bin"}
    assert not (project / "result.bin").exists()  # the host copy untouched


def test_host_environment_is_not_visible(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERSCORE_SECRET_TOKEN", "s3cr3t")
    out = _BOX.run(project, py("import os; print(sorted(os.environ)); print(dict(os.environ))"))
    assert out.ok
    assert "HYPERSCORE_SECRET_TOKEN" not in out.stdout and "s3cr3t" not in out.stdout


def test_output_is_truncated(project: Path) -> None:
    box = LocalSandbox(SandboxLimits(max_output_bytes=1000, max_processes=32))
    out = box.run(project, py("print('x' * 100000)"))
    assert out.output_truncated and len(out.stdout) <= 1000


def test_missing_bubblewrap_refuses_unless_unsafe(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    box = LocalSandbox(LIMITS)
    assert "bwrap" in str(box.problem())
    with pytest.raises(SandboxUnavailable, match="cannot sandbox"):
        box.run(project, ["/bin/true"])
