"""GitLab CI: extends/!reference resolution, stage ordering, includes, rules-derived triggers."""

from __future__ import annotations

import textwrap

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_gitlab import parse_gitlab_ci
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

PATH = ".gitlab-ci.yml"
TEXT = textwrap.dedent(
    """\
    include:
      - local: /ci/templates.gitlab-ci.yml
      - template: Security/SAST.gitlab-ci.yml
      - project: my-group/ci-templates
        ref: v1.2.0
        file: /python.yml
      - remote: https://example.com/ci.yml
      - component: gitlab.com/org/comps/lint@1.0.0

    stages: [build, test, train, deploy]

    variables:
      PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache"
      DB_PASSWORD: supersecretvalue

    default:
      image: python:3.11-slim
      before_script:
        - pip install -r requirements.txt

    workflow:
      rules:
        - if: $CI_PIPELINE_SOURCE == "merge_request_event"
        - if: $CI_COMMIT_BRANCH == "main"
        - if: $CI_PIPELINE_SOURCE == "schedule"

    .setup:
      script:
        - echo setup

    .test-base:
      stage: test
      services: [postgres:15]
      script:
        - !reference [.setup, script]
        - pytest tests/

    build:
      stage: build
      script:
        - docker build -t $CI_REGISTRY_IMAGE .
        - echo $CI_JOB_TOKEN $HF_TOKEN

    unit:
      extends: .test-base
      parallel:
        matrix:
          - PYTHON_VERSION: ["3.10", "3.11"]

    integration:
      extends: .test-base
      timeout: 1h 30m

    train:
      stage: train
      needs: [unit]
      script: python src/train.py
      rules:
        - if: $CI_COMMIT_TAG

    deploy-prod:
      stage: deploy
      image: bitnami/kubectl:latest
      environment:
        name: production
      when: manual
      script:
        - kubectl apply -f k8s/
      allow_failure: true

    downstream:
      stage: deploy
      trigger:
        project: my-group/deployer
    """
)


def parse(text: str = TEXT, path: str = PATH) -> list[Evidence]:
    return list(parse_gitlab_ci(ParseInput(path, text)))


def lineno(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def jobs(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def test_pipeline_facts() -> None:
    pipeline = parse()[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.system == "gitlab-ci" and not pipeline.fragment
    assert pipeline.triggers == ("push", "merge_request", "schedule", "tag", "manual")
    assert pipeline.events == ("merge_request_event", "schedule")
    assert pipeline.branches == ("main",)
    assert pipeline.stages == ("build", "test", "train", "deploy")
    assert pipeline.includes == (
        "local:/ci/templates.gitlab-ci.yml",
        "template:Security/SAST.gitlab-ci.yml",
        "project:my-group/ci-templates:/python.yml@v1.2.0",
        "remote:https://example.com/ci.yml",
        "component:gitlab.com/org/comps/lint@1.0.0",
    )
    pins = {ref.action: (ref.pin, ref.third_party) for ref in pipeline.uses}
    assert pins["my-group/ci-templates:/python.yml"] == ("tag", True)
    assert pins["https://example.com/ci.yml"] == ("none", True)
    assert pins["template:Security/SAST.gitlab-ci.yml"] == ("none", False)
    assert pins["gitlab.com/org/comps/lint"] == ("tag", True)
    assert pipeline.image == "python:3.11-slim"
    assert pipeline.plaintext_secret_env == ("DB_PASSWORD",)
    assert pipeline.python_versions == ("3.10", "3.11")
    links = set(pipeline.links)
    assert Link(src=f"file:{PATH}", dst="file:ci/templates.gitlab-ci.yml", rel="includes") in links
    assert Link(src=f"ci-stage:{PATH}#build", dst=f"ci-stage:{PATH}#test", rel="precedes") in links


def test_jobs_resolve_extends_references_and_stage_order() -> None:
    items = parse()
    by_id = jobs(items)
    assert list(by_id) == ["build", "unit", "integration", "train", "deploy-prod", "downstream"]
    unit = by_id["unit"]
    assert unit.line == lineno(TEXT, "unit:")
    assert unit.stage == "test" and unit.stage_index == 2
    assert unit.needs == ("build",) and unit.needs_source == "stage-order"
    assert unit.services == ("postgres:15",)
    assert unit.image == "python:3.11-slim"
    assert unit.matrix == {"PYTHON_VERSION": ("3.10", "3.11")}
    assert "test" in unit.roles
    assert by_id["integration"].timeout_minutes == 90
    train = by_id["train"]
    assert train.needs == ("unit",) and train.needs_source == "explicit"
    assert train.condition == "$CI_COMMIT_TAG"
    deploy = by_id["deploy-prod"]
    assert deploy.needs == ("train",)
    assert deploy.environment == "production"
    assert deploy.manual_approval and deploy.continue_on_error
    assert deploy.image == "bitnami/kubectl:latest"
    assert "deploy" in deploy.roles
    assert by_id["downstream"].downstream == "my-group/deployer"
    node = f"ci-job:{PATH}#unit"
    assert Link(src=node, dst=f"ci-stage:{PATH}#test", rel="in-stage") in unit.links


def test_script_sections_are_steps_with_template_lines() -> None:
    items = parse()
    unit_steps = [e for e in items if isinstance(e, CiStep) and e.job_id == "unit"]
    before, script = unit_steps
    assert before.name.startswith("before_script")
    assert before.line == lineno(TEXT, "  before_script:")
    assert script.commands == ("echo setup", "pytest tests/")
    # the template's `script:` line, where the commands are written
    assert script.line == lineno(TEXT, ".test-base:") + 3
    build = [e for e in items if isinstance(e, CiStep) and e.job_id == "build"][1]
    assert build.secrets == ("HF_TOKEN",)  # CI_JOB_TOKEN is predefined, not a project secret
    assert build.echoes_secret
    assert Link(src=f"ci-job:{PATH}#build", dst="file:Dockerfile", rel="builds") in build.links
    assert len({e.id for e in items}) == len(items)


def test_fragments_components_and_errors() -> None:
    fragment = "spec:\n  inputs:\n    stage: {}\n---\nlint:\n  script: ruff check .\n"
    items = parse(fragment, "ci/lint.gitlab-ci.yml")
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.fragment
    assert jobs(items)["lint"].roles == ("lint",)
    assert parse("", PATH) == []
    with pytest.raises(ValueError, match="expected a mapping"):
        parse("- a\n")
    with pytest.raises(FormatError):
        parse("a: [b\n")


def test_extends_cycles_and_only_keywords() -> None:
    text = textwrap.dedent(
        """\
        .a:
          extends: .b
          script: [echo a]
        .b:
          extends: .a
        job:
          extends: .a
          only: [tags, main, merge_requests]
        """
    )
    items = parse(text)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert {"tag", "merge_request"} <= set(pipeline.triggers)
    assert pipeline.branches == ("main",)
    assert jobs(items)["job"].condition == "only: tags, main, merge_requests"
