"""Python analysis: modules, imports, resolved calls, seeds, config, tests, secret literals."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeConfig,
    CodeImport,
    CodeModule,
    CodeSecretLiteral,
    CodeSeed,
    CodeTest,
    CodeTestFile,
)
from hyperscore.evaluators.ingest.parsers.python_code import (
    analyse_python,
    module_name,
    parse_python_cached,
    parse_python_file,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence, Link

# Credential-shaped values are assembled at run time so this file holds no literal secrets.
FAKE_HF = "hf_" + "Ab1" * 12
FAKE_AWS = "AKIA" + "IOSFODNN7EXAMPLE"
FAKE_OPENAI = "sk-" + "proj-" + "x9" * 12
FAKE_GH = "ghp_" + "A1b2" * 9


def analyse(source: str, path: str = "src/pkg/train.py") -> list[Evidence]:
    return analyse_python(path, textwrap.dedent(source))


def of(items: list[Evidence], cls: type[Any]) -> list[Any]:
    return [item for item in items if isinstance(item, cls)]


def calls(items: list[Evidence]) -> dict[str, CodeCall]:
    return {c.function: c for c in of(items, CodeCall)}


class TestModule:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("src/pkg/train.py", ("pkg.train", False)),
            ("src/pkg/__init__.py", ("pkg", True)),
            ("pkg/sub/mod.py", ("pkg.sub.mod", False)),
            ("train.py", ("train", False)),
            ("src.py", ("src", False)),
            ("__init__.py", (None, True)),
            ("notes.ipynb", (None, False)),
        ],
    )
    def test_module_name(self, path: str, expected: tuple[str | None, bool]) -> None:
        assert module_name(path) == expected

    def test_module_item(self) -> None:
        items = analyse(
            '''\
            """Train the model.

            Longer description."""
            class A:
                def f(self): ...
            def main(): ...
            if __name__ == "__main__":
                main()
            '''
        )
        module = of(items, CodeModule)[0]
        assert (module.module, module.package, module.is_test) == ("pkg.train", False, False)
        assert (module.functions, module.classes, module.has_main_guard) == (2, 1, True)
        assert module.text == "Train the model."
        assert module.lines == 8
        assert module.links == (
            Link(src="file:src/pkg/train.py", dst="module:pkg.train", rel="defines"),
        )

    def test_registered_for_py_files(self) -> None:
        assert "python" in [p.name for p in parsers_for("src/pkg/train.py")]
        items = list(parse_python_file(ParseInput("a.py", "import os\n")))
        assert [i.kind for i in items] == ["code.import", "code.module"]


class TestImports:
    SOURCE = """\
        import os, numpy as np
        import torch.nn as nn
        from . import utils
        from .models import Net
        from ..common.io import load_data
        try:
            import wandb
        except ImportError:
            wandb = None
        from sklearn.metrics import accuracy_score as acc
        """

    def test_import_items_and_graph_edges(self) -> None:
        imports = of(analyse(self.SOURCE, "src/pkg/sub/train.py"), CodeImport)
        summary = [(i.module, i.names, i.alias, i.level, i.line, i.stdlib, i.optional)
                   for i in imports]  # fmt: skip
        assert summary == [
            ("os", (), None, 0, 1, True, False),
            ("numpy", (), "np", 0, 1, False, False),
            ("torch.nn", (), "nn", 0, 2, False, False),
            ("pkg.sub", ("utils",), None, 1, 3, False, False),
            ("pkg.sub.models", ("Net",), None, 1, 4, False, False),
            ("pkg.common.io", ("load_data",), None, 2, 5, False, False),
            ("wandb", (), None, 0, 7, False, True),
            ("sklearn.metrics", ("accuracy_score",), None, 0, 10, False, False),
        ]
        assert imports[5].links == (
            Link(src="module:pkg.sub.train", dst="module:pkg.common.io", rel="imports"),
        )
        assert imports[7].top_level == "sklearn"

    def test_relative_import_beyond_top_level_is_not_resolved(self) -> None:
        imports = of(analyse("from ...x import y\n", "pkg/mod.py"), CodeImport)
        assert (imports[0].module, imports[0].links) == ("...x", ())

    def test_package_relative_import(self) -> None:
        imports = of(analyse("from .core import run\n", "src/pkg/__init__.py"), CodeImport)
        assert imports[0].module == "pkg.core"


class TestCalls:
    def test_aliases_and_instances_resolve_to_library_names(self) -> None:
        items = analyse(
            """\
            import mlflow as mf
            import wandb
            from mlflow.tracking import MlflowClient
            from joblib import load
            mf.log_metric("acc", 0.9)
            run = wandb.init(project="demo")
            run.log({"loss": 0.1})
            with mf.start_run() as active:
                active.log_param("lr", 0.1)
            client = MlflowClient()
            client.log_metric("r", "m", 1.0)
            clf = load("models/model.joblib")
            """
        )
        found = calls(items)
        assert set(found) == {
            "mlflow.log_metric", "wandb.init", "wandb.init().log", "mlflow.start_run",
            "mlflow.start_run().log_param", "mlflow.tracking.MlflowClient",
            "mlflow.tracking.MlflowClient().log_metric", "joblib.load",
        }  # fmt: skip
        assert found["mlflow.log_metric"].category == "experiment-tracking"
        assert found["mlflow.log_metric"].first_arg == "acc"
        assert found["mlflow.log_metric"].line == 5
        assert found["wandb.init"].literal_kwargs == {"project": "demo"}
        joblib = found["joblib.load"]
        assert joblib.risks == ("pickle-deserialisation",)
        assert joblib.links == (
            Link(src="module:pkg.train", dst="artifact:models/model.joblib", rel="reads"),
        )

    def test_torch_load_weights_only(self) -> None:
        items = analyse(
            """\
            import torch
            def restore():
                a = torch.load("a.pt")
                b = torch.load("b.pt", weights_only=True)
                c = torch.load("c.pt", weights_only=False, map_location="cpu")
                torch.save(a, "out/model.pt")
            """
        )
        loads = [c for c in of(items, CodeCall) if c.function == "torch.load"]
        assert [(c.weights_only, c.risks, c.scope) for c in loads] == [
            (None, ("pickle-deserialisation",), "restore"),
            (True, (), "restore"),
            (False, ("pickle-deserialisation",), "restore"),
        ]
        assert loads[2].keywords == ("weights_only", "map_location")
        save = calls(items)["torch.save"]
        assert save.links[0].dst == "artifact:out/model.pt"
        assert save.links[0].rel == "writes"

    def test_hub_revision_pinning_and_remote_code(self) -> None:
        sha = "0123456789abcdef0123456789abcdef01234567"
        items = analyse(
            f"""\
            from transformers import AutoModel, AutoTokenizer, pipeline
            from huggingface_hub import hf_hub_download
            from datasets import load_dataset
            AutoModel.from_pretrained("org/model", revision="{sha}")
            AutoTokenizer.from_pretrained("org/model", revision="main", trust_remote_code=True)
            AutoModel.from_pretrained("./checkpoints/best")
            hf_hub_download(repo_id="org/model", filename="w.bin")
            load_dataset("imdb")
            model_cls.from_pretrained(name)
            """
        )
        hub = [c for c in of(items, CodeCall) if c.category == "model-hub"]
        summary = [(c.function, c.revision, c.revision_pinned, c.trust_remote_code, c.risks)
                   for c in hub]  # fmt: skip
        assert summary == [
            ("transformers.AutoModel.from_pretrained", sha, True, None, ()),
            ("transformers.AutoTokenizer.from_pretrained", "main", False, True,
             ("trust-remote-code", "unpinned-hub-revision")),
            ("transformers.AutoModel.from_pretrained", None, None, None, ()),
            ("huggingface_hub.hf_hub_download", None, False, None, ("unpinned-hub-revision",)),
            ("datasets.load_dataset", None, False, None, ("unpinned-hub-revision",)),
            ("model_cls.from_pretrained", None, False, None, ()),
        ]  # fmt: skip
        assert hub[2].links[0].dst == "artifact:checkpoints/best"

    def test_unsafe_loaders_and_execution(self) -> None:
        items = analyse(
            """\
            import yaml, pickle, subprocess, os, requests
            import numpy as np
            yaml.load(text)
            yaml.load(text, Loader=yaml.SafeLoader)
            yaml.load(text, Loader=yaml.FullLoader)
            np.load("x.npy", allow_pickle=True)
            np.load("y.npy")
            pickle.load(open("model.pkl", "rb"))
            subprocess.run("ls | wc", shell=True)
            subprocess.run(["ls"])
            os.system("make")
            eval(expr)
            model.eval()
            requests.get(url, verify=False)
            """
        )
        summary = [(c.function, c.line, c.loader, c.risks) for c in of(items, CodeCall)]
        assert summary == [
            ("yaml.load", 3, None, ("unsafe-yaml-loader",)),
            ("yaml.load", 4, "yaml.SafeLoader", ()),
            ("yaml.load", 5, "yaml.FullLoader", ("unsafe-yaml-loader",)),
            ("numpy.load", 6, None, ("pickle-deserialisation",)),
            ("numpy.load", 7, None, ()),
            ("pickle.load", 8, None, ("pickle-deserialisation",)),
            ("subprocess.run", 9, None, ("shell",)),
            ("os.system", 11, None, ("shell",)),
            ("eval", 12, None, ("dynamic-code-execution",)),
            ("requests.get", 14, None, ("tls-verification-disabled",)),
        ]
        pickled = next(c for c in of(items, CodeCall) if c.function == "pickle.load")
        assert pickled.links[0].dst == "artifact:model.pkl"

    def test_metrics_and_data_io_edges(self) -> None:
        items = analyse(
            """\
            from prometheus_client import Counter
            import pandas as pd
            PREDICTIONS = Counter("predictions_total", "Predictions served")
            df = pd.read_csv("data/prepared.csv")
            df.to_csv("data/out.csv")
            """
        )
        edges = {(link.rel, link.dst) for c in of(items, CodeCall) for link in c.links}
        assert edges == {
            ("exposes", "metric:predictions_total"),
            ("reads", "artifact:data/prepared.csv"),
            ("writes", "artifact:data/out.csv"),
        }

    def test_unimported_names_are_not_library_calls(self) -> None:
        items = analyse("aim.track(1)\nmlflow.log_metric('a', 1)\n")
        assert of(items, CodeCall) == []


class TestSeeds:
    def test_seeding_calls_and_values(self) -> None:
        items = analyse(
            """\
            import random
            import numpy as np
            import torch
            import tensorflow as tf
            import lightning as L
            from transformers import set_seed
            random.seed(42)
            np.random.seed(0)
            rng = np.random.default_rng()
            torch.manual_seed(cfg.seed)
            torch.cuda.manual_seed_all(7)
            tf.random.set_seed(1)
            L.seed_everything(123, workers=True)
            set_seed(5)
            torch.backends.cudnn.deterministic = True
            torch.use_deterministic_algorithms(True)
            train_test_split(x, random_state=1)
            RandomForestClassifier(random_state=2)
            """
        )
        seeds = [(s.function, s.framework, s.value, s.value_expr, s.seeded, s.line)
                 for s in of(items, CodeSeed)]  # fmt: skip
        assert seeds == [
            ("random.seed", "python", 42, None, True, 7),
            ("numpy.random.seed", "numpy", 0, None, True, 8),
            ("numpy.random.default_rng", "numpy", None, None, False, 9),
            ("torch.manual_seed", "torch", None, "cfg.seed", True, 10),
            ("torch.cuda.manual_seed_all", "torch", 7, None, True, 11),
            ("tensorflow.random.set_seed", "tensorflow", 1, None, True, 12),
            ("lightning.seed_everything", "lightning", 123, None, True, 13),
            ("transformers.set_seed", "transformers", 5, None, True, 14),
            ("torch.backends.cudnn.deterministic", "torch-determinism", 1, None, True, 15),
            ("torch.use_deterministic_algorithms", "torch-determinism", 1, None, True, 16),
            ("random_state=", "sklearn", 1, None, True, 17),
        ]
        assert of(items, CodeSeed)[-1].count == 2


class TestConfig:
    def test_argparse_options(self) -> None:
        items = analyse(
            """\
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", "-l", type=float, default=0.01, help="learning rate")
            parser.add_argument("data", help="input")
            parser.add_argument("--api-token", default="abc-secret-value")
            parser.add_argument("--fast", action="store_true", required=False)
            """
        )
        options = [(c.option, c.flags, c.default, c.has_default, c.type_name, c.text, c.line)
                   for c in of(items, CodeConfig)]  # fmt: skip
        assert options == [
            ("lr", ("--lr", "-l"), 0.01, True, "float", "learning rate", 3),
            ("data", ("data",), None, False, None, "input", 4),
            ("api-token", ("--api-token",), None, True, None, None, 5),
            ("fast", ("--fast",), None, False, None, None, 6),
        ]
        assert {c.framework for c in of(items, CodeConfig)} == {"argparse"}
        assert of(items, CodeConfig)[3].required is False

    def test_click_typer_absl_fire(self) -> None:
        items = analyse(
            """\
            import click, typer, fire
            from absl import flags
            from typing import Annotated
            app = typer.Typer()
            @click.group()
            def cli(): ...
            @cli.command()
            @click.option("--epochs", default=10, type=int)
            @click.argument("path")
            def train(epochs, path): ...
            @app.command()
            def serve(port: int = typer.Option(8080, "--port"),
                      host: Annotated[str, typer.Option("--host")] = "0.0.0.0"): ...
            flags.DEFINE_integer("batch_size", 32, "Batch size.")
            fire.Fire(train)
            """
        )
        summary = {(c.framework, c.role, c.option, c.default) for c in of(items, CodeConfig)}
        assert summary == {
            ("click", "command", "cli", None),
            ("click", "command", "train", None),
            ("click", "option", "epochs", 10),
            ("click", "argument", "path", None),
            ("typer", "command", "serve", None),
            ("typer", "option", "port", 8080),
            ("typer", "option", "host", "0.0.0.0"),
            ("absl", "option", "batch_size", 32),
            ("fire", "main", "fire.Fire", None),
        }

    def test_yaml_config_keys_with_file(self) -> None:
        items = analyse(
            """\
            import yaml
            def evaluate(params):
                return params["evaluate"]["threshold"]
            with open("params.yaml") as fh:
                params = yaml.safe_load(fh)
            train = params["train"]
            lr = train["lr"]
            epochs = params.get("train", {}).get("epochs")
            for name in names:
                x = params["models"][name]["depth"]
            other = {"a": 1}["a"]
            """
        )
        configs = of(items, CodeConfig)
        load = next(c for c in configs if c.role == "load")
        assert (load.source, load.config_file, load.line) == ("yaml.safe_load", "params.yaml", 5)
        assert load.links == (Link(src="module:pkg.train", dst="file:params.yaml", rel="reads"),)
        keys = [(c.key, c.line, c.config_file, c.option) for c in configs if c.role == "key"]
        assert keys == [
            ("evaluate.threshold", 3, "params.yaml", "params"),
            ("train", 6, "params.yaml", "params"),
            ("train.lr", 7, "params.yaml", "train"),
            ("train.epochs", 8, "params.yaml", "params"),
            ("models", 10, "params.yaml", "params"),
        ]

    def test_rebound_names_keep_the_binding_in_force_at_the_read(self) -> None:
        items = analyse(
            """\
            import yaml
            def train():
                cfg = yaml.safe_load(open("train.yaml"))
                return cfg["lr"]
            def evaluate():
                cfg = yaml.safe_load(open("eval.yaml"))
                return cfg["threshold"]
            """
        )
        keys = [(c.key, c.config_file) for c in of(items, CodeConfig) if c.role == "key"]
        assert keys == [("lr", "train.yaml"), ("threshold", "eval.yaml")]

    def test_hydra_omegaconf_and_dvc_params(self) -> None:
        items = analyse(
            """\
            import hydra
            import dvc.api
            from omegaconf import DictConfig, OmegaConf
            @hydra.main(config_path="../../conf", config_name="train", version_base=None)
            def main(cfg: DictConfig) -> None:
                lr = cfg.optimizer.lr
                cfg.model.build()
                cfg.data.get("path")
            extra = OmegaConf.load("conf/extra.yaml")
            size = extra.model.size
            params = dvc.api.params_show()
            params["train"]["seed"]
            """,
            path="src/pkg/train.py",
        )
        configs = of(items, CodeConfig)
        main = next(c for c in configs if c.role == "main")
        assert (main.framework, main.option, main.config_file, main.config_name) == (
            "hydra", "main", "conf/train.yaml", "train",
        )  # fmt: skip
        keys = {(c.key, c.source, c.config_file) for c in configs if c.role == "key"}
        assert keys == {
            ("optimizer.lr", "hydra", "conf/train.yaml"),
            ("model", "hydra", "conf/train.yaml"),
            ("data.path", "hydra", "conf/train.yaml"),
            ("model.size", "omegaconf.OmegaConf.load", "conf/extra.yaml"),
            ("train.seed", "dvc.api.params_show", "params.yaml"),
        }

    def test_hydra_compose_api_resolves_against_the_calling_file(self) -> None:
        items = analyse(
            """\
            from hydra import compose, initialize
            def cfg_train():
                with initialize(version_base="1.3", config_path="../configs"):
                    cfg = compose(config_name="train.yaml", overrides=[])
                    return cfg.trainer.max_epochs
            """,
            path="tests/conftest.py",
        )
        configs = [(c.role, c.config_dir, c.config_file, c.key) for c in of(items, CodeConfig)]
        assert configs == [
            ("load", "configs", None, None),
            ("load", None, "configs/train.yaml", None),
            ("key", None, "configs/train.yaml", "trainer.max_epochs"),
        ]

    def test_env_vars_are_names_only(self) -> None:
        items = analyse(
            f"""\
            import os
            from os import environ
            token = os.environ["HF_TOKEN"]
            debug = os.getenv("DEBUG", "0")
            key = environ.get("OPENAI_API_KEY", "{FAKE_OPENAI}")
            os.environ["WANDB_MODE"] = "offline"
            """
        )
        envs = [(c.option, c.role, c.has_default, c.secret_like, c.default)
                for c in of(items, CodeConfig)]  # fmt: skip
        assert envs == [
            ("HF_TOKEN", "env", False, True, None),
            ("DEBUG", "env", True, False, None),
            ("OPENAI_API_KEY", "env", True, True, None),
            ("WANDB_MODE", "env-write", False, False, None),
        ]
        assert FAKE_OPENAI not in repr(items)

    def test_pydantic_settings(self) -> None:
        items = analyse(
            """\
            from pydantic_settings import BaseSettings
            class Settings(BaseSettings):
                model_path: str = "model.pt"
                batch_size: int = 8
            """
        )
        setting = of(items, CodeConfig)[0]
        assert (setting.framework, setting.role, setting.option, setting.flags) == (
            "pydantic-settings", "settings", "Settings", ("model_path", "batch_size"),
        )  # fmt: skip


class TestTests:
    SOURCE = """\
        import pytest
        import unittest
        from hypothesis import given

        @pytest.fixture
        def model():
            return 1

        @pytest.mark.slow
        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_accuracy(model, x):
            acc = model.score(x)
            assert acc > 0.8
            assert x

        def test_loss_shape():
            assert len(out) > 0
            assert metrics["loss"] <= 2

        class TestPipeline:
            def test_runs(self):
                assert True
            def helper(self):
                assert False

        class ModelTest(unittest.TestCase):
            def test_f1(self):
                self.assertGreater(f1, 0.75)
                self.assertEqual(a, b)

        def helper():
            assert 1
        """

    def test_test_functions_classes_and_fixtures(self) -> None:
        items = analyse(self.SOURCE, "tests/test_model.py")
        tests = [(t.qualname, t.role, t.framework, t.line, t.asserts, t.has_threshold_assert)
                 for t in of(items, CodeTest)]  # fmt: skip
        assert tests == [
            ("model", "fixture", "pytest", 6, 0, False),
            ("test_accuracy", "function", "pytest", 11, 2, True),
            ("test_loss_shape", "function", "pytest", 16, 2, True),
            ("TestPipeline", "class", "pytest", 20, 0, False),
            ("TestPipeline.test_runs", "method", "pytest", 21, 1, False),
            ("ModelTest", "class", "unittest", 26, 0, False),
            ("ModelTest.test_f1", "method", "unittest", 27, 2, True),
        ]
        accuracy = of(items, CodeTest)[1]
        assert accuracy.parametrized and accuracy.param_cases == 3
        assert accuracy.markers == ("slow",)
        assert accuracy.fixtures == ("model", "x")
        assert accuracy.thresholds == ("acc > 0.8",)
        assert of(items, CodeTest)[2].thresholds == ("metrics['loss'] <= 2",)

    def test_test_file_summary(self) -> None:
        items = analyse(self.SOURCE, "tests/test_model.py")
        summary = of(items, CodeTestFile)[0]
        assert summary.frameworks == ("pytest", "unittest")
        assert (summary.tests, summary.fixtures, summary.parametrized) == (4, 1, 1)
        assert summary.has_threshold_assert and summary.uses_hypothesis
        assert summary.markers == ("slow",)
        assert of(items, CodeModule)[0].is_test

    def test_non_test_files_have_no_pytest_items(self) -> None:
        items = analyse("def test_x():\n    assert acc > 0.9\n", "src/pkg/utils.py")
        assert of(items, CodeTest) == [] and of(items, CodeTestFile) == []
        assert of(items, CodeModule)[0].threshold_asserts == 1  # still a quality gate

    def test_module_level_quality_gate(self) -> None:
        items = analyse("acc = evaluate()\nassert acc >= 0.9, 'too low'\n", "evaluate.py")
        assert of(items, CodeModule)[0].threshold_asserts == 1


class TestSecrets:
    def test_pattern_and_assignment_rules_are_masked(self) -> None:
        source = f'''\
            AWS_KEY = "{FAKE_AWS}"
            HF = "{FAKE_HF}"
            password = "hunter2hunter2"
            db_password = ""
            api_key = "<your-api-key>"
            token = "YOUR_TOKEN"
            secret_name = "prod-db"
            tokenizer = "bert-base-uncased"
            conf = {{"api_key": "real-looking-value-123"}}
            wandb.login(key="{FAKE_GH}")
            PEM = "-----BEGIN RSA PRIVATE KEY-----\\nMIIE"
            def f(auth_token="t0k3n-v4lue"): ...
            '''
        items = analyse(source)
        secrets = [(s.rule, s.line, s.masked, s.context) for s in of(items, CodeSecretLiteral)]
        assert secrets == [
            ("aws-access-key-id", 1, "AKIA***", "AWS_KEY"),
            ("huggingface-token", 2, "hf_A***", "HF"),
            ("credential-assignment", 3, "hunt***", "password"),
            ("credential-assignment", 9, "real***", "api_key"),
            ("github-token", 10, "ghp_***", "key"),
            ("private-key", 11, "----***", "PEM"),
        ]
        dumped = repr(items)
        for value in (FAKE_AWS, FAKE_HF, FAKE_GH, "hunter2hunter2", "real-looking-value-123"):
            assert value not in dumped

    def test_call_literal_kwargs_redact_secrets(self) -> None:
        items = analyse(f'import wandb\nwandb.login(key="{FAKE_GH}", relogin=True)\n')
        login = calls(items)["wandb.login"]
        assert login.literal_kwargs == {"key": "<redacted>", "relogin": True}


class TestErrors:
    def test_syntax_error_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match=r"invalid Python: .* \(line 1\)"):
            analyse("def broken(:\n")

    def test_absurd_nesting_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="nested too deeply"):
            analyse("x = " + " + ".join(["1"] * 20000) + "\n")

    def test_the_last_tree_is_shared_between_parsers(self) -> None:
        source = "import os\n"
        assert parse_python_cached(source) is parse_python_cached(source)
        assert parse_python_cached("import sys\n") is not parse_python_cached(source)

    def test_byte_order_mark_is_accepted(self) -> None:
        items = analyse("\ufeffimport os\n")
        assert [i.kind for i in items] == ["code.import", "code.module"]

    def test_long_attribute_chains_are_walked_without_recursion(self) -> None:
        items = analyse("import torch\nx = torch" + ".a" * 300 + "\ntorch.load('m.pt')\n")
        assert [c.line for c in of(items, CodeCall)] == [3]


# --- property tests -----------------------------------------------------------------------

VALID = textwrap.dedent(TestTests.SOURCE) + textwrap.dedent(
    """\
    import yaml, torch
    from transformers import AutoModel
    with open("params.yaml") as f:
        cfg = yaml.safe_load(f)
    torch.manual_seed(cfg["seed"])
    AutoModel.from_pretrained(cfg["model"], revision="main")
    """
)


def check(path: str, text: str) -> None:
    try:
        items = analyse_python(path, text)
    except Exception:  # recorded as unparseable by the walker
        return
    count = text.count("\n") + 1
    for item in items:
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= count
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= count


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_random_text_never_breaks_the_analysis(text: str) -> None:
    check("tests/test_x.py", text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=len(VALID)),
    drop=st.integers(min_value=0, max_value=40),
    insert=st.text(alphabet="()[]{}:.,=+-*/'\"#\\ \n\tabcx0123@!%", max_size=40),
)
def test_mutated_sources_never_break_the_analysis(cut: int, drop: int, insert: str) -> None:
    check("tests/test_x.py", VALID[:cut] + insert + VALID[cut + drop :])


def test_valid_sample_parses() -> None:
    kinds = {item.kind for item in analyse_python("tests/test_x.py", VALID)}
    assert {"code.test", "code.seed", "code.call", "code.config", "code.test_file"} <= kinds


class TestNotebookStyleRecovery:
    """Exported notebooks and rendered templates: the parseable part is kept, at its lines."""

    def test_magics_are_blanked_and_line_numbers_kept(self) -> None:
        items = analyse(
            """\
            # Databricks notebook source
            import os
            %pip install -r requirements.txt
            !nvidia-smi
            import mlflow
            mlflow.log_metric("rmse", 0.1)
            """
        )
        found = calls(items)
        assert "mlflow.log_metric" in found and found["mlflow.log_metric"].line == 6

    def test_cells_that_parse_are_kept_when_one_does_not(self) -> None:
        items = analyse(
            """\
            # Databricks notebook source
            import mlflow
            # COMMAND ----------
            def broken(:
            # COMMAND ----------
            mlflow.log_param("alpha", 1)
            """
        )
        assert calls(items)["mlflow.log_param"].line == 6

    def test_a_file_without_cells_stays_unparseable(self) -> None:
        with pytest.raises(ValueError, match="invalid Python"):
            analyse("import os\ndef broken(:\n    pass\n")
