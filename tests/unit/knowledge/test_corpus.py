"""The shipped corpus against its schema, and the schema's refusals."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hyperscore.evaluators.knowledge.corpus import (
    CorpusError,
    Label,
    load_corpus,
    load_corpus_dir,
    parse_entries,
)


def test_corpus_size_ids_and_label_balance() -> None:
    entries = load_corpus()
    assert len(entries) >= 500
    assert len({e.id for e in entries}) == len(entries)
    labels = Counter(e.label for e in entries)
    assert set(labels) == set(Label)
    assert all(count >= 60 for count in labels.values()), labels
    # No label dominates: the KB must be able to say "current" as often as "outdated".
    assert max(labels.values()) <= 3 * min(labels.values())
    assert len({e.text for e in entries}) == len(entries), "duplicate texts"


def test_corpus_covers_the_issue_examples() -> None:
    texts = " ".join(e.text for e in load_corpus())
    for needle in (
        "tf.Session()",
        "sklearn.externals",
        'print "',
        ":latest",
        "travis",
        "model.pkl",
        "cookiecutter",
    ):
        assert needle in texts, needle


def test_schema_rejects_bad_label_and_duplicates(tmp_path: Path) -> None:
    good = "entries:\n- {id: a-1, text: some text, label: current, dimension: data, source: s}\n"
    with pytest.raises(CorpusError, match="label"):
        parse_entries([("x.yaml", good.replace("current", "modern"))])
    with pytest.raises(CorpusError, match="duplicate id"):
        parse_entries([("x.yaml", good), ("y.yaml", good)])
    with pytest.raises(CorpusError):
        parse_entries([("x.yaml", good.replace("dimension: data", "dimension: cooking"))])
    (tmp_path / "one.yaml").write_text(good, encoding="utf-8")
    assert [e.id for e in load_corpus_dir(tmp_path)] == ["a-1"]
