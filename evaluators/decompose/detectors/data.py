"""Data management: scripted preparation, versioning, schemas, validation, lineage, contracts.

DVC facts come from the DVC parser (``pipeline.data_version``, ``pipeline.lock_stage``),
pipelines from every pipeline parser (``pipeline.stage``), library use from the Python
analysis (``code.call`` categories, ``code.import``) and commands from CI steps and scripts.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors._common import (
    ARTIFACT_FRAMEWORKS,
    basename,
    calls_by_path,
    command_matches,
    import_names,
    imported_paths,
    imports_by_path,
    is_test_path,
    is_vendored,
    parts,
    resolve_module,
    stage_code_paths,
    stem,
    uses_library,
    words,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeModule,
    CodeShellCommand,
)
from hyperscore.evaluators.ingest.parsers.infra_iac import IacResource
from hyperscore.evaluators.ingest.parsers.monitoring_python import MlMonitor
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDataVersion,
    PipelineLockStage,
    PipelineStage,
)

# --------------------------------------------------------------------------- vocabulary

_PREP_WORDS = frozenset(
    {
        "download",
        "downloads",
        "prepare",
        "preparation",
        "prep",
        "preprocess",
        "preprocessing",
        "ingest",
        "ingestion",
        "etl",
        "scrape",
        "scraper",
        "crawl",
        "crawler",
        "dataprep",
    }
)
_DATA_WORDS = frozenset({"data", "dataset", "datasets", "corpus", "raw"})
_DATA_VERBS = frozenset(
    {
        "make",
        "build",
        "create",
        "get",
        "gen",
        "generate",
        "process",
        "processing",
        "split",
        "clean",
        "cleaning",
        "convert",
        "transform",
        "fetch",
        "collect",
        "extract",
        "export",
        "processor",
        "loader",
        "loading",
        "load",
        "reader",
    }
)
_DATA_CODE_STEMS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "data_loader",
        "dataloader",
        "data_loaders",
        "dataloaders",
        "data_utils",
        "data_processing",
        "data_prep",
        "preprocessing",
        "preprocess",
        "make_dataset",
        "build_dataset",
    }
)
_DATA_DIRS = frozenset({"data", "dataset", "datasets", "preprocessing", "etl", "ingestion"})
_SCRIPT_EXT = (".py", ".sh", ".bash", ".r")
_FETCH_PROGRAMS = re.compile(
    r"^(?:wget|curl|gdown|gsutil|azcopy|kaggle|rclone)\b|^aws\s+s3\s+(?:cp|sync)\b"
    r"|^dvc\s+(?:pull|get|import|import-url|fetch)\b|^huggingface-cli\s+download\b"
    r"|^git\s+lfs\s+pull\b|^hf\s+download\b"
)
_WEIGHTS = re.compile(r"\.(?:pth?|ckpt|safetensors|h5|onnx|bin|joblib|gguf)\b", re.I)
"""Downloads of model weights are not data preparation."""
_DATA_HUB = frozenset({"datasets.load_dataset", "huggingface_hub.snapshot_download"})

# Libraries whose calls validate data; drift monitors (whylogs, nannyml, alibi-detect) excluded.
VALIDATION_LIBS = (
    "great_expectations",
    "pandera",
    "tensorflow_data_validation",
    "deepchecks",
    "soda",
    "evidently",
)
SCHEMA_LIBS = ("pandera", "great_expectations", "tensorflow_data_validation")
_SCHEMA_MODULE_LIBS = (
    "pydantic",
    "marshmallow",
    "pyarrow",
    "pyspark.sql.types",
    "jsonschema",
    "cerberus",
    "voluptuous",
    "schema",
    "frictionless",
    "polars",
    "pandera",
    "great_expectations",
)
_SCHEMA_STEMS = frozenset({"schema", "schemas", "contract", "contracts", "dataschema"})
_SCHEMA_FILES = (
    "*great_expectations/expectations/*.json",
    "*gx/expectations/*.json",
    "*expectations/*suite*.json",
    "*schema.pbtxt",
    "*.avsc",
)
_DATA_PATH_WORDS = frozenset(
    {
        "data",
        "dataset",
        "datasets",
        "table",
        "tables",
        "feature",
        "features",
        "record",
        "records",
        "input",
        "inputs",
        "event",
        "events",
    }
)
_VALIDATION_STEP_TYPES = re.compile(
    r"ExampleValidator|SchemaGen|GreatExpectations|DataValidation|Tfdv|TFDV|Deepchecks"
    r"|DataQuality",
)
_VALIDATION_CMD = re.compile(
    r"\bgreat_expectations\s+(?:checkpoint|--v3-api\s+checkpoint)|\bgx\s+checkpoint\b"
    r"|\bsoda\s+scan\b|\bdatacontract\s+test\b"
)
_LINEAGE_LIBS = (
    "openlineage",
    "marquez",
    "datahub.emitter",
    "datahub.api",
    "pachyderm_sdk",
    "python_pachyderm",
)
_VERSIONING_LIBS = (
    "lakefs",
    "lakefs_client",
    "lakefs_sdk",
    "lakefs_spec",
    "deltalake",
    "delta.tables",
    "pachyderm_sdk",
    "python_pachyderm",
    "quilt3",
    "clearml.Dataset",
    "azure.ai.ml.entities.Data",
)
FEATURE_STORE_LIBS = (
    "feast",
    "tecton",
    "hsfs",
    "hopsworks",
    "featureform",
    "featurebyte",
    "databricks.feature_store",
    "databricks.feature_engineering",
    "sagemaker.feature_store",
    "google.cloud.aiplatform.Featurestore",
    "google.cloud.aiplatform.FeatureOnlineStore",
    "google.cloud.aiplatform_v1.FeaturestoreServiceClient",
    "vertexai.resources.preview.feature_store",
    "azure.ai.ml.entities.FeatureStore",
    "azure.ai.ml.entities.FeatureSet",
)
_FEATURE_STORE_FILES = (
    "*feature_store.yaml",
    "*feature_store.yml",
    "*featuresetspec.yaml",
    "*featuresetspec.yml",
)
_FEATURE_STORE_RESOURCES = re.compile(r"feature_?group|feature_?store|featurestore", re.I)
_CONTRACT_FILES = (
    "*datacontract*.yaml",
    "*datacontract*.yml",
    "*data-contract*.yaml",
    "*data-contract*.yml",
    "*data_contract*.yaml",
    "*data_contract*.yml",
    "*.odcs.yaml",
    "*.odcs.yml",
)
_CONTRACT_CMD = re.compile(r"\bdatacontract\s+(?:test|lint|export|ci)\b")


def _own_code(path: str) -> bool:
    return not is_vendored(path) and not is_test_path(path)


def _lib_of(call: CodeCall, libs: tuple[str, ...]) -> str | None:
    return uses_library([call.function], libs)


# --------------------------------------------------------------------------- level 1


def _prep_name(path: str) -> bool:
    ws = set(words(stem(path)))
    if ws & _PREP_WORDS:
        return True
    context = ws | set(parts(path)[-2:-1])
    return bool(context & _DATA_WORDS) and bool(ws & _DATA_VERBS)


def _data_module(path: str) -> bool:
    """A module about data by name: ``data.py``, ``dataset.py``, ``data/loaders.py``."""
    ws = set(words(stem(path)))
    return bool(ws & _DATA_WORDS) or bool(set(parts(path)[:-1]) & _DATA_DIRS)


@detects("data-preparation-script")
def data_preparation_script(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for path in ctx.files:
        if path.lower().endswith(_SCRIPT_EXT) and _own_code(path) and _prep_name(path):
            out.append(cite_file(path, f"{path} is a data download/preparation script"))
    for stage in ctx.typed(PipelineStage):
        if stage.role == "data" and not is_vendored(stage.path):
            what = f"{stage.framework} stage '{stage.name}' prepares data"
            out.append(cite(stage, what + (f": {stage.cmd[:80]}" if stage.cmd else "")))
    loaders: set[str] = set()
    for call in ctx.typed(CodeCall):
        if not _own_code(call.path):
            continue
        if call.function in _DATA_HUB:
            dataset = f" {call.first_arg}" if call.first_arg else ""
            out.append(cite(call, f"{call.path} loads dataset{dataset} with {call.function}"))
        elif (
            call.category in ("data-io", "network")
            and call.cell is None
            and call.path not in loaders
            and _data_module(call.path)
        ):
            loaders.add(call.path)
            out.append(cite(call, f"{call.path} loads and prepares data in code ({call.function})"))
    for cmd in ctx.typed(CodeShellCommand):
        fetch = _FETCH_PROGRAMS.search(cmd.command) and not _WEIGHTS.search(cmd.command)
        if fetch and not is_vendored(cmd.path):
            out.append(cite(cmd, f"{cmd.path} fetches data: {cmd.command[:100]}"))
    for mod in ctx.typed(CodeModule):
        named = stem(mod.path).lower() in _DATA_CODE_STEMS
        code = bool(mod.functions or mod.classes) and mod.cell is None
        if named and code and _own_code(mod.path) and mod.path not in loaders:
            out.append(cite(mod, f"{mod.path} builds the datasets in code"))
    for dv in ctx.typed(PipelineDataVersion):
        if dv.imported_from:
            out.append(cite(dv, f"{dv.path} imports {dv.target} from {dv.imported_from}"))
    return out


# --------------------------------------------------------------------------- level 2


@detects("data-versioning")
def data_versioning(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    remotes = [dv for dv in ctx.typed(PipelineDataVersion) if dv.source == "dvc-config"]
    for dv in ctx.typed(PipelineDataVersion):
        if is_vendored(dv.path) or dv.source == "dvc-config":
            continue
        if dv.source == "dvc-file":
            out.append(cite(dv, f"{dv.path} tracks {dv.target} with DVC"))
        elif dv.hashed:
            out.append(cite(dv, f"dvc.lock records {dv.target} by hash"))
    for stage in ctx.typed(PipelineStage):
        if stage.framework != "dvc" or is_vendored(stage.path):
            continue
        cached = [o for o in stage.outputs if o not in stage.uncached_outputs]
        if cached:
            what = f"dvc.yaml stage '{stage.name}' tracks output {cached[0]} in the DVC cache"
            out.append(cite(stage, what))
    if out:
        out.extend(cite(r, f"DVC remote '{r.name}' stores the versions") for r in remotes)
    for stage in ctx.typed(PipelineStage):
        if stage.framework in ARTIFACT_FRAMEWORKS and stage.role == "data":
            what = (
                f"{stage.framework} stage '{stage.name}' stores its data output as a versioned "
                "artifact"
            )
            out.append(cite(stage, what))
    for call in ctx.typed(CodeCall):
        if not _own_code(call.path):
            continue
        fn = call.function
        kind = str(call.literal_kwargs.get("type", ""))
        if fn == "mlflow.log_input" or fn.startswith("mlflow.data."):
            out.append(cite(call, f"{call.path} records the dataset version with {fn}"))
        elif fn.endswith("Artifact") and fn.startswith("wandb") and "data" in kind.lower():
            out.append(cite(call, f"{call.path} versions data as a W&B '{kind}' artifact"))
        elif fn == "datasets.load_dataset" and call.revision_pinned:
            out.append(cite(call, f"{call.path} pins dataset {call.first_arg} to a revision"))
        elif fn.startswith("dvc.api.") and "rev" in call.keywords:
            out.append(cite(call, f"{call.path} reads a versioned DVC file ({fn}, rev=...)"))
    for path, imports in imports_by_path(ctx).items():
        if not _own_code(path):
            continue
        lib = uses_library(import_names(ctx, path), _VERSIONING_LIBS)
        if lib:
            imp = imports[0]
            out.append(cite(imp, f"{path} uses data-versioning library {lib}"))
    return out


@detects("data-schema")
def data_schema(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for path, calls in calls_by_path(ctx).items():
        if not _own_code(path):
            continue
        for call in calls:
            lib = _lib_of(call, SCHEMA_LIBS)
            if lib:
                what = f"{path} declares data schema/expectations with {call.function}"
                out.append(cite(call, what))
                break
    for path, imports in imports_by_path(ctx).items():
        if not _own_code(path) or not (set(words(stem(path))) & _SCHEMA_STEMS):
            continue
        lib = uses_library(import_names(ctx, path), _SCHEMA_MODULE_LIBS)
        if lib:
            out.append(cite(imports[0], f"{path} defines data schemas with {lib}"))
    for path in ctx.paths_matching(*_SCHEMA_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{path} is a data schema / expectation suite"))
    for path in ctx.paths_matching("*.schema.json", "*schemas/*.json"):
        segs = set(parts(path))
        ws = set(words(path))
        if is_vendored(path) or basename(path).lower() == "values.schema.json":
            continue
        if ws & _DATA_PATH_WORDS and not segs & {".vscode", "node_modules", "helm", "charts"}:
            out.append(cite_file(path, f"{path} is a JSON schema for data"))
    for path in ctx.paths_matching(*_CONTRACT_FILES):
        out.append(cite_file(path, f"{path} specifies a data contract"))
    for mon in ctx.typed(MlMonitor):
        if _own_code(mon.path) and mon.what == "data-quality" and _baseline(mon.call):
            out.append(cite(mon, f"{mon.path} derives data constraints with {mon.call}"))
    return out


def _baseline(call: str) -> bool:
    """A data-quality baseline (inferred statistics and constraints: a schema)."""
    return "DefaultModelMonitor" in call or ("data" in call.lower() and "baseline" in call)


# --------------------------------------------------------------------------- level 3


def _validation_calls(ctx: DetectionContext, path: str, scope: str | None = None) -> list[CodeCall]:
    found = []
    for call in calls_by_path(ctx).get(path, ()):
        if call.category != "data-validation" or not _lib_of(call, VALIDATION_LIBS):
            continue
        if call.function.startswith("evidently") and not _evidently_data_check(call):
            continue
        if scope is None or call.scope == scope or call.scope.endswith("." + scope):
            found.append(call)
    return found


def _evidently_data_check(call: CodeCall) -> bool:
    """Evidently test suites and data-quality presets validate; drift reports monitor."""
    fn = call.function
    return "test_suite" in fn or "TestSuite" in fn or "DataQuality" in fn or ".tests." in fn


def _code_validation(ctx: DetectionContext, paths: set[str]) -> CodeCall | None:
    """A validation call in ``paths`` or in a project module they import directly."""
    pool = set(paths)
    for path in paths:
        pool |= imported_paths(ctx, path)
    for path in sorted(pool):
        calls = _validation_calls(ctx, path)
        if calls:
            return calls[0]
    return None


def _stage_validation(ctx: DetectionContext, stage: PipelineStage) -> CodeCall | None:
    code = stage_code_paths(ctx, stage)
    if code:
        found = _code_validation(ctx, code)
        if found is not None:
            return found
    if stage.cmd is None:
        # A Python-defined step: the validation calls live in the step function.
        direct = _validation_calls(ctx, stage.path, stage.name)
        if direct:
            return direct[0]
        if stage.step_type and stage.step_type.endswith(".imported"):
            for path in calls_by_path(ctx):
                if _own_code(path):
                    hits = _validation_calls(ctx, path, stage.name)
                    if hits:
                        return hits[0]
    return None


@detects("data-validation-in-pipeline")
def data_validation_in_pipeline(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for stage in ctx.typed(PipelineStage):
        if is_vendored(stage.path):
            continue
        if stage.step_type and _VALIDATION_STEP_TYPES.search(stage.step_type):
            what = f"{stage.framework} stage '{stage.name}' is a {stage.step_type} step"
            out.append(cite(stage, what))
            continue
        call = _stage_validation(ctx, stage)
        if call is not None:
            what = (
                f"{stage.framework} stage '{stage.name}' validates data with {call.function}"
                f" ({call.path}:{call.line})"
            )
            out.append(cite(stage, what))
    for step in ctx.typed(CiStep):
        code: set[str] = set()
        for node in step.runs:
            kind, _, target = node.partition(":")
            if kind == "file" and target in ctx.files:
                code.add(target)
            elif kind == "module":
                found = resolve_module(ctx, target)
                if found:
                    code.add(found)
        call = _code_validation(ctx, code) if code else None
        if call is not None:
            what = f"CI step '{step.name}' validates data with {call.function} ({call.path})"
            out.append(cite(step, what))
    out += command_matches(ctx, _VALIDATION_CMD, lambda c: f"runs a data validation: {c}")
    return out


# --------------------------------------------------------------------------- level 4


@detects("data-lineage")
def data_lineage(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for lock in ctx.typed(PipelineLockStage):
        hashed_deps = [d for d, h in lock.deps.items() if h]
        hashed_outs = [o for o, h in lock.outs.items() if h]
        if hashed_deps and hashed_outs and not is_vendored(lock.path):
            what = (
                f"{lock.path} stage '{lock.name}' ties {hashed_outs[0]} to "
                f"{len(hashed_deps)} hashed inputs"
            )
            out.append(cite(lock, what))
    for call in ctx.typed(CodeCall):
        if not _own_code(call.path):
            continue
        fn = call.function
        if fn == "mlflow.log_input" or fn.startswith("mlflow.data."):
            out.append(cite(call, f"{call.path} links runs to their input data ({fn})"))
        elif fn.startswith("wandb") and fn.endswith(".use_artifact"):
            out.append(cite(call, f"{call.path} records input artifacts in the W&B lineage graph"))
    for path, imports in imports_by_path(ctx).items():
        if _own_code(path):
            lib = uses_library(import_names(ctx, path), _LINEAGE_LIBS)
            if lib:
                out.append(cite(imports[0], f"{path} emits lineage with {lib}"))
    return out


@detects("feature-store")
def feature_store(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for path, imports in imports_by_path(ctx).items():
        if _own_code(path):
            lib = uses_library(import_names(ctx, path), FEATURE_STORE_LIBS)
            if lib:
                out.append(cite(imports[0], f"{path} uses feature store {lib}"))
    for path in ctx.paths_matching(*_FEATURE_STORE_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{path} configures a feature store"))
    for res in ctx.typed(IacResource):
        if _FEATURE_STORE_RESOURCES.search(res.resource_type) and not res.data_source:
            out.append(cite(res, f"{res.path} provisions {res.resource_type} '{res.name}'"))
    return out


@detects("data-contracts")
def data_contracts(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for path in ctx.paths_matching(*_CONTRACT_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{path} specifies a data contract"))
    out += command_matches(ctx, _CONTRACT_CMD, lambda c: f"enforces data contracts: {c}")
    for path, imports in imports_by_path(ctx).items():
        if _own_code(path) and uses_library(import_names(ctx, path), ("datacontract",)):
            out.append(cite(imports[0], f"{path} checks data contracts with datacontract-cli"))
    return out
