"""Stage `prepare`: clean the raw applications and split train/test.

    python -m credit.data data/raw/applications.csv data/prepared
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml
from sklearn.model_selection import train_test_split

FEATURES = ["age", "income", "loan_amount", "term_months", "credit_lines", "late_payments_12m"]
TARGET = "defaulted"


def clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.dropna(subset=[*FEATURES, TARGET])
    df = df[(df["age"] >= 18) & (df["income"] > 0) & (df["loan_amount"] > 0)]
    return df[[*FEATURES, TARGET]].astype({"term_months": int, TARGET: int}).reset_index(drop=True)


def main(src: str, dst: str) -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
    df = clean(pd.read_csv(src))
    train, test = train_test_split(
        df, test_size=params["test_size"], random_state=params["seed"], stratify=df[TARGET]
    )
    out = Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
