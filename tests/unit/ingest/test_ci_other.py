"""CircleCI and Bitbucket Pipelines."""

from __future__ import annotations

import textwrap

from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_other import parse_bitbucket, parse_circleci
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

CIRCLE = textwrap.dedent(
    """\
    version: 2.1
    orbs:
      python: circleci/python@2.1.1
      aws-cli: circleci/aws-cli@volatile
      slack: someone/slack@dev:alpha
    executors:
      py:
        docker:
          - image: cimg/python:3.11
          - image: cimg/postgres:15.0
    jobs:
      test:
        executor: py
        steps:
          - checkout
          - python/install-packages:
              pkg-manager: pip
          - run:
              name: Run tests
              command: pytest -q
      deploy:
        docker:
          - image: cimg/base:2024.01
        steps:
          - run: echo $AWS_SECRET_ACCESS_KEY && helm upgrade --install model ./chart
    workflows:
      main:
        jobs:
          - test:
              matrix:
                parameters:
                  python-version: ["3.10", "3.11"]
          - hold:
              type: approval
              requires: [test]
          - deploy:
              requires: [hold]
              context: [aws-prod]
              filters:
                branches:
                  only: main
          - python/test:
              name: orb-test
      nightly:
        triggers:
          - schedule:
              cron: "0 0 * * *"
              filters: {branches: {only: [main]}}
        jobs: [test]
    """
)

BITBUCKET = textwrap.dedent(
    """\
    image: python:3.11
    definitions:
      services:
        postgres:
          image: postgres:15
    pipelines:
      default:
        - step:
            name: Test
            services: [postgres]
            script:
              - pip install -r requirements.txt
              - pytest
      branches:
        main:
          - parallel:
              - step:
                  name: Lint
                  script: [ruff check .]
              - step:
                  name: Unit
                  script: [pytest]
          - step:
              name: Deploy
              deployment: production
              trigger: manual
              script:
                - pipe: atlassian/aws-s3-deploy:1.1.0
                  variables:
                    AWS_SECRET_ACCESS_KEY: $AWS_SECRET_ACCESS_KEY
                - echo done
      pull-requests:
        '**':
          - step:
              script: [pytest]
      custom:
        retrain:
          - variables:
              - name: EPOCHS
          - step:
              script: [python train.py --epochs $EPOCHS]
    """
)


def lineno(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def by_job(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def test_circleci_orbs_jobs_and_workflows() -> None:
    path = ".circleci/config.yml"
    items = list(parse_circleci(ParseInput(path, CIRCLE)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("push", "schedule")
    assert pipeline.schedules == ("0 0 * * *",)
    assert pipeline.branches == ("main",)
    pins = {ref.action: (ref.ref, ref.pin, ref.third_party) for ref in pipeline.uses}
    assert pins == {
        "circleci/python": ("2.1.1", "tag", False),
        "circleci/aws-cli": ("volatile", "none", False),
        "someone/slack": ("dev:alpha", "branch", True),
    }
    jobs = by_job(items)
    assert list(jobs) == ["test", "deploy", "hold", "orb-test"]
    test = jobs["test"]
    assert test.image == "cimg/python:3.11" and test.services == ("cimg/postgres:15.0",)
    assert test.runs_on == ("py",)
    assert test.python_versions == ("3.10", "3.11")
    assert test.line == lineno(CIRCLE, "  test:")
    assert jobs["hold"].manual_approval and jobs["hold"].needs == ("test",)
    deploy = jobs["deploy"]
    assert deploy.needs == ("hold",) and deploy.needs_source == "explicit"
    assert "context:aws-prod" in deploy.secrets and "AWS_SECRET_ACCESS_KEY" in deploy.secrets
    assert "deploy" in deploy.roles
    orb_job = jobs["orb-test"]
    assert orb_job.uses is not None and orb_job.uses.action == "circleci/python/test"
    steps = [e for e in items if isinstance(e, CiStep) and e.job_id == "test"]
    assert [s.name for s in steps] == ["checkout", "python/install-packages", "Run tests"]
    assert steps[1].uses is not None and steps[1].uses.ref == "2.1.1"
    assert steps[2].roles == ("test",)
    echo = next(e for e in items if isinstance(e, CiStep) and e.job_id == "deploy")
    assert echo.echoes_secret


def test_bitbucket_steps_parallel_pipes_and_gates() -> None:
    path = "bitbucket-pipelines.yml"
    items = list(parse_bitbucket(ParseInput(path, BITBUCKET)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("push", "pull_request", "manual")
    assert pipeline.branches == ("main",)
    jobs = by_job(items)
    assert list(jobs) == [
        "default/1",
        "branches/main/1",
        "branches/main/2",
        "branches/main/3",
        "pull-requests/**/1",
        "custom/retrain/1",
    ]
    assert jobs["default/1"].services == ("postgres:15",)
    assert jobs["default/1"].display_name == "Test"
    assert jobs["branches/main/1"].needs == () and jobs["branches/main/2"].needs == ()
    deploy = jobs["branches/main/3"]
    assert deploy.needs == ("branches/main/1", "branches/main/2")
    assert deploy.environment == "production" and deploy.manual_approval
    assert deploy.line == lineno(BITBUCKET, "name: Deploy") - 1
    pipe, script = [e for e in items if isinstance(e, CiStep) and e.job_id == deploy.job_id]
    assert pipe.uses is not None
    assert (pipe.uses.action, pipe.uses.ref, pipe.uses.pin) == (
        "atlassian/aws-s3-deploy",
        "1.1.0",
        "tag",
    )
    assert pipe.secrets == ("AWS_SECRET_ACCESS_KEY",)
    assert script.commands == ("echo done",)
    retrain = jobs["custom/retrain/1"]
    assert "train" in retrain.roles
    node = f"ci-job:{path}#custom/retrain/1"
    script_step = next(e for e in items if isinstance(e, CiStep) and e.job_id == retrain.job_id)
    assert Link(src=node, dst="file:train.py", rel="runs") in script_step.links
    assert all(link.rel != "runs" for link in retrain.links)  # asserted once, by the step


def test_not_ours() -> None:
    assert list(parse_circleci(ParseInput(".circleci/other.yml", "foo: 1\n"))) == []
    assert list(parse_bitbucket(ParseInput("bitbucket-pipelines.yml", "image: x\n"))) == []
