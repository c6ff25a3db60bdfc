"""Start and stop what the controller needs: kopf settings, the API client, the executor and
the metrics server. Shared by ``hyperscore operator run`` and ``kopf run -m ...handlers``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import kopf

from hyperscore.operator import metrics
from hyperscore.operator.controller.config import OperatorConfig
from hyperscore.operator.controller.controller import Controller
from hyperscore.operator.controller.executors import ExecutorError, make_executor
from hyperscore.operator.controller.kube import Kube

ANNOTATION_PREFIX = "hyperscore.dev"


def configure(settings: kopf.OperatorSettings) -> None:
    """kopf's own bookkeeping in annotations under our prefix: the status schema is structural
    and would prune kopf's default ``status.kopf``, making kopf re-run handlers forever."""
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix=ANNOTATION_PREFIX
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"{ANNOTATION_PREFIX}/finalizer"
    settings.peering.standalone = True  # one replica, Recreate: no peering objects needed
    settings.posting.level = logging.WARNING  # events for warnings; the controller posts its own


def api_client() -> Any:
    """In-cluster credentials (the ServiceAccount token) when in a Pod, else the kubeconfig."""
    from kubernetes import client, config

    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


@dataclass
class Runtime:
    controller: Controller
    metrics_server: metrics.MetricsServer | None


def start(
    config: OperatorConfig,
    settings: kopf.OperatorSettings,
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> Runtime:
    """Configure kopf, start the executor (a local Ray takes seconds) and the metrics server.
    A failure is one line (kopf.PermanentError ends the operator without a traceback)."""
    configure(settings)
    try:
        executor = make_executor(
            config.executor, config.ray_address, config.ray_num_cpus, config.run_timeout_s
        )
    except ExecutorError as exc:
        raise kopf.PermanentError(str(exc)) from None
    logger.info(f"engine executor: {executor.name}")
    server = None
    if config.metrics_port is not None:
        server = metrics.start_server(config.metrics_port)
    return Runtime(Controller(config, executor, Kube(api_client())), server)


def stop(runtime: Runtime | None) -> None:
    if runtime is not None:
        runtime.controller.executor.close()
        if runtime.metrics_server is not None:
            runtime.metrics_server.shutdown()
            runtime.metrics_server.server_close()
