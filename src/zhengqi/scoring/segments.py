"""Saved segments (issue 23): a named condition in the rule language that people work as a list —
validated as rules are, owned by a user and shared with a role and/or a region, its members kept for
each month run (``SegmentMember``) so that the list, the export, a campaign's target and the monthly
trend all read the same rows, each user only the customers in their own scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import Region, User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.exports import CUSTOMER_COLUMNS, customer_rows
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import customers_visible_to
from zhengqi.engine.lake import Lake
from zhengqi.engine.rules.language import RuleError, parse
from zhengqi.web.exports import FORMATS, TableExport, check_size, export_response

from .models import MonthRun, Segment, SegmentMember

KEEP_MONTHS = 12  # the trend's length; older members are dropped at each refresh


def segments_visible_to(user: User) -> QuerySet[Segment]:
    """The user's own segments and those shared with them: with their role (or every role) and
    with a region that holds theirs (or the whole province)."""
    shared = Q(shared=True) & (Q(shared_role="") | Q(shared_role=user.role))
    if user.region is not None:
        parts = user.region.path.strip("/").split("/")
        above = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        shared &= Q(shared_region__isnull=True) | Q(shared_region__path__in=above)
    else:
        shared &= Q(shared_region__isnull=True)
    return Segment.objects.filter(Q(owner=user) | shared).select_related("owner", "shared_region")


def segment_get(*, user: User, pk: int) -> Segment:
    found = segments_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("客户细分不存在或无权查看。"))
    return found


def may_edit(user: User, segment: Segment) -> bool:
    return segment.owner_id == user.pk or user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN


def _validated(expression: str) -> str:
    try:
        return parse(expression).text
    except RuleError as err:
        raise ValidationError({"expression": str(err)}) from err


@transaction.atomic
def segment_save(
    *,
    by: User,
    name: str,
    expression: str,
    description: str = "",
    shared: bool = False,
    shared_role: str = "",
    shared_region: Region | None = None,
    segment: Segment | None = None,
) -> Segment:
    """Create or change a segment; its members for the latest month run are computed at once. An
    expression that does not parse saves nothing (the rules page's message)."""
    if segment is not None and not may_edit(by, segment):
        raise PermissionDenied(_("只有创建人或省公司管理员可以修改该客户细分。"))
    if not name.strip():
        raise ValidationError({"name": _("请填写名称。")})
    if shared_role and shared_role not in User.Role.values:
        raise ValidationError({"shared_role": _("共享的角色不存在。")})
    text = _validated(expression)
    segment = segment or Segment(owner=by)
    segment.name, segment.expression, segment.description = name.strip(), text, description.strip()
    segment.shared, segment.shared_role, segment.shared_region = shared, shared_role, shared_region
    segment.full_clean()
    segment.save()
    month = latest_month()
    if month is not None:
        segment_refresh(segment, month)
    return segment


def segment_delete(*, by: User, segment: Segment) -> None:
    if not may_edit(by, segment):
        raise PermissionDenied(_("只有创建人或省公司管理员可以删除该客户细分。"))
    segment.delete()


def latest_month() -> dt.date | None:
    return (
        MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").values_list("month", flat=True)
    ).first()


def segment_refresh(segment: Segment, month: dt.date) -> int:
    """Recompute the segment's members for the month from that month run's results (idempotent)."""
    from .configuration import month_hits

    codes = month_hits(parse(segment.expression), month, Lake(settings.ZHENGQI_LAKE))
    ids = dict(Customer.objects.values_list("code", "pk"))
    SegmentMember.objects.filter(segment=segment, month=month).delete()
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, month=month, customer_id=ids[c]) for c in codes if c in ids], batch_size=5000
    )
    oldest = _months_back(month, KEEP_MONTHS)
    SegmentMember.objects.filter(segment=segment, month__lt=oldest).delete()
    months = {m for m in segment.counted if m >= f"{oldest:%Y-%m}"} | {f"{month:%Y-%m}"}
    segment.counted = sorted(months)
    Segment.objects.filter(pk=segment.pk).update(counted=segment.counted)
    return len(codes)


def segments_refresh(month: dt.date) -> int:
    """Every segment's members for the month (the month run's last step)."""
    segments = list(Segment.objects.all())
    for segment in segments:
        try:
            segment_refresh(segment, month)
        except RuleError:  # a condition naming a feature since removed: its members stay as they were
            continue
    return len(segments)


def _months_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - (n - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def segment_members(*, user: User, segment: Segment, month: dt.date | None = None) -> QuerySet[Customer]:
    """The segment's customers in the month (the latest it was counted for) that the user may see."""
    month = (
        month
        or SegmentMember.objects.filter(segment=segment).order_by("-month").values_list("month", flat=True).first()
    )
    if month is None:  # never counted (no month run yet)
        return customers_visible_to(user).none()
    members = SegmentMember.objects.filter(segment=segment, month=month).values("customer_id")
    return customers_visible_to(user).filter(pk__in=members).order_by("-value_score", "code")


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    count: int


def segment_trend(*, user: User, segment: Segment) -> list[TrendPoint]:
    """Members per month within the user's scope, oldest first (the small chart); a month counted
    with none of them is a 0."""
    rows = (
        SegmentMember.objects.filter(customer_scope(user, prefix="customer__"), segment=segment)
        .values("month")
        .annotate(n=Count("pk"))
    )
    counts = {r["month"]: r["n"] for r in rows}
    months = {dt.date(int(m[:4]), int(m[5:7]), 1) for m in segment.counted} | set(counts)
    return [TrendPoint(m, counts.get(m, 0)) for m in sorted(months)]


def segment_counts(*, user: User, segments: list[Segment]) -> dict[int, int]:
    """Each segment's members in its latest month, within the user's scope (one grouped query)."""
    latest: dict[int, Any] = {}
    for seg_id, month in (
        SegmentMember.objects.filter(segment__in=segments).values_list("segment_id", "month").distinct()
    ):
        latest[seg_id] = max(month, latest.get(seg_id, month))
    if not latest:
        return {}
    cond = Q()
    for seg_id, month in latest.items():
        cond |= Q(segment_id=seg_id, month=month)
    rows = (
        SegmentMember.objects.filter(cond, customer_scope(user, prefix="customer__"))
        .values("segment_id")
        .annotate(n=Count("pk"))
    )
    return {r["segment_id"]: r["n"] for r in rows}


def regions_of_province() -> QuerySet[Region]:
    """Every region, by path: what a segment may be shared with."""
    return Region.objects.order_by("path")


def segment_file(*, request: AuthedRequest, segment: Segment, fmt: str) -> HttpResponseBase:
    """The segment's members the user may see, as Excel or CSV with its name and condition on top (in
    the audit log). ValidationError for a format other than xlsx/csv or a list over the row cap."""
    if fmt not in FORMATS:
        raise ValidationError(gettext("导出格式应为 xlsx 或 csv。"))
    members = segment_members(user=request.user, segment=segment)
    rows = members.count()
    check_size(rows)
    log_export(
        by=request.user,
        what=gettext("客户细分：%(name)s") % {"name": segment.name},
        fmt=fmt,
        rows=rows,
        request=request,
    )
    lines = [gettext("客户细分：%(name)s") % {"name": segment.name}, gettext("条件：%(e)s") % {"e": segment.expression}]
    table = TableExport(gettext("客户细分成员"), [str(c) for c in CUSTOMER_COLUMNS], customer_rows(members), lines)
    return export_response(table, fmt, segment.name + timezone.localdate().strftime("%Y%m%d"))
