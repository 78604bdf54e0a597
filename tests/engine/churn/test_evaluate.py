"""The churn machinery on real data (IBM's telco sample) and on crafted tables."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from zhengqi.engine.churn.evaluate import TableError, evaluate, read_table, top_decile_lift
from zhengqi.engine.churn.model import ChurnClassifier

ROOT = Path(__file__).resolve().parents[3]


def _datasets() -> Path:
    """The shared public data sets: $ZHENGQI_DATASETS, else ``../shared/datasets`` beside the
    checkout, else the workplace's copy."""
    candidates = [os.environ.get("ZHENGQI_DATASETS"), ROOT.parent / "shared" / "datasets", "/work/shared/datasets"]
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), ROOT.parent / "shared" / "datasets")


TELCO = _datasets() / "ibm_telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"


@pytest.mark.skipif(not TELCO.exists(), reason="IBM telco data set not found (set ZHENGQI_DATASETS)")
def test_real_data_beats_the_logistic_regression_bar() -> None:
    report = evaluate(read_table(TELCO), label="Churn", id_column="customerID", folds=5)
    assert len(report.folds) == 5 and report.rows == 7043
    assert report.mean("roc_auc") >= 0.85
    assert report.mean("roc_auc") > report.mean("baseline_roc_auc")
    assert report.mean("lift") > 2.5
    assert "TotalCharges" not in report.categorical  # text with blanks, read as numbers
    # Calibration per fold and over all folds: a bagged, early-stopped model is close to calibrated.
    assert all(0 <= f.calibration_error < 0.06 for f in report.folds) and len(report.calibration) >= 5
    assert "ECE" in report.as_text() and "校准" in report.as_text() and all(f.chosen for f in report.folds)


def crafted(n: int = 4000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days_to_expiry = rng.integers(0, 720, n)
    complaints = rng.poisson(0.5, n)
    plan = rng.choice(["月付", "年付", "两年"], n)
    risk = -2 + 2.5 * (days_to_expiry < 60) + 0.8 * complaints + 1.0 * (plan == "月付")
    churn = rng.random(n) < 1 / (1 + np.exp(-risk))
    return pd.DataFrame(
        {"id": range(n), "month": rng.integers(1, 9, n), "days_to_expiry": days_to_expiry,
         "complaints": complaints, "plan": plan, "noise": rng.normal(size=n), "churn": np.where(churn, "是", "否")}
    )  # fmt: skip


def test_a_time_column_gives_a_rolling_backtest() -> None:
    report = evaluate(crafted(), label="churn", id_column="id", time_column="month", periods=3)
    assert [f.name for f in report.folds] == ["month=6", "month=7", "month=8"]
    assert report.mean("roc_auc") > 0.68 and "rolling backtest" in report.method
    assert "month" not in report.features and "id" not in report.features


def test_contributions_name_the_cause() -> None:
    frame = crafted(6000)
    X, y = frame[["days_to_expiry", "complaints", "plan", "noise"]], (frame["churn"] == "是").to_numpy().astype(int)
    model = ChurnClassifier().fit(X, y)
    case = pd.DataFrame({"days_to_expiry": [20], "complaints": [0], "plan": ["两年"], "noise": [0.0]})
    contributions = model.contributions(case).iloc[0]
    assert contributions.idxmax() == "days_to_expiry"
    unseen = pd.DataFrame({"days_to_expiry": [400], "complaints": [0], "plan": ["季付"], "noise": [0.0]})
    assert 0 <= model.predict_proba(unseen)[0, 1] <= 1  # an unseen category reads as missing
    assert clone(model).get_params() == model.get_params()  # the scikit-learn contract


def test_bad_tables_are_refused_with_a_reason(tmp_path: Path) -> None:
    frame = crafted(200)
    with pytest.raises(TableError, match="没有列"):
        evaluate(frame, label="流失")
    with pytest.raises(TableError, match="只有一类"):
        evaluate(frame.assign(churn="否"), label="churn")
    with pytest.raises(TableError, match="应为 0/1"):
        evaluate(frame.assign(churn="maybe"), label="churn")
    with pytest.raises(TableError, match="文件不存在"):
        read_table(tmp_path / "none.csv")
    (tmp_path / "x.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(TableError, match="不支持的文件类型"):
        read_table(tmp_path / "x.xls")


def test_top_decile_lift() -> None:
    y = np.array([1] * 10 + [0] * 90)
    assert top_decile_lift(y, np.linspace(1, 0, 100)) == pytest.approx(10.0)
    assert top_decile_lift(y, np.linspace(0, 1, 100)) == pytest.approx(0.0)
