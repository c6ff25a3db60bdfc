"""The Kubernetes backend: a pure function from a run request to Job + NetworkPolicy manifests.

The operator applies what this returns; nothing here talks to a cluster, so the isolation
settings are reviewable and unit-tested as plain data. The Pod meets the *restricted* Pod
Security Standard (non-root, RuntimeDefault seccomp, no privilege escalation, all capabilities
dropped) and goes further: read-only root filesystem with emptyDir ``/work`` and ``/tmp``, no
service-account token, one attempt (``backoffLimit: 0``), a deadline, CPU/memory/ephemeral
storage limits, and a NetworkPolicy denying all egress (and ingress) for the Job's pods.

Results travel in the termination message: the command writes a JSON summary to
``/dev/termination-log``. Kubernetes keeps at most 4096 bytes of it (and 12 KiB for all
containers of a Pod), so the summary must stay small -- counts and hashes, never logs;
``FallbackToLogsOnError`` puts the tail of the log there when the container fails without one.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits

TERMINATION_LOG = "/dev/termination-log"
TERMINATION_MESSAGE_MAX_BYTES = 4096
RUN_LABEL = "hyperscore.dev/sandbox-run"
# The Pod's /tmp is its own emptyDir, not a shared host directory.
POD_TMP = "/tmp"  # noqa: S108
_DNS1123 = re.compile(r"[^a-z0-9-]+")


def job_name(name: str) -> str:
    """A deterministic DNS-1123 name (<= 63 chars): the same request gives the same name."""
    base = _DNS1123.sub("-", name.lower()).strip("-") or "run"
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"hs-sbx-{base[:44].strip('-')}-{digest}"


def build_job(
    name: str,
    namespace: str,
    image: str,
    command: Sequence[str],
    limits: SandboxLimits,
    source_configmap: str | None = None,
    owner: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``[Job, NetworkPolicy]`` manifests running ``command`` in ``image`` within ``limits``.

    ``source_configmap`` (optional) is mounted read-only at ``/src``; ``owner`` is an
    ownerReference (the operator's custom resource) so both objects are garbage-collected
    with it. Pure: the same arguments always give equal dicts.
    """
    if not command:
        raise ValueError("build_job needs a command")
    # A tag can move between runs; reproducibility wants the digest. Allowed, but recorded
    # so the operator can refuse it.
    digest_pinned = "true" if "@sha256:" in image else "false"
    full = job_name(name)
    labels = {RUN_LABEL: full, "app.kubernetes.io/managed-by": "hyperscore"}
    metadata: dict[str, Any] = {
        "name": full,
        "namespace": namespace,
        "labels": dict(labels),
        "annotations": {"hyperscore.dev/image-digest-pinned": digest_pinned},
    }
    if owner is not None:
        metadata["ownerReferences"] = [dict(owner)]
    volumes: list[dict[str, Any]] = [
        {"name": "work", "emptyDir": {"sizeLimit": str(limits.max_file_bytes)}},
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "work", "mountPath": "/work"},
        {"name": "tmp", "mountPath": POD_TMP},
    ]
    if source_configmap is not None:
        volumes.append({"name": "src", "configMap": {"name": source_configmap}})
        mounts.append({"name": "src", "mountPath": "/src", "readOnly": True})
    cpu = "1"
    memory = str(limits.memory_bytes)
    storage = str(limits.max_file_bytes + 64 * 1024 * 1024)
    container = {
        "name": "run",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": list(command),
        "workingDir": "/work",
        "env": [{"name": "HOME", "value": "/work"}, {"name": "TMPDIR", "value": POD_TMP}],
        "resources": {
            "requests": {"cpu": cpu, "memory": memory, "ephemeral-storage": storage},
            "limits": {"cpu": cpu, "memory": memory, "ephemeral-storage": storage},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": mounts,
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": volumes,
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": max(1, math.ceil(limits.wall_seconds)),
            "ttlSecondsAfterFinished": 3600,
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }
    policy_meta: dict[str, Any] = {
        "name": f"{full}-deny-egress",
        "namespace": namespace,
        "labels": dict(labels),
    }
    if owner is not None:
        policy_meta["ownerReferences"] = [dict(owner)]
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": policy_meta,
        "spec": {
            "podSelector": {"matchLabels": {RUN_LABEL: full}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    }
    return [job, policy]
