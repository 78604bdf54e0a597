"""Customer-month facts from billing (lake ``customer_month``), with the service records.

Grain: one row per customer per month. Columns: customer_code, month_idx, revenue, revenue_info,
revenue_data, revenue_line, arrears, complaints, cancellations, competitor_calls, surveys,
surveys_satisfied, and the member counts a province may deliver per customer instead of member by
member (``REPORTED``: null where the file had none; the features use them only where the member
tables have nothing for that customer-month).

Complaints come from two places that may describe the same complaints: the ``complaints`` count of
the billing/BSS month import, and the complaint records of the service desk (``dim_service_month``,
one per ticket — an imported ticket and a request logged here with its ticket number are one
record). A customer-month counts the larger of the two, never their sum: each source alone may
miss some complaints, but adding them would count a complaint both systems know twice.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from .months import idx_expr

# customer_month column → staged name: member counts reported per customer.
REPORTED = {
    "members_active": "reported_active",
    "members_joined": "reported_joined",
    "members_left": "reported_left",
    "members_returned": "reported_returned",
    "members_vnet": "reported_vnet",
    "members_idle": "reported_idle",
}


def stage(raw: ir.Table, service: ir.Table | None = None) -> ir.Table:
    reported = {
        name: (raw[column].cast("int64") if column in raw.columns else ibis.null("int64"))
        for column, name in REPORTED.items()
    }
    billing = raw.select(
        customer_code=raw.customer_code.cast("string"),
        month_idx=idx_expr(raw.month.cast("date")),
        revenue=raw.revenue_total.cast("float64").fill_null(0),
        revenue_info=raw.revenue_info.cast("float64").fill_null(0),
        revenue_data=raw.revenue_data.cast("float64").fill_null(0),
        revenue_line=raw.revenue_line.cast("float64").fill_null(0),
        arrears=raw.arrears.cast("float64").fill_null(0),
        complaints=raw.complaints.cast("int64").fill_null(0),
        cancellations=raw.cancellations.cast("int64").fill_null(0),
        competitor_calls=raw.competitor_calls.cast("int64").fill_null(0),
        **reported,
    )
    if service is None:
        return billing.mutate(surveys=ibis.literal(0, "int64"), surveys_satisfied=ibis.literal(0, "int64"))
    svc = service.select(
        customer_code=service.customer_code.cast("string"),
        month_idx=idx_expr(service.month.cast("date")),
        recorded=service.complaints.cast("int64").fill_null(0),
        answers=service.surveys.cast("int64").fill_null(0),
        satisfied=service.surveys_satisfied.cast("int64").fill_null(0),
    )
    svc = svc.group_by(["customer_code", "month_idx"]).aggregate(
        recorded=svc.recorded.sum(), answers=svc.answers.sum(), satisfied=svc.satisfied.sum()
    )
    j = billing.outer_join(svc, ["customer_code", "month_idx"])
    zero = ("revenue", "revenue_info", "revenue_data", "revenue_line", "arrears", "cancellations", "competitor_calls")
    return j.select(
        customer_code=ibis.coalesce(j.customer_code, j.customer_code_right),
        month_idx=ibis.coalesce(j.month_idx, j.month_idx_right),
        **{c: j[c].fill_null(0) for c in zero},
        complaints=ibis.greatest(j.complaints.fill_null(0), j.recorded.fill_null(0)),
        surveys=j.answers.fill_null(0),
        surveys_satisfied=j.satisfied.fill_null(0),
        **{name: j[name] for name in REPORTED.values()},
    )
