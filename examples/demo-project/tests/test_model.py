import numpy as np
import pandas as pd
import torch

from credit.data import FEATURES, TARGET
from credit.evaluate import ks_statistic
from credit.model import CreditNet, load_model
from credit.train import fit, seed_everything

PARAMS = {"seed": 0, "hidden": 8, "lr": 0.01, "epochs": 5, "batch_size": 32}


def _synthetic(n=400):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f: rng.normal(size=n) for f in FEATURES})
    df[TARGET] = (df["late_payments_12m"] + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    return df


def test_forward_shape():
    model = CreditNet(len(FEATURES))
    assert model(torch.zeros(5, len(FEATURES))).shape == (5,)


def test_training_reduces_loss():
    seed_everything(PARAMS["seed"])
    _, losses = fit(_synthetic(), PARAMS)
    assert losses[-1] < losses[0]


def test_save_and_load_roundtrip(tmp_path):
    model = CreditNet(len(FEATURES), hidden=8)
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    loaded = load_model(str(path), len(FEATURES), hidden=8)
    x = torch.randn(3, len(FEATURES))
    torch.testing.assert_close(model(x), loaded(x))


def test_ks_statistic_perfect_separation():
    assert ks_statistic(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
