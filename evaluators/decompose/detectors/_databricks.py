"""What Databricks Asset Bundle resources say about deployment, monitoring and tracking.

The bundle parser (``ingest/parsers/databricks.py``) records every resource with the settings
that matter: serving endpoints with their traffic routes and inference tables, Lakehouse
quality monitors with their profile type, registered models. These helpers turn them into
citations for the detectors of each dimension, the way IaC resources are for SageMaker or
Vertex: a bundle *declares* the deployed footprint, so a resource is an artefact, not a claim.
"""

from __future__ import annotations

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.decompose.detectors._helpers_b import is_product_path
from hyperscore.evaluators.ingest.parsers.databricks import DatabricksResource


def resources(ctx: DetectionContext, *types: str) -> list[DatabricksResource]:
    return [
        r
        for r in ctx.typed(DatabricksResource)
        if r.resource_type in types and is_product_path(r.path)
    ]


def _label(res: DatabricksResource) -> str:
    return f"Databricks {res.resource_type.replace('_', ' ')} '{res.key}'"


def serving_endpoints(ctx: DetectionContext) -> list[Citation]:
    """A model-serving endpoint serves (and packages) the registered model behind it."""
    out = []
    for res in resources(ctx, "model_serving_endpoint"):
        served = f" serving {', '.join(res.served_entities[:2])}" if res.served_entities else ""
        out.append(cite(res, f"{_label(res)}{served}"))
    return out


def inference_tables(ctx: DetectionContext) -> list[Citation]:
    """Request/response payloads logged: an endpoint's inference table, or a quality monitor of
    an inference log (which only exists when predictions are logged)."""
    out = [
        cite(r, f"{_label(r)} logs requests to an inference table")
        for r in resources(ctx, "model_serving_endpoint")
        if r.inference_table
    ]
    out += [
        cite(r, f"{_label(r)} monitors the inference log table '{r.table_name or '?'}'")
        for r in resources(ctx, "quality_monitor")
        if r.monitor_type == "inference_log"
    ]
    return out


def traffic_splits(ctx: DetectionContext) -> list[Citation]:
    out = []
    for res in resources(ctx, "model_serving_endpoint"):
        if len(res.traffic) > 1:
            split = ", ".join(f"{k}={v}%" for k, v in res.traffic.items())
            out.append(cite(res, f"{_label(res)} splits traffic {split}"))
    return out


def quality_monitors(ctx: DetectionContext, *, performance: bool) -> list[Citation]:
    """Lakehouse monitors compute drift metrics for every profile type; model-quality metrics
    only for an inference log that names its label column."""
    out = []
    for res in resources(ctx, "quality_monitor"):
        sched = f", scheduled {res.schedule}" if res.schedule else ""
        if not performance:
            out.append(cite(res, f"{_label(res)} profiles drift ({res.monitor_type}{sched})"))
        elif res.monitor_type == "inference_log" and res.settings.get("label_col"):
            what = f"{_label(res)} tracks model quality against '{res.settings['label_col']}'"
            out.append(cite(res, what + sched))
    return out


def registered_models(ctx: DetectionContext) -> list[Citation]:
    return [
        cite(r, f"{_label(r)} declares the model registry entry")
        for r in resources(ctx, "registered_model", "model")
    ]
