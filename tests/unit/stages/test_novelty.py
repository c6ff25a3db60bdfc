"""Novelty on real projects against a real Milvus Lite knowledge base and real embeddings."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.ingest import ingest
from hyperscore.evaluators.knowledge.corpus import Label
from hyperscore.evaluators.knowledge.store import Hit, KnowledgeBase
from hyperscore.evaluators.stages import novelty
from hyperscore.evaluators.stages.base import StageInput

FIXTURES = Path(__file__).parents[2] / "fixtures"

TEMPLATE_README = """\
# project_name

A short description of the project.

## Project Organization

    ├── LICENSE
    ├── Makefile           <- Makefile with commands like `make data` or `make train`
    ├── README.md          <- The top-level README for developers using this project.
    ├── data
    │   ├── external       <- Data from third party sources.
    │   ├── interim        <- Intermediate data that has been transformed.
    │   ├── processed      <- The final, canonical data sets for modeling.
    │   └── raw            <- The original, immutable data dump.
    ├── models             <- Trained and serialized models, model predictions, or summaries
    ├── notebooks          <- Jupyter notebooks, named with a number, initials and a description.
    ├── references         <- Data dictionaries, manuals, and all other explanatory materials.
    ├── reports            <- Generated analysis as HTML, PDF, LaTeX, etc.
    ├── requirements.txt   <- The requirements file for reproducing the analysis environment.
    └── src
        ├── data           <- Scripts to download or generate data
        └── models         <- Scripts to train models and then use trained models to predict

A project based on the cookiecutter data science project template.
"""

MAKE_DATASET = '''\
# -*- coding: utf-8 -*-
import click
import logging
from pathlib import Path
from dotenv import find_dotenv, load_dotenv


@click.command()
@click.argument('input_filepath', type=click.Path(exists=True))
@click.argument('output_filepath', type=click.Path())
def main(input_filepath, output_filepath):
    """ Runs data processing scripts to turn raw data from (../raw) into
        cleaned data ready to be analyzed (saved in ../processed).
    """
    logger = logging.getLogger(__name__)
    logger.info('making final data set from raw data')


if __name__ == '__main__':
    log_fmt = '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
    logging.basicConfig(level=logging.INFO, format=log_fmt)
    project_dir = Path(__file__).resolve().parents[2]
    load_dotenv(find_dotenv())
    main()
'''

OUTDATED = {
    "src/train.py": """\
        import tensorflow as tf
        from sklearn.externals import joblib

        x = tf.placeholder(tf.float32, shape=[None, 20])
        sess = tf.Session()
        print "finished training"
        """,
    ".travis.yml": """\
        language: python
        python:
          - "2.7"
        script:
          - nosetests
        """,
    "Dockerfile": """\
        FROM python:latest
        COPY . /app
        CMD ["python", "/app/src/train.py"]
        """,
}


def write_template(root: Path) -> Path:
    """An unmodified cookiecutter-data-science-like skeleton (written for this test)."""
    for folder in ("data/raw", "data/processed", "models", "notebooks", "src/data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text(TEMPLATE_README, encoding="utf-8")
    (root / "src/__init__.py").write_text("", encoding="utf-8")
    (root / "src/data/make_dataset.py").write_text(MAKE_DATASET, encoding="utf-8")
    (root / "requirements.txt").write_text("click\npython-dotenv>=0.5.1\n", encoding="utf-8")
    return root


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def stage_input(root: Path) -> StageInput:
    result = ingest(str(root))
    return StageInput(ingest=result, ctx=DetectionContext(result=result), practices=[])


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(tmp_path_factory.mktemp("kb")) as base:
        base.build()
        yield base


@pytest.mark.slow
def test_template_project_scores_lower_than_a_real_one(kb: KnowledgeBase, tmp_path: Path) -> None:
    template = novelty.run(stage_input(write_template(tmp_path / "tpl")), kb=kb)
    real = novelty.run(stage_input(FIXTURES / "full-mlops"), kb=kb)
    assert template.status == real.status == "ok"
    assert template.score is not None and real.score is not None
    assert template.score < real.score - 0.2
    rules = {f["rule_id"] for f in template.details["findings"]}
    assert "copied-boilerplate" in rules
    assert template.details["counts"]["boilerplate"] >= 5


@pytest.mark.slow
def test_outdated_project_gets_findings_naming_entries(kb: KnowledgeBase, tmp_path: Path) -> None:
    result = novelty.run(stage_input(write_files(tmp_path / "old", OUTDATED)), kb=kb)
    findings = result.details["findings"]
    outdated = {
        f["message"].split(": ", 1)[1].split(" matches")[0]: f
        for f in findings
        if f["rule_id"] == "outdated-practice"
    }
    texts = " ".join(outdated)
    for expected in (
        "tf.Session()",
        "sklearn.externals",
        'print "finished training"',
        "FROM python:latest",
        "travis",
        "2.7",
    ):
        assert expected in texts, (expected, sorted(outdated))
    for finding in findings:
        assert f"KB entry {finding['entry']}" in finding["message"]
        assert finding["severity"] in {"low", "medium"}
        assert finding["path"] and finding["similarity"] >= 0.75
    assert result.score is not None and result.score < 0.6
    assert len(result.checks) == len(findings)
    assert all(c.result == "failed" and c.detail["entry"] for c in result.checks)


@pytest.mark.slow
def test_modern_code_is_not_flagged(kb: KnowledgeBase, tmp_path: Path) -> None:
    modern = {
        "src/train.py": """\
            \"\"\"Train the churn model on the monthly feature snapshot.\"\"\"
            import torch

            def fit(model: torch.nn.Module, loader, epochs: int) -> None:
                optimiser = torch.optim.AdamW(model.parameters(), lr=3e-4)
                for _ in range(epochs):
                    for features, target in loader:
                        optimiser.zero_grad()
                        churn_loss(model(features), target).backward()
                        optimiser.step()
            """,
    }
    result = novelty.run(stage_input(write_files(tmp_path / "new", modern)), kb=kb)
    assert result.status == "ok"
    assert not [f for f in result.details["findings"] if f["rule_id"] != "copied-boilerplate"]
    assert result.score is not None and result.score >= 0.8


def test_no_chunks_is_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = novelty.run(stage_input(tmp_path / "empty"), kb=None)
    assert result.status == "not-applicable" and result.score is None


def test_empty_knowledge_base_skips(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"src/a.py": "value = compute_something(1, 2)\n"})
    with KnowledgeBase(tmp_path / "kb-empty") as empty:
        result = novelty.run(stage_input(root), kb=empty)
    assert result.status == "skipped" and result.score is None


def _hit(label: Label, similarity: float) -> Hit:
    return Hit(
        id="x",
        similarity=similarity,
        label=label,
        dimension="data",
        source="s",
        text="t",
        origin="corpus",
    )


def test_classify_uses_the_label_threshold() -> None:
    t = novelty.Thresholds(boilerplate=0.8, outdated=0.7, anti_pattern=0.75)
    assert novelty.classify(_hit(Label.OUTDATED, 0.71), t) is Label.OUTDATED
    assert novelty.classify(_hit(Label.OUTDATED, 0.69), t) is None
    assert novelty.classify(_hit(Label.BOILERPLATE, 0.79), t) is None
    assert novelty.classify(_hit(Label.BOILERPLATE, 0.81), t) is Label.BOILERPLATE
    assert novelty.classify(_hit(Label.ANTI_PATTERN, 0.76), t) is Label.ANTI_PATTERN
    assert novelty.classify(_hit(Label.CURRENT, 0.99), t) is None
    assert novelty.classify(None, t) is None
