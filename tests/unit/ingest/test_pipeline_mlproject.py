"""MLflow MLproject files: environment, entry points, parameters."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    MLProjectSpec,
    PipelineDefinition,
    PipelineStage,
    StageParameter,
)
from hyperscore.evaluators.ingest.parsers.pipeline_mlproject import parse_mlproject
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence, Link

MLPROJECT = """\
name: fraud-detector

conda_env: envs/conda.yaml

entry_points:
  main:
    parameters:
      data_file: path
      regularization: {type: float, default: 0.1}
      api_key: {type: string, default: sk-live-123}
    command: "python train.py -r {regularization} {data_file}"
  validate:
    parameters:
      data_file: {type: path, default: data/holdout.csv}
    command: "python validate.py {data_file}"
"""


def run(text: str, path: str = "ml/MLproject") -> list[Evidence]:
    return list(parse_mlproject(ParseInput(path, text)))


def test_mlproject_spec_env_and_entry_points() -> None:
    items = run(MLPROJECT)
    spec = next(e for e in items if isinstance(e, MLProjectSpec))
    assert spec.name == "fraud-detector" and spec.line == 3
    assert spec.env_type == "conda" and spec.env_file == "ml/envs/conda.yaml"
    assert spec.entry_points == ("main", "validate")
    assert (
        Link(src="file:ml/MLproject", dst="file:ml/envs/conda.yaml", rel="uses-env") in spec.links
    )
    definition = next(e for e in items if isinstance(e, PipelineDefinition))
    assert definition.framework == "mlflow-project" and definition.stage_count == 2


def test_mlproject_entry_point_stages() -> None:
    stages = {e.name: e for e in run(MLPROJECT) if isinstance(e, PipelineStage)}
    main = stages["main"]
    assert main.line == 6 and main.role == "train"  # from the command: python train.py
    assert main.cmd == "python train.py -r {regularization} {data_file}"
    assert main.parameters == (
        StageParameter(name="data_file", type="path"),
        StageParameter(name="regularization", type="float", default="0.1"),
        StageParameter(name="api_key", type="string", default="***"),
    )
    validate = stages["validate"]
    assert validate.role == "gate"
    assert validate.inputs == ("ml/data/holdout.csv",)  # path parameters name artifacts
    assert validate.stage_id == "stage:mlflow-project:fraud-detector/validate"


def test_mlproject_docker_env_and_default_name() -> None:
    text = (
        "docker_env:\n  image: ghcr.io/org/train:1.2\n"
        "entry_points:\n  main:\n    command: python t.py\n"
    )
    items = run(text, "proj/MLproject")
    spec = next(e for e in items if isinstance(e, MLProjectSpec))
    assert spec.name == "proj" and spec.env_type == "docker"
    assert spec.docker_image == "ghcr.io/org/train:1.2"
    assert (
        Link(src="file:proj/MLproject", dst="image:ghcr.io/org/train:1.2", rel="uses-image")
        in spec.links
    )
    stage = next(e for e in items if isinstance(e, PipelineStage))
    assert stage.image == "ghcr.io/org/train:1.2"


def test_mlproject_malformed() -> None:
    assert run("") == []
    with pytest.raises(FormatError):
        run("- just\n- a list\n")


def test_mlproject_routing() -> None:
    assert "pipeline-mlproject" in {p.name for p in parsers_for("sub/MLproject")}
    assert "pipeline-mlproject" not in {p.name for p in parsers_for("sub/project.yaml")}
