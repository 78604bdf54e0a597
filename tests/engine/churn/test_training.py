"""Training sets from the lake: labels from later billing, and the leakage check that refuses a
feature computed from months after the prediction point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pytest
from django.conf import settings

from zhengqi.engine.churn.training import (
    LeakageError,
    catalogue_features,
    check_no_leakage,
    labels,
    revenue_by_month,
    training_set,
)
from zhengqi.engine.lake import Lake
from zhengqi.engine.staging.months import month_idx

AUG = dt.date(2026, 8, 1)


def test_labels_are_loss_or_a_collapse_of_revenue() -> None:
    m = month_idx(dt.date(2026, 1, 1))
    revenue = pd.DataFrame(
        {m - 2: [100, 100, 100, 100, 0], m - 1: [100, 100, 100, 100, 0], m: [100, 100, 100, 100, 0],
         m + 6: [None, 40, 90, 100, 50]},
        index=["gone", "collapsed", "dipped", "kept", "not-yet-a-customer"],
    )  # fmt: skip
    y = labels(revenue, dt.date(2026, 1, 1))
    assert y.to_dict() == {"gone": 1, "collapsed": 1, "dipped": 0, "kept": 0}
    with pytest.raises(ValueError, match="才能确定"):
        labels(revenue, dt.date(2026, 2, 1))


@pytest.mark.django_db
def test_the_catalogue_features_do_not_leak_and_a_leaky_one_is_refused(tmp_path: Path) -> None:
    from zhengqi.scoring.export import export_dimensions

    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    check_no_leakage(lake, AUG, scratch=tmp_path)  # the catalogue only looks back

    def leaky(lake: Lake, month: dt.date) -> pd.DataFrame:
        features = catalogue_features(lake, month)
        later = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        path = lake.partition_file("customer_month", later)
        nxt = {}
        if path.exists():
            t = lake.read_month("customer_month", later)
            nxt = dict(
                zip(
                    pc.cast(t.column("customer_code"), "string").to_pylist(),
                    t.column("revenue_total").to_pylist(),
                    strict=True,
                )
            )
        features["next_month_revenue"] = features["customer_code"].astype(str).map(nxt).fillna(0.0)
        return features

    with pytest.raises(LeakageError, match="next_month_revenue"):
        check_no_leakage(lake, AUG, feature_fn=leaky, scratch=tmp_path)


@pytest.mark.django_db
def test_a_training_set_has_features_and_labels(tmp_path: Path) -> None:
    from zhengqi.scoring.export import export_dimensions

    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    ts = training_set(lake, [dt.date(2026, 3, 1), dt.date(2026, 4, 1)])
    assert set(ts.frame["month_idx"]) == {month_idx(dt.date(2026, 3, 1)), month_idx(dt.date(2026, 4, 1))}
    assert "status" not in ts.features and "label" not in ts.features
    assert ts.frame["label"].isin([0, 1]).all() and len(revenue_by_month(lake).columns) >= 24
