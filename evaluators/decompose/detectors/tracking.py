"""Experiment tracking and model management: metrics, tracking tools, registries, promotion.

Tracking calls come from the Python analysis (``code.call`` resolved through import aliases,
``category == "experiment-tracking"``), DVC metrics and model outputs from the DVC parser,
registration stages from every pipeline parser, and promotion commands from CI steps.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors import _databricks
from hyperscore.evaluators.decompose.detectors._common import (
    ARTIFACT_FRAMEWORKS,
    calls_by_path,
    command_matches,
    import_names,
    imports_by_path,
    is_test_path,
    is_vendored,
    stem,
    uses_library,
    word_set,
    words,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeCall, CodeConfig, CodeModule
from hyperscore.evaluators.ingest.parsers.infra_docker import Dockerfile
from hyperscore.evaluators.ingest.parsers.infra_iac import IacResource
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDataVersion,
    PipelineLockStage,
    PipelineStage,
)

_TENSORBOARD = ("torch.utils.tensorboard", "tensorboardX", "tensorflow.summary")
_FILE_LOGGERS = (
    "pytorch_lightning.loggers.TensorBoardLogger",
    "pytorch_lightning.loggers.CSVLogger",
    "lightning.pytorch.loggers.TensorBoardLogger",
    "lightning.pytorch.loggers.CSVLogger",
    "tensorflow.keras.callbacks.TensorBoard",
    "tensorflow.keras.callbacks.CSVLogger",
    "keras.callbacks.TensorBoard",
    "keras.callbacks.CSVLogger",
    "tf.keras.callbacks.TensorBoard",
)
_LOGGING_TRAINERS = (
    "transformers.Trainer",
    "transformers.Seq2SeqTrainer",
    "trl.SFTTrainer",
    "pytorch_lightning.Trainer",
    "lightning.Trainer",
    "lightning.pytorch.Trainer",
    "ultralytics.YOLO",
)
"""Trainers that write their metric history to files by default (trainer_state.json,
lightning_logs/, results.csv)."""
_METRIC_LIBS = (
    "sklearn.metrics",
    "torchmetrics",
    "evaluate",
    "ignite.metrics",
    "keras.metrics",
    "tensorflow.keras.metrics",
    "seqeval",
    "sacrebleu",
    "jiwer",
    "rouge_score",
    "nltk.translate.bleu_score",
    "pycocotools.cocoeval",
    "torcheval",
)
_WRITERS = ("json", "csv", "yaml", "logging", "loguru", "pandas")
_METRIC_STEMS = frozenset({"metric", "metrics", "evaluate", "evaluation", "eval", "scoring"})
_METRIC_FILE_WORDS = frozenset({"metric", "metrics", "scores", "score", "evaluation", "eval"})
_METRIC_FILE_EXT = (".json", ".csv", ".yaml", ".yml", ".tsv")
_TRACKING_LAST = re.compile(
    r"log|init|start_run|autolog|set_experiment|create_experiment|track|set_tag|Run$|Experiment"
    r"|Live|watch|finish|end_run|Task",
)
_TRACKER_INTEGRATIONS = (
    "pytorch_lightning.loggers.WandbLogger",
    "pytorch_lightning.loggers.MLFlowLogger",
    "pytorch_lightning.loggers.NeptuneLogger",
    "pytorch_lightning.loggers.CometLogger",
    "lightning.pytorch.loggers.WandbLogger",
    "lightning.pytorch.loggers.MLFlowLogger",
    "lightning.pytorch.loggers.NeptuneLogger",
    "lightning.pytorch.loggers.CometLogger",
    "transformers.integrations.WandbCallback",
    "transformers.integrations.MLflowCallback",
    "wandb.keras",
    "wandb.integration",
    "zenml.integrations.mlflow",
    "zenml.integrations.wandb",
    "zenml.integrations.neptune",
    "zenml.integrations.comet",
    "ray.air.integrations.wandb",
    "ray.air.integrations.mlflow",
    "optuna.integration.MLflowCallback",
    "optuna_integration.MLflowCallback",
    "aim.pytorch_lightning",
    "clearml.Task",
    "zenml.log_metadata",
    "zenml.log_model_metadata",
    "zenml.log_artifact_metadata",
    "zenml.log_step_metadata",
    "kfp.dsl.Metrics",
    "kfp.v2.dsl.Metrics",
    "kfp.dsl.ClassificationMetrics",
    "kfp.v2.dsl.ClassificationMetrics",
)
_TRACKER_ENV = re.compile(
    r"^(?:WANDB_|MLFLOW_TRACKING_URI|MLFLOW_EXPERIMENT|NEPTUNE_|COMET_"
    r"|CLEARML_|AIM_REPO)"
)
_TRACKING_CMD = re.compile(
    r"\bdvc\s+exp\s+(?:run|show|diff)\b|\bmlflow\s+run\b|\bwandb\s+(?:sweep|agent)\b|\bguild\s+run\b"
)
_REGISTRY_CALL = re.compile(
    r"registered_model|model_version|register_model|set_registry_uri|link_model|link_artifact"
    r"|init_model|ModelVersion|create_model_package"
)
_REGISTRY_LIBS = (
    "zenml.Model",
    "zenml.model.model.Model",
    "zenml.enums.ModelStages",
    "azure.ai.ml.entities.Model",
    "sagemaker.model.ModelPackage",
    "sagemaker.workflow.step_collections.RegisterModel",
    "google.cloud.aiplatform.Model",
    "google.cloud.aiplatform.models.ModelRegistry",
    "google.cloud.aiplatform.ModelRegistry",
    "google_cloud_pipeline_components.v1.model.ModelUploadOp",
    "google_cloud_pipeline_components.aiplatform.ModelUploadOp",
)
_REGISTRY_RESOURCES = re.compile(
    r"ModelPackageGroup|model_package_group|vertex_ai_model|machine_learning_model|ModelRegistry",
    re.I,
)
_GATE_MODULE_WORDS = frozenset(
    {
        "champion",
        "challenger",
        "best",
        "compare",
        "comparison",
        "gate",
        "gates",
        "evaluate",
        "evaluation",
        "validate",
        "validation",
    }
)
_REGISTRY_CMD = re.compile(
    r"register[_-]?model|transition[_ -]model[_ -]version[_ -]stage|set_registered_model_alias"
    r"|az ml model (?:create|register)|gcloud ai models upload|create-model-package"
    r"|wandb artifact put|\bgto\s+(?:register|assign|promote)\b|mlflow\s+models?\s+register"
)
_PROMOTE_CALL = re.compile(
    r"transition_model_version_stage|set_registered_model_alias|transition_stage|set_stage"
    r"|update_model_version|update_model_package|link_artifact|link_model"
)
_PROMOTE_CMD = re.compile(r"\bgto\s+(?:assign|promote)\b|transition[_ -]model[_ -]version")
_EVAL_WORDS = frozenset(
    {
        "eval",
        "evaluate",
        "evaluation",
        "validate",
        "validation",
        "gate",
        "gates",
        "threshold",
        "compare",
        "comparison",
        "champion",
        "challenger",
        "check",
        "checks",
        "metric",
        "metrics",
        "test",
        "tests",
        "benchmark",
        "quality",
        "approve",
        "approval",
    }
)
_MODEL_EXT = (
    ".pkl",
    ".pickle",
    ".pt",
    ".pth",
    ".joblib",
    ".onnx",
    ".h5",
    ".keras",
    ".ckpt",
    ".safetensors",
    ".model",
    ".cbm",
    ".pb",
    ".tflite",
    ".sav",
    ".bin",
    ".xgb",
)
_MODEL_WORDS = frozenset({"model", "models", "checkpoint", "checkpoints", "ckpt", "weights"})
_CODE_VERSION_ENV = re.compile(
    r"^(?:GITHUB_SHA|GIT_COMMIT|GIT_SHA|CI_COMMIT_SHA|BUILD_SOURCEVERSION|COMMIT_SHA"
    r"|SOURCE_VERSION|BITBUCKET_COMMIT|CIRCLE_SHA1|DRONE_COMMIT|TRAVIS_COMMIT|GIT_REV\w*)$"
)
_LINEAGE_WORDS = re.compile(
    r"commit|git|sha|revision|data_?version|dataset_?version|dvc|lineage", re.I
)


def _own(path: str) -> bool:
    return not is_vendored(path) and not is_test_path(path)


def _last(function: str) -> str:
    return function.rsplit(".", 1)[-1].replace("()", "")


def _tracker_calls(ctx: DetectionContext) -> list[CodeCall]:
    out = []
    for call in ctx.typed(CodeCall):
        if call.category != "experiment-tracking" or not _own(call.path):
            continue
        if uses_library([call.function], _TENSORBOARD):
            continue
        if _TRACKING_LAST.search(_last(call.function)):
            out.append(call)
    return out


def _model_like(path: str) -> bool:
    low = path.lower()
    return low.endswith(_MODEL_EXT) or bool(set(words(low)) & _MODEL_WORDS)


# --------------------------------------------------------------------------- level 1


@detects("metrics-files")
def metrics_files(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for stage in ctx.typed(PipelineStage):
        if stage.metrics or stage.plots:
            shown = (stage.metrics or stage.plots)[0]
            out.append(
                cite(stage, f"{stage.framework} stage '{stage.name}' writes metrics {shown}")
            )
    for call in ctx.typed(CodeCall):
        if _own(call.path) and uses_library([call.function], _TENSORBOARD):
            out.append(cite(call, f"{call.path} writes TensorBoard logs ({call.function})"))
    for path, imports in imports_by_path(ctx).items():
        if not _own(path):
            continue
        names = import_names(ctx, path)
        logger = uses_library(names, _FILE_LOGGERS) or uses_library(names, _LOGGING_TRAINERS)
        if logger:
            out.append(cite(imports[0], f"{path} logs metrics to files with {logger}"))
            continue
        lib = uses_library(names, _METRIC_LIBS)
        writer = uses_library(names, _WRITERS)
        if lib and writer:
            what = f"{path} computes metrics with {lib} and records them ({writer})"
            out.append(cite(imports[0], what))
    for mod in ctx.typed(CodeModule):
        if _own(mod.path) and mod.functions and set(words(stem(mod.path))) & _METRIC_STEMS:
            out.append(cite(mod, f"{mod.path} computes evaluation metrics by hand"))
    for path in ctx.files:
        if (
            path.lower().endswith(_METRIC_FILE_EXT)
            and set(words(stem(path))) & _METRIC_FILE_WORDS
            and _own(path)
        ):
            out.append(cite_file(path, f"{path} records metrics"))
    return out


# --------------------------------------------------------------------------- level 2


@detects("experiment-tracking")
def experiment_tracking(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    seen: set[str] = set()
    for call in _tracker_calls(ctx):
        if call.path not in seen:
            seen.add(call.path)
            out.append(cite(call, f"{call.path} tracks runs with {call.function}"))
    for path, imports in imports_by_path(ctx).items():
        if _own(path) and path not in seen:
            lib = uses_library(import_names(ctx, path), _TRACKER_INTEGRATIONS)
            if lib:
                out.append(cite(imports[0], f"{path} logs runs through {lib}"))
    for cfg in ctx.typed(CodeConfig):
        if cfg.framework == "env" and _own(cfg.path) and _TRACKER_ENV.match(cfg.option):
            out.append(cite(cfg, f"{cfg.path} configures the tracker via {cfg.option}"))
    ci_env: list[tuple[CiPipeline | CiJob, tuple[str, ...]]] = [
        *((p, p.env) for p in ctx.typed(CiPipeline)),
        *((j, j.env) for j in ctx.typed(CiJob)),
    ]
    for item, env in ci_env:
        names = [n for n in env if _TRACKER_ENV.match(n)]
        if names:
            out.append(cite(item, f"{item.path} points runs at a tracking server ({names[0]})"))
    for df in ctx.typed(Dockerfile):
        names = [n for n in df.env_names if _TRACKER_ENV.match(n)]
        if names:
            out.append(cite(df, f"{df.path} configures the tracker ({names[0]})"))
    for stage in ctx.typed(PipelineStage):
        if stage.framework == "dvc" and stage.metrics and stage.params:
            what = f"dvc.yaml stage '{stage.name}' tracks params and metrics as DVC experiments"
            out.append(cite(stage, what))
    out += command_matches(ctx, _TRACKING_CMD, lambda c: f"runs tracked experiments: {c}")
    return out


# --------------------------------------------------------------------------- level 3


def _registry_calls(ctx: DetectionContext) -> list[tuple[CodeCall, str]]:
    out = []
    for call in ctx.typed(CodeCall):
        if not _own(call.path):
            continue
        fn = call.function
        if "registered_model_name" in call.keywords:
            out.append((call, f"{call.path} registers the model ({fn}, registered_model_name)"))
        elif call.category == "experiment-tracking" and _REGISTRY_CALL.search(_last(fn)):
            out.append((call, f"{call.path} uses the model registry ({fn})"))
        elif fn.startswith("comet_ml") and _last(fn) == "register_model":
            out.append((call, f"{call.path} registers the model in Comet"))
    return out


@detects("model-registry")
def model_registry(ctx: DetectionContext) -> list[Citation]:
    out = [cite(call, what) for call, what in _registry_calls(ctx)]
    for path, imports in imports_by_path(ctx).items():
        if _own(path):
            lib = uses_library(import_names(ctx, path), _REGISTRY_LIBS)
            if lib:
                out.append(cite(imports[0], f"{path} manages registered models with {lib}"))
    for stage in ctx.typed(PipelineStage):
        if stage.role == "register" and not is_vendored(stage.path):
            kind = f" ({stage.step_type})" if stage.step_type else ""
            out.append(
                cite(stage, f"{stage.framework} stage '{stage.name}' registers the model{kind}")
            )
    out += command_matches(ctx, _REGISTRY_CMD, lambda c: f"registers a model version: {c}")
    for res in ctx.typed(IacResource):
        if _REGISTRY_RESOURCES.search(res.resource_type) and not res.data_source:
            out.append(cite(res, f"{res.path} provisions model registry {res.resource_type}"))
    out += _databricks.registered_models(ctx)
    for path in ctx.paths_matching("*artifacts.yaml", "*.gto"):
        if not is_vendored(path) and path.rsplit("/", 1)[-1] in ("artifacts.yaml", ".gto"):
            out.append(cite_file(path, f"{path} is a GTO model registry file"))
    return out


@detects("model-artifact-versioning")
def model_artifact_versioning(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for call in ctx.typed(CodeCall):
        if not _own(call.path):
            continue
        fn, last = call.function, _last(call.function)
        kind = str(call.literal_kwargs.get("type", "")).lower()
        if fn.startswith("mlflow") and last == "log_model":
            out.append(cite(call, f"{call.path} logs the model as an MLflow artifact ({fn})"))
        elif (
            fn.startswith("mlflow") and last == "log_artifact" and _model_like(call.first_arg or "")
        ):
            out.append(cite(call, f"{call.path} logs model file {call.first_arg} to MLflow"))
        elif fn.startswith("wandb") and ("model" in kind or last in ("log_model", "link_model")):
            out.append(cite(call, f"{call.path} versions the model as a W&B artifact ({fn})"))
        elif fn.startswith(("neptune", "clearml", "comet_ml")) and re.search(r"model", last, re.I):
            out.append(cite(call, f"{call.path} versions the model with {fn}"))
        elif fn.startswith("bentoml") and last == "save_model":
            out.append(cite(call, f"{call.path} stores a versioned model in the BentoML store"))
        elif last == "push_to_hub" or fn in (
            "huggingface_hub.upload_folder",
            "huggingface_hub.upload_file",
        ):
            out.append(cite(call, f"{call.path} publishes model versions to the Hugging Face Hub"))
    for stage in ctx.typed(PipelineStage):
        if is_vendored(stage.path):
            continue
        if stage.framework == "dvc":
            models = [
                o for o in stage.outputs if o not in stage.uncached_outputs and _model_like(o)
            ]
            if models:
                what = f"dvc.yaml stage '{stage.name}' versions model {models[0]} in the DVC cache"
                out.append(cite(stage, what))
        elif stage.framework in ARTIFACT_FRAMEWORKS and stage.role == "train":
            what = (
                f"{stage.framework} stage '{stage.name}' stores its model output as a versioned "
                "pipeline artifact"
            )
            out.append(cite(stage, what))
    for dv in ctx.typed(PipelineDataVersion):
        if dv.source != "dvc-config" and dv.target and _model_like(dv.target):
            out.append(cite(dv, f"{dv.path} versions model {dv.target} with DVC"))
    return out


# --------------------------------------------------------------------------- level 4


def _evaluates(ctx: DetectionContext, path: str) -> bool:
    """Does ``path`` evaluate before it promotes (metrics, gates, comparisons)?"""
    if set(words(stem(path))) & _EVAL_WORDS:
        return True
    if uses_library(import_names(ctx, path), _METRIC_LIBS):
        return True
    for call in calls_by_path(ctx).get(path, ()):
        if set(words(call.scope)) & _EVAL_WORDS:
            return True
        if re.search(r"search_runs|get_metric|get_run|evaluate", call.function):
            return True
    return any(mod.threshold_asserts for mod in ctx.typed(CodeModule) if mod.path == path)


@detects("model-promotion-gate")
def model_promotion_gate(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for call in ctx.typed(CodeCall):
        if not _own(call.path) or not _PROMOTE_CALL.search(_last(call.function)):
            continue
        if call.category == "experiment-tracking" and _evaluates(ctx, call.path):
            what = f"{call.path} promotes the model after evaluation ({call.function})"
            out.append(cite(call, what))
    for path, imports in imports_by_path(ctx).items():
        if not _own(path) or not set(words(stem(path))) & _GATE_MODULE_WORDS:
            continue
        lib = uses_library(import_names(ctx, path), _REGISTRY_LIBS)
        if lib:
            what = f"{path} compares models before updating the registry ({lib})"
            out.append(cite(imports[0], what))
    stages = ctx.typed(PipelineStage)
    by_pipeline: dict[tuple[str, str], dict[str, PipelineStage]] = {}
    for stage in stages:
        by_pipeline.setdefault((stage.path, stage.pipeline), {})[stage.name] = stage
    for stage in stages:
        if stage.role != "register" or is_vendored(stage.path):
            continue
        siblings = by_pipeline.get((stage.path, stage.pipeline), {})
        gates = [
            u for u in stage.upstream if u in siblings and siblings[u].role in ("gate", "evaluate")
        ]
        if gates:
            what = f"{stage.framework} stage '{stage.name}' registers only after '{gates[0]}'"
            out.append(cite(stage, what))
    jobs = {(j.path, j.job_id): j for j in ctx.typed(CiJob)}
    for step in ctx.typed(CiStep):
        text = "\n".join(step.commands or (step.run or "",))
        if not (_REGISTRY_CMD.search(text) or _PROMOTE_CMD.search(text)):
            continue
        job = jobs.get((step.path, step.job_id))
        needs = job.needs if job else ()
        if any(word_set(n) & _EVAL_WORDS for n in needs) or word_set(step.name) & _EVAL_WORDS:
            what = f"CI job '{step.job_id}' promotes the model after evaluation"
            out.append(cite(step, what))
    return out


@detects("experiment-lineage")
def experiment_lineage(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    tracked = {c.path for c in _tracker_calls(ctx)}
    for call in ctx.typed(CodeCall):
        if not _own(call.path):
            continue
        fn = call.function
        if fn == "mlflow.log_input" or fn.startswith("mlflow.data."):
            out.append(cite(call, f"{call.path} links runs to their dataset ({fn})"))
        elif fn.startswith("wandb") and _last(fn) == "use_artifact" and call.path in tracked:
            out.append(cite(call, f"{call.path} links runs to input artifacts (use_artifact)"))
        elif (
            call.path in tracked
            and re.search(r"set_tag|log_param", _last(fn))
            and call.first_arg
            and _LINEAGE_WORDS.search(call.first_arg)
        ):
            out.append(cite(call, f"{call.path} tags runs with {call.first_arg}"))
    for cfg in ctx.typed(CodeConfig):
        if cfg.path not in tracked:
            continue
        if cfg.framework == "env" and _CODE_VERSION_ENV.match(cfg.option):
            out.append(cite(cfg, f"{cfg.path} records the code version ({cfg.option}) with runs"))
        elif (cfg.config_file or "").endswith("dvc.lock"):
            out.append(cite(cfg, f"{cfg.path} records the data version from dvc.lock with runs"))
    for path in sorted(tracked):
        if uses_library(import_names(ctx, path), ("git", "dvc.api")):
            out.append(cite_file(path, f"{path} records git/DVC versions with its runs"))
    if ctx.typed(PipelineLockStage):
        for call in ctx.typed(CodeCall):
            if call.function.startswith("dvclive") and _own(call.path):
                what = f"{call.path} logs DVC experiments, pinned to data and code by dvc.lock"
                out.append(cite(call, what))
                break
    return out
