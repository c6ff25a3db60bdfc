"""The few Kubernetes calls the controller makes outside kopf, each idempotent.

Blocking (kubernetes client); the controller calls them from worker threads. Creating an object
that already exists (HTTP 409) is success: names are deterministic, so it is the object an
earlier attempt of the same run created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client
from kubernetes.client import ApiException

from hyperscore.operator.api.models import GROUP, VERSION

PLURAL = "maturityassessments"


class Kube:
    """The generated client's models are optional-everywhere and its bodies accept plain dicts
    at run time; the APIs are held as ``Any`` so manifests stay plain dicts (the builders' output)
    instead of being converted to model classes and back."""

    def __init__(self, api_client: Any) -> None:
        self.api: Any = api_client
        self.core: Any = client.CoreV1Api(api_client)
        self.batch: Any = client.BatchV1Api(api_client)
        self.net: Any = client.NetworkingV1Api(api_client)
        self.custom: Any = client.CustomObjectsApi(api_client)

    def config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._read(self.core.read_namespaced_config_map, namespace, name)

    def secret_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's base64 ``data`` only (never logged, never returned whole)."""
        secret = self._read(self.core.read_namespaced_secret, namespace, name)
        return None if secret is None else dict(secret.get("data") or {})

    def _read(self, reader: Any, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            obj = reader(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        data = self.api.sanitize_for_serialization(obj)
        return data if isinstance(data, dict) else None

    def annotate(self, namespace: str, name: str, annotations: Mapping[str, str]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            name,
            {"metadata": {"annotations": dict(annotations)}},
        )

    def create(self, obj: Mapping[str, Any]) -> bool:
        """Create ``obj``; False when it already existed."""
        kind, namespace = obj["kind"], obj["metadata"]["namespace"]
        creator = {
            "ConfigMap": self.core.create_namespaced_config_map,
            "Job": self.batch.create_namespaced_job,
            "NetworkPolicy": self.net.create_namespaced_network_policy,
        }[kind]
        try:
            creator(namespace, dict(obj))
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def apply_config_map(self, obj: Mapping[str, Any]) -> None:
        """Create or replace a ConfigMap we own (the report of the latest run)."""
        if not self.create(obj):
            meta = obj["metadata"]
            self.core.replace_namespaced_config_map(meta["name"], meta["namespace"], dict(obj))

    def delete_config_maps(self, namespace: str, selector: str, keep: set[str]) -> None:
        for item in self.core.list_namespaced_config_map(namespace, label_selector=selector).items:
            if item.metadata.name not in keep:
                self.delete_config_map(namespace, item.metadata.name)

    def delete_config_map(self, namespace: str, name: str) -> None:
        try:
            self.core.delete_namespaced_config_map(name, namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def job_outcome(self, namespace: str, name: str) -> tuple[str | None, str | None]:
        """``(state, termination message)``: state is Complete, Failed or None (running)."""
        job = self.batch.read_namespaced_job(name, namespace)
        state = None
        for condition in job.status.conditions or []:
            if condition.type in ("Complete", "Failed") and condition.status == "True":
                state = condition.type
        if state is None:
            return None, None
        selector = f"batch.kubernetes.io/controller-uid={job.metadata.uid}"
        for pod in self.core.list_namespaced_pod(namespace, label_selector=selector).items:
            for status in pod.status.container_statuses or []:
                terminated = status.state.terminated if status.state else None
                if terminated is not None and terminated.message:
                    return state, str(terminated.message)
        return state, None
