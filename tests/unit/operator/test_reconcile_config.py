"""Operator settings: flags become environment variables, and a bad value is one line and exit
code 2 before anything starts (no traceback, no cluster needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperscore.operator.cli import main
from hyperscore.operator.controller.config import ConfigError, OperatorConfig


def test_defaults_and_environment() -> None:
    assert OperatorConfig.from_env({}) == OperatorConfig()
    config = OperatorConfig.from_env(
        {
            "HYPERSCORE_EXECUTOR": "in-process",
            "HYPERSCORE_RAY_ADDRESS": "ray-head:6379",
            "HYPERSCORE_RECONCILE_SECONDS": "2.5",
            "HYPERSCORE_MAX_CONCURRENT": "4",
            "HYPERSCORE_METRICS_PORT": "9090",
            "HYPERSCORE_PVC_ROOT": "/volumes",
        }
    )
    assert (config.executor, config.ray_address, config.reconcile_seconds) == (
        "in-process",
        "ray-head:6379",
        2.5,
    )
    assert (config.max_concurrent, config.metrics_port, config.pvc_root) == (
        4,
        9090,
        Path("/volumes"),
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HYPERSCORE_EXECUTOR": "spark"}, "HYPERSCORE_EXECUTOR must be one of ray, in-process"),
        ({"HYPERSCORE_MAX_CONCURRENT": "two"}, "HYPERSCORE_MAX_CONCURRENT='two' is not a number"),
        ({"HYPERSCORE_RECONCILE_SECONDS": "0"}, "must be positive"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        OperatorConfig.from_env(env)


def test_cli_refuses_bad_input_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["operator", "run", "--reconcile-seconds", "0"]) == 2
    assert "--reconcile-seconds: 0 is not positive" in capsys.readouterr().err
    monkeypatch.delenv("HYPERSCORE_EXECUTOR", raising=False)  # restored: the command sets it
    monkeypatch.setenv("HYPERSCORE_RUN_TIMEOUT_SECONDS", "soon")
    assert main(["operator", "run", "--executor", "in-process"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "hyperscore: error: HYPERSCORE_RUN_TIMEOUT_SECONDS='soon' is not a number"
    assert main(["operator", "run", "-n", "a", "--all-namespaces"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
