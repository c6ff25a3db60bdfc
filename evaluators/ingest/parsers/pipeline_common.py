"""Shared vocabulary for every ML-pipeline parser (DVC, MLproject, Python frameworks, specs).

All pipeline parsers describe what they find with the same few evidence kinds, so the later
stages ("is there a gate before every deploy step?", "are the params a stage reads defined?")
never care which framework a project uses. Parsers build :class:`PipelineDraft` values and
:func:`emit_pipeline` turns them into evidence with graph links, roles and clamped lines.

Graph nodes written here:

* ``pipeline:<framework>:<pipeline>`` -- one per pipeline definition;
* ``stage:<framework>:<pipeline>/<stage>`` -- one per stage (task, step, op, node);
* ``artifact:<path-or-uri>`` -- data and model files, repo-relative where they are paths;
* ``param:<params-file>#<dotted.key>`` -- one parameter key.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hyperscore.evaluators.ingest.formats import (
    LimitedLoader,
    as_format_error,
    check_depth,
)
from hyperscore.evaluators.model import Evidence, Link, Modality

Role = Literal["data", "train", "evaluate", "gate", "register", "deploy", "other"]
Scalar = str | int | float | bool | None

MAX_STAGES = 500
"""Stages kept per pipeline: a generated file with thousands of tasks is summarised, not copied."""
MAX_PATHS = 200
"""Inputs / outputs / params kept per stage."""
MAX_TEXT = 500
"""Characters kept of a command, condition or description."""


class StageParameter(BaseModel):
    """A declared parameter of an entry point, component or flow (name, type, default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str | None = None
    default: str | None = None


class PipelineDefinition(Evidence):
    """One pipeline (DAG, flow, job, dvc.yaml, MLproject) and how it is triggered.

    ``triggers`` holds the kinds of automatic start found (``schedule``, ``sensor``,
    ``event``, ``dataset``, ``drift``); ``has_retraining_trigger`` is true when any is present,
    i.e. the pipeline can re-run without a person starting it.
    """

    kind: Literal["pipeline.definition"] = "pipeline.definition"
    modality: Modality = Modality.PIPELINE
    framework: str
    schedule: str | None = None
    triggers: tuple[str, ...] = ()
    has_retraining_trigger: bool = False
    stage_count: int = 0
    stages: tuple[str, ...] = ()
    parameters: tuple[StageParameter, ...] = ()


class PipelineStage(Evidence):
    """One stage of a pipeline with its data flow and dependencies.

    ``outputs`` lists every output; ``metrics`` and ``plots`` repeat the outputs that are
    metric or plot files. ``upstream`` names stages of the same pipeline that must finish first
    (explicit dependencies and data passing). ``params`` are ``<file>#<dotted.key>`` strings.
    ``condition`` is the guarding expression when the stage only runs under a condition.
    """

    kind: Literal["pipeline.stage"] = "pipeline.stage"
    modality: Modality = Modality.PIPELINE
    framework: str
    pipeline: str
    stage_id: str
    role: Role = "other"
    cmd: str | None = None
    image: str | None = None
    step_type: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    uncached_outputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    parameters: tuple[StageParameter, ...] = ()
    upstream: tuple[str, ...] = ()
    condition: str | None = None
    foreach: bool = False
    foreach_over: str | None = None
    foreach_items: tuple[str, ...] = ()
    frozen: bool = False
    always_changed: bool = False


class PipelineTrigger(Evidence):
    """A schedule, sensor or event trigger, possibly for a pipeline defined elsewhere.

    ``target`` names the pipeline (or file) it starts when that is known.
    """

    kind: Literal["pipeline.trigger"] = "pipeline.trigger"
    modality: Modality = Modality.PIPELINE
    framework: str
    trigger: Literal["schedule", "sensor", "event", "dataset", "drift"]
    schedule: str | None = None
    target: str | None = None


class PipelineDataVersion(Evidence):
    """Data under version control: a ``*.dvc`` file entry, a dvc.lock output, or a remote.

    ``source`` tells which: for ``dvc-config`` the item is a remote (``name`` is the remote,
    ``remote_url`` its masked URL, ``credential_keys`` the names of credential settings that
    are present -- never their values).
    """

    kind: Literal["pipeline.data_version"] = "pipeline.data_version"
    modality: Modality = Modality.PIPELINE
    source: Literal["dvc-file", "dvc-lock", "dvc-config"]
    target: str | None = None
    hash_algo: str | None = None
    hashed: bool = False
    size: int | None = None
    nfiles: int | None = None
    is_dir: bool = False
    remote: str | None = None
    remote_url: str | None = None
    default_remote: bool = False
    imported_from: str | None = None
    credential_keys: tuple[str, ...] = ()


class PipelineParams(Evidence):
    """A parameters file (params.yaml/json/toml): every dotted key with its line.

    ``keys`` holds intermediate and leaf keys (a stage may track a whole section);
    ``values`` the scalar leaves, secret-looking ones masked. ``truncated`` when capped.
    """

    kind: Literal["pipeline.params"] = "pipeline.params"
    modality: Modality = Modality.PIPELINE
    format: Literal["yaml", "json", "toml"]
    keys: dict[str, int] = Field(default_factory=dict)
    values: dict[str, Scalar] = Field(default_factory=dict)
    truncated: bool = False


class PipelineLockStage(Evidence):
    """A dvc.lock stage: proof that the stage ran and its inputs/outputs are pinned by hash.

    ``deps``/``outs`` map each path to ``<algo>:<hash>`` (or ``""`` when no hash recorded).
    """

    kind: Literal["pipeline.lock_stage"] = "pipeline.lock_stage"
    modality: Modality = Modality.PIPELINE
    framework: str = "dvc"
    pipeline: str
    stage_id: str
    cmd: str | None = None
    deps: dict[str, str] = Field(default_factory=dict)
    outs: dict[str, str] = Field(default_factory=dict)
    params: tuple[str, ...] = ()
    all_hashed: bool = False


class MLProjectSpec(Evidence):
    """An MLflow ``MLproject`` file: its environment and entry points."""

    kind: Literal["pipeline.mlproject"] = "pipeline.mlproject"
    modality: Modality = Modality.PIPELINE
    env_type: Literal["conda", "python", "docker", "none"] = "none"
    env_file: str | None = None
    docker_image: str | None = None
    entry_points: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Role classification
# --------------------------------------------------------------------------------------------

ROLE_PRECEDENCE: tuple[Role, ...] = ("deploy", "register", "gate", "train", "evaluate", "data")
"""When a name carries several roles the earlier wins: a stage that evaluates *and* deploys is a
deploy stage (its internal check does not precede it); ``train_and_evaluate`` is training."""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The words (exact tokens) that mark each role. Tokens come from splitting names on
# punctuation and camelCase, lowered: ``RegisterModelStep`` -> register, model, step.
ROLE_WORDS: dict[Role, frozenset[str]] = {
    "deploy": _words(
        "deploy deployer deployment deployments serve serving server endpoint endpoints rollout"
        " release promote promotion publish push canary ship kserve seldon bentoml host hosting"
    ),
    "register": _words("register registry registration registered"),
    "gate": _words(
        "gate gating check checks checker validate validation validator approve approval"
        " threshold condition conditional guard assert compare comparison decide decision branch"
        " shortcircuit quality sanity verify verification champion challenger if elif"
    ),
    "train": _words(
        "train training trainer retrain fit tune tuning tuner hpo hyperparameter hyperparameters"
        " finetune finetuning automl"
    ),
    "evaluate": _words(
        "evaluate evaluation evaluator eval evals test tests testing score scoring metric metrics"
        " benchmark assess assessment"
    ),
    "data": _words(
        "data dataset datasets ingest ingestion load loader extract prepare preparation prep"
        " preprocess preprocessing process processing feature features featurize featurization"
        " split clean cleaning transform etl download fetch collect label labeling augment sample"
        " sampling query raw"
    ),
}

# Multi-word phrases that override single tokens (all tokens must be present).
ROLE_PHRASES: tuple[tuple[frozenset[str], Role], ...] = (
    (frozenset({"train", "test", "split"}), "data"),
    (frozenset({"model", "upload"}), "register"),
    (frozenset({"create", "model"}), "register"),
    (frozenset({"short", "circuit"}), "gate"),
)

# Step / operator types whose role is fixed regardless of the stage name.
STEP_TYPE_ROLES: dict[str, Role] = {
    "ConditionStep": "gate",
    "Condition": "gate",
    "QualityCheckStep": "gate",
    "ClarifyCheckStep": "gate",
    "QualityCheck": "gate",
    "ClarifyCheck": "gate",
    "dsl.Condition": "gate",
    "dsl.If": "gate",
    "dsl.Elif": "gate",
    "dsl.Else": "gate",
    "if": "gate",
    "BranchPythonOperator": "gate",
    "ShortCircuitOperator": "gate",
    "task.branch": "gate",
    "task.short_circuit": "gate",
    "RegisterModel": "register",
    "RegisterModelStep": "register",
    "ModelStep": "register",
    "CreateModelStep": "register",
    "Model": "register",
    "RegisterModelOp": "register",
    "TrainingStep": "train",
    "TuningStep": "train",
    "Training": "train",
    "Tuning": "train",
}

# Tokens carrying no role information in step types (``PythonOperator``, ``ProcessingStep``).
_GENERIC_TYPE_TOKENS = _words(
    "python bash operator step op component task job docker kubernetes pod container command"
    " function lambda emr callback"
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def name_tokens(text: str) -> list[str]:
    """Split an identifier or command into lower-case words (snake, kebab, camel, paths)."""
    words: list[str] = []
    for chunk in _NON_WORD.split(text[:MAX_TEXT]):
        if chunk:
            words.extend(w.lower() for w in _CAMEL.split(chunk) if w)
    return words


def _role_of_tokens(tokens: Sequence[str], ignore: frozenset[str] = frozenset()) -> Role | None:
    present = {t for t in tokens if t not in ignore}
    if not present:
        return None
    for phrase, role in ROLE_PHRASES:
        if phrase <= present:
            return role
    for role in ROLE_PRECEDENCE:
        if present & ROLE_WORDS[role]:
            return role
    return None


def classify_role(
    name: str, cmd: str | None = None, step_type: str | None = None, condition: bool = False
) -> Role:
    """Role of a stage from, in order: a fixed step type, its name, its type's words, its cmd.

    ``condition`` marks stages that exist only to evaluate a condition (gates).
    """
    if step_type:
        fixed = STEP_TYPE_ROLES.get(step_type) or STEP_TYPE_ROLES.get(step_type.rsplit(".", 1)[-1])
        if fixed:
            return fixed
    if condition:
        return "gate"
    role = _role_of_tokens(name_tokens(name))
    if role is None and step_type:
        role = _role_of_tokens(name_tokens(step_type), _GENERIC_TYPE_TOKENS)
    if role is None and cmd:
        role = _role_of_tokens(name_tokens(cmd), frozenset({"python", "py", "src", "sh", "m"}))
    return role or "other"


# --------------------------------------------------------------------------------------------
# Secrets and paths
# --------------------------------------------------------------------------------------------

SECRET_KEY = re.compile(
    r"(?:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential"
    r"|auth|sas|connection[_-]?string|account[_-]?key|session[_-]?key)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:]*)(?P<password>:[^/@\s]*)?@"
)
_SENSITIVE_WORD = (
    r"(?:password|passwd|pwd|secret(?:[_-]?(?:access[_-]?)?key)?|token|api[_-]?key"
    r"|access[_-]?key(?:[_-]?id)?|private[_-]?key|credentials?|signature)"
)
_SENSITIVE_VALUE = r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s&;|,)]+)"
# ``key=value`` / ``key: value`` where the key ends with a secret word (``max_tokens=5`` does
# not match: the key must end with the word), and CLI flags ``--password value``.
_INLINE_SECRET = re.compile(
    rf"(?P<key>(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*{_SENSITIVE_WORD})(?P<sep>\s*[=:]\s*){_SENSITIVE_VALUE}",
    re.IGNORECASE,
)
_FLAG_SECRET = re.compile(
    rf"(?P<key>(?<![A-Za-z0-9_-])--?[A-Za-z0-9_.-]*{_SENSITIVE_WORD})(?P<sep>\s+){_SENSITIVE_VALUE}",
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]+")
MASK = "***"


def _mask_userinfo(match: re.Match[str]) -> str:
    if match["password"]:
        return f"{match['scheme']}{match['user']}:{MASK}@"
    return match.group(0)


def _mask_inline(match: re.Match[str]) -> str:
    value = match["value"].strip("\"'")
    if value.startswith(("$", "{")):  # a reference (${{ secrets.X }}, $TOKEN), not a value
        return match.group(0)
    return f"{match['key']}{match['sep']}{MASK}"


def mask_url(url: str) -> str:
    """A URL with any password and every query value replaced by ``***`` (SAS tokens etc.)."""
    masked = _URL_USERINFO.sub(_mask_userinfo, url)
    if "?" in masked:
        base, _, query = masked.partition("?")
        parts = [p.split("=", 1)[0] + (f"={MASK}" if "=" in p else "") for p in query.split("&")]
        masked = f"{base}?{'&'.join(parts)}"
    return masked


def mask_text(text: str) -> str:
    """A command or expression with credential-looking values masked; capped in length."""
    masked = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text[:MAX_TEXT])
    return _FLAG_SECRET.sub(_mask_inline, _INLINE_SECRET.sub(_mask_inline, masked))


def is_uri(path: str) -> bool:
    """True for ``s3://...``, ``gs://``, ``https://``, ``remote://`` and the like."""
    head, sep, _ = path.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").replace(".", "").isalnum()


def normalize_path(base_dir: str, path: str) -> str:
    """``path`` (relative to ``base_dir``) as a clean POSIX path relative to the repo root.

    URIs and absolute paths are returned unchanged; trailing slashes are dropped so that
    ``data/`` and ``data`` name the same artifact.
    """
    path = path.strip()
    if not path or is_uri(path) or path.startswith("/"):
        return path
    joined = posixpath.join(base_dir, path) if base_dir not in ("", ".") else path
    normal = posixpath.normpath(joined)
    return "" if normal == "." else normal


def dirname(path: str) -> str:
    return posixpath.dirname(path)


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------

MAX_INDEXED_NODES = 20_000
"""Upper bound on YAML nodes visited when indexing lines: alias reuse cannot make it explode."""

PathKey = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """The first document of a YAML stream plus the 1-based line of every indexed key path."""

    data: Any
    lines: dict[PathKey, int]
    last_line: int

    def line(self, *path: str | int) -> int | None:
        return self.lines.get(path)


def load_yaml_with_lines(text: str, max_depth: int = 8) -> YamlDoc:
    """Load the first YAML document with formats' limited loader, keeping key line numbers.

    Composes once (the alias and depth limits of ``formats`` apply) and constructs the data
    from the same node tree, so the text is parsed only once.
    """
    loader = LimitedLoader(text)
    try:
        node = loader.get_node() if loader.check_node() else None
        data = loader.construct_document(node) if node is not None else None
    except Exception as exc:  # one-line FormatError for any loading failure
        raise as_format_error(exc) from None
    finally:
        loader.dispose()
    check_depth(data)  # alias bombs and cycles are unparseable, never expanded
    lines: dict[PathKey, int] = {}
    if node is not None:
        _index_node(node, (), lines, max_depth)
    return YamlDoc(data=data, lines=lines, last_line=max(1, len(text.splitlines())))


def _index_node(root: yaml.Node, prefix: PathKey, out: dict[PathKey, int], max_depth: int) -> None:
    stack: list[tuple[yaml.Node, PathKey]] = [(root, prefix)]
    seen: set[int] = set()
    while stack and len(out) < MAX_INDEXED_NODES:
        node, path = stack.pop()
        if id(node) in seen or len(path) >= max_depth:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    child = (*path, str(key_node.value))
                    out.setdefault(child, key_node.start_mark.line + 1)
                    stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                out.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child))


# --------------------------------------------------------------------------------------------
# Drafts -> evidence
# --------------------------------------------------------------------------------------------


@dataclass
class StageDraft:
    """A stage as a parser sees it, before ids, roles and links are derived."""

    name: str
    line: int | None = None
    end_line: int | None = None
    cmd: str | None = None
    image: str | None = None
    step_type: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    uncached_outputs: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    parameters: list[StageParameter] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    condition: str | None = None
    is_condition: bool = False
    foreach: bool = False
    foreach_over: str | None = None
    foreach_items: list[str] = field(default_factory=list)
    frozen: bool = False
    always_changed: bool = False
    role: Role | None = None
    text: str | None = None


@dataclass
class PipelineDraft:
    """A pipeline and its stages as a parser sees them."""

    framework: str
    name: str
    line: int | None = None
    end_line: int | None = None
    stages: list[StageDraft] = field(default_factory=list)
    schedule: str | None = None
    triggers: list[str] = field(default_factory=list)
    parameters: list[StageParameter] = field(default_factory=list)
    text: str | None = None

    def add_trigger(self, trigger: str, schedule: str | None = None) -> None:
        if trigger not in self.triggers:
            self.triggers.append(trigger)
        if schedule and not self.schedule:
            self.schedule = schedule[:MAX_TEXT]


def pipeline_node(framework: str, pipeline: str) -> str:
    return f"pipeline:{framework}:{pipeline}"


def stage_node(framework: str, pipeline: str, stage: str) -> str:
    return f"stage:{framework}:{pipeline}/{stage}"


def clamp_lines(
    line: int | None, end_line: int | None, last_line: int
) -> tuple[int | None, int | None]:
    """Lines inside ``1..last_line`` with ``end_line >= line`` (or both None)."""
    if line is None:
        return None, None
    line = min(max(1, line), last_line)
    if end_line is None:
        return line, None
    return line, min(max(line, end_line), last_line)


def _capped(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item[:MAX_TEXT])
            if len(out) >= MAX_PATHS:
                break
    return tuple(out)


def emit_pipeline(path: str, draft: PipelineDraft, last_line: int) -> Iterator[Evidence]:
    """The definition and stage evidence (with links) for one drafted pipeline.

    Upstream names that are not stages of the pipeline are dropped: an edge must point at a
    node that exists.
    """
    stages = draft.stages[:MAX_STAGES]
    names = {s.name for s in stages}
    pipe_id = pipeline_node(draft.framework, draft.name)
    file_id = f"file:{path}"
    line, end_line = clamp_lines(draft.line, draft.end_line, last_line)
    stage_ids = [stage_node(draft.framework, draft.name, s.name) for s in stages]
    triggers = tuple(dict.fromkeys(draft.triggers))
    yield PipelineDefinition(
        path=path,
        line=line,
        end_line=end_line,
        name=draft.name,
        text=mask_text(draft.text) if draft.text else None,
        framework=draft.framework,
        schedule=mask_text(draft.schedule) if draft.schedule else None,
        triggers=triggers,
        has_retraining_trigger=bool(triggers),
        stage_count=len(draft.stages),
        stages=tuple(s.name for s in stages),
        parameters=safe_parameters(draft.parameters),
        links=(
            Link(src=file_id, dst=pipe_id, rel="defines"),
            *(Link(src=pipe_id, dst=sid, rel="contains") for sid in stage_ids),
        ),
    )
    for stage, sid in zip(stages, stage_ids, strict=True):
        yield _stage_evidence(
            path, draft=draft, stage=stage, sid=sid, names=names, last_line=last_line
        )


def _stage_evidence(
    path: str, *, draft: PipelineDraft, stage: StageDraft, sid: str, names: set[str], last_line: int
) -> PipelineStage:
    upstream = _capped(u for u in stage.upstream if u in names and u != stage.name)
    inputs, outputs = _capped(stage.inputs), _capped(stage.outputs)
    params = _capped(stage.params)
    links = [Link(src=f"file:{path}", dst=sid, rel="defines")]
    links.extend(
        Link(src=sid, dst=stage_node(draft.framework, draft.name, up), rel="after")
        for up in upstream
    )
    links.extend(Link(src=sid, dst=f"artifact:{p}", rel="consumes") for p in inputs if _linkable(p))
    links.extend(
        Link(src=sid, dst=f"artifact:{p}", rel="produces") for p in outputs if _linkable(p)
    )
    for param in params:
        file_name, _, key = param.partition("#")
        if key == "*":  # the whole file is tracked
            links.append(Link(src=sid, dst=f"file:{file_name}", rel="reads-param"))
        elif key:
            links.append(Link(src=sid, dst=f"param:{param}", rel="reads-param"))
    cmd = mask_text(stage.cmd) if stage.cmd else None
    role = stage.role or classify_role(stage.name, cmd, stage.step_type, stage.is_condition)
    line, end_line = clamp_lines(stage.line, stage.end_line, last_line)
    return PipelineStage(
        path=path,
        line=line,
        end_line=end_line,
        name=stage.name,
        text=mask_text(stage.text) if stage.text else None,
        links=tuple(links),
        framework=draft.framework,
        pipeline=draft.name,
        stage_id=sid,
        role=role,
        cmd=cmd,
        image=stage.image[:MAX_TEXT] if stage.image else None,
        step_type=stage.step_type,
        inputs=inputs,
        outputs=outputs,
        metrics=_capped(stage.metrics),
        plots=_capped(stage.plots),
        uncached_outputs=_capped(stage.uncached_outputs),
        params=params,
        parameters=safe_parameters(stage.parameters),
        upstream=upstream,
        condition=mask_text(stage.condition) if stage.condition else None,
        foreach=stage.foreach,
        foreach_over=stage.foreach_over[:MAX_TEXT] if stage.foreach_over else None,
        foreach_items=_capped(stage.foreach_items),
        frozen=stage.frozen,
        always_changed=stage.always_changed,
    )


def safe_parameters(parameters: Sequence[StageParameter]) -> tuple[StageParameter, ...]:
    """Parameters capped in number, defaults of secret-looking names masked."""
    return tuple(
        param.model_copy(update={"default": MASK}) if _secret_default(param) else param
        for param in parameters[:MAX_PATHS]
    )


def _secret_default(param: StageParameter) -> bool:
    empty = param.default in (None, "", '""', "''", "None")
    return not empty and SECRET_KEY.search(param.name) is not None


def _linkable(path: str) -> bool:
    """Templated paths (``${item}``, ``{{...}}``) name no concrete artifact: no graph node."""
    return bool(path) and "${" not in path and "{{" not in path


def scalar_text(value: Any) -> str | None:
    """A YAML/JSON scalar as text (None for containers and null)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def str_list(value: Any) -> list[str]:
    """Strings of a scalar-or-list field; mappings contribute their keys (DVC ``outs``)."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            out.extend(str(k) for k in item)
        else:
            text = scalar_text(item)
            if text:
                out.append(text)
    return out


def link_by_artifacts(stages: list[StageDraft]) -> None:
    """Set each stage's upstream to the stages producing its deps.

    A dep also matches an output directory containing it, or outputs inside a dep directory.
    """
    producers: dict[str, list[str]] = {}
    under: dict[str, list[str]] = {}  # ancestor directory of an output -> producing stages
    for stage in stages:
        for out in stage.outputs:
            producers.setdefault(out, []).append(stage.name)
            for parent in ancestors(out):
                under.setdefault(parent, []).append(stage.name)
    for stage in stages:
        found: list[str] = []
        for dep in stage.inputs:
            found.extend(producers.get(dep, ()))
            found.extend(under.get(dep, ()))
            for parent in ancestors(dep):
                found.extend(producers.get(parent, ()))
        stage.upstream = list(dict.fromkeys(n for n in found if n != stage.name))


def ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")[:32]
    for end in range(len(parts) - 1, 0, -1):
        yield "/".join(parts[:end])
