"""Where the engine runs: in the operator's process, or in a Ray actor (local or remote).

Every executor runs the same function, :func:`run_engine`, on the fetched project; they differ
only in where. The Ray executor keeps one long-lived actor, so the models it loads (the
Transformer's embeddings, the KB client, the GNN) are loaded once per actor, not per run.

Which Ray API, and why: ``ray.init(address=...)`` with the cluster's GCS address
(``host:6379``, e.g. the KubeRay head Service), which joins the cluster as a driver. Ray Client
(``ray://host:10001``) is accepted too -- ``ray.init`` takes both -- but it keeps every object
behind one gRPC proxy and drops the session on a network blip, and the Ray Jobs API submits
scripts, not calls that return values to a long-running driver. The operator and the cluster
must run the same Ray and Python versions either way. The project travels to the actor as a
.tar.gz in the call (the actor may be on another node), and every ``ray.get`` has our own
deadline: a lost worker turns into a failed run, never a hung operator.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hyperscore.evaluators.assessment import Assessment
from hyperscore.evaluators.fusion.apply import FusionState
from hyperscore.operator.controller.resources import source_archive

ACTOR_NAME = "hyperscore-scorer"
RAY_NAMESPACE = "hyperscore"
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024


class ExecutorError(Exception):
    """The engine could not run (timeout, lost actor); the message is one line."""


@dataclass(frozen=True)
class EngineRequest:
    semantic: bool
    stages: tuple[str, ...]
    timeout_s: float
    fusion: FusionState | None = None  # a ScoringPolicy's weights and calibration


@dataclass(frozen=True)
class EngineResult:
    assessment: Assessment
    commands: tuple[tuple[str, ...], ...]  # what the sandbox may run, first = preferred
    seconds: float


def run_engine(
    source: str, semantic: bool, stages: tuple[str, ...], fusion: FusionState | None = None
) -> dict[str, Any]:
    """Assess ``source`` (a directory or archive) and detect its runnable commands; returns
    plain JSON-able data so it crosses process and node boundaries unchanged."""
    from hyperscore.evaluators import pipeline
    from hyperscore.evaluators.decompose.context import DetectionContext
    from hyperscore.evaluators.stages.sandbox.commands import detect_commands

    started = time.monotonic()
    options = pipeline.Options(
        semantic=semantic, stages=stages, use_cache=True, fusion_state=fusion
    )
    assessment, ingest = pipeline.assess(source, options)
    commands = [list(c.argv) for c in detect_commands(DetectionContext(result=ingest, claims={}))]
    return {
        "assessment": assessment.to_json_dict(),
        "commands": commands,
        "seconds": time.monotonic() - started,
    }


def _result(data: dict[str, Any]) -> EngineResult:
    return EngineResult(
        assessment=Assessment.model_validate(data["assessment"]),
        commands=tuple(tuple(c) for c in data["commands"]),
        seconds=float(data["seconds"]),
    )


class Executor(Protocol):
    name: str

    def assess(self, directory: Path, request: EngineRequest) -> EngineResult: ...

    def close(self) -> None: ...


class InProcessExecutor:
    """The engine in a worker thread of the operator: no extra processes (tests, tiny installs).

    One engine run at a time: the logic stage uses z3's global context, which is not
    thread-safe (two concurrent runs crashed the operator with a segmentation fault). The Ray
    actor serialises its calls the same way; ``max_concurrent`` still bounds fetches and
    sandbox Jobs around the engine."""

    name = "in-process"
    _engine_lock = threading.Lock()

    def assess(self, directory: Path, request: EngineRequest) -> EngineResult:
        with self._engine_lock:
            return self._assess(directory, request)

    def _assess(self, directory: Path, request: EngineRequest) -> EngineResult:
        return _result(run_engine(str(directory), request.semantic, request.stages, request.fusion))

    def close(self) -> None:
        """Nothing to release."""


def _assess_archive(
    archive: bytes, semantic: bool, stages: tuple[str, ...], fusion: FusionState | None = None
) -> dict[str, Any]:
    """Inside the actor: the archive is read by the engine's archive reader (never extracted)."""
    with tempfile.TemporaryDirectory(prefix="hyperscore-ray-") as tmp:
        path = Path(tmp) / "source.tar.gz"
        path.write_bytes(archive)
        return run_engine(str(path), semantic, stages, fusion)


class _ScoringActor:
    """One long-lived process holding the loaded models; runs one assessment at a time per
    call (Ray queues calls to an actor)."""

    def assess(
        self,
        archive: bytes,
        semantic: bool,
        stages: tuple[str, ...],
        fusion: FusionState | None = None,
    ) -> dict[str, Any]:
        return _assess_archive(archive, semantic, stages, fusion)

    def ping(self) -> str:
        return "pong"


class RayExecutor:
    """The engine in a Ray actor: ``address=None`` starts a local Ray inside the operator's Pod,
    otherwise joins the cluster at ``address``. The actor asks for a GPU only when the cluster
    has one."""

    name = "ray"

    def __init__(self, address: str | None, *, num_cpus: int = 1, timeout_s: float = 120.0):
        import ray

        self._ray: Any = ray  # untyped in places (cluster_resources, the remote proxies)
        self.address = address
        self._lock = threading.Lock()
        self._actor: Any = None
        kwargs: dict[str, Any] = {
            "namespace": RAY_NAMESPACE,
            "ignore_reinit_error": True,
            "log_to_driver": False,
        }
        if address:
            kwargs["address"] = address
        else:
            kwargs.update(num_cpus=num_cpus, include_dashboard=False)
        try:
            self._ray.init(**kwargs)
            self.gpus = float(self._ray.cluster_resources().get("GPU", 0))
            self._ensure_actor(timeout_s)
        except Exception as exc:
            raise ExecutorError(f"cannot start Ray ({address or 'local'}): {_line(exc)}") from None

    def _ensure_actor(self, timeout_s: float) -> Any:
        with self._lock:
            if self._actor is None:
                options: dict[str, Any] = {
                    "name": ACTOR_NAME,
                    "get_if_exists": True,
                    "max_restarts": 1,
                    "num_cpus": 1,
                    "num_gpus": 1 if self.gpus >= 1 else 0,
                }
                actor_class = self._ray.remote(_ScoringActor)
                actor = actor_class.options(**options).remote()
                self._ray.get(actor.ping.remote(), timeout=timeout_s)
                self._actor = actor
            return self._actor

    def assess(self, directory: Path, request: EngineRequest) -> EngineResult:
        archive = source_archive(directory, max_bytes=MAX_ARCHIVE_BYTES)
        ray = self._ray
        try:
            actor = self._ensure_actor(request.timeout_s)
            ref = actor.assess.remote(archive, request.semantic, request.stages, request.fusion)
        except Exception as exc:
            self._actor = None
            raise ExecutorError(f"Ray actor unavailable: {_line(exc)}") from None
        try:
            return _result(ray.get(ref, timeout=request.timeout_s))
        except ray.exceptions.GetTimeoutError:
            ray.cancel(ref, force=True)
            raise ExecutorError(
                f"the Ray run exceeded its {request.timeout_s:.0f}s deadline"
            ) from None
        except ray.exceptions.RayError as exc:
            self._actor = None  # a dead actor is replaced on the next run
            raise ExecutorError(f"the Ray run failed: {_line(exc)}") from None

    def close(self) -> None:
        """Leave a remote cluster's actor for the next operator; stop a local Ray."""
        if self._ray.is_initialized():
            if not self.address and self._actor is not None:
                self._ray.kill(self._actor)
            self._ray.shutdown()


def _line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{exc.__class__.__name__}: {text[:300]}"


def make_executor(kind: str, address: str | None, num_cpus: int, timeout_s: float) -> Executor:
    if kind == "in-process":
        return InProcessExecutor()
    return RayExecutor(address, num_cpus=num_cpus, timeout_s=timeout_s)
