"""Prometheus metrics of the operator: one assessment's scores, stage timings and run counts.

Why a module of its own: the controller only *reports* (``record_assessment``, ``observe_stage``,
``count_run``, ``forget``) and never touches prometheus-client objects, so the metric names,
labels and the cleanup rules live in one place that the Grafana dashboard test introspects.

Design choices:

- A dedicated :data:`REGISTRY`, not the client's global one: the operator exports exactly the
  series below (no process/platform collectors mixed in by imports), and tests read a registry
  nobody else writes to.
- Per-assessment series carry ``namespace`` and ``name`` and nothing unbounded: no revision,
  path, uid or finding id. The other labels have a fixed vocabulary (eight dimensions, five
  components, four severities, two bounds, two results); stage durations are labelled by stage
  only, so a thousand assessments add no histogram buckets.
- A deleted assessment must vanish from Prometheus rather than flat-line at its last value, so
  :func:`forget` removes every series that carries its ``namespace``/``name``; a dimension or
  component that disappears between two runs is removed the same way by
  :func:`record_assessment`.
- ``hyperscore_findings`` is written for every severity, zeros included, so "no critical
  findings any more" is a 0 rather than a gap that alerts cannot tell from a missing scrape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from hyperscore.evaluators.assessment import Assessment, Severity

RunResult = Literal["success", "failure"]
RUN_RESULTS: Final[frozenset[str]] = frozenset({"success", "failure"})
ASSESSMENT_LABELS: Final[tuple[str, str]] = ("namespace", "name")

# Stage runs go from a cached 50 ms rubric pass to a half-hour sandboxed reproduction; the
# buckets are about x2-x2.5 apart over that range so histogram_quantile stays within a factor
# of ~2 anywhere in it, and 15 buckets keep the series count small.
STAGE_BUCKETS: Final[tuple[float, ...]] = (
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1200.0,
    1800.0,
    float("inf"),
)

REGISTRY: Final = CollectorRegistry()

SCORE: Final = Gauge(
    "hyperscore_assessment_score",
    "Headline maturity score 0-100 (calibrated when fusion ran, else the rubric score).",
    ASSESSMENT_LABELS,
    registry=REGISTRY,
)
SCORE_INTERVAL: Final = Gauge(
    "hyperscore_assessment_score_interval",
    "Bounds of the 90% credible interval of the score (bound=lower|upper); absent without fusion.",
    (*ASSESSMENT_LABELS, "bound"),
    registry=REGISTRY,
)
HYPERSCORE: Final = Gauge(
    "hyperscore_assessment_hyperscore",
    "HyperScore 100-200 from the fused components; absent until fusion has run.",
    ASSESSMENT_LABELS,
    registry=REGISTRY,
)
LEVEL: Final = Gauge(
    "hyperscore_assessment_level",
    "Overall maturity level 0-4.",
    ASSESSMENT_LABELS,
    registry=REGISTRY,
)
DIMENSION_LEVEL: Final = Gauge(
    "hyperscore_dimension_level",
    "Maturity level 0-4 of one of the eight dimensions.",
    (*ASSESSMENT_LABELS, "dimension"),
    registry=REGISTRY,
)
COMPONENT_VALUE: Final = Gauge(
    "hyperscore_component_value",
    "Term in [0, 1] of a fused component (logic, novelty, impact, repro, meta) that was used.",
    (*ASSESSMENT_LABELS, "component"),
    registry=REGISTRY,
)
COMPONENT_SHAPLEY: Final = Gauge(
    "hyperscore_component_shapley",
    "Shapley share of a fused component in V minus the baseline V.",
    (*ASSESSMENT_LABELS, "component"),
    registry=REGISTRY,
)
FINDINGS: Final = Gauge(
    "hyperscore_findings",
    "Number of findings of the last run by severity (zeros included).",
    (*ASSESSMENT_LABELS, "severity"),
    registry=REGISTRY,
)
LAST_SCORED: Final = Gauge(
    "hyperscore_assessment_last_scored_timestamp_seconds",
    "Unix time at which the assessment was last scored.",
    ASSESSMENT_LABELS,
    registry=REGISTRY,
)
RUNS: Final = Counter(
    "hyperscore_assessment_runs_total",
    "Assessment runs by result (success|failure).",
    (*ASSESSMENT_LABELS, "result"),
    registry=REGISTRY,
)
STAGE_DURATION: Final = Histogram(
    "hyperscore_stage_duration_seconds",
    "Wall-clock duration of one evaluation stage of one run.",
    ("stage",),
    buckets=STAGE_BUCKETS,
    registry=REGISTRY,
)

_PER_ASSESSMENT: Final[tuple[Gauge | Counter, ...]] = (
    SCORE,
    SCORE_INTERVAL,
    HYPERSCORE,
    LEVEL,
    DIMENSION_LEVEL,
    COMPONENT_VALUE,
    COMPONENT_SHAPLEY,
    FINDINGS,
    LAST_SCORED,
    RUNS,
)
# Serialises record/forget of the same assessment: a forget racing a late record must not leave
# half a set of series behind (each metric's own lock only covers one metric).
_LOCK: Final = threading.Lock()
_Series = tuple[Gauge, tuple[str, ...]]
# The gauge children each assessment's last record wrote, so the next record can remove only
# what disappeared (removing everything first would let a scrape in between see a gap, which
# Prometheus turns into staleness markers and a broken line).
_WRITTEN: Final[dict[tuple[str, str], set[_Series]]] = {}


def record_assessment(
    namespace: str, name: str, assessment: Assessment, *, scored_at: float | None = None
) -> None:
    """Publish one finished assessment, replacing every series of its previous run.

    ``scored_at`` (Unix seconds) defaults to now; the controller passes the time it writes to
    ``status.lastScoredTime`` so the metric and the status agree.
    """
    series: dict[_Series, float] = {
        (SCORE, ()): assessment.score,
        (LEVEL, ()): assessment.level,
        (LAST_SCORED, ()): time.time() if scored_at is None else scored_at,
    }
    if assessment.hyper_score is not None:
        series[(HYPERSCORE, ())] = assessment.hyper_score
    if assessment.score_interval is not None:
        series[(SCORE_INTERVAL, ("lower",))] = assessment.score_interval[0]
        series[(SCORE_INTERVAL, ("upper",))] = assessment.score_interval[1]
    for dimension, level in assessment.dimensions.items():
        series[(DIMENSION_LEVEL, (dimension,))] = level
    for component_name, component in assessment.components.items():
        if component.term is not None:
            series[(COMPONENT_VALUE, (component_name,))] = component.term
        if component.shapley is not None:
            series[(COMPONENT_SHAPLEY, (component_name,))] = component.shapley
    counts = dict.fromkeys(Severity, 0)
    for finding in assessment.findings:
        counts[finding.severity] += 1
    for severity, count in counts.items():
        series[(FINDINGS, (severity.value,))] = count
    with _LOCK:
        for (metric, labels), value in series.items():
            metric.labels(namespace, name, *labels).set(value)
        # what the previous run wrote and this one did not (fusion off, a component dropped)
        for metric, labels in _WRITTEN.get((namespace, name), set()) - series.keys():
            metric.remove(namespace, name, *labels)
        _WRITTEN[(namespace, name)] = set(series)


def observe_stage(stage: str, seconds: float) -> None:
    """Record how long one stage of one run took (``stage`` is a stage name, a bounded set)."""
    if seconds < 0:
        raise ValueError(f"a stage duration cannot be negative: {seconds!r}")
    STAGE_DURATION.labels(stage).observe(seconds)


def count_run(namespace: str, name: str, result: RunResult) -> None:
    """Count one finished run of an assessment; ``result`` is ``success`` or ``failure``."""
    if result not in RUN_RESULTS:
        raise ValueError(f"result must be one of {sorted(RUN_RESULTS)}, not {result!r}")
    with _LOCK:
        RUNS.labels(namespace, name, result).inc()


def forget(namespace: str, name: str) -> None:
    """Remove every series of a deleted assessment, so dashboards stop showing it at once."""
    key = {"namespace": namespace, "name": name}
    with _LOCK:
        for metric in _PER_ASSESSMENT:
            metric.remove_by_labels(key)
        _WRITTEN.pop((namespace, name), None)


def exported_names(registry: CollectorRegistry = REGISTRY) -> frozenset[str]:
    """Names of the series the registry can expose, children or not.

    Read from the collectors themselves (a counter's family ``x`` exposes ``x_total``), so the
    dashboard test checks its PromQL against what the code defines, not against a copied list.
    """
    names: set[str] = set()
    for family in registry.collect():
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return frozenset(names)


class MetricsServer(ThreadingHTTPServer):
    """``/metrics`` (text or OpenMetrics, as the scraper asks) and ``/healthz``.

    A server of our own rather than ``prometheus_client.start_http_server``: that one has no
    health endpoint and its ``shutdown()`` leaves the socket open, so a restarted operator (or
    the next test) could not bind the port again.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        registry: CollectorRegistry,
        healthy: Callable[[], bool] | None,
    ) -> None:
        self.registry = registry
        self.healthy = healthy
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def shutdown(self) -> None:
        """Stop serving and release the port."""
        super().shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._reply(200, encoder(self.server.registry), content_type)
        elif path == "/healthz":
            ok = self.server.healthy is None or self.server.healthy()
            self._reply(200 if ok else 503, b"ok\n" if ok else b"unhealthy\n", "text/plain")
        else:
            self._reply(404, b"not found\n", "text/plain")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a scrape every few seconds would drown the operator's own log."""


def start_server(
    port: int,
    addr: str = "0.0.0.0",  # noqa: S104 -- the pod's metrics port must be reachable
    *,
    registry: CollectorRegistry = REGISTRY,
    healthy: Callable[[], bool] | None = None,
) -> MetricsServer:
    """Serve the metrics in a daemon thread; ``port=0`` picks a free port (see ``.port``).

    ``healthy``, when given, decides whether ``/healthz`` answers 200 or 503.
    """
    server = MetricsServer((addr, port), registry, healthy)
    thread = threading.Thread(
        target=server.serve_forever, name=f"metrics-{server.port}", daemon=True
    )
    thread.start()
    return server
