"""Training sets for the customer churn model from the lake, and the time discipline around them.

A row is a customer in service at a prediction month T, with the month's catalogue features
(computed from what was known at T) and a label: 1 if the customer is lost within the next
``horizon`` months — it has no billing in month T+horizon, or its revenue there has fallen below
``drop`` of its average over T−2…T.

Labels of month T are known only at T+horizon, so a model used at month P is trained on
prediction months T ≤ P − horizon (``bundle.backtest`` never looks past its own present).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from zhengqi.engine.features import monthly
from zhengqi.engine.lake import Lake
from zhengqi.engine.sources import staged_sources
from zhengqi.engine.staging.months import month_idx, month_of

# Columns that describe the customer *now* (the web side's export), not as it was at T: using
# them for a past month would leak its future (a churned customer's status says "churned").
AS_OF_NOW = ("status",)
# Year-to-date sums for the monthly report: their size follows the month of the year, not the customer.
CALENDAR_SUMS = ("revenue_info_ytd", "revenue_line_ytd", "revenue_info_ytd_ly", "revenue_line_ytd_ly")
NOT_FEATURES = ("customer_code", "month_idx", *AS_OF_NOW, *CALENDAR_SUMS)
HORIZON = 6
DROP = 0.5


class LeakageError(RuntimeError):
    """A feature of month T uses data from after T; the message names it (Chinese first)."""


FeatureFn = Callable[[Lake, dt.date], pd.DataFrame]


def catalogue_features(lake: Lake, month: dt.date) -> pd.DataFrame:
    """The month's catalogue features (the same expression the month run publishes)."""
    con = lake.connect("duckdb")
    table: pa.Table = monthly.build(staged_sources(con), month).to_pyarrow()
    return table.to_pandas()


def revenue_by_month(lake: Lake) -> pd.DataFrame:
    """customer_code × month_idx → revenue, from every month of the lake's customer_month."""
    frames = []
    for key in lake.months("customer_month"):
        month = dt.date(int(key[:4]), int(key[5:7]), 1)
        t = lake.read_month("customer_month", month).select(["customer_code", "revenue_total"]).to_pandas()
        t["month_idx"] = month_idx(month)
        frames.append(t)
    revenue = pd.concat(frames, ignore_index=True)
    revenue["customer_code"] = revenue["customer_code"].astype(str)
    return revenue.pivot_table(index="customer_code", columns="month_idx", values="revenue_total", aggfunc="sum")


def labels(revenue: pd.DataFrame, month: dt.date, *, horizon: int = HORIZON, drop: float = DROP) -> pd.Series:
    """1 = lost within ``horizon`` months after ``month``; only customers billed in ``month``."""
    m = month_idx(month)
    if m + horizon not in revenue.columns:
        raise ValueError(f"{month:%Y-%m} 的标签要到 {month_of(m + horizon):%Y-%m} 才能确定，数据湖中还没有这个月。")
    now = revenue.get(m)
    active = revenue.index[now.fillna(0) > 0] if now is not None else revenue.index[:0]
    recent = revenue.loc[active, [c for c in (m - 2, m - 1, m) if c in revenue.columns]].fillna(0).mean(axis=1)
    later = revenue.loc[active, m + horizon].fillna(0)
    return ((later <= 0) | (later < drop * recent)).astype(int).rename("label")


@dataclass
class TrainingSet:
    frame: pd.DataFrame  # features, plus customer_code, month_idx and label
    features: list[str] = field(default_factory=list)


def training_set(
    lake: Lake, months: list[dt.date], *, feature_fn: FeatureFn = catalogue_features, horizon: int = HORIZON
) -> TrainingSet:
    revenue = revenue_by_month(lake)
    parts = []
    for month in months:
        features = feature_fn(lake, month)
        features["customer_code"] = features["customer_code"].astype(str)
        y = labels(revenue, month, horizon=horizon)
        part = features.merge(y, left_on="customer_code", right_index=True, how="inner")
        part["month_idx"] = month_idx(month)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    names = [c for c in frame.columns if c not in (*NOT_FEATURES, "label")]
    return TrainingSet(frame, names)


def check_no_leakage(
    lake: Lake, month: dt.date, *, feature_fn: FeatureFn = catalogue_features, scratch: object
) -> None:
    """Compute the month's features twice — from the whole lake and from a copy cut at ``month``
    (later months removed, later member events blanked) — and refuse any feature that differs:
    it was computed from months after the prediction point."""
    import shutil
    from pathlib import Path

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    cut = Lake(Path(str(scratch)) / f"cut-{month:%Y-%m}")
    if cut.root.exists():
        shutil.rmtree(cut.root)
    cut.root.mkdir(parents=True)
    last = month_idx(month)
    for entry in lake.root.iterdir():
        if not entry.is_dir() or entry.name.startswith((".", "results")):
            continue
        if entry.name in ("customer_month", "member_month"):
            for part in entry.glob("month=*"):
                key = part.name.removeprefix("month=")
                if month_idx(dt.date(int(key[:4]), int(key[5:7]), 1)) <= last:
                    shutil.copytree(part, cut.root / entry.name / part.name)
        elif entry.name == "members":
            table = pq.read_table(entry / "data.parquet")
            for column in ("join_month", "leave_month", "return_month", "end_month"):
                values = table.column(column)
                later = pc.greater(values, pa.scalar(month_of(last), pa.date32()))
                table = table.set_column(
                    table.schema.get_field_index(column),
                    column,
                    pc.if_else(later, pa.nulls(len(values), pa.date32()), values),
                )
            cut.write_table("members", table)
        else:
            shutil.copytree(entry, cut.root / entry.name)
    full = feature_fn(lake, month).set_index("customer_code").sort_index()
    known = feature_fn(cut, month).set_index("customer_code").sort_index()
    known = known.reindex(full.index)
    leaking = []
    for column in full.columns:
        if column in NOT_FEATURES:
            continue
        a, b = full[column], known[column]
        if pd.api.types.is_numeric_dtype(a):
            same = np.isclose(a.astype(float).fillna(-1e18), b.astype(float).fillna(-1e18), rtol=1e-9, atol=1e-9)
        else:
            same = (a.astype(str) == b.astype(str)).to_numpy()
        if not bool(np.all(same)):
            leaking.append(column)
    shutil.rmtree(cut.root, ignore_errors=True)
    if leaking:
        raise LeakageError(
            f"特征泄漏：{'、'.join(leaking)} 在 {month:%Y-%m} 使用了之后月份的数据，不能用于训练。"
            f" Leakage: {', '.join(leaking)} use data from after {month:%Y-%m}."
        )
