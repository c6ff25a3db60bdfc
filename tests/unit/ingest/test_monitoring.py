"""Prometheus rules and configs, Alertmanager, Grafana dashboards and provisioning."""

from __future__ import annotations

import json

import pytest

from hyperscore.evaluators.ingest.parsers.monitoring import (
    AlertmanagerConfig,
    Dashboard,
    GrafanaProvisioning,
    MonitorAlert,
    PrometheusConfig,
    RecordingRule,
    ScrapeTarget,
    parse_grafana_dashboard,
    parse_monitoring_yaml,
    promql_metrics,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence


def parse_yaml(text: str, path: str = "monitoring/rules.yml") -> list[Evidence]:
    return list(parse_monitoring_yaml(ParseInput(path, text)))


@pytest.mark.parametrize(
    ("expr", "metrics"),
    [
        ("up == 0", ("up",)),
        (
            "histogram_quantile(0.99, sum(rate("
            'http_request_duration_seconds_bucket{job="api"}[5m])) by (le)) > 0.5',
            ("http_request_duration_seconds_bucket",),
        ),
        (
            'sum(rate(http_requests_total{code=~"5.."}[5m])) / ignoring(code) group_left '
            "sum(rate(http_requests_total[5m])) offset 1h > bool 0.1",
            ("http_requests_total",),
        ),
        (
            "avg_over_time(drift_score[1h]) > 0.3 and on(model) model_up == 1",
            ("drift_score", "model_up"),
        ),
        ('{__name__="up"} == 0 or absent(job:requests:rate5m)', ("up", "job:requests:rate5m")),
        (
            'sum by (model) (rate(predictions_total{model="$model"}[$__rate_interval]))',
            ("predictions_total",),
        ),
        ("time() - process_start_time_seconds > 1e3", ("process_start_time_seconds",)),
        ("vector(1)", ()),
    ],
)
def test_promql_metrics(expr: str, metrics: tuple[str, ...]) -> None:
    assert promql_metrics(expr) == metrics


RULES = """\
groups:
  - name: model
    rules:
      - alert: PredictionDrift
        expr: avg_over_time(model_drift_score{model="churn"}[1h]) > 0.3
        for: 15m
        labels:
          severity: warning
          team: ml
        annotations:
          summary: Drift detected on {{ $labels.model }}
          runbook_url: https://wiki/runbook
      - record: model:predictions:rate5m
        expr: sum by (model) (rate(predictions_total[5m]))
"""


def test_alert_and_recording_rule() -> None:
    alert, record = parse_yaml(RULES)
    assert isinstance(alert, MonitorAlert) and isinstance(record, RecordingRule)
    assert (alert.alert, alert.for_duration, alert.severity, alert.group) == (
        "PredictionDrift",
        "15m",
        "warning",
        "model",
    )
    assert (alert.line, alert.end_line, alert.metrics) == (4, 12, ("model_drift_score",))
    assert alert.runbook and alert.label_keys == ("severity", "team")
    assert alert.text == "Drift detected on {{ $labels.model }}"
    assert {(lk.src, lk.dst, lk.rel) for lk in alert.links} == {
        ("file:monitoring/rules.yml", "alert:PredictionDrift", "defines"),
        ("alert:PredictionDrift", "metric:model_drift_score", "watches"),
    }
    assert (record.record, record.line, record.metrics) == (
        "model:predictions:rate5m",
        13,
        ("predictions_total",),
    )
    assert ("metric:model:predictions:rate5m", "metric:predictions_total", "derived-from") in {
        (lk.src, lk.dst, lk.rel) for lk in record.links
    }


def test_unrelated_yaml_with_groups_is_ignored() -> None:
    dependabot = (
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    groups:\n"
        "      all: {patterns: ['*']}\n"
    )
    assert parse_yaml(dependabot, ".github/dependabot.yml") == []
    assert parse_yaml("groups: [a, b]\n", "x.yaml") == []
    assert parse_yaml("apiVersion: v1\nkind: ConfigMap\ngroups: [{rules: []}]\n", "cm.yaml") == []
    assert parse_yaml("name: x\n", "plain.yaml") == []


PROMETHEUS = """\
global:
  scrape_interval: 15s
  evaluation_interval: 30s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["am:9093"]}]
remote_write:
  - url: https://user:pw@remote/api/v1/write
scrape_configs:
  - job_name: api
    metrics_path: /metrics
    scrape_interval: 5s
    static_configs:
      - targets: ["api:8000", "api2:8000"]
  - job_name: pods
    kubernetes_sd_configs: [{role: pod}]
    bearer_token: SUPERSECRET
"""


def test_prometheus_config() -> None:
    items = parse_yaml(PROMETHEUS, "prometheus/prometheus.yml")
    api, pods, config = items
    assert isinstance(api, ScrapeTarget) and isinstance(pods, ScrapeTarget)
    assert (api.job, api.line, api.static_targets) == ("api", 11, ("api:8000", "api2:8000"))
    assert (api.endpoints[0].path, api.endpoints[0].interval) == ("/metrics", "5s")
    assert pods.discovery == ("kubernetes:pod",)
    assert isinstance(config, PrometheusConfig)
    assert (config.scrape_interval, config.evaluation_interval, config.jobs) == (
        "15s",
        "30s",
        ("api", "pods"),
    )
    assert config.rule_files == ("rules.yml",) and config.alertmanagers and config.remote_write == 1
    dumped = "".join(i.model_dump_json() for i in items)
    assert "SUPERSECRET" not in dumped and "pw@" not in dumped


def test_alertmanager_never_records_urls() -> None:
    text = """\
route:
  receiver: team
  group_by: [alertname, model]
receivers:
  - name: team
    slack_configs:
      - api_url: https://hooks.slack.com/services/T000/B000/XXXX
  - name: pager
    pagerduty_configs: [{service_key: abc123}]
inhibit_rules:
  - source_matchers: [severity="critical"]
"""
    (config,) = parse_yaml(text, "alertmanager/alertmanager.yml")
    assert isinstance(config, AlertmanagerConfig)
    assert config.receivers == ("team", "pager")
    assert config.integrations == ("pagerduty", "slack")
    assert (config.route_receiver, config.group_by, config.inhibit_rules) == (
        "team",
        ("alertname", "model"),
        1,
    )
    dumped = config.model_dump_json()
    assert "hooks.slack.com" not in dumped and "abc123" not in dumped


def test_grafana_provisioning_and_alert_rules() -> None:
    datasources = """\
apiVersion: 1
datasources:
  - name: Prom
    type: prometheus
    url: http://prom:9090
    secureJsonData: {password: hunter2}
  - name: Logs
    type: loki
"""
    (prov,) = parse_yaml(datasources, "grafana/provisioning/datasources/ds.yaml")
    assert isinstance(prov, GrafanaProvisioning)
    assert prov.datasource_types == ("prometheus", "loki")
    assert prov.datasource_names == ("Prom", "Logs")
    assert "hunter2" not in prov.model_dump_json()
    alerting = """\
apiVersion: 1
groups:
  - orgId: 1
    name: ml
    folder: ML
    rules:
      - uid: a1
        title: Model accuracy dropped
        condition: C
        data:
          - refId: A
            model: {expr: "avg(model_accuracy) < 0.8"}
"""
    (alert,) = parse_yaml(alerting, "grafana/provisioning/alerting/rules.yaml")
    assert isinstance(alert, MonitorAlert)
    assert (alert.alert, alert.source, alert.metrics, alert.line) == (
        "Model accuracy dropped",
        "grafana",
        ("model_accuracy",),
        7,
    )


DASHBOARD = {
    "title": "Model service",
    "uid": "m1",
    "schemaVersion": 39,
    "tags": ["ml"],
    "templating": {"list": [{"name": "model"}]},
    "panels": [
        {
            "type": "row",
            "title": "Latency",
            "panels": [
                {
                    "title": "p95",
                    "datasource": {"type": "prometheus", "uid": "p"},
                    "targets": [
                        {
                            "expr": "histogram_quantile(0.95, sum by (le) (rate("
                            'latency_seconds_bucket{model="$model"}[$__rate_interval])))'
                        }
                    ],
                    "alert": {"name": "slow"},
                }
            ],
        },
        {
            "title": "Errors",
            "datasource": {"type": "loki"},
            "targets": [{"expr": '{app="api"} |= "error" | json'}],
        },
        {"title": "Drift", "targets": [{"expr": "drift_score"}, {"refId": "B"}]},
    ],
}


def test_grafana_dashboard() -> None:
    (board,) = parse_grafana_dashboard(ParseInput("grafana/model.json", json.dumps(DASHBOARD)))
    assert isinstance(board, Dashboard)
    assert (board.title, board.uid, board.tags, board.variables) == (
        "Model service",
        "m1",
        ("ml",),
        ("model",),
    )
    assert board.panel_titles == ("Latency", "p95", "Errors", "Drift")
    assert board.metrics == ("latency_seconds_bucket", "drift_score")  # loki query skipped
    assert len(board.queries) == 3 and board.panel_alerts == 1
    assert board.datasources == ("prometheus", "loki")
    watched = {lk.dst for lk in board.links if lk.rel == "watches"}
    assert watched == {"metric:latency_seconds_bucket", "metric:drift_score"}


def test_grafana_export_wrapper_and_non_dashboards() -> None:
    wrapped = json.dumps({"dashboard": DASHBOARD, "overwrite": True})
    (board,) = parse_grafana_dashboard(ParseInput("export.json", wrapped))
    assert isinstance(board, Dashboard) and board.uid == "m1"
    assert list(parse_grafana_dashboard(ParseInput("package.json", '{"name": "x"}'))) == []
    assert list(parse_grafana_dashboard(ParseInput("x.json", '{"panels": 3}'))) == []
    with pytest.raises(ValueError):
        list(parse_grafana_dashboard(ParseInput("bad.json", '{"panels": [')))
