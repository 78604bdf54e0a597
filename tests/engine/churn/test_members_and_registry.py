"""The member model's features and labels, the two models fitted on the tiny province's lake, the
registry's round trip, and the refusal of an unknown version."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from django.conf import settings

from zhengqi.engine.churn import registry
from zhengqi.engine.churn.bundle import ROLL_UP, ChurnModels, History, fit, fold_of, score
from zhengqi.engine.churn.members import MEMBER_FEATURES, member_features, to_frame
from zhengqi.engine.lake import Lake
from zhengqi.engine.staging.months import month_idx

AUG = dt.date(2026, 8, 1)


_FITTED: dict[str, ChurnModels] = {}


@pytest.fixture
def lake(db: None) -> Lake:
    # Function-scoped on purpose: a module-scoped fixture that opens the database outside a test
    # marked django_db reaches the developer's own database, not the test one.
    from zhengqi.scoring.export import export_dimensions

    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    return lake


@pytest.fixture
def models(lake: Lake) -> ChurnModels:
    if "tiny" not in _FITTED:  # fitted once for the module
        history = History(lake)
        _FITTED["tiny"] = fit(history, history.last)
    return _FITTED["tiny"]


@pytest.fixture
def scratch_registry(lake: Lake) -> Iterator[Lake]:
    yield lake
    shutil.rmtree(lake.root / "models", ignore_errors=True)  # other tests run the month without a model


def test_member_labels_are_leavings_in_the_next_three_months(lake: Lake) -> None:
    m = month_idx(AUG)
    frame = to_frame(member_features(lake.connect(), m, with_label=True).to_pyarrow())
    people = lake.read_table("members").to_pandas()
    people["msisdn"] = people["msisdn"].astype("int64")

    def idx(value: object) -> float:
        return np.nan if pd.isna(value) else month_idx(pd.Timestamp(value).date())

    leave = people["leave_month"].map(idx)
    end = people["end_month"].map(idx)
    expected = (((leave > m) & (leave <= m + 3)) | ((end > m) & (end <= m + 3))).astype(int)
    by_msisdn = dict(zip(people["msisdn"], expected, strict=True))
    assert frame["label"].tolist() == [by_msisdn[x] for x in frame["msisdn"]]
    assert 0 < frame["label"].sum() < len(frame)
    usage = lake.read_month("member_month", AUG).to_pandas()
    assert len(frame) == len(usage)  # one row per member used this month
    assert set(MEMBER_FEATURES) <= set(frame.columns)


def test_folds_are_stable_and_cover_every_customer() -> None:
    codes = pd.Series([f"YH{i:07d}" for i in range(300)])
    folds = fold_of(codes)
    assert (folds == fold_of(codes.copy())).all() and set(folds) == {0, 1, 2}


def test_the_calibration_window_comes_after_the_training_window(models: ChurnModels) -> None:
    meta = models.meta
    assert meta["customer_window"][1] < meta["calibration_window"][0]
    assert meta["calibration_window"][1] <= meta["as_of"]
    assert "region_code" not in meta["features"] and "status" not in meta["features"]
    assert set(ROLL_UP) <= set(meta["features"])
    risk = models.risk(np.array([0.01, 0.1, 0.5]))
    assert (np.diff(risk) > 0).all()  # calibration keeps the order


def test_scoring_gives_every_customer_a_risk_band_and_reasons(lake: Lake, models: ChurnModels) -> None:
    import pyarrow as pa

    from zhengqi.engine.churn.training import catalogue_features

    features = pa.Table.from_pandas(catalogue_features(lake, AUG), preserve_index=False)
    out = score(models, lake.connect(), AUG, features)
    assert out.num_rows == features.num_rows
    frame = out.to_pandas()
    assert frame["churn_risk"].between(0, 1).all()
    assert set(frame["churn_band"]) <= {"high", "medium", "low"}
    given = frame["reasons"].map(len)
    # Reasons (at most three) for the medium and high bands, none for the low band. A risky customer
    # whose risk is the base rate's, with no feature raising it, may have none: so "most", not "each".
    risky = frame["churn_band"] != "low"
    assert risky.any() and (given[risky] > 0).mean() >= 0.5
    assert (given <= 3).all() and (given[~risky] == 0).all()
    assert frame.loc[frame["members_expected_lost_3m"] > 0].shape[0] > 0


def test_registry_round_trip_and_activation(scratch_registry: Lake, models: ChurnModels) -> None:
    lake = scratch_registry
    first = registry.save(lake, models)
    assert registry.active_version(lake) == first  # the first saved model becomes active
    second = registry.save(lake, models)
    assert registry.active_version(lake) == first
    registry.set_active(lake, second)
    assert registry.active_version(lake) == second
    card = registry.card(lake, second)
    assert card["libraries"]["lightgbm"] and card["features"] == models.meta["features"]
    loaded = registry.load(lake, second)
    members = History(lake).members(month_idx(AUG))
    assert np.allclose(loaded.member_risk(members), models.member_risk(members))
    for bad in ("nope", "../../etc", ""):
        with pytest.raises(registry.UnknownVersion, match="没有流失模型版本"):
            registry.set_active(lake, bad)
    assert registry.active_version(lake) == second


def test_member_features_do_not_look_past_their_month(lake: Lake, tmp_path: object) -> None:
    """The leakage check on the member features (summed per customer): computed from the whole
    lake and from a copy cut at the month, they agree."""
    from zhengqi.engine.churn.training import check_no_leakage

    def member_level(lake: Lake, month: dt.date) -> pd.DataFrame:
        frame = to_frame(member_features(lake.connect(), month_idx(month)).to_pyarrow())
        return frame.groupby("customer_code")[list(MEMBER_FEATURES)].sum().reset_index()

    check_no_leakage(lake, AUG, feature_fn=member_level, scratch=tmp_path)
