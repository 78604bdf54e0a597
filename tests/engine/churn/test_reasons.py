"""Reasons, tested on crafted customers whose cause is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zhengqi.engine.churn.model import ChurnClassifier
from zhengqi.engine.churn.reasons import describe, top_reasons


@pytest.fixture(scope="module")
def model() -> ChurnClassifier:
    """Churn caused by an agreement about to run out, or by members leaving faster than before."""
    rng = np.random.default_rng(3)
    n = 8000
    frame = pd.DataFrame(
        {
            "contract_days_left": rng.integers(-30, 720, n).astype(float),
            "members_left_3m": rng.poisson(5, n).astype(float),
            "members_left_prev_3m": rng.poisson(5, n).astype(float),
            "complaints_3m": rng.poisson(1, n).astype(float),
            "revenue": rng.gamma(2, 5000, n),
        }
    )
    surge = frame["members_left_3m"] / (frame["members_left_prev_3m"] + 1)
    logit = -4 + 3.0 * (frame["contract_days_left"].between(0, 60)) + 1.2 * (surge > 2.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return ChurnClassifier().fit(frame, y)


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contract_days_left": [20.0, 500.0],
            "members_left_3m": [4.0, 40.0],
            "members_left_prev_3m": [5.0, 10.0],
            "complaints_3m": [1.0, 1.0],
            "revenue": [9000.0, 9000.0],
        },
        index=["expiring", "bleeding"],
    )


def test_the_known_cause_comes_first_in_plain_words(model: ChurnClassifier) -> None:
    expiring, bleeding = top_reasons(model, customers())
    assert expiring[0].feature == "contract_days_left" and expiring[0].text == "协议 20 天后到期"
    assert bleeding[0].feature in ("members_left_3m", "members_left_prev_3m")
    texts = [r.text for r in bleeding]
    assert "近3月离网成员 40 人，为前3月的 4 倍" in texts
    assert all(r.contribution > 0 for r in expiring + bleeding) and len(expiring) <= 3


def test_describe_speaks_the_catalogue() -> None:
    assert describe("contract_days_left", -12.0) == "协议已于 12 天前到期"
    assert describe("contract_days_left", float("nan")) == "没有有效协议"
    assert describe("vnet_share", 0.42) == "V网成员占比（集团纯度） 42%"
    assert describe("revenue", 12345.6) == "当月总收入 ¥12,346"
    row = pd.Series({"complaints_3m": 6.0, "complaints_prev_3m": 0.0})
    assert describe("complaints_3m", 6.0, row) == "近3月投诉 6 次，前3月为 0"
