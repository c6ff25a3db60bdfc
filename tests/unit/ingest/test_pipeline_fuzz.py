"""Property tests: pipeline parsers read hostile text without hanging or escaping.

Random text and mutated valid documents must either yield Evidence for the right path with
valid lines, or raise an ``Exception`` (which the walker records as unparseable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.pipeline_dvc import (
    parse_dvc_config,
    parse_dvc_file,
    parse_dvc_lock,
    parse_dvc_yaml,
    parse_params,
)
from hyperscore.evaluators.ingest.parsers.pipeline_mlproject import parse_mlproject
from hyperscore.evaluators.ingest.parsers.pipeline_python import parse_pipeline_python
from hyperscore.evaluators.ingest.parsers.pipeline_specs import parse_pipeline_specs
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, evidence_from_dict

from .test_pipeline_dvc import CONFIG, DVC_YAML, LOCK
from .test_pipeline_mlproject import MLPROJECT
from .test_pipeline_python import (
    AIRFLOW_DAG,
    AIRFLOW_TASKFLOW,
    DAGSTER_DEFS,
    KFP_PIPE,
    METAFLOW_FLOW,
    PREFECT_FLOW,
    SM_PIPE,
    ZENML_PIPE,
)
from .test_pipeline_specs import AZURE_PIPELINE

Parse = Callable[[ParseInput], Iterable[Evidence]]
DATA = Path(__file__).resolve().parent / "data" / "pipelines"

SAMPLES: dict[str, tuple[Parse, str]] = {
    "sub/dvc.yaml": (parse_dvc_yaml, DVC_YAML),
    "sub/dvc.lock": (parse_dvc_lock, LOCK),
    "data/raw.csv.dvc": (
        parse_dvc_file,
        "outs:\n- md5: 22a1\n  size: 14\n  path: raw.csv\n  remote: s\ndeps:\n- path: x\n"
        "  repo:\n    url: https://u:p@h/r\n",
    ),
    ".dvc/config": (parse_dvc_config, CONFIG),
    "params.yaml": (parse_params, "a:\n  b: 1\n  c: [1, 2]\nd:\n  e:\n    f: x\n"),
    "params.json": (parse_params, '{\n "a": {\n  "b": 1\n },\n "c": 2\n}\n'),
    "params.toml": (parse_params, 'x = 1\n[a]\nb = 2\n[a.c]\nd = "e"\n'),
    "MLproject": (parse_mlproject, MLPROJECT),
    "dags/airflow_dag.py": (parse_pipeline_python, AIRFLOW_DAG),
    "dags/taskflow.py": (parse_pipeline_python, AIRFLOW_TASKFLOW),
    "kfp/pipeline.py": (parse_pipeline_python, KFP_PIPE),
    "zenml/pipeline.py": (parse_pipeline_python, ZENML_PIPE),
    "flows/prefect_flow.py": (parse_pipeline_python, PREFECT_FLOW),
    "dagster/defs.py": (parse_pipeline_python, DAGSTER_DEFS),
    "sagemaker/pipeline.py": (parse_pipeline_python, SM_PIPE),
    "metaflow/flow.py": (parse_pipeline_python, METAFLOW_FLOW),
    "kfp/pipeline.yaml": (parse_pipeline_specs, (DATA / "kfp_ir.yaml").read_text()),
    "sm/definition.json": (parse_pipeline_specs, (DATA / "sm_def.json").read_text()),
    "aml/pipeline.yml": (parse_pipeline_specs, AZURE_PIPELINE),
    "prefect.yaml": (
        parse_pipeline_specs,
        "deployments:\n- name: n\n  entrypoint: f.py:g\n  schedule: {cron: '0 * * * *'}\n",
    ),
}


def check(parse: Parse, path: str, text: str) -> None:
    """Evidence for ``path`` with lines inside the file, or an ordinary exception."""
    try:
        items = list(parse(ParseInput(path, text)))
    except Exception:
        return
    last = max(1, len(text.splitlines()))
    for item in items:
        assert isinstance(item, Evidence)
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= last, (item.kind, item.line, last)
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= last
        assert evidence_from_dict(item.model_dump(mode="json")) == item


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """A valid document with a few random edits: deletions, insertions, line shuffles."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "dup", "swap", "chars"]))
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[index]
        elif op == "insert":
            lines.insert(index, draw(st.text(max_size=40)) + "\n")
        elif op == "dup":
            lines.insert(index, lines[index])
        elif op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            line = lines[index]
            cut = draw(st.integers(0, len(line)))
            lines[index] = line[:cut] + draw(st.text(max_size=8)) + line[cut:]
    return "".join(lines)


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_valid_samples_yield_evidence(path: str) -> None:
    parse, text = SAMPLES[path]
    items = list(parse(ParseInput(path, text)))
    assert items, path
    check(parse, path, text)


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    parse, text = SAMPLES[path]
    check(parse, path, data.draw(mutated(text)))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400))
def test_random_text(path: str, text: str) -> None:
    parse, sample = SAMPLES[path]
    # keep the imports so the Python parser gets past its fast framework check
    lines = sample.splitlines(keepends=True)
    prefix = "".join(ln for ln in lines if "import" in ln) if path.endswith(".py") else ""
    check(parse, path, prefix + text)


def test_pathological_inputs_stay_bounded() -> None:
    deep = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 90)) + "  " * 90 + "v: 1\n"
    check(parse_params, "params.yaml", deep)
    many = "stages:\n" + "".join(
        f"  s{i}:\n    cmd: x\n    deps: [o{i - 1}]\n    outs: [o{i}]\n" for i in range(800)
    )
    check(parse_dvc_yaml, "dvc.yaml", many)
    nested = (
        "from prefect import flow\n@flow\ndef f():\n    x = " + "(" * 150 + "1" + ")" * 150 + "\n"
    )
    check(parse_pipeline_python, "f.py", nested)
    chain = "from airflow import DAG\nwith DAG('d') as dag:\n    pass\n" + "a >> " * 400 + "a\n"
    check(parse_pipeline_python, "d.py", chain)
