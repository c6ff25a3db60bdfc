"""The Helm chart and the plain manifests: lint, render, least-privilege RBAC, install.

Rendering and linting need only the helm binary (and kubectl for ``kustomize``); the install
tests run ``helm install`` into the real control plane and ask the API server, with ``kubectl
auth can-i --as`` the operator's ServiceAccount, what it may do -- the authoritative answer,
whatever the rules look like on paper.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hack.render_install import CHART, render, rendered_docs, run_helm
from hyperscore.operator.cli import build_parser

from .controlplane import ControlPlane

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "manifests" / "install"
EXAMPLES = ROOT / "manifests" / "examples"
DASHBOARD = CHART / "dashboards" / "hyperscore.json"
DIGEST = "sha256:" + "a" * 64

# Every value of values.yaml set to something other than its default (a test checks that no
# value is missing here, so "every option on" stays true when the chart grows).
ALL_ON: dict[str, Any] = {
    "image": {
        "repository": "registry.example.com/ml/hyperscore-operator",
        "tag": "1.2.3",
        "digest": DIGEST,
        "pullPolicy": "Always",
    },
    "imagePullSecrets": [{"name": "regcred"}],
    "serviceAccount": {
        "create": True,
        "name": "hs-operator",
        "annotations": {"iam.example.com/role": "hyperscore"},
    },
    "rbac": {"create": True},
    "watchNamespaces": ["team-a", "team-b"],
    "logLevel": "debug",
    "extraArgs": ["--verbose"],
    "operator": {
        "executor": "ray",
        "rayAddress": "ray://raycluster-head-svc.ray:10001",
        "maxConcurrent": 4,
        "runTimeoutSeconds": 1200,
        "sandboxImage": "registry.example.com/ml/hyperscore:1.2.3",
    },
    "resources": {
        "requests": {"cpu": "200m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    },
    "podAnnotations": {"example.com/owner": "ml-platform"},
    "podLabels": {"team": "ml-platform"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}
    ],
    "affinity": {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["ml"]}]}
                ]
            }
        }
    },
    "priorityClassName": "ml-platform-high",
    "metrics": {"port": 9100},
    "service": {"type": "NodePort", "port": 9100},
    "serviceMonitor": {
        "enabled": True,
        "namespace": "monitoring",
        "interval": "15s",
        "scrapeTimeout": "5s",
        "labels": {"release": "prom"},
    },
    "grafanaDashboard": {
        "enabled": True,
        "namespace": "grafana",
        "label": "grafana_dashboard",
        "labelValue": "1",
        "labels": {"team": "ml-platform"},
        "annotations": {"grafana_folder": "MLOps"},
    },
}

# (apiGroup, resource, verb) the operator calls: the controller, kopf, and the sandboxed Jobs.
NEEDED_NAMESPACED = [
    *[
        ("hyperscore.dev", plural, verb)
        for plural in ("maturityassessments", "maturityreviews", "scoringpolicies")
        for verb in ("get", "list", "watch", "patch")
    ],
    ("hyperscore.dev", "maturityassessments/status", "patch"),
    ("hyperscore.dev", "maturityreviews/status", "patch"),
    ("hyperscore.dev", "scoringpolicies/status", "patch"),
    ("hyperscore.dev", "maturityassessments/finalizers", "update"),
    ("", "configmaps", "get"),
    ("", "configmaps", "create"),
    ("", "configmaps", "delete"),
    ("", "secrets", "get"),
    *[("batch", "jobs", verb) for verb in ("create", "get", "list", "watch", "delete")],
    *[("", "pods", verb) for verb in ("get", "list", "watch")],
    ("", "pods/status", "get"),
    *[("networking.k8s.io", "networkpolicies", verb) for verb in ("create", "get", "delete")],
    ("", "events", "create"),
    ("", "events", "patch"),
]
NEEDED_CLUSTER = [
    ("apiextensions.k8s.io", "customresourcedefinitions", "list"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "watch"),
]
NEEDED_ALL_NAMESPACES = [("", "namespaces", "list"), ("", "namespaces", "watch")]
NEVER = [
    ("", "secrets", "list"),
    ("", "secrets", "watch"),
    ("", "secrets", "create"),
    ("", "pods", "create"),
    ("", "pods/exec", "create"),
    ("", "pods/log", "get"),
    ("", "namespaces", "delete"),
    ("", "serviceaccounts/token", "create"),
    ("batch", "jobs", "update"),
    ("hyperscore.dev", "maturityassessments", "delete"),
    ("hyperscore.dev", "maturityassessments", "create"),
    ("apps", "deployments", "create"),
    ("rbac.authorization.k8s.io", "clusterroles", "create"),
    ("rbac.authorization.k8s.io", "rolebindings", "create"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "create"),
]


class Helm:
    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def run(self, *args: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
        done = run_helm(self.binary, *args, **kw)
        assert not check or done.returncode == 0, done.stderr
        return done

    def template(
        self, *args: str, release: str = "hs", namespace: str = "ops"
    ) -> list[dict[str, Any]]:
        out = self.run("template", release, str(CHART), "--namespace", namespace, *args).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def chart(helm: Path) -> Helm:
    return Helm(helm)


@pytest.fixture(scope="module")
def all_on_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("values") / "all-on.yaml"
    path.write_text(yaml.safe_dump(ALL_ON), encoding="utf-8")
    return path


def assert_cli_accepts(args: list[str]) -> None:
    """The container's arguments parse with the real ``hyperscore`` CLI (no drift between the
    chart and ``hyperscore operator run``)."""
    parsed = build_parser().parse_args(args)
    assert (parsed.command, parsed.operator_command) == ("operator", "run")


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def allows(rules: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    """RBAC's own matching, for rules without wildcards (a test asserts there are none)."""
    return any(
        group in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verb in rule.get("verbs", [])
        for rule in rules
    )


def granted_rules(docs: list[dict[str, Any]], namespace: str | None) -> list[dict[str, Any]]:
    """Rules the release's ServiceAccount gets in ``namespace`` (None: cluster-scoped)."""
    roles = {r["metadata"]["name"]: r["rules"] for r in by_kind(docs, "ClusterRole")}
    bindings = by_kind(docs, "ClusterRoleBinding")
    if namespace is not None:
        bindings += [
            b for b in by_kind(docs, "RoleBinding") if b["metadata"]["namespace"] == namespace
        ]
    return [rule for b in bindings for rule in roles[b["roleRef"]["name"]]]


def leaf_paths(values: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Key paths of values.yaml; an empty map or any list counts as one value."""
    paths: set[tuple[str, ...]] = set()
    for key, value in values.items():
        if isinstance(value, dict) and value:
            paths |= leaf_paths(value, (*prefix, key))
        else:
            paths.add((*prefix, key))
    return paths


# --------------------------------------------------------------------------- lint and values


def test_lint_strict_with_defaults_and_with_every_option(chart: Helm, all_on_file: Path) -> None:
    for extra in ([], ["--values", str(all_on_file)]):
        done = chart.run("lint", str(CHART), "--strict", *extra)
        assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout, done.stdout


def test_schema_and_all_options_cover_every_value() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))

    def node(path: tuple[str, ...]) -> dict[str, Any] | None:
        here: dict[str, Any] = schema
        for key in path:
            if "$ref" in here:
                here = schema["definitions"][here["$ref"].rsplit("/", 1)[1]]
            if key not in here.get("properties", {}):
                return None
            here = here["properties"][key]
        return here

    leaves = leaf_paths(values)
    assert [p for p in sorted(leaves) if node(p) is None] == []
    assert schema["additionalProperties"] is False
    # ALL_ON sets every value, and to something other than its default (except these, which
    # are already "on" by default or have a single sensible value)
    on_by_default = {
        ("rbac", "create"),
        ("serviceAccount", "create"),
        ("grafanaDashboard", "enabled"),
        ("grafanaDashboard", "label"),
        ("grafanaDashboard", "labelValue"),
        ("operator", "executor"),
    }
    missing, unchanged = [], []
    for path in sorted(leaves):
        default, on = values, ALL_ON
        for key in path:
            default, on = default[key], on.get(key, KeyError) if isinstance(on, dict) else KeyError
        if on is KeyError:
            missing.append(path)
        elif on == default and path not in on_by_default:
            unchanged.append(path)
    assert (missing, unchanged) == ([], [])


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("logLevel=loud", "logLevel"),
        ("image.digest=sha256:x", "digest"),
        ("image.tag=latest", "tag"),
        ("operator.executor=threads", "executor"),
        ("operator.maxConcurrent=0", "maxConcurrent"),
        ("serviceMonitor.interval=often", "interval"),
        ("resources.limits.gpu=1", "gpu"),
        ("colour=blue", "colour"),
    ],
)
def test_values_schema_rejects_bad_values(chart: Helm, setting: str, named: str) -> None:
    done = chart.run("template", "hs", str(CHART), "--set", setting, check=False)
    assert done.returncode != 0 and named in done.stderr, done.stderr


# --------------------------------------------------------------------------- rendering


def test_default_render_is_a_hardened_single_replica_operator(chart: Helm) -> None:
    docs = chart.template()
    assert sorted(d["kind"] for d in docs) == [
        "ClusterRole",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
    (deployment,) = by_kind(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert (
        pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    )
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert container["image"].endswith(":0.1.0")
    args = container["args"]
    assert args[:2] == ["operator", "run"] and "--all-namespaces" in args
    assert_cli_accepts(args)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HF_HUB_OFFLINE"] == env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["HYPERSCORE_METRICS_PORT"] == str(ports["metrics"])
    (service,) = by_kind(docs, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    (dashboard,) = by_kind(docs, "ConfigMap")
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["namespace"] == "ops"
    shipped = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert json.loads(dashboard["data"]["hyperscore.json"]) == shipped


def test_every_option_renders_where_it_should(chart: Helm, all_on_file: Path) -> None:
    docs = chart.template("--values", str(all_on_file))
    (monitor,) = by_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["ops"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint == {
        "port": "metrics",
        "path": "/metrics",
        "interval": "15s",
        "scrapeTimeout": "5s",
    }
    (dashboard,) = by_kind(docs, "ConfigMap")
    meta = dashboard["metadata"]
    assert meta["namespace"] == "grafana" and meta["annotations"] == {"grafana_folder": "MLOps"}
    assert meta["labels"]["grafana_dashboard"] == "1" and meta["labels"]["team"] == "ml-platform"
    (deployment,) = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == f"registry.example.com/ml/hyperscore-operator@{DIGEST}"
    assert container["imagePullPolicy"] == "Always"
    args = container["args"]
    assert "--namespace=team-a" in args and "--namespace=team-b" in args
    assert "--all-namespaces" not in args and args[-1] == "--verbose"
    assert "--log-level=debug" in args
    assert_cli_accepts([a for a in args if a != "--verbose"])  # extraArgs are the user's own
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HYPERSCORE_RAY_ADDRESS"] == "ray://raycluster-head-svc.ray:10001"
    assert (
        env["HYPERSCORE_MAX_CONCURRENT"] == "4" and env["HYPERSCORE_RUN_TIMEOUT_SECONDS"] == "1200"
    )
    assert env["HYPERSCORE_SANDBOX_IMAGE"] == "registry.example.com/ml/hyperscore:1.2.3"
    assert env["HYPERSCORE_METRICS_PORT"] == "9100"
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"] == 9100
    assert pod["serviceAccountName"] == "hs-operator"
    assert pod["priorityClassName"] == "ml-platform-high"
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert pod["nodeSelector"] == ALL_ON["nodeSelector"] and pod["affinity"] == ALL_ON["affinity"]
    assert pod["tolerations"] == ALL_ON["tolerations"]
    assert deployment["spec"]["template"]["metadata"]["labels"]["team"] == "ml-platform"
    assert container["resources"] == ALL_ON["resources"]
    (service,) = by_kind(docs, "Service")
    assert service["spec"]["type"] == "NodePort" and service["spec"]["ports"][0]["port"] == 9100
    (account,) = by_kind(docs, "ServiceAccount")
    assert account["metadata"]["annotations"] == {"iam.example.com/role": "hyperscore"}
    # namespaced permissions only in the watched namespaces
    assert sorted(b["metadata"]["namespace"] for b in by_kind(docs, "RoleBinding")) == [
        "team-a",
        "team-b",
    ]


def test_optional_objects_can_be_turned_off(chart: Helm) -> None:
    docs = chart.template(
        "--set", "grafanaDashboard.enabled=false",
        "--set", "rbac.create=false",
        "--set", "serviceAccount.create=false",
        "--set", "serviceAccount.name=platform-sa",
    )  # fmt: skip
    assert sorted(d["kind"] for d in docs) == ["Deployment", "Service"]
    (deployment,) = by_kind(docs, "Deployment")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "platform-sa"


@pytest.mark.parametrize("mode", ["all-namespaces", "watched-namespaces"])
def test_rbac_has_no_wildcards_and_grants_what_the_operator_needs(
    chart: Helm, all_on_file: Path, mode: str
) -> None:
    docs = (
        chart.template()
        if mode == "all-namespaces"
        else chart.template("--values", str(all_on_file))
    )
    rbac = [d for d in docs if d["kind"] in ("ClusterRole", "Role")]
    for rule in (rule for role in rbac for rule in role["rules"]):
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule.get(field, []), rule
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
    watched = "team-a" if mode == "watched-namespaces" else "any"
    inside = granted_rules(docs, watched)
    cluster = granted_rules(docs, None)
    assert [n for n in NEEDED_NAMESPACED if not allows(inside, *n)] == []
    assert [n for n in NEEDED_CLUSTER if not allows(cluster, *n)] == []
    assert [n for n in NEVER if allows(inside, *n)] == []
    if mode == "all-namespaces":
        assert [n for n in NEEDED_ALL_NAMESPACES if not allows(cluster, *n)] == []
        assert all(allows(cluster, *n) for n in NEEDED_NAMESPACED)  # bound cluster-wide
    else:
        # nothing namespaced outside the watched namespaces, and namespaces are not listed
        assert not any(allows(cluster, *n) for n in NEEDED_NAMESPACED)
        assert not any(allows(cluster, *n) for n in NEEDED_ALL_NAMESPACES)
        assert granted_rules(docs, "ops") == cluster


# --------------------------------------------------------------------------- plain manifests


def test_plain_install_is_the_chart_rendered(chart: Helm, k8s_bin_dir: Path) -> None:
    """manifests/install = namespace + CRDs + the chart's default render, kept generated."""
    assert (INSTALL / "operator.yaml").read_text(encoding="utf-8") == render(chart.binary), (
        "manifests/install/operator.yaml is stale: run `make manifests`"
    )
    built = subprocess.run(
        [str(k8s_bin_dir / "kubectl"), "kustomize", str(INSTALL)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    docs = [d for d in yaml.safe_load_all(built) if d]
    assert [d["metadata"]["name"] for d in by_kind(docs, "Namespace")] == ["hyperscore-system"]
    crds = sorted(d["metadata"]["name"] for d in by_kind(docs, "CustomResourceDefinition"))
    chart_crds = sorted(
        yaml.safe_load(p.read_text(encoding="utf-8"))["metadata"]["name"]
        for p in (CHART / "crds").glob("*.yaml")
    )
    assert crds == chart_crds and len(crds) == 3

    def key(doc: dict[str, Any]) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    rest = sorted(
        (d for d in docs if d["kind"] not in ("Namespace", "CustomResourceDefinition")), key=key
    )
    assert rest == sorted(rendered_docs(chart.binary), key=key)

    # the same RBAC rules as the chart, in particular
    def canonical(rules: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps(rule, sort_keys=True) for rule in rules)

    plain = canonical(granted_rules(rest, "hyperscore-system"))
    assert plain == canonical(granted_rules(chart.template(), "hyperscore-system"))


def test_examples_kustomization_lists_every_example() -> None:
    listed = yaml.safe_load((EXAMPLES / "kustomization.yaml").read_text(encoding="utf-8"))
    files = sorted(p.name for p in EXAMPLES.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed["resources"]) == files


# --------------------------------------------------------------------------- real control plane


def can_i(cp: ControlPlane, sa: str, verb: str, resource: str, namespace: str | None) -> bool:
    """``kubectl auth can-i``; ``pods/log`` is passed as --subresource (kubectl would otherwise
    read ``pods/log`` as the pod named "log")."""
    scope = ["--all-namespaces"] if namespace is None else ["-n", namespace]
    resource, _, sub = resource.partition("/")
    extra = [f"--subresource={sub}"] if sub else []
    result = cp.kubectl("auth", "can-i", verb, resource, *extra, *scope, f"--as={sa}", check=False)
    return result.stdout.strip() == "yes"


def resource_of(group: str, resource: str) -> str:
    """``jobs`` + ``batch`` -> ``jobs.batch``, keeping a ``/subresource`` suffix."""
    name, slash, sub = resource.partition("/")
    return f"{name}.{group}{slash}{sub}" if group else resource


@pytest.fixture
def installed(
    control_plane: ControlPlane, namespace: str, chart: Helm, request: pytest.FixtureRequest
) -> Iterator[tuple[str, list[str]]]:
    """``helm install`` into the test namespace; yields (the SA's username, watched namespaces)."""
    watched: list[str] = list(getattr(request, "param", []))
    created = [f"{namespace[:40]}-{w}" for w in watched]
    for name in created:
        control_plane.kubectl("create", "namespace", name)
    release = f"hs-{uuid.uuid4().hex[:6]}"
    sets = [f"--set=watchNamespaces[{i}]={name}" for i, name in enumerate(created)]
    env = control_plane.env()
    chart.run("install", release, str(CHART), "--namespace", namespace, *sets, env=env)
    try:
        yield f"system:serviceaccount:{namespace}:{release}-hyperscore", created
    finally:
        chart.run("uninstall", release, "--namespace", namespace, env=env, check=False)
        for name in created:
            control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_helm_install_cluster_wide_grants_only_what_is_needed(
    control_plane: ControlPlane, namespace: str, installed: tuple[str, list[str]]
) -> None:
    sa, _ = installed
    elsewhere = "default"  # cluster-wide: any namespace
    denied_needs = [
        n
        for n in NEEDED_NAMESPACED
        if not can_i(control_plane, sa, n[2], resource_of(*n[:2]), elsewhere)
    ]
    assert denied_needs == []
    for group, resource, verb in NEEDED_CLUSTER + NEEDED_ALL_NAMESPACES:
        assert can_i(control_plane, sa, verb, resource_of(group, resource), None), resource
    allowed_never = [
        n for n in NEVER if can_i(control_plane, sa, n[2], resource_of(*n[:2]), elsewhere)
    ]
    assert allowed_never == []
    # secrets are read one by one, never listed across the cluster; namespaces never deleted
    assert not can_i(control_plane, sa, "list", "secrets", None)
    assert not can_i(control_plane, sa, "delete", "namespaces", None)
    # helm installed the dashboard for Grafana's sidecar
    labelled = control_plane.kubectl(
        "get", "configmaps", "-n", namespace, "-l", "grafana_dashboard=1", "-o", "name"
    ).stdout.split()
    assert len(labelled) == 1


@pytest.mark.parametrize("installed", [["watched"]], indirect=True)
def test_helm_install_for_watched_namespaces_stays_inside_them(
    control_plane: ControlPlane, namespace: str, installed: tuple[str, list[str]]
) -> None:
    sa, (watched,) = installed
    for group, resource, verb in NEEDED_NAMESPACED:
        assert can_i(control_plane, sa, verb, resource_of(group, resource), watched), resource
    # the release namespace is not watched: no secrets, no jobs there
    assert not can_i(control_plane, sa, "get", "secrets", namespace)
    assert not can_i(control_plane, sa, "create", "jobs.batch", namespace)
    assert not can_i(control_plane, sa, "list", "namespaces", None)
    assert can_i(control_plane, sa, "watch", "customresourcedefinitions.apiextensions.k8s.io", None)


def test_plain_install_passes_a_server_side_dry_run(
    control_plane: ControlPlane, namespace: str
) -> None:
    """Every object of manifests/install against the real API server's schemas and admission.

    The namespaced objects are moved into the test's namespace (a dry run does not create
    hyperscore-system, and a real install would collide with other tests)."""
    built = control_plane.kubectl("kustomize", str(INSTALL)).stdout
    docs = [d for d in yaml.safe_load_all(built) if d and d["kind"] != "Namespace"]
    for doc in docs:
        if "namespace" in doc["metadata"]:
            doc["metadata"]["namespace"] = namespace
        for subject in doc.get("subjects", []):
            subject["namespace"] = namespace
    done = control_plane.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(docs)
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(docs) and all("(server dry run)" in line for line in lines), lines


def test_examples_pass_a_server_side_dry_run(control_plane: ControlPlane, namespace: str) -> None:
    """All four examples (and the ConfigMap source) against the real schemas and CEL rules."""
    control_plane.kubectl("apply", "-f", str(ROOT / "crds"))
    control_plane.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s",
        "crd/maturityassessments.hyperscore.dev", "crd/maturityreviews.hyperscore.dev",
        "crd/scoringpolicies.hyperscore.dev",
    )  # fmt: skip
    done = control_plane.kubectl("apply", "--dry-run=server", "-n", namespace, "-k", str(EXAMPLES))
    lines = sorted(done.stdout.splitlines())
    assert len(lines) == 5 and all(line.endswith("(server dry run)") for line in lines), lines
