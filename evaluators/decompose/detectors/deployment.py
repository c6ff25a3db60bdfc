"""Deployment: inference code, serving APIs, packaging, IaC, automated and progressive delivery.

Serving comes from the Python analysis (``code.call`` in the ``serving`` category, imports of
serving frameworks), packaging from Dockerfiles (what the image runs) and serving configs
(KServe, Seldon, BentoML, Triton), infrastructure from the IaC and Kubernetes parsers, and
deployment automation from CI steps whose *commands or actions* deploy.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors import _databricks
from hyperscore.evaluators.decompose.detectors._helpers_b import (
    DEPLOY_WORDS,
    ci_index,
    deploy_reason,
    is_product_path,
    job_label,
    normalise_env,
    parts,
    short,
    stage_index,
    stem,
    step_commands,
    tokens,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeConfig,
    CodeImport,
    CodeModule,
    CodeNotebook,
)
from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal, ServingConfig
from hyperscore.evaluators.ingest.parsers.infra_docker import Dockerfile
from hyperscore.evaluators.ingest.parsers.infra_iac import (
    CdkApp,
    IacModule,
    IacResource,
    TfVars,
)
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import (
    HelmChart,
    K8sObject,
    Kustomization,
)
from hyperscore.evaluators.ingest.parsers.infra_serving import ProgressiveDelivery

INFERENCE_WORDS = frozenset(
    {"predict", "prediction", "predictions", "predictor", "inference", "infer", "serve",
     "serving", "scoring"}
)  # fmt: skip
NOTEBOOK_INFERENCE_WORDS = INFERENCE_WORDS | {"demo"}
#: Libraries whose import alone makes a module a model-serving endpoint or UI (FastAPI and
#: Flask need their app constructor call: a router or a helper importing them is not a service).
SERVING_LIBRARIES = {
    "bentoml": "BentoML",
    "ray.serve": "Ray Serve",
    "kserve": "KServe",
    "seldon_core": "Seldon Core",
    "mlserver": "MLServer",
    "ts.torch_handler": "TorchServe",
    "litserve": "LitServe",
    "gradio": "Gradio",
    "streamlit": "Streamlit",
    "cog": "Cog",
}
SERVING_CALL_LABELS = {"fastapi": "FastAPI", "flask": "Flask", **SERVING_LIBRARIES}
#: What a container runs when it serves a model.
SERVE_COMMAND = re.compile(
    r"\b(?:uvicorn|gunicorn|hypercorn|waitress-serve|flask\s+run|bentoml\s+serve|torchserve"
    r"|mlflow\s+models\s+serve|tritonserver|streamlit\s+run|gradio|serve\s+run|mlserver\s+start"
    r"|tensorflow_model_server|seldon-core-microservice|litserve)\b"
    r"|(?:^|[\s/'\"])(?:app|main|server|serve|api|wsgi|asgi)\.py\b"
    r"|(?:^|[\s/._-])(?:predict|inference|serve|serving|server|api)\b",
    re.IGNORECASE,
)
#: IaC resource types that host or package a model.
MODEL_HOSTING_TYPES = re.compile(
    r"sagemaker_(?:model|endpoint)|sagemaker::(?:model|endpoint)|sagemaker\.cfn(?:model|endpoint)"
    r"|vertex_ai_endpoint|machine_learning_(?:inference_cluster|online)|aiplatform"
    r"|LambdaToSagemakerEndpoint|cloud_run|cloudrun|container_app|app_service|lambda_function"
    r"|ecs_service|app_runner",
    re.IGNORECASE,
)
#: Kubernetes kinds that deploy something (not CI workflow resources or pure config).
DEPLOYABLE_KINDS = frozenset(
    {"deployment", "statefulset", "daemonset", "service", "ingress", "job", "cronjob", "pod",
     "inferenceservice", "seldondeployment", "rollout", "horizontalpodautoscaler", "configmap",
     "servingruntime", "knativeservice", "route", "gateway", "virtualservice", "helmrelease",
     "application"}
)  # fmt: skip
GITOPS_KINDS = {"application": "Argo CD Application", "applicationset": "Argo CD ApplicationSet",
                "helmrelease": "Flux HelmRelease"}  # fmt: skip
CD_RESOURCE_WORDS = frozenset({"codepipeline", "codedeploy"})
TRAFFIC_COMMAND = re.compile(
    r"update-traffic|--traffic[ =]|set-traffic|--to-revisions|traffic-split|argo\s+rollouts"
    r"|kubectl-argo-rollouts|\b(?:helm|kubectl|gcloud|az|kustomize)\b.*\b(?:canary|blue-?green)\b",
    re.IGNORECASE,
)
ROLLBACK_COMMAND = re.compile(
    r"helm\s+(?:\S+\s+)*rollback|helm\s+(?:\S+\s+)*upgrade\b.*--atomic|rollout\s+undo"
    r"|rollouts?\s+(?:abort|undo)|--auto-rollback|auto_rollback|rollback"
    r"|swap\s+(?:--slot|-s)\b|slot\s+swap",
    re.IGNORECASE,
)


def _serving_modules(ctx: DetectionContext) -> dict[str, str]:
    """Product modules that build a serving endpoint or UI -> the framework used."""
    found: dict[str, str] = {}
    for call in ctx.typed(CodeCall):
        if call.category == "serving" and is_product_path(call.path) and call.cell is None:
            root = call.function.split(".")[0]
            found.setdefault(call.path, SERVING_CALL_LABELS.get(root, root))
    for imp in ctx.typed(CodeImport):
        if imp.cell is not None or not is_product_path(imp.path) or imp.path in found:
            continue
        for prefix, label in SERVING_LIBRARIES.items():
            if imp.module == prefix or imp.module.startswith(prefix + "."):
                found[imp.path] = label
                break
    return found


@detects("inference-code")
def inference_code(ctx: DetectionContext) -> list[Citation]:
    """Prediction/inference scripts (predict.py, inference.py, serve.py), demo or inference
    notebooks, or a CLI flag that switches a script to prediction (--do_predict)."""
    out: list[Citation] = []
    for module in ctx.typed(CodeModule):
        if module.is_test or not is_product_path(module.path):
            continue
        if tokens(stem(module.path)) & INFERENCE_WORDS:
            out.append(cite(module, f"inference script {module.path}"))
    for nb in ctx.typed(CodeNotebook):
        if is_product_path(nb.path) and tokens(stem(nb.path)) & NOTEBOOK_INFERENCE_WORDS:
            out.append(cite(nb, f"inference/demo notebook {nb.path} ({nb.code_cells} code cells)"))
    for option in ctx.typed(CodeConfig):
        if option.role in {"option", "argument"} and is_product_path(option.path):
            words = tokens(option.option)
            if words & {"predict", "inference", "infer"} and len(words) <= 3:
                flag = option.flags[0] if option.flags else option.option
                out.append(cite(option, f"{option.path} has a prediction mode ({flag})"))
    return out


@detects("serving-api")
def serving_api(ctx: DetectionContext) -> list[Citation]:
    """Code that serves a model: a FastAPI/Flask app, a BentoML/Ray Serve/KServe/Seldon/
    MLServer/TorchServe service, or a Gradio/Streamlit app."""
    out: list[Citation] = []
    calls = {c.path: c for c in ctx.typed(CodeCall) if c.category == "serving"}
    for path, framework in sorted(_serving_modules(ctx).items()):
        call = calls.get(path)
        if call is not None:
            out.append(cite(call, f"{framework} service created in {path} ({call.function})"))
        else:
            out.append(cite_file(path, f"{path} builds a {framework} service"))
    return out + _databricks.serving_endpoints(ctx)


def _dockerfile_serves(docker: Dockerfile) -> str | None:
    command = " ".join(x for x in (docker.entrypoint, docker.cmd) if x)
    if command and SERVE_COMMAND.search(command):
        return f"runs '{short(command, 70)}'"
    if docker.model_copies:
        return f"copies model file(s) {', '.join(docker.model_copies[:3])}"
    return None


@detects("model-packaging")
def model_packaging(ctx: DetectionContext) -> list[Citation]:
    """A container image that serves or predicts with the model (or ships model files), a
    model-server configuration (KServe, Seldon, BentoML, Triton, MLServer), or an IaC model
    host (SageMaker model/endpoint, Vertex endpoint)."""
    out: list[Citation] = []
    for docker in ctx.typed(Dockerfile):
        if ".devcontainer" in parts(docker.path) or not is_product_path(docker.path):
            continue
        why = _dockerfile_serves(docker)
        if why:
            out.append(cite(docker, f"container image {docker.path} {why}"))
    for config in ctx.typed(ServingConfig):
        model = f" for model '{config.model_name}'" if config.model_name else ""
        out.append(cite(config, f"{config.framework} serving configuration{model}"))
    for res in ctx.typed(IacResource):
        hosts = MODEL_HOSTING_TYPES.search(res.resource_type)
        if hosts and not res.data_source and is_product_path(res.path):
            out.append(cite(res, f"{res.tool} {res.resource_type} '{res.name}' hosts the model"))
    return out + _databricks.serving_endpoints(ctx)


@detects("infrastructure-as-code")
def infrastructure_as_code(ctx: DetectionContext) -> list[Citation]:
    """Terraform/CloudFormation/CDK/Bicep/Pulumi resources, Helm charts, Kustomize or
    Kubernetes manifests of deployable resources (test fixtures excluded)."""
    out: list[Citation] = []
    tools: dict[str, list[IacResource]] = {}
    for res in ctx.typed(IacResource):
        if not res.data_source and is_product_path(res.path):
            tools.setdefault(res.tool, []).append(res)
    for tool, resources in sorted(tools.items()):
        kinds = sorted({r.resource_type for r in resources})
        listed = ", ".join(kinds[:4]) + (" ..." if len(kinds) > 4 else "")
        out.append(cite(resources[0], f"{tool}: {len(resources)} resource(s) ({listed})"))
    for app in ctx.typed(CdkApp):
        out.append(cite(app, f"AWS CDK app {app.path}"))
    for module in ctx.typed(IacModule):
        if is_product_path(module.path):
            out.append(cite(module, f"{module.tool} module '{module.name}' from {module.source}"))
            break
    for chart in ctx.typed(HelmChart):
        if is_product_path(chart.path):
            out.append(cite(chart, f"Helm chart '{chart.chart_name}'"))
    for kust in ctx.typed(Kustomization):
        if is_product_path(kust.path):
            out.append(cite(kust, f"Kustomize {'overlay' if kust.overlay else 'base'} {kust.path}"))
    seen: set[str] = set()
    for obj in ctx.typed(K8sObject):
        if obj.path in seen or not is_product_path(obj.path):
            continue
        if obj.object_kind.lower() in DEPLOYABLE_KINDS:
            seen.add(obj.path)
            out.append(cite(obj, f"Kubernetes {obj.object_kind} '{obj.name}' ({obj.path})"))
    return out


@detects("automated-deployment")
def automated_deployment(ctx: DetectionContext) -> list[Citation]:
    """A CI/CD job whose commands or actions deploy (kubectl/helm/terraform apply, cdk/sam/
    serverless deploy, gcloud run deploy, az ml online-deployment, SageMaker endpoints...),
    a GitOps controller resource (Argo CD Application, Flux HelmRelease), a CodePipeline/
    CodeDeploy resource, or a pipeline stage that deploys a model endpoint."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path in sorted(index.jobs):
        for job in index.jobs[path]:
            for step in index.job_steps(job):
                why = deploy_reason(step)
                if why:
                    out.append(cite(step, f"{path}: job '{job_label(job)}' {why}"))
                    break
    for obj in ctx.typed(K8sObject):
        label = GITOPS_KINDS.get(obj.object_kind.lower())
        if label and ("argoproj" in obj.api_version or "fluxcd" in obj.api_version):
            out.append(cite(obj, f"{label} '{obj.name}' deploys from git"))
    for res in ctx.typed(IacResource):
        cd = tokens(res.resource_type) & CD_RESOURCE_WORDS
        if cd and not res.data_source and is_product_path(res.path):
            out.append(
                cite(res, f"{res.tool} {res.resource_type} '{res.name}' deploys automatically")
            )
    for stages in stage_index(ctx).stages.values():
        for stage in stages:
            if stage.role == "deploy" and is_product_path(stage.path):
                words = tokens(stage.name, stage.step_type)
                if words & {"deploy", "deployment", "endpoint", "kserve", "seldon", "rollout"}:
                    out.append(
                        cite(
                            stage,
                            f"{stage.framework} pipeline '{stage.pipeline}' "
                            f"stage '{stage.name}' deploys the model",
                        )
                    )
    return out


@detects("progressive-delivery")
def progressive_delivery(ctx: DetectionContext) -> list[Citation]:
    """Canary, blue-green, shadow or A/B traffic splitting: Argo Rollouts/Flagger/Istio/Knative
    resources, KServe canaryTrafficPercent, Seldon traffic splits, or CI commands shifting
    traffic between revisions."""
    out: list[Citation] = []
    for pd in ctx.typed(ProgressiveDelivery):
        weights = f" (weights {', '.join(map(str, pd.weights))})" if pd.weights else ""
        out.append(cite(pd, f"{pd.tool} {pd.strategy} for '{pd.target or pd.name}'{weights}"))
    for config in ctx.typed(ServingConfig):
        if config.canary_percent:
            out.append(
                cite(config, f"{config.framework} canary at {config.canary_percent}% of traffic")
            )
        elif len(config.traffic) > 1:
            split = ", ".join(f"{k}={v}%" for k, v in config.traffic.items())
            out.append(cite(config, f"{config.framework} traffic split {split}"))
    for step in ctx.typed(CiStep):
        for command in step_commands(step):
            if TRAFFIC_COMMAND.search(command) and not command.lstrip().startswith("echo"):
                out.append(cite(step, f"CI shifts traffic: '{short(command)}'"))
                break
    return out + _databricks.traffic_splits(ctx)


@detects("multiple-environments")
def multiple_environments(ctx: DetectionContext) -> list[Citation]:
    """At least two deployment environments (dev/test/staging/prod) defined by infrastructure
    (overlays, per-env tfvars/values, env directories) or used by CI deploy jobs."""
    envs: dict[str, Citation] = {}
    for signal in ctx.typed(EnvironmentSignal):
        env = normalise_env(signal.environment)
        if env and env not in envs and is_product_path(signal.path):
            envs[env] = cite(signal, f"{signal.tool} environment '{signal.raw}' ({signal.source})")
    for tfvars in ctx.typed(TfVars):
        env = normalise_env(stem(tfvars.path))
        if env and env not in envs:
            envs[env] = cite(tfvars, f"Terraform variables for '{env}' ({tfvars.path})")
    index = ci_index(ctx)
    for job in ctx.typed(CiJob):
        env = normalise_env(job.environment)
        if env is None or env in envs:
            continue
        deploys = any(deploy_reason(s) for s in index.job_steps(job)) or bool(
            tokens(job.job_id, job.display_name) & DEPLOY_WORDS
        )
        if deploys:
            envs[env] = cite(
                job, f"CI job '{job_label(job)}' deploys to environment '{job.environment}'"
            )
    for path in ctx.paths_matching("*values-*.yaml", "*values.*.yaml", "*values_*.yaml"):
        env = normalise_env(stem(path).split("values", 1)[-1])
        if env and env not in envs and is_product_path(path):
            envs[env] = cite_file(path, f"Helm values for '{env}'")
    return list(envs.values()) if len(envs) >= 2 else []


@detects("rollback-strategy")
def rollback_strategy(ctx: DetectionContext) -> list[Citation]:
    """Automated rollback: helm rollback / upgrade --atomic, kubectl rollout undo, rollout
    abort, auto-rollback settings in CI, or progressive delivery with metric analysis that
    aborts bad releases."""
    out: list[Citation] = []
    for step in ctx.typed(CiStep):
        for command in step_commands(step):
            if ROLLBACK_COMMAND.search(command) and not command.lstrip().startswith("echo"):
                out.append(cite(step, f"CI rolls back: '{short(command)}'"))
                break
    for pd in ctx.typed(ProgressiveDelivery):
        if pd.analysis:
            out.append(
                cite(
                    pd,
                    f"{pd.tool} {pd.strategy} with metric analysis (aborts and "
                    "rolls back failing releases)",
                )
            )
    return out
