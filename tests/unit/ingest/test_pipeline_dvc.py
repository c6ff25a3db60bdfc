"""DVC: dvc.yaml stages, dvc.lock pins, *.dvc data, .dvc/config remotes, params files."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDataVersion,
    PipelineDefinition,
    PipelineLockStage,
    PipelineParams,
    PipelineStage,
)
from hyperscore.evaluators.ingest.parsers.pipeline_dvc import (
    parse_dvc_config,
    parse_dvc_file,
    parse_dvc_lock,
    parse_dvc_yaml,
    parse_params,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence, Link

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "full-mlops"

DVC_YAML = """\
vars:
  - params.yaml
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd:
    - python src/featurization.py data/prepared data/features
    - echo done
    deps:
    - data/prepared/train.tsv
    params:
    - featurize
    - conf/custom.yaml:
      - model.depth
    - extra.yaml:
    outs:
    - data/features
  train:
    wdir: ..
    cmd: python src/train.py data/features model.pkl
    deps:
    - sub/data/features
    outs:
    - model.pkl:
        cache: false
        persist: true
    always_changed: true
  evaluate:
    desc: Score the model
    cmd: python src/evaluate.py model.pkl data/features
    deps:
    - ../model.pkl
    - data/features
    metrics:
    - eval/metrics.json:
        cache: false
    plots:
    - eval/plots/prc.json
    frozen: true
  build:
    foreach: [us, eu]
    do:
      cmd: python build.py ${item}
      outs: ["out/${item}.bin"]
  grid:
    matrix:
      model: [a, b]
      size: [1, 2]
    cmd: python grid.py ${item.model}
plots:
  - eval/plots/prc.json
"""


def run_yaml(text: str = DVC_YAML, path: str = "sub/dvc.yaml") -> list[Evidence]:
    return list(parse_dvc_yaml(ParseInput(path, text)))


def stages(items: list[Evidence]) -> dict[str, PipelineStage]:
    return {e.name: e for e in items if isinstance(e, PipelineStage)}


def test_dvc_yaml_definition() -> None:
    items = run_yaml()
    definition = items[0]
    assert isinstance(definition, PipelineDefinition)
    assert definition.framework == "dvc" and definition.name == "sub/dvc.yaml"
    assert definition.stages == ("prepare", "featurize", "train", "evaluate", "build", "grid")
    assert definition.stage_count == 6
    assert definition.line == 3 and not definition.has_retraining_trigger


def test_dvc_yaml_stage_paths_are_repo_relative_with_wdir() -> None:
    by_name = stages(run_yaml())
    prepare = by_name["prepare"]
    assert prepare.line == 4 and prepare.end_line == 13
    assert prepare.cmd == "python src/prepare.py data/data.xml"
    assert prepare.inputs == ("sub/data/data.xml", "sub/src/prepare.py")
    assert prepare.outputs == ("sub/data/prepared",)
    assert prepare.stage_id == "stage:dvc:sub/dvc.yaml/prepare"
    assert prepare.role == "data"
    train = by_name["train"]  # wdir: .. -> paths relative to the repo root
    assert train.inputs == ("sub/data/features",)
    assert train.outputs == ("model.pkl",) and train.uncached_outputs == ("model.pkl",)
    assert train.always_changed and train.role == "train"
    assert Link(src=train.stage_id, dst="artifact:model.pkl", rel="produces") in train.links


def test_dvc_yaml_params_with_default_and_custom_files() -> None:
    by_name = stages(run_yaml())
    assert by_name["prepare"].params == (
        "sub/params.yaml#prepare.seed",
        "sub/params.yaml#prepare.split",
    )
    featurize = by_name["featurize"]
    assert featurize.params == (
        "sub/params.yaml#featurize",
        "sub/conf/custom.yaml#model.depth",
        "sub/extra.yaml#*",
    )
    assert featurize.cmd == "python src/featurization.py data/prepared data/features && echo done"
    rels = {(link.dst, link.rel) for link in featurize.links}
    assert ("param:sub/conf/custom.yaml#model.depth", "reads-param") in rels
    assert ("file:sub/extra.yaml", "reads-param") in rels


def test_dvc_yaml_upstream_from_outs_and_deps() -> None:
    by_name = stages(run_yaml())
    assert by_name["featurize"].upstream == ("prepare",)  # dep inside an output directory
    assert by_name["train"].upstream == ("featurize",)  # same path through different wdirs
    assert set(by_name["evaluate"].upstream) == {"train", "featurize"}
    assert by_name["prepare"].upstream == ()
    evaluate = by_name["evaluate"]
    assert (
        Link(src=evaluate.stage_id, dst="stage:dvc:sub/dvc.yaml/train", rel="after")
        in evaluate.links
    )


def test_dvc_yaml_metrics_plots_frozen_and_roles() -> None:
    evaluate = stages(run_yaml())["evaluate"]
    assert evaluate.metrics == ("sub/eval/metrics.json",)
    assert evaluate.plots == ("sub/eval/plots/prc.json",)
    assert set(evaluate.outputs) == {"sub/eval/metrics.json", "sub/eval/plots/prc.json"}
    assert evaluate.uncached_outputs == ("sub/eval/metrics.json",)
    assert evaluate.frozen and evaluate.role == "evaluate"
    assert evaluate.text == "Score the model"


def test_dvc_yaml_foreach_and_matrix_are_kept_as_templates() -> None:
    by_name = stages(run_yaml())
    build = by_name["build"]
    assert build.foreach and build.foreach_items == ("build@us", "build@eu")
    assert build.cmd == "python build.py ${item}"
    assert build.outputs == ("sub/out/${item}.bin",)
    assert not any("${" in link.dst for link in build.links)
    grid = by_name["grid"]
    assert grid.foreach and grid.foreach_over == "matrix(model, size)"
    assert grid.foreach_items == ("grid@a-1", "grid@a-2", "grid@b-1", "grid@b-2")
    foreach_var = stages(run_yaml("stages:\n  s:\n    foreach: ${models}\n    do:\n      cmd: x\n"))
    assert foreach_var["s"].foreach_over == "${models}" and foreach_var["s"].foreach_items == ()


def test_dvc_yaml_tolerates_empty_and_rejects_non_mappings() -> None:
    assert run_yaml("") == []
    assert [e.kind for e in run_yaml("stages: {}\n")] == ["pipeline.definition"]
    with pytest.raises(FormatError):
        run_yaml("- a\n- b\n")
    with pytest.raises(FormatError):
        run_yaml("stages: [\n")


LOCK = """\
schema: '2.0'
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - path: data/data.xml
      hash: md5
      md5: a304afb96060aad90176268345e10355
      size: 37891850
    params:
      params.yaml:
        prepare.seed: 20170428
        prepare.split: 0.2
    outs:
    - path: data/prepared
      hash: md5
      md5: 153aad06d376b6595932470e459ef42a.dir
      size: 8437363
      nfiles: 2
  train:
    cmd: python train.py
    deps:
    - path: data/prepared
    outs:
    - path: model.pkl
      etag: abc
"""


def test_dvc_lock_stages_and_data_versions() -> None:
    items = list(parse_dvc_lock(ParseInput("sub/dvc.lock", LOCK)))
    locks = {e.name: e for e in items if isinstance(e, PipelineLockStage)}
    prepare = locks["prepare"]
    assert prepare.line == 3 and prepare.pipeline == "sub/dvc.yaml"
    assert prepare.stage_id == "stage:dvc:sub/dvc.yaml/prepare"
    assert prepare.deps == {"sub/data/data.xml": "md5:a304afb96060aad90176268345e10355"}
    assert prepare.outs == {"sub/data/prepared": "md5:153aad06d376b6595932470e459ef42a.dir"}
    assert prepare.params == ("sub/params.yaml#prepare.seed", "sub/params.yaml#prepare.split")
    assert prepare.all_hashed
    assert Link(src="file:sub/dvc.lock", dst=prepare.stage_id, rel="locks") in prepare.links
    train = locks["train"]
    assert not train.all_hashed and train.deps == {"sub/data/prepared": ""}
    assert train.outs == {"sub/model.pkl": "etag:abc"}
    versions = {e.name: e for e in items if isinstance(e, PipelineDataVersion)}
    prepared = versions["sub/data/prepared"]
    assert prepared.source == "dvc-lock" and prepared.line == 15
    assert prepared.hashed and prepared.hash_algo == "md5" and prepared.is_dir
    assert prepared.size == 8437363 and prepared.nfiles == 2
    assert versions["sub/model.pkl"].hash_algo == "etag"


def test_dvc_lock_schema_one() -> None:
    text = "prepare:\n  cmd: x\n  outs:\n  - path: a.csv\n    md5: 11\n"
    items = list(parse_dvc_lock(ParseInput("dvc.lock", text)))
    lock = items[0]
    assert isinstance(lock, PipelineLockStage)
    assert lock.name == "prepare" and lock.outs == {"a.csv": "md5:11"} and lock.line == 1


def test_dvc_file_tracked_and_imported_data() -> None:
    tracked = (
        "outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n  hash: md5\n"
        "  path: data.xml\n  remote: storage\n"
    )
    (item,) = parse_dvc_file(ParseInput("data/data.xml.dvc", tracked))
    assert isinstance(item, PipelineDataVersion)
    assert item.source == "dvc-file" and item.target == "data/data.xml" and item.line == 2
    assert item.hashed and item.hash_algo == "md5" and item.size == 14445097
    assert item.remote == "storage" and not item.is_dir
    assert item.links == (
        Link(src="file:data/data.xml.dvc", dst="artifact:data/data.xml", rel="versions"),
    )
    imported = (
        "md5: 1\nfrozen: true\ndeps:\n- path: get-started/data.xml\n  repo:\n"
        "    url: https://user:secret@github.com/iterative/dataset-registry\n    rev_lock: f31e\n"
        "outs:\n- md5: abc.dir\n  nfiles: 3\n  path: images\n"
    )
    (item,) = parse_dvc_file(ParseInput("data/images.dvc", imported))
    assert isinstance(item, PipelineDataVersion)
    assert item.imported_from == "https://user:***@github.com/iterative/dataset-registry"
    assert item.is_dir and item.nfiles == 3 and item.target == "data/images"
    unhashed = list(parse_dvc_file(ParseInput("x.dvc", "outs:\n- path: big.bin\n")))
    assert isinstance(unhashed[0], PipelineDataVersion) and not unhashed[0].hashed


CONFIG = """\
[core]
    remote = storage
    autostage = true
['remote "storage"']
    url = s3://my-bucket/dvc-store
    access_key_id = AKIAEXAMPLE
    secret_access_key = abc/def
# a comment
[remote "backup"]
    url = azure://container/path?sv=2020&sig=SECRETSIG
[cache]
    type = symlink
"""


def test_dvc_config_remotes_mask_credentials() -> None:
    items = list(parse_dvc_config(ParseInput(".dvc/config", CONFIG)))
    remotes = {e.name: e for e in items if isinstance(e, PipelineDataVersion)}
    assert set(remotes) == {"storage", "backup"}
    storage = remotes["storage"]
    assert storage.source == "dvc-config" and storage.line == 4 and storage.default_remote
    assert storage.remote_url == "s3://my-bucket/dvc-store"
    assert storage.credential_keys == ("access_key_id", "secret_access_key")
    backup = remotes["backup"]
    assert not backup.default_remote and backup.line == 9
    assert backup.remote_url == "azure://container/path?sv=***&sig=***"
    dumped = str([e.model_dump() for e in items])
    assert "AKIAEXAMPLE" not in dumped and "abc/def" not in dumped and "SECRETSIG" not in dumped


def test_params_yaml_keys_lines_and_masked_values() -> None:
    text = (
        "prepare:\n  split: 0.20\n  seed: 42\ntrain:\n  layers: [1, 2]\n  opt:\n    lr: 0.1\n"
        "  api_token: xyz\n"
    )
    (item,) = parse_params(ParseInput("params.yaml", text))
    assert isinstance(item, PipelineParams)
    assert item.format == "yaml" and item.end_line == 8
    assert item.keys == {
        "prepare": 1, "prepare.split": 2, "prepare.seed": 3, "train": 4, "train.layers": 5,
        "train.opt": 6, "train.opt.lr": 7, "train.api_token": 8,
    }  # fmt: skip
    assert item.values["prepare.split"] == 0.2 and item.values["train.opt.lr"] == 0.1
    assert item.values["train.api_token"] == "***"
    assert "train.layers" not in item.values  # lists are leaves without a scalar value
    assert (
        Link(src="file:params.yaml", dst="param:params.yaml#train.opt.lr", rel="defines")
        in item.links
    )


def test_params_json_and_toml_lines() -> None:
    text = (
        '{\n  "train": {\n    "lr": 0.1,\n    "epochs": 3\n  },\n  "eval": {\n    "lr": 9\n  }\n}\n'
    )
    (item,) = parse_params(ParseInput("params.json", text))
    assert isinstance(item, PipelineParams)
    assert item.keys == {"train": 2, "train.lr": 3, "train.epochs": 4, "eval": 6, "eval.lr": 7}
    toml = 'title = "x"\n[train]\nlr = 0.1\n[train.opt]\nname = "adam"\n[eval]\nlr = 2\n'
    (item,) = parse_params(ParseInput("params.toml", toml))
    assert isinstance(item, PipelineParams)
    assert (
        item.keys["eval.lr"] == 7
        and item.keys["train.opt.name"] == 5
        and item.keys["train.lr"] == 3
    )
    assert item.values["eval.lr"] == 2


def test_params_caps_key_count() -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(1500))
    (item,) = parse_params(ParseInput("params.yaml", text))
    assert isinstance(item, PipelineParams)
    assert item.truncated and len(item.keys) == 1000


def test_registry_routes_dvc_files() -> None:
    names = {p.name for p in parsers_for("sub/dvc.yaml")}
    assert "pipeline-dvc-yaml" in names
    assert "pipeline-dvc-lock" in {p.name for p in parsers_for("dvc.lock")}
    assert "pipeline-dvc-file" in {p.name for p in parsers_for("data/raw.csv.dvc")}
    assert "pipeline-dvc-config" in {p.name for p in parsers_for(".dvc/config")}
    assert "pipeline-dvc-config" in {p.name for p in parsers_for("ml/.dvc/config.local")}
    assert "pipeline-params" in {p.name for p in parsers_for("params.yaml")}
    assert "pipeline-dvc-config" not in {p.name for p in parsers_for("config")}


def test_fixture_project_dvc_pipeline_and_lock_agree() -> None:
    yaml_items = run_yaml((FIXTURE / "dvc.yaml").read_text(), "dvc.yaml")
    lock_items = list(parse_dvc_lock(ParseInput("dvc.lock", (FIXTURE / "dvc.lock").read_text())))
    stage_ids = {e.stage_id for e in yaml_items if isinstance(e, PipelineStage)}
    lock_ids = {e.stage_id for e in lock_items if isinstance(e, PipelineLockStage)}
    assert lock_ids and lock_ids <= stage_ids


def test_dvc_lock_foreach_expansions_point_at_their_template() -> None:
    text = "schema: '2.0'\nstages:\n  build@us:\n    cmd: python build.py us\n"
    (lock,) = parse_dvc_lock(ParseInput("dvc.lock", text))
    assert isinstance(lock, PipelineLockStage)
    assert lock.name == "build@us" and lock.stage_id == "stage:dvc:dvc.yaml/build"
