"""Finding rules about repository hygiene: committed model/data artefacts, unpinned deps.

Git is the wrong store for weights and datasets: every version stays in every clone forever,
diffs are meaningless, and nothing records which data produced which model. DVC, Git LFS or a
model registry keep a small pointer in git instead. Dependencies without any version make a
training run unrepeatable: the next ``pip install`` resolves different code.

File sizes come from ``FileInfo`` (files the walker read) and ``Omitted(too-large)`` (files over
the read limit, which get no ``FileInfo``). Paths DVC tracks (``*.dvc`` targets, ``dvc.yaml``
outputs, ``dvc.lock`` outs) are git-ignored by DVC and skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hyperscore.evaluators.assessment import Dimension, PracticeResult, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import Hit, rule
from hyperscore.evaluators.ingest.parsers.dependencies import (
    DepLocked,
    DepManifest,
    DepRequirement,
)
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDataVersion,
    PipelineLockStage,
    PipelineStage,
)
from hyperscore.evaluators.model import Omitted

MIB = 1024 * 1024
#: Serialised models and checkpoints: flagged above 1 MiB.
MODEL_EXTENSIONS = frozenset(
    {
        ".pt", ".pth", ".ckpt", ".h5", ".hdf5", ".onnx", ".pkl", ".pickle", ".joblib",
        ".safetensors", ".keras", ".pb", ".tflite", ".gguf", ".ggml", ".mlmodel", ".pmml",
        ".msgpack",
    }
)  # fmt: skip
MODEL_THRESHOLD = 1 * MIB
#: Data sets and archives: flagged above 10 MiB.
DATA_EXTENSIONS = frozenset(
    {
        ".csv", ".tsv", ".parquet", ".pq", ".feather", ".arrow", ".avro", ".orc", ".npy",
        ".npz", ".jsonl", ".ndjson", ".json", ".tfrecord", ".tfrecords", ".xlsx", ".xls",
        ".db", ".sqlite", ".sqlite3", ".mat", ".bin", ".txt", ".zip", ".tar", ".gz", ".tgz",
        ".bz2", ".xz", ".zst", ".7z", ".rar", ".wav", ".flac", ".mp3", ".mp4", ".avi",
        ".mkv", ".lmdb", ".pb.gz",
    }
)  # fmt: skip
DATA_THRESHOLD = 10 * MIB


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def _sizes(ctx: DetectionContext) -> dict[str, int]:
    """Size of every file in the tree, including those too large to read."""
    sizes = {path: info.size for path, info in ctx.files.items()}
    for item in ctx.typed(Omitted):
        if item.reason == "too-large" and item.size is not None:
            sizes.setdefault(item.path, item.size)
    return sizes


def _dvc_tracked(ctx: DetectionContext) -> set[str]:
    """Paths (files or folders) DVC manages; ``foo.csv`` is tracked when ``foo.csv.dvc`` exists."""
    tracked: set[str] = set()
    for version in ctx.typed(PipelineDataVersion):
        if version.target:
            tracked.add(version.target)
    for stage in ctx.typed(PipelineStage):
        if stage.framework == "dvc":
            tracked.update(stage.outputs)
    for lock in ctx.typed(PipelineLockStage):
        tracked.update(lock.outs)
    tracked.update(p.removesuffix(".dvc") for p in ctx.files if p.endswith(".dvc"))
    return {posixpath.normpath(p) for p in tracked if p}


def _under(path: str, roots: set[str]) -> bool:
    return path in roots or any(path.startswith(f"{root}/") for root in roots)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


@rule(
    "large-artifact-committed",
    "Large model or data file in the repository",
    Severity.MEDIUM,
    "Move the file out of git (dvc add, git lfs track, or a model registry/object store), "
    "keep only the pointer file, and purge it from history (git filter-repo) if it is large.",
    Dimension.DATA,
    ("ml", "hygiene", "reproducibility"),
)
def large_artifact_committed(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """Model files over 1 MiB (medium: they are also often pickles that run code on load) and
    data files or archives over 10 MiB (low). Git LFS pointers are tiny and never match; files
    DVC tracks are skipped. For a directory (not a git checkout) untracked files are included:
    ingestion records no ``.gitignore`` facts."""
    tracked = _dvc_tracked(ctx)
    committed = "committed to git" if ctx.result.source.type == "git" else "in the source tree"
    for path, size in sorted(_sizes(ctx).items()):
        ext = _extension(path)
        if ext in MODEL_EXTENSIONS and size > MODEL_THRESHOLD:
            severity, what = Severity.MEDIUM, "model file"
        elif ext in DATA_EXTENSIONS and size > DATA_THRESHOLD:
            severity, what = Severity.LOW, "data file"
        else:
            continue
        if _under(path, tracked):
            continue
        yield Hit(path, None, f"{what} of {_mib(size)} {committed}", severity)


# Manifests that install an application environment (not library metadata, not build deps).
_APP_SOURCES = frozenset({"requirements", "pipfile", "conda"})
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
#: Installer tooling listed in environments (conda's ``- pip``): not part of the model's code.
_INSTALLERS = frozenset({"pip", "setuptools", "wheel"})


def _unpinned(req: DepRequirement) -> bool:
    """No version at all, or a VCS URL without a commit."""
    if req.pin == "unpinned":
        return True
    return bool(req.url and req.url.startswith(_VCS_PREFIXES) and not req.vcs_commit)


@rule(
    "unpinned-dependencies",
    "Dependencies without versions and no lock file",
    Severity.LOW,
    "Pin exact versions (pip-compile / uv pip compile / uv lock / poetry lock) and install from "
    "the lock file, ideally with --require-hashes.",
    Dimension.REPRODUCIBILITY,
    ("reproducibility", "supply-chain"),
)
def unpinned_dependencies(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """An application manifest (requirements file, Pipfile, conda environment) listing packages
    with no version, in a project with no lock file: every install may resolve different
    versions of torch, transformers or numpy, and results stop being reproducible. Ranges
    (``>=``) do not fire, nor do library metadata (pyproject/setup) or build requirements."""
    manifests = ctx.typed(DepManifest)
    if any(m.is_lock for m in manifests) or ctx.typed(DepLocked):
        return
    constrained = {m.path for m in manifests if m.constraints}
    by_path: dict[str, list[DepRequirement]] = {}
    totals: dict[str, int] = {}
    for req in ctx.typed(DepRequirement):
        if req.source not in _APP_SOURCES or req.group == "build" or req.path in constrained:
            continue
        totals[req.path] = totals.get(req.path, 0) + 1
        if _unpinned(req) and req.name not in _INSTALLERS:
            by_path.setdefault(req.path, []).append(req)
    for path, reqs in sorted(by_path.items()):
        unique = list(dict.fromkeys(r.name for r in reqs))
        names = ", ".join(unique[:6]) + (", ..." if len(unique) > 6 else "")
        first = min(reqs, key=lambda r: r.line or 0)
        yield Hit(
            path,
            first.line,
            f"{len(reqs)} of {totals[path]} requirements have no pinned version ({names}) and "
            "the project has no lock file",
        )
