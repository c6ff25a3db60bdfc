"""A real Prometheus (the Debian package's binary) scrapes the operator's /metrics.

What only a real server can tell: that the exposition it negotiates (OpenMetrics) parses, that
the names and labels are what PromQL queries (and so the Grafana dashboard) select, and that a
forgotten assessment really disappears (Prometheus marks the series stale on the next scrape)
instead of flat-lining at its last value.

The test starts its own ``prometheus`` process: a temporary config with a 1 s scrape interval,
storage in a temp directory, a free loopback port; nothing of an installed service is used.
Without the binary the test is skipped, except under ``HYPERSCORE_REQUIRE_SANDBOX=1`` (set by
``make test``, which installs it through hack/system-deps.sh), where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from hyperscore.evaluators.assessment import Assessment
from hyperscore.evaluators.pipeline import Options, assess
from hyperscore.operator import metrics

from .controlplane import free_port

ROOT = Path(__file__).resolve().parents[2]
MID_LEVEL = ROOT / "tests" / "fixtures" / "mid-level"
DASHBOARD = ROOT / "charts" / "hyperscore" / "dashboards" / "hyperscore.json"
REQUIRE_ENV = "HYPERSCORE_REQUIRE_SANDBOX"
T = TypeVar("T")


@dataclass
class Prometheus:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        data = self.api("query", query=promql)
        assert data["resultType"] == "vector", data
        return list(data["result"])


def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        message = "prometheus is not installed (hack/system-deps.sh installs the Debian package)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(message)
    return found


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, log: Path) -> T:
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got is not None:
            return got
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def exporter() -> Iterator[metrics.MetricsServer]:
    server = metrics.start_server(0, "127.0.0.1")
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def prometheus(
    exporter: metrics.MetricsServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    binary = prometheus_binary()
    home = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "hyperscore-operator",
                "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}],
            }
        ],
    }
    (home / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    log = home / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", process, log)

    def ready() -> bool | None:
        if process.poll() is not None:
            pytest.fail(f"prometheus exited with {process.returncode}\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.base + "/-/ready", timeout=1) as response:
                return True if response.status == 200 else None
        except OSError:
            return None

    try:
        wait_for("prometheus to be ready", ready, 60, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return assess(str(MID_LEVEL), Options(semantic=False))[0]


def test_prometheus_scrapes_the_score_and_dimension_levels(
    prometheus: Prometheus, assessment: Assessment
) -> None:
    ns, name = "ml-team", f"mid-level-{uuid.uuid4().hex[:6]}"
    metrics.record_assessment(ns, name, assessment)
    metrics.count_run(ns, name, "success")
    metrics.observe_stage("logic", 0.4)
    try:
        selector = f'{{namespace="{ns}",name="{name}"}}'
        score = wait_for(
            "the score to be scraped",
            lambda: prometheus.query(f"hyperscore_assessment_score{selector}") or None,
            30,
            prometheus.log,
        )
        (sample,) = score
        assert sample["metric"]["job"] == "hyperscore-operator"
        assert float(sample["value"][1]) == assessment.score
        # the same scrape carries every dimension; one selected by its label
        dimension = "reproducibility"
        (level,) = prometheus.query(
            f'hyperscore_dimension_level{{name="{name}",dimension="{dimension}"}}'
        )
        assert float(level["value"][1]) == assessment.dimensions[dimension]
        levels = prometheus.query(f"hyperscore_dimension_level{selector}")
        assert {s["metric"]["dimension"]: float(s["value"][1]) for s in levels} == {
            k: float(v) for k, v in assessment.dimensions.items()
        }
        hyper = prometheus.query(f"hyperscore_assessment_hyperscore{selector}")
        if assessment.hyper_score is None:  # fusion did not run: no series rather than a 0
            assert hyper == []
        else:
            assert float(hyper[0]["value"][1]) == assessment.hyper_score
        (findings,) = prometheus.query(f"sum(hyperscore_findings{selector})")
        assert float(findings["value"][1]) == len(assessment.findings)
        (runs,) = prometheus.query(f'hyperscore_assessment_runs_total{{name="{name}"}}')
        assert runs["metric"]["result"] == "success" and float(runs["value"][1]) == 1
        (targets,) = prometheus.api("targets")["activeTargets"]
        assert targets["health"] == "up", targets
    finally:
        metrics.forget(ns, name)
    # forgotten: the next scrape lacks the series, Prometheus marks them stale, and an instant
    # query no longer returns them (rather than the last value for 5 minutes)
    wait_for(
        "the forgotten assessment's series to go stale",
        lambda: (
            True if not prometheus.query(f'{{__name__=~"hyperscore_.+",name="{name}"}}') else None
        ),
        30,
        prometheus.log,
    )


def test_every_dashboard_query_runs_and_returns_data(
    prometheus: Prometheus, assessment: Assessment
) -> None:
    """The dashboard's PromQL parses in Prometheus and selects the series we export."""
    ns, name = "dash", f"dash-{uuid.uuid4().hex[:6]}"
    metrics.record_assessment(ns, name, assessment)
    metrics.count_run(ns, name, "success")
    metrics.count_run(ns, name, "failure")
    metrics.observe_stage("logic", 0.3)
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    values = {"$namespace": ns, "$name": name, "$__rate_interval": "1m"}

    def substitute(expr: str) -> str:
        for variable, value in values.items():
            expr = expr.replace(variable, value)
        return expr

    targets = [
        (panel["title"], substitute(target["expr"]))
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
    try:
        # rate() and increase() need two samples of the series: wait for a few scrapes
        wait_for(
            "three scrapes of the assessment",
            lambda: (
                True
                if prometheus.query(
                    f'count_over_time(hyperscore_assessment_score{{name="{name}"}}[1m]) >= 3'
                )
                else None
            ),
            30,
            prometheus.log,
        )
        empty = [(title, expr) for title, expr in targets if not prometheus.query(expr)]
        assert empty == []
    finally:
        metrics.forget(ns, name)
