"""Taskcluster (JSON-e task definitions, hooks, taskgraph kinds, cron) and Cloud Build files
in a ``cloudbuild/`` directory."""

from __future__ import annotations

import json
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest import registry
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_taskcluster import parse_taskcluster
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

TASKCLUSTER = textwrap.dedent(
    """\
    version: 1
    policy:
      pullRequests: public
    tasks:
      $let:
        head_rev:
          $if: 'tasks_for == "github-pull-request"'
          then: ${event.pull_request.head.sha}
          else: ${event.after}
        repository: ${event.repository.html_url}
        tools_image: "mozilla/taskboot:0.4.2"
      in:
        $let:
          default_task:
            provisionerId: proj-ml
            workerType: batch
            payload:
              maxRunTime: 3600
              image: python:3.12
        in:
          $if: 'tasks_for in ["github-push", "github-pull-request"]'
          then:
            - $mergeDeep:
                - {$eval: default_task}
                - taskId: {$eval: as_slugid("tests")}
                  payload:
                    env:
                      CODECOV_TOKEN: 66162f89-a4d9-420c-84bd-d10f12a428d9
                    command:
                      - "/bin/bash"
                      - "-cx"
                      - "git clone --quiet ${repository} &&
                        cd mlproj &&
                        git checkout ${head_rev} &&
                        pip install -r requirements.txt &&
                        pytest tests/"
                  metadata:
                    name: unit tests
            - $if: 'tasks_for == "github-push" && event.ref == "refs/heads/main"'
              then:
                $mergeDeep:
                  - {$eval: default_task}
                  - taskId: {$eval: as_slugid("train")}
                    dependencies:
                      - {$eval: as_slugid("tests")}
                      - {$eval: as_slugid("decision")}
                    scopes:
                      - secrets:get:project/ml/training
                    payload:
                      image: "${tools_image}"
                      env:
                        TASKCLUSTER_SECRET: project/ml/training
                      command:
                        - python
                        - scripts/train.py
                    metadata:
                      name: train model
    """
)


def _parse(path: str, text: str) -> list[Evidence]:
    return list(parse_taskcluster(ParseInput(path, text)))


def test_taskcluster_yml_jobs_triggers_and_links() -> None:
    items = _parse(".taskcluster.yml", TASKCLUSTER)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.system == "taskcluster"
    assert pipeline.triggers == ("pull_request", "push")
    assert pipeline.events == ("github-pull-request", "github-push")
    jobs = {j.job_id: j for j in items if isinstance(j, CiJob)}
    assert set(jobs) == {"tests", "train"}
    tests = jobs["tests"]
    assert (tests.line, tests.end_line) == (23, 38)
    assert tests.display_name == "unit tests"
    assert tests.image == "python:3.12"
    assert tests.runs_on == ("proj-ml/batch",)
    assert tests.timeout_minutes == 60.0
    assert tests.roles == ("test",)
    assert tests.plaintext_secret_env == ("CODECOV_TOKEN",)
    assert tests.condition == 'tasks_for in ["github-push", "github-pull-request"]'
    train = jobs["train"]
    assert train.line == 41
    assert train.needs == ("tests",)  # the decision task is not in this file
    assert train.needs_source == "explicit"
    assert train.image == "mozilla/taskboot:0.4.2"  # ${tools_image} bound by $let
    assert train.secrets == ("taskcluster-secret:project/ml/training",)
    assert train.plaintext_secret_env == ()
    assert "train" in train.roles
    assert train.condition is not None and 'refs/heads/main"' in train.condition
    assert (
        Link(src="ci-job:.taskcluster.yml#train", dst="ci-job:.taskcluster.yml#tests", rel="needs")
        in train.links
    )
    steps = {s.job_id: s for s in items if isinstance(s, CiStep)}
    assert steps["train"].runs == ("file:scripts/train.py",)
    # the task's own clone is the repository root: `cd mlproj` does not move the workdir
    assert "pytest tests/" in (steps["tests"].run or "")
    assert "cd mlproj" in (steps["tests"].run or "")
    assert "66162f89" not in json.dumps([i.model_dump(mode="json") for i in items])


def test_taskcluster_clone_directory_is_repository_root() -> None:
    text = textwrap.dedent(
        """\
        tasks:
          - taskId: lint
            provisionerId: p
            workerType: w
            payload:
              image: python:3.11
              command: [/bin/sh, -c, "git clone ${repo} /code && cd /code && bash ./ci/lint.sh"]
        """
    )
    items = _parse(".taskcluster.yml", text)
    (step,) = [i for i in items if isinstance(i, CiStep)]
    assert step.runs == ("file:ci/lint.sh",)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.triggers == ()


HOOK = json.dumps(
    {
        "bindings": [{"exchange": "exchange/taskcluster-queue/v1/task-completed"}],
        "schedule": ["0 0 1,16 * *"],
        "metadata": {"name": "data pipeline"},
        "task": {
            "provisionerId": "proj-ml",
            "workerType": "batch",
            "metadata": {"name": "data pipeline"},
            "payload": {"image": "org/spawn:1.0", "command": ["python", "spawn.py"]},
        },
    },
    indent=2,
)


def test_hook_definition_schedule_and_bindings() -> None:
    items = _parse("infra/taskcluster-hook-data.json", HOOK)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("schedule", "pipeline")
    assert pipeline.schedules == ("0 0 1,16 * *",)
    (job,) = [i for i in items if isinstance(i, CiJob)]
    assert job.job_id == "data pipeline" and job.image == "org/spawn:1.0"
    assert job.line == 13  # the "task": { line


KIND = textwrap.dedent(
    """\
    loader: taskgraph.loader.transform:loader
    transforms:
      - taskgraph.transforms.run:transforms
    kind-dependencies:
      - docker-image
    task-defaults:
      worker-type: b-linux
      worker:
        docker-image: python:3.11
        max-run-time: 1800
      run:
        using: run-task
    tasks:
      unit:
        description: Run unit tests
        run:
          command: >-
            pip install -r requirements.txt &&
            pytest tests
      train:
        description: Train the model
        dependencies:
          unit: unit
        when:
          files-changed: ["src/**"]
        run:
          command: [python, scripts/train.py]
    """
)


def test_taskgraph_kind() -> None:
    items = _parse("taskcluster/kinds/ml/kind.yml", KIND)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.upstream == ("docker-image",)
    assert pipeline.paths == ("src/**",)
    jobs = {j.job_id: j for j in items if isinstance(j, CiJob)}
    assert jobs["unit"].line == 14 and jobs["unit"].roles == ("test",)
    assert jobs["unit"].image == "python:3.11" and jobs["unit"].runs_on == ("b-linux",)
    assert jobs["train"].needs == ("unit",)
    steps = {s.job_id: s for s in items if isinstance(s, CiStep)}
    assert steps["train"].runs == ("file:scripts/train.py",)


def test_cron_jobs() -> None:
    text = (
        "jobs:\n  - name: nightly\n    job: {type: decision-task, target-tasks-method: nightly}\n"
    )
    text += "    when:\n      - {hour: 2, minute: 0}\n"
    items = _parse(".cron.yml", text)
    pipeline = items[0]
    assert isinstance(pipeline, CiPipeline)
    assert pipeline.triggers == ("schedule",)
    assert pipeline.schedules == ("nightly: hour: 2 minute: 0",)
    (job,) = [i for i in items if isinstance(i, CiJob)]
    assert job.job_id == "nightly" and job.line == 2


def test_unrelated_files_are_not_claimed() -> None:
    assert _parse("taskcluster/config.yml", "trust-domain: ml\nworkers: {}\n") == []
    assert _parse("infra/taskcluster-notes.json", '{"a": 1}') == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".taskcluster.yml", True),
        ("taskcluster/kinds/test/kind.yml", True),
        ("infra/taskcluster-hook-train.json", True),
        (".cron.yml", True),
        (".github/workflows/ci.yml", False),
        ("config/pipeline.yaml", False),
    ],
)
def test_taskcluster_matcher(path: str, expected: bool) -> None:
    names = {p.name for p in registry.parsers_for(path)}
    assert ("ci-taskcluster" in names) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("cloudbuild/pr-checks.yaml", True),
        ("deploy/cloudbuild/release.yml", True),
        ("cloudbuild.yaml", True),
        ("cloudbuild/README.md", False),
        ("build/pr-checks.yaml", False),
    ],
)
def test_cloud_build_directory_matcher(path: str, expected: bool) -> None:
    names = {p.name for p in registry.parsers_for(path)}
    assert ("ci-cloud-build" in names) is expected


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
    alphabet = st.sampled_from([*"[]{}:\"'$#&*!|>- \n", "\x00", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        else:
            text = text[:pos] + draw(st.text(alphabet, max_size=8)) + text[pos:]
    return text


SAMPLES = {
    ".taskcluster.yml": TASKCLUSTER,
    "infra/taskcluster-hook.json": HOOK,
    "taskcluster/kinds/ml/kind.yml": KIND,
}


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    check(path, data.draw(mutated(SAMPLES[path])))


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(text: str) -> None:
    check(".taskcluster.yml", text)


def test_alias_bombs_and_cycles_are_bounded() -> None:
    chain = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 30))
    check(".taskcluster.yml", chain + "tasks: *l29\n")
    check(".taskcluster.yml", "a: &a {$let: {}, in: *a}\ntasks: *a\n")
    check(
        ".taskcluster.yml",
        "tasks:\n" + "".join(f"  - {{payload: {{}}, ID: t{i}}}\n" for i in range(2000)),
    )
