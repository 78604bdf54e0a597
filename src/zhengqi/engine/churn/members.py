"""Member churn: the probability that a member line leaves its group within the next 3 months,
and its roll-up into customer features (expected members lost).

A member about to leave uses its line less and calls the other operators' service lines more in
the months before it goes; the features say how this month's use compares with the member's own
three months before it. Labels: the member's leaving (or, for a returned member, its second
leaving) falls in months T+1…T+3.

The features are one Ibis expression (DuckDB or Spark, the same code); the model is LightGBM.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from zhengqi.engine.staging import member_month as staged_member_month
from zhengqi.engine.staging import members as staged_members
from zhengqi.engine.staging.months import idx_expr

MEMBER_HORIZON = 3
HISTORY = 3

MEMBER_FEATURES = (
    "voice_minutes",
    "sms_count",
    "data_mb",
    "vnet_calls",
    "competitor_calls",
    "revenue",
    "competitor_calls_3m",
    "voice_ratio",
    "sms_ratio",
    "data_ratio",
    "revenue_ratio",
    "history_months",
    "tenure_months",
    "in_vnet",
    "returned",
)

# Member data is large (millions of rows a month) and far less noisy per row than customers:
# bigger trees, a faster rate, row sampling.
MEMBER_PARAMS = {  # two million members are scored every month: few, small trees
    "learning_rate": 0.15,
    "num_leaves": 15,
    "min_child_samples": 200,
    "subsample": 0.5,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "extra_trees": False,
}


def member_features(con: ibis.BaseBackend, month_idx: int, *, with_label: bool = False) -> ir.Table:
    """One row per member active in ``month_idx``: its use this month against its own previous
    three months, tenure, V网, whether it came back once; with ``with_label`` also ``label``."""
    raw = con.table("member_month")

    def usage(first: int, last: int) -> ir.Table:
        # Only these months' files are read: the filter is on the stored month (staging.member_month).
        rows = staged_member_month.months(raw, first, last)
        return rows.select(
            msisdn=rows.msisdn.cast("int64"),
            customer_code=rows.customer_code.cast("string"),
            month_idx=idx_expr(rows.month.cast("date")),
            voice_minutes=rows.voice_minutes.cast("float64").fill_null(0),
            sms_count=rows.sms_count.cast("float64").fill_null(0),
            data_mb=rows.data_mb.cast("float64").fill_null(0),
            vnet_calls=rows.vnet_calls.cast("float64").fill_null(0),
            competitor_calls=rows.competitor_calls.cast("float64").fill_null(0),
            revenue=rows.revenue.cast("float64").fill_null(0),
        )

    current = usage(month_idx, month_idx)
    past = usage(month_idx - HISTORY, month_idx - 1)
    history = past.group_by("msisdn").aggregate(
        h_voice=past.voice_minutes.mean(),
        h_sms=past.sms_count.mean(),
        h_data=past.data_mb.mean(),
        h_revenue=past.revenue.mean(),
        h_competitor=past.competitor_calls.sum(),
        history_months=past.month_idx.count(),
    )
    people = staged_members.stage(con.table("members")).select(
        "msisdn", "in_vnet", "join_idx", "leave_idx", "return_idx", "end_idx"
    )
    joined = current.left_join(history, "msisdn").left_join(people, "msisdn")

    def ratio(now: ir.NumericValue, before: ir.NumericValue) -> ir.NumericValue:
        return ibis.cases((before > 0, now / before), else_=ibis.null("float64"))

    columns = {
        "msisdn": joined.msisdn,
        "customer_code": joined.customer_code,
        "month_idx": joined.month_idx,
        "voice_minutes": joined.voice_minutes,
        "sms_count": joined.sms_count,
        "data_mb": joined.data_mb,
        "vnet_calls": joined.vnet_calls,
        "competitor_calls": joined.competitor_calls,
        "revenue": joined.revenue,
        "competitor_calls_3m": joined.competitor_calls + joined.h_competitor.fill_null(0),
        "voice_ratio": ratio(joined.voice_minutes, joined.h_voice),
        "sms_ratio": ratio(joined.sms_count, joined.h_sms),
        "data_ratio": ratio(joined.data_mb, joined.h_data),
        "revenue_ratio": ratio(joined.revenue, joined.h_revenue),
        "history_months": joined.history_months.fill_null(0).cast("int32"),
        "tenure_months": (month_idx - joined.join_idx).cast("int32"),
        "in_vnet": joined.in_vnet.fill_null(False).cast("int8"),
        "returned": (joined.return_idx.notnull() & (joined.return_idx <= month_idx)).cast("int8"),
    }
    if with_label:

        def within(event: ir.IntegerValue) -> ir.BooleanValue:
            return event.notnull() & (event > month_idx) & (event <= month_idx + MEMBER_HORIZON)

        columns["label"] = (within(joined.leave_idx) | within(joined.end_idx)).cast("int8")
    return joined.select(**columns)


def roll_up(members: pd.DataFrame, risk: pd.Series) -> pd.DataFrame:
    """Customer features from member risks: expected members lost in 3 months and their share."""
    frame = pd.DataFrame({"customer_code": members["customer_code"].astype(str).to_numpy(), "p": risk.to_numpy()})
    out = frame.groupby("customer_code", sort=True)["p"].agg(["sum", "mean"])
    return pd.DataFrame(
        {
            "customer_code": out.index.astype(str),
            "members_expected_lost_3m": out["sum"].round(2).to_numpy(),
            "members_expected_lost_share": out["mean"].round(4).to_numpy(),
        }
    )


def to_frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    frame["customer_code"] = frame["customer_code"].astype(str)
    return frame
