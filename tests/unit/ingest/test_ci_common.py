"""Shared CI helpers: line-aware YAML, reference pins, command analysis, roles, secrets."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    build_evidence,
    order_by_stages,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    CiStep,
    classify_ref,
    github_action_ref,
    split_image,
)
from hyperscore.evaluators.ingest.parsers.ci_shell import (
    analyse_commands,
    classify_roles,
    echoes_secret,
    is_secret_name,
    redact,
    split_commands,
    untrusted_contexts,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    LineList,
    key_line,
    load_yaml_lines,
    parse_duration_minutes,
    scalar,
)


def test_yaml_lines_floats_and_tags() -> None:
    doc = load_yaml_lines("a:\n  b: 1\n  c:\n    - x\n    - 3.10\nd: !reference [.t, script]\n")[0]
    assert isinstance(doc, LineDict)
    assert key_line(doc, "a") == 1 and key_line(doc["a"], "c") == 3
    items = doc["a"]["c"]
    assert isinstance(items, LineList) and items.item_lines == [4, 5]
    assert scalar(items[1]) == "3.10" and items[1] == pytest.approx(3.1)
    assert doc["a"].start == 2 and doc["a"].end == 5
    assert isinstance(doc["d"], LineList) and doc["d"].tag == "!reference"
    on = load_yaml_lines("on: push\n")[0]
    assert True in on  # YAML 1.1 reads the `on` key as a boolean; parsers handle that


def test_yaml_limits() -> None:
    bomb = "a: &a [x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}]\n" for p, c in zip("abcdefghij", "bcdefghijk", strict=True)
    )
    bomb += "z: [" + ", ".join(["*k"] * 100) + "]\n"
    with pytest.raises(FormatError):
        load_yaml_lines(bomb)
    with pytest.raises(FormatError):
        load_yaml_lines("[" * 500)
    merged = load_yaml_lines("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n")[0]
    assert merged["child"] == {"x": 1, "y": 2} and key_line(merged["child"], "y") == 4


@pytest.mark.parametrize(
    ("ref", "pin"),
    [
        ("b4c75782d28e02e6b411f22063d883695ea14f65", "sha"),
        ("v4", "tag"),
        ("v4.1.7", "tag"),
        ("2.1.1", "tag"),
        ("1.0.0-rc.1", "tag"),
        ("main", "branch"),
        ("b4c7578", "branch"),
        (None, "none"),
    ],
)
def test_classify_ref(ref: str | None, pin: str) -> None:
    assert classify_ref(ref) == pin


def test_action_refs() -> None:
    nested = github_action_ref("github/codeql-action/init@v3", 5)
    assert (nested.action, nested.owner, nested.third_party, nested.line) == (
        "github/codeql-action/init",
        "github",
        False,
        5,
    )
    digest = github_action_ref("docker://ghcr.io/o/i@sha256:" + "a" * 64, None)
    assert digest.pin == "docker" and digest.ref == "sha256:" + "a" * 64
    assert github_action_ref("./x", None).pin == "local"
    assert split_image("registry:5000/img") == ("registry:5000/img", None)
    assert split_image("img:1.0") == ("img", "1.0")


def test_split_commands_and_analysis() -> None:
    script = "# setup\npip install \\\n  -r req.txt\n\npython -m pkg.train --cfg c.yaml\n"
    assert split_commands(script) == ("pip install -r req.txt", "python -m pkg.train --cfg c.yaml")
    found = analyse_commands(
        [
            "uvx --from dvc[s3]==3.51.2 dvc repro train",
            "poetry run python -m pkg.train",
            "python -m pytest tests/",
            "torchrun --nproc_per_node 4 train.py",
            "cd src && python eval.py",
            "(cd ../x && ./run.sh)",
            "bash scripts/deploy.sh prod",
            "source .venv/bin/activate",
            "make -C docs html",
            "docker build -t x -f docker/Dockerfile.gpu .",
            "kubectl apply -f k8s/",
            "jupyter nbconvert --execute notebooks/eda.ipynb",
            "python /abs/path.py $HOME/x.py",
            "python -c 'print(1)'",
        ]
    )
    assert found == [
        ("runs", "stage:dvc:train"),
        ("runs", "module:pkg.train"),
        ("runs", "file:train.py"),
        ("runs", "file:src/eval.py"),
        ("runs", "file:x/run.sh"),  # src/../x, and the subshell's cd does not persist
        ("runs", "file:src/scripts/deploy.sh"),
        ("runs", "make-target:src/docs:html"),
        ("builds", "file:src/docker/Dockerfile.gpu"),
        ("deploys", "file:src/k8s"),
        ("runs", "file:src/notebooks/eda.ipynb"),
    ]
    assert analyse_commands(["make test lint"], "ml") == [
        ("runs", "make-target:ml:test"),
        ("runs", "make-target:ml:lint"),
    ]
    assert analyse_commands(["dvc repro"]) == [("runs", "file:dvc.yaml")]


@pytest.mark.parametrize(
    ("command", "role"),
    [
        ("pytest -q", "test"),
        ("tox -e py311", "test"),
        ("make test", "test"),
        ("ruff check .", "lint"),
        ("kubectl apply -f k8s/", "deploy"),
        ("helm upgrade --install m ./chart", "deploy"),
        ("terraform apply -auto-approve", "deploy"),
        ("gcloud run deploy api --image x", "deploy"),
        ("docker push registry/x:1", "deploy"),
        ("serverless deploy", "deploy"),
        ("python register_model.py", "register"),
        ("client.transition_model_version_stage(...)", "register"),
        ("python train.py", "train"),
        ("python src/models/train_model.py", "train"),
        ("dvc repro", "train"),
        ("kfp run submit -f p.yaml", "train"),
        ("twine upload dist/*", "publish"),
        ("docker build .", "build"),
        ("pip-audit", "security"),
        ("mkdocs build", "docs"),
    ],
)
def test_command_roles(command: str, role: str) -> None:
    assert role in classify_roles([], [command], None)


def test_name_and_action_roles() -> None:
    assert classify_roles(["Deploy to prod"], [], None) == {"deploy"}
    assert classify_roles(["unit-tests"], [], None) == {"test"}
    assert classify_roles(["Set up Python"], [], "actions/setup-python") == set()
    assert classify_roles([], [], "pypa/gh-action-pypi-publish") == {"publish"}
    assert "security" in classify_roles([], [], "github/codeql-action/analyze")
    assert classify_roles(["tokenize"], ["echo hi"], None) == set()


def test_secrets_injection_and_redaction() -> None:
    assert is_secret_name("HF_TOKEN") and is_secret_name("dbPassword")
    assert is_secret_name("OPENAI_API_KEY") and is_secret_name("AWS_SECRET_ACCESS_KEY")
    assert not is_secret_name("TOKENIZERS_PARALLELISM") and not is_secret_name("KEYBOARD")
    assert not is_secret_name("MAX_TOKENS") and not is_secret_name("SORT_KEY")
    assert untrusted_contexts('echo "${{ github.head_ref }} ${{ github.sha }}"') == [
        "github.head_ref"
    ]
    assert untrusted_contexts("${{ github.event.commits[0].message }}") == []
    assert untrusted_contexts("${{ github.event.commits.*.message }}") == [
        "github.event.commits.*.message"
    ]
    assert echoes_secret(["echo $TOKEN"], {"TOKEN"}, github=False)
    assert not echoes_secret(
        ['echo "$TOKEN" | docker login --password-stdin'], {"TOKEN"}, github=False
    )
    assert not echoes_secret(['echo "::add-mask::$TOKEN"'], {"TOKEN"}, github=False)
    assert echoes_secret(["echo ${{ secrets.X }}"], set(), github=True)
    masked = redact(
        "curl -H 'Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123' https://u:hunter22@h/x "
        "--password s3cr3tpass PASSWORD=plaintextpw AKIAABCDEFGHIJKLMNOP mkdir -p some/dir"
    )
    for leaked in ("ghp_", "hunter22", "s3cr3tpass", "plaintextpw", "AKIAABCDEFGHIJKLMNOP"):
        assert leaked not in masked
    assert "mkdir -p some/dir" in masked
    assert redact("PASSWORD=$DB_PASSWORD") == "PASSWORD=$DB_PASSWORD"


def test_durations() -> None:
    assert parse_duration_minutes(30) == 30
    assert parse_duration_minutes("1h 30m") == 90
    assert parse_duration_minutes("1h0m0s") == 60
    assert parse_duration_minutes("600s", "s") == 10
    assert parse_duration_minutes(600, "s") == 10
    assert parse_duration_minutes("soon") is None
    assert parse_duration_minutes(True) is None


def test_build_evidence_stage_order_and_ids() -> None:
    jobs = [
        JobDraft(job_id=n, line=i + 1, stage=s)
        for i, (n, s) in enumerate([("a", "build"), ("b", "build"), ("c", "deploy")])
    ]
    order_by_stages(jobs, ["build", "test", "deploy"])
    assert jobs[2].needs == ["a", "b"] and jobs[2].needs_source == "stage-order"
    shared = StepDraft(name="script", line=1, run="echo hi")
    jobs[0].steps, jobs[1].steps = [shared], [shared]
    items = build_evidence("x.yml", PipelineDraft(system="gitlab-ci", name="x"), jobs)
    steps = [e for e in items if isinstance(e, CiStep)]
    assert [s.name for s in steps] == ["script", "script [b]"]
    assert len({e.id for e in items}) == len(items)
