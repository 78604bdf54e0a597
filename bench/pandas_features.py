"""A plain pandas implementation of the monthly features — what an analyst writes today.

Kept in bench/ as the baseline the engine is measured against (issue 3), not used by the product.
It reads the same lake files and computes the same heavy features (member counts and idle share
over 13 months, V网 share, member events, revenue windows and decline streak, products, contract
days left), so that the comparison is like for like.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd


def month_idx(d: pd.Series) -> pd.Series:
    d = pd.to_datetime(d)
    return d.dt.year * 12 + d.dt.month - 1


def features(lake: Path, month: dt.date) -> pd.DataFrame:
    m = month.year * 12 + month.month - 1
    months = [dt.date((m - k) // 12, (m - k) % 12 + 1, 1) for k in range(14)]
    cm = pd.concat(
        [
            pd.read_parquet(lake / "customer_month" / f"month={d:%Y-%m}" / "data.parquet")
            for d in months[:13]
            if (lake / "customer_month" / f"month={d:%Y-%m}").exists()
        ]
    )
    mm = pd.concat(
        [
            pd.read_parquet(lake / "member_month" / f"month={d:%Y-%m}" / "data.parquet")
            for d in months
            if (lake / "member_month" / f"month={d:%Y-%m}").exists()
        ]
    )
    members = pd.read_parquet(lake / "members" / "data.parquet")
    customers = pd.read_parquet(lake / "dim_customers" / "data.parquet")
    subs = pd.read_parquet(lake / "dim_subscriptions" / "data.parquet")
    contracts = pd.read_parquet(lake / "dim_contracts" / "data.parquet")

    cm["k"] = m - month_idx(cm["month"])
    mm["k"] = m - month_idx(mm["month"])
    mm["customer_code"] = mm["customer_code"].astype(str)
    mm["idle"] = (mm.voice_minutes == 0) & (mm.sms_count == 0) & (mm.vnet_calls == 0)
    counts = mm.groupby(["customer_code", "k"]).agg(active=("msisdn", "size"), idle=("idle", "sum")).reset_index()
    active = counts.pivot(index="customer_code", columns="k", values="active").fillna(0)
    rev = (
        cm.pivot_table(index="customer_code", columns="k", values="revenue_total", aggfunc="sum")
        .reindex(columns=range(13), fill_value=0)
        .fillna(0)
    )
    out = pd.DataFrame(index=customers.customer_code)
    rev = rev.reindex(index=out.index, fill_value=0)
    out["revenue"] = rev[0]
    for n in (3, 6, 12):
        out[f"revenue_avg_{n}"] = rev[list(range(n))].sum(axis=1) / n
    out["revenue_mom"] = rev[0] / rev[1].where(rev[1] != 0) - 1
    out["revenue_yoy"] = rev[0] / rev[12].where(rev[12] != 0) - 1
    streak = np.zeros(len(rev), dtype=np.int64)
    run = np.ones(len(rev), dtype=bool)
    for k in range(12):
        run &= (rev[k] < rev[k + 1]).to_numpy()
        streak += run
    out["decline_streak"] = pd.Series(streak, index=rev.index)
    prior = rev[list(range(1, 13))]
    out["revenue_anomaly_z"] = ((rev[0] - prior.mean(axis=1)) / prior.std(axis=1)).abs()
    for col in ("complaints", "cancellations", "competitor_calls"):
        piv = (
            cm.pivot_table(index="customer_code", columns="k", values=col, aggfunc="sum")
            .reindex(columns=range(13), fill_value=0)
            .fillna(0)
        )
        out[col] = piv[0]
        out[f"{col}_3m"] = piv[[0, 1, 2]].sum(axis=1)
        out[f"{col}_prev_3m"] = piv[[3, 4, 5]].sum(axis=1)
    out["members_active"] = active.get(0)
    out["members_change"] = active.get(0) - active.get(1)
    changes = active.diff(axis=1, periods=-1)[list(range(1, 13))]
    out["member_jump_z"] = ((out["members_change"] - changes.mean(axis=1)) / changes.std(axis=1)).abs()
    idle_now = counts[counts.k == 0].set_index("customer_code")["idle"]
    out["idle_share"] = idle_now / out["members_active"]
    now = mm[mm.k == 0][["msisdn", "customer_code"]].merge(members[["msisdn", "in_vnet"]], on="msisdn", how="left")
    out["vnet_share"] = now.groupby("customer_code")["in_vnet"].mean()
    members["customer_code"] = members["customer_code"].astype(str)
    for col, name in (
        ("join_month", "members_joined"),
        ("leave_month", "members_left"),
        ("return_month", "members_returned"),
    ):
        k = m - month_idx(members[col])
        out[name] = members[k == 0].groupby("customer_code").size()
        out[f"{name}_3m"] = members[k.between(0, 2)].groupby("customer_code").size()
    s_start, s_end = month_idx(subs["start"]), month_idx(subs["end"])
    in_use = (s_start <= m) & (s_end.isna() | (s_end > m))
    out["product_count"] = subs[in_use].groupby("customer_code").size()
    month_end = pd.Timestamp(month) + pd.offsets.MonthEnd(0)
    signed = contracts[pd.to_datetime(contracts.start) <= month_end]
    out["contract_days_left"] = (pd.to_datetime(signed.groupby("customer_code")["end"].max()) - month_end).dt.days
    return out.fillna(
        {
            c: 0
            for c in out.columns
            if c not in ("revenue_mom", "revenue_yoy", "idle_share", "vnet_share", "contract_days_left")
        }
    )
