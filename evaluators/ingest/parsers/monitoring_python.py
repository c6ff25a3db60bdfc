"""Monitoring as code: ML monitoring libraries, metric definitions, telemetry and logging setup.

Python files are screened by substring first (most never mention a monitoring library, so they
cost one scan); only candidates are parsed with :mod:`ast`. Calls are resolved through the
file's imports, so ``from evidently.presets import DataDriftPreset as D; D()`` is drift
monitoring. Logging configuration files (``logging.yaml``, ``logging.conf``) are read too.
"""

from __future__ import annotations

import ast
import configparser
from collections.abc import Iterator
from typing import Literal

from hyperscore.evaluators.ingest.formats import load_json
from hyperscore.evaluators.ingest.parsers.infra_common import (
    YamlMap,
    load_yaml_located,
    str_tuple,
    text_or_none,
    ymap,
)
from hyperscore.evaluators.ingest.parsers.python_ast import shared_ast, walk_nodes
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MonitorAim = Literal[
    "drift", "data-quality", "performance", "explainability", "bias", "outlier", "profiling",
    "report", "dashboard", "monitoring-schedule", "data-capture",
]  # fmt: skip


class MlMonitor(Evidence):
    """Use of an ML monitoring library: what it checks and whether it runs on a schedule.

    ``scheduled`` is True for schedule calls (SageMaker monitoring schedules) and for files that
    also import a scheduler/orchestrator (Airflow, Prefect, Dagster, Kubeflow...), else None.
    """

    kind: Literal["monitor.ml_monitor"] = "monitor.ml_monitor"
    modality: Modality = Modality.MONITORING
    library: str
    what: MonitorAim
    call: str
    scheduled: bool | None = None


class MetricDefinition(Evidence):
    """An application metric defined in code; ``exposed_names`` are the series scraped."""

    kind: Literal["monitor.metric_definition"] = "monitor.metric_definition"
    modality: Modality = Modality.MONITORING
    library: str
    metric_type: str
    metric: str
    description: str | None = None
    label_names: tuple[str, ...] = ()
    exposed_names: tuple[str, ...] = ()


class Telemetry(Evidence):
    """Instrumentation set-up: tracing, metrics exposition or push, error reporting."""

    kind: Literal["monitor.telemetry"] = "monitor.telemetry"
    modality: Modality = Modality.MONITORING
    library: str
    signal: str
    call: str


class LoggingConfig(Evidence):
    """Logging configured in code or by a config file; ``structured`` means JSON output."""

    kind: Literal["monitor.logging_config"] = "monitor.logging_config"
    modality: Modality = Modality.MONITORING
    library: str
    method: str
    level: str | None = None
    handlers: tuple[str, ...] = ()
    structured: bool = False
    config_file: str | None = None


_SCREEN = (
    "evidently", "whylogs", "nannyml", "model_monitor", "ModelMonitor", "monitoring_schedule",
    "DataCaptureConfig", "CheckStep", "job_definition", "alibi", "deepchecks", "prometheus_client",
    "prometheus_fastapi_instrumentator", "opentelemetry", "sentry_sdk", "basicConfig",
    "dictConfig", "fileConfig", "structlog", "loguru",
)  # fmt: skip
_SCHEDULERS = (
    "airflow", "prefect", "dagster", "kfp", "sagemaker.workflow", "apscheduler", "schedule",
    "celery", "flytekit", "metaflow", "zenml",
)  # fmt: skip


# --------------------------------------------------------------------------- classification
def _by_words(name: str, default: MonitorAim | None) -> MonitorAim | None:
    lowered = name.lower()
    if "drift" in lowered:
        return "drift"
    if any(
        w in lowered
        for w in ("quality", "summary", "missing", "integrity", "stability", "constraint", "unseen")
    ):
        return "data-quality"
    if any(
        w in lowered
        for w in (
            "classification",
            "regression",
            "performance",
            "accuracy",
            "ranking",
            "recsys",
            "cbpe",
            "dle",
        )
    ):
        return "performance"
    if "explain" in lowered or "shap" in lowered:
        return "explainability"
    if "bias" in lowered or "fairness" in lowered:
        return "bias"
    if "outlier" in lowered or "anomal" in lowered:
        return "outlier"
    return default


_SAGEMAKER_METHODS: dict[str, MonitorAim] = {
    "create_monitoring_schedule": "monitoring-schedule",
    "update_monitoring_schedule": "monitoring-schedule",
    "suggest_baseline": "data-quality",
    "create_data_quality_job_definition": "data-quality",
    "create_model_quality_job_definition": "performance",
    "create_model_bias_job_definition": "bias",
    "create_model_explainability_job_definition": "explainability",
}
_SAGEMAKER_CLASSES: dict[str, MonitorAim] = {
    "DefaultModelMonitor": "data-quality",
    "ModelQualityMonitor": "performance",
    "ModelBiasMonitor": "bias",
    "ModelExplainabilityMonitor": "explainability",
    "DataCaptureConfig": "data-capture",
    "CronExpressionGenerator": "monitoring-schedule",
    "QualityCheckStep": "data-quality",
    "ClarifyCheckStep": "bias",
    "ModelMonitor": "data-quality",
}


def classify(full: str) -> tuple[str, MonitorAim] | None:
    """``(library, aim)`` for a resolved call name, or None when it is not ML monitoring."""
    parts = full.split(".")
    root, last = parts[0], parts[-1]
    if last in _SAGEMAKER_METHODS:
        return "sagemaker", _SAGEMAKER_METHODS[last]
    if root == "sagemaker" and last in _SAGEMAKER_CLASSES:
        return "sagemaker", _SAGEMAKER_CLASSES[last]
    if root == "evidently":
        if last in {"Report", "TestSuite"}:
            return "evidently", "report"
        if "Workspace" in last or last in {"Project", "Dashboard"}:
            return "evidently", "dashboard"
        aim = _by_words(last, None)
        return ("evidently", aim) if aim else None
    if root == "whylogs":
        if last in {"log", "log_reference", "log_pandas", "profiling"}:
            return "whylogs", "profiling"
        aim = _by_words(last, None) or ("profiling" if "Writer" in last else None)
        return ("whylogs", aim) if aim else None
    if root == "nannyml":
        aim = _by_words(last, None)
        return ("nannyml", aim) if aim else None
    if root == "alibi_detect" and len(parts) > 1 and last[:1].isupper():
        return "alibi-detect", "drift" if parts[1] == "cd" else "outlier"
    if root == "alibi" and "explainers" in parts:
        return "alibi", "explainability"
    if root == "deepchecks" and last[:1].isalpha():
        aim = "drift" if last == "train_test_validation" else _by_words(last, None)
        aim = aim or ("performance" if last == "model_evaluation" else None)
        aim = aim or ("report" if last == "full_suite" else None)
        return ("deepchecks", aim) if aim else None
    return None


# --------------------------------------------------------------------------- AST helpers
def _aliases(nodes: list[ast.AST]) -> dict[str, str]:
    """Import aliases, from the file's nodes in ``ast.walk`` order (later imports win)."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The import-resolved dotted name of a call target (``Instrumentator().expose`` included)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        else:
            node = node.func
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


def _arg(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _kwarg(call: ast.Call, keyword: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == keyword), None)


def _literal_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _literal_strs(node: ast.expr | None) -> tuple[str, ...]:
    if isinstance(node, ast.List | ast.Tuple):
        return tuple(s for s in (_literal_str(e) for e in node.elts) if s is not None)
    return ()


# --------------------------------------------------------------------------- metrics
_PROMETHEUS_TYPES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
_OTEL_INSTRUMENTS = {
    "create_counter": "counter", "create_up_down_counter": "up_down_counter",
    "create_histogram": "histogram", "create_gauge": "gauge",
    "create_observable_counter": "observable_counter",
    "create_observable_gauge": "observable_gauge",
    "create_observable_up_down_counter": "observable_up_down_counter",
}  # fmt: skip


def _exposed(metric_type: str, name: str) -> tuple[str, ...]:
    """Series names Prometheus will scrape for a ``prometheus_client`` metric."""
    if metric_type == "counter":
        base = name.removesuffix("_total")
        return (f"{base}_total", f"{base}_created")
    if metric_type == "histogram":
        return (f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created")
    if metric_type == "summary":
        return (name, f"{name}_sum", f"{name}_count", f"{name}_created")
    if metric_type == "info":
        return (f"{name}_info",)
    return (name,)


def _metric(path: str, call: ast.Call, library: str, metric_type: str) -> MetricDefinition | None:
    name = _literal_str(_arg(call, 0, "name"))
    if not name:
        return None
    if library == "prometheus_client":
        prefix = [_literal_str(_kwarg(call, k)) for k in ("namespace", "subsystem")]
        name = "_".join(p for p in (*prefix, name) if p)
        exposed = _exposed(metric_type, name)
        description = _literal_str(_arg(call, 1, "documentation"))
        labels = _literal_strs(_arg(call, 2, "labelnames"))
    else:
        exposed = (name,)
        description = _literal_str(_arg(call, 2, "description"))
        labels = ()
    nodes = dict.fromkeys((name, *exposed))
    return MetricDefinition(
        path=path,
        line=call.lineno,
        end_line=call.end_lineno,
        name=name,
        library=library,
        metric_type=metric_type,
        metric=name,
        description=description,
        label_names=labels,
        exposed_names=exposed,
        links=tuple(Link(src=f"file:{path}", dst=f"metric:{n}", rel="exports") for n in nodes),
    )


_TELEMETRY: dict[str, tuple[str, str]] = {
    "prometheus_client.start_http_server": ("prometheus_client", "metrics-exposition"),
    "prometheus_client.start_wsgi_server": ("prometheus_client", "metrics-exposition"),
    "prometheus_client.make_wsgi_app": ("prometheus_client", "metrics-exposition"),
    "prometheus_client.make_asgi_app": ("prometheus_client", "metrics-exposition"),
    "prometheus_client.generate_latest": ("prometheus_client", "metrics-exposition"),
    "prometheus_client.push_to_gateway": ("prometheus_client", "metrics-push"),
    "prometheus_client.pushadd_to_gateway": ("prometheus_client", "metrics-push"),
    "sentry_sdk.init": ("sentry", "errors"),
}


def _telemetry(full: str) -> tuple[str, str] | None:
    if full in _TELEMETRY:
        return _TELEMETRY[full]
    parts = full.split(".")
    if parts[0] == "prometheus_fastapi_instrumentator" and parts[-1] in {
        "Instrumentator",
        "expose",
    }:
        return "prometheus_fastapi_instrumentator", "metrics-exposition"
    if parts[0] != "opentelemetry":
        return None
    last = parts[-1]
    if "instrumentation" in parts and last.endswith("Instrumentor"):
        return "opentelemetry", "traces"
    if last in {"TracerProvider", "set_tracer_provider", "get_tracer", "BatchSpanProcessor"}:
        return "opentelemetry", "traces"
    if last in {
        "MeterProvider",
        "set_meter_provider",
        "get_meter",
        "PeriodicExportingMetricReader",
    }:
        return "opentelemetry", "metrics"
    if last in {"LoggerProvider", "LoggingHandler", "set_logger_provider"}:
        return "opentelemetry", "logs"
    return None


# --------------------------------------------------------------------------- logging in code
def _level(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        return str(node.value)
    return None


def _logging_call(
    path: str, full: str, call: ast.Call, structured_file: bool
) -> LoggingConfig | None:
    """A :class:`LoggingConfig` when ``call`` configures logging (``basicConfig``...)."""
    span = {"path": path, "name": full, "line": call.lineno, "end_line": call.end_lineno}
    last = full.rsplit(".", 1)[-1]
    if full == "logging.basicConfig":
        file_handler: tuple[str, ...] = ("file",) if _kwarg(call, "filename") else ()
        fmt = _literal_str(_kwarg(call, "format")) or ""
        return LoggingConfig(
            **span,
            library="logging",
            method="basicConfig",
            level=_level(_kwarg(call, "level")),
            handlers=file_handler,
            structured=structured_file or "json" in fmt.lower(),
        )
    if full in {"logging.config.dictConfig", "logging.config.fileConfig"}:
        config = _arg(call, 0, "config" if last == "dictConfig" else "fname")
        handlers: tuple[str, ...] = ()
        if isinstance(config, ast.Dict):
            for key, value in zip(config.keys, config.values, strict=False):
                if _literal_str(key) == "handlers" and isinstance(value, ast.Dict):
                    handlers = tuple(s for s in (_literal_str(k) for k in value.keys) if s)
        return LoggingConfig(
            **span,
            library="logging",
            method=last,
            handlers=handlers,
            structured=structured_file,
            config_file=_literal_str(config),
        )
    if full == "structlog.configure":
        return LoggingConfig(
            **span, library="structlog", method="configure", structured=structured_file
        )
    if full == "loguru.logger.add":
        serialize = _kwarg(call, "serialize")
        sink = _arg(call, 0, "sink")
        return LoggingConfig(
            **span,
            library="loguru",
            method="add",
            level=_level(_kwarg(call, "level")),
            handlers=(_literal_str(sink) or ast.unparse(sink)[:80],) if sink else (),
            structured=isinstance(serialize, ast.Constant) and serialize.value is True,
        )
    return None


@parser("monitoring-python", Modality.MONITORING, ["*.py"])
def parse_monitoring_python(inp: ParseInput) -> Iterator[Evidence]:
    """ML monitors, metric definitions, telemetry and logging configuration in Python code."""
    text = inp.text
    if not any(word in text for word in _SCREEN):
        return
    tree = shared_ast(text, inp.path)  # the same parse the other *.py parsers use
    nodes = walk_nodes(tree)  # one walk for imports and calls
    aliases = _aliases(nodes)
    modules = set(aliases.values())
    scheduled = (
        True
        if any(m.split(".")[0] in _SCHEDULERS or m.startswith(_SCHEDULERS) for m in modules)
        else None
    )
    uses_otel = any(m.startswith("opentelemetry") for m in modules)
    structured = any(w in text for w in ("JSONRenderer", "JsonFormatter", "jsonlogger", "json_log"))
    seen_telemetry: set[tuple[str, str, str]] = set()
    calls = sorted(
        (n for n in nodes if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in calls:
        full = _dotted(node.func, aliases)
        if full is None:
            continue
        span = {"line": node.lineno, "end_line": node.end_lineno}
        last = full.rsplit(".", 1)[-1]
        found = classify(full)
        if found:
            library, aim = found
            yield MlMonitor(
                path=inp.path,
                **span,
                name=full,
                library=library,
                what=aim,
                call=full,
                scheduled=True if aim == "monitoring-schedule" else scheduled,
            )
            continue
        if full.startswith("prometheus_client.") and last in _PROMETHEUS_TYPES:
            metric = _metric(inp.path, node, "prometheus_client", last.lower())
            if metric:
                yield metric
            continue
        if uses_otel and last in _OTEL_INSTRUMENTS:
            metric = _metric(inp.path, node, "opentelemetry", _OTEL_INSTRUMENTS[last])
            if metric:
                yield metric
            continue
        telemetry = _telemetry(full)
        if telemetry and (*telemetry, last) not in seen_telemetry:
            seen_telemetry.add((*telemetry, last))
            yield Telemetry(
                path=inp.path,
                **span,
                name=full,
                library=telemetry[0],
                signal=telemetry[1],
                call=full,
            )
            continue
        logging_config = _logging_call(inp.path, full, node, structured)
        if logging_config:
            yield logging_config


# --------------------------------------------------------------------------- logging files
def _json_formatter(formatters: dict[str, object]) -> bool:
    return any("json" in str(v).lower() for v in formatters.values())


def _dict_config(path: str, config: YamlMap, name: str) -> LoggingConfig:
    handlers = ymap(config.get("handlers"))
    root = ymap(config.get("root"))
    return LoggingConfig(
        path=path,
        line=config.line,
        end_line=config.end_line,
        name=name,
        library="logging",
        method="file",
        level=text_or_none(root.get("level")),
        handlers=tuple(handlers),
        structured=_json_formatter(dict(ymap(config.get("formatters")))),
    )


def _ini_config(path: str, text: str, name: str) -> LoggingConfig:
    ini = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        ini.read_string(text)
    except configparser.Error as exc:
        raise ValueError(f"invalid logging config: {' '.join(str(exc).split())[:200]}") from None
    keys = ini.get("handlers", "keys", fallback="")
    formatters = {s: dict(ini.items(s)) for s in ini.sections() if s.startswith("formatter_")}
    return LoggingConfig(
        path=path,
        line=1,
        name=name,
        library="logging",
        method="file",
        level=ini.get("logger_root", "level", fallback=None),
        handlers=str_tuple(k.strip() for k in keys.split(",") if k.strip()),
        structured=_json_formatter(dict(formatters)),
    )


@parser(
    "logging-config",
    Modality.MONITORING,
    [
        "logging.yaml",
        "logging.yml",
        "logging.json",
        "logging.conf",
        "logging.ini",
        "logging.cfg",
        "log_config.*",
        "log_conf.*",
        "logging_config.*",
        "logger.conf",
        "logger.yaml",
        "logging.*.yaml",
        "logging.*.yml",
        "logging-*.yaml",
        "logging-*.yml",
    ],
)
def parse_logging_file(inp: ParseInput) -> Iterator[Evidence]:
    """A ``logging.config`` file (YAML/JSON ``dictConfig`` or INI ``fileConfig``)."""
    lowered = inp.path.lower()
    if lowered.endswith((".conf", ".ini", ".cfg")):
        yield _ini_config(inp.path, inp.text, inp.name)
        return
    if lowered.endswith(".json"):
        config = ymap(load_json(inp.text))
    elif lowered.endswith((".yaml", ".yml")):
        docs = load_yaml_located(inp.text)
        config = ymap(docs[0] if docs else None)
    else:
        return
    if any(k in config for k in ("handlers", "formatters", "loggers", "root")):
        yield _dict_config(inp.path, config, inp.name)
