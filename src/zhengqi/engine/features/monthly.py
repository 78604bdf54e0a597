"""Build the feature table of one month from the staged sources.

Grain: one row per customer (every customer of ``dim_customers``) for the month. Columns: the
names of ``catalogue.FEATURES`` plus ``customer_code`` and ``month_idx``.

Every window ("last 3 months", "the 12 months before") is a conditional aggregate relative to the
run's month, so the same expression runs on DuckDB and on Spark with no engine-specific window
frames, and a missing month counts as zero instead of shifting the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from zhengqi.engine.staging.months import month_end, month_idx

HISTORY = 12  # months of history before the run's month that the features look at
YEAR_BACK = 23  # months back that a last-year-to-date sum can reach (January of last year from December)
MONEY_COLUMNS = ("revenue", "revenue_info", "revenue_data", "revenue_line", "arrears")
COUNT_COLUMNS = (
    "complaints",
    "cancellations",
    "competitor_calls",
    "surveys",
    "surveys_satisfied",
    "members_active",
    "members_idle",
    "members_change",
)
RATIO_DIGITS = 6
# The history-relative scores (revenue_anomaly_z, member_jump_z) measure a move in units of the
# customer's usual spread, but never of less than this: 10 % of its average revenue (and ¥1), 2 % of
# last month's members (and one member). A flat history then a jump scores high; noise within
# these bounds never reaches the rules' thresholds (tests/engine/features/test_history_signals.py).
REVENUE_SCALE_FLOOR = 0.10
MEMBER_SCALE_FLOOR = 0.02
MIN_HISTORY = 3  # months of history before a score is given


@dataclass(frozen=True)
class Sources:
    """Staged inputs (see ``zhengqi.engine.staging``)."""

    customers: ir.Table
    customer_month: ir.Table
    # The staged member months first..last (month indices). A function rather than one table: each
    # step asks for the months it reads, so that the engine reads only those months' files.
    member_month: Callable[[int, int], ir.Table]
    # Members per customer and month (members_active, members_idle), months first..last.
    member_counts: Callable[[int, int], ir.Table]
    members: ir.Table
    subscriptions: ir.Table
    contracts: ir.Table
    hierarchy: ir.Table


def _between(col: ir.IntegerValue, lo: int, hi: int) -> ir.BooleanValue:
    return (col >= lo) & (col <= hi)


def _sum_in(t: ir.Table, value: ir.NumericValue, lo: int, hi: int) -> ir.NumericScalar:
    return ibis.cases((_between(t.month_idx, lo, hi), value), else_=0).sum()


def _reported_in(t: ir.Table, value: ir.NumericValue, lo: int, hi: int) -> ir.NumericScalar:
    """A sum over the window that stays null where nothing was reported in it."""
    return ibis.cases((_between(t.month_idx, lo, hi), value)).sum()


def _yuan(fen: ir.NumericValue) -> ir.FloatingValue:
    """Whole fen back to yuan (an exact division, the same on every engine)."""
    return fen.cast("float64") / 100


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.NumericValue:
    return ibis.cases((den != 0, num.cast("float64") / den), else_=ibis.null("float64")).round(RATIO_DIGITS)


REPORTED_EVENTS = ("reported_joined", "reported_left", "reported_returned", "reported_vnet")


def _facts(src: Sources, lo: int, hi: int) -> ir.Table:
    """Customer-month facts with member counts, for months lo..hi (one row per customer and month
    that has any).

    Members are counted from the member tables; a customer-month with no member rows takes the
    counts reported with its billing facts (customer_month's 在网成员数, 三无成员数 …), so that a
    province that delivers counts per customer gets the same features. Cancellations are the larger
    of billing's count and the subscriptions that ended that month (two views of the same events,
    like complaints: never their sum). Money in whole fen (integers), so that sums are exact and
    equal on every engine."""
    cm = src.customer_month.filter(_between(src.customer_month.month_idx, lo, hi))
    counts = src.member_counts(lo, hi)
    subs = src.subscriptions.filter(_between(src.subscriptions.end_idx, lo, hi))
    subs = subs.select("customer_code", month_idx=subs.end_idx)
    ends = subs.group_by(["customer_code", "month_idx"]).aggregate(ended=subs.count())
    j = cm.outer_join(counts, ["customer_code", "month_idx"])
    j = j.select(
        customer_code=ibis.coalesce(j.customer_code, j.customer_code_right),
        month_idx=ibis.coalesce(j.month_idx, j.month_idx_right),
        **{c: j[c] for c in (*MONEY_COLUMNS, "complaints", "cancellations", "competitor_calls")},
        surveys=j.surveys,
        surveys_satisfied=j.surveys_satisfied,
        members_active=ibis.coalesce(j.members_active, j.reported_active),
        members_idle=ibis.coalesce(j.members_idle, j.reported_idle),
        **{c: j[c] for c in REPORTED_EVENTS},
    )
    j = j.view().outer_join(ends, ["customer_code", "month_idx"])
    return j.select(
        customer_code=ibis.coalesce(j.customer_code, j.customer_code_right),
        month_idx=ibis.coalesce(j.month_idx, j.month_idx_right),
        **{c: (j[c].fill_null(0) * 100).round().cast("int64") for c in MONEY_COLUMNS},
        **{c: j[c].fill_null(0) for c in ("complaints", "competitor_calls", "surveys", "surveys_satisfied")},
        cancellations=ibis.greatest(j.cancellations.fill_null(0), j.ended.fill_null(0)),
        members_active=j.members_active,
        members_idle=j.members_idle.fill_null(0),
        **{c: j[c] for c in REPORTED_EVENTS},
    )


def _facts_history(src: Sources, m: int) -> ir.Table:
    """The facts of months m-HISTORY..m, with each month's change in members against the month
    before (known only where both months counted members)."""
    j = _facts(src, m - HISTORY - 1, m)
    w = ibis.window(group_by="customer_code", order_by="month_idx")
    previous = j.members_active.lag().over(w)
    j = j.mutate(
        members_change=j.members_active.fill_null(0) - previous.fill_null(0),
        change_known=((j.month_idx - j.month_idx.lag().over(w)) == 1) & j.members_active.notnull() & previous.notnull(),
    )
    j = j.filter(j.month_idx >= m - HISTORY)
    return j.select(
        "customer_code",
        "month_idx",
        *MONEY_COLUMNS,
        **{c: j[c].fill_null(0) for c in COUNT_COLUMNS},
        **{c: j[c] for c in REPORTED_EVENTS},
        change_known=j.change_known.fill_null(False),
    )


def _revenue_and_counts(h: ir.Table, m: int) -> ir.Table:
    cur = _between(h.month_idx, m, m)
    prior = _between(h.month_idx, m - HISTORY, m - 1)
    revenue_at = {k: _sum_in(h, h.revenue, m - k, m - k) for k in range(HISTORY + 1)}
    agg = h.group_by("customer_code").aggregate(
        revenue=_sum_in(h, h.revenue, m, m),
        revenue_prev=_sum_in(h, h.revenue, m - 1, m - 1),
        revenue_ly=_sum_in(h, h.revenue, m - 12, m - 12),
        revenue_sum_3=_sum_in(h, h.revenue, m - 2, m),
        revenue_sum_6=_sum_in(h, h.revenue, m - 5, m),
        revenue_sum_12=_sum_in(h, h.revenue, m - 11, m),
        prior_mean=ibis.cases((prior, h.revenue / 100)).mean(),
        prior_std=ibis.cases((prior, h.revenue / 100)).std(),
        prior_n=ibis.cases((prior, 1), else_=0).sum(),
        revenue_info=_sum_in(h, h.revenue_info, m, m),
        revenue_info_prev=_sum_in(h, h.revenue_info, m - 1, m - 1),
        revenue_data=_sum_in(h, h.revenue_data, m, m),
        revenue_line=_sum_in(h, h.revenue_line, m, m),
        revenue_line_prev=_sum_in(h, h.revenue_line, m - 1, m - 1),
        arrears=_sum_in(h, h.arrears, m, m),
        arrears_months_6=_sum_in(h, (h.arrears > 0).cast("int64"), m - 5, m),
        complaints=_sum_in(h, h.complaints, m, m),
        complaints_3m=_sum_in(h, h.complaints, m - 2, m),
        complaints_prev_3m=_sum_in(h, h.complaints, m - 5, m - 3),
        cancellations=_sum_in(h, h.cancellations, m, m),
        cancellations_3m=_sum_in(h, h.cancellations, m - 2, m),
        cancellations_prev_3m=_sum_in(h, h.cancellations, m - 5, m - 3),
        competitor_calls=_sum_in(h, h.competitor_calls, m, m),
        competitor_calls_3m=_sum_in(h, h.competitor_calls, m - 2, m),
        competitor_calls_prev_3m=_sum_in(h, h.competitor_calls, m - 5, m - 3),
        surveys_12m=_sum_in(h, h.surveys, m - 11, m),
        satisfied_12m=_sum_in(h, h.surveys_satisfied, m - 11, m),
        dissatisfied_3m=_sum_in(h, h.surveys - h.surveys_satisfied, m - 2, m),
        members_active=_sum_in(h, h.members_active, m, m),
        members_active_6_ago=_sum_in(h, h.members_active, m - 6, m - 6),
        members_idle=_sum_in(h, h.members_idle, m, m),
        members_change=ibis.cases((cur & h.change_known, h.members_change), else_=0).sum(),
        change_mean=ibis.cases((prior & h.change_known, h.members_change)).mean(),
        change_std=ibis.cases((prior & h.change_known, h.members_change)).std(),
        change_n=ibis.cases((prior & h.change_known, 1), else_=0).sum(),
        members_idle_prev=_sum_in(h, h.members_idle, m - 1, m - 1),
        # Member events as reported per customer (null where none was): used without member rows.
        rep_joined=_reported_in(h, h.reported_joined, m, m),
        rep_left=_reported_in(h, h.reported_left, m, m),
        rep_left_3m=_reported_in(h, h.reported_left, m - 2, m),
        rep_left_prev_3m=_reported_in(h, h.reported_left, m - 5, m - 3),
        rep_returned=_reported_in(h, h.reported_returned, m, m),
        rep_returned_3m=_reported_in(h, h.reported_returned, m - 2, m),
        rep_returned_prev_3m=_reported_in(h, h.reported_returned, m - 5, m - 3),
        rep_vnet=_reported_in(h, h.reported_vnet, m, m),
        **{f"r{k}": v for k, v in revenue_at.items()},
        **{f"a{k}": _sum_in(h, (h.arrears > 0).cast("int64"), m - k, m - k) for k in range(HISTORY)},
    )
    # Current decline streak: months in a row, back from this one, each below the one before.
    streak: ir.IntegerValue = ibis.literal(0)
    run: ir.IntegerValue = ibis.literal(1)
    for k in range(HISTORY):
        run = run * (agg[f"r{k}"] < agg[f"r{k + 1}"]).cast("int64")
        streak = streak + run
    # Arrears age: months in a row, back from this one, that ended with arrears.
    owed: ir.IntegerValue = ibis.literal(0)
    run = ibis.literal(1)
    for k in range(HISTORY):
        run = run * agg[f"a{k}"]
        owed = owed + run
    return agg.mutate(decline_streak=streak.cast("int64"), arrears_streak=owed.cast("int64")).drop(
        *[f"r{k}" for k in range(HISTORY + 1)], *[f"a{k}" for k in range(HISTORY)]
    )


def _year_to_date(cm: ir.Table, m: int) -> ir.Table:
    """Sums from January to this month, this year and the same months of last year (whole fen)."""
    jan = m - m % 12
    cm = cm.filter(_between(cm.month_idx, jan - 12, m))

    def fen(value: ir.NumericValue, lo: int, hi: int) -> ir.NumericScalar:
        return _sum_in(cm, (value.fill_null(0) * 100).round().cast("int64"), lo, hi)

    return cm.group_by("customer_code").aggregate(
        revenue_info_ytd=fen(cm.revenue_info, jan, m),
        revenue_line_ytd=fen(cm.revenue_line, jan, m),
        revenue_info_ytd_ly=fen(cm.revenue_info, jan - 12, m - 12),
        revenue_line_ytd_ly=fen(cm.revenue_line, jan - 12, m - 12),
    )


def _idle_clean_up(src: Sources, m: int) -> ir.Table:
    """How many of last month's "三无" members have no line in the group this month (member rows only)."""
    before = src.member_month(m - 1, m - 1)
    before = before.filter(before.is_idle)
    now = src.member_month(m, m)
    now = now.select(msisdn_now=now.msisdn)
    j = before.left_join(now, before.msisdn == now.msisdn_now)
    return j.group_by("customer_code").aggregate(idle_cleaned=j.msisdn_now.isnull().cast("int64").sum())


def _member_events(members: ir.Table, m: int) -> ir.Table:
    def count_in(idx: ir.IntegerValue, lo: int, hi: int) -> ir.NumericScalar:
        return ibis.cases((_between(idx, lo, hi), 1), else_=0).sum()

    left_idx = members.leave_idx
    return members.group_by("customer_code").aggregate(
        members_joined=count_in(members.join_idx, m, m),
        members_left=count_in(left_idx, m, m) + count_in(members.end_idx, m, m),
        members_left_3m=count_in(left_idx, m - 2, m) + count_in(members.end_idx, m - 2, m),
        members_left_prev_3m=count_in(left_idx, m - 5, m - 3) + count_in(members.end_idx, m - 5, m - 3),
        members_returned=count_in(members.return_idx, m, m),
        members_returned_3m=count_in(members.return_idx, m - 2, m),
        members_returned_prev_3m=count_in(members.return_idx, m - 5, m - 3),
    )


def _vnet(src: Sources, m: int) -> ir.Table:
    now = src.member_month(m, m).select("msisdn", "customer_code")
    j = now.left_join(src.members.select("msisdn", "in_vnet"), "msisdn")
    return j.group_by("customer_code").aggregate(members_vnet=j.in_vnet.fill_null(False).cast("int64").sum())


def _products(subs: ir.Table, m: int) -> ir.Table:
    in_use = (subs.start_idx <= m) & (subs.end_idx.isnull() | (subs.end_idx > m))
    started = ibis.cases((_between(subs.start_idx, m - 5, m), 1), else_=0)
    ended = ibis.cases((_between(subs.end_idx, m - 5, m), 1), else_=0)
    return subs.group_by("customer_code").aggregate(
        product_count=ibis.cases((in_use, 1), else_=0).sum(),
        new_products_3m=ibis.cases((_between(subs.start_idx, m - 2, m), 1), else_=0).sum(),
        new_products_prev_3m=ibis.cases((_between(subs.start_idx, m - 5, m - 3), 1), else_=0).sum(),
        product_changes_6m=(started + ended).sum(),
        first_start_idx=subs.start_idx.min(),
    )


def _contracts(contracts: ir.Table, month: dt.date) -> ir.Table:
    end_of_month = month_end(month)
    signed = contracts.filter(contracts.start <= ibis.literal(end_of_month))
    latest = signed.group_by("customer_code").aggregate(last_end=signed.end.max())
    return latest.select(
        "customer_code",
        contract_days_left=latest.last_end.delta(ibis.literal(end_of_month), unit="day").cast("int64"),
    )


def _group_rollup(src: Sources, m: int) -> ir.Table:
    """Each group's revenue and members this month, summed over the customers under it.

    Read from this month's facts alone rather than from the feature table: a rollup of the feature
    table would join it to itself, and an engine may compute it twice to do so."""
    month = _facts(src, m, m)
    base = src.customers.select("customer_code").left_join(month, "customer_code")
    base = base.select(
        "customer_code", revenue=base.revenue.fill_null(0), members_active=base.members_active.fill_null(0)
    )
    j = src.hierarchy.join(base, "customer_code")
    return j.group_by(customer_code=j.ancestor_code).aggregate(
        group_revenue=j.revenue.sum() / 100, group_members=j.members_active.sum()
    )


def build(src: Sources, month: dt.date) -> ir.Table:
    m = month_idx(month)
    h = _facts_history(src, m)
    money = _revenue_and_counts(h, m)
    events = _member_events(src.members, m)
    vnet = _vnet(src, m)
    products = _products(src.subscriptions, m)
    contracts = _contracts(src.contracts, month)
    ytd = _year_to_date(src.customer_month, m)
    clean_up = _idle_clean_up(src, m)

    t = src.customers
    for part in (money, events, vnet, products, contracts, ytd, clean_up):
        t = t.left_join(part, "customer_code").drop("customer_code_right")
    # A customer with no member rows: its member events as reported with its billing facts.
    t = t.mutate(
        members_joined=ibis.coalesce(t.members_joined, t.rep_joined),
        members_left=ibis.coalesce(t.members_left, t.rep_left),
        members_left_3m=ibis.coalesce(t.members_left_3m, t.rep_left_3m),
        members_left_prev_3m=ibis.coalesce(t.members_left_prev_3m, t.rep_left_prev_3m),
        members_returned=ibis.coalesce(t.members_returned, t.rep_returned),
        members_returned_3m=ibis.coalesce(t.members_returned_3m, t.rep_returned_3m),
        members_returned_prev_3m=ibis.coalesce(t.members_returned_prev_3m, t.rep_returned_prev_3m),
        members_vnet=ibis.coalesce(t.members_vnet, t.rep_vnet),
    )
    zero = {
        c: t[c].fill_null(0)
        for c in (
            "revenue",
            "revenue_prev",
            "revenue_ly",
            "revenue_sum_3",
            "revenue_sum_6",
            "revenue_sum_12",
            "revenue_info",
            "revenue_info_prev",
            "revenue_data",
            "revenue_line",
            "revenue_line_prev",
            "revenue_info_ytd",
            "revenue_line_ytd",
            "revenue_info_ytd_ly",
            "revenue_line_ytd_ly",
            "arrears",
            "arrears_months_6",
            "arrears_streak",
            "members_idle_prev",
            "idle_cleaned",
            "complaints",
            "complaints_3m",
            "complaints_prev_3m",
            "cancellations",
            "cancellations_3m",
            "cancellations_prev_3m",
            "competitor_calls",
            "competitor_calls_3m",
            "competitor_calls_prev_3m",
            "members_active",
            "members_active_6_ago",
            "members_idle",
            "members_change",
            "decline_streak",
            "members_joined",
            "members_left",
            "members_left_3m",
            "members_left_prev_3m",
            "members_returned",
            "members_returned_3m",
            "members_returned_prev_3m",
            "members_vnet",
            "product_count",
            "new_products_3m",
            "new_products_prev_3m",
            "product_changes_6m",
        )
    }
    t = t.mutate(**zero)

    def z(value: ir.NumericValue, mean: ir.NumericValue, scale: ir.NumericValue, n: ir.IntegerValue) -> ir.NumericValue:
        """How far this month is from the customer's own history, in units of its usual spread;
        the spread has a floor (``scale``), so that a move after a flat history is the strongest
        signal rather than a division by zero. Needs MIN_HISTORY months of history."""
        return ibis.cases((n >= MIN_HISTORY, ((value - mean) / scale).abs()), else_=0.0).round(4)

    features = t.select(
        "customer_code",
        month_idx=ibis.literal(m, type="int32"),
        customer_type=t.customer_type,
        industry=t.industry,
        scale=t.scale,
        status=t.status,
        competitor_operator=t.competitor_operator,
        region_code=t.region_code,
        tenure_months=ibis.cases((t.first_start_idx.notnull(), m - t.first_start_idx), else_=0).cast("int64"),
        revenue=_yuan(t.revenue),
        revenue_avg_3=_yuan((t.revenue_sum_3 / 3).round()),
        revenue_avg_6=_yuan((t.revenue_sum_6 / 6).round()),
        revenue_avg_12=_yuan((t.revenue_sum_12 / 12).round()),
        revenue_mom=_ratio(t.revenue - t.revenue_prev, t.revenue_prev),
        revenue_yoy=_ratio(t.revenue - t.revenue_ly, t.revenue_ly),
        decline_streak=t.decline_streak,
        revenue_anomaly_z=z(
            t.revenue / 100,
            t.prior_mean,
            ibis.greatest(t.prior_std.fill_null(0), t.prior_mean.abs() * REVENUE_SCALE_FLOOR, 1.0),
            t.prior_n.fill_null(0),
        ),
        revenue_info=_yuan(t.revenue_info),
        info_share=_ratio(t.revenue_info, t.revenue),
        revenue_data=_yuan(t.revenue_data),
        data_share=_ratio(t.revenue_data, t.revenue),
        revenue_line=_yuan(t.revenue_line),
        line_share=_ratio(t.revenue_line, t.revenue),
        revenue_prev=_yuan(t.revenue_prev),
        revenue_info_prev=_yuan(t.revenue_info_prev),
        revenue_line_prev=_yuan(t.revenue_line_prev),
        revenue_info_ytd=_yuan(t.revenue_info_ytd),
        revenue_line_ytd=_yuan(t.revenue_line_ytd),
        revenue_info_ytd_ly=_yuan(t.revenue_info_ytd_ly),
        revenue_line_ytd_ly=_yuan(t.revenue_line_ytd_ly),
        members_active=t.members_active,
        members_change=t.members_change,
        member_jump_z=z(
            t.members_change,
            t.change_mean,
            ibis.greatest(
                t.change_std.fill_null(0), (t.members_active - t.members_change).abs() * MEMBER_SCALE_FLOOR, 1.0
            ),
            t.change_n.fill_null(0),
        ),
        members_joined=t.members_joined,
        members_left=t.members_left,
        members_returned=t.members_returned,
        members_left_3m=t.members_left_3m,
        members_left_prev_3m=t.members_left_prev_3m,
        members_returned_3m=t.members_returned_3m,
        members_returned_prev_3m=t.members_returned_prev_3m,
        members_growth_6m=_ratio(t.members_active - t.members_active_6_ago, t.members_active_6_ago),
        members_idle=t.members_idle,
        idle_share=_ratio(t.members_idle, t.members_active),
        members_idle_prev=t.members_idle_prev,
        idle_cleaned=t.idle_cleaned,
        vnet_share=_ratio(t.members_vnet, t.members_active),
        product_count=t.product_count,
        new_products_3m=t.new_products_3m,
        new_products_prev_3m=t.new_products_prev_3m,
        cancellations=t.cancellations,
        cancellations_3m=t.cancellations_3m,
        cancellations_prev_3m=t.cancellations_prev_3m,
        product_changes_6m=t.product_changes_6m,
        complaints=t.complaints,
        complaints_3m=t.complaints_3m,
        complaints_prev_3m=t.complaints_prev_3m,
        arrears=_yuan(t.arrears),
        arrears_months_6=t.arrears_months_6,
        arrears_streak=t.arrears_streak,
        competitor_calls=t.competitor_calls,
        competitor_calls_3m=t.competitor_calls_3m,
        competitor_calls_prev_3m=t.competitor_calls_prev_3m,
        contract_days_left=t.contract_days_left,
        surveys_12m=t.surveys_12m.fill_null(0),
        satisfaction_12m=_ratio(t.satisfied_12m, t.surveys_12m),
        dissatisfied_3m=t.dissatisfied_3m.fill_null(0),
    )
    rollup = _group_rollup(src, m)
    out = features.left_join(rollup, "customer_code").drop("customer_code_right")
    return out.mutate(group_revenue=out.group_revenue.fill_null(0), group_members=out.group_members.fill_null(0))
