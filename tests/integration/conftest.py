"""Fixtures for tests against a real control plane (etcd + kube-apiserver + controller manager).

- ``k8s_bin_dir`` (session): the directory of the binaries ``make k8s-bins`` built; the test
  FAILS, with a message saying how to build them, when they are missing.
- ``control_plane`` (session): a running :class:`ControlPlane`, torn down after the session.
- ``kubeconfig`` (session): path of its admin kubeconfig (client certificate, O=system:masters).
- ``api_client`` (session): a ``kubernetes.client.ApiClient`` for that admin.
- ``namespace`` (function): a fresh namespace per test, deleted afterwards.
- ``helm`` (session): path of the helm binary.

Tests that use ``control_plane`` (directly or through the fixtures above) are marked ``cluster``
automatically; mark them explicitly too.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from .controlplane import (
    BinariesMissingError,
    ControlPlane,
    find_bin_dir,
    find_helm,
)

CLUSTER_FIXTURES = {"control_plane", "kubeconfig", "api_client", "namespace"}
_startup: dict[str, Any] = {}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CLUSTER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.cluster)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "seconds" in _startup:
        terminalreporter.write_line(
            f"control plane: started in {_startup['seconds']:.1f}s "
            f"(ready after: {_startup['ready_after']})"
        )


@pytest.fixture(scope="session")
def k8s_bin_dir() -> Path:
    try:
        return find_bin_dir()
    except BinariesMissingError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)  # fail, never skip: `make test` builds them first


@pytest.fixture(scope="session")
def helm() -> Path:
    try:
        return find_helm()
    except BinariesMissingError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)  # fail, never skip: `make test` builds them first


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def control_plane(k8s_bin_dir: Path) -> Iterator[ControlPlane]:
    keep = os.environ.get("HYPERSCORE_KEEP_CLUSTER_STATE") == "1"  # keep logs for debugging
    # SIGTERM (CI cancelling the job) would end Python without teardown; turn it into an
    # interrupt so the finalizers and atexit run. (SIGKILL: the processes die with us through
    # PR_SET_PDEATHSIG and the next session sweeps the temp dir.)
    previous = None
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    cp = ControlPlane(bin_dir=k8s_bin_dir, keep_state_dir=keep)
    try:
        cp.start()
        _startup["seconds"] = cp.startup_seconds
        _startup["ready_after"] = cp.ready_after
        yield cp
    finally:
        cp.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def kubeconfig(control_plane: ControlPlane) -> Path:
    return control_plane.kubeconfig


@pytest.fixture(scope="session")
def api_client(control_plane: ControlPlane) -> Iterator[Any]:
    client = control_plane.api_client()
    yield client
    client.close()


def _namespace_name(nodeid: str) -> str:
    test = re.sub(r"[^a-z0-9]+", "-", nodeid.rsplit("::", 1)[-1].lower()).strip("-")
    return f"{test[:50].rstrip('-')}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def namespace(api_client: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace, ready for pods (its ``default`` ServiceAccount exists)."""
    from kubernetes import client
    from kubernetes.client import ApiException

    core = client.CoreV1Api(api_client)
    name = _namespace_name(request.node.nodeid)
    core.create_namespace({"metadata": {"name": name, "labels": {"hyperscore.dev/test": "true"}}})
    deadline = time.monotonic() + 30
    while True:  # the serviceaccount controller creates it; pod admission needs it
        try:
            core.read_namespaced_service_account("default", name)
            break
        except ApiException as exc:
            if exc.status != 404 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield name
    finally:
        try:
            core.delete_namespace(name)
        except ApiException as exc:
            if exc.status != 404:
                raise
