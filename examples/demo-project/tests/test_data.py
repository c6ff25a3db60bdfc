import pandas as pd

from credit.data import FEATURES, TARGET, clean


def _raw(**overrides):
    row = {
        "age": 35,
        "income": 40000.0,
        "loan_amount": 8000.0,
        "term_months": 24,
        "credit_lines": 3,
        "late_payments_12m": 1,
        "defaulted": 0,
        "applicant_name": "dropped",
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_clean_keeps_only_model_columns():
    assert list(clean(_raw()).columns) == [*FEATURES, TARGET]


def test_clean_drops_minors_and_missing_values():
    df = pd.concat([_raw(), _raw(age=17), _raw(income=None)], ignore_index=True)
    assert len(clean(df)) == 1


def test_clean_drops_non_positive_amounts():
    df = pd.concat([_raw(loan_amount=0), _raw(income=-5)], ignore_index=True)
    assert clean(df).empty
