"""Databricks Asset Bundles (jobs, resources, targets, templates) and DVC ``artifacts:``."""

from __future__ import annotations

import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest import registry
from hyperscore.evaluators.ingest.parsers.databricks import (
    DatabricksResource,
    parse_databricks_bundle,
)
from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineStage,
    PipelineTrigger,
)
from hyperscore.evaluators.ingest.parsers.pipeline_dvc import PipelineArtifact, parse_dvc_yaml
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.ingest.walk import effective_path, render_template
from hyperscore.evaluators.model import Evidence, Link, Modality

BUNDLE = textwrap.dedent(
    """\
    bundle:
      name: churn
    include:
      - resources/*.yml
      - resources/serving.yml
    variables:
      catalog: {default: dev}
    targets:
      dev:
        mode: development
        default: true
      staging:
        workspace: {host: https://staging.cloud.databricks.com}
      production:
        mode: production
      qa-east:
        mode: production
    resources:
      experiments:
        churn_experiment:
          name: /Shared/churn
          description: Tracks training runs.
    """
)

JOBS = textwrap.dedent(
    """\
    common: &perm
      permissions:
        - {level: CAN_VIEW, group_name: users}

    resources:
      jobs:
        training:
          name: churn-training
          tasks:
            - task_key: prepare
              spark_python_task:
                python_file: ../src/prepare.py
            - task_key: Train
              depends_on:
                - task_key: prepare
              notebook_task:
                notebook_path: ../notebooks/train.ipynb
                base_parameters:
                  epochs: "10"
                  api_token: s3cr3t-value
            - task_key: validate
              depends_on: [{task_key: Train}]
              python_wheel_task:
                package_name: churn
                entry_point: validate
          schedule:
            quartz_cron_expression: "0 0 9 * * ?"
            timezone_id: UTC
          email_notifications:
            on_failure: [ml@example.com]
          <<: *perm
        retraining:
          name: retrain-on-drift
          trigger:
            file_arrival: {url: "s3://bucket/landing/"}
          tasks:
            - task_key: metric_violation_check
              notebook_task: {notebook_path: ../monitoring/check.py}
            - task_key: is_violated
              depends_on: [{task_key: metric_violation_check}]
              condition_task: {op: EQUAL_TO, left: "{{tasks.x.values.v}}", right: "true"}
            - task_key: retrain
              depends_on: [{task_key: is_violated, outcome: "true"}]
              run_job_task:
                job_id: ${resources.jobs.training.id}
      registered_models:
        churn_model:
          name: churn
          catalog_name: ${var.catalog}
          schema_name: ml
          access_token: dapi0123456789abcdef
      model_serving_endpoints:
        churn_endpoint:
          name: churn-endpoint
          config:
            served_entities:
              - {name: champion, entity_name: main.ml.churn, entity_version: "3"}
              - {name: challenger, entity_name: main.ml.churn, entity_version: "4"}
            traffic_config:
              routes:
                - {served_entity_name: champion, traffic_percentage: 90}
                - {served_entity_name: challenger, traffic_percentage: 10}
            auto_capture_config: {catalog_name: main, schema_name: ml, enabled: true}
      quality_monitors:
        churn_monitor:
          table_name: main.ml.churn_inference
          output_schema_name: main.ml
          assets_dir: /Shared/monitoring
          inference_log:
            problem_type: PROBLEM_TYPE_CLASSIFICATION
            prediction_col: prediction
            label_col: label
            model_id_col: model_version
            timestamp_col: ts
            granularities: [1 day]
          schedule:
            quartz_cron_expression: "0 0 8 * * ?"
    """
)


def _parse(path: str, text: str) -> list[Evidence]:
    return list(parse_databricks_bundle(ParseInput(path, text)))


def test_bundle_root_targets_and_includes() -> None:
    items = _parse("bundles/churn/databricks.yml", BUNDLE)
    bundle = next(i for i in items if isinstance(i, DatabricksResource) and i.key == "churn")
    assert bundle.resource_type == "bundle"
    assert (bundle.line, bundle.end_line) == (1, 2)
    assert bundle.targets == ("dev", "staging", "production", "qa-east")
    assert bundle.includes == ("resources/*.yml", "resources/serving.yml")
    assert (
        Link(
            src="file:bundles/churn/databricks.yml",
            dst="file:bundles/churn/resources/serving.yml",
            rel="includes",
        )
        in bundle.links
    )
    envs = {e.raw: e for e in items if isinstance(e, EnvironmentSignal)}
    assert {k: (e.environment, e.line) for k, e in envs.items()} == {
        "dev": ("dev", 9), "staging": ("staging", 12), "production": ("prod", 14),
        "qa-east": ("qa", 16),
    }  # fmt: skip
    assert envs["dev"].tool == "databricks-bundle" and envs["dev"].source == "databricks-target"
    experiment = next(i for i in items if isinstance(i, DatabricksResource) and i.key != "churn")
    assert experiment.resource_type == "experiment"
    assert experiment.resource_name == "/Shared/churn"
    assert experiment.text == "Tracks training runs."
    assert (experiment.line, experiment.end_line) == (20, 22)


def test_jobs_become_pipelines_with_stages() -> None:
    items = _parse("bundles/churn/resources/jobs.yml", JOBS)
    definitions = {d.name: d for d in items if isinstance(d, PipelineDefinition)}
    training = definitions["training"]
    assert training.framework == "databricks-jobs"
    assert (training.line, training.end_line) == (7, 31)
    assert training.triggers == ("schedule",) and training.schedule == "0 0 9 * * ?"
    assert training.stages == ("prepare", "Train", "validate")
    assert definitions["retraining"].triggers == ("sensor",)
    stages = {s.name: s for s in items if isinstance(s, PipelineStage)}
    train = stages["Train"]
    assert (train.line, train.end_line) == (13, 20)
    assert train.role == "train" and train.step_type == "notebook_task"
    assert train.upstream == ("prepare",)
    assert train.cmd == "notebook ../notebooks/train.ipynb"
    params = {p.name: p.default for p in train.parameters}
    assert params == {"epochs": "10", "api_token": "***"}
    assert (
        Link(
            src="stage:databricks-jobs:training/Train",
            dst="file:bundles/churn/notebooks/train.ipynb",
            rel="runs",
        )
        in train.links
    )
    assert Link(
        src="stage:databricks-jobs:training/prepare", dst="file:bundles/churn/src/prepare.py",
        rel="runs",
    ) in stages["prepare"].links  # fmt: skip
    assert stages["validate"].cmd == "wheel churn:validate"
    assert stages["validate"].role == "gate"
    gate = stages["is_violated"]
    assert gate.role == "gate" and gate.condition == "{{tasks.x.values.v}} EQUAL_TO true"
    retrain = stages["retrain"]
    assert retrain.upstream == ("is_violated",)
    assert (
        Link(
            src="stage:databricks-jobs:retraining/retrain",
            dst="pipeline:databricks-jobs:training",
            rel="runs",
        )
        in retrain.links
    )


def test_monitor_gated_run_job_is_a_drift_trigger() -> None:
    items = _parse("resources/jobs.yml", JOBS)
    (trigger,) = [i for i in items if isinstance(i, PipelineTrigger)]
    assert trigger.trigger == "drift"
    assert trigger.target == "training"
    assert trigger.line == 42
    assert trigger.links == (
        Link(
            src="pipeline:databricks-jobs:retraining",
            dst="pipeline:databricks-jobs:training",
            rel="triggers",
        ),
    )


def test_other_resources() -> None:
    items = _parse("resources/jobs.yml", JOBS)
    resources = {(r.resource_type, r.key): r for r in items if isinstance(r, DatabricksResource)}
    assert set(resources) == {
        ("job", "training"), ("job", "retraining"), ("registered_model", "churn_model"),
        ("model_serving_endpoint", "churn_endpoint"), ("quality_monitor", "churn_monitor"),
    }  # fmt: skip
    job = resources["job", "training"]
    assert job.schedule == "0 0 9 * * ?"
    assert job.settings["email_notifications"] == "on_failure"
    model = resources["registered_model", "churn_model"]
    assert model.settings == {
        "catalog_name": "${var.catalog}", "schema_name": "ml", "access_token": "***",
    }  # fmt: skip
    endpoint = resources["model_serving_endpoint", "churn_endpoint"]
    assert endpoint.modality == Modality.INFRASTRUCTURE
    assert endpoint.served_entities == ("main.ml.churn@3", "main.ml.churn@4")
    assert endpoint.traffic == {"champion": 90, "challenger": 10}
    assert endpoint.inference_table is True
    assert endpoint.line == 53
    monitor = resources["quality_monitor", "churn_monitor"]
    assert monitor.modality == Modality.MONITORING
    assert monitor.monitor_type == "inference_log"
    assert monitor.table_name == "main.ml.churn_inference"
    assert monitor.schedule == "0 0 8 * * ?"
    assert monitor.settings["problem_type"] == "PROBLEM_TYPE_CLASSIFICATION"
    assert (monitor.line, monitor.end_line) == (65, 77)
    assert (
        Link(
            src="databricks:quality_monitor/churn_monitor",
            dst="table:main.ml.churn_inference",
            rel="monitors",
        )
        in monitor.links
    )


TEMPLATE = textwrap.dedent(
    """\
    grants: &grants
      grants: []
    bundle:
      name: {{ .input_project_name }}
    targets:
      dev: {{ if (eq .uc `yes`)}} # UC {{ end }}
        mode: development
      {{- if (eq .cicd `yes`)}}
      prod:
        workspace:
          host: {{template `prod_host` .}}
      {{ end }}
    resources:
      {{ if (eq .uc `no`) }}models:
        model:
          name: ${var.model_name}
          <<: *grants{{end}}
      jobs:
        monitor_job:
          tasks:
            - task_key: check
              condition_task:
                left: "{{"{{tasks.a.values.b}}"}}"
                op: EQUAL_TO
                right: "true"
    """
)


def test_rendered_template_is_repaired_line_for_line() -> None:
    raw_path = "template/{{.root}}/databricks.yml.tmpl"
    match_path, templated = effective_path(raw_path)
    assert templated and match_path == "databricks.yml"
    assert {p.name for p in registry.parsers_for(match_path)} >= {"databricks-bundle"}
    text = render_template(TEMPLATE)
    assert len(text.splitlines()) == len(TEMPLATE.splitlines())
    items = _parse(raw_path, text)
    envs = {e.raw: e.line for e in items if isinstance(e, EnvironmentSignal)}
    assert envs == {"dev": 6, "prod": 9}
    model = next(i for i in items if isinstance(i, DatabricksResource) and i.key == "model")
    assert model.resource_type == "model" and model.line == 15
    stage = next(i for i in items if isinstance(i, PipelineStage))
    assert stage.role == "gate" and stage.line == 21


def test_unrelated_yaml_is_not_claimed() -> None:
    assert _parse("config/app.yml", "resources:\n  cpu: 2\n") == []
    assert _parse("ci/concourse.yml", "resources:\n  - name: repo\njobs:\n  - name: x\n") == []
    assert _parse("databricks.yml", "foo: bar\n") == []
    assert _parse("serverless.yml", "resources:\n  Resources:\n    jobs: {}\n") == []


# --------------------------------------------------------------------------- DVC artifacts

DVC = textwrap.dedent(
    """\
    artifacts:
      churn-model:
        path: models/model.pkl
        type: model
        desc: Gradient boosted churn classifier
        labels: [tabular, churn]
        meta: {framework: xgboost}
      raw-data:
        path: ../data/raw.csv
        type: dataset
    stages:
      train:
        cmd: python train.py
        outs: [models/model.pkl]
    """
)


def test_dvc_artifacts_declare_registry_entries() -> None:
    items = list(parse_dvc_yaml(ParseInput("ml/dvc.yaml", DVC)))
    artifacts = {a.name: a for a in items if isinstance(a, PipelineArtifact)}
    model = artifacts["churn-model"]
    assert model.line == 2
    assert model.artifact_type == "model" and model.artifact_path == "ml/models/model.pkl"
    assert model.labels == ("tabular", "churn") and model.meta == {"framework": "xgboost"}
    assert model.text == "Gradient boosted churn classifier"
    assert model.links == (
        Link(src="file:ml/dvc.yaml", dst="registry-artifact:churn-model", rel="declares"),
        Link(src="registry-artifact:churn-model", dst="artifact:ml/models/model.pkl", rel="tracks"),
    )
    assert artifacts["raw-data"].artifact_path == "data/raw.csv"
    assert artifacts["raw-data"].artifact_type == "dataset"
    assert any(isinstance(i, PipelineStage) and i.name == "train" for i in items)


# --------------------------------------------------------------------------- properties


def check(path: str, text: str) -> None:
    started = time.perf_counter()
    try:
        items = _parse(path, text)
    except Exception:
        return
    finally:
        assert time.perf_counter() - started < 5
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert item.path == path
        assert item.line is None or 1 <= item.line <= last_line
        assert item.end_line is None or (item.line or 1) <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    alphabet = st.sampled_from([*"[]{}:\"'$#&*!|>- \n", "\x00", "é", "tmplvar"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        else:
            text = text[:pos] + "".join(draw(st.lists(alphabet, max_size=6))) + text[pos:]
    return text


SAMPLES = {"databricks.yml": BUNDLE, "resources/jobs.yml": JOBS}


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    check(path, data.draw(mutated(SAMPLES[path])))


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(text: str) -> None:
    check("databricks.yml", text)


def test_alias_bomb_and_big_files_are_bounded() -> None:
    chain = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 30))
    check("databricks.yml", chain + "resources: {jobs: {j: {tasks: *l29}}}\n")
    task = "        - task_key: t\n          notebook_task: {notebook_path: n.py}\n"
    jobs = "".join(f"    j{i}:\n      tasks:\n" + task for i in range(1500))
    check("resources/many.yml", "resources:\n  jobs:\n" + jobs)


def test_inline_template_control_renders_to_nothing() -> None:
    """``...){{else}}`` glued to code: both branches stay, the action disappears."""
    text = render_template('    print(f"done {env}"){{else}}\ndef deploy(uri):\n    pass\n')
    assert text == '    print(f"done {env}")\ndef deploy(uri):\n    pass\n'
    assert render_template('name = "{{ .project_name }}"') == 'name = "tmplvar"'
