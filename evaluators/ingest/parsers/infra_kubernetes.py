"""Kubernetes manifests, Helm charts and Kustomize.

Every YAML document with top-level ``apiVersion`` and ``kind`` becomes a ``k8s.object``;
workloads add per-container facts (image pin, resources, probes, securityContext) and RBAC
grants of cluster-admin or wildcards are flagged. Helm templates are best-effort: ``{{ ... }}``
actions are blanked or replaced by a placeholder before parsing (``templated=True``) and, when
that still fails, the kinds are recovered by regex. Serving and monitoring resources are
handed to :mod:`infra_serving` and :mod:`monitoring`.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.ingest.formats import FormatError, load_json
from hyperscore.evaluators.ingest.parsers.infra_common import (
    TEMPLATE_PLACEHOLDER,
    PinKind,
    YamlMap,
    bool_or_none,
    environment_evidence,
    image_evidence,
    int_or_none,
    load_yaml_located,
    parse_image_ref,
    str_tuple,
    text_or_none,
    ylist,
    ymap,
)
from hyperscore.evaluators.ingest.parsers.infra_serving import (
    KSERVE_FRAMEWORKS,
    serving_from_manifest,
)
from hyperscore.evaluators.ingest.parsers.monitoring import monitoring_from_manifest
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality


class ContainerFacts(BaseModel):
    """One container of a workload. Security fields are effective values: the container's
    ``securityContext`` wins over the pod's for ``runAsNonRoot``/``runAsUser``; ``None`` means
    unset. ``resources_templated``: the resources block comes from a Helm expression."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    line: int | None = None
    image: str | None = None
    image_line: int | None = None
    image_pin: PinKind | None = None
    init: bool = False
    requests: tuple[str, ...] = ()
    limits: tuple[str, ...] = ()
    resources_templated: bool = False
    liveness_probe: bool = False
    readiness_probe: bool = False
    startup_probe: bool = False
    run_as_non_root: bool | None = None
    run_as_user: int | None = None
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    capabilities_add: tuple[str, ...] = ()
    capabilities_drop: tuple[str, ...] = ()
    gpu: bool = False


class K8sObject(Evidence):
    """One Kubernetes resource (any kind). ``object_kind`` is the resource's ``kind``."""

    kind: Literal["k8s.object"] = "k8s.object"
    modality: Modality = Modality.INFRASTRUCTURE
    api_version: str
    object_kind: str
    namespace: str | None = None
    label_keys: tuple[str, ...] = ()
    templated: bool = False


class K8sWorkload(Evidence):
    """A resource that runs pods (Deployment, Job, Rollout, InferenceService predictor...).

    ``automount_service_account_token`` is None when unset (Kubernetes then mounts it).
    """

    kind: Literal["k8s.workload"] = "k8s.workload"
    modality: Modality = Modality.INFRASTRUCTURE
    object_kind: str
    api_version: str
    namespace: str | None = None
    component: str | None = None
    containers: tuple[ContainerFacts, ...] = ()
    replicas: int | None = None
    strategy: str | None = None
    host_path_volumes: tuple[str, ...] = ()
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    automount_service_account_token: bool | None = None
    service_account_name: str | None = None
    templated: bool = False


class K8sRbac(Evidence):
    """A broad RBAC grant: a binding to cluster-admin or wildcard verbs/resources."""

    kind: Literal["k8s.rbac"] = "k8s.rbac"
    modality: Modality = Modality.INFRASTRUCTURE
    object_kind: str
    issue: Literal["cluster-admin-binding", "wildcard-verbs", "wildcard-resources"]
    namespace: str | None = None
    role: str | None = None
    subjects: tuple[str, ...] = ()


# --------------------------------------------------------------------------- Helm templates
_KIND_LINE_RE = re.compile(r"^kind:\s*[\"']?([A-Za-z][\w.]*)", re.M)
_API_LINE_RE = re.compile(r"^apiVersion:\s*[\"']?([\w./-]+)", re.M)
_NAME_LINE_RE = re.compile(r"^\s{2,4}name:\s*[\"']?([\w.-]+)", re.M)
_TOP_API_RE = re.compile(r"^apiVersion\s*:", re.M)
_CRD_SHORTCUT_BYTES = 50_000
_DOC_MARKER_RE = re.compile(r"^---(?:\s|$)")
_CRD_KIND_RE = re.compile(r"^kind:\s*[\"']?CustomResourceDefinition\b", re.M)
_TOP_KIND_RE = re.compile(r"^kind\s*:", re.M)


def detemplate(text: str) -> str:
    """Helm/Go template text made YAML-shaped, keeping line numbers.

    Lines holding only actions (``{{- if ... }}``, ``{{ include ... | nindent 4 }}``) become
    blank; inline expressions become a placeholder; multi-line actions keep their newlines.
    """
    parts: list[str] = []
    pos = 0
    while True:  # linear: each search starts where the previous expression ended
        start = text.find("{{", pos)
        end = text.find("}}", start + 2) if start >= 0 else -1
        if end < 0:
            break
        parts.append(text[pos:start])
        parts.append(TEMPLATE_PLACEHOLDER + "\n" * text.count("\n", start, end))
        pos = end + 2
    parts.append(text[pos:])
    lines = "".join(parts).split("\n")
    return "\n".join(
        ""
        if TEMPLATE_PLACEHOLDER in line and not line.replace(TEMPLATE_PLACEHOLDER, "").strip()
        else line
        for line in lines
    )


def _without_crds(path: str, text: str) -> tuple[str, list[Evidence]]:
    """``text`` with CustomResourceDefinition documents blanked (line count kept), and those
    CRDs as regex-recovered objects: their schemas are huge, slow to load and say nothing
    about the project. Documents are split at column-0 ``---`` markers, as YAML does."""
    lines = text.split("\n")
    crds: list[Evidence] = []
    start = 0
    for index in range(len(lines) + 1):
        at_marker = index < len(lines) and _DOC_MARKER_RE.match(lines[index]) is not None
        if index < len(lines) and not at_marker:
            continue
        chunk = "\n".join(lines[start:index])
        if _CRD_KIND_RE.search(chunk):
            offset = start
            for item in _regex_objects(path, chunk, templated="{{" in chunk):
                crds.append(item.model_copy(update={"line": (item.line or 1) + offset}))
            lines[start:index] = [""] * (index - start)
        start = index + 1 if at_marker else index
    return "\n".join(lines), crds


def _regex_objects(path: str, text: str, templated: bool = True) -> Iterator[Evidence]:
    """Kinds recovered line by line (templates too broken to parse, skipped CRDs)."""
    apis = [(m.start(), m.group(1)) for m in _API_LINE_RE.finditer(text)]
    starts = [start for start, _ in apis]
    for match in _KIND_LINE_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = bisect.bisect_left(starts, match.start())
        name = _NAME_LINE_RE.search(text, match.end(), match.end() + 2000)
        yield K8sObject(
            path=path,
            line=line,
            name=name.group(1) if name else "",
            api_version=apis[before - 1][1] if before else "",
            object_kind=match.group(1),
            templated=templated,
        )


# --------------------------------------------------------------------------- workloads
_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Rollout": ("spec", "template", "spec"),
}
_KSERVE_COMPONENTS = ("predictor", "transformer", "explainer")
# Container-like component specs: the model, legacy framework keys and explainer kinds.
_KSERVE_MODEL_KEYS = KSERVE_FRAMEWORKS | {"model", "alibi", "art"}


def _dig(doc: YamlMap, keys: tuple[str, ...]) -> YamlMap:
    node = doc
    for key in keys:
        node = ymap(node.get(key))
    return node


def _container(
    raw: Any, line: int, pod_security: YamlMap, init: bool, templated: bool
) -> ContainerFacts:
    spec = ymap(raw, line)
    resources = spec.get("resources")
    res = ymap(resources)
    requests = tuple(ymap(res.get("requests")))
    limits = tuple(ymap(res.get("limits")))
    security = ymap(spec.get("securityContext"))
    caps = ymap(security.get("capabilities"))
    image = text_or_none(spec.get("image"))

    def probe(key: str) -> bool:
        return key in spec and (spec[key] is not None or templated)

    def effective(key: str) -> Any:
        return security.get(key) if key in security else pod_security.get(key)

    return ContainerFacts(
        name=text_or_none(spec.get("name")) or "",
        line=spec.line,
        image=image,
        image_line=spec.line_of("image") if image else None,
        image_pin=parse_image_ref(image).pin if image else None,
        init=init,
        requests=requests,
        limits=limits,
        resources_templated=templated and "resources" in spec and not isinstance(resources, dict),
        liveness_probe=probe("livenessProbe"),
        readiness_probe=probe("readinessProbe"),
        startup_probe=probe("startupProbe"),
        run_as_non_root=bool_or_none(effective("runAsNonRoot")),
        run_as_user=int_or_none(effective("runAsUser")),
        privileged=bool_or_none(security.get("privileged")),
        allow_privilege_escalation=bool_or_none(security.get("allowPrivilegeEscalation")),
        read_only_root_filesystem=bool_or_none(security.get("readOnlyRootFilesystem")),
        capabilities_add=str_tuple(ylist(caps.get("add"))),
        capabilities_drop=str_tuple(ylist(caps.get("drop"))),
        gpu=any("gpu" in key.lower() for key in (*requests, *limits)),
    )


def _pod_specs(
    doc: YamlMap, api_version: str, kind: str
) -> list[tuple[str | None, YamlMap, list[Any]]]:
    """``(component, pod spec, extra containers)`` for each pod template in ``doc``."""
    group = api_version.split("/", 1)[0]
    if kind in _TEMPLATE_PATHS and (kind != "Rollout" or group == "argoproj.io"):
        spec = _dig(doc, _TEMPLATE_PATHS[kind])
        return [(None, spec, [])] if spec else []
    if group == "serving.knative.dev" and kind == "Service":
        spec = _dig(doc, ("spec", "template", "spec"))
        return [(None, spec, [])] if spec else []
    if group == "serving.kserve.io" and kind == "InferenceService":
        spec = ymap(doc.get("spec"))
        out: list[tuple[str | None, YamlMap, list[Any]]] = []
        for component in _KSERVE_COMPONENTS:
            comp = ymap(spec.get(component))
            if comp:
                extra = [ymap(comp[k]) for k in sorted(_KSERVE_MODEL_KEYS & comp.keys())]
                out.append((component, comp, extra))
        return out
    if group == "machinelearning.seldon.io" and kind == "SeldonDeployment":
        return [
            (text_or_none(ymap(p).get("name")), ymap(ymap(c).get("spec")), [])
            for p in ylist(ymap(doc.get("spec")).get("predictors"))
            for c in ylist(ymap(p).get("componentSpecs"))
        ]
    return []


@dataclass(frozen=True)
class _Resource:
    """Where one Kubernetes document is and what it is."""

    path: str
    api_version: str
    kind: str
    name: str
    namespace: str | None
    templated: bool
    line: int

    @property
    def node(self) -> str:
        """``k8s:Kind/namespace/name``; a templated name is replaced by ``path#line``."""
        name = self.name
        if TEMPLATE_PLACEHOLDER in name or not name:
            name = f"{self.path}#{self.line}"
        return f"k8s:{self.kind}/{self.namespace or 'default'}/{name}"


def _workloads(res: _Resource, doc: YamlMap) -> Iterator[Evidence]:
    path, kind, name, templated = res.path, res.kind, res.name, res.templated
    node = res.node
    spec = ymap(doc.get("spec"))
    strategy = ymap(spec.get("strategy") or spec.get("updateStrategy"))
    strategy_name = text_or_none(strategy.get("type")) or next(
        (k for k in ("canary", "blueGreen") if k in strategy), None
    )
    for component, pod, extra in _pod_specs(doc, res.api_version, kind):
        security = ymap(pod.get("securityContext"))
        containers: list[ContainerFacts] = []
        for key, init in (("initContainers", True), ("containers", False)):
            items = ylist(pod.get(key))
            for index, raw in enumerate(items):
                containers.append(_container(raw, items.line_at(index), security, init, templated))
        for raw in extra:
            facts = _container(raw, raw.line, security, False, templated)
            containers.append(facts.model_copy(update={"name": facts.name or "kserve-container"}))
        for facts in containers:
            if facts.image:
                context = f"{kind}/{name}/{facts.name}"
                yield image_evidence(
                    path, facts.image_line, facts.image, "kubernetes", context=context, owner=node
                )
        volumes = [ymap(v) for v in ylist(pod.get("volumes"))]
        yield K8sWorkload(
            path=path,
            line=pod.line if component else doc.line,
            end_line=pod.end_line if component else doc.end_line,
            name=f"{name}/{component}" if component else name,
            object_kind=kind,
            api_version=res.api_version,
            namespace=res.namespace,
            component=component,
            containers=tuple(containers),
            replicas=int_or_none(spec.get("replicas") or pod.get("minReplicas")),
            strategy=strategy_name,
            host_path_volumes=str_tuple(
                ymap(v.get("hostPath")).get("path") for v in volumes if "hostPath" in v
            ),
            host_network=pod.get("hostNetwork") is True,
            host_pid=pod.get("hostPID") is True,
            host_ipc=pod.get("hostIPC") is True,
            automount_service_account_token=bool_or_none(pod.get("automountServiceAccountToken")),
            service_account_name=text_or_none(
                pod.get("serviceAccountName") or pod.get("serviceAccount")
            ),
            templated=templated,
        )


def _subject(subject: YamlMap) -> str:
    """``Kind:namespace/name`` of an RBAC subject."""
    return f"{subject.get('kind', '')}:{subject.get('namespace') or ''}/{subject.get('name', '')}"


_WILDCARD_ISSUES: tuple[tuple[str, Literal["wildcard-verbs", "wildcard-resources"]], ...] = (
    ("verbs", "wildcard-verbs"),
    ("resources", "wildcard-resources"),
)


def _rbac(res: _Resource, doc: YamlMap) -> Iterator[Evidence]:
    path, kind, name, ns = res.path, res.kind, res.name, res.namespace
    if kind in {"RoleBinding", "ClusterRoleBinding"}:
        ref = ymap(doc.get("roleRef"))
        if ref.get("name") == "cluster-admin":
            subjects = tuple(_subject(ymap(s)) for s in ylist(doc.get("subjects")))
            yield K8sRbac(
                path=path,
                line=doc.line,
                end_line=doc.end_line,
                name=name,
                object_kind=kind,
                issue="cluster-admin-binding",
                namespace=ns,
                role="cluster-admin",
                subjects=subjects,
            )
        return
    if kind not in {"Role", "ClusterRole"}:
        return
    rules = ylist(doc.get("rules"))
    flagged: set[str] = set()
    for index, raw in enumerate(rules):
        rule = ymap(raw)
        for field, issue in _WILDCARD_ISSUES:
            if issue not in flagged and "*" in str_tuple(ylist(rule.get(field))):
                flagged.add(issue)
                yield K8sRbac(
                    path=path,
                    line=rules.line_at(index),
                    name=name,
                    object_kind=kind,
                    issue=issue,
                    namespace=ns,
                    role=name,
                )


# --------------------------------------------------------------------------- manifests
_SKIPPED_NAMES = re.compile(r"^(kustomization|chart|requirements|bentofile|values.*)\.ya?ml$")


def _is_candidate(path: str) -> bool:
    lowered = path.lower()
    return lowered.endswith((".yaml", ".yml")) and not _SKIPPED_NAMES.match(
        lowered.rsplit("/", 1)[-1]
    )


def _documents(path: str, text: str) -> tuple[list[Any] | None, bool]:
    """Parsed documents (None if unparseable even after de-templating) and whether templated."""
    if "{{" not in text:
        return load_yaml_located(text), False
    if "/templates/" not in f"/{path}":  # ``{{`` may just sit inside a quoted string
        try:
            return load_yaml_located(text), False
        except FormatError:
            pass
    try:
        return load_yaml_located(detemplate(text)), True
    except FormatError:
        return None, True


def _manifest(path: str, doc: YamlMap, templated: bool) -> Iterator[Evidence]:
    api_version = text_or_none(doc.get("apiVersion")) or ""
    kind = text_or_none(doc.get("kind")) or ""
    if kind.endswith("List") and isinstance(doc.get("items"), list):
        for item in ylist(doc.get("items")):
            if isinstance(item, YamlMap) and "kind" in item:
                yield from _manifest(path, item, templated)
        return
    meta = ymap(doc.get("metadata"))
    name = text_or_none(meta.get("name")) or ""
    ns = text_or_none(meta.get("namespace"))
    res = _Resource(path, api_version, kind, name, ns, templated, doc.line)
    node = res.node
    yield K8sObject(
        path=path,
        line=doc.line,
        end_line=doc.end_line,
        name=name,
        api_version=api_version,
        object_kind=kind,
        namespace=ns,
        label_keys=tuple(ymap(meta.get("labels"))),
        templated=templated,
        links=(Link(src=f"file:{path}", dst=node, rel="defines"),),
    )
    yield from _workloads(res, doc)
    yield from _rbac(res, doc)
    yield from serving_from_manifest(path, doc, api_version, kind)
    yield from monitoring_from_manifest(path, doc, api_version, kind)


@parser("kubernetes", Modality.INFRASTRUCTURE, _is_candidate)
def parse_kubernetes(inp: ParseInput) -> Iterator[Evidence]:
    """Every Kubernetes document of a YAML file (Helm templates best-effort)."""
    text = inp.text
    if not (_TOP_API_RE.search(text) and _TOP_KIND_RE.search(text)):
        return
    if len(text) > _CRD_SHORTCUT_BYTES and "CustomResourceDefinition" in text:
        text, crds = _without_crds(inp.path, text)
        yield from crds
    docs, templated = _documents(inp.path, text)
    if docs is None:
        yield from _regex_objects(inp.path, text)
        return
    found = False
    for doc in docs:
        if isinstance(doc, YamlMap) and isinstance(doc.get("kind"), str) and "apiVersion" in doc:
            found = True
            yield from _manifest(inp.path, doc, templated)
    if found:
        yield from environment_evidence(inp.path, "kubernetes")


# --------------------------------------------------------------------------- Helm
class HelmDependency(BaseModel):
    """A chart dependency; ``pinned`` means an exact version rather than a range."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str | None = None
    repository: str | None = None
    pinned: bool = False


class HelmChart(Evidence):
    """A Helm chart (``Chart.yaml``)."""

    kind: Literal["infra.helm_chart"] = "infra.helm_chart"
    modality: Modality = Modality.INFRASTRUCTURE
    chart_name: str
    version: str | None = None
    app_version: str | None = None
    api_version: str | None = None
    chart_type: str | None = None
    dependencies: tuple[HelmDependency, ...] = ()


class HelmValuesSchema(Evidence):
    """A ``values.schema.json``: the chart validates its values."""

    kind: Literal["infra.helm_values_schema"] = "infra.helm_values_schema"
    modality: Modality = Modality.INFRASTRUCTURE
    properties: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


class Kustomization(Evidence):
    """A ``kustomization.yaml``: what it assembles and overrides."""

    kind: Literal["infra.kustomization"] = "infra.kustomization"
    modality: Modality = Modality.INFRASTRUCTURE
    resources: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    namespace: str | None = None
    images: tuple[str, ...] = ()
    patches: int = 0
    helm_charts: tuple[str, ...] = ()
    generators: int = 0
    overlay: bool = False


_EXACT_VERSION_RE = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?$")


@parser("helm-chart", Modality.INFRASTRUCTURE, ["Chart.yaml", "Chart.yml"])
def parse_helm_chart(inp: ParseInput) -> Iterator[Evidence]:
    """``Chart.yaml``: name, versions and dependency pins."""
    docs = load_yaml_located(inp.text)
    chart = ymap(docs[0] if docs else None)
    if not chart:
        return
    name = text_or_none(chart.get("name")) or posixpath.basename(posixpath.dirname(inp.path))
    node = f"helm-chart:{name}"
    deps: list[HelmDependency] = []
    for raw in ylist(chart.get("dependencies")):
        dep = ymap(raw)
        version = text_or_none(dep.get("version"))
        deps.append(
            HelmDependency(
                name=text_or_none(dep.get("name")) or "",
                version=version,
                repository=text_or_none(dep.get("repository")),
                pinned=bool(version and _EXACT_VERSION_RE.match(version)),
            )
        )
    yield HelmChart(
        path=inp.path,
        line=chart.line_of("name"),
        end_line=chart.end_line,
        name=name,
        chart_name=name,
        version=text_or_none(chart.get("version")),
        app_version=text_or_none(chart.get("appVersion")),
        api_version=text_or_none(chart.get("apiVersion")),
        chart_type=text_or_none(chart.get("type")),
        dependencies=tuple(deps),
        links=(
            Link(src=f"file:{inp.path}", dst=node, rel="defines"),
            *(Link(src=node, dst=f"helm-chart:{d.name}", rel="depends") for d in deps),
        ),
    )


def _values_images(path: str, node: Any, keys: tuple[str, ...]) -> Iterator[Evidence]:
    """Image references in a values tree: ``image: ref`` and ``{repository, tag}`` mappings."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _values_images(path, item, (*keys, str(index)))
        return
    if not isinstance(node, YamlMap):
        return
    repository = text_or_none(node.get("repository"))
    last = keys[-1].lower() if keys else ""
    if repository and ("tag" in node or "digest" in node or last.endswith("image")):
        registry = text_or_none(node.get("registry"))
        tag = text_or_none(node.get("tag"))
        digest = text_or_none(node.get("digest"))
        ref = f"{registry + '/' if registry else ''}{repository}"
        ref += f":{tag}" if tag else ""
        ref += f"@{digest}" if digest else ""
        item = image_evidence(
            path, node.line_of("repository"), ref, "helm-values", context=".".join(keys)
        )
        if not tag and not digest:  # an empty tag defaults to the chart's appVersion
            item = item.model_copy(update={"pin": "variable"})
        yield item
    for key, value in node.items():
        if key == "image" and isinstance(value, str) and value.strip():
            yield image_evidence(
                path, node.line_of(key), value, "helm-values", context=".".join((*keys, key))
            )
        elif isinstance(value, dict | list):
            yield from _values_images(path, value, (*keys, key))


@parser(
    "helm-values",
    Modality.INFRASTRUCTURE,
    ["values.yaml", "values.yml", "values-*.yaml", "values-*.yml", "values.*.yaml", "values.*.yml"],
)
def parse_helm_values(inp: ParseInput) -> Iterator[Evidence]:
    """Image references (with pin kind) in Helm values files, and their environment."""
    docs = load_yaml_located(inp.text)
    if docs and isinstance(docs[0], YamlMap):
        yield from _values_images(inp.path, docs[0], ())
    yield from environment_evidence(inp.path, "helm")


@parser("helm-values-schema", Modality.INFRASTRUCTURE, ["values.schema.json"])
def parse_helm_values_schema(inp: ParseInput) -> Iterator[Evidence]:
    raw = load_json(inp.text)
    if not isinstance(raw, dict):
        return
    schema = ymap(raw)
    yield HelmValuesSchema(
        path=inp.path,
        line=1,
        name=inp.name,
        properties=tuple(ymap(schema.get("properties"))),
        required=str_tuple(ylist(schema.get("required"))),
    )


# --------------------------------------------------------------------------- Kustomize
@parser(
    "kustomize",
    Modality.INFRASTRUCTURE,
    ["kustomization.yaml", "kustomization.yml", "Kustomization"],
)
def parse_kustomization(inp: ParseInput) -> Iterator[Evidence]:
    """Resources, image overrides and overlays of a ``kustomization.yaml``."""
    docs = load_yaml_located(inp.text)
    kust = ymap(docs[0] if docs else None)
    if not kust:
        return
    here = posixpath.dirname(inp.path)
    resources = str_tuple([*ylist(kust.get("resources")), *ylist(kust.get("bases"))])
    links: list[Link] = []
    for resource in resources:
        if "://" in resource or resource.startswith(("github.com/", "git@")):
            continue
        target = posixpath.normpath(posixpath.join(here, resource))
        if not target.startswith(".."):
            links.append(Link(src=f"file:{inp.path}", dst=f"file:{target}", rel="includes"))
    images: list[str] = []
    overrides = ylist(kust.get("images"))
    for index, raw in enumerate(overrides):
        image = ymap(raw)
        ref = text_or_none(image.get("newName") or image.get("name")) or ""
        tag, digest = text_or_none(image.get("newTag")), text_or_none(image.get("digest"))
        ref += (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        if ref:
            images.append(ref)
            yield image_evidence(
                inp.path,
                overrides.line_at(index),
                ref,
                "kustomize",
                context=text_or_none(image.get("name")),
            )
    patches = sum(
        len(ylist(kust.get(k))) for k in ("patches", "patchesStrategicMerge", "patchesJson6902")
    )
    generators = sum(len(ylist(kust.get(k))) for k in ("configMapGenerator", "secretGenerator"))
    yield Kustomization(
        path=inp.path,
        line=1,
        end_line=max(1, len(inp.lines)),
        name=inp.path,
        resources=resources,
        components=str_tuple(ylist(kust.get("components"))),
        namespace=text_or_none(kust.get("namespace")),
        images=tuple(images),
        patches=patches,
        helm_charts=str_tuple(ymap(c).get("name") for c in ylist(kust.get("helmCharts"))),
        generators=generators,
        overlay=any(r.startswith("..") for r in resources),
        links=tuple(links),
    )
    yield from environment_evidence(inp.path, "kustomize")
