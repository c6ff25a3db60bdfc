"""Scoring API: POST /score returns the probability of default."""

from __future__ import annotations

import logging
import os

import torch
from fastapi import FastAPI
from pydantic import BaseModel, Field

from credit.data import FEATURES
from credit.model import load_model

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("credit.serve")

MODEL_PATH = os.environ.get("MODEL_PATH", "models/model.pt")
model = load_model(MODEL_PATH, len(FEATURES), int(os.environ.get("MODEL_HIDDEN", "32")))
app = FastAPI(title="credit-scoring")


class Application(BaseModel):
    age: int = Field(ge=18, le=100)
    income: float = Field(gt=0)
    loan_amount: float = Field(gt=0)
    term_months: int = Field(ge=6, le=120)
    credit_lines: int = Field(ge=0)
    late_payments_12m: int = Field(ge=0)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/score")
def score(application: Application) -> dict[str, float]:
    x = torch.tensor([[getattr(application, f) for f in FEATURES]], dtype=torch.float32)
    with torch.no_grad():
        probability = float(torch.sigmoid(model(x)).item())
    log.info("scored application pd=%.4f", probability)
    return {"probability_of_default": probability}
