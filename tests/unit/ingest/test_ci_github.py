"""GitHub Actions workflows and local actions: the facts security and maturity rules read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_github import (
    CiActionDefinition,
    parse_action_definition,
    parse_github_workflow,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PATH = ".github/workflows/ci.yml"

WORKFLOW = textwrap.dedent(
    """\
    name: CI
    on:
      push:
        branches: [main]
        tags: ["v*"]
        paths: ["src/**"]
      pull_request_target:
        types: [opened]
      schedule:
        - cron: "0 3 * * 1"
      workflow_dispatch:
      workflow_run:
        workflows: [Build]
    permissions: write-all
    concurrency:
      group: ci-${{ github.ref }}
    env:
      HF_TOKEN: ${{ secrets.HF_TOKEN }}
      TOKENIZERS_PARALLELISM: "false"
      API_KEY: abcdef123456789
    jobs:
      test:
        runs-on: ubuntu-latest
        timeout-minutes: 20
        strategy:
          matrix:
            python-version: [3.9, 3.10, "3.11"]
            include:
              - python-version: "3.12"
                experimental: true
        steps:
          - uses: actions/checkout@v4
            with:
              ref: ${{ github.event.pull_request.head.sha }}
          - name: Setup
            uses: actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c
            with:
              python-version: ${{ matrix.python-version }}
          - run: |
              pip install -e .
              pytest -q tests/
          - name: Greet
            env:
              TOKEN: ${{ secrets.DEPLOY_TOKEN }}
            run: echo "${{ github.event.issue.title }}" && echo $TOKEN
      deploy:
        needs: [test]
        if: github.ref == 'refs/heads/main'
        environment:
          name: production
          url: https://example.com
        permissions:
          contents: read
          id-token: write
        runs-on: [self-hosted, gpu]
        container: python:3.11-slim
        services:
          db:
            image: postgres:15
        steps:
          - uses: someone/deploy-action@main
            with:
              token: ghp_abcdefghijklmnopqrstuvwxyz0123456789
          - run: python scripts/train.py --epochs 3 && kubectl apply -f k8s/deploy.yaml
            working-directory: ml
          - uses: docker://alpine:3.19
          - uses: ./.github/actions/setup
      reuse:
        uses: org/shared/.github/workflows/release.yml@v2
        secrets: inherit
    """
)


def parse(text: str, path: str = PATH) -> list[Evidence]:
    return list(parse_github_workflow(ParseInput(path, text)))


def lineno(text: str, needle: str, after: int = 0) -> int:
    """1-based line of the first line containing ``needle`` after line ``after``."""
    for idx, line in enumerate(text.splitlines()[after:], start=after + 1):
        if needle in line:
            return idx
    raise AssertionError(needle)


def jobs(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def steps(items: list[Evidence], job_id: str) -> list[CiStep]:
    return [e for e in items if isinstance(e, CiStep) and e.job_id == job_id]


def test_pipeline_triggers_permissions_and_env() -> None:
    items = parse(WORKFLOW)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.system == "github-actions"
    assert pipeline.name == "CI"
    assert pipeline.triggers == (
        "push",
        "tag",
        "pull_request_target",
        "schedule",
        "workflow_dispatch",
        "workflow_run",
    )
    assert pipeline.schedules == ("0 3 * * 1",)
    assert pipeline.branches == ("main",)
    assert pipeline.paths == ("src/**",)
    assert pipeline.upstream == ("Build",)
    assert pipeline.permissions == "write-all"
    assert pipeline.concurrency == "ci-${{ github.ref }}"
    assert pipeline.env == ("HF_TOKEN", "TOKENIZERS_PARALLELISM", "API_KEY")
    assert pipeline.plaintext_secret_env == ("API_KEY",)
    assert "HF_TOKEN" in pipeline.secrets and "DEPLOY_TOKEN" in pipeline.secrets
    assert pipeline.job_ids == ("test", "deploy", "reuse")
    assert pipeline.python_versions == ("3.9", "3.10", "3.11", "3.12")
    assert pipeline.line == 1


def test_jobs_needs_matrix_environment_and_lines() -> None:
    items = parse(WORKFLOW)
    by_id = jobs(items)
    test, deploy, reuse = by_id["test"], by_id["deploy"], by_id["reuse"]
    assert test.line == lineno(WORKFLOW, "  test:")
    assert test.end_line == lineno(WORKFLOW, "echo $TOKEN")
    assert test.matrix["python-version"] == ("3.9", "3.10", "3.11", "3.12")
    assert test.matrix["experimental"] == ("true",)
    assert test.python_versions == ("3.9", "3.10", "3.11", "3.12")
    assert test.float_python_versions == ("3.10",)  # unquoted: YAML reads 3.1
    assert test.timeout_minutes == 20
    assert test.permissions is None
    assert "test" in test.roles
    assert deploy.needs == ("test",) and deploy.needs_source == "explicit"
    assert deploy.environment == "production"
    assert deploy.condition == "github.ref == 'refs/heads/main'"
    assert deploy.permissions == {"contents": "read", "id-token": "write"}
    assert deploy.runs_on == ("self-hosted", "gpu")
    assert deploy.image == "python:3.11-slim"
    assert deploy.services == ("postgres:15",)
    assert {"deploy", "train"} <= set(deploy.roles)
    assert (
        reuse.uses is not None and reuse.uses.action == "org/shared/.github/workflows/release.yml"
    )
    assert reuse.uses.pin == "tag" and reuse.uses.third_party
    assert reuse.inherits_secrets
    links = set(deploy.links)
    assert Link(src=f"file:{PATH}", dst=f"ci-job:{PATH}#deploy", rel="defines") in links
    assert Link(src=f"ci-job:{PATH}#deploy", dst=f"ci-job:{PATH}#test", rel="needs") in links
    assert Link(src=f"ci-job:{PATH}#deploy", dst="image:python:3.11-slim", rel="runs-in") in links
    assert Link(src=f"ci-job:{PATH}#deploy", dst="image:postgres:15", rel="uses-service") in links


def test_steps_pins_checkout_injection_and_secrets() -> None:
    items = parse(WORKFLOW)
    checkout, setup, tests, greet = steps(items, "test")
    assert checkout.uses is not None
    assert (checkout.uses.action, checkout.uses.ref, checkout.uses.pin) == (
        "actions/checkout",
        "v4",
        "tag",
    )
    assert not checkout.uses.third_party
    assert checkout.uses.line == lineno(WORKFLOW, "actions/checkout@v4")
    assert checkout.checks_out_pr_head
    assert checkout.line == lineno(WORKFLOW, "actions/checkout@v4")
    assert setup.uses is not None and setup.uses.pin == "sha"
    assert setup.name == "Setup" and setup.line == lineno(WORKFLOW, "- name: Setup")
    assert tests.commands == ("pip install -e .", "pytest -q tests/")
    assert tests.roles == ("test",)
    assert greet.untrusted_inputs == ("github.event.issue.title",)
    assert greet.secrets == ("DEPLOY_TOKEN",)
    assert greet.echoes_secret  # $TOKEN maps to a secret and is echoed
    assert greet.env == ("TOKEN",)
    assert [s.index for s in (checkout, setup, tests, greet)] == [0, 1, 2, 3]


def test_step_kinds_links_and_redaction() -> None:
    items = parse(WORKFLOW)
    remote, script, docker, local = steps(items, "deploy")
    assert remote.uses is not None and remote.uses.pin == "branch" and remote.uses.third_party
    assert remote.with_inputs == {"token": "***"}
    assert "ghp_" not in remote.model_dump_json()
    assert script.working_directory == "ml"
    node = f"ci-job:{PATH}#deploy"
    assert Link(src=node, dst="file:ml/scripts/train.py", rel="runs") in script.links
    assert Link(src=node, dst="file:ml/k8s/deploy.yaml", rel="deploys") in script.links
    assert script.runs == ("file:ml/scripts/train.py",)
    assert docker.uses is not None and docker.uses.pin == "docker" and docker.uses.ref == "3.19"
    assert Link(src=node, dst="image:alpine:3.19", rel="uses") in docker.links
    assert local.uses is not None and local.uses.pin == "local"
    assert Link(src=node, dst="action:./.github/actions/setup", rel="uses") in local.links


def test_trigger_shapes_and_absent_permissions() -> None:
    items = parse("on: [push, pull_request]\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("push", "pull_request")
    assert pipeline.permissions is None
    assert pipeline.name == "ci"
    single = parse("on: push\npermissions: {}\njobs: {}\n")[0]
    assert isinstance(single, CiPipeline)
    assert single.triggers == ("push",) and single.permissions == {}


def test_empty_and_invalid_documents() -> None:
    assert parse("") == []
    assert parse("# only a comment\n") == []
    with pytest.raises(FormatError):
        parse("- a\n- b\n")
    with pytest.raises(FormatError):
        parse("on: [push\n")


def test_repeated_steps_get_their_own_lines() -> None:
    text = "on: push\njobs:\n" + "".join(
        f"  j{i}:\n    runs-on: x\n    steps:\n      - run: pytest\n      - run: pytest\n"
        for i in range(3)
    )
    items = parse(text)
    lines = [e.line for e in items if isinstance(e, CiStep)]
    assert lines == [6, 7, 11, 12, 16, 17]
    assert len({e.id for e in items}) == len(items)


def test_setup_python_literal_versions() -> None:
    text = textwrap.dedent(
        """\
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: |
                    3.10
                    3.11
        """
    )
    job = jobs(parse(text))["a"]
    assert job.python_versions == ("3.10", "3.11")


def test_github_script_injection_and_pr_head_via_run() -> None:
    text = textwrap.dedent(
        """\
        on: issue_comment
        jobs:
          a:
            runs-on: x
            steps:
              - uses: actions/github-script@v7
                with:
                  script: console.log("${{ github.event.comment.body }}")
              - run: gh pr checkout ${{ github.event.issue.number }}
        """
    )
    script, checkout = steps(parse(text), "a")
    assert script.untrusted_inputs == ("github.event.comment.body",)
    assert checkout.checks_out_pr_head


def test_fixture_workflow_full_mlops() -> None:
    path = ".github/workflows/cd.yml"
    text = (FIXTURES / "full-mlops" / path).read_text()
    items = parse(text, path)
    by_id = jobs(items)
    assert list(by_id) == ["train", "evaluate", "deploy-staging", "deploy-production"]
    assert by_id["deploy-production"].environment == "production"
    assert by_id["deploy-production"].needs == ("deploy-staging",)
    assert "train" in by_id["train"].roles
    uses = [s.uses for s in items if isinstance(s, CiStep) and s.uses is not None]
    assert uses and all(u.pin == "sha" for u in uses)
    train_steps = steps(items, "train")
    dvc_step = next(s for s in train_steps if s.name.startswith("Pull data"))
    node = f"ci-job:{path}#train"
    assert Link(src=node, dst="stage:dvc:train", rel="runs") in dvc_step.links  # via $DVC
    assert dvc_step.secrets == ("MLFLOW_TRACKING_TOKEN",)


def test_composite_action_definition() -> None:
    path = ".github/actions/setup/action.yml"
    text = textwrap.dedent(
        """\
        name: Setup
        description: Install the project
        inputs:
          python:
            default: "3.11"
        runs:
          using: composite
          steps:
            - uses: actions/setup-python@v5
              with:
                python-version: ${{ inputs.python }}
            - run: pip install -e . && echo "${{ github.event.pull_request.title }}"
              shell: bash
        """
    )
    items = list(parse_action_definition(ParseInput(path, text)))
    definition = items[0]
    assert isinstance(definition, CiActionDefinition)
    assert definition.action == "./.github/actions/setup"
    assert definition.using == "composite"
    assert definition.inputs == ("python",)
    assert definition.step_count == 2
    run = items[2]
    assert isinstance(run, CiStep)
    assert run.shell == "bash" and run.untrusted_inputs == ("github.event.pull_request.title",)
    assert run.line == lineno(text, "- run:")
    assert all(link.src == "action:./.github/actions/setup" for link in items[1].links)
    assert list(parse_action_definition(ParseInput("action.yml", "name: x\n"))) == []
