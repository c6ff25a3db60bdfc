"""operator/metrics.py: what a scrape of /metrics shows after the controller reports.

Every check goes through the exposition text (parsed with prometheus_client's own parser), the
way Prometheus sees it, over a real HTTP server on a loopback port.
"""

from __future__ import annotations

import itertools
import math
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from hyperscore.evaluators.assessment import Assessment, ComponentResult, Severity
from hyperscore.evaluators.pipeline import Options, assess
from hyperscore.operator import metrics

MID_LEVEL = Path(__file__).resolve().parents[2] / "fixtures" / "mid-level"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """A real report, as it looks when fusion did not run (no HyperScore, no components)."""
    report = assess(str(MID_LEVEL), Options(semantic=False))[0]
    return report.model_copy(update={"hyper_score": None, "score_interval": None, "components": {}})


@pytest.fixture(scope="module")
def fused(assessment: Assessment) -> Assessment:
    """The same report as fusion would complete it: HyperScore, interval, two components."""
    components = {
        "logic": ComponentResult(
            name="logic", title="Logic", status="used", term=0.8, weight=0.6,
            nominal_weight=0.3, shapley=0.12,
        ),
        "novelty": ComponentResult(
            name="novelty", title="Novelty", status="dropped", term=None, weight=0.0,
            nominal_weight=0.2, why="no knowledge base",
        ),
        "repro": ComponentResult(
            name="repro", title="Repro", status="used", term=0.4, weight=0.4,
            nominal_weight=0.2, shapley=-0.03,
        ),
    }  # fmt: skip
    return assessment.model_copy(
        update={"hyper_score": 131.5, "score_interval": (38.0, 51.5), "components": components}
    )


@pytest.fixture
def key() -> Iterator[tuple[str, str]]:
    """A unique (namespace, name) per test; forgotten afterwards so tests stay independent."""
    ns, name = f"ns-{uuid.uuid4().hex[:6]}", f"a-{uuid.uuid4().hex[:6]}"
    yield ns, name
    metrics.forget(ns, name)


@pytest.fixture(scope="module")
def server() -> Iterator[metrics.MetricsServer]:
    srv = metrics.start_server(0, "127.0.0.1")
    yield srv
    srv.shutdown()


def scrape(server: metrics.MetricsServer) -> list[Sample]:
    url = f"http://127.0.0.1:{server.port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def of(samples: list[Sample], ns: str, name: str) -> dict[tuple[str, tuple[str, ...]], float]:
    """The samples of one assessment: (metric, other label values) -> value."""
    found: dict[tuple[str, tuple[str, ...]], float] = {}
    for s in samples:
        if s.labels.get("namespace") == ns and s.labels.get("name") == name:
            rest = tuple(v for k, v in sorted(s.labels.items()) if k not in ("namespace", "name"))
            found[(s.name, rest)] = s.value
    return found


def test_an_assessment_is_exported_with_its_score_levels_and_findings(
    server: metrics.MetricsServer, assessment: Assessment, key: tuple[str, str]
) -> None:
    metrics.record_assessment(*key, assessment, scored_at=1_700_000_000.0)
    got = of(scrape(server), *key)
    assert got[("hyperscore_assessment_score", ())] == assessment.score
    assert got[("hyperscore_assessment_level", ())] == assessment.level
    assert got[("hyperscore_assessment_last_scored_timestamp_seconds", ())] == 1_700_000_000.0
    dimensions = {
        labels[0]: value for (metric, labels), value in got.items()
        if metric == "hyperscore_dimension_level"
    }  # fmt: skip
    assert dimensions == assessment.dimensions and len(dimensions) == 8
    findings = {
        labels[0]: value for (metric, labels), value in got.items()
        if metric == "hyperscore_findings"
    }  # fmt: skip
    # every severity is present, zeros included, and the counts add up to the report's
    assert set(findings) == {s.value for s in Severity}
    assert sum(findings.values()) == len(assessment.findings) > 0
    for severity in Severity:
        assert findings[severity.value] == sum(f.severity == severity for f in assessment.findings)
    # no fusion yet: no HyperScore, interval or component series rather than a fake zero
    assert not any(
        metric in {"hyperscore_assessment_hyperscore", "hyperscore_component_value"}
        or metric.startswith("hyperscore_assessment_score_interval")
        for metric, _ in got
    )


def test_fusion_results_appear_and_a_later_run_without_them_removes_them(
    server: metrics.MetricsServer,
    assessment: Assessment,
    fused: Assessment,
    key: tuple[str, str],
) -> None:
    metrics.record_assessment(*key, fused)
    got = of(scrape(server), *key)
    assert got[("hyperscore_assessment_hyperscore", ())] == 131.5
    assert got[("hyperscore_assessment_score_interval", ("lower",))] == 38.0
    assert got[("hyperscore_assessment_score_interval", ("upper",))] == 51.5
    assert got[("hyperscore_component_value", ("logic",))] == 0.8
    assert got[("hyperscore_component_value", ("repro",))] == 0.4
    assert got[("hyperscore_component_shapley", ("repro",))] == -0.03
    # a dropped component has no term: no series, not a misleading 0
    assert ("hyperscore_component_value", ("novelty",)) not in got
    metrics.record_assessment(*key, assessment)
    again = of(scrape(server), *key)
    assert {m for m, _ in again} == {m for m, _ in got} - {
        "hyperscore_assessment_hyperscore",
        "hyperscore_assessment_score_interval",
        "hyperscore_component_value",
        "hyperscore_component_shapley",
    }


def test_forget_removes_every_series_of_that_assessment_only(
    server: metrics.MetricsServer, fused: Assessment, key: tuple[str, str]
) -> None:
    other = (key[0], key[1] + "-other")
    try:
        for ns, name in (key, other):
            metrics.record_assessment(ns, name, fused)
            metrics.count_run(ns, name, "success")
            metrics.count_run(ns, name, "failure")
        before = of(scrape(server), *key)
        assert ("hyperscore_assessment_runs_total", ("failure",)) in before
        metrics.forget(*key)
        after = scrape(server)
        assert of(after, *key) == {}
        assert of(after, *other).keys() == before.keys()  # the neighbour is untouched
    finally:
        metrics.forget(*other)


def test_runs_are_counted_by_result_and_bad_results_refused(
    server: metrics.MetricsServer, key: tuple[str, str]
) -> None:
    for result in ("success", "success", "failure"):
        metrics.count_run(*key, result)  # type: ignore[arg-type]
    got = of(scrape(server), *key)
    assert got[("hyperscore_assessment_runs_total", ("success",))] == 2
    assert got[("hyperscore_assessment_runs_total", ("failure",))] == 1
    with pytest.raises(ValueError, match="result must be one of"):
        metrics.count_run(*key, "maybe")  # type: ignore[arg-type]


def test_stage_durations_land_in_buckets_from_50ms_to_30min(
    server: metrics.MetricsServer,
) -> None:
    stage = f"stage-{uuid.uuid4().hex[:6]}"  # the histogram is shared: a label of our own
    for seconds in (0.03, 0.2, 7.0, 1500.0, 4000.0):
        metrics.observe_stage(stage, seconds)
    buckets = {
        s.labels["le"]: s.value
        for s in scrape(server)
        if s.name == "hyperscore_stage_duration_seconds_bucket" and s.labels["stage"] == stage
    }
    bounds = sorted(float(le) for le in buckets)
    assert bounds[0] == 0.05 and bounds[-2] == 1800.0 and math.isinf(bounds[-1])
    # neighbouring finite bounds at most x3 apart: quantiles stay meaningful over the range
    assert all(b / a <= 3.0 for a, b in itertools.pairwise(bounds[:-1]))
    assert buckets["0.05"] == 1 and buckets["0.25"] == 2 and buckets["10.0"] == 3
    assert buckets["1800.0"] == 4 and buckets["+Inf"] == 5
    with pytest.raises(ValueError, match="negative"):
        metrics.observe_stage(stage, -1.0)


def test_no_series_has_an_unbounded_label(
    server: metrics.MetricsServer, fused: Assessment, key: tuple[str, str]
) -> None:
    metrics.record_assessment(*key, fused)
    metrics.count_run(*key, "success")
    metrics.observe_stage("logic", 0.5)
    allowed = {"namespace", "name", "dimension", "component", "severity", "bound", "result"}
    allowed |= {"stage", "le"}
    labels = {label for s in scrape(server) for label in s.labels}
    assert labels <= allowed, labels - allowed


def test_exported_names_come_from_the_registry() -> None:
    names = metrics.exported_names()
    assert "hyperscore_assessment_runs_total" in names  # a counter's exposed name
    assert "hyperscore_stage_duration_seconds" in names
    assert all(n.startswith("hyperscore_") for n in names)
    assert {
        "hyperscore_assessment_score",
        "hyperscore_assessment_hyperscore",
        "hyperscore_dimension_level",
        "hyperscore_component_value",
        "hyperscore_findings",
        "hyperscore_assessment_last_scored_timestamp_seconds",
    } <= names


def test_healthz_answers_and_follows_the_health_callback() -> None:
    healthy = [True]
    srv = metrics.start_server(0, "127.0.0.1", healthy=lambda: healthy[0])
    try:
        base = f"http://127.0.0.1:{srv.port}"
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200
        healthy[0] = False
        with pytest.raises(urllib.error.HTTPError) as unhealthy:
            urllib.request.urlopen(base + "/healthz", timeout=5)
        assert unhealthy.value.code == 503
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "/nothing", timeout=5)
        assert missing.value.code == 404
    finally:
        srv.shutdown()
    # shutdown released the port: the same port can be bound again at once
    again = metrics.start_server(srv.port, "127.0.0.1")
    again.shutdown()


def test_openmetrics_is_served_when_asked_for(server: metrics.MetricsServer) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert response.read().decode().rstrip().endswith("# EOF")
