"""Smoke tests proving the control plane is a real Kubernetes API server with real controllers."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client import ApiException

from .controlplane import ControlPlane, make_default
from .jobs import finish_job_pods, job_pods, wait_for_job, wait_for_job_pods

pytestmark = pytest.mark.cluster

SAMPLES = Path(__file__).parent / "samples"


def eventually(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def gone(read: Callable[[], Any]) -> bool:
    try:
        read()
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


def api_message(exc: ApiException) -> str:
    """The server's message from a Status error body."""
    try:
        return str(json.loads(exc.body)["message"])
    except (TypeError, ValueError, KeyError):
        return str(exc.body)


def job_manifest(name: str, pod_spec: dict[str, Any], backoff_limit: int = 0) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff_limit,
            "template": {"spec": {"restartPolicy": "Never", **pod_spec}},
        },
    }


RESTRICTED_POD_SPEC: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "main",
            "image": "registry.invalid/evaluator:1.0",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsUser": 1000,
            },
        }
    ],
}
PRIVILEGED_POD_SPEC: dict[str, Any] = {
    "containers": [
        {
            "name": "main",
            "image": "registry.invalid/evaluator:1.0",
            "securityContext": {"privileged": True},
        }
    ],
}


def test_version_is_the_built_release(control_plane: ControlPlane) -> None:
    expected = make_default("K8S_VERSION")
    out = json.loads(control_plane.kubectl("version", "-o", "json").stdout)
    assert out["clientVersion"]["gitVersion"] == expected
    assert out["serverVersion"]["gitVersion"] == expected
    major, minor = expected.removeprefix("v").split(".")[:2]
    assert (out["serverVersion"]["major"], out["serverVersion"]["minor"]) == (major, minor)


def test_crd_with_cel_validation(
    control_plane: ControlPlane, api_client: Any, namespace: str
) -> None:
    ext = client.ApiextensionsV1Api(api_client)
    custom = client.CustomObjectsApi(api_client)
    crd = yaml.safe_load((SAMPLES / "crd.yaml").read_text())
    name = crd["metadata"]["name"]
    try:
        ext.create_custom_resource_definition(crd)
    except ApiException as exc:
        if exc.status != 409:
            raise

    def established() -> bool:
        conds = ext.read_custom_resource_definition(name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conds)

    eventually(established, 30, "CRD Established")
    group, version, plural = "smoke.hyperscore.dev", "v1alpha1", "scorecards"

    def scorecard(obj_name: str, low: int, high: int) -> dict[str, Any]:
        return {
            "apiVersion": f"{group}/{version}",
            "kind": "Scorecard",
            "metadata": {"name": obj_name},
            "spec": {"project": "demo", "minScore": low, "maxScore": high},
        }

    def create(body: dict[str, Any]) -> Any:
        # Right after Established the new resource can still be missing from discovery/handlers.
        for _ in range(50):
            try:
                return custom.create_namespaced_custom_object(
                    group, version, namespace, plural, body
                )
            except ApiException as exc:
                if exc.status != 404:
                    raise
                time.sleep(0.1)
        raise AssertionError("custom resource endpoint never appeared")

    create(scorecard("valid", 10, 90))
    stored = custom.get_namespaced_custom_object(group, version, namespace, plural, "valid")
    assert stored["spec"] == {"project": "demo", "minScore": 10, "maxScore": 90}

    with pytest.raises(ApiException) as info:
        create(scorecard("inverted", 90, 10))
    assert info.value.status == 422
    assert "minScore must not exceed maxScore" in api_message(info.value)

    with pytest.raises(ApiException) as info:  # plain OpenAPI schema validation as well
        create(scorecard("out-of-range", 0, 101))
    assert info.value.status == 422
    assert "spec.maxScore" in api_message(info.value)

    # kubectl reports the server's message too
    bad = yaml.safe_dump(scorecard("inverted", 50, 40))
    result = control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=bad, check=False)
    assert result.returncode != 0
    assert "minScore must not exceed maxScore" in result.stderr


def test_watch_receives_added_modified_deleted(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    start_rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    events: list[tuple[str, str]] = []
    ready = threading.Event()

    def consume() -> None:
        w = watch.Watch()
        stream = w.stream(
            core.list_namespaced_config_map,
            namespace,
            resource_version=start_rv,
            timeout_seconds=30,
        )
        ready.set()
        for event in stream:
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                w.stop()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    ready.wait(5)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "watched"}})
    core.patch_namespaced_config_map("watched", namespace, {"data": {"k": "v"}})
    core.delete_namespaced_config_map("watched", namespace)
    consumer.join(30)
    watched = [t for t, n in events if n == "watched"]
    assert watched == ["ADDED", "MODIFIED", "DELETED"]


def test_pod_security_restricted(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    batch = client.BatchV1Api(api_client)
    core.patch_namespace(
        namespace,
        {
            "metadata": {
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                }
            }
        },
    )

    # A pod that breaks the profile is refused at admission ...
    with pytest.raises(ApiException) as info:
        core.create_namespaced_pod(
            namespace, {"metadata": {"name": "privileged"}, "spec": PRIVILEGED_POD_SPEC}
        )
    assert info.value.status == 403
    assert 'violates PodSecurity "restricted:latest"' in api_message(info.value)
    assert "privileged" in api_message(info.value)

    # ... so a Job whose template breaks it is stored, but the Job controller cannot create its
    # pods: FailedCreate events on the Job carry the admission message.
    batch.create_namespaced_job(namespace, job_manifest("bad", PRIVILEGED_POD_SPEC))

    def refused() -> bool:
        events = core.list_namespaced_event(
            namespace, field_selector="involvedObject.kind=Job,involvedObject.name=bad"
        ).items
        return any(
            e.reason == "FailedCreate" and "violates PodSecurity" in (e.message or "")
            for e in events
        )

    eventually(refused, 60, "FailedCreate event for the non-compliant Job")
    bad = batch.read_namespaced_job("bad", namespace)
    assert job_pods(core, namespace, bad) == []

    # A compliant Job gets its pod, and runs to completion through the real Job controller.
    batch.create_namespaced_job(namespace, job_manifest("good", RESTRICTED_POD_SPEC))
    pods = finish_job_pods(core, batch, namespace, "good", succeeded=True, message="all good")
    assert len(pods) == 1
    assert wait_for_job(batch, namespace, "good") == "Complete"
    job = batch.read_namespaced_job("good", namespace)
    assert job.status.succeeded == 1


def test_job_failure_carries_termination_message(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    batch = client.BatchV1Api(api_client)
    batch.create_namespaced_job(namespace, job_manifest("evaluate", RESTRICTED_POD_SPEC))
    [pod_name] = finish_job_pods(
        core, batch, namespace, "evaluate", succeeded=False, message="score below 0.5", exit_code=3
    )
    assert wait_for_job(batch, namespace, "evaluate") == "Failed"
    job = batch.read_namespaced_job("evaluate", namespace)
    failed = next(c for c in job.status.conditions if c.type == "Failed")
    assert failed.reason == "BackoffLimitExceeded"
    assert job.status.failed == 1
    terminated = core.read_namespaced_pod(pod_name, namespace).status.container_statuses[0]
    assert terminated.state.terminated.exit_code == 3
    assert terminated.state.terminated.message == "score below 0.5"


def test_job_with_retries_and_parallelism(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    batch = client.BatchV1Api(api_client)
    manifest = job_manifest("retry", RESTRICTED_POD_SPEC, backoff_limit=2)
    manifest["spec"].update({"completions": 2, "parallelism": 2})
    batch.create_namespaced_job(namespace, manifest)
    # one pod fails: the controller replaces it (after its back-off), then both succeed
    first = wait_for_job_pods(core, batch, namespace, "retry", count=2)
    finish_job_pods(core, batch, namespace, "retry", succeeded=False, count=1)
    finish_job_pods(core, batch, namespace, "retry", succeeded=True, count=1, timeout=60)
    finish_job_pods(core, batch, namespace, "retry", succeeded=True, count=1, timeout=60)
    assert wait_for_job(batch, namespace, "retry") == "Complete"
    job = batch.read_namespaced_job("retry", namespace)
    assert (job.status.succeeded, job.status.failed) == (2, 1)
    assert len(first) == 2


def test_service_account_with_narrow_role_gets_403(
    control_plane: ControlPlane, api_client: Any, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "reader"}})
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "configmap-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "configmap-reader",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
    )
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "visible"}})
    token = core.create_namespaced_service_account_token(
        "reader", namespace, {"spec": {"expirationSeconds": 600}}
    ).status.token

    config = client.Configuration()
    config.host = control_plane.server
    config.ssl_ca_cert = str(control_plane.pki.ca_cert)
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    with client.ApiClient(config) as sa_client:
        sa_core = client.CoreV1Api(sa_client)
        names = [c.metadata.name for c in sa_core.list_namespaced_config_map(namespace).items]
        assert "visible" in names
        forbidden: list[Callable[[], Any]] = [
            lambda: sa_core.list_namespaced_secret(namespace),
            lambda: sa_core.list_namespaced_config_map("default"),
            lambda: sa_core.create_namespaced_config_map(namespace, {"metadata": {"name": "x"}}),
            lambda: sa_core.delete_namespaced_config_map("visible", namespace),
            sa_core.list_namespace,
        ]
        for call in forbidden:
            with pytest.raises(ApiException) as info:
                call()
            assert info.value.status == 403, info.value.body
            assert f"system:serviceaccount:{namespace}:reader" in api_message(info.value)

    # the same through kubectl with the token
    sa_kubeconfig = control_plane.token_kubeconfig(tmp_path / "reader.kubeconfig", token)
    denied = control_plane.kubectl(
        "get", "secrets", "-n", namespace, kubeconfig=sa_kubeconfig, check=False
    )
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()
    listed = control_plane.kubectl("get", "configmaps", "-n", namespace, kubeconfig=sa_kubeconfig)
    assert "visible" in listed.stdout
    allowed = control_plane.kubectl(
        "auth",
        "can-i",
        "list",
        "configmaps",
        "-n",
        namespace,
        "--as",
        f"system:serviceaccount:{namespace}:reader",
    )
    assert allowed.stdout.strip() == "yes"


def test_garbage_collection_and_namespace_deletion(api_client: Any, namespace: str) -> None:
    core = client.CoreV1Api(api_client)
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner.metadata.uid,
    }
    for i in range(3):
        core.create_namespaced_config_map(
            namespace, {"metadata": {"name": f"dependent-{i}", "ownerReferences": [ref]}}
        )
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "dependent-secret", "ownerReferences": [ref]}}
    )
    core.delete_namespaced_config_map("owner", namespace, propagation_policy="Background")

    def collected() -> bool:
        left = [c.metadata.name for c in core.list_namespaced_config_map(namespace).items]
        secret_gone = gone(lambda: core.read_namespaced_secret("dependent-secret", namespace))
        return secret_gone and not any(n.startswith("dependent-") for n in left)

    eventually(collected, 60, "garbage collection of the dependents")

    # Foreground deletion: the owner stays (with a finalizer) until its dependents are gone.
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner2"}})
    ref = {**ref, "name": "owner2", "uid": owner.metadata.uid, "blockOwnerDeletion": True}
    core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "child", "ownerReferences": [ref]}}
    )
    core.delete_namespaced_config_map("owner2", namespace, propagation_policy="Foreground")
    eventually(
        lambda: gone(lambda: core.read_namespaced_config_map("owner2", namespace)),
        60,
        "foreground deletion of the owner",
    )
    assert gone(lambda: core.read_namespaced_config_map("child", namespace))

    # Deleting a namespace with content finishes (namespace controller empties it).
    extra = f"{namespace}-x"[:63]
    core.create_namespace({"metadata": {"name": extra}})
    core.create_namespaced_config_map(extra, {"metadata": {"name": "content"}})
    client.BatchV1Api(api_client).create_namespaced_job(
        extra, job_manifest("leftover", RESTRICTED_POD_SPEC)
    )
    core.delete_namespace(extra)
    eventually(lambda: gone(lambda: core.read_namespace(extra)), 90, f"namespace {extra} deleted")


def test_kubectl_apply_and_get(control_plane: ControlPlane, namespace: str) -> None:
    app = str(SAMPLES / "app.yaml")
    applied = control_plane.kubectl("apply", "-n", namespace, "-f", app)
    assert "configmap/smoke-settings created" in applied.stdout
    assert "deployment.apps/smoke created" in applied.stdout
    again = control_plane.kubectl("apply", "-n", namespace, "-f", app)
    assert "configmap/smoke-settings unchanged" in again.stdout

    got = json.loads(control_plane.kubectl("get", "-n", namespace, "-f", app, "-o", "json").stdout)
    kinds = sorted(item["kind"] for item in got["items"])
    assert kinds == ["ConfigMap", "Deployment", "Service"]
    threshold = control_plane.kubectl(
        "get", "configmap", "smoke-settings", "-n", namespace, "-o", "jsonpath={.data.threshold}"
    )
    assert threshold.stdout == "0.8"
    service = control_plane.kubectl("get", "service", "smoke", "-n", namespace, "-o", "json")
    assert json.loads(service.stdout)["spec"]["clusterIP"].startswith("10.0.0.")
    # the deployment and replicaset controllers act on it (the pod never runs: no kubelet)
    eventually(
        lambda: (
            control_plane.kubectl("get", "replicasets", "-n", namespace, "-o", "name").stdout != ""
        ),
        60,
        "a ReplicaSet for the Deployment",
    )


def test_helm_lint_and_template(control_plane: ControlPlane, helm: Path, namespace: str) -> None:
    chart = str(SAMPLES / "chart")
    env = control_plane.env(
        {
            "HELM_CACHE_HOME": str(control_plane.state_dir / "helm-cache"),
            "HELM_CONFIG_HOME": str(control_plane.state_dir / "helm-config"),
            "HELM_DATA_HOME": str(control_plane.state_dir / "helm-data"),
        }
    )

    def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(helm), *args], env=env, capture_output=True, text=True, check=True, timeout=60
        )

    lint = run_helm("lint", chart, "--strict")
    assert "1 chart(s) linted, 0 chart(s) failed" in lint.stdout
    rendered = run_helm(
        "template", "demo", chart, "--namespace", namespace, "--set", "threshold=0.9"
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    assert sorted(d["kind"] for d in docs) == ["ConfigMap", "Deployment"]
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=rendered)
    threshold = control_plane.kubectl(
        "get", "configmap", "demo-settings", "-n", namespace, "-o", "jsonpath={.data.threshold}"
    )
    assert threshold.stdout == "0.9"
    # `helm template --validate` checks the manifests against the live API server
    run_helm("template", "demo2", chart, "--namespace", namespace, "--validate")
