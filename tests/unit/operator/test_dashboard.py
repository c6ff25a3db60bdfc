"""The Grafana dashboard (charts/hyperscore/dashboards/hyperscore.json) only queries what the
operator exports.

A renamed metric or label would leave the dashboard silently empty, so every PromQL expression
(panel targets and template variables) is taken apart and each metric name and each label it
selects on is checked against operator/metrics.py -- read from the live registry after a real
assessment was recorded, never from a list copied here. The real Prometheus test
(tests/integration/test_prometheus.py) additionally runs every query against scraped data.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hyperscore.evaluators.assessment import Assessment, ComponentResult
from hyperscore.evaluators.pipeline import Options, assess
from hyperscore.operator import metrics

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "charts" / "hyperscore" / "dashboards" / "hyperscore.json"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# PromQL functions and aggregations the dashboard may call; an unknown word before "(" fails,
# so a misspelt function is caught as surely as a misspelt metric.
FUNCTIONS = {
    "avg", "count", "sum", "min", "max", "topk", "bottomk", "sort", "sort_desc", "rate",
    "increase", "irate", "delta", "time", "vector", "histogram_quantile", "label_values",
    "clamp_min", "clamp_max", "abs", "round", "avg_over_time", "max_over_time", "absent",
}  # fmt: skip
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')


@dataclass(frozen=True)
class Parsed:
    metrics: frozenset[str]
    functions: frozenset[str]
    # metric -> label names its selector matches on
    selected_labels: dict[str, frozenset[str]]
    grouping_labels: frozenset[str]


def parse_promql(expr: str) -> Parsed:
    """Metric names, functions and label names of one expression (enough PromQL for ours)."""
    text = STRING.sub('""', expr.replace("$__rate_interval", "5m"))
    # Grafana's label_values(selector, label): the label counts as a grouping label
    variable = re.fullmatch(r"\s*label_values\((.+),\s*(\w+)\s*\)\s*", text)
    extra = {variable.group(2)} if variable else set()
    if variable:
        text = f"label_values({variable.group(1)})"
    selected = {
        metric: frozenset(label for label, _ in MATCHER.findall(body))
        for metric, body in SELECTOR.findall(text)
    }
    grouping = (
        frozenset(
            label.strip() for _, labels in GROUPING.findall(text) for label in labels.split(",")
        )
        - {""}
        | extra
    )
    text = GROUPING.sub(" ", text)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    functions: set[str] = set()
    names: set[str] = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if re.match(r"\s*\(", text[match.end() :]):
            functions.add(word)
        elif word.lower() not in KEYWORDS:
            names.add(word)
    return Parsed(frozenset(names), frozenset(functions), selected, grouping)


def base_name(series: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def exported_labels() -> Iterator[dict[str, frozenset[str]]]:
    """Series name -> its label names, from the registry with every kind of series present."""
    report: Assessment = assess(str(ROOT / "tests/fixtures/mid-level"), Options(semantic=False))[0]
    component = ComponentResult(
        name="logic", title="Logic", status="used", term=0.5, weight=1.0, nominal_weight=1.0,
        shapley=0.1,
    )  # fmt: skip
    fused = report.model_copy(
        update={
            "hyper_score": 120.0,
            "score_interval": (1.0, 2.0),
            "components": {"logic": component},
        }
    )
    ns, name, stage = "dash-test", uuid.uuid4().hex[:8], f"dash-{uuid.uuid4().hex[:6]}"
    metrics.record_assessment(ns, name, fused)
    metrics.count_run(ns, name, "failure")
    metrics.observe_stage(stage, 1.0)
    labels: dict[str, set[str]] = {}
    for family in metrics.REGISTRY.collect():
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    metrics.forget(ns, name)
    metrics.STAGE_DURATION.remove(stage)
    yield {series: frozenset(names) for series, names in labels.items()}


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    found = [
        (f"panel {panel['title']!r} target {target['refId']}", target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found.append((f"variable {variable['name']}", variable["query"]["query"]))
    return found


def problems(where: str, expr: str, exported: dict[str, frozenset[str]]) -> list[str]:
    """What is wrong with one query: unknown functions, metrics or labels (empty when fine)."""
    parsed = parse_promql(expr)
    out = [f"{where}: unknown function {f}" for f in sorted(parsed.functions - FUNCTIONS)]
    if not parsed.metrics:
        out.append(f"{where}: queries no metric: {expr}")
    for name in sorted(parsed.metrics):
        if base_name(name) not in metrics.exported_names():
            out.append(f"{where}: {name} is not exported by operator/metrics.py")
    for name, labels in parsed.selected_labels.items():
        if missing := labels - exported.get(name, frozenset()):
            out.append(f"{where}: {name} has no label(s) {sorted(missing)}")
    known = frozenset().union(*(exported.get(n, frozenset()) for n in parsed.metrics))
    if missing := parsed.grouping_labels - known:
        out.append(f"{where}: groups by label(s) {sorted(missing)} the metrics lack")
    return out


def test_every_query_uses_exported_metrics_and_labels(
    dashboard: dict[str, Any], exported_labels: dict[str, frozenset[str]]
) -> None:
    found = [
        p for where, expr in queries(dashboard) for p in problems(where, expr, exported_labels)
    ]
    assert found == []


def test_the_checker_reports_a_renamed_metric_label_or_function(
    exported_labels: dict[str, frozenset[str]],
) -> None:
    """The check above must be able to fail: near-misses of real queries are all reported."""
    good = 'sum by (severity) (hyperscore_findings{namespace=~"$namespace",name=~"$name"})'
    assert problems("q", good, exported_labels) == []
    for bad, why in (
        (good.replace("hyperscore_findings", "hyperscore_finding"), "not exported"),
        (good.replace("by (severity)", "by (rule)"), "groups by label(s) ['rule']"),
        (good.replace('namespace=~"', 'ns=~"'), "has no label(s) ['ns']"),
        (good.replace("sum by", "summ by"), "unknown function summ"),
        ("histogram_quantile(0.9, rate(hyperscore_stage_seconds_bucket[5m]))", "not exported"),
    ):
        found = problems("q", bad, exported_labels)
        assert any(why in p for p in found), (bad, found)


def test_every_panel_has_a_title_a_datasource_and_targets(dashboard: dict[str, Any]) -> None:
    assert dashboard["panels"], "no panels"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in dashboard["panels"]:
        assert panel["title"].strip(), panel["id"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            # per-target datasources must follow the variable too (Grafana keeps both)
            assert target.get("datasource", panel["datasource"]) == panel["datasource"]
            assert target["expr"].strip() and target["refId"]


def test_datasource_and_assessment_variables(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("namespace", "name"):
        query = variables[name]["query"]["query"]
        match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
        assert match and match.group(2) == name, query
        assert variables[name]["datasource"]["uid"] == "${datasource}"
    assert 30 <= dashboard["schemaVersion"] <= 41
    assert dashboard["uid"] and dashboard["title"]


def test_the_issue_panels_are_there(dashboard: dict[str, Any]) -> None:
    """Score and HyperScore over time, dimensions, findings, stage durations, failures, age."""
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    over_time = [
        t["expr"]
        for panel in dashboard["panels"]
        if panel["type"] == "timeseries"
        for t in panel["targets"]
    ]
    for metric in ("hyperscore_assessment_score", "hyperscore_assessment_hyperscore"):
        assert any(metric in parse_promql(e).metrics for e in over_time), metric
    assert any("hyperscore_dimension_level" in parse_promql(e).metrics for e in exprs)
    assert any(
        "hyperscore_findings" in (p := parse_promql(e)).metrics and "severity" in p.grouping_labels
        for e in exprs
    )
    assert any(
        "histogram_quantile" in (p := parse_promql(e)).functions
        and "hyperscore_stage_duration_seconds_bucket" in p.metrics
        and {"le", "stage"} <= p.grouping_labels
        for e in exprs
    )
    assert any("hyperscore_assessment_runs_total" in e and 'result="failure"' in e for e in exprs)
    assert any("hyperscore_assessment_last_scored_timestamp_seconds" in e for e in exprs)
