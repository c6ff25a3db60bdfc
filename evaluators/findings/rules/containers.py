"""Finding rules over containers and manifests: Dockerfiles, compose, Kubernetes, Helm.

A model server is a long-running network service holding model weights and often cloud
credentials, so the container hardening basics apply: do not run as root, pin what you build
from, do not pipe the internet into a shell, keep pods unprivileged and off the host, bound
their resources, tell the orchestrator when they are ready, and do not hand them API tokens or
cluster-admin they do not need.

Helm templates are parsed best-effort (``templated=True``): a block rendered from values
(``resources: {{ toYaml .Values.resources }}``) looks absent after de-templating, so rules about
something *missing* skip templated workloads entirely, and rules about something *present* fire
only on literal values. Images that Kustomize overrides (``images:`` in a kustomization) are
judged by the override, not by the placeholder name in the base manifest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hyperscore.evaluators.assessment import Dimension, PracticeResult, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import Hit, rule
from hyperscore.evaluators.ingest.parsers.ci_common import CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeShellCommand
from hyperscore.evaluators.ingest.parsers.infra_common import ImageRef
from hyperscore.evaluators.ingest.parsers.infra_docker import (
    ComposeService,
    Dockerfile,
    DockerfileRisk,
)
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import (
    ContainerFacts,
    K8sRbac,
    K8sWorkload,
)

_ROOT_USERS = frozenset({"root", "0"})
#: Workload kinds that run a long-lived service, where a readiness probe gates traffic.
_SERVICE_KINDS = frozenset(
    {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
#: hostPath mounts that amount to owning the node.
_SENSITIVE_HOST_PATHS = re.compile(
    r"^/$|^/(?:etc|root|proc|sys|boot|dev)(?:/|$)|docker\.sock$|containerd\.sock$|crio\.sock$"
    r"|^/var/lib/(?:kubelet|docker|containerd)(?:/|$)|^/var/run/?$|^/run/?$"
)
_DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN"})
_PIPE_TO_SHELL_RE = re.compile(
    r"\b(?:curl|wget)\b[^|;&\n]{0,400}\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr/bin/env\s+)?"
    r"(?:/usr/local/bin/|/usr/bin/|/bin/)?(?:ba|z|da|k|fi)?sh\b"
    r"|\b(?:curl|wget)\b[^|;&\n]{0,400}\|\s*(?:sudo\s+)?(?:/usr/bin/)?python[0-9.]*\b"
    r"|\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?(?:\$\(|<\()\s*(?:curl|wget)\b"
)


def _devcontainer(path: str) -> bool:
    """Dev-container images are workstations (root is the norm; the IDE picks the user)."""
    return path.startswith(".devcontainer/") or "/.devcontainer/" in path


def _nonroot_base(image: str | None) -> bool:
    """Bases whose default user is not root (distroless ``:nonroot``, chainguard ``-nonroot``)."""
    return bool(image and re.search(r"(?i)[:-]nonroot\b|distroless/[^:@]*:nonroot", image))


def _containers(workload: K8sWorkload) -> Iterator[ContainerFacts]:
    """The app containers of a workload (init containers run to completion first)."""
    return (c for c in workload.containers if not c.init)


def _cname(workload: K8sWorkload, container: ContainerFacts) -> str:
    return f"{workload.object_kind}/{workload.name} container {container.name or '?'!r}"


def _chit(workload: K8sWorkload, container: ContainerFacts, message: str) -> Hit:
    """A hit on the container's own line (several containers of one pod stay distinct)."""
    return Hit(workload.path, container.line or workload.line, message)


# --------------------------------------------------------------------------- Dockerfile / compose


@rule(
    "docker-runs-as-root",
    "Container runs as root",
    Severity.MEDIUM,
    "Create an unprivileged user and switch to it (RUN useradd --uid 10001 app; USER 10001), "
    "or use a nonroot base image; in compose, drop user: root.",
    Dimension.DEPLOYMENT,
    ("security", "container"),
)
def docker_runs_as_root(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """A process running as root inside the container is root on the host after any container
    escape, and can rewrite the model and code it serves. Dev containers and nonroot bases are
    skipped; an explicit ``user: root`` in compose counts too."""
    for dockerfile in ctx.typed(Dockerfile):
        if not dockerfile.runs_as_root or _devcontainer(dockerfile.path):
            continue
        if dockerfile.final_user is None and _nonroot_base(dockerfile.base_image):
            continue
        detail = (
            f"final stage sets USER {dockerfile.final_user}"
            if dockerfile.final_user
            else "no USER instruction in the final stage"
        )
        yield Hit.at(dockerfile, f"{detail}: the container runs as root")
    for service in ctx.typed(ComposeService):
        user = (service.user or "").split(":", 1)[0].strip()
        if user in _ROOT_USERS:
            yield Hit.at(service, f"compose service {service.service!r} sets user: {service.user}")


def _shown_ref(image: ImageRef) -> str:
    """The reference as resolved through ``ARG`` defaults where it was a variable."""
    return image.resolved_ref if image.pin == "variable" and image.resolved_ref else image.ref


def _kustomized_names(ctx: DetectionContext) -> set[str]:
    """Image names that a kustomization's ``images:`` rewrites (the ``name`` it matches)."""
    return {i.context for i in ctx.typed(ImageRef) if i.source == "kustomize" and i.context}


def _built_compose_images(ctx: DetectionContext) -> set[tuple[str, str]]:
    """(compose file, service) pairs whose ``image:`` only names the image ``build:`` makes."""
    return {(s.path, s.service) for s in ctx.typed(ComposeService) if s.build_context}


@rule(
    "image-latest-or-untagged",
    "Container image uses latest or no tag",
    Severity.MEDIUM,
    "Reference a specific version, ideally by digest (image:1.2.3@sha256:...), so every build "
    "and rollout runs the same bits.",
    Dimension.DEPLOYMENT,
    ("container", "reproducibility", "supply-chain"),
)
def image_latest_or_untagged(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """``latest`` (explicit or implied) changes under you: two nodes may run different code and
    a rollback re-pulls the same moving tag. Dockerfile bases (also through ``ARG`` defaults),
    compose, Kubernetes, Helm values and Kustomize overrides; images that Kustomize rewrites or
    that compose builds locally are judged elsewhere. An ``ARG`` default of ``latest`` is low:
    the build usually passes the real version."""
    kustomized: set[str] | None = None
    built: set[tuple[str, str]] | None = None
    for image in ctx.typed(ImageRef):
        pin = image.resolved_pin if image.pin == "variable" else image.pin
        if pin not in ("latest", "untagged"):
            continue
        if image.source == "kustomize" and pin == "untagged":
            continue  # newName without newTag keeps the manifest's tag: a rename, not a pin
        if image.source == "kubernetes":
            if kustomized is None:
                kustomized = _kustomized_names(ctx)
            if image.image in kustomized or image.ref in kustomized:
                continue
        elif image.source == "compose":
            if built is None:
                built = _built_compose_images(ctx)
            if (image.path, image.context or "") in built:
                continue
        elif image.source not in ("dockerfile", "helm-values", "kustomize"):
            continue
        if image.source == "dockerfile" and _devcontainer(image.path):
            continue
        ref = _shown_ref(image)
        how = "the latest tag" if pin == "latest" else "no tag (implicitly latest)"
        where = f" ({image.context})" if image.context else ""
        if image.pin == "variable":  # an ARG default: builds usually pass a real version
            yield Hit.at(
                image,
                f"image {ref[:120]} uses {how} through an ARG default",
                Severity.LOW,
            )
        else:
            yield Hit.at(image, f"image {ref[:120]}{where} uses {how}")


@rule(
    "docker-base-image-not-digest-pinned",
    "Dockerfile base image pinned by tag, not digest",
    Severity.LOW,
    "Pin the base image by digest (FROM python:3.11-slim@sha256:...) and let Dependabot or "
    "Renovate bump it.",
    Dimension.REPRODUCIBILITY,
    ("container", "reproducibility", "supply-chain"),
)
def docker_base_not_digest_pinned(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """Tags are re-pushed (``python:3.11-slim`` changes weekly), so the same Dockerfile builds a
    different image next month. Stage aliases and ``scratch`` are not images; untagged bases
    are reported by image-latest-or-untagged instead."""
    for image in ctx.typed(ImageRef):
        if image.source != "dockerfile" or _devcontainer(image.path):
            continue
        pin = image.resolved_pin if image.pin == "variable" else image.pin
        if pin == "tag":
            ref = _shown_ref(image)
            yield Hit.at(image, f"FROM {ref[:120]} is pinned by tag, not by digest")


@rule(
    "docker-missing-healthcheck",
    "Dockerfile has no HEALTHCHECK",
    Severity.LOW,
    "Add a HEALTHCHECK (e.g. HEALTHCHECK CMD curl -fsS http://localhost:8080/healthz || exit "
    "1) or rely on orchestrator probes and document it.",
    Dimension.DEPLOYMENT,
    ("container", "reliability"),
)
def docker_missing_healthcheck(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """Without a health check Docker and compose report a hung model server (stuck loading
    weights, deadlocked worker) as running. Only images that run something (CMD, ENTRYPOINT or
    EXPOSE); build-only and dev-container images are skipped."""
    for dockerfile in ctx.typed(Dockerfile):
        runs = dockerfile.cmd or dockerfile.entrypoint or dockerfile.exposed_ports
        if dockerfile.healthcheck or not runs or _devcontainer(dockerfile.path):
            continue
        yield Hit.at(dockerfile, "no HEALTHCHECK in the final stage")


@rule(
    "curl-pipe-shell",
    "Downloaded script piped into a shell",
    Severity.MEDIUM,
    "Download the script to a file, verify its checksum or signature, then run it; better, "
    "install a pinned package or copy the binary from a digest-pinned image.",
    Dimension.GOVERNANCE,
    ("security", "supply-chain"),
)
def curl_pipe_shell(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``curl ... | sh`` runs whatever the server (or anyone in between) returns today, with no
    record of what ran. Dockerfile RUN lines, shell scripts, notebook ``!`` lines and CI steps."""
    for risk in ctx.typed(DockerfileRisk):
        if risk.risk in ("curl-pipe-shell", "wget-pipe-shell"):
            yield Hit.at(risk, f"RUN pipes a download into a shell: {risk.detail[:160]}")
    for command in ctx.typed(CodeShellCommand):
        if "pipe-to-shell" in command.risks:
            cell = f" (cell {command.cell})" if command.cell is not None else ""
            yield Hit.at(
                command,
                f"{command.program} output piped into a shell{cell}: {command.command[:120]}",
            )
    for step in ctx.typed(CiStep):
        for text in step.commands or ((step.run,) if step.run else ()):
            match = _PIPE_TO_SHELL_RE.search(text)
            if match:
                yield Hit.at(
                    step,
                    f"step {step.name!r} (job {step.job_id!r}) pipes a download into a shell: "
                    f"{match.group(0)[:120]}",
                )
                break


@rule(
    "compose-privileged-service",
    "Compose service has host-level privileges",
    Severity.HIGH,
    "Remove privileged: true, network_mode: host and Docker socket mounts; grant specific "
    "capabilities or devices instead.",
    Dimension.DEPLOYMENT,
    ("security", "container"),
)
def compose_privileged(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``privileged: true`` and a mounted Docker socket are root on the host; ``network_mode:
    host`` exposes every host port and local service to the container."""
    for service in ctx.typed(ComposeService):
        reasons = []
        if service.privileged:
            reasons.append("privileged: true")
        sockets = [v for v in service.host_volumes if v.rstrip("/").endswith("docker.sock")]
        if sockets:
            reasons.append(f"mounts {sockets[0]}")
        if (service.network_mode or "").strip() == "host":
            reasons.append("network_mode: host")
        if reasons:
            only_network = reasons == ["network_mode: host"]
            yield Hit.at(
                service,
                f"compose service {service.service!r}: {', '.join(reasons)}",
                Severity.MEDIUM if only_network else None,
            )


# --------------------------------------------------------------------------- Kubernetes


@rule(
    "k8s-privileged-container",
    "Pod runs privileged or in host namespaces",
    Severity.HIGH,
    "Remove privileged: true, added capabilities such as SYS_ADMIN, and hostPID/hostIPC/"
    "hostNetwork; enforce the restricted Pod Security Standard on the namespace.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes"),
)
def k8s_privileged(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """A privileged container (or one with CAP_SYS_ADMIN, or sharing the host's PID/IPC
    namespaces) can take over the node and every pod on it. Only literal settings count, so a
    templated value never fires. ``hostNetwork`` alone is medium."""
    for workload in ctx.typed(K8sWorkload):
        for container in workload.containers:
            caps = sorted(_DANGEROUS_CAPS & {c.upper() for c in container.capabilities_add})
            if container.privileged is True:
                yield _chit(workload, container, f"{_cname(workload, container)}: privileged")
            elif caps:
                yield _chit(
                    workload,
                    container,
                    f"{_cname(workload, container)}: adds capabilities {', '.join(caps)}",
                )
        shared = [
            name
            for name, on in (("hostPID", workload.host_pid), ("hostIPC", workload.host_ipc))
            if on
        ]
        if shared:
            yield Hit.at(workload, f"{workload.object_kind}/{workload.name}: {', '.join(shared)}")
        elif workload.host_network:
            yield Hit.at(
                workload, f"{workload.object_kind}/{workload.name}: hostNetwork", Severity.MEDIUM
            )


@rule(
    "k8s-hostpath-volume",
    "Pod mounts a hostPath volume",
    Severity.MEDIUM,
    "Use a PersistentVolumeClaim, emptyDir, ConfigMap or CSI volume instead of hostPath; if a "
    "node agent really needs it, mount a narrow path read-only.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes"),
)
def k8s_hostpath(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """hostPath ties the pod to a node and exposes the node's filesystem; ``/``, ``/etc``,
    ``/proc``, the kubelet directory or a container-runtime socket are node takeover (high)."""
    for workload in ctx.typed(K8sWorkload):
        paths = [p for p in workload.host_path_volumes if "__TPL__" not in p]
        if not paths:
            continue
        sensitive = [p for p in paths if _SENSITIVE_HOST_PATHS.search(p.rstrip("/") or "/")]
        yield Hit.at(
            workload,
            f"{workload.object_kind}/{workload.name} mounts hostPath {', '.join(paths[:4])}",
            Severity.HIGH if sensitive else None,
        )


@rule(
    "k8s-missing-resource-limits",
    "Container has no resource limits",
    Severity.MEDIUM,
    "Set resources.requests and resources.limits (at least memory) for every container; use a "
    "LimitRange as a namespace default.",
    Dimension.DEPLOYMENT,
    ("kubernetes", "reliability"),
)
def k8s_missing_limits(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """A model server without a memory limit can exhaust the node (a large batch, a leak) and
    get its neighbours evicted; without requests the scheduler cannot place it sensibly.
    Templated workloads and KServe/Seldon components (the platform applies defaults) are
    skipped."""
    for workload in ctx.typed(K8sWorkload):
        if workload.templated or workload.component is not None:
            continue
        for container in _containers(workload):
            if container.resources_templated:
                continue
            if not container.limits:
                requests = "" if container.requests else " or requests"
                yield _chit(
                    workload, container, f"{_cname(workload, container)} has no limits{requests}"
                )
            elif "memory" not in container.limits:
                yield _chit(
                    workload, container, f"{_cname(workload, container)} has no memory limit"
                )


@rule(
    "k8s-missing-probes",
    "Service container has no readiness probe",
    Severity.LOW,
    "Add a readinessProbe (and a livenessProbe, plus a startupProbe for slow model loads) "
    "against a health endpoint that checks the model is loaded.",
    Dimension.DEPLOYMENT,
    ("kubernetes", "reliability"),
)
def k8s_missing_probes(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """Without a readiness probe a pod receives traffic the moment its process starts, i.e.
    while the model is still loading, and rollouts proceed past broken replicas. Only
    long-running service kinds (not Jobs, CronJobs or DaemonSets); templated ones skipped. A
    missing liveness probe alone does not fire (a bad one does more harm than none)."""
    for workload in ctx.typed(K8sWorkload):
        if workload.templated or workload.object_kind not in _SERVICE_KINDS:
            continue
        for container in _containers(workload):
            if container.readiness_probe:
                continue
            also = "" if container.liveness_probe else " (nor livenessProbe)"
            yield _chit(
                workload, container, f"{_cname(workload, container)} has no readinessProbe{also}"
            )


@rule(
    "k8s-automount-sa-token",
    "Service-account token mounted into the pod",
    Severity.LOW,
    "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless the "
    "application calls the Kubernetes API; give it a dedicated, minimal ServiceAccount.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes"),
)
def k8s_automount_token(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """An inference server rarely needs the Kubernetes API, yet by default every pod gets a
    token for its service account, which an RCE (e.g. a malicious model file) can use.
    Fires on an explicit ``true`` and on the default service account with the setting unset;
    a named service account is skipped (the mount may be disabled on the ServiceAccount
    object, which the evidence does not record)."""
    for workload in ctx.typed(K8sWorkload):
        if workload.templated:
            continue
        automount = workload.automount_service_account_token
        default_sa = workload.service_account_name in (None, "default")
        if automount is True or (automount is None and default_sa):
            how = "true" if automount else "unset, default service account"
            yield Hit.at(
                workload,
                f"{workload.object_kind}/{workload.name}: automountServiceAccountToken {how}",
            )


@rule(
    "k8s-cluster-admin-binding",
    "Binding to cluster-admin",
    Severity.HIGH,
    "Bind a Role/ClusterRole listing only the verbs and resources needed, scoped to a "
    "namespace where possible.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes", "rbac"),
)
def k8s_cluster_admin(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """cluster-admin is every permission on every resource: a compromise of any bound subject
    (often an ML operator or a notebook's service account) is a compromise of the cluster."""
    for item in ctx.typed(K8sRbac):
        if item.issue == "cluster-admin-binding":
            subjects = f" to {', '.join(item.subjects[:3])}" if item.subjects else ""
            yield Hit.at(item, f"{item.object_kind} {item.name!r} grants cluster-admin{subjects}")


@rule(
    "k8s-rbac-wildcard",
    "RBAC role with wildcard verbs or resources",
    Severity.MEDIUM,
    "List the exact verbs and resources the role needs instead of '*'.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes", "rbac"),
)
def k8s_rbac_wildcard(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``*`` grants today's and tomorrow's resources and verbs (including escalate/bind and
    secrets), far beyond what a training or serving component needs."""
    for item in ctx.typed(K8sRbac):
        if item.issue in ("wildcard-verbs", "wildcard-resources"):
            what = "verbs" if item.issue == "wildcard-verbs" else "resources"
            yield Hit.at(item, f"{item.object_kind} {item.name!r} grants '*' {what}")


@rule(
    "k8s-runs-as-root",
    "Container explicitly runs as root",
    Severity.MEDIUM,
    "Set runAsNonRoot: true and a non-zero runAsUser in the securityContext.",
    Dimension.DEPLOYMENT,
    ("security", "kubernetes", "container"),
)
def k8s_runs_as_root(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``runAsUser: 0`` or ``runAsNonRoot: false`` asks for root in the pod. An unset security
    context does not fire: the image's USER decides, and the Dockerfile rule covers it."""
    for workload in ctx.typed(K8sWorkload):
        for container in _containers(workload):
            if container.run_as_user == 0:
                yield _chit(workload, container, f"{_cname(workload, container)}: runAsUser 0")
            elif container.run_as_non_root is False:
                yield _chit(
                    workload, container, f"{_cname(workload, container)}: runAsNonRoot false"
                )
