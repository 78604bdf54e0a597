"""The customer list as rows of an export file (the customer list, a segment's members, a campaign's
targets): the same columns everywhere, codes shown by their names, read in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Customer

CUSTOMER_COLUMNS = [
    _("客户编码"),
    _("客户名称"),
    _("统一社会信用代码"),
    _("客户类型"),
    _("行业"),
    _("规模"),
    _("区域"),
    _("价值等级"),
    _("价值得分"),
    _("状态"),
    _("客户经理"),
]


def customer_rows(qs: QuerySet[Customer]) -> Iterator[list[Any]]:
    """The list's customers as export rows (codes shown by their names), read in chunks."""
    names = {
        "customer_type": dict(Customer.Type.choices),
        "industry": dict(Customer._meta.get_field("industry").choices or []),
        "scale": dict(Customer._meta.get_field("scale").choices or []),
        "status": dict(Customer.Status.choices),
    }
    rows = qs.values_list(
        "code",
        "name",
        "credit_code",
        "customer_type",
        "industry",
        "scale",
        "region__name",
        "tier",
        "value_score",
        "status",
        "account_manager__display_name",
    )
    for code, name, credit, kind, industry, scale, region, tier, score, status, manager in rows.iterator(2000):
        yield [
            code,
            name,
            credit or "",
            str(names["customer_type"].get(kind, kind)),
            str(names["industry"].get(industry, industry)),
            str(names["scale"].get(scale, scale)),
            region,
            tier,
            float(score) if score is not None else None,
            str(names["status"].get(status, status)),
            manager or "",
        ]
