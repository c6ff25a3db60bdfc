"""MLflow Projects (``MLproject``): the environment a run uses and its entry points.

An MLproject pins how a model is trained (conda / virtualenv / docker environment) and exposes
typed entry points, which is evidence of reproducible, parameterised runs. Each entry point
becomes a ``pipeline.stage`` of an ``mlflow-project`` pipeline, so role classification (is
there an evaluate or validate entry point?) works as for every other framework.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from hyperscore.evaluators.ingest.formats import FormatError, as_dict
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MASK,
    MAX_TEXT,
    SECRET_KEY,
    MLProjectSpec,
    PipelineDraft,
    StageDraft,
    StageParameter,
    dirname,
    emit_pipeline,
    load_yaml_with_lines,
    normalize_path,
    scalar_text,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_ENTRY_POINTS = 200
# Parameter types MLflow treats as files: their defaults name artifacts the entry point reads.
PATH_TYPES = frozenset({"path", "uri"})
ENV_KEYS: tuple[tuple[str, Literal["conda", "python", "docker"]], ...] = (
    ("conda_env", "conda"),
    ("python_env", "python"),
    ("docker_env", "docker"),
)


@parser("pipeline-mlproject", Modality.PIPELINE, ["MLproject", "MLproject.yaml", "MLproject.yml"])
def parse_mlproject(source: ParseInput) -> Iterator[Evidence]:
    """The project (env + entry point names), its pipeline and one stage per entry point."""
    doc = load_yaml_with_lines(source.text, max_depth=5)
    data = doc.data
    if data is None:
        return
    if not isinstance(data, dict):
        raise FormatError("MLproject: top level is not a mapping")
    base = dirname(source.path)
    name = scalar_text(data.get("name")) or (base.rsplit("/", 1)[-1] if base else "mlproject")
    env_type: Literal["conda", "python", "docker", "none"] = "none"
    env_file = image = None
    env_line = None
    for key, kind in ENV_KEYS:
        if key in data:
            env_type, env_line = kind, doc.line(key)
            value = data[key]
            if kind == "docker":
                image = scalar_text(as_dict(value).get("image")) or scalar_text(value)
            else:
                env_file = normalize_path(base, scalar_text(value) or "") or None
            break
    draft = PipelineDraft(
        framework="mlflow-project",
        name=name,
        line=doc.line("name") or 1,
        end_line=doc.last_line,
    )
    entry_points = list(as_dict(data.get("entry_points")).items())[:MAX_ENTRY_POINTS]
    for entry_name, raw in entry_points:
        line = doc.line("entry_points", entry_name)
        draft.stages.append(_entry_point(entry_name, as_dict(raw), base, line, image))
    links = [Link(src=f"file:{source.path}", dst=f"pipeline:mlflow-project:{name}", rel="defines")]
    if env_file:
        links.append(Link(src=f"file:{source.path}", dst=f"file:{env_file}", rel="uses-env"))
    if image:
        links.append(Link(src=f"file:{source.path}", dst=f"image:{image}", rel="uses-image"))
    yield MLProjectSpec(
        path=source.path,
        line=env_line or doc.line("name") or 1,
        name=name,
        env_type=env_type,
        env_file=env_file,
        docker_image=image[:MAX_TEXT] if image else None,
        entry_points=tuple(entry for entry, _ in entry_points),
        links=tuple(links),
    )
    yield from emit_pipeline(source.path, draft, doc.last_line)


def _entry_point(
    name: str, spec: dict[str, Any], base: str, line: int | None, image: str | None
) -> StageDraft:
    stage = StageDraft(name=name, line=line, step_type="mlflow-entry-point", image=image)
    stage.cmd = scalar_text(spec.get("command"))
    for param_name, raw in list(as_dict(spec.get("parameters")).items())[:MAX_ENTRY_POINTS]:
        param_type, default = _parameter(raw)
        if default and SECRET_KEY.search(param_name):
            default = MASK
        stage.parameters.append(StageParameter(name=param_name, type=param_type, default=default))
        if param_type in PATH_TYPES and default:
            stage.inputs.append(normalize_path(base, default))
    return stage


def _parameter(raw: Any) -> tuple[str | None, str | None]:
    """``(type, default)``: MLflow allows ``name: type`` or ``name: {type: .., default: ..}``."""
    if isinstance(raw, dict):
        return scalar_text(raw.get("type")) or "string", _short(scalar_text(raw.get("default")))
    return scalar_text(raw) or "string", None


def _short(value: str | None) -> str | None:
    return value[:MAX_TEXT] if value is not None else None
