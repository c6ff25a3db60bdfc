"""The scoring network and its input normalisation."""

from __future__ import annotations

import torch
from torch import nn


class CreditNet(nn.Module):
    def __init__(self, n_features: int, hidden: int = 32) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))
        self.layers = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def set_normalisation(self, x: torch.Tensor) -> None:
        self.mean.copy_(x.mean(dim=0))
        self.std.copy_(x.std(dim=0).clamp(min=1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std).squeeze(-1)


def load_model(path: str, n_features: int, hidden: int = 32) -> CreditNet:
    model = CreditNet(n_features, hidden)
    model.load_state_dict(torch.load(path))
    model.eval()
    return model
