"""The high band is what account managers can visit: at most ``capacity`` customers, all in service,
the riskiest ones, none below the model's medium line; the medium band is the rest above that line."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from zhengqi.engine.churn.bundle import ChurnModels, capacity_bands


@given(
    risk=st.lists(st.floats(min_value=0, max_value=1), min_size=0, max_size=200),
    capacity=st.integers(min_value=0, max_value=250),
    medium=st.floats(min_value=0, max_value=1),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_capacity_bands(risk: list[float], capacity: int, medium: float, seed: int) -> None:
    models = ChurnModels(member=[], customer=None, calibration=(1.0, 0.0), bands={"high": 1.0, "medium": medium})  # type: ignore[arg-type]  # bands only
    r = np.array(risk, dtype=float)
    in_service = np.random.default_rng(seed).random(len(r)) < 0.8
    bands = capacity_bands(models, r, in_service, capacity)
    high = bands == "high"
    eligible = in_service & (r >= medium)
    assert high.sum() == min(capacity, eligible.sum())
    assert not (high & ~eligible).any()
    if high.any() and (eligible & ~high).any():
        assert r[high].min() >= r[eligible & ~high].max()  # nobody riskier is left out
    assert ((bands == "medium") == ((r >= medium) & ~high)).all()
    assert ((bands == "low") == (r < medium)).all()
