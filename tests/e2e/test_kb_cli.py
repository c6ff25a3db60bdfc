"""`hyperscore kb` and the novelty stage through the real CLI and a real Milvus Lite folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = """\
entries:
- id: repr-old-tf1
  label: outdated
  dimension: reproducibility
  text: 'sess = tf.Session(); sess.run(tf.global_variables_initializer())'
  source: TensorFlow 1.x session API, removed in TF2
- id: auto-cur-ci
  label: current
  dimension: automation
  text: GitHub Actions workflow runs the tests on every pull request
  source: CI on pull requests
- id: gov-anti-key
  label: anti-pattern
  dimension: governance
  text: AWS secret access key assigned as a string literal in the training script
  source: hard-coded credentials
"""


def hs(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hyperscore.operator", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "HYPERSCORE_CACHE_DIR": str(cache)},
    )


@pytest.mark.slow
def test_kb_build_search_stats_and_novelty(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.yaml").write_text(CORPUS)
    # Before a KB exists the novelty stage is skipped, never a silent score.
    project = tmp_path / "legacy"
    project.mkdir()
    (project / "train.py").write_text(
        "import tensorflow as tf\n\n"
        "def main():\n"
        "    sess = tf.Session()\n"
        "    sess.run(tf.global_variables_initializer())\n"
    )
    before = hs("assess", str(project), "-f", "json", "-q", "--no-semantic", cache=cache)
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["stages"]["novelty"]["status"] == "skipped"

    built = hs("kb", "build", "--corpus", str(corpus), cache=cache)
    assert built.returncode == 0, built.stderr
    assert "3 entries" in built.stdout
    stats = hs("kb", "stats", cache=cache)
    assert json.loads(stats.stdout)["entries"] == 3
    found = hs("kb", "search", "sess = tf.Session()", "-k", "1", "--json", cache=cache)
    assert json.loads(found.stdout.splitlines()[0])["id"] == "repr-old-tf1"

    after = hs("assess", str(project), "-f", "json", "-q", "--no-semantic", cache=cache)
    report = json.loads(after.stdout)
    novelty = report["stages"]["novelty"]
    assert novelty["status"] == "ok" and novelty["score"] < 1.0
    outdated = [f for f in report["findings"] if f["rule_id"] == "outdated-practice"]
    assert outdated and "repr-old-tf1" in outdated[0]["message"]
    assert outdated[0]["path"] == "train.py"


def test_kb_bad_corpus_is_one_line_error(tmp_path: Path) -> None:
    proc = hs("kb", "build", "--corpus", str(tmp_path / "missing"), cache=tmp_path / "c")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "missing" in proc.stderr
