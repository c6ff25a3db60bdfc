"""Operational monitoring as configured: Prometheus rules and scrape configs, Alertmanager,
Grafana dashboards and provisioning.

Alerts and dashboards are linked to the metrics their PromQL reads (``alert:X -watches->
metric:m``), so the graph can tell whether what a service exports is ever watched. The
Prometheus Operator resources (``PrometheusRule``, ``ServiceMonitor``, ``PodMonitor``) arrive
through the Kubernetes parser via :func:`monitoring_from_manifest`; stand-alone files are read
here. Receiver URLs, tokens and datasource credentials are never recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.ingest.formats import FormatError, load_json
from hyperscore.evaluators.ingest.parsers.infra_common import (
    YamlMap,
    load_yaml_located,
    str_tuple,
    text_or_none,
    ylist,
    ymap,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_EXPR_CHARS = 2000


class MonitorAlert(Evidence):
    """An alerting rule (Prometheus or Grafana) and the metrics its expression reads."""

    kind: Literal["monitor.alert"] = "monitor.alert"
    modality: Modality = Modality.MONITORING
    alert: str
    expr: str
    for_duration: str | None = None
    severity: str | None = None
    group: str | None = None
    metrics: tuple[str, ...] = ()
    label_keys: tuple[str, ...] = ()
    runbook: bool = False
    source: str = "prometheus"


class RecordingRule(Evidence):
    """A Prometheus recording rule: a derived metric and the metrics it reads."""

    kind: Literal["monitor.recording_rule"] = "monitor.recording_rule"
    modality: Modality = Modality.MONITORING
    record: str
    expr: str
    group: str | None = None
    metrics: tuple[str, ...] = ()


class ScrapeEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    port: str | None = None
    path: str | None = None
    interval: str | None = None
    scheme: str | None = None


class ScrapeTarget(Evidence):
    """Something Prometheus scrapes: a ServiceMonitor/PodMonitor or a ``scrape_configs`` job."""

    kind: Literal["monitor.scrape_target"] = "monitor.scrape_target"
    modality: Modality = Modality.MONITORING
    source: str
    job: str | None = None
    selector: dict[str, str] = {}
    namespaces: tuple[str, ...] = ()
    endpoints: tuple[ScrapeEndpoint, ...] = ()
    static_targets: tuple[str, ...] = ()
    discovery: tuple[str, ...] = ()


class PrometheusConfig(Evidence):
    """A Prometheus server configuration (``prometheus.yml``)."""

    kind: Literal["monitor.prometheus_config"] = "monitor.prometheus_config"
    modality: Modality = Modality.MONITORING
    scrape_interval: str | None = None
    evaluation_interval: str | None = None
    jobs: tuple[str, ...] = ()
    rule_files: tuple[str, ...] = ()
    alertmanagers: bool = False
    remote_write: int = 0


class AlertmanagerConfig(Evidence):
    """Where alerts go: receiver names and integration types only (never URLs or keys)."""

    kind: Literal["monitor.alertmanager"] = "monitor.alertmanager"
    modality: Modality = Modality.MONITORING
    receivers: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    route_receiver: str | None = None
    group_by: tuple[str, ...] = ()
    inhibit_rules: int = 0
    source: str = "alertmanager"


class Dashboard(Evidence):
    """A Grafana dashboard: panels, their queries and the metrics those queries read."""

    kind: Literal["monitor.dashboard"] = "monitor.dashboard"
    modality: Modality = Modality.MONITORING
    title: str | None = None
    uid: str | None = None
    panel_titles: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    datasources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    panel_alerts: int = 0


class GrafanaProvisioning(Evidence):
    """Grafana provisioning: datasource types and dashboard folders (no URLs, no secrets)."""

    kind: Literal["monitor.grafana_provisioning"] = "monitor.grafana_provisioning"
    modality: Modality = Modality.MONITORING
    datasource_types: tuple[str, ...] = ()
    datasource_names: tuple[str, ...] = ()
    dashboard_paths: tuple[str, ...] = ()
    contact_point_types: tuple[str, ...] = ()


# --------------------------------------------------------------------------- PromQL
_PROMQL_NAME_MATCHER_RE = re.compile(r"__name__\s*=\s*[\"']([a-zA-Z_:][\w:]*)[\"']")
_PROMQL_STRING_RE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|`[^`]*`")
_TEMPLATE_VAR_RE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_PROMQL_BRACES_RE = re.compile(r"\{[^{}]*\}")
_PROMQL_RANGE_RE = re.compile(r"\[[^\[\]]*\]")
_PROMQL_GROUPING_RE = re.compile(
    r"(?i)\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)"
)
_PROMQL_IDENT_RE = re.compile(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?")
_PROMQL_KEYWORDS = frozenset({
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "inf", "nan", "start", "end", "atan2", "__name__",
})  # fmt: skip


def promql_metrics(expr: str) -> tuple[str, ...]:
    """Metric names an expression reads: identifiers that are not functions or keywords.

    Strings, label matchers, range selectors, grouping clauses and Grafana variables are
    removed first, so label names and durations are never mistaken for metrics.
    """
    found: dict[str, None] = dict.fromkeys(_PROMQL_NAME_MATCHER_RE.findall(expr))
    text = _TEMPLATE_VAR_RE.sub(" ", _PROMQL_STRING_RE.sub('""', expr))
    text = _PROMQL_GROUPING_RE.sub(" ", _PROMQL_RANGE_RE.sub(" ", _PROMQL_BRACES_RE.sub(" ", text)))
    for match in _PROMQL_IDENT_RE.finditer(text):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in _PROMQL_KEYWORDS:
            found[name] = None
    return tuple(found)


def _watch_links(node: str, metrics: Iterable[str]) -> list[Link]:
    return [Link(src=node, dst=f"metric:{m}", rel="watches") for m in metrics]


# --------------------------------------------------------------------------- rules
def _grafana_rule_exprs(rule: YamlMap) -> list[str]:
    return [
        expr
        for query in ylist(rule.get("data"))
        if (expr := text_or_none(ymap(ymap(query).get("model")).get("expr")))
    ]


def rule_evidence(path: str, groups: Any, source: str) -> Iterator[Evidence]:
    """Alerts and recording rules of a ``groups:`` list (rule file, CR or Grafana provisioning)."""
    for raw_group in ylist(groups):
        group = ymap(raw_group)
        group_name = text_or_none(group.get("name"))
        rules = ylist(group.get("rules"))
        for index, raw_rule in enumerate(rules):
            rule = ymap(raw_rule, rules.line_at(index))
            labels = ymap(rule.get("labels"))
            annotations = ymap(rule.get("annotations"))
            if "alert" in rule or "title" in rule:
                prometheus = "alert" in rule
                name = text_or_none(rule.get("alert" if prometheus else "title")) or ""
                exprs = (
                    [text_or_none(rule.get("expr"))] if prometheus else _grafana_rule_exprs(rule)
                )
                expr = " ; ".join(e for e in exprs if e)[:MAX_EXPR_CHARS]
                metrics = promql_metrics(expr)
                node = f"alert:{name}"
                summary = annotations.get("summary") or annotations.get("description")
                yield MonitorAlert(
                    path=path,
                    line=rule.line,
                    end_line=rule.end_line,
                    name=name,
                    text=text_or_none(summary),
                    alert=name,
                    expr=expr,
                    for_duration=text_or_none(rule.get("for")),
                    severity=text_or_none(labels.get("severity")),
                    group=group_name,
                    metrics=metrics,
                    label_keys=tuple(labels),
                    runbook=any("runbook" in k for k in annotations),
                    source=source if prometheus else "grafana",
                    links=(
                        Link(src=f"file:{path}", dst=node, rel="defines"),
                        *_watch_links(node, metrics),
                    ),
                )
            elif "record" in rule:
                record = text_or_none(rule.get("record")) or ""
                expr = (text_or_none(rule.get("expr")) or "")[:MAX_EXPR_CHARS]
                metrics = promql_metrics(expr)
                yield RecordingRule(
                    path=path,
                    line=rule.line,
                    end_line=rule.end_line,
                    name=record,
                    record=record,
                    expr=expr,
                    group=group_name,
                    metrics=metrics,
                    links=(
                        Link(src=f"file:{path}", dst=f"metric:{record}", rel="defines"),
                        *(
                            Link(src=f"metric:{record}", dst=f"metric:{m}", rel="derived-from")
                            for m in metrics
                        ),
                    ),
                )


# --------------------------------------------------------------------------- scrape targets
def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in ymap(value).items() if not isinstance(v, dict | list)}


def scrape_target_from_monitor(path: str, doc: YamlMap, kind: str) -> ScrapeTarget:
    """A ``ServiceMonitor``/``PodMonitor`` resource as a scrape target."""
    spec = ymap(doc.get("spec"))
    name = text_or_none(ymap(doc.get("metadata")).get("name")) or ""
    key = "podMetricsEndpoints" if kind == "PodMonitor" else "endpoints"
    endpoints = tuple(
        ScrapeEndpoint(
            port=text_or_none(ymap(e).get("port") or ymap(e).get("targetPort")),
            path=text_or_none(ymap(e).get("path")),
            interval=text_or_none(ymap(e).get("interval")),
            scheme=text_or_none(ymap(e).get("scheme")),
        )
        for e in ylist(spec.get(key))
    )
    namespaces = ymap(spec.get("namespaceSelector"))
    return ScrapeTarget(
        path=path,
        line=doc.line,
        end_line=doc.end_line,
        name=name,
        source=kind.lower(),
        job=text_or_none(spec.get("jobLabel")) or name,
        selector=_labels(ymap(spec.get("selector")).get("matchLabels")),
        namespaces=("*",)
        if namespaces.get("any") is True
        else str_tuple(ylist(namespaces.get("matchNames"))),
        endpoints=endpoints,
    )


def prometheus_config_evidence(path: str, config: YamlMap) -> Iterator[Evidence]:
    """``prometheus.yml``: one scrape target per job plus the server summary."""
    jobs: list[str] = []
    configs = ylist(config.get("scrape_configs"))
    for index, raw in enumerate(configs):
        job = ymap(raw, configs.line_at(index))
        name = text_or_none(job.get("job_name")) or str(index)
        jobs.append(name)
        statics = [
            t for s in ylist(job.get("static_configs")) for t in ylist(ymap(s).get("targets"))
        ]
        yield ScrapeTarget(
            path=path,
            line=job.line,
            end_line=job.end_line,
            name=name,
            source="prometheus-config",
            job=name,
            endpoints=(
                ScrapeEndpoint(
                    path=text_or_none(job.get("metrics_path")),
                    interval=text_or_none(job.get("scrape_interval")),
                    scheme=text_or_none(job.get("scheme")),
                ),
            ),
            static_targets=str_tuple(statics),
            discovery=tuple(
                f"{k.removesuffix('_sd_configs')}:{ymap(c).get('role', '')}".rstrip(":")
                for k in job
                if k.endswith("_sd_configs")
                for c in ylist(job[k])
            ),
        )
    glob = ymap(config.get("global"))
    yield PrometheusConfig(
        path=path,
        line=config.line,
        end_line=config.end_line,
        name=path.rsplit("/", 1)[-1],
        scrape_interval=text_or_none(glob.get("scrape_interval")),
        evaluation_interval=text_or_none(glob.get("evaluation_interval")),
        jobs=tuple(jobs),
        rule_files=str_tuple(ylist(config.get("rule_files"))),
        alertmanagers=bool(ymap(config.get("alerting")).get("alertmanagers")),
        remote_write=len(ylist(config.get("remote_write"))),
    )


_RECEIVER_SUFFIX = "_configs"


def alertmanager_evidence(path: str, config: YamlMap, source: str) -> AlertmanagerConfig:
    """Receivers and integration types (``slack``, ``pagerduty``...) -- never their URLs."""
    receivers = [ymap(r) for r in ylist(config.get("receivers"))]
    integrations = sorted(
        {
            k.removesuffix(_RECEIVER_SUFFIX).removesuffix("Configs").lower()
            for r in receivers
            for k in r
            if k.endswith((_RECEIVER_SUFFIX, "Configs"))
        }
    )
    route = ymap(config.get("route"))
    return AlertmanagerConfig(
        path=path,
        line=config.line,
        end_line=config.end_line,
        name=path.rsplit("/", 1)[-1],
        receivers=str_tuple(r.get("name") for r in receivers),
        integrations=tuple(integrations),
        route_receiver=text_or_none(route.get("receiver")),
        group_by=str_tuple(ylist(route.get("group_by") or route.get("groupBy"))),
        inhibit_rules=len(ylist(config.get("inhibit_rules") or config.get("inhibitRules"))),
        source=source,
    )


# --------------------------------------------------------------------------- Grafana
def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel in document order, rows' nested panels included (bounded)."""
    stack: list[Any] = [*ylist(dashboard.get("panels")), *ylist(dashboard.get("rows"))][::-1]
    seen = 0
    while stack and seen < 10_000:
        seen += 1
        panel = stack.pop()
        if isinstance(panel, dict):
            yield panel
            stack.extend(reversed(ylist(panel.get("panels"))))


def as_dashboard(data: Any) -> dict[str, Any] | None:
    """The dashboard inside ``data`` (also the ``{"dashboard": {...}}`` API form), if any."""
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict):
        return None
    has_panels = isinstance(data.get("panels"), list) or isinstance(data.get("rows"), list)
    return data if has_panels and ("schemaVersion" in data or "title" in data) else None


def dashboard_evidence(path: str, dashboard: dict[str, Any], node_key: str, line: int) -> Dashboard:
    """A :class:`Dashboard` for parsed dashboard JSON; ``node_key`` names the graph node."""
    titles: list[str] = []
    queries: list[str] = []
    metrics: dict[str, None] = {}
    datasources: dict[str, None] = {}
    alerts = 0
    for panel in _panels(dashboard):
        if title := text_or_none(panel.get("title")):
            titles.append(title)
        alerts += 1 if isinstance(panel.get("alert"), dict) else 0
        panel_source = ymap(panel.get("datasource"))
        for raw in ylist(panel.get("targets")):
            target = ymap(raw)
            source = ymap(target.get("datasource")) or panel_source
            ds_type = str(source.get("type") or "")
            if ds_type:
                datasources[ds_type] = None
            query = text_or_none(target.get("expr") or target.get("query") or target.get("rawSql"))
            if not query:
                continue
            query = query[:MAX_EXPR_CHARS]
            queries.append(query)
            if "expr" in target and "loki" not in ds_type and not query.lstrip().startswith("{"):
                metrics.update(dict.fromkeys(promql_metrics(query)))
    node = f"dashboard:{node_key}"
    variables = [ymap(v).get("name") for v in ylist(ymap(dashboard.get("templating")).get("list"))]
    return Dashboard(
        path=path,
        line=line,
        name=text_or_none(dashboard.get("title")) or node_key,
        title=text_or_none(dashboard.get("title")),
        uid=text_or_none(dashboard.get("uid")),
        panel_titles=tuple(titles),
        queries=tuple(queries),
        metrics=tuple(metrics),
        datasources=tuple(datasources),
        tags=str_tuple(ylist(dashboard.get("tags"))),
        variables=str_tuple(variables),
        panel_alerts=alerts,
        links=(Link(src=f"file:{path}", dst=node, rel="defines"), *_watch_links(node, metrics)),
    )


@parser("grafana-dashboard", Modality.MONITORING, ["*.json"])
def parse_grafana_dashboard(inp: ParseInput) -> Iterator[Evidence]:
    """Grafana dashboard JSON (plain or the ``{"dashboard": ...}`` export form)."""
    if '"panels"' not in inp.text and '"rows"' not in inp.text:
        return
    dashboard = as_dashboard(load_json(inp.text))
    if dashboard is not None:
        yield dashboard_evidence(inp.path, dashboard, inp.path, 1)


def provisioning_evidence(path: str, config: YamlMap) -> GrafanaProvisioning:
    datasources = [ymap(d) for d in ylist(config.get("datasources"))]
    providers = [ymap(p) for p in ylist(config.get("providers"))]
    receivers = [
        ymap(r) for c in ylist(config.get("contactPoints")) for r in ylist(ymap(c).get("receivers"))
    ]
    return GrafanaProvisioning(
        path=path,
        line=config.line,
        end_line=config.end_line,
        name=path.rsplit("/", 1)[-1],
        datasource_types=tuple(dict.fromkeys(str_tuple(d.get("type") for d in datasources))),
        datasource_names=str_tuple(d.get("name") for d in datasources),
        dashboard_paths=str_tuple(ymap(p.get("options")).get("path") for p in providers),
        contact_point_types=tuple(dict.fromkeys(str_tuple(r.get("type") for r in receivers))),
    )


# --------------------------------------------------------------------------- YAML files
_MONITORING_YAML_HINTS = (
    "groups:", "scrape_configs:", "receivers:", "route:", "datasources:", "providers:",
    "contactPoints:",
)  # fmt: skip
# Top-level keys that make a YAML file ours (column 0), and a Kubernetes resource's keys.
_MONITORING_TOP_KEY_RE = re.compile(
    r"^(?:groups|scrape_configs|receivers|route|datasources|providers|contactPoints)\s*:", re.M
)
_K8S_TOP_KEYS_RE = re.compile(r"^kind\s*:", re.M)


def _monitoring_documents(path: str, doc: YamlMap) -> Iterator[Evidence]:
    if "apiVersion" in doc and "kind" in doc:
        return  # a Kubernetes resource: the Kubernetes parser reads it
    groups = doc.get("groups")
    if isinstance(groups, list) and any(isinstance(g, dict) and "rules" in g for g in groups):
        grafana = "apiVersion" in doc
        yield from rule_evidence(path, groups, "grafana" if grafana else "prometheus")
    if "scrape_configs" in doc:
        yield from prometheus_config_evidence(path, doc)
    if "receivers" in doc and "route" in doc:
        yield alertmanager_evidence(path, doc, "alertmanager")
    if "apiVersion" in doc and any(k in doc for k in ("datasources", "providers", "contactPoints")):
        yield provisioning_evidence(path, doc)


@parser("monitoring-yaml", Modality.MONITORING, ["*.yml", "*.yaml", "*.rules"])
def parse_monitoring_yaml(inp: ParseInput) -> Iterator[Evidence]:
    """Prometheus rule files, ``prometheus.yml``, Alertmanager and Grafana provisioning."""
    text = inp.text
    if not any(hint in text for hint in _MONITORING_YAML_HINTS):
        return  # the cheap screen: substring searches
    if not _MONITORING_TOP_KEY_RE.search(text) or _K8S_TOP_KEYS_RE.search(text):
        return  # not a monitoring file, or a Kubernetes resource (the Kubernetes parser's)
    for doc in load_yaml_located(text):
        if isinstance(doc, YamlMap):
            yield from _monitoring_documents(inp.path, doc)


# --------------------------------------------------------------------------- from manifests
def _shifted(items: Iterable[Evidence], offset: int, last: int) -> Iterator[Evidence]:
    """Evidence from a document embedded at ``offset`` lines into the file, clamped."""
    for item in items:
        line = min((item.line or 1) + offset, last)
        end = min(max((item.end_line or item.line or 1) + offset, line), last)
        yield item.model_copy(update={"line": line, "end_line": end})


def _embedded(path: str, key: str, text: str) -> list[Evidence]:
    lowered = key.lower()
    try:
        if lowered.endswith(".json"):
            dashboard = as_dashboard(load_json(text))
            return [dashboard_evidence(path, dashboard, f"{path}#{key}", 1)] if dashboard else []
        if lowered.endswith((".yml", ".yaml", ".rules")):
            docs = load_yaml_located(text)
            return [
                e for d in docs if isinstance(d, YamlMap) for e in _monitoring_documents(path, d)
            ]
    except FormatError:
        return []
    return []


def monitoring_from_manifest(
    path: str, doc: YamlMap, api_version: str, kind: str
) -> list[Evidence]:
    """Monitoring evidence inside one Kubernetes document (may be empty)."""
    group = api_version.split("/", 1)[0]
    spec = ymap(doc.get("spec"))
    if group == "monitoring.coreos.com":
        if kind == "PrometheusRule":
            return list(rule_evidence(path, spec.get("groups"), "prometheus-rule"))
        if kind in {"ServiceMonitor", "PodMonitor"}:
            return [scrape_target_from_monitor(path, doc, kind)]
        if kind == "AlertmanagerConfig":
            return [alertmanager_evidence(path, spec, "alertmanager-config")]
        return []
    if group.startswith("grafana.integreatly.org") and kind == "GrafanaDashboard":
        raw = spec.get("json")
        if isinstance(raw, str):
            return list(
                _shifted(_embedded(path, "dashboard.json", raw), spec.line_of("json"), doc.end_line)
            )
        return []
    if kind == "ConfigMap":  # never Secrets: their values are credentials
        data = ymap(doc.get("data"))
        found: list[Evidence] = []
        for key, value in data.items():
            if isinstance(value, str) and any(
                h in value for h in ('"panels"', *_MONITORING_YAML_HINTS)
            ):
                found.extend(_shifted(_embedded(path, key, value), data.line_of(key), doc.end_line))
        return found
    return []
