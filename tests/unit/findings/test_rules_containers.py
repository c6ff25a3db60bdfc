"""Container and manifest rules: Dockerfile, compose, Kubernetes, Helm and Kustomize."""

from __future__ import annotations

from pathlib import Path

from hyperscore.evaluators.assessment import Severity
from tests.unit.findings import fire

DIGEST = "sha256:" + "ab" * 32
NOT_DIGEST = "docker-base-image-not-digest-pinned"
HOSTPATH = "k8s-hostpath-volume"

SERVICE_DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /app
COPY . .
EXPOSE 8080
CMD ["uvicorn", "app:app"]
"""

HARDENED_DOCKERFILE = f"""\
FROM python:3.11-slim@{DIGEST} AS build
RUN pip install --no-cache-dir -r requirements.txt
FROM python:3.11-slim@{DIGEST}
COPY --from=build /app /app
USER 10001
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8080/healthz')"
EXPOSE 8080
CMD ["uvicorn", "app:app"]
"""


def deployment(container: str = "", pod: str = "", kind: str = "Deployment") -> str:
    """A Deployment with one container ``api``; extra YAML for the container and the pod spec."""
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: api
spec:
  template:
    spec:
{pod}      containers:
        - name: api
          image: registry.example.com/api:1.0.0
{container}"""


HARDENED_CONTAINER = """\
          resources:
            requests: {cpu: 100m, memory: 256Mi}
            limits: {cpu: "1", memory: 1Gi}
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          securityContext:
            runAsNonRoot: true
            runAsUser: 10001
"""
HARDENED_POD = "      automountServiceAccountToken: false\n"


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_without_user_runs_as_root(tmp_path: Path) -> None:
    found = fire(tmp_path, {"Dockerfile": SERVICE_DOCKERFILE}, "docker-runs-as-root")
    assert [(f.path, f.severity) for f in found] == [("Dockerfile", Severity.MEDIUM)]


def test_dockerfile_with_user_or_nonroot_base_or_devcontainer_is_fine(tmp_path: Path) -> None:
    files = {
        "Dockerfile": HARDENED_DOCKERFILE,
        "Dockerfile.distroless": "FROM gcr.io/distroless/python3-debian12:nonroot\nCMD ['x']\n",
        ".devcontainer/Dockerfile": "FROM mcr.microsoft.com/devcontainers/python:3.11\n",
    }
    assert fire(tmp_path, files, "docker-runs-as-root") == []


def test_compose_user_root_is_flagged(tmp_path: Path) -> None:
    compose = f"services:\n  api:\n    image: example/api:1.0@{DIGEST}\n    user: root\n"
    found = fire(tmp_path, {"docker-compose.yml": compose}, "docker-runs-as-root")
    assert [f.path for f in found] == ["docker-compose.yml"]


def test_base_image_tag_without_digest_is_low(tmp_path: Path) -> None:
    found = fire(tmp_path, {"Dockerfile": SERVICE_DOCKERFILE}, NOT_DIGEST)
    assert [(f.line, f.severity) for f in found] == [(1, Severity.LOW)]


def test_digest_pinned_bases_and_stage_aliases_are_fine(tmp_path: Path) -> None:
    found = fire(tmp_path, {"Dockerfile": HARDENED_DOCKERFILE}, NOT_DIGEST)
    assert found == []


def test_missing_healthcheck_is_low(tmp_path: Path) -> None:
    found = fire(tmp_path, {"Dockerfile": SERVICE_DOCKERFILE}, "docker-missing-healthcheck")
    assert [f.severity for f in found] == [Severity.LOW]


def test_healthcheck_present_or_build_only_image_is_fine(tmp_path: Path) -> None:
    files = {
        "Dockerfile": HARDENED_DOCKERFILE,
        "docker/base.Dockerfile": "FROM python:3.11-slim\nRUN pip install numpy==2.0.0\n",
    }
    assert fire(tmp_path, files, "docker-missing-healthcheck") == []


# --------------------------------------------------------------------------- images


def test_latest_and_untagged_images_fire(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python\nUSER 1000\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres:latest\n",
        "k8s/deploy.yaml": deployment().replace("registry.example.com/api:1.0.0", "nginx"),
    }
    found = fire(tmp_path, files, "image-latest-or-untagged")
    assert sorted((f.path, f.severity) for f in found) == [
        ("Dockerfile", Severity.MEDIUM),
        ("docker-compose.yml", Severity.MEDIUM),
        ("k8s/deploy.yaml", Severity.MEDIUM),
    ]


def test_kustomize_rewritten_and_compose_built_images_are_fine(tmp_path: Path) -> None:
    files = {
        "k8s/base/deploy.yaml": deployment().replace("registry.example.com/api:1.0.0", "api"),
        "k8s/base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n"
        "  - name: api\n    newName: registry.example.com/api\n",
        "k8s/prod/kustomization.yaml": "resources: [../base]\nimages:\n"
        "  - name: api\n    newName: registry.example.com/api\n    newTag: 1.4.0\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n    image: myapp\n",
        "Dockerfile": "ARG BASE=python:3.11-slim\nFROM ${BASE}\nUSER 1000\n",
    }
    assert fire(tmp_path, files, "image-latest-or-untagged") == []


# --------------------------------------------------------------------------- curl | sh


def test_curl_pipe_shell_in_dockerfile_script_and_ci(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.11\nRUN curl -fsSL https://get.example.sh | bash\nUSER 1\n",
        "scripts/setup.sh": "#!/bin/sh\nwget -qO- https://example.com/install.sh | sh\n",
        ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: curl -LsSf https://astral.sh/uv/install.sh | sh\n",
    }
    found = fire(tmp_path, files, "curl-pipe-shell")
    assert sorted((f.path, f.line) for f in found) == [
        (".github/workflows/ci.yml", 7),
        ("Dockerfile", 2),
        ("scripts/setup.sh", 2),
    ]
    assert all(f.severity == Severity.MEDIUM for f in found)


def test_download_to_file_or_pipe_to_tar_is_not_curl_pipe_shell(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.11\nRUN curl -fsSLo get.sh https://x.example/get.sh "
        "&& sha256sum -c get.sh.sha256 && sh get.sh\nUSER 1\n",
        "data/download.sh": "wget -qO- https://example.com/data.tar.gz | tar xz\n",
    }
    assert fire(tmp_path, files, "curl-pipe-shell") == []


# --------------------------------------------------------------------------- compose


def test_privileged_compose_service_is_high(tmp_path: Path) -> None:
    compose = (
        "services:\n  agent:\n    image: example/agent:1.0\n    privileged: true\n"
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
    )
    found = fire(tmp_path, {"compose.yaml": compose}, "compose-privileged-service")
    assert [f.severity for f in found] == [Severity.HIGH]
    assert "docker.sock" in found[0].message


def test_config_bind_mounts_are_not_privileged(tmp_path: Path) -> None:
    compose = (
        "services:\n  prom:\n    image: prom/prometheus:v2.53.0\n"
        "    volumes:\n      - ./prometheus.yml:/etc/prometheus/prometheus.yml:ro\n"
    )
    assert fire(tmp_path, {"compose.yaml": compose}, "compose-privileged-service") == []


# --------------------------------------------------------------------------- Kubernetes


def test_privileged_and_host_namespaces_fire(tmp_path: Path) -> None:
    container = HARDENED_CONTAINER + "            privileged: true\n"
    pod = HARDENED_POD + "      hostPID: true\n"
    found = fire(tmp_path, {"k8s/d.yaml": deployment(container, pod)}, "k8s-privileged-container")
    assert len(found) == 2 and all(f.severity == Severity.HIGH for f in found)


def test_unprivileged_pod_is_fine(tmp_path: Path) -> None:
    container = HARDENED_CONTAINER + "            privileged: false\n"
    found = fire(
        tmp_path, {"k8s/d.yaml": deployment(container, HARDENED_POD)}, "k8s-privileged-container"
    )
    assert found == []


def test_hostpath_volume(tmp_path: Path) -> None:
    pod = HARDENED_POD + "      volumes:\n        - name: sock\n          hostPath:\n"
    pod += "            path: /var/run/docker.sock\n"
    found = fire(tmp_path, {"k8s/d.yaml": deployment(HARDENED_CONTAINER, pod)}, HOSTPATH)
    assert [f.severity for f in found] == [Severity.HIGH]


def test_other_volume_types_are_not_hostpath(tmp_path: Path) -> None:
    pod = HARDENED_POD + "      volumes:\n        - name: tmp\n          emptyDir: {}\n"
    pod += "        - name: data\n          persistentVolumeClaim: {claimName: data}\n"
    found = fire(tmp_path, {"k8s/d.yaml": deployment(HARDENED_CONTAINER, pod)}, HOSTPATH)
    assert found == []


def test_missing_limits_is_medium(tmp_path: Path) -> None:
    found = fire(tmp_path, {"k8s/d.yaml": deployment()}, "k8s-missing-resource-limits")
    assert [(f.path, f.severity) for f in found] == [("k8s/d.yaml", Severity.MEDIUM)]


def test_limits_present_or_helm_templated_resources_are_fine(tmp_path: Path) -> None:
    helm = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n"
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
    )
    files = {
        "k8s/d.yaml": deployment(HARDENED_CONTAINER, HARDENED_POD),
        "chart/templates/deployment.yaml": helm,
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    }
    assert fire(tmp_path, files, "k8s-missing-resource-limits") == []


def test_missing_readiness_probe_is_low(tmp_path: Path) -> None:
    found = fire(tmp_path, {"k8s/d.yaml": deployment()}, "k8s-missing-probes")
    assert [f.severity for f in found] == [Severity.LOW]


def test_probes_present_or_batch_job_is_fine(tmp_path: Path) -> None:
    job = deployment(kind="Job").replace("apps/v1", "batch/v1")
    files = {"k8s/d.yaml": deployment(HARDENED_CONTAINER, HARDENED_POD), "k8s/job.yaml": job}
    assert fire(tmp_path, files, "k8s-missing-probes") == []


def test_default_service_account_token_is_low(tmp_path: Path) -> None:
    found = fire(tmp_path, {"k8s/d.yaml": deployment(HARDENED_CONTAINER)}, "k8s-automount-sa-token")
    assert [f.severity for f in found] == [Severity.LOW]


def test_automount_disabled_or_dedicated_service_account_is_fine(tmp_path: Path) -> None:
    files = {
        "k8s/a.yaml": deployment(HARDENED_CONTAINER, HARDENED_POD),
        "k8s/b.yaml": deployment(HARDENED_CONTAINER, "      serviceAccountName: api\n"),
    }
    assert fire(tmp_path, files, "k8s-automount-sa-token") == []


def test_cluster_admin_binding_is_high(tmp_path: Path) -> None:
    binding = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
        "metadata:\n  name: notebook-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
        "  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n"
        "  - kind: ServiceAccount\n    name: jupyter\n    namespace: ml\n"
    )
    found = fire(tmp_path, {"k8s/rbac.yaml": binding}, "k8s-cluster-admin-binding")
    assert [f.severity for f in found] == [Severity.HIGH]
    assert "jupyter" in found[0].message


def test_narrow_binding_is_fine(tmp_path: Path) -> None:
    binding = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
        "metadata:\n  name: reader\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n"
        "  kind: Role\n  name: pod-reader\nsubjects:\n  - kind: ServiceAccount\n    name: app\n"
    )
    assert fire(tmp_path, {"k8s/rbac.yaml": binding}, "k8s-cluster-admin-binding") == []


def test_wildcard_role_is_medium(tmp_path: Path) -> None:
    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: op\n"
        "rules:\n  - apiGroups: ['*']\n    resources: ['*']\n    verbs: ['get', 'list']\n"
    )
    found = fire(tmp_path, {"k8s/role.yaml": role}, "k8s-rbac-wildcard")
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_explicit_role_is_not_wildcard(tmp_path: Path) -> None:
    role = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n"
        "rules:\n  - apiGroups: ['']\n    resources: ['pods']\n    verbs: ['get', 'list']\n"
    )
    assert fire(tmp_path, {"k8s/role.yaml": role}, "k8s-rbac-wildcard") == []


def test_run_as_user_zero_is_medium(tmp_path: Path) -> None:
    container = "          securityContext:\n            runAsUser: 0\n"
    found = fire(tmp_path, {"k8s/d.yaml": deployment(container)}, "k8s-runs-as-root")
    assert [f.severity for f in found] == [Severity.MEDIUM]


def test_unset_or_non_root_security_context_is_fine(tmp_path: Path) -> None:
    files = {
        "k8s/a.yaml": deployment(HARDENED_CONTAINER),
        "k8s/b.yaml": deployment(),
    }
    assert fire(tmp_path, files, "k8s-runs-as-root") == []


def test_latest_through_arg_default_is_low(tmp_path: Path) -> None:
    files = {"Dockerfile": "ARG VERSION=latest\nFROM example/base:${VERSION}\nUSER 1000\n"}
    found = fire(tmp_path, files, "image-latest-or-untagged")
    assert [(f.line, f.severity) for f in found] == [(2, Severity.LOW)]
