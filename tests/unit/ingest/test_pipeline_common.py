"""Shared pipeline vocabulary: role keywords, secret masking, paths, YAML lines, emission."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineDraft,
    PipelineStage,
    StageDraft,
    classify_role,
    emit_pipeline,
    link_by_artifacts,
    load_yaml_with_lines,
    mask_text,
    mask_url,
    name_tokens,
    normalize_path,
)
from hyperscore.evaluators.model import Link, evidence_from_dict


@pytest.mark.parametrize(
    ("name", "cmd", "step_type", "role"),
    [
        ("deploy_model", None, None, "deploy"),
        ("push-to-endpoint", None, None, "deploy"),
        ("RegisterModelStep", None, None, "register"),
        ("ModelUploadOp", None, None, "register"),
        ("check_accuracy", None, None, "gate"),
        ("validate", None, None, "gate"),
        ("train_and_evaluate", None, None, "train"),  # training wins over its own evaluation
        ("evaluate_and_deploy", None, None, "deploy"),  # an inner check does not gate itself
        ("train_test_split", None, None, "data"),
        ("featurize", None, None, "data"),
        ("checkpoint_sync", None, None, "other"),  # "checkpoint" is not "check"
        ("step1", "python src/train.py --epochs 3", None, "train"),
        ("step2", "python -m pytest tests/", None, "evaluate"),
        ("anything", None, "ConditionStep", "gate"),
        ("anything", None, "RegisterModel", "register"),
        ("run", None, "SageMakerEndpointOperator", "deploy"),
        ("run", None, "BashOperator", "other"),
        ("misc", "echo hi", None, "other"),
    ],
)
def test_classify_role(name: str, cmd: str | None, step_type: str | None, role: str) -> None:
    assert classify_role(name, cmd, step_type) == role


def test_condition_stages_are_gates_whatever_their_name() -> None:
    assert classify_role("condition-1", condition=True) == "gate"
    assert classify_role("join", condition=True) == "gate"


def test_name_tokens_split_camel_snake_and_paths() -> None:
    assert name_tokens("TrainModel_v2-final") == ["train", "model", "v2", "final"]
    assert name_tokens("src/evaluate.py") == ["src", "evaluate", "py"]


def test_mask_text_hides_values_but_keeps_references() -> None:
    masked = mask_text(
        "python t.py --api-key abc123 --hf_token=xyz --max_tokens=5 PASSWORD=hunter2"
    )
    assert "abc123" not in masked and "xyz" not in masked and "hunter2" not in masked
    assert "--max_tokens=5" in masked  # not a secret: the key must end with the secret word
    assert mask_text("echo ${{ secrets.TOKEN }} $TOKEN") == "echo ${{ secrets.TOKEN }} $TOKEN"
    assert mask_text("token=$MY_TOKEN") == "token=$MY_TOKEN"
    assert mask_text("python tokenize.py data") == "python tokenize.py data"
    assert mask_text("curl https://u:pw@h/x?sig=abc") == "curl https://u:***@h/x?sig=***"


def test_mask_url() -> None:
    assert mask_url("https://user:pass@host/repo.git") == "https://user:***@host/repo.git"
    assert mask_url("https://user@host/repo.git") == "https://user@host/repo.git"
    assert mask_url("azure://c/p?sv=2020&sig=S") == "azure://c/p?sv=***&sig=***"
    assert mask_url("s3://bucket/key") == "s3://bucket/key"


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("", "data/x.csv", "data/x.csv"),
        ("sub", "./data/x.csv", "sub/data/x.csv"),
        ("sub", "../model.pkl", "model.pkl"),
        ("sub", "data/", "sub/data"),
        ("sub", "s3://b/k", "s3://b/k"),
        ("sub", "/abs/p", "/abs/p"),
        ("", ".", ""),
    ],
)
def test_normalize_path(base: str, path: str, expected: str) -> None:
    assert normalize_path(base, path) == expected


def test_yaml_lines_index_keys_and_items() -> None:
    doc = load_yaml_with_lines("a:\n  b: 1\n  c:\n    - x\n    - y\nd: 2\n")
    assert doc.data == {"a": {"b": 1, "c": ["x", "y"]}, "d": 2}
    assert doc.line("a") == 1
    assert doc.line("a", "b") == 2
    assert doc.line("a", "c", 1) == 5
    assert doc.line("d") == 6
    assert doc.last_line == 6


def test_yaml_lines_respect_alias_limit_and_bad_yaml() -> None:
    bomb = "a: &a [x, x]\n" + "".join(
        f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n"
        for i in range(60)
    )
    with pytest.raises(FormatError, match="alias"):
        load_yaml_with_lines(bomb)
    with pytest.raises(FormatError, match="invalid YAML"):
        load_yaml_with_lines("a: [1, 2\n")


def test_yaml_lines_alias_bomb_is_refused_not_expanded() -> None:
    # 30 aliases of a doubling structure expand to 2**30 nodes for any consumer that walks the
    # data: the loader refuses it (the walker records the file as unparseable).
    text = "l0: &l0 [1, 2]\n" + "".join(
        f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 30)
    )
    with pytest.raises(FormatError, match="alias bomb"):
        load_yaml_with_lines(text, max_depth=40)


def test_yaml_lines_shared_nodes_are_indexed_once() -> None:
    # A few shared aliases (a normal anchor/merge pattern) load and index without blowing up.
    text = "base: &b {image: python, cpu: 1}\n" + "".join(
        f"job{i}: {{<<: *b, name: j{i}}}\n" for i in range(20)
    )
    doc = load_yaml_with_lines(text, max_depth=40)
    assert len(doc.lines) < 200 and doc.data["job3"]["image"] == "python"


def test_emit_pipeline_links_roles_and_clamps() -> None:
    draft = PipelineDraft(framework="dvc", name="dvc.yaml", line=1, end_line=99)
    draft.stages = [
        StageDraft(name="prep", line=2, outputs=["data/p"], params=["params.yaml#a.b"]),
        StageDraft(name="train", line=5, end_line=500, inputs=["data/p", "data/${item}"],
                   upstream=["prep", "ghost", "train"], params=["p.yaml#*"]),
    ]  # fmt: skip
    items = list(emit_pipeline("dvc.yaml", draft, last_line=10))
    definition, prep, train = items
    assert isinstance(definition, PipelineDefinition)
    assert definition.stage_count == 2 and definition.stages == ("prep", "train")
    assert definition.end_line == 10  # clamped to the file
    assert Link(src="file:dvc.yaml", dst="pipeline:dvc:dvc.yaml", rel="defines") in definition.links
    assert isinstance(prep, PipelineStage) and isinstance(train, PipelineStage)
    assert prep.role == "data" and train.role == "train"
    assert train.upstream == ("prep",)  # unknown and self references dropped
    assert train.end_line == 10
    assert Link(src=train.stage_id, dst="stage:dvc:dvc.yaml/prep", rel="after") in train.links
    assert Link(src=train.stage_id, dst="artifact:data/p", rel="consumes") in train.links
    assert not any("${item}" in link.dst for link in train.links)  # templates make no nodes
    assert Link(src=prep.stage_id, dst="param:params.yaml#a.b", rel="reads-param") in prep.links
    assert Link(src=train.stage_id, dst="file:p.yaml", rel="reads-param") in train.links
    # JSON round trip through the registry
    assert evidence_from_dict(train.model_dump(mode="json")) == train


def test_link_by_artifacts_matches_directories_both_ways() -> None:
    stages = [
        StageDraft(name="a", outputs=["data/prepared"]),
        StageDraft(name="b", inputs=["data/prepared/train.csv"], outputs=["out/model"]),
        StageDraft(name="c", inputs=["out"]),
    ]
    link_by_artifacts(stages)
    assert stages[1].upstream == ["a"]
    assert stages[2].upstream == ["b"]
