"""Generate synthetic ML repositories of a given size for ingestion benchmarks.

The mix follows what real ML repositories contain (mostly Python and docs, some configs,
notebooks and data), so files/s reflects parser costs rather than an empty walk.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

PY = '''"""Module {i}: feature engineering step."""
import json
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from pkg.m{j} import helper

SEED = {i}


def build_{i}(df: pd.DataFrame) -> pd.DataFrame:
    np.random.seed(SEED)
    df["x{i}"] = df["a"] * {i}
    return df


def train_{i}(df):
    model = RandomForestClassifier(n_estimators=10, random_state=SEED)
    model.fit(df[["x{i}"]], df["y"])
    with open("metrics_{i}.json", "w") as fh:
        json.dump({{"acc": 0.9}}, fh)
    return helper(model)
'''

TEST = """import pytest
from pkg.m{i} import build_{i}


@pytest.mark.parametrize("n", [1, 2, 3])
def test_build_{i}(n):
    assert build_{i} is not None
"""

MD = """# Component {i}

Some prose about component {i}: it prepares data and trains a model.

## Usage

```bash
python -m pkg.m{i} --lr 0.1
```

## Monitoring

Metrics are exported to Prometheus and drift is checked nightly.
"""

WORKFLOW = """name: ci-{i}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {{python-version: "3.11"}}
      - run: pip install -r requirements.txt && pytest -q
"""

DVC = """stages:
  prepare_{i}:
    cmd: python pkg/m{i}.py data/raw_{i}.csv data/prep_{i}.csv
    deps: [pkg/m{i}.py, data/raw_{i}.csv]
    outs: [data/prep_{i}.csv]
    params: [train.lr]
"""


def generate(root: Path, files: int, seed: int = 0) -> Path:
    """Write about ``files`` files under ``root`` (created) and return it."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("numpy==2.0.0\npandas>=2\nscikit-learn\n")
    (root / "README.md").write_text(MD.format(i=0))
    written = 2
    i = 0
    while written < files:
        i += 1
        kind = rng.random()
        sub = root / f"pkg{i % 50}"
        sub.mkdir(exist_ok=True)
        if kind < 0.45:
            (sub / f"m{i}.py").write_text(PY.format(i=i, j=max(1, i - 1)))
        elif kind < 0.60:
            (sub / f"test_m{i}.py").write_text(TEST.format(i=i))
        elif kind < 0.75:
            (sub / f"doc{i}.md").write_text(MD.format(i=i))
        elif kind < 0.80:
            wf = root / ".github" / "workflows"
            wf.mkdir(parents=True, exist_ok=True)
            (wf / f"ci{i}.yml").write_text(WORKFLOW.format(i=i))
        elif kind < 0.83:
            (sub / "dvc.yaml").write_text(DVC.format(i=i))
        elif kind < 0.86:
            (sub / f"config{i}.json").write_text(json.dumps({"lr": 0.1, "layers": [i, i]}))
        elif kind < 0.88:
            (sub / f"nb{i}.ipynb").write_text(
                json.dumps(
                    {
                        "nbformat": 4,
                        "nbformat_minor": 5,
                        "metadata": {},
                        "cells": [
                            {"cell_type": "markdown", "metadata": {}, "source": ["# Explore"]},
                            {
                                "cell_type": "code",
                                "metadata": {},
                                "execution_count": 1,
                                "outputs": [],
                                "source": ["import pandas as pd\n", "pd.read_csv('x')"],
                            },
                        ],
                    }
                )
            )
        else:
            (sub / f"data{i}.csv").write_text("a,b,y\n1,2,0\n3,4,1\n")
        written += 1
    return root
