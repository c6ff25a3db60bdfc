"""A project's practice evidence as short texts comparable with knowledge-base entries.

Novelty compares *what a project actually does* with labelled examples, so each chunk is
written the way such a thing appears in a project -- the same surface form as the corpus:

* prose: README/doc sentences and module docstrings (``semantic.chunks_from``);
* code: Python source lines when the project is a local folder (this catches code the parser
  cannot read, such as Python 2 ``print "x"``), otherwise import statements rebuilt from
  ``code.import`` evidence; shell commands of scripts and notebooks;
* CI: each step command and action reference; the CI system and its Python matrix;
* containers: ``FROM <ref>`` for Dockerfile base images, ``image: <ref>`` elsewhere;
* pipelines: each stage command; dependencies as ``name<specifier>`` lines;
* committed model binaries as "<path> committed to the git repository".

Chunks are deduplicated by text and capped (``MAX_CHUNKS``) so cost stays bounded on large
repositories; README and docs come first, as in the semantic parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from hyperscore.evaluators.decompose.semantic import Chunk, chunks_from
from hyperscore.evaluators.model import Evidence, IngestResult

MAX_CHUNKS = 2000
MAX_LINES_PER_FILE = 80
MIN_LINE_CHARS = 8
MAX_CHUNK_CHARS = 400
MODEL_SUFFIXES = (".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".pt", ".pth", ".ckpt", ".sav")
_TRIVIAL = {"pass", "return", "else:", "try:", "finally:", "continue", "break", '"""', "'''"}


def local_root(result: IngestResult) -> Path | None:
    """The project folder when the source is a local directory (raw lines can be read)."""
    if result.source.type != "directory":
        return None
    root = Path(result.source.location)
    return root if root.is_dir() else None


def practice_chunks(result: IngestResult, root: Path | None = None) -> list[Chunk]:
    """The project's practice evidence as deduplicated chunks, prose first."""
    root = root if root is not None else local_root(result)
    prose = chunks_from(result)
    python_files = [
        e.path
        for e in result.evidence
        if e.kind == "file" and getattr(e, "language", None) == "python"
    ]
    code: list[Chunk] = []
    if root is not None:
        for rel in python_files:
            code.extend(_source_lines(root, rel))
    for item in result.evidence:
        if item.kind == "code.import" and root is not None:
            continue  # the raw line is already there, verbatim
        code.extend(_evidence_chunks(item))
    seen: set[str] = set()
    out: list[Chunk] = []
    for chunk in [*prose, *code]:
        key = " ".join(chunk.text.lower().split())
        if key and key not in seen:
            seen.add(key)
            out.append(chunk)
    return out[:MAX_CHUNKS]


def _source_lines(root: Path, rel: str) -> Iterator[Chunk]:
    try:
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    kept = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if (
            len(line) < MIN_LINE_CHARS
            or line.startswith(("#", "@"))
            or line in _TRIVIAL
            or not any(c.isalpha() for c in line)
        ):
            continue
        yield Chunk(line[:MAX_CHUNK_CHARS], rel, number, "code.line")
        kept += 1
        if kept >= MAX_LINES_PER_FILE:
            return


def _evidence_chunks(item: Evidence) -> Iterable[Chunk]:
    def chunk(text: str) -> Chunk:
        return Chunk(text[:MAX_CHUNK_CHARS], item.path, item.line, item.kind)

    kind = item.kind
    if kind == "code.import":
        module, names = str(getattr(item, "module", "")), getattr(item, "names", ())
        alias = getattr(item, "alias", None)
        if names:
            yield chunk(f"from {module} import {', '.join(names)}")
        else:
            yield chunk(f"import {module}" + (f" as {alias}" if alias else ""))
    elif kind == "code.shell_command":
        yield chunk(str(getattr(item, "command", "")))
    elif kind == "ci.step":
        uses = getattr(item, "uses", None)
        if uses is not None:
            action, ref = getattr(uses, "action", ""), getattr(uses, "ref", None)
            yield chunk(f"uses: {action}@{ref}" if ref else f"uses: {action}")
        for command in getattr(item, "commands", ()) or ():
            yield chunk(str(command))
    elif kind == "ci.pipeline":
        system = getattr(item, "system", "")
        yield chunk(f"{system} CI configuration in {item.path}")
        for version in getattr(item, "python_versions", ()) or ():
            yield chunk(f"python-version: '{version}' in the CI matrix")
    elif kind == "ci.job":
        for runner in getattr(item, "runs_on", ()) or ():
            yield chunk(f"runs-on: {runner}")
    elif kind == "infra.image_ref":
        ref = str(getattr(item, "ref", ""))
        yield chunk(
            f"FROM {ref}" if getattr(item, "source", "") == "dockerfile" else f"image: {ref}"
        )
    elif kind == "pipeline.stage":
        cmd = getattr(item, "cmd", None)
        if cmd:
            yield chunk(str(cmd))
    elif kind == "dep.requirement":
        yield chunk(f"{item.name}{getattr(item, 'specifier', '') or ''}")
    elif kind == "file" and item.path.lower().endswith(MODEL_SUFFIXES):
        yield chunk(f"{item.path} committed to the git repository")
