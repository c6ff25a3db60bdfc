"""Hygiene rules: large model/data files in the tree, dependencies without versions."""

from __future__ import annotations

from pathlib import Path

from hyperscore.evaluators.assessment import Severity
from tests.unit.findings import fire

MIB = 1024 * 1024


def blob(size: int) -> bytes:
    return b"\x80\x04" + b"\x00" * (size - 2)


# --------------------------------------------------------------------------- large artefacts


def test_large_model_and_data_files_fire(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "models/model.pt": blob(MIB + 1024),  # read by nobody: FileInfo only
        "checkpoints/best.safetensors": blob(3 * MIB),  # over the read limit when parsed or not
        "data/train.csv": "a,b\n" * (11 * MIB // 4),  # over the read limit: Omitted(too-large)
    }
    found = fire(tmp_path, files, "large-artifact-committed")
    assert sorted((f.path, f.severity) for f in found) == [
        ("checkpoints/best.safetensors", Severity.MEDIUM),
        ("data/train.csv", Severity.LOW),
        ("models/model.pt", Severity.MEDIUM),
    ]
    assert all(f.line is None and "MiB" in f.message for f in found)


def test_small_or_dvc_tracked_artefacts_are_fine(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "models/tiny.pkl": blob(200 * 1024),  # under 1 MiB
        "data/sample.csv": "a,b\n" * 1000,  # under 10 MiB
        "assets/diagram.png": blob(3 * MIB),  # not a model or data extension
        "data/raw.csv": "a,b\n" * (11 * MIB // 4),  # tracked by data/raw.csv.dvc
        "data/raw.csv.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: raw.csv\n",
        "models/model.pt": blob(2 * MIB),  # a dvc.yaml output
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    outs:\n"
        "      - models/model.pt\n",
    }
    assert fire(tmp_path, files, "large-artifact-committed") == []


# --------------------------------------------------------------------------- dependencies


def test_unpinned_requirements_fire(tmp_path: Path) -> None:
    files = {"requirements.txt": "torch\ntransformers\npandas==2.2.2\n"}
    found = fire(tmp_path, files, "unpinned-dependencies")
    assert [(f.path, f.line, f.severity) for f in found] == [("requirements.txt", 1, Severity.LOW)]
    assert "2 of 3" in found[0].message and "torch" in found[0].message


def test_vcs_requirement_without_commit_is_unpinned(tmp_path: Path) -> None:
    files = {"requirements.txt": "numpy==2.0.0\nmylib @ git+https://github.com/org/mylib@main\n"}
    found = fire(tmp_path, files, "unpinned-dependencies")
    assert [f.line for f in found] == [2]


def test_pinned_ranged_locked_or_library_metadata_is_fine(tmp_path: Path) -> None:
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=68", "wheel"]\n'
        '[project]\nname = "lib"\nversion = "0.1"\ndependencies = ["numpy", "pandas>=2"]\n'
    )
    files = {
        "requirements.txt": "torch==2.3.1\nnumpy>=1.26,<2\n",
        "pyproject.toml": pyproject,
    }
    assert fire(tmp_path / "a", files, "unpinned-dependencies") == []
    locked = {"requirements.in": "torch\n", "requirements.txt": "torch\n", "uv.lock": UV_LOCK}
    assert fire(tmp_path / "b", locked, "unpinned-dependencies") == []


UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "torch"
version = "2.3.1"
source = { registry = "https://pypi.org/simple" }
"""
