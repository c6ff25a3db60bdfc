"""Stage `train`: fit CreditNet and track the run in MLflow."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch
import yaml
from torch.utils.data import DataLoader, TensorDataset

from credit.data import FEATURES, TARGET
from credit.model import CreditNet

log = logging.getLogger("credit.train")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit(train: pd.DataFrame, params: dict) -> tuple[CreditNet, list[float]]:
    x = torch.tensor(train[FEATURES].to_numpy(), dtype=torch.float32)
    y = torch.tensor(train[TARGET].to_numpy(), dtype=torch.float32)
    model = CreditNet(len(FEATURES), params["hidden"])
    model.set_normalisation(x)
    loader = DataLoader(TensorDataset(x, y), batch_size=params["batch_size"], shuffle=True)
    optimiser = torch.optim.Adam(model.parameters(), lr=params["lr"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(params["epochs"]):
        total = 0.0
        for xb, yb in loader:
            optimiser.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    return model, losses


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    params = yaml.safe_load(Path("params.yaml").read_text())["train"]
    seed_everything(params["seed"])
    train = pd.read_csv("data/prepared/train.csv")

    mlflow.set_experiment("credit-scoring")
    with mlflow.start_run():
        mlflow.log_params(params)
        model, losses = fit(train, params)
        for epoch, loss in enumerate(losses):
            mlflow.log_metric("train_loss", loss, step=epoch)
        Path("models").mkdir(exist_ok=True)
        torch.save(model.state_dict(), "models/model.pt")
        mlflow.log_artifact("models/model.pt")
    log.info("final train loss %.4f", losses[-1])


if __name__ == "__main__":
    main()
