"""Any labelled table an analyst may bring — blanks and “NA”/“NULL”/“?” in any column, mixed
types, constant and empty columns, id-like columns, labels in any common spelling — gives a report
or a clear Chinese TableError, never a traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengqi.engine.churn.evaluate import TableError, evaluate, prepare

JUNK = ["", " ", "NA", "NULL", "?", "n/a", "-", "无"]
LABELS = [("1", "0"), ("Yes", "No"), ("是", "否"), ("True", "False"), ("1", "-1"), ("churn", "stay")]


@st.composite
def messy_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=30, max_value=300))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**31)))
    columns: dict[str, object] = {}
    for k in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(
            st.sampled_from(["number", "text", "many_levels", "mixed", "constant", "blank", "id", "bool", "date"])
        )
        if kind == "number":
            values = rng.normal(size=n).round(3).astype(object)
        elif kind == "text":
            values = rng.choice(["月付", "年付", "两年", "other"], n).astype(object)
        elif kind == "many_levels":
            values = np.array([f"L{v}" for v in rng.integers(0, max(2, n // 2), n)], dtype=object)
        elif kind == "mixed":
            values = np.array([str(v) if v % 3 else f"x{v}" for v in rng.integers(0, 50, n)], dtype=object)
        elif kind == "constant":
            values = np.array(["同一值"] * n, dtype=object)
        elif kind == "blank":
            values = np.array([""] * n, dtype=object)
        elif kind == "id":
            values = np.array([f"ID{v:06d}" for v in range(n)], dtype=object)
        elif kind == "date":
            days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
            style = draw(st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"]))
            values = np.array(days.strftime(style), dtype=object)
        else:
            values = rng.random(n) < 0.3
        if kind not in ("blank", "bool") and draw(st.booleans()):
            holes = rng.random(n) < draw(st.floats(min_value=0, max_value=0.9))
            values = np.where(holes, rng.choice(JUNK, n), values.astype(str)).astype(object)
        columns[draw(st.sampled_from(["c", "收入[元]", "a,b", 'q"x', "{x}", "通话:次"])) + f"{k}_{kind}"] = values
    yes, no = draw(st.sampled_from(LABELS))
    share = draw(st.floats(min_value=0.02, max_value=0.5))
    churn = rng.random(n) < share
    columns["label"] = np.where(churn, yes, no)
    return pd.DataFrame(columns)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=messy_tables())
def test_a_messy_table_gives_a_report_or_a_reason(frame: pd.DataFrame) -> None:
    try:
        report = evaluate(frame, label="label", folds=3)
    except TableError as err:
        assert str(err) and not str(err).startswith("Traceback")
        return
    assert report.folds and 0 <= report.mean("roc_auc") <= 1
    dates = [c for c in frame.columns if c.endswith("_date")]
    assert not set(dates) & set(report.categorical)  # dates are ages in days, not categories
    assert 0 <= report.mean("baseline_roc_auc") <= 1


def test_blanks_in_a_text_column_and_na_in_numbers() -> None:
    """The table outside testing stopped on: blank cells in a text column, "NA" in numeric ones."""
    rng = np.random.default_rng(3)
    n = 600
    plan = rng.choice(["A", "B", ""], n).astype(object)
    charges = np.where(rng.random(n) < 0.1, "NA", rng.normal(50, 10, n).round(2).astype(str))
    churn = rng.random(n) < np.where(plan == "A", 0.4, 0.1)
    frame = pd.DataFrame({"plan": plan, "charges": charges, "churn": np.where(churn, "Yes", "No")})
    frame.loc[rng.random(n) < 0.2, "plan"] = np.nan
    report = evaluate(frame, label="churn", folds=3)
    assert "charges" not in report.categorical and "plan" in report.categorical
    assert report.mean("baseline_roc_auc") > 0.55  # the baseline sees the plan (blanks a category of their own)
    assert 0 <= report.mean("roc_auc") <= 1


def test_a_date_column_becomes_days_before_the_latest() -> None:
    frame = pd.DataFrame(
        {"入网日期": ["2024-01-05", "2024/1/7", "2024年1月9日", "", "NULL", "2024-01"] * 10, "y": ["是", "否"] * 30}
    )
    notes: list[str] = []
    X, _y = prepare(frame, "y", None, None, notes)
    assert X["入网日期"].iloc[:6].fillna(-1).tolist() == [4.0, 2.0, 0.0, -1, -1, 8.0]
    assert any("日期" in n for n in notes)
