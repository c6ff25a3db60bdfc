"""Makefiles, justfiles and Taskfiles: targets, prerequisites, recipes, roles and graph edges."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest import registry
from hyperscore.evaluators.ingest.parsers.build_tools import (
    BuildTarget,
    parse_justfile,
    parse_makefile,
    parse_taskfile,
    target_node,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

MAKEFILE = textwrap.dedent(
    """\
    # Project tasks
    -include env.sh
    export
    PYTHON ?= python3
    DATA := data/raw.csv

    .PHONY: help setup test lint train deploy

    help: ## Show this help
    \t@grep -E '^[a-z]+:' $(MAKEFILE_LIST)

    setup:
    \tpip install -r requirements.txt

    # Run the unit tests
    test: setup
    \t@cd src && \\
    \t\t$(PYTHON) -m pytest tests/ \\
    \t\t--cov=src

    lint:
    \truff check . && mypy src

    data/features.csv: $(DATA) scripts/featurize.py
    \tpython scripts/featurize.py $(DATA) $@

    train: data/features.csv | setup
    \tpython scripts/train.py --config configs/train.yaml
    \t$(MAKE) evaluate

    evaluate:
    \tbash ./scripts/evaluate.sh

    deploy: train ; kubectl apply -f k8s/deployment.yaml

    reproduce:
    \tdvc repro

    define BANNER
    fake: rule inside define
    endef

    %.o: %.c
    \t$(CC) -c $< -o $@
    train: VERBOSE=1
    """
)


def _by_target(items: Iterable[Evidence]) -> dict[str, BuildTarget]:
    return {i.target: i for i in items if isinstance(i, BuildTarget)}


def test_makefile_targets_recipes_and_phony() -> None:
    targets = _by_target(parse_makefile(ParseInput("Makefile", MAKEFILE)))
    assert set(targets) == {
        "help", "setup", "test", "lint", "data/features.csv", "train", "evaluate", "deploy",
        "reproduce", "%.o",
    }  # fmt: skip
    test = targets["test"]
    assert (test.line, test.end_line) == (16, 19)
    assert test.prerequisites == ("setup",)
    assert test.commands == ("cd src && $(PYTHON) -m pytest tests/ --cov=src",)
    assert test.phony and test.description == "Run the unit tests"
    assert test.roles == ("test",)
    assert targets["help"].description == "Show this help"
    assert targets["train"].prerequisites == ("data/features.csv", "setup")
    assert targets["train"].commands == (
        "python scripts/train.py --config configs/train.yaml",
        "make evaluate",
    )
    assert targets["deploy"].commands == ("kubectl apply -f k8s/deployment.yaml",)
    assert "deploy" in targets["deploy"].roles
    assert targets["reproduce"].roles == ("reproduce", "train")
    assert targets["%.o"].pattern and not targets["%.o"].phony
    assert not targets["data/features.csv"].phony
    assert targets["lint"].roles == ("lint",)


def test_makefile_links_use_ci_node_ids() -> None:
    targets = _by_target(parse_makefile(ParseInput("Makefile", MAKEFILE)))
    train = targets["train"]
    assert train.node == "make-target:train"
    assert Link(src="file:Makefile", dst="make-target:train", rel="defines") in train.links
    assert Link(src="make-target:train", dst="make-target:setup", rel="depends") in train.links
    assert (
        Link(src="make-target:train", dst="make-target:data/features.csv", rel="depends")
        in train.links
    )
    assert Link(src="make-target:train", dst="file:scripts/train.py", rel="runs") in train.links
    assert Link(src="make-target:train", dst="make-target:evaluate", rel="runs") in train.links
    assert train.runs == ("file:scripts/train.py", "make-target:evaluate")
    features = targets["data/features.csv"]
    assert (
        Link(src="make-target:data/features.csv", dst="file:scripts/featurize.py", rel="depends")
        in features.links
    )
    evaluate = targets["evaluate"]
    assert evaluate.runs == ("file:scripts/evaluate.sh",)
    deploy = targets["deploy"]
    assert (
        Link(src="make-target:deploy", dst="file:k8s/deployment.yaml", rel="deploys")
        in deploy.links
    )


def test_sub_directory_makefile_prefixes_nodes_like_ci() -> None:
    text = "train:\n\tpython train.py\n"
    items = _by_target(parse_makefile(ParseInput("services/model/Makefile", text)))
    train = items["train"]
    # CI writes make-target:services/model:train for `make -C services/model train`
    assert train.node == "make-target:services/model:train"
    assert train.directory == "services/model"
    assert train.runs == ("file:services/model/train.py",)
    assert target_node("make", "", "x") == "make-target:x"
    fragment = _by_target(parse_makefile(ParseInput("make/ml.mk", "fit:\n\tpython fit.py\n")))
    assert fragment["fit"].node == "make-target:fit"  # included by the root Makefile


def test_makefile_redacts_credentials() -> None:
    text = "publish:\n\ttwine upload -u __token__ --password pypi-AgEIcHlwaS5vcmcAAAAA dist/*\n"
    (item,) = parse_makefile(ParseInput("Makefile", text))
    assert isinstance(item, BuildTarget)
    assert "pypi-AgEI" not in " ".join(item.commands)
    assert item.roles == ("publish",)


JUSTFILE = textwrap.dedent(
    """\
    set dotenv-load := true
    alias t := test
    python := "python3"

    # Run the test-suite
    test *args: install
        {{python}} -m pytest {{args}}

    [private]
    install:
        pip install -e .

    [doc('Train the model')]
    train epochs="10": (install) && report
        @python scripts/train.py \\
            --epochs {{epochs}}
        just report

    report:
        #!/usr/bin/env python3
        print("done")

    _helper:
        echo hidden
    """
)


def test_justfile_recipes() -> None:
    targets = _by_target(parse_justfile(ParseInput("justfile", JUSTFILE)))
    assert set(targets) == {"test", "install", "train", "report", "_helper"}
    test = targets["test"]
    assert (test.line, test.end_line) == (6, 7)
    assert test.description == "Run the test-suite"
    assert test.prerequisites == ("install",)
    assert test.roles == ("test",)
    assert test.node == "just-recipe:test"
    train = targets["train"]
    assert train.description == "Train the model"
    assert train.prerequisites == ("install", "report")
    assert train.commands[0] == "python scripts/train.py --epochs $JUSTVAR"
    assert (train.line, train.end_line) == (14, 17)
    assert Link(src="just-recipe:train", dst="file:scripts/train.py", rel="runs") in train.links
    assert Link(src="just-recipe:train", dst="just-recipe:report", rel="runs") in train.links
    assert Link(src="just-recipe:train", dst="just-recipe:install", rel="depends") in train.links
    assert "train" in train.roles
    assert targets["install"].private and targets["_helper"].private
    assert targets["report"].commands == ('print("done")',)
    assert targets["report"].runs == ()


TASKFILE = textwrap.dedent(
    """\
    version: '3'
    vars:
      SRC: src
    tasks:
      lint:
        desc: Static checks
        cmds:
          - ruff check {{.SRC}}
      test:
        deps: [lint]
        cmds:
          - pytest -q
      train:
        dir: ml
        deps:
          - task: test
        cmds:
          - python train.py
          - task: publish
      publish:
        internal: true
        cmds:
          - cmd: twine upload dist/*
      build: docker build -t app .
    """
)


def test_taskfile_tasks() -> None:
    targets = _by_target(parse_taskfile(ParseInput("Taskfile.yml", TASKFILE)))
    assert set(targets) == {"lint", "test", "train", "publish", "build"}
    lint = targets["lint"]
    assert (lint.line, lint.end_line) == (5, 8)
    assert lint.description == "Static checks"
    assert lint.roles == ("lint",)
    assert lint.commands == ("ruff check $TASKVAR",)
    train = targets["train"]
    assert train.prerequisites == ("test",)
    assert train.directory == "ml"
    assert train.node == "task-target:train"
    assert Link(src="task-target:train", dst="file:ml/train.py", rel="runs") in train.links
    assert Link(src="task-target:train", dst="task-target:publish", rel="runs") in train.links
    assert Link(src="task-target:train", dst="task-target:test", rel="depends") in train.links
    assert targets["publish"].private and targets["publish"].roles == ("publish",)
    assert targets["build"].commands == ("docker build -t app .",)
    assert targets["build"].roles == ("build",)


def test_taskfile_without_tasks_is_not_claimed() -> None:
    assert list(parse_taskfile(ParseInput("Taskfile.yml", "version: '3'\n"))) == []


def test_matchers() -> None:
    names = {p.name for p in registry.load_parsers() if p.name.startswith("build-")}
    assert names == {"build-make", "build-just", "build-taskfile"}
    matching = {
        path: {p.name for p in registry.parsers_for(path) if p.name.startswith("build-")}
        for path in ("Makefile", "sub/GNUmakefile", "mk/rules.mk", "justfile", "Taskfile.yml",
                     "src/make.py", "Makefile.am")
    }  # fmt: skip
    assert matching == {
        "Makefile": {"build-make"}, "sub/GNUmakefile": {"build-make"},
        "mk/rules.mk": {"build-make"}, "justfile": {"build-just"},
        "Taskfile.yml": {"build-taskfile"}, "src/make.py": set(), "Makefile.am": set(),
    }  # fmt: skip


# --------------------------------------------------------------------------- properties

Parse = Callable[[ParseInput], Iterable[Evidence]]
SAMPLES: dict[str, tuple[Parse, str]] = {
    "Makefile": (parse_makefile, MAKEFILE),
    "justfile": (parse_justfile, JUSTFILE),
    "Taskfile.yml": (parse_taskfile, TASKFILE),
}


def check(fn: Parse, path: str, text: str) -> None:
    """Evidence for this path with in-range lines, or an ordinary exception; never slow."""
    started = time.perf_counter()
    try:
        items = list(fn(ParseInput(path, text)))
    except Exception:
        return
    finally:
        assert time.perf_counter() - started < 5
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert isinstance(item, BuildTarget) and item.path == path
        assert item.line is not None and 1 <= item.line <= last_line
        assert item.end_line is None or item.line <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    alphabet = st.sampled_from([*"\t\\:;=#@-|%$(){}[]'\" \n", "\x00", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        else:
            text = text[:pos] + draw(st.text(alphabet, max_size=8)) + text[pos:]
    return text


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


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_adversarial_inputs(path: str) -> None:
    fn, _ = SAMPLES[path]
    for text in (
        "a:\n" + "\tx \\\n" * 50_000,
        "a" * 100_000 + ":",
        "t: " + "$(" * 20_000,
        "".join(f"t{i}: t{i - 1}\n\tpython s{i}.py\n" for i in range(3000)),
        "x:\n" + "    y\n" * 50_000,
        "tasks:\n" + "".join(f"  t{i}: [a]\n" for i in range(3000)),
    ):
        check(fn, path, text)
