"""Why a customer's churn risk is high, in plain Chinese: the features that raised it most
(LightGBM's ``pred_contrib``), said through the catalogue's labels with the customer's own values —
“协议 45 天后到期”, “近3月离网成员 37 人，为前3月的 4 倍”."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from zhengqi.engine.catalogue import CATALOGUE

from .model import ChurnClassifier

BY_NAME = CATALOGUE


@dataclass(frozen=True)
class Reason:
    feature: str
    contribution: float  # log-odds added by this feature
    text: str


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def describe(name: str, value: Any, row: Mapping[str, Any] | pd.Series | None = None) -> str:
    """One feature of one customer as a user reads it."""
    feature = BY_NAME.get(name)
    if name == "contract_days_left":
        if _missing(value):
            return "没有有效协议"
        days = int(value)
        return f"协议 {days} 天后到期" if days >= 0 else f"协议已于 {-days} 天前到期"
    if feature is None:
        return f"{name} = {value}"
    if _missing(value):
        return f"{feature.label}：无数据"
    if feature.kind == "text":
        return f"{feature.label}：{value}"
    if feature.kind == "ratio":
        return f"{feature.label} {float(value):.0%}"
    if feature.kind == "money":
        text = f"{feature.label} ¥{_number(float(value))}"
    else:
        text = f"{feature.label} {_number(float(value))} {feature.unit}".rstrip()
    # A three-month count beside the three months before it: say how it moved.
    if row is not None and name.endswith("_3m") and f"{name[:-3]}_prev_3m" in row:
        before = row[f"{name[:-3]}_prev_3m"]
        if not _missing(before) and float(before) > 0 and float(value) > float(before):
            text += f"，为前3月的 {float(value) / float(before):.1f} 倍".replace(".0 倍", " 倍")
        elif not _missing(before) and float(before) == 0 and float(value) > 0:
            text += "，前3月为 0"
    return text


def explainable(name: str) -> bool:
    """Whether a feature may be given as a reason: who the customer is (industry, scale, type)
    raises a risk but is nothing anybody can act on, so text features are not reasons."""
    feature = BY_NAME.get(name)
    return feature is None or feature.kind != "text"


def top_reasons(model: ChurnClassifier, X: pd.DataFrame, *, n: int = 3) -> list[list[Reason]]:
    """For each row, the ``n`` explainable features that raised its risk most (positive
    contributions only)."""
    contributions = model.contributions(X)
    out: list[list[Reason]] = []
    for (_index, row), (_same, contrib) in zip(X.iterrows(), contributions.iterrows(), strict=True):
        usable = contrib[[explainable(str(name)) for name in contrib.index]]
        raising = usable[usable > 0].sort_values(ascending=False).head(n)
        out.append([Reason(str(name), float(c), describe(str(name), row[name], row)) for name, c in raising.items()])
    return out
