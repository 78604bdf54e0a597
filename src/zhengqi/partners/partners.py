"""Partners and the deals attributed to them: who sees which, claims, conflicts and decisions.

Who sees what (the pages, the API and the files all go through these functions):

| user                         | partners                                  | deals (attributions)               |
| ---------------------------- | ----------------------------------------- | ---------------------------------- |
| provincial admin             | all                                       | all                                |
| staff of a region            | those working in or over their region      | of customers they may see          |
| a partner's login            | its own partner                           | its own partner's deals            |
| department user              | none                                      | none                               |

A deal one partner claims is in force at once. When a second partner claims the same deal in the
same role, both claims are *disputed* (neither pays) until a regional manager of the customer's
region (or the provincial admin) confirms one; the others are rejected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import NOTHING, customer_scope, sees_whole_province
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer, Product, Subscription
from zhengqi.marketing.models import WON_STAGES, Opportunity
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import deciders_over, notify
from zhengqi.support.models import ServiceRequest

from .models import Attribution, Partner, PartnerAccount, Role

LIVE = (Attribution.Status.CONFIRMED, Attribution.Status.DISPUTED)


def partner_of(user: User) -> Partner | None:
    """The partner a partner's login works for (None for staff, or a login not linked yet)."""
    if user.role != User.Role.PARTNER:
        return None
    account = PartnerAccount.objects.filter(user=user).select_related("partner").first()
    return account.partner if account else None


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: k + 1]) + "/" for k in range(len(parts))]


def partner_scope(user: User) -> Q:
    """A filter on partners: all for the province; those whose region is in or over the user's
    region for regional staff; its own for a partner's login."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if sees_whole_province(user):
        return Q()
    if user.role == User.Role.PARTNER:
        partner = partner_of(user)
        return Q(pk=partner.pk) if partner else NOTHING
    if user.role == User.Role.DEPARTMENT or user.region is None:
        return NOTHING
    path = user.region.path
    return Q(region__path__startswith=path) | Q(region__path__in=_ancestor_paths(path))


def partners_visible_to(user: User) -> QuerySet[Partner]:
    return Partner.objects.filter(partner_scope(user)).select_related("region")


def partner_get(*, user: User, pk: int) -> Partner:
    found = partners_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("代理商不存在或无权查看。"))
    return found


def deals_visible_to(user: User) -> QuerySet[Attribution]:
    """Attributions a user may see: a partner's login its own; staff those of their customers."""
    qs = Attribution.objects.select_related(
        "partner", "customer", "customer__region", "subscription__product", "opportunity", "service_request"
    )
    if user.role == User.Role.PARTNER and not sees_whole_province(user):
        partner = partner_of(user)
        return qs.filter(partner=partner) if partner else qs.none()
    return qs.filter(customer_scope(user, prefix="customer__"))


def deal_get(*, user: User, pk: int) -> Attribution:
    found = deals_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("业务归属不存在或无权查看。"))
    return found


# --- partners ---------------------------------------------------------------------------------------


@dataclass
class PartnerInput:
    code: str
    name: str
    region_code: str
    contract_start: dt.date | None
    contract_end: dt.date | None
    is_marketing: bool = False
    is_service: bool = False
    is_solution: bool = False
    credit_code: str = ""
    qualifications: str = ""
    product_codes: list[str] = field(default_factory=list)
    contact_name: str = ""
    contact_phone: str = ""
    active: bool = True


def partner_save(*, by: User, data: PartnerInput, partner: Partner | None = None) -> Partner:
    """Create a partner or change one (provincial admin only)."""
    if matrix.role_of(by) != "admin":
        raise PermissionDenied(_("只有省公司管理员可以维护代理商。"))
    errors: dict[str, str] = {}
    code, name = data.code.strip(), data.name.strip()
    if not code:
        errors["code"] = _("请填写代理商编码。")
    elif Partner.objects.filter(code=code).exclude(pk=partner.pk if partner else 0).exists():
        errors["code"] = _("代理商编码“%(code)s”已被使用。") % {"code": code}
    if not name:
        errors["name"] = _("请填写代理商名称。")
    region = Region.objects.filter(code=data.region_code).first()
    if region is None:
        errors["region"] = _("区域“%(code)s”不存在。") % {"code": data.region_code}
    if data.contract_start is None:
        errors["contract_start"] = _("请填写合作协议开始日期。")
    if data.contract_end is None:
        errors["contract_end"] = _("请填写合作协议结束日期。")
    elif data.contract_start and data.contract_end < data.contract_start:
        errors["contract_end"] = _("合作协议结束日期不能早于开始日期。")
    if not (data.is_marketing or data.is_service or data.is_solution):
        errors["kinds"] = _("请至少选择一种代理商类型。")
    products = list(Product.objects.filter(code__in=data.product_codes))
    unknown = sorted(set(data.product_codes) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s") % {"codes": "、".join(unknown)}
    if errors:
        raise ValidationError(errors)
    assert region is not None and data.contract_start and data.contract_end
    with transaction.atomic():
        p = partner or Partner()
        p.code, p.name, p.region = code, name, region
        p.credit_code = data.credit_code.strip().upper()
        p.is_marketing, p.is_service, p.is_solution = data.is_marketing, data.is_service, data.is_solution
        p.qualifications = data.qualifications.strip()
        p.contract_start, p.contract_end = data.contract_start, data.contract_end
        p.contact_name, p.contact_phone = data.contact_name.strip(), data.contact_phone.strip()
        p.active = data.active
        p.save()
        p.products.set(products)
    return p


# --- attribution ------------------------------------------------------------------------------------


Deal = Subscription | Opportunity | ServiceRequest


def _deal_facts(deal: Deal) -> tuple[dt.date, set[int]]:
    """The date a claim is checked against the partner's contract, and the products it is for."""
    if isinstance(deal, Subscription):
        return deal.start, {deal.product_id}
    if isinstance(deal, ServiceRequest):
        done = deal.resolved_at or deal.created_at
        return timezone.localdate(done), set()
    return deal.close_date, set(deal.products.values_list("pk", flat=True))


def attribute(
    *,
    by: User,
    partner_id: int,
    role: str,
    subscription_id: int | None = None,
    opportunity_id: int | None = None,
    service_request_id: int | None = None,
    note: str = "",
    source: str = Attribution.Source.MANUAL,
) -> Attribution:
    """Claim a deal of a customer the user may see for a partner: a subscription, a won opportunity
    or a resolved service ticket (service commission only). A second partner's claim on the same
    deal and role puts both in dispute for the regional manager to decide."""
    if role not in Role.values:
        raise ValidationError({"role": _("酬金类型应为“销售”或“服务”。")})
    if sum(x is not None for x in (subscription_id, opportunity_id, service_request_id)) != 1:
        raise ValidationError(_("请选择一项产品订购、一个商机或一张服务工单（只选一项）。"))
    scope = customer_scope(by, prefix="customer__")
    with transaction.atomic():
        deal: Deal | None
        if subscription_id is not None:
            deal = (
                Subscription.objects.select_for_update()
                .filter(scope, pk=subscription_id)
                .select_related("product", "customer")
                .first()
            )
        elif service_request_id is not None:
            deal = ServiceRequest.objects.select_for_update().filter(scope, pk=service_request_id).first()
        else:
            deal = Opportunity.objects.select_for_update().filter(scope, pk=opportunity_id or 0).first()
        if deal is None:
            raise Http404(_("业务不存在或无权查看。"))
        partner = Partner.objects.filter(pk=partner_id).first()
        if partner is None or not partners_visible_to(by).filter(pk=partner_id).exists():
            raise ValidationError({"partner": _("代理商不存在或不在您的区域合作。")})
        start, product_ids = _deal_facts(deal)
        errors = []
        if not partner.active:
            errors.append(_("代理商“%(p)s”已停止合作。") % {"p": partner})
        if not partner.may_earn(role):
            errors.append(
                _("代理商“%(p)s”不是%(kind)s，不能获得%(role)s酬金。")
                % {
                    "p": partner,
                    "kind": _("营销代理商或解决方案提供商") if role == Role.SALES else _("服务代理商或解决方案提供商"),
                    "role": Role(role).label,
                }
            )
        if not partner.contracted_on(start):
            errors.append(
                _("业务日期 %(d)s 不在代理商合作协议期（%(a)s 至 %(b)s）内。")
                % {"d": start, "a": partner.contract_start, "b": partner.contract_end}
            )
        if isinstance(deal, ServiceRequest):
            if role != Role.SERVICE:
                errors.append(_("服务工单只能按服务酬金归属。"))
            if deal.status == ServiceRequest.Status.OPEN:
                errors.append(_("工单尚未办结，办结后才能登记代理商归属。"))
        elif not product_ids:
            errors.append(_("该商机尚未填写产品，请先补充产品再登记归属。"))
        elif not product_ids & set(partner.products.values_list("pk", flat=True)):
            names = "、".join(Product.objects.filter(pk__in=product_ids).values_list("name", flat=True))
            errors.append(_("代理商“%(p)s”未获授权代理：%(names)s。") % {"p": partner, "names": names})
        if isinstance(deal, Opportunity) and deal.stage not in WON_STAGES:
            errors.append(_("商机尚未签约，签约后才能登记代理商归属。"))
        if errors:
            raise ValidationError(errors)
        same = (
            {"subscription_id": subscription_id}
            if subscription_id
            else {"service_request_id": service_request_id}
            if service_request_id
            else {"opportunity_id": opportunity_id}
        )
        mine = Attribution.objects.filter(partner=partner, role=role, **same).first()
        if mine is not None and mine.status in LIVE:
            raise ValidationError(_("该业务已登记归属于“%(p)s”。") % {"p": partner})
        if mine is not None and mine.status == Attribution.Status.REJECTED:
            raise ValidationError(_("“%(p)s”对该业务的归属已被裁决驳回。") % {"p": partner})
        rivals = Attribution.objects.filter(role=role, status__in=LIVE, **same).exclude(partner=partner)
        status = Attribution.Status.DISPUTED if rivals.exists() else Attribution.Status.CONFIRMED
        rivals.update(status=Attribution.Status.DISPUTED)
        customer: Customer = deal.customer
        if mine is None:
            mine = Attribution(partner=partner, role=role, customer=customer, **same)
        mine.status, mine.source, mine.note = status, source, note.strip()[:200]
        mine.claimed_by = by if by.pk else None
        mine.decided_by, mine.decided_at, mine.decision_note = None, None, ""
        mine.save()
        if status == Attribution.Status.DISPUTED:
            notify(
                set(deciders_over(customer.region)) - {by.pk},
                Kind.APPROVAL_WAITING,
                _("归属争议待裁决：%(customer)s 的业务有多家代理商登记") % {"customer": customer.name},
                body=_("%(p)s 与已登记的代理商争议同一笔业务。") % {"p": partner},
                link=reverse("partners:conflicts"),
                key=f"conflict:{mine.pk}",
            )
    return mine


def conflicts_visible_to(user: User) -> QuerySet[Attribution]:
    """Disputed claims on customers the user may see, grouped by deal in the order shown."""
    return (
        deals_visible_to(user)
        .filter(status=Attribution.Status.DISPUTED)
        .order_by("subscription_id", "opportunity_id", "service_request_id", "role", "pk")
    )


def _rivals_of(a: Attribution) -> QuerySet[Attribution]:
    return Attribution.objects.filter(role=a.role, **a.deal_key).exclude(pk=a.pk)


def decide(*, by: User, pk: int, note: str = "") -> Attribution:
    """Confirm one of the disputed claims on a deal; the others are rejected."""
    if matrix.role_of(by) not in matrix.MANAGERS:
        raise PermissionDenied(_("归属争议由客户所在区域的区域经理裁决。"))
    with transaction.atomic():
        winner = deals_visible_to(by).select_for_update(of=("self",)).filter(pk=pk).first()
        if winner is None:
            raise Http404(_("业务归属不存在或无权查看。"))
        if winner.status != Attribution.Status.DISPUTED:
            raise ValidationError(_("该归属不在争议中（当前：%(s)s），无需裁决。") % {"s": winner.get_status_display()})
        now = timezone.now()
        losers = _rivals_of(winner).filter(status__in=LIVE)
        losers.update(
            status=Attribution.Status.REJECTED,
            decided_by=by,
            decided_at=now,
            decision_note=(note.strip() or _("裁决归属于“%(p)s”") % {"p": winner.partner})[:200],
        )
        winner.status, winner.decided_by, winner.decided_at = Attribution.Status.CONFIRMED, by, now
        winner.decision_note = note.strip()[:200]
        winner.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return winner


def withdraw(*, by: User, pk: int) -> Attribution:
    """Take back a claim made in error. If one disputed claim is left, it is in force again."""
    with transaction.atomic():
        found = deals_visible_to(by).select_for_update(of=("self",)).filter(pk=pk).first()
        if found is None or matrix.role_of(by) not in matrix.WORKERS:
            raise Http404(_("业务归属不存在或无权查看。"))
        if found.status not in LIVE:
            raise ValidationError(_("该归属已是“%(s)s”状态。") % {"s": found.get_status_display()})
        found.status = Attribution.Status.WITHDRAWN
        found.decided_by, found.decided_at = by, timezone.now()
        found.save(update_fields=["status", "decided_by", "decided_at"])
        left = list(_rivals_of(found).filter(status__in=LIVE))
        if len(left) == 1 and left[0].status == Attribution.Status.DISPUTED:
            left[0].status = Attribution.Status.CONFIRMED
            left[0].save(update_fields=["status"])
    return found


@dataclass(frozen=True)
class DealOptions:
    subscriptions: list[Subscription]
    opportunities: list[Opportunity]
    tickets: list[ServiceRequest]


def deal_options(*, user: User, customer: Customer) -> DealOptions:
    """The subscriptions, won opportunities and resolved service tickets of a customer a claim can
    be made on."""
    return DealOptions(
        subscriptions=list(Subscription.objects.filter(customer=customer).select_related("product").order_by("-start")),
        opportunities=list(Opportunity.objects.filter(customer=customer, stage__in=WON_STAGES).order_by("-close_date")),
        tickets=list(
            ServiceRequest.objects.filter(customer=customer)
            .exclude(status=ServiceRequest.Status.OPEN)
            .order_by("-resolved_at")[:50]
        ),
    )


def partners_for(user: User, customer: Customer) -> QuerySet[Partner]:
    """Active partners working in or over the customer's region, for the claim form."""
    path = customer.region.path
    return (
        partners_visible_to(user)
        .filter(active=True)
        .filter(Q(region__path__startswith=path) | Q(region__path__in=_ancestor_paths(path)))
    )
