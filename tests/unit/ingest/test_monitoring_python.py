"""ML monitoring libraries, metric definitions, telemetry and logging configuration."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.parsers.monitoring_python import (
    LoggingConfig,
    MetricDefinition,
    MlMonitor,
    Telemetry,
    classify,
    parse_logging_file,
    parse_monitoring_python,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence

CODE = """\
import logging
import logging.config
from prometheus_client import Counter, Histogram, start_http_server
from evidently import Report
from evidently.presets import DataDriftPreset as Drift, DataSummaryPreset
import whylogs as why
from nannyml import CBPE, UnivariateDriftCalculator
from sagemaker.model_monitor import DefaultModelMonitor, DataCaptureConfig
from alibi_detect.cd import KSDrift
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

REQS = Counter("requests_total", "Requests served", ["route"], namespace="ml")
LAT = Histogram(name="latency_seconds", documentation="Latency", labelnames=("model",))
logging.basicConfig(level=logging.INFO, filename="app.log")
logging.config.dictConfig({"version": 1, "handlers": {"console": {}, "file": {}}})


def job(ref, cur):
    report = Report(metrics=[Drift(), DataSummaryPreset()])
    why.log(cur)
    est = CBPE(y_pred="p")
    calc = UnivariateDriftCalculator(column_names=["a"])
    mon = DefaultModelMonitor(role="r")
    mon.create_monitoring_schedule(endpoint_input="ep")
    capture = DataCaptureConfig(enable_capture=True)
    cd = KSDrift(ref)
    trace.set_tracer_provider(TracerProvider())
    start_http_server(8000)
"""


def parse(text: str, path: str = "src/monitor.py") -> list[Evidence]:
    return list(parse_monitoring_python(ParseInput(path, text)))


def test_ml_monitors() -> None:
    monitors = [m for m in parse(CODE) if isinstance(m, MlMonitor)]
    assert [(m.library, m.what, m.call, m.line) for m in monitors] == [
        ("evidently", "report", "evidently.Report", 20),
        ("evidently", "drift", "evidently.presets.DataDriftPreset", 20),
        ("evidently", "data-quality", "evidently.presets.DataSummaryPreset", 20),
        ("whylogs", "profiling", "whylogs.log", 21),
        ("nannyml", "performance", "nannyml.CBPE", 22),
        ("nannyml", "drift", "nannyml.UnivariateDriftCalculator", 23),
        ("sagemaker", "data-quality", "sagemaker.model_monitor.DefaultModelMonitor", 24),
        ("sagemaker", "monitoring-schedule", "mon.create_monitoring_schedule", 25),
        ("sagemaker", "data-capture", "sagemaker.model_monitor.DataCaptureConfig", 26),
        ("alibi-detect", "drift", "alibi_detect.cd.KSDrift", 27),
    ]
    scheduled = {m.call: m.scheduled for m in monitors}
    assert scheduled["mon.create_monitoring_schedule"] is True
    assert scheduled["whylogs.log"] is None  # no orchestrator imported


def test_scheduler_import_marks_monitors_scheduled() -> None:
    text = "from airflow import DAG\nimport evidently.report as r\nr.Report(metrics=[])\n"
    (monitor,) = parse(text)
    assert isinstance(monitor, MlMonitor) and monitor.scheduled is True


def test_metric_definitions() -> None:
    metrics = [m for m in parse(CODE) if isinstance(m, MetricDefinition)]
    counter, histogram = metrics
    assert (counter.metric, counter.metric_type, counter.description, counter.label_names) == (
        "ml_requests_total",
        "counter",
        "Requests served",
        ("route",),
    )
    assert counter.exposed_names == ("ml_requests_total", "ml_requests_created")
    assert (histogram.metric, histogram.line, histogram.label_names) == (
        "latency_seconds",
        14,
        ("model",),
    )
    assert "metric:latency_seconds_bucket" in {lk.dst for lk in histogram.links}
    assert all(lk.rel == "exports" and lk.src == "file:src/monitor.py" for lk in histogram.links)


def test_telemetry_and_logging() -> None:
    items = parse(CODE)
    telemetry = [(t.library, t.signal, t.line) for t in items if isinstance(t, Telemetry)]
    assert telemetry == [
        ("opentelemetry", "traces", 28),
        ("opentelemetry", "traces", 28),
        ("prometheus_client", "metrics-exposition", 29),
    ]
    logging_items = [i for i in items if isinstance(i, LoggingConfig)]
    assert [(c.method, c.level, c.handlers, c.line) for c in logging_items] == [
        ("basicConfig", "INFO", ("file",), 15),
        ("dictConfig", None, ("console", "file"), 16),
    ]


def test_opentelemetry_instruments_and_structured_logging() -> None:
    text = """\
import structlog
from loguru import logger
from opentelemetry import metrics
meter = metrics.get_meter("svc")
hits = meter.create_counter("cache_hits", unit="1", description="Cache hits")
structlog.configure(processors=[structlog.processors.JSONRenderer()])
logger.add("app.log", serialize=True, level="INFO")
"""
    items = parse(text)
    (metric,) = [m for m in items if isinstance(m, MetricDefinition)]
    assert (metric.library, metric.metric, metric.metric_type, metric.description) == (
        "opentelemetry",
        "cache_hits",
        "counter",
        "Cache hits",
    )
    configs = [
        (c.library, c.method, c.structured, c.level, c.handlers)
        for c in items
        if isinstance(c, LoggingConfig)
    ]
    assert configs == [
        ("structlog", "configure", True, None, ()),
        ("loguru", "add", True, "INFO", ("app.log",)),
    ]
    assert [(t.signal, t.line) for t in items if isinstance(t, Telemetry)] == [("metrics", 4)]


def test_screening_and_syntax_errors() -> None:
    assert parse("import numpy as np\nprint(np.zeros(3))\n") == []
    assert parse("import logging\nlog = logging.getLogger(__name__)\n") == []
    with pytest.raises(SyntaxError):
        parse("import evidently\ndef (:\n")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("evidently.metric_preset.TargetDriftPreset", ("evidently", "drift")),
        ("evidently.metric_preset.ClassificationPreset", ("evidently", "performance")),
        ("evidently.ui.workspace.Workspace", ("evidently", "dashboard")),
        ("evidently.pipeline.column_mapping.ColumnMapping", None),
        ("nannyml.MissingValuesCalculator", ("nannyml", "data-quality")),
        ("alibi_detect.od.IForest", ("alibi-detect", "outlier")),
        ("alibi.explainers.AnchorTabular", ("alibi", "explainability")),
        ("sagemaker.model_monitor.ModelBiasMonitor", ("sagemaker", "bias")),
        ("sagemaker.workflow.quality_check_step.QualityCheckStep", ("sagemaker", "data-quality")),
        ("client.create_model_quality_job_definition", ("sagemaker", "performance")),
        ("deepchecks.tabular.suites.train_test_validation", ("deepchecks", "drift")),
        ("deepchecks.tabular.suites.data_integrity", ("deepchecks", "data-quality")),
        ("numpy.mean", None),
    ],
)
def test_classify(name: str, expected: tuple[str, str] | None) -> None:
    assert classify(name) == expected


def test_logging_yaml_file() -> None:
    text = """\
version: 1
formatters:
  json: {"()": pythonjsonlogger.jsonlogger.JsonFormatter}
handlers:
  console: {class: logging.StreamHandler, formatter: json}
  file: {class: logging.FileHandler, filename: app.log}
root:
  level: INFO
  handlers: [console, file]
"""
    (config,) = parse_logging_file(ParseInput("config/logging.yaml", text))
    assert isinstance(config, LoggingConfig)
    assert (config.method, config.level, config.handlers, config.structured) == (
        "file",
        "INFO",
        ("console", "file"),
        True,
    )


def test_logging_ini_file() -> None:
    text = """\
[loggers]
keys=root
[handlers]
keys=console, file
[formatters]
keys=plain
[logger_root]
level=WARNING
handlers=console
[formatter_plain]
format=%(asctime)s %(message)s
"""
    (config,) = parse_logging_file(ParseInput("logging.conf", text))
    assert isinstance(config, LoggingConfig)
    assert (config.level, config.handlers, config.structured) == (
        "WARNING",
        ("console", "file"),
        False,
    )
    with pytest.raises(ValueError, match="invalid logging config"):
        list(parse_logging_file(ParseInput("logging.ini", "no section header\n")))
