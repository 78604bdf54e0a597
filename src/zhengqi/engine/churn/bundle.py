"""The two churn models as one trained unit: member churn (3 months) rolled up into the customer
churn model (6 months), the customer model's calibration (Platt scaling) and its risk bands. Fitting,
the rolling backtest of both, and the month's scoring with reasons.

Time discipline, for a model used at month P (its "as of"):
- member model: member months T ≤ P − 3 (their labels are known at P);
- customer model: customer months T ≤ P − 6, the last ``calibration_months`` of them held out to
  calibrate its probabilities (Platt) on a later window than the one it was trained on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from zhengqi.engine.lake import Lake
from zhengqi.engine.staging.months import month_idx, month_of

from .evaluate import Metrics
from .members import MEMBER_FEATURES, MEMBER_HORIZON, MEMBER_PARAMS, member_features, roll_up, to_frame
from .model import ChurnClassifier
from .reasons import describe, explainable
from .training import HORIZON, NOT_FEATURES, catalogue_features, labels, revenue_by_month

# Identifiers, not behaviour: a model that learns a district's code learns noise.
NOT_CUSTOMER_FEATURES = (*NOT_FEATURES, "region_code")
ROLL_UP = ("members_expected_lost_3m", "members_expected_lost_share")
BANDS = ("high", "medium", "low")
HIGH_SHARE, MEDIUM_SHARE = 0.05, 0.15  # the top 5 % of the calibration window is "high", the next 15 % "medium"

Progress = Callable[[str], None]


@dataclass
class ChurnModels:
    member: list[ChurnClassifier]  # one per fold of customers (cross-fitting); each scores its fold's members
    customer: ChurnClassifier
    calibration: tuple[float, float]  # Platt scaling: risk = σ(a · logit(raw) + b)
    bands: dict[str, float]  # lowest risk of "high" and of "medium"
    meta: dict[str, Any] = field(default_factory=dict)

    def member_risk(self, members: pd.DataFrame) -> NDArray[Any]:
        return member_risk(self.member, members)

    def risk(self, raw: NDArray[Any]) -> NDArray[Any]:
        a, b = self.calibration
        return _sigmoid(a * _logit(raw) + b)

    def band(self, risk: NDArray[Any]) -> NDArray[Any]:
        return np.where(
            risk >= self.bands["high"], "high", np.where(risk >= self.bands["medium"], "medium", "low")
        ).astype(object)

    def state(self) -> dict[str, Any]:
        return {
            "member": [m.state() for m in self.member],
            "customer": self.customer.state(),
            "calibration": [float(self.calibration[0]), float(self.calibration[1])],
            "bands": self.bands,
            "meta": self.meta,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ChurnModels:
        return cls(
            member=[ChurnClassifier.from_state(m) for m in state["member"]],
            customer=ChurnClassifier.from_state(state["customer"]),
            calibration=(float(state["calibration"][0]), float(state["calibration"][1])),
            bands=state["bands"],
            meta=state.get("meta", {}),
        )


def _logit(p: NDArray[Any]) -> NDArray[Any]:
    q = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def _sigmoid(x: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(1 / (1 + np.exp(-x)))


class History:
    """The lake's months, with each month's features computed once (the backtest reuses them)."""

    def __init__(self, lake: Lake, *, backend: str = "duckdb") -> None:
        self.lake = lake
        self.con: ibis.BaseBackend = lake.connect(backend)  # type: ignore[arg-type]  # Lake.connect takes the Backend literal; History accepts any backend name and Lake checks it
        keys = lake.months("customer_month")
        if not keys:
            raise ValueError("数据湖中没有客户月数据，无法训练流失模型。")
        self.first = month_idx(dt.date(int(keys[0][:4]), int(keys[0][5:7]), 1))
        self.last = month_idx(dt.date(int(keys[-1][:4]), int(keys[-1][5:7]), 1))
        self.revenue = revenue_by_month(lake)
        self._customers: dict[int, pd.DataFrame] = {}
        self._members: dict[int, pd.DataFrame] = {}

    def customers(self, m: int) -> pd.DataFrame:
        if m not in self._customers:
            frame = catalogue_features(self.lake, month_of(m))
            frame["customer_code"] = frame["customer_code"].astype(str)
            self._customers[m] = frame
        return self._customers[m]

    def members(self, m: int) -> pd.DataFrame:
        if m not in self._members:
            self._members[m] = to_frame(member_features(self.con, m, with_label=True).to_pyarrow())
        return self._members[m]

    def customer_labels(self, m: int, horizon: int = HORIZON) -> pd.Series:
        return labels(self.revenue, month_of(m), horizon=horizon)


def _member_months(history: History, as_of: int, count: int) -> list[int]:
    last = as_of - MEMBER_HORIZON
    first = max(history.first + 3, last - count + 1)  # three months of use before the first one
    return list(range(first, last + 1))


FOLDS = 3


def fold_of(codes: pd.Series) -> NDArray[Any]:
    """A customer's fold, stable across runs and machines."""
    return (pd.util.hash_pandas_object(codes.astype(str), index=False).to_numpy() % FOLDS).astype(int)


def member_risk(member: list[ChurnClassifier], members: pd.DataFrame) -> NDArray[Any]:
    """Each member's 3-month risk, scored by one model: its customer's fold's. In training that is
    the model that did not see the member (cross-fitting: a customer's own outcome must not reach
    its features through the member model); in scoring the same assignment keeps the roll-up the
    customer model reads as it was in training, at one model's cost (2M members a month)."""
    values = np.zeros(len(members))
    if not len(members):
        return values
    folds = fold_of(members["customer_code"]) % len(member)
    X = members[list(MEMBER_FEATURES)]
    for k, model in enumerate(member):
        rows = folds == k
        if rows.any():
            values[rows] = model.predict_proba(X[rows])[:, 1]
    return values


def _customer_rows(history: History, months: list[int], member: list[ChurnClassifier]) -> pd.DataFrame:
    """Customer rows with their members' roll-up (``member_risk``: cross-fitted)."""
    parts = []
    for m in months:
        features = history.customers(m)
        members = history.members(m)
        risk = pd.Series(member_risk(member, members))
        part = features.merge(roll_up(members, risk), on="customer_code", how="left")
        for name in ROLL_UP:
            part[name] = part[name].fillna(0.0)
        part = part.merge(history.customer_labels(m), left_on="customer_code", right_index=True, how="inner")
        part["month_idx"] = m
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def customer_feature_names(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (*NOT_CUSTOMER_FEATURES, "label")]


def fit(
    history: History,
    as_of: int,
    *,
    member_months: int = 6,
    calibration_months: int = 3,
    progress: Progress | None = None,
) -> ChurnModels:
    """Train both models as they could have been trained at month ``as_of``."""
    say = progress or (lambda _m: None)
    months = _member_months(history, as_of, member_months)
    if not months:
        raise ValueError("数据湖的月份太少，无法训练成员流失模型。")
    say(f"成员模型 member model {month_of(months[0]):%Y-%m}…{month_of(months[-1]):%Y-%m}")
    rows = pd.concat([history.members(m) for m in months], ignore_index=True)
    folds = fold_of(rows["customer_code"])
    member = [
        ChurnClassifier(params=MEMBER_PARAMS, ratios=False, max_rounds=400, n_jobs=0).fit(
            rows.loc[folds != k, list(MEMBER_FEATURES)],
            rows.loc[folds != k, "label"],
            groups=rows.loc[folds != k, "customer_code"],
        )
        for k in range(FOLDS)
    ]
    member_positive = float(rows["label"].mean())
    del rows

    last = as_of - HORIZON
    first = history.first + 3
    available = last - first + 1
    # A short history keeps at least two thirds of its months to train on.
    calibration_months = min(calibration_months, max(1, available // 3))
    train_months = list(range(first, last - calibration_months + 1))
    check_months = list(range(last - calibration_months + 1, last + 1))
    if len(train_months) < 2 or not check_months:
        raise ValueError("数据湖的月份太少，无法训练并校准客户流失模型（至少需要 12 个月）。")
    say(f"客户模型 customer model {month_of(first):%Y-%m}…{month_of(last):%Y-%m}")
    frame = _customer_rows(history, train_months + check_months, member)
    names = customer_feature_names(frame)
    train = frame[frame["month_idx"].isin(train_months)]
    check = frame[frame["month_idx"].isin(check_months)]
    customer = ChurnClassifier(ratios=False, refit=True).fit(
        train[names], train["label"], groups=train["customer_code"]
    )
    raw = customer.predict_proba(check[names])[:, 1]
    # Platt scaling on the log-odds: monotone, so the ranking (ROC AUC, lift) is the model's own;
    # isotonic steps would tie customers on a window of a few dozen positives.
    # Mildly regularised: a small window that the scores happen to separate must not give an
    # infinite slope (every risk 0 or 1).
    calibration = (1.0, 0.0)
    if check["label"].nunique() == 2:
        platt = LogisticRegression(C=1.0).fit(_logit(raw).reshape(-1, 1), check["label"])
        if platt.coef_[0, 0] > 0:
            calibration = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    models = ChurnModels(member, customer, calibration, {"high": 1.0, "medium": 1.0})
    risk = models.risk(raw)
    models.bands = {
        "high": float(np.quantile(risk, 1 - HIGH_SHARE)),
        "medium": float(np.quantile(risk, 1 - HIGH_SHARE - MEDIUM_SHARE)),
    }
    if models.bands["medium"] >= models.bands["high"]:  # a flat calibration: fall back to the rates
        base = float(check["label"].mean())
        models.bands = {"high": max(models.bands["high"], 2 * base), "medium": base}
    models.meta = {
        "as_of": f"{month_of(as_of):%Y-%m}",
        "member_window": [f"{month_of(months[0]):%Y-%m}", f"{month_of(months[-1]):%Y-%m}"],
        "customer_window": [f"{month_of(train_months[0]):%Y-%m}", f"{month_of(train_months[-1]):%Y-%m}"],
        "calibration_window": [f"{month_of(check_months[0]):%Y-%m}", f"{month_of(check_months[-1]):%Y-%m}"],
        "member_horizon": MEMBER_HORIZON,
        "customer_horizon": HORIZON,
        "member_positive_rate": member_positive,
        "customer_positive_rate": float(train["label"].mean()),
        "customer_rows": len(train),
        "features": names,
        "member_features": list(MEMBER_FEATURES),
        "importances": {k: round(float(v), 1) for k, v in customer.feature_importances().head(15).items()},
    }
    return models


@dataclass
class Backtest:
    member: list[tuple[str, Metrics]]
    customer: list[tuple[str, Metrics]]
    calibration_curve: list[tuple[float, float, int]]  # mean predicted, observed rate, rows
    scores: list[tuple[NDArray[Any], NDArray[Any]]]

    def summary(self) -> dict[str, Any]:
        def mean(rows: list[tuple[str, Metrics]], metric: str) -> float:
            values = [getattr(m, metric) for _n, m in rows if not math.isnan(getattr(m, metric))]
            return float(np.mean(values)) if values else math.nan

        return {
            "member": {k: mean(self.member, k) for k in ("roc_auc", "pr_auc", "lift", "brier")},
            "customer": {k: mean(self.customer, k) for k in ("roc_auc", "pr_auc", "lift", "brier")},
            "member_months": [{"month": n, **vars(m)} for n, m in self.member],
            "customer_months": [{"month": n, **vars(m)} for n, m in self.customer],
            "calibration_curve": [{"predicted": a, "observed": b, "rows": c} for a, b, c in self.calibration_curve],
        }


def backtest(history: History, *, periods: int = 6, progress: Progress | None = None) -> Backtest:
    """Rolling backtest over the last ``periods`` months whose 6-month labels are known: for each
    such month P, both models trained as of P score P (never a random split across time)."""
    last = history.last - HORIZON
    tests = list(range(max(history.first + 3 + HORIZON + 2, last - periods + 1), last + 1))
    if not tests:
        raise ValueError("数据湖的月份太少，无法按时间回测。")
    out = Backtest([], [], [], [])
    for p in tests:
        if progress:
            progress(f"回测 backtest {month_of(p):%Y-%m}")
        models = fit(history, p)
        members = history.members(p)
        mp = models.member_risk(members)
        out.member.append((f"{month_of(p):%Y-%m}", Metrics.of(members["label"].to_numpy(), mp)))
        frame = _customer_rows(history, [p], models.member)
        risk = models.risk(models.customer.predict_proba(frame[models.meta["features"]])[:, 1])
        y = frame["label"].to_numpy()
        out.customer.append((f"{month_of(p):%Y-%m}", Metrics.of(y, risk)))
        out.scores.append((y, risk))
    y_all = np.concatenate([y for y, _ in out.scores])
    p_all = np.concatenate([p for _, p in out.scores])
    for chunk in np.array_split(np.argsort(p_all, kind="stable"), 10):
        if len(chunk):
            out.calibration_curve.append((float(p_all[chunk].mean()), float(y_all[chunk].mean()), len(chunk)))
    return out


def capacity_bands(models: ChurnModels, risk: NDArray[Any], in_service: NDArray[Any], capacity: int) -> NDArray[Any]:
    """Bands by what account managers can do: "high" for the ``capacity`` customers in service with
    the highest calibrated risk (none below the model's medium threshold: a visit is for a real
    risk), "medium" for the rest above that threshold, "low" below it. Ties at the cut stay
    together only as far as the capacity allows (the earlier row first)."""
    medium = models.bands["medium"]
    bands = np.where(risk >= medium, "medium", "low").astype(object)
    candidates = np.flatnonzero(in_service & (risk >= medium))
    top = candidates[np.argsort(-risk[candidates], kind="stable")][: max(0, capacity)]
    bands[top] = "high"
    return bands


def score(
    models: ChurnModels,
    con: ibis.BaseBackend,
    month: dt.date,
    features: pa.Table,
    *,
    reasons: int = 3,
    capacity: int | None = None,
) -> pa.Table:
    """The month's churn risk of every customer in ``features``: calibrated risk, band, the
    roll-up of its members' risks and, for the medium and high bands, the ``reasons`` features
    that raised its risk most. With ``capacity`` (the visits account managers can make this month)
    the high band is the customers they can visit: the ``capacity`` riskiest in service whose
    risk reaches the model's medium band (``capacity_bands``)."""
    m = month_idx(month)
    members = to_frame(member_features(con, m).to_pyarrow())
    member_risk = pd.Series(models.member_risk(members))
    frame = features.to_pandas()
    frame["customer_code"] = frame["customer_code"].astype(str)
    frame = frame.merge(roll_up(members, member_risk), on="customer_code", how="left")
    for name in ROLL_UP:
        frame[name] = frame[name].fillna(0.0)
    names = list(models.meta["features"])
    for name in names:
        if name not in frame.columns:
            frame[name] = np.nan  # a feature the model knows and this month lacks: missing
    X = frame[names]
    raw = models.customer.predict_proba(X)[:, 1] if len(frame) else np.zeros(0)
    risk = models.risk(raw)
    # Only customers in service are shown a risk (the month run keeps theirs alone).
    in_service = frame["status"].eq("active").to_numpy() if "status" in frame.columns else np.ones(len(frame), bool)
    bands = models.band(risk) if capacity is None else capacity_bands(models, risk, in_service, capacity)
    # Reasons for the customers someone will act on (medium and high bands): LightGBM's
    # contributions cost several times the prediction, and a low risk needs no explanation.
    texts: list[list[str]] = [[] for _ in range(len(frame))]
    codes: list[list[str]] = [[] for _ in range(len(frame))]
    explain = np.flatnonzero((bands != "low") & in_service)
    if len(explain):
        subset = X.iloc[explain]
        usable = np.array([explainable(n) for n in names])
        contrib = np.where(usable, models.customer.contributions(subset).to_numpy(), -np.inf)
        order = np.argsort(-contrib, axis=1)[:, :reasons]
        records = subset.to_dict("records")  # a row as a dict: describe() reads the row's other values
        for k, (i, row_order) in enumerate(zip(explain, order, strict=True)):
            chosen = [j for j in row_order if contrib[k, j] > 0]
            row = records[k]
            codes[i] = [names[j] for j in chosen]
            texts[i] = [describe(names[j], row[names[j]], row) for j in chosen]
    return pa.table(
        {
            "customer_code": pa.array(frame["customer_code"].tolist(), pa.string()),
            "churn_risk": pa.array(np.round(risk, 4), pa.float64()),
            "churn_band": pa.array(list(bands), pa.string()),
            "members_expected_lost_3m": pa.array(frame["members_expected_lost_3m"].to_numpy(), pa.float64()),
            "members_expected_lost_share": pa.array(frame["members_expected_lost_share"].to_numpy(), pa.float64()),
            "reason_features": pa.array(codes, pa.list_(pa.string())),
            "reasons": pa.array(texts, pa.list_(pa.string())),
        }
    )
