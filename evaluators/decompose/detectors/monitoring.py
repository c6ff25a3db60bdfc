"""Monitoring: logging, service metrics, inference logging, drift/performance monitoring,
alerting, dashboards and the loop from monitoring back into retraining.

Facts come from the monitoring parsers (``monitor.*``: ML monitoring library calls with what
they check, metric definitions, telemetry set-up, logging configuration, Prometheus rules,
Alertmanager, Grafana), from serving configs (KServe logger), from IaC resources (CloudWatch
alarms and dashboards, SageMaker monitoring schedules) and from CI triggers.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.decompose.detectors import _databricks
from hyperscore.evaluators.decompose.detectors._helpers_b import (
    EXTERNAL_EVENT_TRIGGERS,
    ci_index,
    is_product_path,
    job_label,
    runs_training,
    training_pipelines,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeCall, CodeImport
from hyperscore.evaluators.ingest.parsers.infra_common import ServingConfig
from hyperscore.evaluators.ingest.parsers.infra_iac import IacResource
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import K8sObject
from hyperscore.evaluators.ingest.parsers.monitoring import (
    AlertmanagerConfig,
    Dashboard,
    GrafanaProvisioning,
    MonitorAlert,
    ScrapeTarget,
)
from hyperscore.evaluators.ingest.parsers.monitoring_python import (
    LoggingConfig,
    MetricDefinition,
    MlMonitor,
    Telemetry,
)
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineTrigger,
)

DRIFT_AIMS = frozenset({"drift", "data-quality", "outlier", "profiling", "monitoring-schedule"})
#: Libraries whose data-quality/profiling results are production monitoring; Evidently and
#: deepchecks data-quality suites are usually data *validation* (the data dimension's concern).
MONITORING_LIBRARIES = frozenset({"sagemaker", "whylogs", "nannyml"})
PERFORMANCE_AIMS = frozenset({"performance"})
#: Logging libraries that are configured by importing them.
LOGGING_LIBRARIES = {"loguru": "loguru", "structlog": "structlog"}
METRICS_RESOURCE = re.compile(
    r"application_insights|applicationinsights|cloudwatch_log_metric|log_metric_filter"
    r"|monitoring_(?:metric|uptime)|prometheus|grafana|managed_prometheus|amp_workspace",
    re.IGNORECASE,
)
ALARM_RESOURCE = re.compile(
    r"alarm|alert_policy|alert_rule|monitor_(?:metric|scheduled_query|activity_log)_alert"
    r"|action_group|notification_channel|sns_topic_subscription",
    re.IGNORECASE,
)
DASHBOARD_RESOURCE = re.compile(r"dashboard", re.IGNORECASE)
MODEL_MONITOR_RESOURCE = re.compile(
    r"monitoring_schedule|monitoringschedule|data_?quality_?job|model_?quality_?job"
    r"|model_?bias_?job|model_?explainability_?job|model_deployment_monitoring|ModelMonitor",
    re.IGNORECASE,
)
#: Calls (last attribute) that start a training pipeline or workflow from code.
PIPELINE_START_CALLS = frozenset(
    {"start_pipeline_execution", "create_run_from_pipeline_func",
     "create_run_from_pipeline_package", "run_pipeline", "trigger_dag", "create_dag_run",
     "create_workflow_dispatch", "dispatch", "submit_pipeline", "create_flow_run",
     "run_deployment"}
)  # fmt: skip
NETWORK_POSTS = frozenset({"requests.post", "httpx.post", "requests.request", "httpx.request"})


@detects("application-logging")
def application_logging(ctx: DetectionContext) -> list[Citation]:
    """Logging configured in project code or by a config file (logging.basicConfig/dictConfig/
    fileConfig, logging.yaml, structlog, loguru)."""
    out: list[Citation] = []
    for conf in ctx.typed(LoggingConfig):
        if is_product_path(conf.path):
            level = f" at level {conf.level}" if conf.level else ""
            out.append(cite(conf, f"{conf.library} {conf.method}{level} in {conf.path}"))
    seen = {c.path for c in out}
    for imp in ctx.typed(CodeImport):
        lib = LOGGING_LIBRARIES.get(imp.top_level)
        if lib and imp.path not in seen and is_product_path(imp.path) and imp.cell is None:
            seen.add(imp.path)
            out.append(cite(imp, f"{lib} logging used in {imp.path}"))
    return out


@detects("service-metrics")
def service_metrics(ctx: DetectionContext) -> list[Citation]:
    """Service metrics exported or scraped: prometheus_client/OpenTelemetry metrics, metrics
    endpoints, tracing or error reporting set up, ServiceMonitors/scrape configs, or managed
    metrics resources (Application Insights, Managed Prometheus) in IaC."""
    out: list[Citation] = []
    for metric in ctx.typed(MetricDefinition):
        if is_product_path(metric.path):
            out.append(cite(metric, f"{metric.library} {metric.metric_type} '{metric.metric}'"))
    for tel in ctx.typed(Telemetry):
        if is_product_path(tel.path):
            out.append(cite(tel, f"{tel.library} {tel.signal} set up ({tel.call})"))
    for target in ctx.typed(ScrapeTarget):
        out.append(
            cite(target, f"Prometheus scrapes '{target.job or target.name}' ({target.source})")
        )
    for res in ctx.typed(IacResource):
        if not res.data_source and METRICS_RESOURCE.search(res.resource_type):
            out.append(cite(res, f"{res.tool} {res.resource_type} '{res.name}'"))
    return out


@detects("inference-logging")
def inference_logging(ctx: DetectionContext) -> list[Citation]:
    """Predictions and requests are captured: SageMaker data capture, a KServe/Seldon request
    logger, or whylogs/Evidently profiling inside the serving code."""
    out: list[Citation] = []
    for mon in ctx.typed(MlMonitor):
        if mon.what == "data-capture" and is_product_path(mon.path):
            out.append(cite(mon, f"SageMaker data capture of endpoint traffic ({mon.call})"))
    for config in ctx.typed(ServingConfig):
        logger = config.settings.get("logger")
        if logger:
            out.append(
                cite(
                    config,
                    f"{config.framework} request logger (mode {logger}) on "
                    f"'{config.model_name or config.name}'",
                )
            )
    serving = {c.path for c in ctx.typed(CodeCall) if c.category == "serving"}
    for mon in ctx.typed(MlMonitor):
        if mon.path in serving and mon.what in {"profiling", "report", "drift", "data-quality"}:
            out.append(
                cite(
                    mon,
                    f"serving code {mon.path} logs request data with {mon.library} ({mon.call})",
                )
            )
    return out + _databricks.inference_tables(ctx)


def _is_monitor(mon: MlMonitor, aims: frozenset[str]) -> bool:
    if mon.what not in aims or not is_product_path(mon.path):
        return False
    return mon.what not in {"data-quality", "profiling"} or mon.library in MONITORING_LIBRARIES


def _monitors(ctx: DetectionContext, aims: frozenset[str]) -> list[Citation]:
    out: list[Citation] = []
    for mon in ctx.typed(MlMonitor):
        if _is_monitor(mon, aims):
            sched = " (scheduled)" if mon.scheduled else ""
            out.append(cite(mon, f"{mon.library} {mon.what} monitoring: {mon.call}{sched}"))
    return out


@detects("drift-monitoring")
def drift_monitoring(ctx: DetectionContext) -> list[Citation]:
    """Data/model drift or data-quality monitoring with an ML monitoring library (Evidently
    drift presets, whylogs profiles, NannyML, alibi-detect, SageMaker Model Monitor) or a
    monitoring schedule declared as IaC."""
    out = _monitors(ctx, DRIFT_AIMS)
    for res in ctx.typed(IacResource):
        flat = res.resource_type.lower().replace("_", "")
        monitors = MODEL_MONITOR_RESOURCE.search(res.resource_type) and "modelquality" not in flat
        if monitors and not res.data_source:
            out.append(
                cite(
                    res,
                    f"{res.tool} {res.resource_type} '{res.name}' monitors the model's data",
                )
            )
    return out + _databricks.quality_monitors(ctx, performance=False)


@detects("model-performance-monitoring")
def model_performance_monitoring(ctx: DetectionContext) -> list[Citation]:
    """Model quality tracked in production against ground truth or estimated (SageMaker
    ModelQualityMonitor, Evidently classification/regression presets, NannyML CBPE/DLE)."""
    out = _monitors(ctx, PERFORMANCE_AIMS)
    for res in ctx.typed(IacResource):
        rtype = res.resource_type.lower().replace("_", "")
        if not res.data_source and "modelquality" in rtype:
            out.append(
                cite(res, f"{res.tool} {res.resource_type} '{res.name}' monitors model quality")
            )
    return out + _databricks.quality_monitors(ctx, performance=True)


@detects("alerting")
def alerting(ctx: DetectionContext) -> list[Citation]:
    """Alert rules and routing: Prometheus/Grafana alert rules, Alertmanager receivers, Grafana
    contact points, or alarms/alert policies declared as IaC."""
    out: list[Citation] = []
    for alert in ctx.typed(MonitorAlert):
        watched = f" on {', '.join(alert.metrics[:3])}" if alert.metrics else ""
        out.append(cite(alert, f"{alert.source} alert '{alert.alert}'{watched}"))
    for am in ctx.typed(AlertmanagerConfig):
        via = f" via {', '.join(am.integrations)}" if am.integrations else ""
        out.append(
            cite(am, f"Alertmanager routes alerts to {', '.join(am.receivers) or 'receivers'}{via}")
        )
    for prov in ctx.typed(GrafanaProvisioning):
        if prov.contact_point_types:
            out.append(cite(prov, f"Grafana contact points: {', '.join(prov.contact_point_types)}"))
    for dash in ctx.typed(Dashboard):
        if dash.panel_alerts:
            out.append(
                cite(
                    dash,
                    f"dashboard '{dash.title or dash.name}' has {dash.panel_alerts} panel alert(s)",
                )
            )
    for res in ctx.typed(IacResource):
        if not res.data_source and ALARM_RESOURCE.search(res.resource_type):
            out.append(cite(res, f"{res.tool} {res.resource_type} '{res.name}'"))
    return out


@detects("dashboards")
def dashboards(ctx: DetectionContext) -> list[Citation]:
    """Monitoring dashboards: Grafana dashboards or provisioning, Evidently UI projects, or
    CloudWatch/Cloud Monitoring/Azure dashboards declared as IaC."""
    out: list[Citation] = []
    for dash in ctx.typed(Dashboard):
        out.append(
            cite(
                dash,
                f"Grafana dashboard '{dash.title or dash.name}' with "
                f"{len(dash.panel_titles)} panel(s)",
            )
        )
    for prov in ctx.typed(GrafanaProvisioning):
        if prov.dashboard_paths:
            out.append(
                cite(
                    prov,
                    f"Grafana provisions dashboards from {', '.join(prov.dashboard_paths[:3])}",
                )
            )
    for mon in ctx.typed(MlMonitor):
        if mon.what == "dashboard" and is_product_path(mon.path):
            out.append(cite(mon, f"{mon.library} monitoring dashboard ({mon.call})"))
    for res in ctx.typed(IacResource):
        if not res.data_source and DASHBOARD_RESOURCE.search(res.resource_type):
            out.append(cite(res, f"{res.tool} {res.resource_type} '{res.name}'"))
    for obj in ctx.typed(K8sObject):
        if obj.object_kind in {"GrafanaDashboard"}:
            out.append(cite(obj, f"GrafanaDashboard resource '{obj.name}'"))
    return out


@detects("monitoring-feedback-loop")
def monitoring_feedback_loop(ctx: DetectionContext) -> list[Citation]:
    """Monitoring output starts retraining: a drift trigger on a pipeline, a monitoring module
    that dispatches a retraining workflow/pipeline run while a CI workflow that trains listens
    for such events, or a monitor that starts a training pipeline itself."""
    out: list[Citation] = []
    for definition in ctx.typed(PipelineDefinition):
        if "drift" in definition.triggers:
            out.append(
                cite(
                    definition,
                    f"{definition.framework} pipeline '{definition.name}' is triggered by drift",
                )
            )
    for trigger in ctx.typed(PipelineTrigger):
        if trigger.trigger == "drift":
            out.append(
                cite(
                    trigger,
                    f"{trigger.framework} drift trigger starts '{trigger.target or 'a pipeline'}'",
                )
            )
    monitor_paths = {
        m.path for m in ctx.typed(MlMonitor) if _is_monitor(m, DRIFT_AIMS | PERFORMANCE_AIMS)
    }
    if not monitor_paths:
        return out
    starts: list[CodeCall] = []
    posts: list[CodeCall] = []
    for call in ctx.typed(CodeCall):
        if call.path not in monitor_paths:
            continue
        if call.function.rsplit(".", 1)[-1] in PIPELINE_START_CALLS:
            starts.append(call)
        elif call.function in NETWORK_POSTS:
            posts.append(call)
    for call in starts:
        out.append(
            cite(call, f"monitoring code {call.path} starts a pipeline run ({call.function})")
        )
    if posts:
        index = ci_index(ctx)
        for path, pipe in sorted(index.pipelines.items()):
            external = set(pipe.triggers) & EXTERNAL_EVENT_TRIGGERS
            if not external:
                continue
            for job in index.jobs.get(path, []):
                why = next((w for s in index.job_steps(job) if (w := runs_training(ctx, s))), None)
                if why:
                    out.append(
                        cite(
                            posts[0],
                            f"monitoring code {posts[0].path} sends an event "
                            f"({posts[0].function}); {path} starts on "
                            f"{', '.join(sorted(external))} and job "
                            f"'{job_label(job)}' {why}",
                        )
                    )
                    break
        trained = {train.path for train, _ in training_pipelines(ctx)}
        for definition in ctx.typed(PipelineDefinition):
            if definition.path in trained and {"event", "sensor"} & set(definition.triggers):
                out.append(
                    cite(
                        posts[0],
                        f"monitoring code {posts[0].path} sends an event; "
                        f"training pipeline '{definition.name}' starts on "
                        "events",
                    )
                )
    return out
