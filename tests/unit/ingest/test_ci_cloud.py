"""AWS CodeBuild buildspecs and Google Cloud Build configs."""

from __future__ import annotations

import json
import textwrap

from hyperscore.evaluators.ingest.parsers.ci_cloud import parse_buildspec, parse_cloud_build
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Link

BUILDSPEC = textwrap.dedent(
    """\
    version: 0.2
    env:
      variables:
        STAGE: prod
      parameter-store:
        DB_URL: /ml/db-url
      secrets-manager:
        HF_TOKEN: prod/hf:token
    phases:
      install:
        runtime-versions:
          python: 3.10
        commands:
          - pip install -r requirements.txt
      build:
        commands:
          - python -m pytest
          - python pipelines/train.py
        finally:
          - echo $HF_TOKEN
      post_build:
        commands:
          - aws sagemaker create-endpoint --endpoint-name churn
    batch:
      build-graph:
        - identifier: train
          buildspec: buildspec-train.yml
        - identifier: deploy
          buildspec: buildspec-deploy.yml
          depend-on: [train]
    """
)

CLOUDBUILD = textwrap.dedent(
    """\
    steps:
      - id: test
        name: python:3.11
        entrypoint: bash
        args: ["-c", "pip install -r requirements.txt && pytest"]
      - id: build
        name: gcr.io/cloud-builders/docker
        args: [build, -t, "gcr.io/$PROJECT_ID/model:$SHORT_SHA", .]
      - name: gcr.io/google.com/cloudsdktool/cloud-sdk
        args: [gcloud, run, deploy, model, --image, "gcr.io/$PROJECT_ID/model"]
        secretEnv: [API_KEY]
        timeout: 600s
      - id: lint
        name: python:3.11
        waitFor: ["-"]
        script: ruff check .
    availableSecrets:
      secretManager:
        - versionName: projects/p/secrets/api-key/versions/latest
          env: API_KEY
    images: ["gcr.io/$PROJECT_ID/model:$SHORT_SHA"]
    """
)


def test_buildspec_phases_secrets_and_batch_graph() -> None:
    path = "buildspec.yml"
    items = list(parse_buildspec(ParseInput(path, BUILDSPEC)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "aws-codebuild"
    assert pipeline.triggers == ()
    assert set(pipeline.secrets) >= {
        "HF_TOKEN",
        "DB_URL",
        "secrets-manager:prod/hf",
        "parameter-store:/ml/db-url",
    }
    jobs = {e.job_id: e for e in items if isinstance(e, CiJob)}
    build = jobs["build"]
    assert build.python_versions == ("3.10",) and build.float_python_versions == ("3.10",)
    assert {"test", "train", "deploy"} <= set(build.roles)
    steps = [e for e in items if isinstance(e, CiStep)]
    assert [s.name for s in steps] == ["install", "build", "build.finally", "post_build"]
    assert steps[1].line == BUILDSPEC.splitlines().index("  build:") + 2  # its commands:
    assert steps[2].echoes_secret
    assert jobs["deploy"].needs == ("train",)
    assert jobs["deploy"].uses is not None and jobs["deploy"].uses.action == "buildspec-deploy.yml"
    assert Link(src=f"ci-job:{path}#deploy", dst="file:buildspec-deploy.yml", rel="uses") in set(
        jobs["deploy"].links
    )


def test_cloud_build_steps_wait_for_and_commands() -> None:
    path = "cloudbuild.yaml"
    items = list(parse_cloud_build(ParseInput(path, CLOUDBUILD)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "cloud-build"
    assert set(pipeline.secrets) >= {"API_KEY", "secret-manager:api-key"}
    jobs = {e.job_id: e for e in items if isinstance(e, CiJob)}
    assert list(jobs) == ["test", "build", "step-3", "lint"]
    assert jobs["build"].needs == ("test",) and jobs["build"].needs_source == "stage-order"
    assert jobs["lint"].needs == () and jobs["lint"].needs_source == "explicit"
    assert jobs["step-3"].timeout_minutes == 10
    assert "deploy" in jobs["step-3"].roles
    assert jobs["build"].image == "gcr.io/cloud-builders/docker"
    steps = {e.job_id: e for e in items if isinstance(e, CiStep)}
    assert steps["test"].run == "pip install -r requirements.txt && pytest"
    assert steps["build"].run is not None and steps["build"].run.startswith("docker build -t")
    assert steps["step-3"].secrets == ("API_KEY",)
    assert steps["lint"].roles == ("lint",)
    assert jobs["lint"].line == CLOUDBUILD.splitlines().index("  - id: lint") + 1


def test_cloud_build_json_and_not_ours() -> None:
    text = json.dumps({"steps": [{"name": "python", "args": ["python", "train.py"]}]}, indent=2)
    items = list(parse_cloud_build(ParseInput("cloudbuild.json", text)))
    step = items[-1]
    assert isinstance(step, CiStep) and step.run == "python python train.py"
    assert list(parse_buildspec(ParseInput("buildspec.yml", "foo: bar\n"))) == []
    assert list(parse_cloud_build(ParseInput("cloudbuild.yaml", "steps: 3\n"))) == []
