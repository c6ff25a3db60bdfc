"""Drive Job pods to Succeeded or Failed: the control plane has no kubelet, so pods never run.

The real Job controller creates the pods; these helpers play the kubelet's part by writing a
terminal pod status (phase, container ``terminated`` state with exit code and termination
message) through the pods/status subresource. The Job controller then counts the pods and sets the
Job's Complete or Failed condition exactly as in a real cluster, so code that waits on Jobs is
exercised end to end::

    pods = finish_job_pods(core, ns, "train", succeeded=True, message='{"score": 0.9}')
    assert wait_for_job(batch, ns, "train") == "Complete"
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from kubernetes.client import ApiException, BatchV1Api, CoreV1Api

TERMINAL_PHASES = ("Succeeded", "Failed")


def job_pods(core: CoreV1Api, namespace: str, job: Any) -> list[Any]:
    """The pods the Job controller created for ``job`` (a V1Job), oldest first."""
    selector = f"batch.kubernetes.io/controller-uid={job.metadata.uid}"
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    return sorted(pods, key=lambda p: (p.metadata.creation_timestamp, p.metadata.name))


def wait_for_job_pods(
    core: CoreV1Api,
    batch: BatchV1Api,
    namespace: str,
    job_name: str,
    count: int = 1,
    timeout: float = 60.0,
) -> list[Any]:
    """Wait until the Job controller has created ``count`` pods that are not yet terminal."""
    deadline = time.monotonic() + timeout
    while True:
        job = batch.read_namespaced_job(job_name, namespace)
        pods = [
            p
            for p in job_pods(core, namespace, job)
            if p.status.phase not in TERMINAL_PHASES and p.metadata.deletion_timestamp is None
        ]
        if len(pods) >= count:
            return pods[:count]
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"job {namespace}/{job_name}: {len(pods)} of {count} pods after {timeout}s; "
                f"job status: {job.status}"
            )
        time.sleep(0.2)


def finish_pod(
    core: CoreV1Api,
    namespace: str,
    pod_name: str,
    *,
    succeeded: bool = True,
    message: str = "",
    exit_code: int | None = None,
    reason: str | None = None,
) -> Any:
    """Write a terminal status for one pod, as the kubelet would after its containers exited.

    Every container gets a ``terminated`` state with ``exit_code`` (default 0 or 1) and, for the
    first container, ``message`` as its termination message (what a container writes to
    /dev/termination-log).
    """
    code = exit_code if exit_code is not None else (0 if succeeded else 1)
    why = reason or ("Completed" if succeeded else "Error")
    for _ in range(10):  # retry on update conflicts
        pod = core.read_namespaced_pod(pod_name, namespace)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        started = pod.status.start_time or pod.metadata.creation_timestamp or now
        statuses = []
        for i, container in enumerate(pod.spec.containers):
            statuses.append(
                {
                    "name": container.name,
                    "image": container.image,
                    "imageID": "",
                    "containerID": f"hyperscore://{pod.metadata.uid}/{container.name}",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": code,
                            "reason": why,
                            "message": message if i == 0 else "",
                            "startedAt": _rfc3339(started),
                            "finishedAt": _rfc3339(now),
                            "containerID": f"hyperscore://{pod.metadata.uid}/{container.name}",
                        }
                    },
                }
            )
        not_ready = {
            "status": "False",
            "reason": "PodCompleted",
            "lastTransitionTime": _rfc3339(now),
        }
        # Keep what the apiserver set at creation (qosClass is immutable), replace the rest.
        status = core.api_client.sanitize_for_serialization(pod.status) or {}
        conditions = {c["type"]: c for c in status.get("conditions") or []}
        conditions.update(
            {
                "PodScheduled": {"type": "PodScheduled", "status": "True"},
                "Initialized": {"type": "Initialized", "status": "True"},
                "Ready": {"type": "Ready", **not_ready},
                "ContainersReady": {"type": "ContainersReady", **not_ready},
            }
        )
        for cond in conditions.values():
            cond.setdefault("lastTransitionTime", _rfc3339(now))
        status.update(
            {
                "phase": "Succeeded" if succeeded else "Failed",
                "startTime": _rfc3339(started),
                "conditions": list(conditions.values()),
                "containerStatuses": statuses,
            }
        )
        # The whole object: pods/status also writes labels, annotations and finalizers (the Job
        # controller's tracking finalizer must stay until it has counted the pod).
        body = core.api_client.sanitize_for_serialization(pod)
        body["status"] = status
        try:
            return core.replace_namespaced_pod_status(pod.metadata.name, namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
    raise RuntimeError(f"pod {namespace}/{pod_name}: too many update conflicts")


def finish_job_pods(
    core: CoreV1Api,
    batch: BatchV1Api,
    namespace: str,
    job_name: str,
    *,
    succeeded: bool = True,
    message: str = "",
    exit_code: int | None = None,
    count: int | None = None,
    timeout: float = 60.0,
) -> list[str]:
    """Wait for the Job's pods and drive ``count`` of them (default: its parallelism) to
    Succeeded or Failed with ``message``. Returns the pod names."""
    if count is None:
        job = batch.read_namespaced_job(job_name, namespace)
        count = job.spec.parallelism if job.spec.parallelism is not None else 1
    pods = wait_for_job_pods(core, batch, namespace, job_name, count=count, timeout=timeout)
    for pod in pods:
        finish_pod(
            core,
            namespace,
            pod.metadata.name,
            succeeded=succeeded,
            message=message,
            exit_code=exit_code,
        )
    return [p.metadata.name for p in pods]


def job_state(job: Any) -> str | None:
    """ "Complete" or "Failed" once the Job has finished, else None."""
    for cond in job.status.conditions or []:
        if cond.type in ("Complete", "Failed") and cond.status == "True":
            return str(cond.type)
    return None


def wait_for_job(batch: BatchV1Api, namespace: str, job_name: str, timeout: float = 60.0) -> str:
    """Wait until the Job controller marks the Job Complete or Failed; return which."""
    deadline = time.monotonic() + timeout
    while True:
        job = batch.read_namespaced_job(job_name, namespace)
        state = job_state(job)
        if state is not None:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"job {namespace}/{job_name} not finished after {timeout}s: {job.status}"
            )
        time.sleep(0.2)


def _rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
