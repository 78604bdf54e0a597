"""Opportunity identification and development applications (F-09): an account manager finds a
customer worth developing — a prospect (a competitor's customer, a customer with none of our
products) or one the develop-family rules flag — and applies to develop it (客户开发申请) with the
customer's needs, the products and a dated plan; the regional manager over the customer approves or
rejects it with a comment. A rejected application can be submitted again, revised, as a new one that
points to it. An approved application becomes a development plan (开发计划): each step a task of the
account manager's, due on its date, on the workbench.

A plan is written one step a line, the date first: ``2026-12-01 拜访信息中心主任``."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Product
from zhengqi.marketing.models import DevelopmentApplication, Task
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import deciders_over, notify
from zhengqi.scoring.models import Alert, Family
from zhengqi.web.forms import parse_amount

STEP = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s+(.+?)\s*$")
DECIDERS = frozenset({"admin", "city", "district"})


def plan_steps(text: str) -> list[tuple[dt.date, str]]:
    """The plan's steps, in date order. A line that does not read "YYYY-MM-DD what" is refused with
    its number."""
    steps = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = STEP.match(line)
        try:
            day = dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in match.group(1).split("-"))) if match else None
        except ValueError:
            day = None
        if match is None or day is None:
            raise ValidationError(
                {"plan": _("开发计划第 %(n)d 行应为“日期 步骤”，例如“2026-12-01 拜访信息中心主任”。") % {"n": number}}
            )
        steps.append((day, match.group(2)[:200]))
    if not steps:
        raise ValidationError({"plan": _("请至少写一个开发步骤（每行一个：日期 步骤）。")})
    return sorted(steps)


@dataclass(frozen=True)
class Candidate:
    customer: Customer
    why: str


def candidates(user: User, *, limit: int = 200) -> list[Candidate]:
    """Customers worth developing in the user's scope: prospects first (with the competitor that
    serves them), then customers with an open develop-family alert; none with an application pending."""
    pending = DevelopmentApplication.objects.filter(status=DevelopmentApplication.Status.SUBMITTED)
    scope = Customer.objects.filter(customer_scope(user)).exclude(pk__in=pending.values("customer_id"))
    out: list[Candidate] = []
    for c in scope.filter(status=Customer.Status.PROSPECT).select_related("region").order_by("name")[:limit]:
        served = f"（{c.get_competitor_operator_display()}）" if c.competitor_operator else ""
        out.append(Candidate(c, _("潜在客户") + served))
    alerts = (
        Alert.objects.filter(family=Family.DEVELOP, status=Alert.Status.OPEN)
        .filter(customer__in=scope.exclude(status=Customer.Status.PROSPECT))
        .select_related("customer", "customer__region")
        .order_by("customer__name", "rule_code")
    )
    seen = {c.customer.pk for c in out}
    for alert in alerts[: limit * 3]:
        if alert.customer_id not in seen and len(out) < limit * 2:
            seen.add(alert.customer_id)
            out.append(Candidate(alert.customer, alert.rule_name))
    return out


def applications_visible_to(user: User) -> QuerySet[DevelopmentApplication]:
    qs = DevelopmentApplication.objects.select_related("customer", "customer__region", "applicant", "approver")
    role = matrix.role_of(user)
    if role == "am":
        return qs.filter(applicant=user)
    if role in ("admin", "city", "district", "planner"):
        return qs.filter(customer_scope(user, prefix="customer__"))
    return qs.none()


def application_get(*, user: User, pk: int) -> DevelopmentApplication:
    found = applications_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("开发申请不存在或无权查看。"))
    return found


def may_decide(user: User, application: DevelopmentApplication) -> bool:
    return (
        matrix.role_of(user) in DECIDERS
        and application.applicant_id != user.pk
        and Customer.objects.filter(customer_scope(user)).filter(pk=application.customer_id).exists()
    )


@transaction.atomic
def application_submit(
    *,
    by: User,
    customer: Customer,
    needs: str,
    plan: str,
    product_codes: list[str] | None = None,
    expected_revenue: object = 0,
    previous: DevelopmentApplication | None = None,
) -> DevelopmentApplication:
    """An account manager's application to develop a customer of theirs (or of their region, for a
    prospect nobody owns yet). Refused input writes nothing."""
    if matrix.role_of(by) != "am":
        raise PermissionDenied(_("客户开发申请由客户经理提交。"))
    if not Customer.objects.filter(customer_scope(by)).filter(pk=customer.pk).exists():
        raise Http404(_("客户不存在或无权查看。"))
    errors: dict[str, str] = {}
    if not needs.strip():
        errors["needs"] = _("请写明客户的需求和开发理由。")
    try:
        steps = plan_steps(plan)
    except ValidationError as err:
        errors.update({k: v[0] for k, v in err.message_dict.items()})
        steps = []
    products = list(Product.objects.filter(code__in=product_codes or []))
    unknown = sorted(set(product_codes or []) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    try:
        revenue = parse_amount(expected_revenue, "expected_revenue", _("预计月收入"), required=False) or Decimal(0)
    except ValidationError as err:
        errors["expected_revenue"] = err.message_dict["expected_revenue"][0]
        revenue = Decimal(0)
    if previous is not None and (
        previous.customer_id != customer.pk or previous.status != DevelopmentApplication.Status.REJECTED
    ):
        errors["previous"] = _("只能对同一客户被驳回的申请重新申请。")
    if DevelopmentApplication.objects.filter(
        customer=customer, status=DevelopmentApplication.Status.SUBMITTED
    ).exists():
        errors["customer"] = _("该客户已有一份待审批的开发申请。")
    if errors:
        raise ValidationError(errors)
    application = DevelopmentApplication.objects.create(
        customer=customer,
        applicant=by,
        needs=needs.strip(),
        plan="\n".join(f"{d.isoformat()} {t}" for d, t in steps),
        expected_revenue=revenue.quantize(Decimal("0.01")),
        previous=previous,
    )
    application.products.set(products)
    notify(
        set(deciders_over(customer.region)) - {by.pk},
        Kind.APPROVAL_WAITING,
        _("待审批：%(customer)s 的客户开发申请") % {"customer": customer.name},
        body=_("%(who)s 提交：%(needs)s") % {"who": by, "needs": application.needs[:100]},
        link=reverse("marketing:application", args=[application.pk]),
        key=f"development-waiting:{application.pk}",
    )
    return application


@transaction.atomic
def application_decide(
    *, by: User, application: DevelopmentApplication, approve: bool, comment: str = ""
) -> DevelopmentApplication:
    """Approve (the plan's steps become the applicant's tasks) or reject (with a comment)."""
    locked = DevelopmentApplication.objects.select_for_update().get(pk=application.pk)
    if not may_decide(by, locked):
        raise PermissionDenied(_("开发申请由客户所在区域的区域经理审批，申请人不能审批自己的申请。"))
    if locked.status != DevelopmentApplication.Status.SUBMITTED:
        raise ValidationError(_("该申请已审批，不能重复审批。"))
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("驳回时请写明原因，方便客户经理修改后重新申请。")})
    locked.status = DevelopmentApplication.Status.APPROVED if approve else DevelopmentApplication.Status.REJECTED
    locked.approver, locked.decided_at, locked.comment = by, timezone.now(), comment[:500]
    locked.save(update_fields=["status", "approver", "decided_at", "comment"])
    if approve:
        Task.objects.bulk_create(
            Task(
                customer_id=locked.customer_id,
                assignee_id=locked.applicant_id,
                title=_("开发计划：%(step)s") % {"step": title},
                source=Task.Source.APPROVAL,
                development=locked,
                due=day,
                created_by=by,
            )
            for day, title in plan_steps(locked.plan)
        )
    notify(
        [locked.applicant_id],
        Kind.APPROVAL_DECIDED,
        _("您的客户开发申请%(status)s") % {"status": locked.get_status_display()},
        body=locked.comment,
        link=reverse("marketing:application", args=[locked.pk]),
        key=f"development-decided:{locked.pk}",
    )
    application.refresh_from_db()
    return application


def prospect_create(
    *,
    by: User,
    name: str,
    region_code: str = "",
    customer_type: str = "",
    industry: str = "",
    scale: str = "",
    credit_code: str = "",
    competitor_operator: str = "",
    address: str = "",
) -> Customer:
    """A prospect entered by hand (F-09): a customer we do not serve yet, found by an account manager or
    a regional manager; the account manager who enters it owns it. A name that reads the same as a
    customer already on file is refused (it is probably that customer)."""
    from zhengqi.accounts.models import Region
    from zhengqi.customers.services import customer_create, normalise_name

    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("只有客户经理和区域经理可以录入潜在客户。"))
    name = name.strip()
    region = Region.objects.filter(code=region_code).first() if region_code else by.region
    if region is None:
        raise ValidationError({"region": _("请选择客户所属区域。")})
    if name:
        key = normalise_name(name)
        same = next(
            ((n, c) for n, c in Customer.objects.values_list("name", "code").iterator() if normalise_name(n) == key),
            None,
        )
        if same:
            message = _("已有名称相同的客户“%(name)s”（%(code)s）：请直接对其申请开发。")
            raise ValidationError({"name": message % {"name": same[0], "code": same[1]}})
    code = f"P{timezone.now():%Y%m%d}{secrets.token_hex(3).upper()}"
    return customer_create(
        by=by,
        code=code,
        name=name,
        credit_code=credit_code.strip().upper() or None,
        customer_type=customer_type,
        industry=industry,
        scale=scale,
        region=region,
        address=address.strip(),
        status=Customer.Status.PROSPECT,
        competitor_operator=competitor_operator,
        source=Customer.Source.COMPETITOR if competitor_operator else Customer.Source.MANUAL,
    )


def development_steps(application: DevelopmentApplication) -> QuerySet[Task]:
    """The steps (tasks) of a development application's plan, in order."""
    return Task.objects.filter(development=application).order_by("due", "pk")
