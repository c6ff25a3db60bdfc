"""Resource limits of one sandboxed run, shared by the local and the Kubernetes backends.

One value object so the same numbers bound a bubblewrap run on a laptop and a Job in a
cluster; the defaults are sized for a small project's unit tests, not for training.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class SandboxLimits:
    """Upper bounds of one run. Every field must be positive.

    ``cpu_seconds`` bounds each process's CPU time (RLIMIT_CPU), ``wall_seconds`` the whole run
    (the sandbox is killed at the deadline), ``memory_bytes`` the address space of each process
    (RLIMIT_AS) and, where a memory cgroup is writable, the run as a whole.
    ``max_processes`` bounds the tasks alive at once (pids cgroup, or RLIMIT_NPROC inside the
    user namespace), ``max_output_bytes`` the captured stdout+stderr (the rest is dropped),
    ``max_file_bytes`` the size of any file written (RLIMIT_FSIZE).
    """

    cpu_seconds: int = 120
    wall_seconds: float = 300.0
    memory_bytes: int = 2 * GiB
    max_processes: int = 128
    max_output_bytes: int = 1 * MiB
    max_file_bytes: int = 256 * MiB

    def __post_init__(self) -> None:
        for name in (
            "cpu_seconds",
            "wall_seconds",
            "memory_bytes",
            "max_processes",
            "max_output_bytes",
            "max_file_bytes",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"SandboxLimits.{name} must be positive")

    def prlimit_args(self) -> list[str]:
        """``prlimit`` options applying the per-process limits (soft = hard: not raisable)."""
        cpu = max(1, int(self.cpu_seconds))
        return [
            f"--cpu={cpu}:{cpu}",
            f"--as={self.memory_bytes}:{self.memory_bytes}",
            f"--nproc={self.max_processes}:{self.max_processes}",
            f"--fsize={self.max_file_bytes}:{self.max_file_bytes}",
            "--core=0:0",
        ]
