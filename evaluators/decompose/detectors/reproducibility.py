"""Reproducibility: can someone rebuild the environment and rerun the pipeline exactly?

Dependency facts come from the dependency parsers (``dep.*``), container facts from the
Dockerfile parser (``infra.*``), pipelines from the DVC/MLproject parsers and run
configuration/seeding from the Python analysis (``code.config``, ``code.seed``).
"""

from __future__ import annotations

import re

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors._common import (
    all_commands,
    basename,
    is_test_path,
    is_vendored,
    parts,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeConfig,
    CodeImport,
    CodeSeed,
    CodeShellCommand,
)
from hyperscore.evaluators.ingest.parsers.dependencies import DepManifest, DepRequirement
from hyperscore.evaluators.ingest.parsers.infra_common import ImageRef
from hyperscore.evaluators.ingest.parsers.infra_docker import Dockerfile
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MLProjectSpec,
    PipelineDefinition,
    PipelineLockStage,
    PipelineParams,
    PipelineStage,
)

PIN_THRESHOLD = 0.8
"""Share of direct runtime requirements that must be pinned exactly."""
EXPORT_MIN = 60
"""A non-lock file pinning at least this many packages, all exactly, is an exported lock
(``pip freeze`` / ``conda env export``): it records transitive versions too."""

# Dependency groups that are not part of the runtime environment.
NON_RUNTIME_GROUPS = frozenset(
    {
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "docs",
        "doc",
        "lint",
        "linting",
        "build",
        "typing",
        "types",
        "style",
        "ci",
        "format",
        "benchmark",
        "bench",
        "qa",
        "check",
        "release",
    }
)
_PINNED = frozenset({"pinned", "hashed"})
_LOCK_FILES = (
    "*conda-lock.yml",
    "*conda-lock.yaml",
    "*.conda-lock.yml",
    "*pixi.lock",
    "*renv.lock",
    "*conda-*.lock",
)
_ENV_FILES = (
    "*python_env.yaml",
    "*python_env.yml",
    "*tox.ini",
    "*noxfile.py",
    "*pixi.toml",
    "*.devcontainer.json",
    "*.devcontainer/devcontainer.json",
    "*.devcontainer/*/devcontainer.json",
)
_DEVCONTAINER = (
    "*.devcontainer.json",
    "*.devcontainer/devcontainer.json",
    "*.devcontainer/*/devcontainer.json",
)
_ENV_MANAGERS = frozenset({"poetry", "pdm", "uv", "pixi", "pipenv"})
_CONFIG_EXT = (".yaml", ".yml", ".toml", ".json", ".cfg", ".ini", ".gin", ".conf")
_CONFIG_WORDS = ("conf", "config", "param", "hparam", "hyper", "setting", "experiment", "args")
_TOOL_CONFIGS = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "tox.ini",
        "mkdocs.yml",
        "mkdocs.yaml",
        "codecov.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "package.json",
        "tsconfig.json",
        "pytest.ini",
        "mypy.ini",
        "renovate.json",
        "cdk.json",
        "config.json",
    }
)
MIN_SCRIPT_FLAGS = 3
"""Literal ``--flags`` a run script must pass for it to count as recorded run configuration."""
_CONFIG_LOADERS = frozenset(
    {
        "yaml",
        "omegaconf",
        "hydra",
        "toml",
        "tomllib",
        "tomli",
        "gin",
        "dvc",
        "json",
        "lightning-cli",
        "jsonargparse",
    }
)
_REPRO_CMD = re.compile(
    r"\bdvc\s+(?:repro|exp\s+run)\b|\bmlflow\s+run\b|\bsnakemake\b|\bkedro\s+run\b"
    r"|\bnextflow\s+run\b|\bmake\s+(?:\S+\s+)*(?:reproduce|repro|pipeline|all)\b"
)
_PIPELINE_FILES = ("*snakefile", "*.smk", "*main.nf")


def _manifests(ctx: DetectionContext) -> list[DepManifest]:
    return [m for m in ctx.typed(DepManifest) if not is_vendored(m.path)]


def _is_export(m: DepManifest) -> bool:
    """A fully pinned, large environment dump (``pip freeze``, ``conda env export``)."""
    pinned = m.pins.get("pinned", 0) + m.pins.get("hashed", 0)
    return (
        m.format in ("requirements", "conda")
        and m.requirements >= EXPORT_MIN
        and pinned == m.requirements
    )


def _fully_hashed(m: DepManifest) -> bool:
    return (
        m.format in ("requirements", "constraints")
        and m.requirements > 0
        and (m.pins.get("hashed", 0) >= PIN_THRESHOLD * m.requirements)
    )


@detects("dependency-manifest")
def dependency_manifest(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for m in _manifests(ctx):
        if m.requirements or m.is_lock or m.dynamic or m.includes:
            what = f"{basename(m.path)} ({m.format}) declares {m.requirements} dependencies"
            out.append(cite(m, what))
    for path in ctx.paths_matching(*_LOCK_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{basename(path)} records the environment"))
    if not out:
        # A setup script that installs named packages is a dependency spec too (unpinned).
        for cmd in ctx.typed(CodeShellCommand):
            if (
                cmd.cell is None
                and cmd.category == "install"
                and cmd.packages
                and not is_vendored(cmd.path)
            ):
                what = f"{cmd.path} installs {len(cmd.packages)} packages: {cmd.command[:80]}"
                out.append(cite(cmd, what))
    return out


@detects("pinned-dependencies")
def pinned_dependencies(ctx: DetectionContext) -> list[Citation]:
    declared: set[str] = set()
    pinned: set[str] = set()
    for req in ctx.typed(DepRequirement):
        if is_vendored(req.path) or req.source == "pyproject-build" or not req.name:
            continue
        if req.group.lower() in NON_RUNTIME_GROUPS or req.name == "python":
            continue
        if req.pin in _PINNED or (req.pin == "url" and req.vcs_commit):
            pinned.add(req.name)
        if req.source != "constraints":
            declared.add(req.name)
    out: list[Citation] = []
    share = len(declared & pinned) / len(declared) if declared else 0.0
    if declared and share >= PIN_THRESHOLD:
        for m in _manifests(ctx):
            exact = m.pins.get("pinned", 0) + m.pins.get("hashed", 0)
            if exact and not m.is_lock:
                what = f"{basename(m.path)} pins {exact} of {m.requirements} requirements exactly"
                out.append(cite(m, what))
    cited = {c.path for c in out}
    for m in _manifests(ctx):
        if (m.is_lock or _is_export(m)) and m.path not in cited:
            out.append(cite(m, f"{basename(m.path)} locks {m.requirements} package versions"))
    return out


@detects("container-image")
def container_image(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for df in ctx.typed(Dockerfile):
        if not is_vendored(df.path):
            base = df.base_image or "an unknown base"
            out.append(cite(df, f"{df.path} builds an image from {base}"))
    for path in ctx.paths_matching(*_DEVCONTAINER):
        out.append(cite_file(path, f"{path} defines a development container"))
    for imp in ctx.typed(CodeImport):
        zenml = imp.module.startswith("zenml.config") and "DockerSettings" in imp.names
        if zenml and not is_vendored(imp.path):
            out.append(cite(imp, f"{imp.path} builds the pipeline image from DockerSettings"))
    for spec in ctx.typed(MLProjectSpec):
        if spec.env_type == "docker":
            image = spec.docker_image or "a docker image"
            out.append(cite(spec, f"MLproject runs in docker_env {image}"))
    return out


@detects("environment-spec")
def environment_spec(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    seen: set[str] = set()
    for m in _manifests(ctx):
        if m.format == "conda":
            what = f"{basename(m.path)}: conda environment with {m.requirements} packages"
            out.append(cite(m, what))
            seen.add(m.path)
        elif m.format in ("pipfile", "pipfile-lock"):
            out.append(cite(m, f"{basename(m.path)} defines a pipenv environment"))
            seen.add(m.path)
        elif m.format == "pyproject" and m.python_requires and _ENV_MANAGERS & set(m.managers):
            managers = ", ".join(sorted(_ENV_MANAGERS & set(m.managers)))
            what = f"{m.path}: {managers} environment for Python {m.python_requires}"
            out.append(cite(m, what))
            seen.add(m.path)
    for spec in ctx.typed(MLProjectSpec):
        if spec.env_type != "none":
            target = spec.env_file or spec.docker_image or spec.env_type
            out.append(cite(spec, f"MLproject declares a {spec.env_type} environment ({target})"))
    for path in ctx.paths_matching(*_ENV_FILES):
        if path not in seen and not is_vendored(path):
            out.append(cite_file(path, f"{basename(path)} defines the run environment"))
    return out


@detects("lockfile")
def lockfile(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for m in _manifests(ctx):
        if m.is_lock:
            hashed = m.pins.get("hashed", 0)
            tool = f" by {m.generator}" if m.generator else ""
            what = f"{basename(m.path)} locks {m.requirements} packages{tool} ({hashed} hashed)"
            out.append(cite(m, what))
        elif _is_export(m):
            what = f"{basename(m.path)} pins all {m.requirements} packages (an exported lock)"
            out.append(cite(m, what))
        elif _fully_hashed(m):
            out.append(cite(m, f"{basename(m.path)} pins every requirement with --hash"))
    for path in ctx.paths_matching(*_LOCK_FILES):
        if not is_vendored(path):
            out.append(cite_file(path, f"{basename(path)} is a lock file"))
    return out


def _config_like(path: str) -> bool:
    """A run-configuration file by name (tool configs and dot-directories excluded)."""
    low = path.lower()
    if any(p.startswith(".") for p in low.split("/")) or basename(low) in _TOOL_CONFIGS:
        return False
    return low.endswith(_CONFIG_EXT) and any(w in low for w in _CONFIG_WORDS)


def _flag_script(cmd: CodeShellCommand) -> int:
    """Literal ``--flag value`` hyperparameters a committed run script passes to Python."""
    if cmd.cell is not None or not cmd.program.startswith("python") or not cmd.script:
        return 0
    tokens = cmd.command.split()
    return sum(
        1
        for tok, nxt in zip(tokens, [*tokens[1:], ""], strict=True)
        if tok.startswith("--") and nxt and not nxt.startswith(("-", "$"))
    )


@detects("config-files")
def config_files(ctx: DetectionContext) -> list[Citation]:
    """Run configuration kept in files that code or a pipeline reads.

    Counted: a params file read by pipeline stages or code; a config file loaded by code
    (yaml/json/toml/OmegaConf/Hydra/gin) when the file exists or the project has config-like
    files for a dynamic path; a ``--config`` option defaulting to an existing file; a
    committed run script passing literal hyperparameter flags (a versioned run config). Plain
    argparse defaults alone do not count: they live in code, not in a run configuration.
    """
    out: list[Citation] = []
    param_files = {p.path for p in ctx.typed(PipelineParams)}
    for stage in ctx.typed(PipelineStage):
        used = sorted({p.split("#", 1)[0] for p in stage.params})
        if used:
            what = f"{stage.framework} stage '{stage.name}' reads parameters from {used[0]}"
            out.append(cite(stage, what))
    config_paths = [p for p in ctx.files if _config_like(p) and not is_vendored(p)]
    for cfg in ctx.typed(CodeConfig):
        if is_vendored(cfg.path) or is_test_path(cfg.path):
            continue
        if cfg.role in ("load", "main") and cfg.framework in _CONFIG_LOADERS:
            target = cfg.config_file
            if target and (target in ctx.files or target in param_files):
                if cfg.framework != "json" or _config_like(target):
                    out.append(cite(cfg, f"{cfg.path} loads run configuration {target}"))
            elif target is None and cfg.framework != "json" and (config_paths or cfg.config_dir):
                where = cfg.config_dir or config_paths[0]
                out.append(cite(cfg, f"{cfg.path} loads {cfg.framework} config (e.g. {where})"))
        elif cfg.role == "key" and cfg.config_file and cfg.config_file in param_files:
            out.append(cite(cfg, f"{cfg.path} reads key {cfg.key} of {cfg.config_file}"))
        elif (
            cfg.role == "option"
            and isinstance(cfg.default, str)
            and cfg.default in ctx.files
            and _config_like(cfg.default)
        ):
            out.append(cite(cfg, f"{cfg.path}: --{cfg.option} defaults to {cfg.default}"))
    for cmd in ctx.typed(CodeShellCommand):
        flags = _flag_script(cmd)
        if flags >= MIN_SCRIPT_FLAGS and not is_vendored(cmd.path):
            what = f"{cmd.path} records a run configuration ({flags} flags for {cmd.script})"
            out.append(cite(cmd, what))
    return out


@detects("seeding")
def seeding(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for seed in ctx.typed(CodeSeed):
        if not seed.seeded or is_vendored(seed.path) or is_test_path(seed.path):
            continue
        value = seed.value if seed.value is not None else seed.value_expr
        shown = f"({value})" if value is not None else ""
        out.append(cite(seed, f"{seed.path} seeds {seed.framework} via {seed.function}{shown}"))
    return out


@detects("hash-pinned-dependencies")
def hash_pinned_dependencies(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    for m in _manifests(ctx):
        hashed = m.pins.get("hashed", 0)
        if m.requirements and hashed >= PIN_THRESHOLD * m.requirements:
            what = f"{basename(m.path)} records hashes for {hashed} of {m.requirements} packages"
            out.append(cite(m, what))
        elif m.require_hashes:
            out.append(cite(m, f"{basename(m.path)} sets --require-hashes"))
    return out


def _external_from(ref: ImageRef) -> bool:
    return ref.source == "dockerfile" and ref.pin not in ("stage", "scratch")


@detects("image-digest-pinning")
def image_digest_pinning(ctx: DetectionContext) -> list[Citation]:
    """Every external ``FROM`` of the project's Dockerfiles pinned by digest (other image
    references count only when the project has no Dockerfile)."""
    refs = [r for r in ctx.typed(ImageRef) if not is_vendored(r.path)]
    froms = [r for r in refs if _external_from(r)]
    pool = froms or [r for r in refs if r.pin != "variable"]
    if not pool:
        return []

    def digest(ref: ImageRef) -> bool:
        return ref.pin == "digest" or ref.resolved_pin == "digest"

    if froms and not all(digest(r) for r in froms):
        return []
    return [cite(r, f"{r.path}: {r.image} pinned by digest") for r in pool if digest(r)]


@detects("one-command-reproduce")
def one_command_reproduce(ctx: DetectionContext) -> list[Citation]:
    out: list[Citation] = []
    locked = {s.pipeline for s in ctx.typed(PipelineLockStage)}
    for pipe in ctx.typed(PipelineDefinition):
        if (
            pipe.framework == "dvc"
            and pipe.stage_count
            and (pipe.name in locked or pipe.path in locked)
        ):
            what = f"{pipe.path}: {pipe.stage_count} stages reproducible with `dvc repro`"
            out.append(cite(pipe, what + " (dvc.lock pins their runs)"))
    for spec in ctx.typed(MLProjectSpec):
        if spec.entry_points:
            eps = ", ".join(spec.entry_points[:4])
            out.append(cite(spec, f"MLproject entry points ({eps}) run with `mlflow run`"))
    for item, command in all_commands(ctx):
        if _REPRO_CMD.search(command):
            out.append(cite(item, f"runs the whole pipeline: {command[:100]}"))
    for step in ctx.typed(CiStep):
        if any(r == "file:dvc.yaml" or r.startswith("stage:dvc:") for r in step.runs):
            out.append(cite(step, f"CI step '{step.name}' reruns the DVC pipeline"))
    for path in ctx.paths_matching(*_PIPELINE_FILES):
        if not is_vendored(path) and "test" not in parts(path)[:-1]:
            out.append(cite_file(path, f"{basename(path)} defines a one-command workflow"))
    return out
