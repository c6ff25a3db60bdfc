"""Python pipeline frameworks read with ``ast``: graphs, gates, triggers, fast rejection."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineStage,
    PipelineTrigger,
)
from hyperscore.evaluators.ingest.parsers.pipeline_python import (
    imports_framework,
    kfp_name,
    parse_pipeline_python,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

# Realistic framework code (never imported or executed: only parsed).

AIRFLOW_DAG = """\
from datetime import datetime, timedelta
from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator, BranchPythonOperator
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.utils.helpers import chain

def _train(): ...

with DAG(
    dag_id="ml_training",
    schedule_interval="@daily",
    start_date=datetime(2024, 1, 1),
) as dag:
    wait = S3KeySensor(task_id="wait_for_data", bucket_key="s3://bucket/raw/*.csv")
    prep = BashOperator(task_id="prepare_data", bash_command="python prep.py --token=abc123")
    train = PythonOperator(task_id="train_model", python_callable=_train)
    check = BranchPythonOperator(task_id="check_accuracy", python_callable=lambda: "deploy")
    deploy = BashOperator(task_id="deploy", bash_command="kubectl apply -f svc.yaml")
    notify = BashOperator(task_id="notify", bash_command="echo done")

    wait >> prep >> train >> check >> [deploy, notify]

other = DAG("reporting", schedule=None)
report = BashOperator(task_id="report", bash_command="python report.py", dag=other)
"""


AIRFLOW_TASKFLOW = '''\
import pendulum
from airflow.decorators import dag, task
from airflow.datasets import Dataset

@dag(
    schedule=[Dataset("s3://bucket/features")],
    start_date=pendulum.datetime(2024, 1, 1),
    catchup=False,
)
def retrain():
    """Retrain when features change."""
    @task
    def extract():
        return {"a": 1}

    @task(task_id="fit")
    def train(data):
        return "model"

    @task.branch
    def gate(model):
        return "push"

    @task
    def push(model):
        pass

    m = train(extract())
    g = gate(m)
    g >> push(m)

retrain()
'''


KFP_PIPE = '''\
from kfp import dsl, compiler
from kfp.dsl import Input, Output, Dataset, Model, Metrics
from google_cloud_pipeline_components.v1.model import ModelUploadOp

@dsl.component(base_image="python:3.11", packages_to_install=["pandas"])
def load_data(out: Output[Dataset]):
    ...

@dsl.component(base_image="python:3.11")
def train_model(data: Input[Dataset], model: Output[Model], lr: float = 0.1):
    """Train a model."""

@dsl.component
def evaluate(model: Input[Model], metrics: Output[Metrics]) -> float:
    return 0.9

@dsl.component
def deploy_model(model: Input[Model]):
    ...

@dsl.pipeline(name="train-pipeline", description="End to end")
def pipeline(lr: float = 0.1, source: str = "gs://bucket/raw.csv"):
    data = load_data()
    trained = train_model(data=data.outputs["out"], lr=lr)
    score = evaluate(model=trained.outputs["model"])
    with dsl.Condition(score.output > 0.8, name="good-enough"):
        deploy_model(model=trained.outputs["model"]).after(score)
        ModelUploadOp(project="p", unmanaged_container_model=trained.outputs["model"])
    with dsl.ParallelFor(["a", "b"]) as item:
        train_model(data=data.outputs["out"], lr=lr)

compiler.Compiler().compile(pipeline, "pipeline.yaml")
'''


ZENML_PIPE = """\
from zenml import pipeline, step
from zenml.config.schedule import Schedule
from steps.loaders import load_data
from .steps import evaluate_model

@step
def train(df) -> str:
    return "m"

@step(name="promote")
def promote_model(model: str, accuracy: float) -> None:
    ...

@pipeline(enable_cache=False)
def training_pipeline(epochs: int = 3):
    df = load_data()
    model = train(df)
    acc = evaluate_model(model, df)
    promote_model(model, acc, after="evaluate_model")

schedule = Schedule(cron_expression="0 3 * * *")
training_pipeline.with_options(schedule=schedule)()
"""


PREFECT_FLOW = """\
from prefect import flow, task, get_run_logger

@task(retries=2)
def fetch_data(url: str):
    return [1]

@task
def train(data):
    return "m"

@task
def evaluate(model) -> float:
    return 0.9

@task(name="deploy-model")
def deploy(model):
    ...

@flow(name="retrain-flow")
def retrain(url: str = "https://example.com/data.csv"):
    logger = get_run_logger()
    data = fetch_data.submit(url)
    model = train(data, wait_for=[data])
    score = evaluate(model)
    if score > 0.8:
        deploy(model)

if __name__ == "__main__":
    retrain.serve(name="nightly", cron="0 2 * * *")
"""


DAGSTER_DEFS = """\
from dagster import (
    AssetIn, AutomationCondition, RunRequest, ScheduleDefinition, asset, define_asset_job, job,
    op, sensor,
)

@op
def load():
    return 1

@op
def train_op(x):
    return x

@op
def validate_model(m):
    return m

@job
def training_job():
    validate_model(train_op(load()))

@asset(group_name="ml")
def raw_data():
    return 1

@asset(
    group_name="ml",
    ins={"data": AssetIn("raw_data")},
    automation_condition=AutomationCondition.eager(),
)
def features(data):
    return data

@asset(group_name="ml", deps=["features"])
def model():
    return 1

nightly = ScheduleDefinition(job=training_job, cron_schedule="0 0 * * *")

@sensor(job=training_job)
def drift_sensor(context):
    if check_drift():
        yield RunRequest()

asset_job = define_asset_job("ml_job", selection="*")
"""


AZURE_PIPE = """\
from azure.ai.ml import MLClient, command, Input, Output, load_component
from azure.ai.ml.dsl import pipeline
from azure.ai.ml.entities import JobSchedule, CronTrigger

prep_component = load_component(source="./components/prep.yml")
train_component = command(
    name="train_model",
    command="python train.py --data ${{inputs.data}} --model ${{outputs.model}}",
    environment="azureml:sklearn-env:1",
    inputs={"data": Input(type="uri_folder")},
    outputs={"model": Output(type="mlflow_model")},
)

@pipeline(default_compute="cpu-cluster")
def train_pipeline(raw):
    prep = prep_component(raw_data=raw)
    train = train_component(data=prep.outputs.prepared)
    return {"model": train.outputs.model}

job = train_pipeline(raw=Input(path="azureml:raw:1"))
schedule = JobSchedule(
    name="weekly-retrain", trigger=CronTrigger(expression="0 0 * * 0"), create_job=job
)
"""


SM_PIPE = """\
from sagemaker.workflow.pipeline import Pipeline
from sagemaker.workflow.steps import ProcessingStep, TrainingStep
from sagemaker.workflow.condition_step import ConditionStep
from sagemaker.workflow.conditions import ConditionGreaterThanOrEqualTo
from sagemaker.workflow.functions import JsonGet
from sagemaker.workflow.step_collections import RegisterModel
from sagemaker.workflow.fail_step import FailStep
from sagemaker.processing import ProcessingInput, ProcessingOutput
from sagemaker.inputs import TrainingInput

step_process = ProcessingStep(
    name="Preprocess",
    processor=processor,
    inputs=[
        ProcessingInput(source="s3://bucket/raw/data.csv", destination="/opt/ml/processing/input")
    ],
    outputs=[ProcessingOutput(output_name="train", source="/opt/ml/processing/train")],
    code="preprocess.py",
)
train_data = step_process.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri
train_args = estimator.fit(inputs={"train": TrainingInput(s3_data=train_data)})
step_train = TrainingStep(name="TrainModel", step_args=train_args)
step_eval = ProcessingStep(name="EvaluateModel", processor=processor, code="evaluate.py",
    inputs=[ProcessingInput(source=step_train.properties.ModelArtifacts.S3ModelArtifacts)])
model_data = step_train.properties.ModelArtifacts.S3ModelArtifacts
step_register = RegisterModel(name="RegisterModel", estimator=estimator, model_data=model_data)
step_fail = FailStep(name="Fail", error_message="too low")
accuracy = JsonGet(step_name=step_eval.name, property_file=report, json_path="acc")
cond = ConditionGreaterThanOrEqualTo(left=accuracy, right=0.8)
step_cond = ConditionStep(
    name="CheckAccuracy", conditions=[cond], if_steps=[step_register], else_steps=[step_fail]
)
pipeline = Pipeline(
    name="AbalonePipeline",
    parameters=[instance_type],
    steps=[step_process, step_train, step_eval, step_cond],
)
"""


METAFLOW_FLOW = '''\
from metaflow import FlowSpec, step, Parameter, schedule, kubernetes

@schedule(cron="0 4 * * *")
class TrainFlow(FlowSpec):
    """Train and validate."""
    alpha = Parameter("alpha", default=0.01, type=float)

    @step
    def start(self):
        self.next(self.train, foreach="params")

    @kubernetes(image="ghcr.io/org/train:1.0")
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next({"good": self.deploy, "bad": self.end}, condition="verdict")

    @step
    def deploy(self):
        self.next(self.end)

    @step
    def end(self):
        pass
'''


KEDRO_PIPELINE = """\
from kedro.pipeline import Pipeline, node, pipeline
from .nodes import split_data, train_model, evaluate_model

def create_pipeline(**kwargs) -> Pipeline:
    return pipeline([
        node(
            func=split_data,
            inputs=["model_input_table", "params:model_options"],
            outputs=["X_train", "X_test", "y_train", "y_test"],
            name="split_data_node",
        ),
        node(train_model, ["X_train", "y_train"], "regressor", name="train_model_node"),
        node(evaluate_model, ["regressor", "X_test", "y_test"], None, name="evaluate_model_node"),
    ])
"""


VERTEX_RUN = """\
from google.cloud import aiplatform
aiplatform.init(project="p")
job = aiplatform.PipelineJob(
    display_name="churn-training", template_path="pipeline.json", pipeline_root="gs://b/root"
)
job.create_schedule(display_name="nightly", cron="0 1 * * *")
"""


SM_STEP = """\
from sagemaker.workflow.function_step import step
from sagemaker.workflow.pipeline import Pipeline

@step(name="preprocess", instance_type="ml.m5.xlarge")
def preprocess(path):
    return 1

@step
def train(data):
    return 2

@step
def evaluate(model, data):
    return 3

def build():
    d = preprocess("s3://bucket/raw")
    m = train(d)
    e = evaluate(m, d)
    return Pipeline(name="fn-pipeline", steps=[e])
"""


# --- tests ---


def run(text: str, path: str = "pipelines/flow.py") -> list[Evidence]:
    return list(parse_pipeline_python(ParseInput(path, text)))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def pipelines(items: list[Evidence]) -> dict[str, PipelineDefinition]:
    return {e.name: e for e in items if isinstance(e, PipelineDefinition)}


def stages(items: list[Evidence], pipeline: str | None = None) -> dict[str, PipelineStage]:
    return {
        e.name: e
        for e in items
        if isinstance(e, PipelineStage) and (pipeline is None or e.pipeline == pipeline)
    }


def triggers(items: list[Evidence]) -> list[PipelineTrigger]:
    return [e for e in items if isinstance(e, PipelineTrigger)]


# Fast rejection ---------------------------------------------------------------------------


def test_files_without_framework_imports_yield_nothing() -> None:
    assert run("import os\n\ndef main():\n    print('airflow is mentioned here')\n") == []
    assert run("# uses prefect later\nx = 1\n") == []
    assert not imports_framework("import numpy as np\nfrom pandas import DataFrame\n")
    assert imports_framework("import os\nfrom kfp import dsl\n")
    assert imports_framework("from google.cloud import aiplatform")


def test_framework_file_with_syntax_error_raises() -> None:
    with pytest.raises(ValueError, match="invalid Python"):
        run("from prefect import flow\n@flow\ndef f(:\n")


def test_framework_import_without_pipeline_yields_nothing() -> None:
    assert run("from kfp import compiler\ncompiler.Compiler().compile(p, 'x.yaml')\n") == []


# Airflow ----------------------------------------------------------------------------------


def test_airflow_classic_dag() -> None:
    items = run(AIRFLOW_DAG, "dags/train.py")
    pipes = pipelines(items)
    dag = pipes["ml_training"]
    assert dag.framework == "airflow" and dag.schedule == "@daily"
    assert dag.triggers == ("schedule", "sensor") and dag.has_retraining_trigger
    assert dag.line == line_of(AIRFLOW_DAG, "with DAG(")
    assert dag.stages == (
        "wait_for_data", "prepare_data", "train_model", "check_accuracy", "deploy", "notify",
    )  # fmt: skip
    by_name = stages(items, "ml_training")
    assert by_name["prepare_data"].upstream == ("wait_for_data",)
    assert by_name["prepare_data"].cmd == "python prep.py --token=***"  # secret masked
    assert by_name["train_model"].upstream == ("prepare_data",)
    assert by_name["train_model"].role == "train"
    assert by_name["check_accuracy"].role == "gate"  # BranchPythonOperator
    assert by_name["deploy"].upstream == ("check_accuracy",) and by_name["deploy"].role == "deploy"
    assert by_name["notify"].upstream == ("check_accuracy",)
    assert by_name["deploy"].line == line_of(AIRFLOW_DAG, 'task_id="deploy"')
    assert by_name["wait_for_data"].step_type == "S3KeySensor"
    after = Link(
        src="stage:airflow:ml_training/deploy",
        dst="stage:airflow:ml_training/check_accuracy",
        rel="after",
    )
    assert after in by_name["deploy"].links
    # a second DAG assigned to a variable; its task names it with dag=
    reporting = pipes["reporting"]
    assert reporting.stages == ("report",) and reporting.schedule is None
    assert not reporting.has_retraining_trigger


def test_airflow_taskflow_data_passing_and_dataset_schedule() -> None:
    items = run(AIRFLOW_TASKFLOW)
    dag = pipelines(items)["retrain"]
    assert dag.triggers == ("dataset",) and dag.text == "Retrain when features change."
    by_name = stages(items)
    assert set(by_name) == {"extract", "fit", "gate", "push"}
    assert by_name["fit"].upstream == ("extract",)  # task_id= in the decorator
    assert by_name["gate"].upstream == ("fit",) and by_name["gate"].role == "gate"
    assert set(by_name["push"].upstream) == {"fit", "gate"}
    assert by_name["push"].role == "deploy"


def test_airflow_set_upstream_and_chain() -> None:
    text = (
        "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n"
        "from airflow.models.baseoperator import chain\n"
        "with DAG('d', schedule='0 * * * *') as dag:\n"
        "    a = EmptyOperator(task_id='a')\n    b = EmptyOperator(task_id='b')\n"
        "    c = EmptyOperator(task_id='c')\n    d = EmptyOperator(task_id='d')\n"
        "    b.set_upstream(a)\n    c.set_downstream(d)\n    chain(a, [b, c])\n    a << d\n"
    )
    by_name = stages(run(text))
    assert set(by_name["b"].upstream) == {"a"}
    assert set(by_name["c"].upstream) == {"a"}
    assert set(by_name["d"].upstream) == {"c"}
    assert set(by_name["a"].upstream) == {"d"}
    assert pipelines(run(text))["d"].schedule == "0 * * * *"


# Kubeflow / Vertex -------------------------------------------------------------------------


def test_kfp_pipeline_data_flow_condition_and_loop() -> None:
    items = run(KFP_PIPE)
    pipe = pipelines(items)["train-pipeline"]
    # google_cloud_pipeline_components is imported: this pipeline targets Vertex
    assert pipe.framework == "vertex" and pipe.text == "End to end"
    assert [p.name for p in pipe.parameters] == ["lr", "source"]
    by_name = stages(items)
    assert list(by_name) == [
        "load-data", "train-model", "evaluate", "condition-1", "deploy-model",
        "model-upload-op", "train-model-2",
    ]  # fmt: skip
    train = by_name["train-model"]
    assert train.upstream == ("load-data",) and train.image == "python:3.11"
    assert train.text == "Train a model." and train.step_type == "kubeflow.component"
    assert by_name["evaluate"].upstream == ("train-model",)
    gate = by_name["condition-1"]
    assert gate.role == "gate" and gate.upstream == ("evaluate",)
    assert gate.condition == "score.output > 0.8"
    assert gate.line == line_of(KFP_PIPE, "dsl.Condition")
    deploy = by_name["deploy-model"]
    assert deploy.role == "deploy" and deploy.condition == "score.output > 0.8"
    assert set(deploy.upstream) == {"condition-1", "train-model", "evaluate"}  # .after(score)
    upload = by_name["model-upload-op"]  # component library op
    assert upload.role == "register" and "condition-1" in upload.upstream
    looped = by_name["train-model-2"]
    assert looped.foreach and looped.foreach_over == "['a', 'b']"


def test_kfp_name_matches_compiler() -> None:
    assert kfp_name("train_model") == "train-model"
    assert kfp_name("ModelUploadOp") == "model-upload-op"


def test_kfp_v1_container_op_and_load_component() -> None:
    text = (
        "import kfp\nfrom kfp import dsl\n"
        "train_op = kfp.components.load_component_from_file('components/train.yaml')\n"
        "@dsl.pipeline(name='v1')\ndef p():\n"
        "    fetch = dsl.ContainerOp(name='fetch', image='alpine', command=['wget', 'x'])\n"
        "    train_op(data=fetch.output).set_caching_options(False)\n"
    )
    items = run(text, "ml/pipe.py")
    by_name = stages(items)
    assert (
        by_name["fetch"].image == "alpine" and by_name["fetch"].step_type == "kubeflow.ContainerOp"
    )
    train = by_name["train-op"]
    assert train.upstream == ("fetch",) and train.always_changed
    assert train.inputs == ("ml/components/train.yaml",)
    assert pipelines(items)["v1"].framework == "kubeflow"


def test_vertex_pipeline_job_and_schedule() -> None:
    items = run(VERTEX_RUN)
    job = pipelines(items)["churn-training"]
    assert job.framework == "vertex" and job.schedule == "0 1 * * *"
    assert job.text == "runs compiled pipeline pipeline.json"
    (trigger,) = triggers(items)
    assert trigger.name == "nightly" and trigger.target == "churn-training"
    assert trigger.line == line_of(VERTEX_RUN, "create_schedule")


# ZenML / Prefect / Dagster / Azure ML ----------------------------------------------------------


def test_zenml_pipeline_imported_steps_after_and_schedule() -> None:
    items = run(ZENML_PIPE)
    pipe = pipelines(items)["training_pipeline"]
    assert pipe.framework == "zenml" and pipe.schedule == "0 3 * * *"
    by_name = stages(items)
    assert list(by_name) == ["load_data", "train", "evaluate_model", "promote"]
    assert by_name["load_data"].step_type == "zenml.imported"  # from steps.loaders import ...
    assert by_name["train"].upstream == ("load_data",)
    assert set(by_name["evaluate_model"].upstream) == {"train", "load_data"}
    promote = by_name["promote"]  # @step(name="promote"), after="evaluate_model"
    assert set(promote.upstream) == {"train", "evaluate_model"} and promote.role == "deploy"
    (trigger,) = triggers(items)
    assert trigger.trigger == "schedule" and trigger.target == "training_pipeline"
    link = Link(
        src=f"trigger:pipelines/flow.py#{trigger.line}",
        dst="pipeline:zenml:training_pipeline",
        rel="triggers",
    )
    assert trigger.links == (link,)


def test_prefect_flow_submit_wait_for_runtime_gate_and_serve() -> None:
    items = run(PREFECT_FLOW)
    flow = pipelines(items)["retrain-flow"]
    assert flow.schedule == "0 2 * * *" and flow.triggers == ("schedule",)
    by_name = stages(items)
    assert list(by_name) == ["fetch_data", "train", "evaluate", "condition-1", "deploy-model"]
    assert by_name["train"].upstream == ("fetch_data",)  # data and wait_for
    gate = by_name["condition-1"]  # ``if score > 0.8`` on a task result is a runtime gate
    assert gate.role == "gate" and gate.upstream == ("evaluate",) and gate.step_type == "if"
    deploy = by_name["deploy-model"]
    assert set(deploy.upstream) == {"condition-1", "train"} and deploy.role == "deploy"
    (trigger,) = triggers(items)
    assert trigger.name == "nightly" and trigger.schedule == "0 2 * * *"


def test_dagster_jobs_assets_schedules_and_drift_sensor() -> None:
    items = run(DAGSTER_DEFS)
    pipes = pipelines(items)
    job = pipes["training_job"]
    assert job.schedule == "0 0 * * *"
    assert set(job.triggers) == {"schedule", "sensor", "drift"}
    by_job = stages(items, "training_job")
    assert by_job["train_op"].upstream == ("load",)
    assert by_job["validate_model"].upstream == ("train_op",)
    assert by_job["validate_model"].role == "gate"
    assets = stages(items, "assets:ml")
    assert assets["features"].upstream == ("raw_data",)  # ins={"data": AssetIn("raw_data")}
    assert assets["model"].upstream == ("features",)  # deps=["features"]
    assert pipes["assets:ml"].triggers == ("dataset",)  # automation condition
    assert pipes["ml_job"].stage_count == 0
    kinds = {(t.name, t.trigger, t.target) for t in triggers(items)}
    assert ("drift_sensor", "drift", "training_job") in kinds
    assert ("training_job", "schedule", "training_job") in kinds


def test_azure_ml_dsl_pipeline_components_and_schedule() -> None:
    items = run(AZURE_PIPE, "aml/pipeline.py")
    pipe = pipelines(items)["train_pipeline"]
    assert pipe.framework == "azureml" and pipe.schedule == "0 0 * * 0"
    by_name = stages(items)
    assert by_name["prep_component"].inputs == ("aml/components/prep.yml",)
    train = by_name["train_model"]  # command(name="train_model", ...)
    assert train.upstream == ("prep_component",) and train.image == "azureml:sklearn-env:1"
    assert train.cmd is not None and train.cmd.startswith("python train.py")
    (trigger,) = triggers(items)
    assert trigger.name == "weekly-retrain" and trigger.target == "train_pipeline"


# SageMaker / Metaflow / Kedro ----------------------------------------------------------------


def test_sagemaker_steps_properties_and_condition_branches() -> None:
    items = run(SM_PIPE, "pipelines/abalone/pipeline.py")
    pipe = pipelines(items)["AbalonePipeline"]
    assert pipe.stages == (
        "Preprocess", "TrainModel", "EvaluateModel", "CheckAccuracy", "RegisterModel", "Fail",
    )  # fmt: skip
    assert [p.name for p in pipe.parameters] == ["instance_type"]
    by_name = stages(items)
    pre = by_name["Preprocess"]
    assert pre.inputs == ("pipelines/abalone/preprocess.py", "s3://bucket/raw/data.csv")
    assert pre.cmd == "preprocess.py" and pre.role == "data"
    assert by_name["TrainModel"].upstream == ("Preprocess",)  # via step_args -> properties
    assert by_name["EvaluateModel"].upstream == ("TrainModel",)
    check = by_name["CheckAccuracy"]
    assert check.role == "gate" and check.upstream == ("EvaluateModel",)  # JsonGet(step_name=)
    assert check.condition is not None and "right=0.8" in check.condition
    register = by_name["RegisterModel"]
    assert register.role == "register" and set(register.upstream) == {"TrainModel", "CheckAccuracy"}
    assert by_name["Fail"].upstream == ("CheckAccuracy",)


def test_sagemaker_function_steps() -> None:
    items = run(SM_STEP)
    by_name = stages(items, "fn-pipeline")
    assert list(by_name) == ["preprocess", "train", "evaluate"]
    assert by_name["preprocess"].inputs == ("s3://bucket/raw",)
    assert set(by_name["evaluate"].upstream) == {"train", "preprocess"}


def test_metaflow_flow_next_foreach_switch_and_schedule() -> None:
    items = run(METAFLOW_FLOW)
    flow = pipelines(items)["TrainFlow"]
    assert flow.schedule == "0 4 * * *" and flow.text == "Train and validate."
    assert [p.name for p in flow.parameters] == ["alpha"]
    by_name = stages(items)
    assert by_name["train"].upstream == ("start",) and by_name["train"].foreach
    assert by_name["train"].image == "ghcr.io/org/train:1.0"
    assert by_name["join"].role == "gate" and by_name["join"].condition == "switch on verdict"
    assert (
        by_name["deploy"].upstream == ("join",)
        and by_name["deploy"].condition == "verdict == 'good'"
    )
    assert set(by_name["end"].upstream) == {"join", "deploy"}
    assert by_name["train"].line == line_of(METAFLOW_FLOW, "def train")


def test_kedro_nodes_linked_by_datasets() -> None:
    items = run(KEDRO_PIPELINE, "src/proj/pipelines/data_science/pipeline.py")
    pipe = pipelines(items)["data_science"]
    assert pipe.framework == "kedro" and pipe.stage_count == 3
    by_name = stages(items)
    split = by_name["split_data_node"]
    assert split.params == ("conf/base/parameters.yml#model_options",)
    assert split.inputs == ("catalog:model_input_table",)
    assert by_name["train_model_node"].upstream == ("split_data_node",)
    assert set(by_name["evaluate_model_node"].upstream) == {"train_model_node", "split_data_node"}


def test_every_item_has_path_and_lines_inside_the_file() -> None:
    for text in (
        AIRFLOW_DAG,
        KFP_PIPE,
        ZENML_PIPE,
        PREFECT_FLOW,
        DAGSTER_DEFS,
        SM_PIPE,
        METAFLOW_FLOW,
    ):
        last = len(text.splitlines())
        for item in run(text, "x/y.py"):
            assert item.path == "x/y.py"
            assert item.line is not None and 1 <= item.line <= last
            assert item.end_line is None or item.line <= item.end_line <= last


def test_kfp_if_elif_else_gates_and_secret_defaults() -> None:
    text = (
        "from kfp import dsl\n"
        "@dsl.component\ndef score(api_key: str = 'sk-live-123') -> float:\n    return 1.0\n"
        "@dsl.component\ndef deploy(): ...\n@dsl.component\ndef alert(): ...\n"
        "@dsl.pipeline\ndef gated(token: str = 'abc', n: int = 3):\n"
        "    s = score()\n"
        "    with dsl.If(s.output > 0.9):\n        deploy()\n"
        "    with dsl.Else():\n        alert()\n"
    )
    items = run(text)
    pipe = pipelines(items)["gated"]
    assert {p.name: p.default for p in pipe.parameters} == {"token": "***", "n": "3"}
    by_name = stages(items)
    assert by_name["score"].parameters[0].default == "***"
    assert by_name["condition-1"].condition == "s.output > 0.9"
    assert by_name["condition-2"].condition == "else"
    assert by_name["condition-2"].upstream == ("score",)  # Else re-uses the If's inputs
    assert by_name["deploy"].upstream == ("condition-1",)
    assert by_name["alert"].upstream == ("condition-2",)
    assert "sk-live-123" not in str([e.model_dump() for e in items])


def test_kfp_importer_by_bare_name() -> None:
    text = (
        "from kfp.dsl import importer, pipeline, component\n"
        "@component\ndef train(data: str): ...\n"
        "@pipeline\ndef p():\n"
        "    raw = importer(artifact_uri='gs://b/raw.csv', artifact_class=None)\n"
        "    train(data=raw.output)\n"
    )
    by_name = stages(run(text))
    assert by_name["importer"].inputs == ("gs://b/raw.csv",)
    assert by_name["train"].upstream == ("importer",)


def test_kfp_v1_container_op_factories_and_after_chains() -> None:
    text = (
        "import kfp\nfrom kfp import dsl\nimport kfp.gcp as gcp\n\n"
        "def collect_stats_op():\n"
        "    return dsl.ContainerOp(\n        name='Collect Stats', image='gcr.io/p/stats:latest'\n"
        "    ).apply(gcp.use_gcp_secret('user-gcp-sa'))\n\n"
        "def train_op(kind):\n"
        "    return dsl.ContainerOp(\n"
        "        name='Train XGBoost', image='gcr.io/p/train:1', arguments=['--k', kind]\n    )\n\n"
        "def host_op(kind):\n"
        "    return dsl.ContainerOp(name='Host Model', image='gcr.io/p/host:1')\n\n"
        "@dsl.pipeline(name='Sequential pipeline')\n"
        "def sequential_pipeline():\n"
        "    stats = collect_stats_op()\n"
        "    a = host_op('A').after(train_op('A').after(stats))\n"
        "    b = host_op('B').after(train_op('B').after(stats))\n"
    )
    items = run(text)
    assert pipelines(items)["sequential-pipeline"].stage_count == 5
    by_name = stages(items)
    assert by_name["collect-stats"].image == "gcr.io/p/stats:latest"
    assert by_name["train-xgboost"].upstream == ("collect-stats",)
    assert by_name["train-xgboost-2"].upstream == ("collect-stats",)
    assert by_name["host-model"].upstream == ("train-xgboost",)
    assert by_name["host-model"].role == "deploy"
    assert by_name["host-model-2"].upstream == ("train-xgboost-2",)
    assert by_name["train-xgboost"].cmd == "['--k', kind]"


def test_airflow_parenthesised_chains_with_lists() -> None:
    text = (
        "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n"
        "from airflow.operators.python import BranchPythonOperator, PythonOperator\n"
        "from tasks.mock import mock_a, is_full\n"
        "with DAG('mock_data', description='Generate mock data') as dag:\n"
        "    conn = PythonOperator(task_id='conn', python_callable=mock_a)\n"
        "    a = PythonOperator(task_id='a', python_callable=mock_a)\n"
        "    b = PythonOperator(task_id='b', python_callable=mock_a)\n"
        "    c = PythonOperator(task_id='c', python_callable=mock_a)\n"
        "    branch = BranchPythonOperator(task_id='branch', python_callable=is_full)\n"
        "    empty = PythonOperator(task_id='empty', python_callable=mock_a)\n"
        "    full = EmptyOperator(task_id='full')\n"
        "    (\n        conn\n        >> [a, b]\n        >> c\n"
        "        >> branch\n        >> [empty, full]\n    )\n"
    )
    by_name = stages(run(text))
    assert set(by_name["a"].upstream) == {"conn"} and set(by_name["b"].upstream) == {"conn"}
    assert set(by_name["c"].upstream) == {"a", "b"}
    assert by_name["branch"].upstream == ("c",) and by_name["branch"].role == "gate"
    assert by_name["full"].upstream == ("branch",) and by_name["empty"].upstream == ("branch",)
    assert by_name["full"].step_type == "EmptyOperator"


def test_prefect_deployments_and_imported_dagster_jobs() -> None:
    text = (
        "from prefect import flow\nfrom prefect.deployments import Deployment\n"
        "from prefect.orion.schemas.schedules import IntervalSchedule\n"
        "from datetime import timedelta\n"
        "@flow\ndef main():\n    pass\n"
        "weekly = Deployment.build_from_flow(\n    flow=main, name='model_training',\n"
        "    schedule=IntervalSchedule(interval=timedelta(days=7)),\n)\n"
        "manual = Deployment.build_from_flow(flow=main, name='adhoc')\n"
    )
    items = run(text)
    (trigger,) = triggers(items)  # the deployment without a schedule is no trigger
    assert trigger.name == "model_training" and trigger.schedule == "timedelta(days=7)"
    assert pipelines(items)["main"].schedule == "timedelta(days=7)"
    dagster = (
        "from dagster import DefaultScheduleStatus, ScheduleDefinition\n"
        "from reports.jobs import full_refresh\n"
        "daily = ScheduleDefinition(\n"
        "    name='daily', job=full_refresh, cron_schedule='0 6 * * *',\n)\n"
    )
    (trigger,) = triggers(run(dagster))
    assert (trigger.name, trigger.target, trigger.schedule) == (
        "daily",
        "full_refresh",
        "0 6 * * *",
    )
    assert trigger.links == ()  # the job is defined in another file
