"""Compiled / declarative pipeline specs: KFP v2 IR, Vertex, SageMaker JSON, Azure ML, Prefect."""

from __future__ import annotations

import json
from pathlib import Path

from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineStage,
    PipelineTrigger,
    StageParameter,
)
from hyperscore.evaluators.ingest.parsers.pipeline_specs import parse_pipeline_specs
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

DATA = Path(__file__).resolve().parent / "data" / "pipelines"


def run(path: str, text: str) -> list[Evidence]:
    return list(parse_pipeline_specs(ParseInput(path, text)))


def stages(items: list[Evidence]) -> dict[str, PipelineStage]:
    return {e.name: e for e in items if isinstance(e, PipelineStage)}


def definition(items: list[Evidence]) -> PipelineDefinition:
    found = [e for e in items if isinstance(e, PipelineDefinition)]
    assert len(found) == 1
    return found[0]


def test_kfp_ir_tasks_dependencies_and_condition() -> None:
    items = run("ml/pipeline.yaml", (DATA / "kfp_ir.yaml").read_text())
    pipe = definition(items)
    assert pipe.framework == "kubeflow" and pipe.name == "train-pipeline"
    assert pipe.text == "End to end" and pipe.line == 50
    assert pipe.parameters == (StageParameter(name="lr", type="NUMBER_DOUBLE", default="0.1"),)
    by_name = stages(items)
    assert set(by_name) == {"condition-1", "deploy-model", "evaluate", "load-data", "train-model"}
    train = by_name["train-model"]
    assert train.upstream == ("load-data",)  # from taskOutputArtifact.producerTask
    assert train.image == "gcr.io/proj/train:1.0" and train.cmd == "python train.py"
    assert train.line == 84 and train.role == "train"
    gate = by_name["condition-1"]
    assert gate.role == "gate" and set(gate.upstream) == {"evaluate", "train-model"}
    assert gate.condition is not None and "> 0.8" in gate.condition
    deploy = by_name["deploy-model"]  # nested in the condition's sub-DAG
    assert deploy.upstream == ("condition-1",) and deploy.role == "deploy"
    assert deploy.condition == gate.condition and deploy.line == 9
    assert deploy.image == "python:3.11"
    after = Link(src=deploy.stage_id, dst="stage:kubeflow:train-pipeline/condition-1", rel="after")
    assert after in deploy.links


def test_vertex_pipeline_job_json_wraps_ir() -> None:
    spec = {
        "displayName": "churn",
        "pipelineSpec": {
            "pipelineInfo": {"name": "churn-train"},
            "root": {"dag": {"tasks": {
                "train": {"taskInfo": {"name": "train"}, "componentRef": {"name": "comp-train"}},
                "deploy": {"dependentTasks": ["train"], "componentRef": {"name": "comp-deploy"}},
            }}},
        },
        "runtimeConfig": {},
    }  # fmt: skip
    text = json.dumps(spec, indent=2)
    items = run("vertex/job.json", text)
    pipe = definition(items)
    assert pipe.framework == "vertex" and pipe.name == "churn-train"
    by_name = stages(items)
    assert by_name["deploy"].upstream == ("train",)
    lines = text.splitlines()
    assert by_name["train"].line == next(i for i, ln in enumerate(lines, 1) if '"train": {' in ln)


def test_argo_workflows_are_not_claimed() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  annotations:\n"
        "    pipelineInfo: x\nspec:\n  root: {}\n"
    )
    assert run("wf.yaml", text) == []


def test_sagemaker_definition_json() -> None:
    items = run("pipelines/abalone.json", (DATA / "sm_def.json").read_text())
    pipe = definition(items)
    assert pipe.framework == "sagemaker" and pipe.name == "abalone"
    assert pipe.parameters == (
        StageParameter(name="InstanceType", type="String", default="ml.m5.xlarge"),
    )
    by_name = stages(items)
    assert list(by_name) == [
        "Preprocess",
        "TrainModel",
        "EvaluateModel",
        "CheckMSE",
        "RegisterModel",
        "Fail",
    ]
    pre = by_name["Preprocess"]
    assert pre.inputs == ("s3://bucket/raw.csv",) and pre.outputs == ("s3://bucket/train",)
    assert pre.image == "123.dkr.ecr/sklearn:1.0" and pre.line == 7
    train = by_name["TrainModel"]
    assert train.upstream == ("Preprocess",) and train.role == "train"
    assert by_name["EvaluateModel"].upstream == ("TrainModel",)
    check = by_name["CheckMSE"]
    assert check.role == "gate" and check.upstream == ("EvaluateModel",)
    register = by_name["RegisterModel"]
    assert register.role == "register" and register.upstream == ("CheckMSE",)
    assert register.condition is not None and register.condition.startswith("CheckMSE:")
    assert by_name["Fail"].upstream == ("CheckMSE",)


def test_json_that_is_not_a_pipeline() -> None:
    assert run("package.json", '{"Version": "1", "Steps": "not a list"}') == []
    assert run("x.json", '{"name": "x"}') == []


AZURE_PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: nyc_taxi_pipeline
description: Train a regression model
inputs:
  raw_data:
    type: uri_folder
    path: ./data
jobs:
  prep_job:
    type: command
    component: ./prep.yml
    inputs:
      raw_data: ${{parent.inputs.raw_data}}
  train_job:
    type: command
    code: ./train_src
    command: python train.py --training_data ${{inputs.training_data}}
    environment: azureml:AzureML-sklearn-1.0:1
    inputs:
      training_data: ${{parent.jobs.prep_job.outputs.prep_data}}
  register_job:
    type: command
    component: azureml:register_model:1
    inputs:
      model: ${{parent.jobs.train_job.outputs.model_output}}
"""


def test_azure_ml_pipeline_yaml() -> None:
    items = run("ml/pipeline.yml", AZURE_PIPELINE)
    pipe = definition(items)
    assert pipe.framework == "azureml" and pipe.name == "nyc_taxi_pipeline"
    assert pipe.parameters == (
        StageParameter(name="raw_data", type="uri_folder", default="./data"),
    )
    by_name = stages(items)
    assert by_name["prep_job"].inputs == ("ml/prep.yml",) and by_name["prep_job"].line == 10
    train = by_name["train_job"]
    assert train.upstream == ("prep_job",) and train.role == "train"
    assert train.image == "azureml:AzureML-sklearn-1.0:1"
    assert train.cmd == "python train.py --training_data ${{inputs.training_data}}"
    register = by_name["register_job"]
    assert register.upstream == ("train_job",) and register.role == "register"


def test_azure_ml_schedule_yaml() -> None:
    text = (
        "$schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json\n"
        'name: weekly_retrain\ntrigger:\n  type: cron\n  expression: "0 0 * * 1"\n'
        "create_job: ./pipeline.yml\n"
    )
    (trigger,) = run("ml/schedule.yml", text)
    assert isinstance(trigger, PipelineTrigger)
    assert trigger.trigger == "schedule" and trigger.schedule == "0 0 * * 1"
    assert trigger.target == "ml/pipeline.yml" and trigger.name == "weekly_retrain"
    assert trigger.line == 3
    assert (
        Link(src="file:ml/schedule.yml", dst="file:ml/pipeline.yml", rel="triggers")
        in trigger.links
    )


def test_azure_component_and_unrelated_yaml_ignored() -> None:
    component = (
        "$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json\n"
        "type: command\nname: prep\ncommand: python prep.py\n"
    )
    assert run("prep.yml", component) == []
    assert run("docker-compose.yml", "services:\n  jobs:\n    image: x\n") == []


def test_prefect_yaml_deployments() -> None:
    text = (
        "name: ml\ndeployments:\n- name: nightly-train\n  entrypoint: flows/train.py:retrain\n"
        "  schedule:\n    cron: 0 2 * * *\n- name: on-drift\n  entrypoint: flows/train.py:retrain\n"
        "  triggers:\n  - match: {prefect.resource.id: drift.*}\n"
    )
    items = run("prefect.yaml", text)
    assert [
        (e.name, e.trigger, e.schedule, e.target, e.line)
        for e in items
        if isinstance(e, PipelineTrigger)
    ] == [
        ("nightly-train", "schedule", "0 2 * * *", "retrain", 5),
        ("on-drift", "drift", None, "retrain", 9),
    ]
