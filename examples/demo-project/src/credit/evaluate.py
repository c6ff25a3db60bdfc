"""Stage `evaluate`: AUC and KS statistic on the held-out applications."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from sklearn.metrics import roc_auc_score, roc_curve

from credit.data import FEATURES, TARGET
from credit.model import load_model


def ks_statistic(y_true: np.ndarray, scores: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.max(tpr - fpr))


def main() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())["train"]
    test = pd.read_csv("data/prepared/test.csv")
    model = load_model("models/model.pt", len(FEATURES), params["hidden"])
    with torch.no_grad():
        x = torch.tensor(test[FEATURES].to_numpy(), dtype=torch.float32)
        scores = torch.sigmoid(model(x)).numpy()
    y = test[TARGET].to_numpy()
    metrics = {
        "auc": round(float(roc_auc_score(y, scores)), 4),
        "ks": round(ks_statistic(y, scores), 4),
        "n_test": int(len(test)),
    }
    Path("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
