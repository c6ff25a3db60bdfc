"""Kubernetes manifests, Helm charts/templates/values and Kustomize."""

from __future__ import annotations

import json
from typing import TypeVar

from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal, ImageRef
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import (
    HelmChart,
    HelmValuesSchema,
    K8sObject,
    K8sRbac,
    K8sWorkload,
    Kustomization,
    detemplate,
    parse_helm_chart,
    parse_helm_values,
    parse_helm_values_schema,
    parse_kubernetes,
    parse_kustomization,
)
from hyperscore.evaluators.ingest.parsers.infra_serving import ProgressiveDelivery
from hyperscore.evaluators.ingest.parsers.monitoring import Dashboard, MonitorAlert, ScrapeTarget
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: ml
  labels: {app: api, tier: web}
spec:
  replicas: 3
  strategy: {type: RollingUpdate}
  template:
    spec:
      serviceAccountName: api
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      automountServiceAccountToken: false
      volumes: [{name: h, hostPath: {path: /var/run}}, {name: c, emptyDir: {}}]
      initContainers:
      - name: init
        image: busybox
      containers:
      - name: api
        image: ghcr.io/x/api:1.2@sha256:abc
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: "1", memory: 1Gi, nvidia.com/gpu: 1}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        securityContext:
          runAsUser: 0
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: retrain}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          containers:
          - name: train
            image: trainer:latest
            securityContext: {privileged: true}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admin}
roleRef: {kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: sa, namespace: ml}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: everything, namespace: ml}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: ml}
spec: {minReplicas: 2, maxReplicas: 5}
"""


def parse(text: str, path: str = "deploy/prod/app.yaml") -> list[Evidence]:
    return list(parse_kubernetes(ParseInput(path, text)))


T = TypeVar("T", bound=Evidence)


def of(items: list[Evidence], cls: type[T]) -> list[T]:
    return [i for i in items if isinstance(i, cls)]


def test_objects_with_lines_and_links() -> None:
    objects = of(parse(MANIFEST), K8sObject)
    assert [(o.object_kind, o.name, o.namespace, o.line) for o in objects] == [
        ("Deployment", "api", "ml", 1),
        ("CronJob", "retrain", None, 33),
        ("ClusterRoleBinding", "admin", None, 48),
        ("Role", "everything", "ml", 54),
        ("HorizontalPodAutoscaler", "api", "ml", 65),
    ]
    deployment = objects[0]
    assert deployment.end_line == 31 and deployment.label_keys == ("app", "tier")
    assert [(lk.src, lk.dst, lk.rel) for lk in deployment.links] == [
        ("file:deploy/prod/app.yaml", "k8s:Deployment/ml/api", "defines")
    ]


def test_deployment_workload_facts() -> None:
    workload = of(parse(MANIFEST), K8sWorkload)[0]
    assert (workload.object_kind, workload.replicas, workload.strategy) == (
        "Deployment",
        3,
        "RollingUpdate",
    )
    assert workload.service_account_name == "api"
    assert workload.automount_service_account_token is False
    assert workload.host_path_volumes == ("/var/run",)
    init, api = workload.containers
    assert (init.name, init.init, init.image_pin, init.run_as_non_root, init.run_as_user) == (
        "init",
        True,
        "untagged",
        True,
        1000,
    )
    assert init.requests == () and not init.liveness_probe
    assert (api.line, api.image_line, api.image_pin, api.requests, api.limits) == (
        20,
        21,
        "digest",
        ("cpu", "memory"),
        ("cpu", "memory", "nvidia.com/gpu"),
    )
    assert api.gpu and api.liveness_probe and api.readiness_probe and not api.startup_probe
    assert api.run_as_user == 0 and api.run_as_non_root is True  # container overrides user only
    assert api.allow_privilege_escalation is False and api.read_only_root_filesystem is True
    assert api.capabilities_drop == ("ALL",) and api.capabilities_add == ("NET_BIND_SERVICE",)


def test_cronjob_workload_and_image_links() -> None:
    items = parse(MANIFEST)
    cron = of(items, K8sWorkload)[1]
    assert cron.object_kind == "CronJob" and cron.host_network is True
    (train,) = cron.containers
    assert train.privileged is True and train.image_pin == "latest"
    assert cron.automount_service_account_token is None
    images = of(items, ImageRef)
    assert [(i.ref, i.pin, i.line) for i in images] == [
        ("busybox", "untagged", 18),
        ("ghcr.io/x/api:1.2@sha256:abc", "digest", 21),
        ("trainer:latest", "latest", 45),
    ]
    assert images[2].links[0].src == "k8s:CronJob/default/retrain"
    assert images[2].links[0].rel == "runs"


def test_rbac_findings() -> None:
    rbac = of(parse(MANIFEST), K8sRbac)
    assert [(r.issue, r.object_kind, r.name, r.line) for r in rbac] == [
        ("cluster-admin-binding", "ClusterRoleBinding", "admin", 48),
        ("wildcard-verbs", "Role", "everything", 61),
        ("wildcard-resources", "Role", "everything", 61),
    ]
    assert rbac[0].subjects == ("ServiceAccount:ml/sa",)


def test_environment_from_directory() -> None:
    env = of(parse(MANIFEST), EnvironmentSignal)
    assert [(e.environment, e.tool) for e in env] == [("prod", "kubernetes")]


def test_non_kubernetes_yaml_is_ignored() -> None:
    assert parse("name: ci\non: push\njobs: {}\n", ".github/workflows/ci.yml") == []
    assert parse("items:\n  - apiVersion: v1\n    kind: Pod\n", "x.yaml") == []
    assert "kubernetes" not in [p.name for p in parsers_for("charts/x/Chart.yaml")]
    assert "kubernetes" not in [p.name for p in parsers_for("deploy/kustomization.yaml")]
    assert "kubernetes" in [p.name for p in parsers_for("deploy/api.yml")]


def test_list_kind_and_seldon_deployment() -> None:
    text = """\
apiVersion: v1
kind: List
items:
- apiVersion: machinelearning.seldon.io/v1
  kind: SeldonDeployment
  metadata: {name: iris}
  spec:
    predictors:
    - name: main
      traffic: 90
      graph: {name: clf, implementation: SKLEARN_SERVER, modelUri: gs://b/m}
      componentSpecs:
      - spec:
          containers: [{name: clf, image: "seldonio/sklearn:1.17"}]
    - name: canary
      traffic: 10
      graph: {name: clf, implementation: SKLEARN_SERVER}
"""
    items = parse(text, "seldon.yaml")
    assert [o.object_kind for o in of(items, K8sObject)] == ["SeldonDeployment"]
    workloads = of(items, K8sWorkload)
    assert [(w.name, w.component, w.containers[0].image_pin) for w in workloads] == [
        ("iris/main", "main", "tag")
    ]
    (delivery,) = of(items, ProgressiveDelivery)
    assert (delivery.tool, delivery.strategy, delivery.weights) == (
        "seldon",
        "traffic-split",
        (90, 10),
    )


def test_kserve_predictor_is_a_workload() -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: iris, namespace: models}
spec:
  predictor:
    minReplicas: 2
    serviceAccountName: sa
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://bucket/iris
      resources: {requests: {cpu: 100m}, limits: {memory: 1Gi}}
  transformer:
    containers:
    - name: feast
      image: org/transformer:0.3
"""
    workloads = of(parse(text, "isvc.yaml"), K8sWorkload)
    assert [(w.name, w.component, w.line) for w in workloads] == [
        ("iris/predictor", "predictor", 6),
        ("iris/transformer", "transformer", 13),
    ]
    predictor = workloads[0]
    assert predictor.replicas == 2 and predictor.service_account_name == "sa"
    (model,) = predictor.containers
    assert (model.name, model.requests, model.limits, model.image) == (
        "kserve-container",
        ("cpu",),
        ("memory",),
        None,
    )


def test_argo_rollout_workload_and_strategy() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api}
spec:
  strategy:
    canary:
      steps:
      - setWeight: 20
      - pause: {duration: 1h}
      - setWeight: 50
      - analysis: {templates: [{templateName: ok}]}
  template:
    spec:
      containers: [{name: api, image: "api:2"}]
"""
    items = parse(text, "rollout.yaml")
    (workload,) = of(items, K8sWorkload)
    assert workload.strategy == "canary" and workload.containers[0].image == "api:2"
    (delivery,) = of(items, ProgressiveDelivery)
    assert (
        delivery.tool,
        delivery.strategy,
        delivery.weights,
        delivery.analysis,
        delivery.line,
    ) == (
        "argo-rollouts",
        "canary",
        (20, 50),
        True,
        6,
    )


HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
  labels:
    {{- include "chart.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  template:
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.Version }}"
          livenessProbe:
            {{- toYaml .Values.livenessProbe | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
---
{{- if .Values.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: api}
  endpoints:
  - port: http
    path: /metrics
    interval: 30s
{{- end }}
"""


def test_detemplate_keeps_lines() -> None:
    out = detemplate(HELM_TEMPLATE)
    assert out.count("\n") == HELM_TEMPLATE.count("\n")
    lines = out.split("\n")
    assert lines[3] == "  name: __TPL__" and lines[5] == "" and lines[7] == ""
    assert detemplate("a: {{ x\n y }}\nb: 1") == "a: __TPL__\n\nb: 1"
    assert detemplate("{{ unclosed") == "{{ unclosed"


def test_helm_template_best_effort() -> None:
    items = parse(HELM_TEMPLATE, "charts/api/templates/deployment.yaml")
    objects = of(items, K8sObject)
    assert [(o.object_kind, o.templated, o.line) for o in objects] == [
        ("Deployment", True, 1),
        ("ServiceMonitor", True, 24),
    ]
    assert (
        objects[0].links[0].dst == "k8s:Deployment/default/charts/api/templates/deployment.yaml#1"
    )
    (workload,) = of(items, K8sWorkload)
    (container,) = workload.containers
    assert workload.templated and container.image_pin == "variable"
    assert container.liveness_probe and container.resources_templated
    assert container.run_as_non_root is None
    (target,) = of(items, ScrapeTarget)
    assert target.selector == {"app": "api"} and target.endpoints[0].path == "/metrics"


def test_unparseable_template_falls_back_to_regex() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n"
        "  {{ range $k, $v := .Values.x }}{{ $k }}: {{ $v | quote }}\n  bad: [unclosed\n"
        "  {{ end }}\n"
    )
    (obj,) = parse(text, "charts/api/templates/cm.yaml")
    assert isinstance(obj, K8sObject)
    assert (obj.object_kind, obj.api_version, obj.name, obj.line, obj.templated) == (
        "ConfigMap",
        "v1",
        "settings",
        2,
        True,
    )


def test_broken_plain_manifest_raises() -> None:
    try:
        parse("apiVersion: v1\nkind: Pod\nspec: [unclosed\n", "pod.yaml")
    except ValueError as exc:
        assert "invalid YAML" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("malformed YAML must raise")


def test_monitoring_resources_inside_manifests() -> None:
    dashboard = {
        "title": "Model",
        "schemaVersion": 39,
        "panels": [{"title": "QPS", "targets": [{"expr": "rate(predictions_total[5m])"}]}],
    }
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboards\n"
        "  labels: {grafana_dashboard: '1'}\ndata:\n  model.json: |\n"
        + "".join(f"    {line}\n" for line in json.dumps(dashboard, indent=1).splitlines())
        + "---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\n"
        "spec:\n  groups:\n  - name: g\n    rules:\n    - alert: NoPredictions\n"
        "      expr: rate(predictions_total[10m]) == 0\n"
    )
    items = parse(text, "monitoring.yaml")
    (board,) = of(items, Dashboard)
    assert board.metrics == ("predictions_total",) and board.line == 8
    assert board.links[1].src == "dashboard:monitoring.yaml#model.json"
    (alert,) = of(items, MonitorAlert)
    assert (alert.alert, alert.source, alert.metrics) == (
        "NoPredictions",
        "prometheus-rule",
        ("predictions_total",),
    )
    last = len(text.splitlines())
    assert alert.line is not None and alert.line <= last


CHART = """\
apiVersion: v2
name: api
type: application
version: 0.1.0
appVersion: "1.16.0"
dependencies:
  - name: redis
    version: 18.1.2
    repository: https://charts.bitnami.com/bitnami
  - name: postgresql
    version: "~12.0"
    repository: oci://registry-1.docker.io/bitnamicharts
"""


def test_helm_chart() -> None:
    (chart,) = parse_helm_chart(ParseInput("charts/api/Chart.yaml", CHART))
    assert isinstance(chart, HelmChart)
    assert (chart.chart_name, chart.version, chart.app_version, chart.api_version, chart.line) == (
        "api",
        "0.1.0",
        "1.16.0",
        "v2",
        2,
    )
    assert [(d.name, d.version, d.pinned) for d in chart.dependencies] == [
        ("redis", "18.1.2", True),
        ("postgresql", "~12.0", False),
    ]
    assert ("helm-chart:api", "helm-chart:redis", "depends") in {
        (lk.src, lk.dst, lk.rel) for lk in chart.links
    }


def test_helm_values_images() -> None:
    values = """\
image:
  repository: ghcr.io/org/api
  tag: ""
sidecar:
  image: busybox:1.36
redis:
  image:
    registry: docker.io
    repository: bitnami/redis
    tag: 7.2.4-debian-12-r0
workers:
  - name: a
    image: "worker@sha256:00ff"
"""
    items = list(parse_helm_values(ParseInput("charts/api/values-prod.yaml", values)))
    images = of(items, ImageRef)
    assert [(i.ref, i.pin, i.context, i.line) for i in images] == [
        ("ghcr.io/org/api", "variable", "image", 2),
        ("busybox:1.36", "tag", "sidecar.image", 5),
        ("docker.io/bitnami/redis:7.2.4-debian-12-r0", "tag", "redis.image", 9),
        ("worker@sha256:00ff", "digest", "workers.0.image", 13),
    ]
    assert [e.environment for e in of(items, EnvironmentSignal)] == ["prod"]


def test_helm_values_schema() -> None:
    schema = '{"$schema": "x", "properties": {"image": {}, "replicas": {}}, "required": ["image"]}'
    (item,) = parse_helm_values_schema(ParseInput("charts/api/values.schema.json", schema))
    assert isinstance(item, HelmValuesSchema)
    assert item.properties == ("image", "replicas") and item.required == ("image",)


def test_kustomization_overlay() -> None:
    text = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ml-prod
resources:
  - ../../base
  - monitoring.yaml
  - https://github.com/org/repo//deploy?ref=v1
images:
  - name: api
    newName: ghcr.io/org/api
    newTag: v1.2.3
  - name: worker
    digest: sha256:aa
patches:
  - path: replicas.yaml
configMapGenerator:
  - name: cfg
"""
    items = list(parse_kustomization(ParseInput("deploy/overlays/prod/kustomization.yaml", text)))
    (kust,) = of(items, Kustomization)
    assert (
        kust.overlay and kust.namespace == "ml-prod" and kust.patches == 1 and kust.generators == 1
    )
    assert kust.images == ("ghcr.io/org/api:v1.2.3", "worker@sha256:aa")
    assert {lk.dst for lk in kust.links} == {
        "file:deploy/base",
        "file:deploy/overlays/prod/monitoring.yaml",
    }
    images = of(items, ImageRef)
    assert [(i.pin, i.line, i.context) for i in images] == [
        ("tag", 9, "api"),
        ("digest", 12, "worker"),
    ]
    assert [(e.environment, e.source) for e in of(items, EnvironmentSignal)] == [
        ("prod", "directory")
    ]


def test_large_crd_documents_are_skimmed_not_loaded() -> None:
    schema = "".join(f"          field{i}: {{type: string}}\n" for i in range(3000))
    text = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        "  name: models.example.io\nspec:\n  versions:\n  - name: v1\n    schema:\n"
        "      openAPIV3Schema:\n        properties:\n" + schema + "---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: controller}\nspec:\n"
        "  template:\n    spec:\n      containers: [{name: c, image: 'ctl:1'}]\n"
    )
    assert len(text) > 50_000
    items = parse(text, "install/bundle.yaml")
    objects = [(o.object_kind, o.name, o.line, o.api_version) for o in of(items, K8sObject)]
    deployment_line = 10 + 3000 + 2  # header, schema lines, then "---"
    assert objects == [
        ("CustomResourceDefinition", "models.example.io", 2, "apiextensions.k8s.io/v1"),
        ("Deployment", "controller", deployment_line, "apps/v1"),
    ]
    (workload,) = of(items, K8sWorkload)
    assert workload.containers[0].image == "ctl:1"
