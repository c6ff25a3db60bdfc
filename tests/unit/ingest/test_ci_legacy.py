"""Travis CI, AppVeyor and Drone."""

from __future__ import annotations

import textwrap

from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_legacy import parse_appveyor, parse_drone, parse_travis
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence


def jobs(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def test_travis_single_job_matrix_and_deploy() -> None:
    text = textwrap.dedent(
        """\
        language: python
        python: ["3.8", 3.10]
        branches:
          only: [master]
        env:
          global:
            - secure: "abc"
            - PIP_NO_CACHE=1
        install: pip install -r requirements.txt
        script:
          - pytest
        deploy:
          provider: pypi
          password: {secure: "xyz"}
        """
    )
    items = list(parse_travis(ParseInput(".travis.yml", text)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "travis"
    assert pipeline.triggers == ("push", "pull_request")
    assert pipeline.branches == ("master",)
    assert pipeline.secrets == ("travis:secure",)
    build = jobs(items)["build"]
    assert build.python_versions == ("3.8", "3.10") and build.float_python_versions == ("3.10",)
    steps = [e for e in items if isinstance(e, CiStep)]
    assert [s.name for s in steps] == ["install", "script", "deploy (pypi)"]
    assert steps[1].line == 10 and steps[1].roles == ("test",)
    assert "deploy" in steps[2].roles


def test_travis_stages() -> None:
    text = textwrap.dedent(
        """\
        stages: [test, deploy]
        script: pytest
        jobs:
          include:
            - name: unit
              python: "3.11"
            - name: docs
            - stage: deploy
              name: publish
              script: twine upload dist/*
        """
    )
    by_id = jobs(list(parse_travis(ParseInput(".travis.yml", text))))
    assert by_id["unit"].stage == "test" and by_id["docs"].stage == "test"
    assert by_id["publish"].needs == ("unit", "docs")
    assert by_id["publish"].needs_source == "stage-order"
    assert "publish" in by_id["publish"].roles
    assert "test" in by_id["unit"].roles


def test_appveyor_matrix_and_secure_variables() -> None:
    text = textwrap.dedent(
        """\
        image: Visual Studio 2022
        environment:
          PYPI_TOKEN:
            secure: abcdef
          matrix:
            - PYTHON: "C:\\\\Python311"
              PYTHON_VERSION: "3.11"
            - PYTHON_VERSION: "3.12"
        install:
          - cmd: pip install -r requirements.txt
        test_script:
          - ps: pytest
        """
    )
    items = list(parse_appveyor(ParseInput("appveyor.yml", text)))
    build = jobs(items)["build"]
    assert build.python_versions == ("3.11", "3.12")
    assert build.secrets == ("PYPI_TOKEN",)
    steps = [e for e in items if isinstance(e, CiStep)]
    assert [(s.name, s.commands) for s in steps] == [
        ("install", ("pip install -r requirements.txt",)),
        ("test_script", ("pytest",)),
    ]


def test_drone_documents_secrets_and_dependencies() -> None:
    text = textwrap.dedent(
        """\
        kind: pipeline
        type: docker
        name: test
        steps:
          - name: pytest
            image: python:3.11
            commands:
              - pip install -e .
              - pytest
        trigger:
          event: [push, pull_request]
        ---
        kind: pipeline
        name: deploy
        depends_on: [test]
        steps:
          - name: push
            image: plugins/docker
            environment:
              DOCKER_PASSWORD:
                from_secret: docker_password
            commands:
              - echo $DOCKER_PASSWORD
        trigger:
          event: [tag]
        ---
        kind: secret
        name: docker_password
        """
    )
    items = list(parse_drone(ParseInput(".drone.yml", text)))
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("push", "pull_request", "tag")
    by_id = jobs(items)
    assert by_id["deploy"].needs == ("test",)
    assert by_id["deploy"].line == 13
    push = next(e for e in items if isinstance(e, CiStep) and e.job_id == "deploy")
    assert push.image == "plugins/docker"
    assert push.secrets == ("docker_password",)
    assert push.echoes_secret
    assert list(parse_drone(ParseInput(".drone.yml", "kind: secret\nname: x\n"))) == []
