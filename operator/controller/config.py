"""The operator's settings, read from the environment so that ``hyperscore operator run`` and a
plain ``kopf run -m hyperscore.operator.controller.handlers`` configure it the same way (the CLI
only turns its flags into these variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T", int, float)

EXECUTORS = ("ray", "in-process")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class OperatorConfig:
    executor: str = "ray"
    ray_address: str | None = None
    ray_num_cpus: int = 1
    reconcile_seconds: float = 10.0
    max_concurrent: int = 2
    run_timeout_s: float = 900.0
    sandbox_image: str = "ghcr.io/hyperscore/hyperscore:0.1.0"
    metrics_port: int | None = None
    pvc_root: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OperatorConfig:
        env = os.environ if env is None else env
        executor = env.get("HYPERSCORE_EXECUTOR", "ray")
        if executor not in EXECUTORS:
            raise ConfigError(f"HYPERSCORE_EXECUTOR must be one of {', '.join(EXECUTORS)}")
        port = env.get("HYPERSCORE_METRICS_PORT")
        pvc_root = env.get("HYPERSCORE_PVC_ROOT")
        return cls(
            executor=executor,
            ray_address=env.get("HYPERSCORE_RAY_ADDRESS") or None,
            ray_num_cpus=_number(env, "HYPERSCORE_RAY_NUM_CPUS", 1, int),
            reconcile_seconds=_number(env, "HYPERSCORE_RECONCILE_SECONDS", 10.0, float),
            max_concurrent=_number(env, "HYPERSCORE_MAX_CONCURRENT", 2, int),
            run_timeout_s=_number(env, "HYPERSCORE_RUN_TIMEOUT_SECONDS", 900.0, float),
            sandbox_image=env.get("HYPERSCORE_SANDBOX_IMAGE") or cls.sandbox_image,
            metrics_port=None if not port else _number(env, "HYPERSCORE_METRICS_PORT", 0, int),
            pvc_root=Path(pvc_root) if pvc_root else None,
        )


def _number(env: Mapping[str, str], key: str, default: T, kind: type[T]) -> T:
    text = env.get(key)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{key}={text!r} is not a number") from None
    if value <= 0 and key != "HYPERSCORE_METRICS_PORT":
        raise ConfigError(f"{key} must be positive, not {text}")
    return value
