"""Satisfaction surveys (F-27) and what the month run reads from this app.

A survey answer is "satisfied or not" (满意率 is what operators report), with an optional 1–5
score. The closing feedback of a service request is one (kind ``request``); deliveries and the
yearly survey are recorded by the account manager (or imported).

For the month run, ``service_month`` gives per customer and month: the complaints recorded here
(one per request of type complaint, by the month it was accepted — an imported ticket and the
request it matches are one record, see ``imports``), and the survey answers (count, satisfied).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, KeyPerson

from .models import RequestType, ServiceRequest, Survey


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    if matrix.role_of(user) not in matrix.STAFF:
        return Survey.objects.none()
    return Survey.objects.filter(customer_scope(user, prefix="customer__")).select_related("customer", "key_person")


@dataclass
class SurveyInput:
    customer_id: int
    kind: str
    satisfied: bool | None
    date: dt.date | None = None
    score: int | None = None
    key_person_id: int | None = None
    note: str = ""


def survey_record(*, by: User, data: SurveyInput) -> Survey:
    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("满意度调查由客户经理或区域经理记录。"))
    customer = Customer.objects.filter(customer_scope(by), pk=data.customer_id).first()
    if customer is None:
        raise Http404(_("客户不存在或无权查看。"))
    errors: dict[str, str] = {}
    if data.kind not in (Survey.Kind.DELIVERY, Survey.Kind.YEARLY):
        errors["kind"] = _("请选择调查类型：交付回访或年度满意度调查（服务回访在关闭服务请求时记录）。")
    if data.satisfied is None:
        errors["satisfied"] = _("请记录客户是否满意。")
    if data.score is not None and not 1 <= data.score <= 5:
        errors["score"] = _("评分应为 1 至 5。")
    day = data.date or timezone.localdate()
    if day > timezone.localdate():
        errors["date"] = _("调查日期不能晚于今天。")
    key_person = None
    if data.key_person_id:
        key_person = KeyPerson.objects.filter(customer=customer, pk=data.key_person_id).first()
        if key_person is None:
            errors["key_person"] = _("受访人不是该客户的关键人。")
    if errors:
        raise ValidationError(errors)
    assert data.satisfied is not None
    return Survey.objects.create(
        customer=customer,
        key_person=key_person,
        kind=data.kind,
        date=day,
        satisfied=data.satisfied,
        score=data.score,
        note=data.note.strip(),
        created_by=by,
    )


def service_month() -> pa.Table:
    """Per customer and month: complaints recorded here, survey answers and satisfied answers
    (lake table ``dim_service_month``, written by the month run's export step)."""
    rows: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0])
    complaints = ServiceRequest.objects.filter(request_type=RequestType.COMPLAINT).values_list(
        "customer__code", "created_at"
    )
    for code, created in complaints:
        day = timezone.localtime(created).date() if timezone.is_aware(created) else created.date()
        rows[(code, day.replace(day=1))][0] += 1
    for code, day, satisfied in Survey.objects.values_list("customer__code", "date", "satisfied"):
        row = rows[(code, day.replace(day=1))]
        row[1] += 1
        row[2] += int(satisfied)
    keys = sorted(rows)
    return pa.table(
        {
            "customer_code": pa.array([k[0] for k in keys], pa.string()),
            "month": pa.array([k[1] for k in keys], pa.date32()),
            "complaints": pa.array([rows[k][0] for k in keys], pa.int64()),
            "surveys": pa.array([rows[k][1] for k in keys], pa.int64()),
            "surveys_satisfied": pa.array([rows[k][2] for k in keys], pa.int64()),
        }
    )
