"""ML-code rules: unsafe model loading, hub pinning, trust_remote_code, credentials."""

from __future__ import annotations

import json
from pathlib import Path

from hyperscore.evaluators.assessment import Severity
from tests.unit.findings import fire

# Fake credentials are assembled at run time so secret scanners never see one in this file.
HF_TOKEN = "hf_" + "AbCdEfGhJk" * 4
AWS_KEY = "AKIA" + "Z7Q2" * 4


def notebook(*cells: tuple[str, str, list[dict[str, object]]]) -> str:
    """A minimal nbformat-4 notebook from (cell_type, source, outputs) triples."""
    body = []
    for index, (cell_type, source, outputs) in enumerate(cells, 1):
        cell: dict[str, object] = {"cell_type": cell_type, "metadata": {}, "source": source}
        if cell_type == "code":
            cell["execution_count"] = index
            cell["outputs"] = outputs
        body.append(cell)
    doc = {
        "cells": body,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(doc, indent=1)


# --------------------------------------------------------------------------- torch.load


def test_torch_load_without_weights_only_fires(tmp_path: Path) -> None:
    found = fire(
        tmp_path,
        {"src/model.py": "import torch\n\ndef load(p):\n    return torch.load(p)\n"},
        "torch-load-without-weights-only",
    )
    assert [(f.path, f.line, f.severity) for f in found] == [("src/model.py", 4, Severity.MEDIUM)]
    assert "load()" in found[0].message


def test_torch_load_explicit_false_is_high(tmp_path: Path) -> None:
    found = fire(
        tmp_path,
        {"m.py": "import torch\nm = torch.load('m.pt', weights_only=False)\n"},
        "torch-load-without-weights-only",
    )
    assert [f.severity for f in found] == [Severity.HIGH]


def test_torch_load_with_weights_only_or_in_tests_is_quiet(tmp_path: Path) -> None:
    files = {
        "m.py": "import torch\nsd = torch.load('m.pt', weights_only=True)\n"
        "torch.save(sd, 'x.pt')\n",
        "tests/test_io.py": "import torch\n\ndef test_roundtrip():\n    torch.load('x.pt')\n",
    }
    assert fire(tmp_path, files, "torch-load-without-weights-only") == []


def test_torch_load_is_low_when_torch_26_is_pinned(tmp_path: Path) -> None:
    files = {"requirements.txt": "torch==2.6.0\n", "m.py": "import torch\ntorch.load('m.pt')\n"}
    found = fire(tmp_path, files, "torch-load-without-weights-only")
    assert [f.severity for f in found] == [Severity.LOW]


# --------------------------------------------------------------------------- pickle / joblib


def test_pickle_load_fires_in_a_notebook(tmp_path: Path) -> None:
    nb = notebook(("code", "import pickle\nmodel = pickle.load(open('model.pkl', 'rb'))\n", []))
    found = fire(tmp_path, {"nb/results.ipynb": nb}, "unsafe-pickle-load")
    assert len(found) == 1
    assert found[0].path == "nb/results.ipynb" and found[0].severity == Severity.MEDIUM
    assert "cell 0" in found[0].message


def test_numpy_allow_pickle_and_dill_fire(tmp_path: Path) -> None:
    src = (
        "import dill\nimport numpy as np\n"
        "x = np.load('a.npy', allow_pickle=True)\ny = dill.load(f)\n"
    )
    found = fire(tmp_path, {"io.py": src}, "unsafe-pickle-load")
    assert sorted(f.line or 0 for f in found) == [3, 4]


def test_pickle_dump_and_loads_do_not_fire(tmp_path: Path) -> None:
    src = (
        "import pickle\nimport numpy as np\n"
        "pickle.dump(obj, open('m.pkl', 'wb'))\n"
        "clone = pickle.loads(pickle.dumps(obj))\n"
        "arr = np.load('a.npy')\n"
    )
    assert fire(tmp_path, {"io.py": src}, "unsafe-pickle-load") == []


def test_joblib_load_is_low(tmp_path: Path) -> None:
    src = "import joblib\n\ndef main(path):\n    return joblib.load(path)\n"
    found = fire(tmp_path, {"src/predict.py": src}, "joblib-load")
    assert [(f.path, f.severity) for f in found] == [("src/predict.py", Severity.LOW)]


def test_joblib_dump_does_not_fire(tmp_path: Path) -> None:
    src = "import joblib\njoblib.dump(model, 'model.joblib')\n"
    assert fire(tmp_path, {"train.py": src}, "joblib-load") == []


def test_unsafe_yaml_load(tmp_path: Path) -> None:
    bad = "import yaml\ncfg = yaml.load(open('c.yaml'), Loader=yaml.Loader)\n"
    good = "import yaml\ncfg = yaml.load(open('c.yaml'), Loader=yaml.SafeLoader)\n"
    assert len(fire(tmp_path / "a", {"cfg.py": bad}, "unsafe-yaml-load")) == 1
    assert fire(tmp_path / "b", {"cfg.py": good}, "unsafe-yaml-load") == []


# --------------------------------------------------------------------------- Hugging Face Hub


def test_from_pretrained_without_revision_fires(tmp_path: Path) -> None:
    src = (
        "from transformers import AutoModel\n"
        "from huggingface_hub import hf_hub_download\n"
        "m = AutoModel.from_pretrained('bert-base-uncased')\n"
        "f = hf_hub_download('org/model', 'weights.bin', revision='main')\n"
    )
    found = fire(tmp_path, {"m.py": src}, "hf-from-pretrained-without-revision")
    assert [(f.line, f.severity) for f in found] == [(3, Severity.LOW), (4, Severity.LOW)]
    assert "branch or tag" in found[1].message


def test_pinned_revision_and_local_paths_are_quiet(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    src = (
        "from transformers import AutoModel\nfrom datasets import load_dataset\n"
        f"a = AutoModel.from_pretrained('bert-base-uncased', revision='{sha}')\n"
        "b = AutoModel.from_pretrained('./checkpoints/best')\n"
        "c = AutoModel.from_pretrained('models/finetuned')\n"
        "d = load_dataset('csv', data_files='data/train.csv')\n"
    )
    files = {"m.py": src, "models/finetuned/config.json": "{}\n"}
    assert fire(tmp_path, files, "hf-from-pretrained-without-revision") == []


def test_trust_remote_code_fires(tmp_path: Path) -> None:
    src = (
        "from transformers import AutoModelForCausalLM\n"
        "m = AutoModelForCausalLM.from_pretrained('org/custom', trust_remote_code=True)\n"
    )
    found = fire(tmp_path, {"m.py": src}, "trust-remote-code")
    assert [(f.line, f.severity) for f in found] == [(2, Severity.HIGH)]
    assert "no commit revision" in found[0].message


def test_trust_remote_code_false_is_quiet(tmp_path: Path) -> None:
    src = (
        "from transformers import AutoModel\n"
        "m = AutoModel.from_pretrained('org/custom', trust_remote_code=False)\n"
    )
    assert fire(tmp_path, {"m.py": src}, "trust-remote-code") == []


# --------------------------------------------------------------------------- credentials


def test_hardcoded_token_is_critical_and_masked(tmp_path: Path) -> None:
    src = f'HF_TOKEN = "{HF_TOKEN}"\nAWS = "{AWS_KEY}"\n'
    found = fire(tmp_path, {"settings.py": src}, "hardcoded-secret")
    assert [(f.line, f.severity) for f in found] == [(1, Severity.CRITICAL), (2, Severity.CRITICAL)]
    for finding in found:
        assert HF_TOKEN not in finding.message and AWS_KEY not in finding.message
        assert "***" in finding.message


def test_password_assignment_is_high(tmp_path: Path) -> None:
    found = fire(tmp_path, {"db.py": 'db_password = "s3cr3t-Pa55word"\n'}, "hardcoded-secret")
    assert [f.severity for f in found] == [Severity.HIGH]
    assert "s3cr3t" not in found[0].message


def test_env_lookups_placeholders_and_test_passwords_are_quiet(tmp_path: Path) -> None:
    files = {
        "cfg.py": "import os\nHF_TOKEN = os.environ['HF_TOKEN']\npassword = 'changeme'\n"
        "token_path = '/var/run/secrets/token'\n",
        "tests/test_db.py": 'password = "hunter2-for-tests"\n',
    }
    assert fire(tmp_path, files, "hardcoded-secret") == []


def test_secret_in_ci_env_dockerfile_and_dvc_config(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  t:\n"
        "    runs-on: ubuntu-latest\n    env:\n      API_TOKEN: abcdef0123456789\n"
        "    steps:\n      - run: make\n",
        "Dockerfile": "FROM python:3.11\nENV DB_PASSWORD=hunter2hunter2\nUSER 1000\n",
        ".dvc/config": "[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://bucket/x\n"
        "    secret_access_key = abcdefabcdefabcdef\n",
    }
    found = fire(tmp_path, files, "hardcoded-secret")
    by_path = {f.path: f.severity for f in found}
    assert by_path == {
        ".github/workflows/ci.yml": Severity.HIGH,
        "Dockerfile": Severity.HIGH,
        ".dvc/config": Severity.CRITICAL,
    }
    assert all("hunter2" not in f.message and "abcdef" not in f.message for f in found)


def test_secret_references_in_ci_dockerfile_and_dvc_local_are_quiet(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  t:\n"
        "    runs-on: ubuntu-latest\n    env:\n      API_TOKEN: ${{ secrets.API_TOKEN }}\n"
        "    steps:\n      - run: make\n",
        "Dockerfile": "FROM python:3.11\nARG PIP_TOKEN\nENV TOKENIZERS_PARALLELISM=false\n",
        ".dvc/config.local": "['remote \"s3\"']\n    secret_access_key = abcdefabcdefabcdef\n",
    }
    assert fire(tmp_path, files, "hardcoded-secret") == []


def test_secret_in_notebook_output_is_high(tmp_path: Path) -> None:
    nb = notebook(
        (
            "code",
            "import os\nprint(os.environ['HF_TOKEN'])\n",
            [{"output_type": "stream", "name": "stdout", "text": [f"{HF_TOKEN}\n"]}],
        )
    )
    found = fire(tmp_path, {"login.ipynb": nb}, "secret-in-notebook-output")
    assert [(f.path, f.severity) for f in found] == [("login.ipynb", Severity.HIGH)]
    assert HF_TOKEN not in found[0].message and "Hugging Face token" in found[0].message


def test_notebook_without_secret_output_is_quiet(tmp_path: Path) -> None:
    nb = notebook(
        (
            "code",
            "print('tokenizer ready')\n",
            [{"output_type": "stream", "name": "stdout", "text": ["tokenizer ready hf_abc\n"]}],
        )
    )
    assert fire(tmp_path, {"ok.ipynb": nb}, "secret-in-notebook-output") == []


def test_token_named_non_secrets_are_quiet(tmp_path: Path) -> None:
    src = (
        'pad_token = "[PAD]"\nmention_token = "@hackbot"\nAPI_TOKEN = "X-Api-Key"\n'
        'bos_token = "<s>"\n'
    )
    assert fire(tmp_path, {"tok.py": src}, "hardcoded-secret") == []


def test_qualified_token_name_is_reported(tmp_path: Path) -> None:
    found = fire(tmp_path, {"cfg.py": 'wandb_token = "a1b2c3d4e5f6a7b8"\n'}, "hardcoded-secret")
    assert [f.severity for f in found] == [Severity.HIGH]


def test_repeated_loads_in_one_file_are_one_finding(tmp_path: Path) -> None:
    src = "import pandas as pd\n" + "".join(
        f"d{i} = pd.read_pickle('f{i}.pkl')\n" for i in range(5)
    )
    found = fire(tmp_path, {"features.py": src}, "unsafe-pickle-load")
    assert len(found) == 1
    assert found[0].line == 2 and "also lines 3, 4, 5, 6" in found[0].message
