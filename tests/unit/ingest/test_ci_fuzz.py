"""Property tests: CI parsers read hostile text without hanging or escaping, and claim only
their own files.

Random text and mutated valid documents must either yield Evidence for the right path with
valid lines, or raise an ``Exception`` (which the walker records as unparseable).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest import registry
from hyperscore.evaluators.ingest.parsers.ci_azure import parse_azure_pipelines
from hyperscore.evaluators.ingest.parsers.ci_cloud import parse_buildspec, parse_cloud_build
from hyperscore.evaluators.ingest.parsers.ci_github import (
    parse_action_definition,
    parse_github_workflow,
)
from hyperscore.evaluators.ingest.parsers.ci_gitlab import parse_gitlab_ci
from hyperscore.evaluators.ingest.parsers.ci_jenkins import parse_jenkinsfile
from hyperscore.evaluators.ingest.parsers.ci_k8s_workflows import parse_k8s_workflows
from hyperscore.evaluators.ingest.parsers.ci_legacy import parse_appveyor, parse_drone, parse_travis
from hyperscore.evaluators.ingest.parsers.ci_other import parse_bitbucket, parse_circleci
from hyperscore.evaluators.model import Evidence

Parse = Callable[[registry.ParseInput], Iterable[Evidence]]

SAMPLES: dict[str, tuple[Parse, str]] = {
    ".github/workflows/ci.yml": (
        parse_github_workflow,
        "on:\n  push: {branches: [main]}\n  schedule: [{cron: '0 0 * * *'}]\npermissions: {}\n"
        "jobs:\n  t:\n    runs-on: x\n    strategy: {matrix: {python-version: [3.10]}}\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
        "        with: {ref: '${{ github.head_ref }}'}\n"
        "      - run: echo ${{ secrets.X }} && pytest\n"
        "  d:\n    needs: t\n    uses: o/r/.github/w.yml@main\n",
    ),
    ".github/actions/a/action.yml": (
        parse_action_definition,
        "name: a\nruns:\n  using: composite\n  steps:\n    - run: make test\n      shell: bash\n",
    ),
    ".gitlab-ci.yml": (
        parse_gitlab_ci,
        "include: [{local: a.yml}]\nstages: [b, t]\n.t: &t\n  script: [!reference [.s, script]]\n"
        ".s:\n  script: [echo]\nj:\n  <<: *t\n  stage: t\n  extends: .t\n"
        "  rules: [{if: $CI_COMMIT_TAG}]\n"
        "k:\n  stage: b\n  script: make\n  needs: []\n",
    ),
    "azure-pipelines.yml": (
        parse_azure_pipelines,
        "trigger: [main]\nstages:\n  - stage: A\n    jobs:\n      - job: x\n        steps:\n"
        "          - script: pytest\n          - task: Foo@2\n  - stage: B\n    jobs:\n"
        "      - deployment: d\n        environment: prod\n        strategy: {runOnce: {deploy: "
        "{steps: [{script: kubectl apply -f k}]}}}\n",
    ),
    ".circleci/config.yml": (
        parse_circleci,
        "version: 2.1\norbs: {p: circleci/python@2}\njobs:\n  t:\n    docker: [{image: x}]\n"
        "    steps: [checkout, {run: pytest}, {p/install: {}}]\nworkflows:\n  w:\n    jobs:\n"
        "      - t\n      - h: {type: approval, requires: [t]}\n",
    ),
    "bitbucket-pipelines.yml": (
        parse_bitbucket,
        "pipelines:\n  default:\n    - step: {script: [pytest]}\n    - parallel:\n"
        "        - step: {script: [a]}\n        - step: {script: [{pipe: 'a/b:1'}]}\n",
    ),
    "Jenkinsfile": (
        parse_jenkinsfile,
        "pipeline {\n agent any\n stages {\n  stage('A') { steps { sh 'make' } }\n"
        "  stage('B') { parallel { stage('C') { steps { sh '''pytest''' } } } }\n }\n}\n",
    ),
    "buildspec.yml": (
        parse_buildspec,
        "version: 0.2\nenv: {secrets-manager: {A: 'x:y'}}\n"
        "phases:\n  build:\n    commands: [pytest]\n",
    ),
    "cloudbuild.yaml": (
        parse_cloud_build,
        "steps:\n  - {id: a, name: python, args: [python, t.py]}\n  - {name: x, waitFor: [a]}\n",
    ),
    ".travis.yml": (parse_travis, "language: python\npython: [3.9]\nscript: pytest\n"),
    "appveyor.yml": (parse_appveyor, "environment:\n  matrix: [{PYTHON_VERSION: 3.9}]\n"),
    ".drone.yml": (
        parse_drone,
        "kind: pipeline\nname: a\nsteps: [{name: t, image: x, commands: [pytest]}]\n---\n"
        "kind: pipeline\nname: b\ndepends_on: [a]\nsteps: []\n",
    ),
    "tekton/p.yaml": (
        parse_k8s_workflows,
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n"
        "    - {name: a, taskSpec: {steps: [{image: x, script: make}]}}\n"
        "    - {name: b, runAfter: [a], taskRef: {name: t}}\n",
    ),
    "argo/wf.yaml": (
        parse_k8s_workflows,
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: w-}\nspec:\n"
        "  templates:\n    - name: m\n      dag: {tasks: [{name: a, template: c}, "
        "{name: b, template: c, depends: a}]}\n    - name: c\n      container: {image: x}\n",
    ),
}


def check(fn: Parse, path: str, text: str) -> None:
    """The property: Evidence with this path and in-range lines, or an ordinary exception."""
    started = time.perf_counter()
    try:
        items = list(fn(registry.ParseInput(path, text)))
    except Exception:
        return
    finally:
        assert time.perf_counter() - started < 5, "parser took more than 5 s"
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert isinstance(item, Evidence)
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= last_line
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` after a few random deletions, insertions and line duplications."""
    alphabet = st.sampled_from([*"[]{}=\"'#\\:;,@-. \n\t&*!|>$()", "\x00", "\u2028", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "junk"]))
        if action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif action == "insert":
            text = text[:pos] + draw(st.text(alphabet, max_size=10)) + text[pos:]
        elif action == "duplicate":
            lines = text.splitlines(keepends=True)
            if lines:
                idx = draw(st.integers(0, len(lines) - 1))
                lines.insert(idx, lines[idx])
            text = "".join(lines)
        else:
            text = text[:pos] + draw(st.text(max_size=15)) + text[pos:]
    return text


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_samples_parse(path: str) -> None:
    fn, text = SAMPLES[path]
    items = list(fn(registry.ParseInput(path, text)))
    assert items, path
    assert len({item.id for item in items}) == len(items)
    check(fn, path, text)


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    fn, text = SAMPLES[path]
    check(fn, path, data.draw(mutated(text)))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(path: str, text: str) -> None:
    fn, _ = SAMPLES[path]
    check(fn, path, text)


_CHAIN = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 31))
ALIAS_DAG = _CHAIN + (
    "jobs: {j: {steps: *l30, script: *l30, before_script: *l30, needs: *l30}}\n"
    "steps: *l30\nstages: *l30\nscript: *l30\ninclude: *l30\n"
    "spec: {tasks: *l30, templates: *l30, steps: *l30}\nphases: {build: {commands: *l30}}\n"
    "pipelines: {default: *l30}\nworkflows: {w: {jobs: *l30}}\n"
    "apiVersion: tekton.dev/v1\nkind: Pipeline\n"
)
CYCLIC = (
    "a: &a [*a]\nb: &b {x: *b, steps: *b, jobs: *b}\njobs: *b\nsteps: *a\nscript: *a\n"
    "spec: *b\nstages: *a\npipelines: *b\nphases: *b\napiVersion: argoproj.io/v1\nkind: Workflow\n"
)

ADVERSARIAL = [
    ALIAS_DAG,
    CYCLIC,
    "\n" * 200_000,
    " " * 200_000 + "x",
    "password=" * 30_000,
    "glpat-" * 30_000,
    "://a:" * 30_000,
    "run: " + "login " * 30_000 + "\n",
    "stage('a') { sh 'x' }\n" * 2_000,
    "pipeline {\n" + "stage('s') {\n" * 3_000 + "sh 'make'\n" + "}\n" * 3_000 + "}\n",
    "a" * 200_000,
    "stage('" + "x" * 100_000,
    "sh '" + "{" * 50_000 + "\n",
    "'''" + "(" * 100_000,
    "/*" + "}" * 100_000,
    "jobs:\n"
    + "".join(
        f"  j{i}:\n    needs: [j{i - 1}]\n    steps: [{{run: pytest}}]\n" for i in range(500)
    ),
    "stages: [a, b]\n"
    + "".join(
        f"a{i}: {{stage: a, script: x}}\nb{i}: {{stage: b, script: y}}\n" for i in range(500)
    ),
    "steps:\n" + "  - {name: x, args: [a]}\n" * 2_000,
    "x: " + "${{ " * 20_000 + "\n",
    "run: " + "echo $A && " * 20_000 + "\n",
    "apiVersion: tekton.dev/v1\nkind: Pipeline\nspec:\n  tasks:\n"
    + "".join(f"    - {{name: t{i}, runAfter: [t{i - 1}]}}\n" for i in range(1000)),
]


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_adversarial_inputs_finish_quickly(path: str) -> None:
    fn, _ = SAMPLES[path]
    for text in ADVERSARIAL:
        check(fn, path, text)


def _ci_parsers_for(path: str) -> set[str]:
    return {p.name for p in registry._PARSERS if p.name.startswith("ci-") and p.matches(path)}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".github/workflows/ci.yml", {"ci-github-actions", "ci-k8s-workflows"}),
        (".github/actions/setup/action.yaml", {"ci-github-action-definition", "ci-k8s-workflows"}),
        (".gitlab-ci.yml", {"ci-gitlab", "ci-k8s-workflows"}),
        ("ci/deploy.gitlab-ci.yml", {"ci-gitlab", "ci-k8s-workflows"}),
        (".gitlab/ci/test.yml", {"ci-gitlab", "ci-k8s-workflows"}),
        ("azure-pipelines.yml", {"ci-azure-pipelines", "ci-k8s-workflows"}),
        (".azuredevops/release.yaml", {"ci-azure-pipelines", "ci-k8s-workflows"}),
        (".circleci/config.yml", {"ci-circleci", "ci-k8s-workflows"}),
        ("bitbucket-pipelines.yml", {"ci-bitbucket", "ci-k8s-workflows"}),
        ("Jenkinsfile", {"ci-jenkins"}),
        ("ci/Jenkinsfile.nightly", {"ci-jenkins"}),
        ("jenkins/pipeline.groovy", {"ci-jenkins"}),
        ("buildspec-train.yml", {"ci-aws-codebuild", "ci-k8s-workflows"}),
        ("deploy/cloudbuild.yaml", {"ci-cloud-build", "ci-k8s-workflows"}),
        ("cloudbuild.json", {"ci-cloud-build"}),
        (".travis.yml", {"ci-travis", "ci-k8s-workflows"}),
        ("appveyor.yml", {"ci-appveyor", "ci-k8s-workflows"}),
        (".drone.yml", {"ci-drone", "ci-k8s-workflows"}),
        ("src/model.py", set()),
        ("src/Main.groovy", set()),
    ],
)
def test_matching(path: str, expected: set[str]) -> None:
    assert _ci_parsers_for(path) == expected
