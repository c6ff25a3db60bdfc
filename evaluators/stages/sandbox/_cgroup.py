"""A throw-away cgroup per sandboxed run: bounds the process count and memory of a whole tree.

Why: RLIMIT_NPROC is not enforced for processes whose real uid is 0 on the host (the kernel
exempts ``INIT_USER``), and bubblewrap run by root maps the sandbox user onto uid 0. When the
host runs us as root, a fork bomb is therefore only contained by a ``pids`` cgroup. Both the
v1 layout (``/sys/fs/cgroup/pids/...``) and the unified v2 layout are handled; ``None`` means
no writable pids controller, which the caller turns into "cannot sandbox" when it matters.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class Cgroup:
    """The per-run cgroup directories (one per controller on v1, one in all on v2)."""

    def __init__(
        self, pids_dir: Path, memory_dir: Path | None, v2: bool, cpu_dir: Path | None = None
    ) -> None:
        self.pids_dir = pids_dir
        self.memory_dir = memory_dir
        self.cpu_dir = cpu_dir
        self.v2 = v2

    @property
    def dirs(self) -> list[Path]:
        out = [self.pids_dir]
        for extra in (self.memory_dir, self.cpu_dir):
            if extra is not None and extra not in out:
                out.append(extra)
        return out

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid to in order to join (all controllers)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, max_processes: int, memory_bytes: int, root: Path = ROOT) -> Cgroup | None:
        """A fresh cgroup with ``pids.max`` (and a memory limit where possible), or None."""
        name = f"hyperscore-sandbox-{uuid.uuid4().hex[:12]}"
        try:
            if (root / "pids").is_dir():  # v1: one hierarchy per controller
                pids = root / "pids" / name
                pids.mkdir()
                (pids / "pids.max").write_text(str(max_processes))
                group = cls(pids, None, v2=False)
                try:
                    (root / "memory" / name).mkdir()
                    group.memory_dir = root / "memory" / name
                    (group.memory_dir / "memory.limit_in_bytes").write_text(str(memory_bytes))
                except OSError:
                    pass
                try:
                    (root / "cpuacct" / name).mkdir()
                    group.cpu_dir = root / "cpuacct" / name
                except OSError:
                    pass
                return group
            if "pids" in (root / "cgroup.controllers").read_text().split():  # v2
                controllers = (root / "cgroup.controllers").read_text().split()
                wanted = "+pids +memory" if "memory" in controllers else "+pids"
                (root / "cgroup.subtree_control").write_text(wanted)
                unified = root / name
                unified.mkdir()
                (unified / "pids.max").write_text(str(max_processes))
                try:
                    (unified / "memory.max").write_text(str(memory_bytes))
                    mem: Path | None = unified
                except OSError:
                    mem = None
                return cls(unified, mem, v2=True, cpu_dir=unified)
        except OSError:
            return None
        return None

    def peak_memory(self) -> int | None:
        """Peak memory of the whole tree in bytes, when the kernel reports it."""
        if self.memory_dir is None:
            return None
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory_dir / name).read_text().strip())
        except (OSError, ValueError):
            return None

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) of every process that ran in the group."""
        if self.cpu_dir is None:
            return None
        try:
            if not self.v2:
                return int((self.cpu_dir / "cpuacct.usage").read_text()) / 1e9
            for line in (self.cpu_dir / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            return None
        return None

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.pids_dir / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill_all(self) -> None:
        """SIGKILL every process left in the group (repeatedly: a fork bomb races us)."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill_all()
                    os.sched_yield()
