"""A campaign's targets and outcomes as a file (issue 23): each customer the user may see with its
group, the outcome the account manager recorded and the reason of a rejection — Excel or CSV, the
campaign written at the top, in the audit log like every export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.exports import CUSTOMER_COLUMNS, customer_rows
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Campaign, CampaignTarget
from zhengqi.web.exports import FORMATS, TableExport, check_size, export_response

from .services import targets_visible_to


def campaign_targets_file(*, request: AuthedRequest, campaign: Campaign, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise ValidationError(gettext("导出格式应为 xlsx 或 csv。"))
    targets = targets_visible_to(request.user, campaign).order_by("group", "customer__code")
    rows = targets.count()
    check_size(rows)
    title = gettext("营销活动：%(name)s") % {"name": campaign.name}
    log_export(by=request.user, what=title + gettext("（目标客户与执行结果）"), fmt=fmt, rows=rows, request=request)
    lines = [title, gettext("活动期 %(a)s 至 %(b)s") % {"a": campaign.start, "b": campaign.end}]
    columns = [*(str(c) for c in CUSTOMER_COLUMNS), gettext("分组"), gettext("执行结果"), gettext("拒绝原因")]
    table = TableExport(gettext("营销活动目标客户"), columns, _rows(targets), lines)
    return export_response(table, fmt, campaign.name + timezone.localdate().strftime("%Y%m%d"))


def _rows(targets: Any) -> Iterator[list[Any]]:
    groups, outcomes = dict(CampaignTarget.Group.choices), dict(CampaignTarget.Outcome.choices)
    extra = {
        customer_id: (group, outcome, reason)
        for customer_id, group, outcome, reason in targets.values_list(
            "customer_id", "group", "outcome", "reject_reason"
        )
    }
    customers = Customer.objects.filter(pk__in=list(extra)).order_by("code")
    ids = list(customers.values_list("pk", flat=True))
    for pk, row in zip(ids, customer_rows(customers), strict=True):
        group, outcome, reason = extra[pk]
        yield [*row, str(groups.get(group, group)), str(outcomes.get(outcome, outcome)), reason]
