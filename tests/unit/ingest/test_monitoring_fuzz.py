"""Property tests: monitoring parsers read hostile text without hanging or escaping."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.monitoring import (
    parse_grafana_dashboard,
    parse_monitoring_yaml,
)
from hyperscore.evaluators.ingest.parsers.monitoring_python import (
    parse_logging_file,
    parse_monitoring_python,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence
from tests.unit.ingest.test_infra_fuzz import ADVERSARIAL, check, mutated

Parse = Callable[[ParseInput], Iterable[Evidence]]

DASHBOARD = {
    "title": "t",
    "schemaVersion": 39,
    "panels": [{"title": "p", "targets": [{"expr": 'rate(x_total{a="b"}[5m])'}], "panels": []}],
}

SAMPLES: dict[str, tuple[Parse, str]] = {
    "rules.yml": (
        parse_monitoring_yaml,
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]) > 1\n"
        "        for: 5m\n        labels: {severity: page}\n"
        "      - record: r:x\n        expr: sum(x)\n",
    ),
    "prometheus.yml": (
        parse_monitoring_yaml,
        "global: {scrape_interval: 15s}\nscrape_configs:\n  - job_name: a\n"
        "    static_configs: [{targets: ['a:1']}]\n    kubernetes_sd_configs: [{role: pod}]\n",
    ),
    "alertmanager.yml": (
        parse_monitoring_yaml,
        "route: {receiver: a}\nreceivers:\n  - name: a\n    slack_configs: [{api_url: 'https://x'}]\n",
    ),
    "datasources.yaml": (
        parse_monitoring_yaml,
        "apiVersion: 1\ndatasources:\n  - {name: p, type: prometheus}\n",
    ),
    "dashboard.json": (parse_grafana_dashboard, json.dumps(DASHBOARD, indent=2)),
    "monitor.py": (
        parse_monitoring_python,
        "import logging\nfrom prometheus_client import Counter\nfrom evidently import Report\n"
        "C = Counter('a_total', 'A', ['l'])\nlogging.basicConfig(level=logging.INFO)\n"
        "Report(metrics=[])\n",
    ),
    "logging.yaml": (
        parse_logging_file,
        "version: 1\nhandlers: {console: {class: logging.StreamHandler}}\nroot: {level: INFO}\n",
    ),
    "logging.conf": (
        parse_logging_file,
        "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[logger_root]\nlevel=INFO\n",
    ),
}


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_samples_yield_evidence(path: str) -> None:
    fn, text = SAMPLES[path]
    assert list(fn(ParseInput(path, text)))
    check(fn, path, text)


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    fn, text = SAMPLES[path]
    check(fn, path, data.draw(mutated(text)))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(path: str, text: str) -> None:
    fn, _ = SAMPLES[path]
    check(fn, path, text)


MONITORING_ADVERSARIAL = [
    *ADVERSARIAL,
    "groups:\n- rules:\n  - alert: a\n    expr: " + "(" * 5_000 + "x" + ")" * 5_000 + "\n",
    '{"panels": [' + '{"panels": [' * 95 + "]}" * 95 + "]}",
    "import evidently\n" + "x = (" * 50 + "1" + ")" * 50 + "\n",
    "import logging\n" + "logging.basicConfig()\n" * 5_000,
]


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_adversarial_inputs_finish_quickly(path: str) -> None:
    fn, _ = SAMPLES[path]
    for text in MONITORING_ADVERSARIAL:
        check(fn, path, text)
