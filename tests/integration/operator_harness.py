"""What the operator's integration tests share: the operator as a subprocess
(``hyperscore operator run``, in-process engine, debug log in a file), the CRDs fixture and
small kubectl helpers. Used by test_operator.py and test_operator_feedback.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .controlplane import ControlPlane

ROOT = Path(__file__).resolve().parents[2]
RECONCILE_SECONDS = "1"
NO_MODELS = {"semantic": {"enabled": False}, "novelty": {"enabled": False}}
TINY_PROJECT = {
    "README.md": "# Tiny model\nTrains a logistic regression on data/train.csv.\n",
    "train.py": "import mlflow\nmlflow.autolog()\n",
    "requirements.txt": "mlflow==2.17.0\nscikit-learn==1.5.2\n",
}


class Operator:
    """``hyperscore operator run`` as a subprocess in its own process group, logging to a file."""

    def __init__(self, cp: ControlPlane, log: Path, *args: str, env: dict[str, str] | None = None):
        self.cp, self.log_path = cp, log
        self.command = [sys.executable, "-m", "hyperscore.operator", "operator", "run", *args]
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Operator:
        env = self.cp.env(
            {
                "HYPERSCORE_CACHE_DIR": str(self.log_path.parent / "cache"),
                "PYTHONUNBUFFERED": "1",
                **self.env,
            }
        )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, like a node failure."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None


def start_operator(
    cp: ControlPlane, tmp: Path, *args: str, env: dict[str, str] | None = None
) -> Operator:
    return Operator(
        cp,
        tmp / "operator.log",
        "--executor",
        "in-process",
        "--reconcile-seconds",
        RECONCILE_SECONDS,
        "--log-level",
        "debug",
        *args,
        env=env,
    ).start()


CRD_NAMES = ("maturityassessments", "maturityreviews", "scoringpolicies")


def install_crds(control_plane: ControlPlane) -> ControlPlane:
    """Apply the generated CRDs (server-side) and wait until all three kinds are served."""
    control_plane.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    control_plane.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        *(f"crd/{plural}.hyperscore.dev" for plural in CRD_NAMES),
    )
    return control_plane


# --------------------------------------------------------------------------- helpers


def apply(
    cp: ControlPlane, namespace: str, *objects: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    return cp.kubectl(
        "apply", "-n", namespace, "-f", "-", input=yaml.safe_dump_all(objects), check=False
    )


def config_map(name: str, files: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": files}


def assessment(name: str, source: dict[str, Any], **spec: Any) -> dict[str, Any]:
    spec.setdefault("stages", NO_MODELS)
    return {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "MaturityAssessment",
        "metadata": {"name": name},
        "spec": {"source": source, **spec},
    }


def get(cp: ControlPlane, namespace: str, *what: str) -> dict[str, Any]:
    return json.loads(cp.kubectl("get", "-n", namespace, *what, "-o", "json").stdout)  # type: ignore[no-any-return]


def conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 90.0, operator: Operator | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = "\n".join(operator.log().splitlines()[-40:]) if operator else ""
            raise AssertionError(f"timed out waiting for {what}\n--- operator log tail:\n{tail}")
        time.sleep(0.5)


def wait_scored(
    cp: ControlPlane,
    namespace: str,
    name: str,
    operator: Operator,
    *,
    run: int = 1,
    after: str = "",
    timeout: float = 120,
) -> dict[str, Any]:
    """Wait until run ``run`` has completed and its whole status has been written: the run
    annotation, then the status fields (``lastScoredTime`` later than ``after``), then the
    conditions (Ready for the current generation) are separate writes."""

    def done() -> dict[str, Any] | None:
        obj = get(cp, namespace, "ma", name)
        annotations = obj["metadata"].get("annotations", {})
        status = obj.get("status", {})
        ready = conditions(obj).get("Ready", {})
        generation = obj["metadata"]["generation"]
        complete = (
            int(annotations.get("hyperscore.dev/completed-run", "0")) >= run
            and status.get("observedGeneration") == generation
            and status.get("lastScoredTime", "") > after
            and ready.get("status") == "True"
            and ready.get("observedGeneration") == generation
        )
        return obj if complete else None

    return wait_for(f"{namespace}/{name} run {run} scored", done, timeout, operator)  # type: ignore[no-any-return]


def series(operator: Operator, metric: str, namespace: str, name: str) -> list[str]:
    """The operator's /metrics lines of ``metric`` for one assessment."""
    import urllib.request

    port = operator.command[operator.command.index("--metrics-port") + 1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    labels = (f'name="{name}"', f'namespace="{namespace}"')
    return [
        line
        for line in text.splitlines()
        if line.startswith(metric + "{") and all(label in line for label in labels)
    ]


def report_of(cp: ControlPlane, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    ref = obj["status"]["report"]
    text = "".join(
        get(cp, namespace, "configmap", cm)["data"][ref["key"]] for cm in ref["configMaps"]
    )
    return json.loads(text)  # type: ignore[no-any-return]
