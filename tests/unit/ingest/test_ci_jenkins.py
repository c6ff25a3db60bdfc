"""Jenkinsfiles: a lexical reader that only matches in code, never in strings or comments."""

from __future__ import annotations

import textwrap

from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_jenkins import _is_jenkins, parse_jenkinsfile
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

DECLARATIVE = textwrap.dedent(
    """\
    @Library('shared-lib@v2.1.0') _
    // stage('Commented') { sh 'nope' }
    pipeline {
        agent { docker { image 'python:3.11-slim' } }
        triggers { cron('H 2 * * *') }
        environment {
            AWS_CREDS = credentials('aws-prod')
            MODEL_NAME = "churn"
        }
        parameters { string(name: 'EPOCHS', defaultValue: '3') }
        stages {
            stage('Install') {
                steps {
                    sh 'pip install -r requirements.txt'
                }
            }
            stage('Checks') {
                parallel {
                    stage('Lint') { steps { sh "ruff check ." } }
                    stage('Test') {
                        steps {
                            sh '''
                                pytest -q tests/
                                echo "{ not a brace } stage('Fake') {"
                            '''
                        }
                    }
                }
            }
            stage('Train') {
                agent { label 'gpu' }
                steps {
                    sh(script: 'python src/train.py --epochs ${EPOCHS}', returnStatus: true)
                    withCredentials([string(credentialsId: 'hf-token', variable: 'HF_TOKEN')]) {
                        sh 'echo $HF_TOKEN'
                    }
                }
            }
            stage('Deploy') {
                when { branch 'main' }
                steps {
                    input message: 'Deploy to production?'
                    timeout(time: 30, unit: 'MINUTES') {
                        sh 'kubectl apply -f k8s/'
                    }
                }
            }
        }
    }
    """
)


def parse(text: str, path: str = "Jenkinsfile") -> list[Evidence]:
    return list(parse_jenkinsfile(ParseInput(path, text)))


def lineno(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def jobs(items: list[Evidence]) -> dict[str, CiJob]:
    return {e.job_id: e for e in items if isinstance(e, CiJob)}


def test_pipeline_triggers_library_and_env() -> None:
    pipeline = parse(DECLARATIVE)[0]
    assert isinstance(pipeline, CiPipeline) and pipeline.system == "jenkins"
    assert pipeline.triggers == ("schedule", "manual")
    assert pipeline.schedules == ("H 2 * * *",)
    assert pipeline.branches == ("main",)
    assert pipeline.env == ("AWS_CREDS", "MODEL_NAME")
    assert len(pipeline.uses) == 1
    library = pipeline.uses[0]
    assert (library.action, library.ref, library.pin, library.line) == (
        "shared-lib",
        "v2.1.0",
        "tag",
        1,
    )
    assert set(pipeline.secrets) == {"aws-prod", "hf-token"}


def test_stages_order_parallel_and_lines() -> None:
    items = parse(DECLARATIVE)
    by_id = jobs(items)
    assert list(by_id) == ["Install", "Checks", "Lint", "Test", "Train", "Deploy"]
    assert "Commented" not in by_id and "Fake" not in by_id
    assert by_id["Install"].line == lineno(DECLARATIVE, "stage('Install')")
    assert by_id["Install"].end_line == lineno(DECLARATIVE, "stage('Checks')") - 1
    assert by_id["Checks"].needs == ("Install",) and by_id["Checks"].needs_source == "stage-order"
    assert by_id["Lint"].needs == () and by_id["Test"].needs == ()  # parallel branches
    assert by_id["Train"].needs == ("Checks",)
    assert by_id["Deploy"].needs == ("Train",)
    assert by_id["Install"].image == "python:3.11-slim"
    assert by_id["Train"].runs_on == ("gpu",)
    deploy = by_id["Deploy"]
    assert deploy.manual_approval and deploy.timeout_minutes == 30
    assert deploy.condition == "branch 'main'"
    assert "deploy" in deploy.roles
    assert "train" in by_id["Train"].roles and "hf-token" in by_id["Train"].secrets
    assert by_id["Lint"].roles == ("lint",) and "test" in by_id["Test"].roles
    node = "ci-job:Jenkinsfile#Train"
    assert Link(src=node, dst="ci-job:Jenkinsfile#Checks", rel="needs") in by_id["Train"].links


def test_shell_steps() -> None:
    items = parse(DECLARATIVE)
    steps = {e.job_id: e for e in items if isinstance(e, CiStep) and e.job_id != "Train"}
    test = steps["Test"]
    assert test.commands == ("pytest -q tests/", "echo \"{ not a brace } stage('Fake') {\"")
    assert test.line == lineno(DECLARATIVE, "sh '''")
    assert test.shell == "sh"
    train = [e for e in items if isinstance(e, CiStep) and e.job_id == "Train"]
    assert train[0].run == "python src/train.py --epochs ${EPOCHS}"
    assert train[0].runs == ("file:src/train.py",)
    assert train[1].echoes_secret  # HF_TOKEN is bound by withCredentials


def test_scripted_pipeline_and_stages_outside() -> None:
    text = textwrap.dedent(
        """\
        node('linux') {
            checkout scm
            sh "make build"
            docker.image('python:3.10').inside {
                stage("Test ${env.BRANCH_NAME}") {
                    sh 'make test'
                }
            }
            stage('Publish') {
                bat 'twine upload dist/*'
                build job: 'deploy-model'
            }
        }
        """
    )
    items = parse(text)
    by_id = jobs(items)
    assert list(by_id) == ["pipeline", "Test ${env.BRANCH_NAME}", "Publish"]
    assert by_id["pipeline"].runs_on == ("linux",)
    assert by_id["pipeline"].step_count == 1 and "build" in by_id["pipeline"].roles
    assert by_id["Test ${env.BRANCH_NAME}"].image == "python:3.10"
    assert by_id["Publish"].downstream == "deploy-model"
    assert "publish" in by_id["Publish"].roles


def test_matching_and_non_pipelines() -> None:
    assert _is_jenkins("Jenkinsfile") and _is_jenkins("ci/Jenkinsfile.release")
    assert _is_jenkins("build.jenkinsfile") and _is_jenkins("jenkins/deploy.groovy")
    assert not _is_jenkins("src/Main.groovy")
    assert parse("def x = 1\n", "jenkins/util.groovy") == []
    assert parse("") == []
    unterminated = parse("pipeline { stages { stage('A') { steps { sh 'oops }\n")
    assert [e.job_id for e in unterminated if isinstance(e, CiJob)] == ["A"]
