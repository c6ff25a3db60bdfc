"""Tekton and Argo Workflows resources; other YAML is left alone."""

from __future__ import annotations

import textwrap

from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_k8s_workflows import parse_k8s_workflows
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

TEKTON = textwrap.dedent(
    """\
    apiVersion: tekton.dev/v1
    kind: Task
    metadata:
      name: train-model
    spec:
      steps:
        - name: train
          image: python:3.11
          script: |
            python train.py --data /workspace/data
          env:
            - name: WANDB_API_KEY
              valueFrom:
                secretKeyRef: {name: wandb, key: api-key}
    ---
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata:
      name: ml-pipeline
    spec:
      tasks:
        - name: fetch
          taskRef:
            resolver: hub
            params:
              - {name: name, value: git-clone}
              - {name: version, value: "0.9"}
        - name: train
          runAfter: [fetch]
          taskRef: {name: train-model}
        - name: deploy
          params:
            - name: model
              value: $(tasks.train.results.model-uri)
          taskSpec:
            steps:
              - name: apply
                image: bitnami/kubectl
                command: [kubectl, apply, -f, k8s/serving.yaml]
      finally:
        - name: notify
          taskRef: {name: send-to-slack}
    ---
    apiVersion: triggers.tekton.dev/v1beta1
    kind: EventListener
    metadata: {name: gh}
    """
)

ARGO = textwrap.dedent(
    """\
    apiVersion: argoproj.io/v1alpha1
    kind: CronWorkflow
    metadata:
      name: retrain
    spec:
      schedule: "0 4 * * *"
      workflowSpec:
        entrypoint: main
        templates:
          - name: main
            dag:
              tasks:
                - name: prep
                  template: prep
                - name: train
                  template: train
                  depends: "prep.Succeeded"
                - name: approve
                  template: approval
                  dependencies: [train]
                - name: deploy
                  templateRef: {name: shared, template: deploy}
                  depends: approve && (train.Succeeded || prep.Failed)
          - name: prep
            container:
              image: python:3.11
              command: [python, prep.py]
          - name: train
            script:
              image: pytorch/pytorch:2.3
              command: [python]
              source: |
                import train
                train.main()
          - name: approval
            suspend: {}
          - name: steps-demo
            steps:
              - - name: a
                  template: prep
                - name: b
                  template: prep
              - - name: c
                  template: train
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: cd}
    """
)


def parse(text: str, path: str) -> list[Evidence]:
    return list(parse_k8s_workflows(ParseInput(path, text)))


def jobs(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def test_tekton_tasks_pipeline_and_triggers() -> None:
    path = "tekton/pipeline.yaml"
    items = parse(TEKTON, path)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "tekton"
    assert pipeline.name == "ml-pipeline"
    assert pipeline.triggers == ("webhook",)
    by_id = jobs(items)
    assert list(by_id) == [
        "train-model",
        "ml-pipeline/fetch",
        "ml-pipeline/train",
        "ml-pipeline/deploy",
        "ml-pipeline/notify",
    ]
    task = by_id["train-model"]
    assert task.secrets == ("k8s-secret:wandb",) and "train" in task.roles
    fetch = by_id["ml-pipeline/fetch"]
    assert fetch.uses is not None
    assert (fetch.uses.action, fetch.uses.ref, fetch.uses.pin) == ("hub:git-clone", "0.9", "tag")
    train = by_id["ml-pipeline/train"]
    assert train.needs == ("ml-pipeline/fetch",) and train.needs_source == "explicit"
    assert train.uses is not None and train.uses.pin == "local"
    assert (
        Link(src=f"ci-job:{path}#ml-pipeline/train", dst=f"ci-job:{path}#train-model", rel="uses")
        in train.links
    )
    assert "train" in train.roles
    deploy = by_id["ml-pipeline/deploy"]
    assert deploy.needs == ("ml-pipeline/train",)  # from the $(tasks.train.results...) reference
    assert "deploy" in deploy.roles
    notify = by_id["ml-pipeline/notify"]
    assert notify.needs == ("ml-pipeline/fetch", "ml-pipeline/train", "ml-pipeline/deploy")
    step = next(e for e in items if isinstance(e, CiStep) and e.job_id == "train-model")
    assert step.line == 7 and step.image == "python:3.11" and step.env == ("WANDB_API_KEY",)
    assert Link(src=f"ci-job:{path}#train-model", dst="file:train.py", rel="runs") in step.links


def test_argo_cron_dag_steps_and_approval() -> None:
    path = "argo/retrain.yaml"
    items = parse(ARGO, path)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "argo-workflows"
    assert pipeline.triggers == ("schedule",) and pipeline.schedules == ("0 4 * * *",)
    by_id = jobs(items)
    assert by_id["retrain/prep"].image == "python:3.11"
    assert by_id["retrain/approval"].manual_approval
    assert by_id["retrain/main/train"].needs == ("retrain/main/prep",)
    assert by_id["retrain/main/approve"].manual_approval
    deploy = by_id["retrain/main/deploy"]
    assert deploy.needs == ("retrain/main/approve", "retrain/main/train", "retrain/main/prep")
    assert deploy.uses is not None and deploy.uses.action == "shared/deploy"
    assert by_id["retrain/steps-demo/c"].needs == ("retrain/steps-demo/a", "retrain/steps-demo/b")
    assert by_id["retrain/steps-demo/a"].needs == ()
    assert (
        by_id["retrain/main/train"].line == ARGO.splitlines().index("            - name: train") + 1
    )
    assert (
        Link(src=f"ci-job:{path}#retrain/main/prep", dst=f"ci-job:{path}#retrain/prep", rel="uses")
        in by_id["retrain/main/prep"].links
    )


def test_other_yaml_is_not_claimed() -> None:
    assert parse("apiVersion: apps/v1\nkind: Deployment\n", "k8s/deploy.yaml") == []
    argocd = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\n"
    assert parse(argocd, "argocd/app.yaml") == []
    helm = "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps: {{ .Values.steps }}\n  - x\n"
    assert parse(helm, "chart/templates/task.yaml") == []
    assert parse("random: [text\n", "x.yaml") == []
