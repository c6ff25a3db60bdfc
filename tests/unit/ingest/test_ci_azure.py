"""Azure Pipelines: triggers, stage/job ordering, deployment jobs, tasks, variable groups."""

from __future__ import annotations

import textwrap

from hyperscore.evaluators.ingest.parsers.ci_azure import parse_azure_pipelines
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

PATH = "azure-pipelines.yml"
TEXT = textwrap.dedent(
    """\
    trigger:
      branches:
        include: [main]
      tags:
        include: ["v*"]
    pr: none
    schedules:
      - cron: "0 0 * * *"
        branches: {include: [main]}
    resources:
      pipelines:
        - pipeline: upstream
          source: Data-Refresh
          trigger: true
    variables:
      - group: prod-secrets
      - name: pythonVersion
        value: '3.11'
    stages:
      - stage: Build
        jobs:
          - job: Test
            pool:
              vmImage: ubuntu-latest
            strategy:
              matrix:
                py310:
                  python.version: '3.10'
                py311:
                  python.version: '3.11'
            steps:
              - task: UsePythonVersion@0
                inputs:
                  versionSpec: $(python.version)
              - script: |
                  pip install -r requirements.txt
                  pytest --junitxml=results.xml
                displayName: Run tests
              - bash: echo $(ACR_PASSWORD)
          - job: Package
            dependsOn: Test
            steps:
              - template: templates/package.yml
      - stage: Deploy
        dependsOn: Build
        condition: succeeded()
        jobs:
          - deployment: DeployProd
            environment: production
            strategy:
              runOnce:
                deploy:
                  steps:
                    - task: ManualValidation@0
                    - task: KubernetesManifest@1
                      inputs:
                        action: deploy
                        manifests: k8s/deployment.yaml
                    - script: kubectl rollout status deploy/model
    """
)


def parse(text: str = TEXT) -> list[Evidence]:
    return list(parse_azure_pipelines(ParseInput(PATH, text)))


def test_pipeline_triggers_and_secret_sources() -> None:
    pipeline = parse()[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("push", "tag", "schedule", "pipeline")
    assert pipeline.events == ("trigger", "pr")
    assert pipeline.branches == ("main",)
    assert pipeline.upstream == ("Data-Refresh",)
    assert pipeline.schedules == ("0 0 * * *",)
    assert pipeline.stages == ("Build", "Deploy")
    assert "variable-group:prod-secrets" in pipeline.secrets
    assert pipeline.python_versions == ("3.10", "3.11")


def test_jobs_and_ordering() -> None:
    items = parse()
    by_id = {e.job_id: e for e in items if isinstance(e, CiJob)}
    assert list(by_id) == ["Build/Test", "Build/Package", "Deploy/DeployProd"]
    test = by_id["Build/Test"]
    assert test.runs_on == ("ubuntu-latest",)
    assert test.matrix == {"python.version": ("3.10", "3.11")}
    assert test.needs == () and test.needs_source == "none"
    assert by_id["Build/Package"].needs == ("Build/Test",)
    assert by_id["Build/Package"].needs_source == "explicit"
    deploy = by_id["Deploy/DeployProd"]
    assert deploy.needs == ("Build/Test", "Build/Package")
    assert deploy.needs_source == "stage-order"
    assert deploy.environment == "production" and deploy.manual_approval
    assert deploy.condition == "succeeded()"
    assert deploy.step_count == 3 and "deploy" in deploy.roles
    assert deploy.line == TEXT.splitlines().index("      - deployment: DeployProd") + 1
    assert Link(src=f"ci-stage:{PATH}#Build", dst=f"ci-stage:{PATH}#Deploy", rel="precedes") in set(
        items[0].links
    )


def test_steps_tasks_scripts_and_templates() -> None:
    items = parse()
    task, script, bash, template = [
        e for e in items if isinstance(e, CiStep) and e.job_id.startswith("Build/")
    ]
    assert task.uses is not None and (task.uses.action, task.uses.ref) == ("UsePythonVersion", "0")
    assert task.with_inputs == {"versionSpec": "$(python.version)"}
    assert script.name == "Run tests" and script.roles == ("test",)
    assert bash.shell == "bash" and bash.secrets == ("ACR_PASSWORD",) and bash.echoes_secret
    assert template.uses is not None and template.uses.pin == "local"
    node = f"ci-job:{PATH}#Build/Package"
    assert Link(src=node, dst="file:templates/package.yml", rel="uses") in template.links


def test_single_job_shorthand_and_not_a_pipeline() -> None:
    items = parse("pool: {vmImage: ubuntu-22.04}\nsteps:\n  - script: make test\n")
    pipeline, job, step = items
    assert isinstance(pipeline, CiPipeline) and pipeline.triggers == ("push", "pull_request")
    assert isinstance(job, CiJob) and job.runs_on == ("ubuntu-22.04",)
    assert isinstance(step, CiStep) and step.runs == ("make-target:test",)
    assert parse("name: just a config\n") == []
