"""The churn classifier's contract on any table: its inner selection records what it tried and
keeps the best, a saved model predicts as the fitted one (also a model saved before the selection
existed), contributions add up to the log-odds, and levels never seen or rarely seen are read."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengqi.engine.churn.model import CANDIDATES, RARE, ChurnClassifier

NAMES = ["收入[元]", "a,b", 'q"x', "{x}", "通话:次", "tenure", "月 费"]


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray]:
    n = draw(st.integers(min_value=60, max_value=400))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**31)))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    columns = {}
    for name in names:
        if draw(st.booleans()):
            values = rng.lognormal(2, 1, n)
            values[rng.random(n) < draw(st.floats(0, 0.5))] = np.nan
            columns[name] = values
        else:
            levels = draw(st.integers(min_value=2, max_value=80))
            columns[name] = np.array([f"L{v}" for v in rng.integers(0, levels, n)], dtype=object)
            columns[name][rng.random(n) < 0.1] = None
    frame = pd.DataFrame(columns)
    y = (rng.random(n) < draw(st.floats(0.05, 0.5))).astype(int)
    y[:2] = [0, 1]
    return frame, y


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables())
def test_any_table_fits_saves_and_explains(table: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = table
    model = ChurnClassifier().fit(frame, y)
    p = model.predict_proba(frame)[:, 1]
    assert np.all((p >= 0) & (p <= 1))
    tried = {s["setting"]: s["auc"] for s in model.selection_}
    if tried:  # the chosen setting is the best one tried
        assert tried[model.chosen_] == max(tried.values())
        assert set(tried) - {n + "+ratios" for n in CANDIDATES} <= set(CANDIDATES)
    again = ChurnClassifier.from_state(model.state(), n_jobs=1)
    assert np.allclose(again.predict_proba(frame)[:, 1], p)
    contributions = model.contributions(frame)
    assert list(contributions.columns) == list(frame.columns)
    gap = contributions.sum(axis=1).to_numpy() - np.log(p / (1 - p))
    assert np.ptp(gap) < 1e-6  # the contributions and a constant (the bag's mean score) make the log-odds


def test_levels_never_seen_or_rarely_seen_are_read() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    plan = rng.choice(["A", "B", "C"], n).astype(object)
    plan[:5] = "稀有"  # fewer rows than a level needs: joins the rare level
    y = (rng.random(n) < np.where(plan == "A", 0.5, 0.1)).astype(int)
    model = ChurnClassifier().fit(pd.DataFrame({"plan": plan, "x": rng.normal(size=n)}), y)
    assert RARE in model.categories_["plan"] and "稀有" not in model.categories_["plan"]
    case = pd.DataFrame({"plan": ["A", "从未见过", "稀有", None], "x": [0.0] * 4})
    p = model.predict_proba(case)[:, 1]
    assert p[0] > 0.3 > p[1] and p[1] == pytest.approx(p[2])  # unseen reads as rare


def test_the_ratio_step_keeps_ratios_only_when_they_help() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    tenure = rng.integers(1, 72, n).astype(float)
    monthly = rng.uniform(20, 120, n)
    total = tenure * monthly * rng.uniform(0.6, 1.1, n)
    y = (rng.random(n) < np.where(total / (tenure * monthly) < 0.75, 0.6, 0.1)).astype(int)
    model = ChurnClassifier().fit(pd.DataFrame({"tenure": tenure, "monthly": monthly, "total": total}), y)
    assert model.chosen_.endswith("+ratios") and model.ratios_
    noise = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    plain = ChurnClassifier().fit(noise.assign(signal=y + rng.normal(0, 1, n)), y)
    chosen = {s["setting"]: s["auc"] for s in plain.selection_}
    assert plain.ratios_ == [] or chosen[plain.chosen_] > chosen[plain.chosen_.removesuffix("+ratios")]


def test_a_model_saved_before_the_selection_still_predicts() -> None:
    """The lake keeps models saved with one booster trained on named pandas columns."""
    rng = np.random.default_rng(2)
    n = 1000
    frame = pd.DataFrame({"months": rng.integers(0, 60, n).astype(float), "plan": rng.choice(["甲", "乙"], n)})
    y = (rng.random(n) < np.where(frame["plan"] == "甲", 0.4, 0.1)).astype(int)
    data = frame.assign(plan=pd.Categorical(frame["plan"], categories=["乙", "甲"]))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 4}, lgb.Dataset(data, y), 30)
    old = {"booster": booster.model_to_string(), "features": ["months", "plan"],
           "categories": {"plan": ["乙", "甲"]}, "rounds": 30, "params": {}}  # fmt: skip
    model = ChurnClassifier.from_state(old, n_jobs=1)
    assert np.allclose(model.predict_proba(frame)[:, 1], booster.predict(data))
    assert list(model.contributions(frame).columns) == ["months", "plan"]
