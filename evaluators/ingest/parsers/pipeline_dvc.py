"""DVC: pipelines (dvc.yaml), their lock (dvc.lock), tracked data (*.dvc), remotes, params.

DVC is the most common way small ML projects version data and pin pipeline runs, so these
files carry the strongest reproducibility signals: a dvc.lock proves a pipeline ran with
hashed inputs and outputs; ``*.dvc`` files and remotes prove data is versioned; params files
let later stages check that every ``params:`` key a stage reads exists.

Paths inside dvc.yaml are relative to the stage's ``wdir``, itself relative to the dvc.yaml
directory; every artifact is normalised to a repo-relative path so stages of different
pipelines (and code that opens the same files) meet on the same graph node.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from hyperscore.evaluators.ingest.formats import FormatError, as_dict, as_list, load_json, load_toml
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MAX_TEXT,
    SECRET_KEY,
    PipelineDataVersion,
    PipelineDraft,
    PipelineLockStage,
    PipelineParams,
    Scalar,
    StageDraft,
    YamlDoc,
    dirname,
    emit_pipeline,
    link_by_artifacts,
    load_yaml_with_lines,
    mask_text,
    mask_url,
    normalize_path,
    scalar_text,
    stage_node,
    str_list,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

DEFAULT_PARAMS_FILE = "params.yaml"
HASH_KEYS = ("md5", "sha256", "etag", "checksum", "version_id")
MAX_PARAM_KEYS = 1000
MAX_PARAM_DEPTH = 6
MAX_FOREACH_ITEMS = 100
MAX_ENTRIES = 2000
"""Entries read per list (deps, outs, lock stages): generated files are summarised."""


# --------------------------------------------------------------------------------------------
# dvc.yaml
# --------------------------------------------------------------------------------------------


@parser("pipeline-dvc-yaml", Modality.PIPELINE, ["dvc.yaml", "dvc.yml"])
def parse_dvc_yaml(source: ParseInput) -> Iterator[Evidence]:
    """A DVC pipeline: one definition plus one stage per ``stages:`` entry (foreach kept whole)."""
    doc = load_yaml_with_lines(source.text)
    if doc.data is None:
        return
    data = doc.data
    if not isinstance(data, dict):
        raise FormatError("dvc.yaml: top level is not a mapping")
    base = dirname(source.path)
    draft = PipelineDraft(
        framework="dvc", name=source.path, line=doc.line("stages") or 1, end_line=doc.last_line
    )
    stage_specs = list(as_dict(data.get("stages")).items())[:MAX_ENTRIES]
    ends = _stage_end_lines(doc, [name for name, _ in stage_specs])
    for name, spec in stage_specs:
        stage = _dvc_stage(name, as_dict(spec), base, doc)
        stage.end_line = ends.get(name)
        draft.stages.append(stage)
    link_by_artifacts(draft.stages)
    yield from emit_pipeline(source.path, draft, doc.last_line)
    yield from _artifacts(source.path, doc, base)


class PipelineArtifact(Evidence):
    """A dvc.yaml ``artifacts:`` entry: a model or dataset declared for the model registry
    (GTO / DVC Studio). ``artifact_path`` is repo-relative; ``artifact_type`` as declared."""

    kind: Literal["pipeline.artifact"] = "pipeline.artifact"
    modality: Modality = Modality.PIPELINE
    framework: str = "dvc"
    artifact_path: str | None = None
    artifact_type: str | None = None
    labels: tuple[str, ...] = ()
    meta: dict[str, str] = {}


def _artifacts(path: str, doc: YamlDoc, base: str) -> Iterator[Evidence]:
    """``file -declares-> registry-artifact:<name> -tracks-> artifact:<path>`` per entry."""
    for name, raw in list(as_dict(as_dict(doc.data).get("artifacts")).items())[:MAX_ENTRIES]:
        spec = as_dict(raw)
        target = scalar_text(spec.get("path"))
        resolved = normalize_path(base, target) if target else None
        node = f"registry-artifact:{name}"
        links = [Link(src=f"file:{path}", dst=node, rel="declares")]
        if resolved:
            links.append(Link(src=node, dst=f"artifact:{resolved}", rel="tracks"))
        meta = {str(k): str(v)[:200] for k, v in list(as_dict(spec.get("meta")).items())[:50]}
        yield PipelineArtifact(
            path=path,
            line=doc.line("artifacts", name),
            name=name,
            text=scalar_text(spec.get("desc")),
            links=tuple(links),
            artifact_path=resolved,
            artifact_type=scalar_text(spec.get("type")),
            labels=tuple(str_list(spec.get("labels"))[:50]),
            meta=meta,
        )


def _stage_end_lines(doc: YamlDoc, names: list[str]) -> dict[str, int]:
    """Each stage ends just before the next stage (or the next top-level key) begins."""
    starts = sorted((line, name) for name in names if (line := doc.line("stages", name)))
    stages_line = doc.line("stages") or 0
    after = [line for key, line in doc.lines.items() if len(key) == 1 and line > stages_line]
    stop = min(after, default=doc.last_line + 1)
    ends: dict[str, int] = {}
    for index, (line, name) in enumerate(starts):
        following = starts[index + 1][0] if index + 1 < len(starts) else stop
        ends[name] = max(line, following - 1)
    return ends


def _dvc_stage(name: str, spec: dict[str, Any], base: str, doc: YamlDoc) -> StageDraft:
    stage = StageDraft(name=name, line=doc.line("stages", name), step_type="dvc-stage")
    body = spec
    if "foreach" in spec or "matrix" in spec:
        stage.foreach = True
        if "foreach" in spec:
            stage.foreach_over, stage.foreach_items = _foreach(name, spec["foreach"])
            body = as_dict(spec.get("do"))
        else:
            stage.foreach_over, stage.foreach_items = _matrix(name, as_dict(spec["matrix"]))
    wdir = scalar_text(body.get("wdir")) or "."
    stage_dir = normalize_path(base, wdir)
    cmd = body.get("cmd")
    stage.cmd = " && ".join(str_list(cmd)) if cmd is not None else None
    stage.inputs = [normalize_path(stage_dir, p) for p in str_list(body.get("deps"))[:MAX_ENTRIES]]
    for key, bucket in (("outs", None), ("metrics", stage.metrics), ("plots", stage.plots)):
        for out_path, uncached in _outputs(body.get(key)):
            path = normalize_path(stage_dir, out_path)
            stage.outputs.append(path)
            if bucket is not None:
                bucket.append(path)
            if uncached:
                stage.uncached_outputs.append(path)
    stage.params = _stage_params(body.get("params"), stage_dir)
    stage.frozen = body.get("frozen") is True
    stage.always_changed = body.get("always_changed") is True
    desc = scalar_text(body.get("desc"))
    stage.text = desc
    return stage


def _foreach(name: str, over: Any) -> tuple[str, list[str]]:
    """The foreach source as text, and the expanded stage names DVC would generate."""
    if isinstance(over, list):
        keys = [
            scalar_text(item) if not isinstance(item, dict | list) else str(index)
            for index, item in enumerate(over[:MAX_FOREACH_ITEMS])
        ]
        return json.dumps(over, default=str)[:MAX_TEXT], [f"{name}@{k}" for k in keys if k]
    if isinstance(over, dict):
        keys = [str(k) for k in list(over)[:MAX_FOREACH_ITEMS]]
        return json.dumps(over, default=str)[:MAX_TEXT], [f"{name}@{k}" for k in keys]
    return str(over)[:MAX_TEXT], []


def _matrix(name: str, matrix: dict[str, Any]) -> tuple[str, list[str]]:
    axes = [
        [scalar_text(v) or str(i) for i, v in enumerate(as_list(values)[:MAX_FOREACH_ITEMS])]
        for values in matrix.values()
    ]
    combos = itertools.islice(itertools.product(*axes), MAX_FOREACH_ITEMS) if axes else iter(())
    over = f"matrix({', '.join(matrix)})"
    return over, [f"{name}@{'-'.join(combo)}" for combo in combos]


def _outputs(value: Any) -> Iterator[tuple[str, bool]]:
    """``(path, uncached)`` for each entry of an outs/metrics/plots list."""
    for item in as_list(value)[:MAX_ENTRIES]:
        if isinstance(item, dict):
            for out_path, flags in item.items():
                yield str(out_path), as_dict(flags).get("cache") is False
        elif (text := scalar_text(item)) is not None:
            yield text, False


def _stage_params(value: Any, stage_dir: str) -> list[str]:
    """``<file>#<key>`` for each tracked param (``<file>#*`` when a whole file is tracked)."""
    default_file = normalize_path(stage_dir, DEFAULT_PARAMS_FILE)
    params: list[str] = []
    for item in as_list(value)[:MAX_ENTRIES]:
        if isinstance(item, dict):
            for file_name, keys in item.items():
                params_file = normalize_path(stage_dir, str(file_name))
                listed = str_list(keys) if keys else []
                params.extend(f"{params_file}#{key}" for key in listed)
                if not listed:
                    params.append(f"{params_file}#*")
        elif (key := scalar_text(item)) is not None:
            params.append(f"{default_file}#{key}")
    return params


# --------------------------------------------------------------------------------------------
# dvc.lock
# --------------------------------------------------------------------------------------------


@parser("pipeline-dvc-lock", Modality.PIPELINE, ["dvc.lock"])
def parse_dvc_lock(source: ParseInput) -> Iterator[Evidence]:
    """Locked stages (with their hashes) and one data version per locked output."""
    doc = load_yaml_with_lines(source.text, max_depth=5)
    data = doc.data
    if data is None:
        return
    if not isinstance(data, dict):
        raise FormatError("dvc.lock: top level is not a mapping")
    nested = "stages" in data or "schema" in data
    stages = as_dict(data.get("stages")) if nested else data
    prefix: tuple[str, ...] = ("stages",) if nested else ()
    base = dirname(source.path)
    pipeline = normalize_path(base, "dvc.yaml")
    for name, raw in list(stages.items())[:MAX_ENTRIES]:
        spec = as_dict(raw)
        line = doc.line(*prefix, name)
        # ``build@us`` is one expansion of the foreach stage ``build`` in dvc.yaml
        sid = stage_node("dvc", pipeline, name.split("@", 1)[0])
        deps = _lock_entries(spec.get("deps"), base)
        outs = _lock_entries(spec.get("outs"), base)
        params = [
            f"{normalize_path(base, str(file_name))}#{key}"
            for file_name, values in as_dict(spec.get("params")).items()
            for key in list(as_dict(values))[:MAX_ENTRIES]
        ]
        cmd = spec.get("cmd")
        entries = {**{p: h for p, h, _ in deps}, **{p: h for p, h, _ in outs}}
        yield PipelineLockStage(
            path=source.path,
            line=line,
            name=name,
            pipeline=pipeline,
            stage_id=sid,
            cmd=mask_text(" && ".join(str_list(cmd))) if cmd is not None else None,
            deps={p: h for p, h, _ in deps},
            outs={p: h for p, h, _ in outs},
            params=tuple(params),
            all_hashed=bool(entries) and all(entries.values()),
            links=(Link(src=f"file:{source.path}", dst=sid, rel="locks"),),
        )
        for index, (out_path, digest, entry) in enumerate(outs):
            yield _data_version(
                source.path,
                source="dvc-lock",
                target=out_path,
                digest=digest,
                entry=entry,
                line=doc.line(*prefix, name, "outs", index) or line,
            )


def _lock_entries(value: Any, base: str) -> list[tuple[str, str, dict[str, Any]]]:
    entries: list[tuple[str, str, dict[str, Any]]] = []
    for raw in as_list(value)[:MAX_ENTRIES]:
        entry = as_dict(raw)
        path = scalar_text(entry.get("path"))
        if path:
            entries.append((normalize_path(base, path), _digest(entry), entry))
    return entries


def _digest(entry: dict[str, Any]) -> str:
    """``<algo>:<value>`` of the first hash an entry records, else ``""``."""
    for key in HASH_KEYS:
        value = scalar_text(entry.get(key))
        if value:
            return f"{key}:{value}"
    return ""


def _data_version(
    path: str,
    *,
    source: Literal["dvc-file", "dvc-lock"],
    target: str,
    digest: str,
    entry: dict[str, Any],
    line: int | None,
    imported_from: str | None = None,
) -> PipelineDataVersion:
    size, nfiles = entry.get("size"), entry.get("nfiles")
    return PipelineDataVersion(
        path=path,
        line=line,
        name=target,
        source=source,
        target=target,
        hash_algo=digest.split(":", 1)[0] if digest else None,
        hashed=bool(digest),
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        nfiles=nfiles if isinstance(nfiles, int) and not isinstance(nfiles, bool) else None,
        is_dir=digest.endswith(".dir") or isinstance(nfiles, int),
        remote=scalar_text(entry.get("remote")),
        imported_from=imported_from,
        links=(Link(src=f"file:{path}", dst=f"artifact:{target}", rel="versions"),),
    )


# --------------------------------------------------------------------------------------------
# *.dvc files
# --------------------------------------------------------------------------------------------


@parser("pipeline-dvc-file", Modality.PIPELINE, ["*.dvc"])
def parse_dvc_file(source: ParseInput) -> Iterator[Evidence]:
    """Data tracked by ``dvc add`` / ``dvc import``: one data version per output."""
    doc = load_yaml_with_lines(source.text, max_depth=4)
    if doc.data is None:
        return
    if not isinstance(doc.data, dict):
        raise FormatError(".dvc file: top level is not a mapping")
    data = doc.data
    wdir = scalar_text(data.get("wdir")) or "."
    base = normalize_path(dirname(source.path), wdir)
    imported_from = None
    for dep in as_list(data.get("deps"))[:1]:
        dep_map = as_dict(dep)
        repo_url = scalar_text(as_dict(dep_map.get("repo")).get("url"))
        imported_from = mask_url(repo_url or scalar_text(dep_map.get("path")) or "") or None
    for index, raw in enumerate(as_list(data.get("outs"))[:MAX_ENTRIES]):
        entry = as_dict(raw)
        target = scalar_text(entry.get("path"))
        if not target:
            continue
        line = doc.line("outs", index) or doc.line("outs") or 1
        yield _data_version(
            source.path,
            source="dvc-file",
            target=normalize_path(base, target),
            digest=_digest(entry),
            entry=entry,
            line=line,
            imported_from=imported_from,
        )


# --------------------------------------------------------------------------------------------
# .dvc/config
# --------------------------------------------------------------------------------------------

_SECTION = re.compile(r"""^\s*\[\s*'?\s*(?P<kind>[A-Za-z_]+)(?:\s+"(?P<name>[^"]*)")?\s*'?\s*\]""")
_OPTION = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.-]+)\s*=\s*(?P<value>.*?)\s*$")
CREDENTIAL_KEYS = frozenset(
    {
        "access_key_id",
        "secret_access_key",
        "session_token",
        "password",
        "ask_password",
        "account_key",
        "sas_token",
        "connection_string",
        "credentialpath",
        "keyfile",
        "gdrive_client_secret",
        "gdrive_service_account_json_file_path",
        "token",
        "client_secret",
    }
)


@parser(
    "pipeline-dvc-config",
    Modality.PIPELINE,
    [".dvc/config", ".dvc/config.local", "**/.dvc/config", "**/.dvc/config.local"],
)
def parse_dvc_config(source: ParseInput) -> Iterator[Evidence]:
    """Each DVC remote (URL masked, credential settings named, never valued)."""
    default_remote: str | None = None
    remotes: dict[str, dict[str, Any]] = {}
    section: tuple[str, str | None] | None = None
    for number, raw in enumerate(source.lines, start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if match := _SECTION.match(raw):
            section = (match["kind"].lower(), match["name"])
            if section[0] == "remote" and section[1] is not None:
                remotes.setdefault(section[1], {"line": number, "options": {}})
            continue
        option = _OPTION.match(raw)
        if option is None or section is None:
            continue
        key, value = option["key"].lower(), option["value"].strip("'\"")
        if section == ("core", None) and key == "remote":
            default_remote = value
        elif section[0] == "remote" and section[1] is not None:
            remotes[section[1]]["options"][key] = value
    for name, remote in remotes.items():
        options: dict[str, str] = remote["options"]
        creds = sorted(k for k in options if k in CREDENTIAL_KEYS or SECRET_KEY.search(k))
        url = options.get("url")
        yield PipelineDataVersion(
            path=source.path,
            line=remote["line"],
            name=name,
            source="dvc-config",
            remote=name,
            remote_url=mask_url(url) if url else None,
            default_remote=name == default_remote,
            credential_keys=tuple(creds),
            links=(
                (Link(src=f"file:{source.path}", dst=f"artifact:{mask_url(url)}", rel="remote"),)
                if url
                else ()
            ),
        )


# --------------------------------------------------------------------------------------------
# params.yaml / params.json / params.toml
# --------------------------------------------------------------------------------------------


_PARAMS_FORMATS: dict[str, Literal["yaml", "json", "toml"]] = {
    "yaml": "yaml",
    "yml": "yaml",
    "json": "json",
    "toml": "toml",
}


@parser(
    "pipeline-params",
    Modality.PIPELINE,
    ["params.yaml", "params.yml", "params.json", "params.toml"],
)
def parse_params(source: ParseInput) -> Iterator[Evidence]:
    """Every dotted key of a DVC params file with its line (values masked when secret-like)."""
    suffix = source.name.rsplit(".", 1)[-1].lower()
    fmt = _PARAMS_FORMATS.get(suffix, "yaml")
    if fmt == "yaml":
        doc = load_yaml_with_lines(source.text, max_depth=MAX_PARAM_DEPTH + 1)
        data, lines = doc.data, doc.lines
    else:
        data = load_json(source.text) if fmt == "json" else load_toml(source.text)
        lines = {}
    if data is None:
        return
    if not isinstance(data, dict):
        raise FormatError(f"{source.name}: top level is not a mapping")
    keys: dict[str, int] = {}
    values: dict[str, Scalar] = {}
    finder = _LineFinder(source, quoted=fmt == "json")
    truncated = _flatten(data, (), keys=keys, values=values, yaml_lines=lines, finder=finder)
    last_line = max(1, len(source.lines))
    yield PipelineParams(
        path=source.path,
        line=1,
        end_line=last_line,
        name=source.path,
        format=fmt,
        keys=keys,
        values=values,
        truncated=truncated,
        links=tuple(
            Link(src=f"file:{source.path}", dst=f"param:{source.path}#{key}", rel="defines")
            for key in keys
        ),
    )


class _LineFinder:
    """Heuristic key lines for formats without marks (JSON, TOML): scan forward from the
    parent key's line for the key's name, resuming after the previous sibling, so the scan
    stays linear in the file size for ordered documents."""

    def __init__(self, source: ParseInput, quoted: bool) -> None:
        self.lines = source.lines
        self.quoted = quoted

    def find(self, key: str, start: int) -> int:
        needle = json.dumps(key) if self.quoted else key
        pattern = None if self.quoted else re.compile(rf"(?<![\w-]){re.escape(needle)}(?![\w-])")
        for index in range(max(0, start - 1), len(self.lines)):
            text = self.lines[index]
            if (needle in text) if pattern is None else (pattern.search(text) is not None):
                return index + 1
        return max(1, start)


def _flatten(
    data: dict[str, Any],
    prefix: tuple[str, ...],
    *,
    keys: dict[str, int],
    values: dict[str, Scalar],
    yaml_lines: dict[Any, int],
    finder: _LineFinder,
) -> bool:
    """Fill ``keys``/``values``; True when the key cap cut the walk short."""
    stack: list[tuple[dict[str, Any], tuple[str, ...], int]] = [(data, prefix, 1)]
    while stack:
        mapping, path, parent_line = stack.pop()
        cursor = parent_line
        children: list[tuple[dict[str, Any], tuple[str, ...], int]] = []
        for raw_key, value in mapping.items():
            if len(keys) >= MAX_PARAM_KEYS:
                return True
            key_path = (*path, str(raw_key))
            dotted = ".".join(key_path)
            line = yaml_lines.get(key_path) if yaml_lines else finder.find(str(raw_key), cursor)
            line = line or cursor
            cursor = line
            keys[dotted] = line
            if isinstance(value, dict):
                if len(key_path) < MAX_PARAM_DEPTH:
                    children.append((value, key_path, line))
            elif not isinstance(value, list):
                values[dotted] = _param_value(str(raw_key), value)
        stack.extend(reversed(children))
    return False


def _param_value(key: str, value: Any) -> Scalar:
    if SECRET_KEY.search(key) and value not in (None, "", True, False):
        return "***"
    if isinstance(value, str | int | float | bool) or value is None:
        return value[:200] if isinstance(value, str) else value
    return str(value)[:200]
