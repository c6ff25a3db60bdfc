"""Drive parsers over a source tree: decode, dispatch, record what could not be read.

The walker is the only place that turns bytes into text and the only place that catches parser
exceptions, so every parser stays a small pure function and every failure becomes an
``Unparseable`` item (one line, naming the parser) instead of a traceback or a lost file.
"""

from __future__ import annotations

import codecs
import gc
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.registry import ParseInput, Parser, ParserIndex, load_parsers
from hyperscore.evaluators.ingest.source import SourceFile, SourceTree
from hyperscore.evaluators.model import Evidence, FileInfo, IngestStats, Omitted, Unparseable

ProgressFn = Callable[[int, str], None]

# Extension -> language, for FileInfo; only what later stages ask about.
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ipynb": "notebook",
    ".sh": "shell",
    ".bash": "shell",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".cfg": "ini",
    ".ini": "ini",
    ".tf": "terraform",
    ".bicep": "bicep",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".scala": "scala",
    ".r": "r",
    ".jl": "julia",
    ".js": "javascript",
    ".ts": "typescript",
    ".sql": "sql",
    ".cpp": "c++",
    ".cc": "c++",
    ".c": "c",
    ".h": "c",
    ".cu": "cuda",
    ".groovy": "groovy",
    ".proto": "protobuf",
    # Model and data artefacts: flagged when committed, never read.
    ".pkl": "pickle",
    ".pickle": "pickle",
    ".joblib": "pickle",
    ".pt": "torch",
    ".pth": "torch",
    ".ckpt": "checkpoint",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".onnx": "onnx",
    ".safetensors": "safetensors",
    ".pb": "protobuf-binary",
    ".tflite": "tflite",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".feather": "feather",
    ".npy": "numpy",
    ".npz": "numpy",
    ".bin": "binary",
}
_NAMED: dict[str, str] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "make",
    "jenkinsfile": "groovy",
    "pipfile": "toml",
}

_BINARY_SNIFF = 8192

# Project templates (cookiecutter, copier, Databricks/Go templates, Jinja): the rubric scores a
# template by the project it would generate, so a templated file is parsed as the file it
# renders to. Template suffixes are dropped for matching, a templated directory name starts
# the rendered project's root, and template syntax is replaced by a neutral placeholder.
TEMPLATE_SUFFIXES = (".tmpl", ".tpl", ".j2", ".jinja", ".jinja2", ".template")
_TEMPLATE_DIR = re.compile(r"\{\{|\{%|cookiecutter")
_TEMPLATE_BLOCK = re.compile(
    r"^[ \t]*\{%-?.*?-?%\}[ \t]*$"
    r"|^[ \t]*\{\{-?\s*(?:if|else|end|range|with|define|template|block|/\*)\b.*?\}\}[ \t]*$",
    re.M,
)
# Control actions inside a line (``...){{else}}``, ``{{ if .x }}import y{{ end }}``) render to
# nothing; only expressions produce text.
_TEMPLATE_INLINE_CONTROL = re.compile(
    r"\{\{-?\s*(?:if|else|end|range|with|define|block)\b[^{}]*?-?\}\}"
    r"|\{%-?\s*(?:if|elif|else|endif|for|endfor|set|macro|endmacro|raw|endraw)\b.*?-?%\}"
)
_TEMPLATE_EXPR = re.compile(r"\{\{-?.*?-?\}\}|\{%-?.*?-?%\}", re.S)
TEMPLATE_PLACEHOLDER = "tmplvar"


def effective_path(path: str) -> tuple[str, bool]:
    """The path a templated file renders to (for parser matching), and whether it is one."""
    if "{" not in path and "cookiecutter" not in path:  # fast path: the common case
        low = path.lower()
        if not low.endswith(TEMPLATE_SUFFIXES):
            return path, False
    parts = path.split("/")
    templated = False
    for idx in range(len(parts) - 1, -1, -1):
        if _TEMPLATE_DIR.search(parts[idx]) and idx < len(parts) - 1:
            parts = parts[idx + 1 :]
            templated = True
            break
    name = parts[-1]
    low = name.lower()
    for suffix in TEMPLATE_SUFFIXES:
        if low.endswith(suffix) and len(name) > len(suffix):
            parts[-1] = name[: -len(suffix)]
            templated = True
            break
    return "/".join(parts), templated


def render_template(text: str) -> str:
    """Neutralise template syntax: control lines vanish, expressions become a placeholder."""
    if "{{" not in text and "{%" not in text:
        return text
    text = _TEMPLATE_BLOCK.sub("", text)
    text = _TEMPLATE_INLINE_CONTROL.sub("", text)
    return _TEMPLATE_EXPR.sub(TEMPLATE_PLACEHOLDER, text)


def language_of(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1].lower()
    if name in _NAMED:
        return _NAMED[name]
    if name.startswith("dockerfile") or name.endswith(".dockerfile"):
        return "dockerfile"
    dot = name.rfind(".")
    return LANGUAGES.get(name[dot:]) if dot > 0 else None


def decode(data: bytes) -> tuple[str, str] | None:
    """Decode text, or return None for binary content.

    UTF-8 first (with or without BOM), then UTF-16 when a BOM says so; NUL bytes mean binary.
    Anything else is read as Latin-1 so a stray byte never loses a whole file; the encoding
    is recorded on the file's ``FileInfo``.
    """
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    if b"\x00" in data[:_BINARY_SNIFF]:
        return None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


# Collector thresholds while walking. Evidence accumulates (hundreds of thousands of objects
# for a large repository) and parsers allocate heavily, so with the defaults the collector
# re-scans the growing evidence list again and again: about a quarter of the walk's CPU time
# at 20,000 files. Parsers create almost no reference cycles, and young ones are still
# collected by the (rarer) young-generation passes.
_WALK_GC_THRESHOLDS = (20_000, 50, 1_000)


class _RelaxedCollector:
    """Relaxes the cyclic collector's thresholds while any walk runs, then restores them.

    Reference-counted under a lock, so concurrent walks in threads neither fight over the
    setting nor leave it relaxed; a host process that disabled collection is left alone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._saved = gc.get_threshold()
                if self._saved[0] != 0:
                    gc.set_threshold(
                        *(
                            max(old, new)
                            for old, new in zip(self._saved, _WALK_GC_THRESHOLDS, strict=True)
                        )
                    )
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0 and self._saved[0] != 0:
                    gc.set_threshold(*self._saved)


_bulk_allocation = _RelaxedCollector()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:300]


@dataclass
class Walker:
    """Runs every matching parser on every file of a source tree."""

    parsers: list[Parser] = field(default_factory=load_parsers)
    progress: ProgressFn | None = None
    stats: IngestStats = field(default_factory=IngestStats)
    _index: ParserIndex = field(init=False, repr=False)
    _seen: int = field(default=0, init=False, repr=False)
    _parsed: int = field(default=0, init=False, repr=False)
    _bytes: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = ParserIndex(self.parsers)

    def run(self, tree: SourceTree, files: Iterable[SourceFile] | None = None) -> list[Evidence]:
        """Parse ``files`` (default: a fresh ``tree.walk()``) and collect the tree's omissions."""
        started = time.perf_counter()
        # Plain counters while walking: assigning to the pydantic stats model per file is slow.
        self._seen = self._parsed = self._bytes = 0
        evidence: list[Evidence] = []
        with _bulk_allocation():
            for count, source_file in enumerate(tree.walk() if files is None else files, start=1):
                evidence.extend(self._file(source_file))
                if self.progress is not None and count % 200 == 0:
                    self.progress(count, source_file.path)
        evidence.extend(tree.omitted)
        self.stats.files_seen += self._seen
        self.stats.files_parsed += self._parsed
        self.stats.bytes_read += self._bytes
        self.stats.seconds = round(time.perf_counter() - started, 4)
        self._count(evidence)
        return evidence

    def _file(self, source_file: SourceFile) -> Iterator[Evidence]:
        self._seen += 1
        path = source_file.path
        match_path, templated = effective_path(path)
        language = language_of(match_path)
        matching = self._index.for_path(match_path)
        if not matching:
            yield FileInfo(path=path, size=source_file.size, language=language)
            return
        try:
            data = source_file.read_bytes()
        except OSError as exc:
            yield FileInfo(path=path, size=source_file.size, language=language)
            yield Omitted(path=path, reason="unreadable", detail=_one_line(exc))
            return
        self._bytes += len(data)
        decoded = decode(data)
        if decoded is None:
            yield FileInfo(path=path, size=len(data), language=language, binary=True)
            yield Omitted(
                path=path,
                reason="binary",
                size=len(data),
                detail="binary content where " + matching[0].name + " expected text",
            )
            return
        text, encoding = decoded
        yield FileInfo(
            path=path,
            size=len(data),
            language=language,
            encoding=encoding,
            lines=text.count("\n") + (0 if text.endswith("\n") or not text else 1),
        )
        self._parsed += 1
        parse_input = ParseInput(path=path, text=render_template(text) if templated else text)
        for parser in matching:
            yield from self._parse(parser, parse_input)

    @staticmethod
    def _parse(parser: Parser, parse_input: ParseInput) -> Iterable[Evidence]:
        try:
            items = list(parser.parse(parse_input))
        except RecursionError:
            return [
                Unparseable(
                    path=parse_input.path, parser=parser.name, reason="nested too deeply to parse"
                )
            ]
        except Exception as exc:  # any parser failure is recorded, never raised
            return [Unparseable(path=parse_input.path, parser=parser.name, reason=_one_line(exc))]
        return items

    def _count(self, evidence: list[Evidence]) -> None:
        by_modality: dict[str, int] = {}
        by_kind: dict[str, int] = {}
        for item in evidence:
            by_modality[item.modality.value] = by_modality.get(item.modality.value, 0) + 1
            by_kind[item.kind] = by_kind.get(item.kind, 0) + 1
        self.stats.by_modality = dict(sorted(by_modality.items()))
        self.stats.by_kind = dict(sorted(by_kind.items()))
        self.stats.unparseable = by_kind.get("unparseable", 0)
        reasons: dict[str, int] = {}
        for item in evidence:
            if isinstance(item, Omitted):
                reasons[item.reason] = reasons.get(item.reason, 0) + 1
        self.stats.omitted = dict(sorted(reasons.items()))
