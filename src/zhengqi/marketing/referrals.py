"""All-staff referrals (全员营销, seed 003 “全员营销”, seed 004 全员集团客户经理): any employee passes on a lead.

Anyone with a login — account managers, managers, planners, support departments, partners — refers
an organisation with its need and a contact from a short form. It is routed at once: to the account
manager of the group customer it already is (matched by credit code, else by exact name), else to
the regional manager nearest above the region named, else to the provincial admins' first. The one it
is routed to (or a manager over its region) follows it and records won — with the deal's monthly
revenue — or lost. A won referral earns its referrer a reward by the version of the reward rule in
force in the month it was won (a fixed amount plus a share of the monthly revenue, capped).

Who sees a referral: its referrer, whom it is routed to, the regional managers over its region and
the provincial admin. The contact's phone is shown whole only to the referrer and the one following
it; everyone else sees it masked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope, manages_region, nearest_manager, sees_whole_province
from zhengqi.accounts.models import Region, User
from zhengqi.accounts.privacy import mask_phone
from zhengqi.customers.models import Customer, Product
from zhengqi.customers.validators import normalize_phone, validate_phone
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify
from zhengqi.web.forms import bound_of, parse_amount, parse_rate

from .models import Referral, ReferralRewardRule

CENT = Decimal("0.01")
RULE_FIXED = ReferralRewardRule._meta.get_field("fixed")  # the fixed reward and the cap share its size


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("referrer", "routed_to", "region", "customer")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if sees_whole_province(user):
        return qs
    mine = Q(referrer=user) | Q(routed_to=user)
    if user.role == User.Role.REGIONAL_MANAGER and user.region is not None:
        mine |= Q(region__path__startswith=user.region.path)
    return qs.filter(mine)


def referral_get(*, user: User, pk: int) -> Referral:
    found = referrals_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("推荐不存在或无权查看。"))
    return found


def phone_for(user: User, referral: Referral) -> str:
    if user.pk in (referral.referrer_id, referral.routed_to_id):
        return referral.contact_phone
    return mask_phone(referral.contact_phone)


def customer_visible(user: User, referral: Referral) -> bool:
    """Whether the user may open the group customer the lead already is."""
    return referral.customer_id is not None and (
        Customer.objects.filter(customer_scope(user), pk=referral.customer_id).exists()
    )


def regions_to_pick() -> QuerySet[Region]:
    return Region.objects.order_by("path")


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def reward_rules() -> QuerySet[ReferralRewardRule]:
    return ReferralRewardRule.objects.all()


def may_follow(user: User, referral: Referral) -> bool:
    return user.pk == referral.routed_to_id or manages_region(user, referral.region)


def route(*, organisation: str, credit_code: str, region: Region) -> tuple[Customer | None, User]:
    """The group customer the lead already is (if any) and who follows it."""
    customer = None
    if credit_code:
        customer = Customer.objects.filter(credit_code=credit_code).select_related("account_manager", "region").first()
    if customer is None:
        customer = Customer.objects.filter(name=organisation).select_related("account_manager", "region").first()
    if customer is not None and customer.account_manager is not None and customer.account_manager.is_active:
        return customer, customer.account_manager
    manager = nearest_manager(customer.region if customer is not None and customer.region_id else region)
    if manager is not None:
        return customer, manager
    admin = User.objects.filter(is_active=True, role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    if admin is None:
        raise ValidationError(_("系统中没有可接收推荐的区域经理或管理员，请联系省公司管理员。"))
    return customer, admin


@dataclass
class ReferralInput:
    organisation: str
    region_id: int | None
    need: str
    contact_name: str
    contact_phone: str
    credit_code: str = ""
    product_codes: list[str] = field(default_factory=list)


def referral_create(*, by: User, data: ReferralInput, now: dt.datetime | None = None) -> Referral:
    """Record a lead and route it; the one it goes to is told at once."""
    if not by.is_authenticated or not by.is_active:
        raise PermissionDenied(_("请先登录。"))
    errors: dict[str, str] = {}
    organisation = data.organisation.strip()
    if not organisation:
        errors["organisation"] = _("请填写单位名称。")
    elif len(organisation) > 100:
        errors["organisation"] = _("单位名称不能超过 100 个字。")
    region = Region.objects.filter(pk=data.region_id or 0).first()
    if region is None:
        errors["region"] = _("请选择单位所在的区域。")
    need = data.need.strip()
    if not need:
        errors["need"] = _("请写明单位的需求，例如“新办公楼需要 50 条宽带”。")
    elif len(need) > 1000:
        errors["need"] = _("需求不能超过 1000 个字。")
    contact = data.contact_name.strip()
    if not contact:
        errors["contact_name"] = _("请填写联系人。")
    elif len(contact) > 50:
        errors["contact_name"] = _("联系人不能超过 50 个字。")
    phone = normalize_phone(data.contact_phone)
    try:
        validate_phone(phone)
    except ValidationError:
        errors["contact_phone"] = _("请填写正确的手机号或带区号的固定电话。")
    code = (data.credit_code or "").strip().upper()
    if code and len(code) != 18:
        errors["credit_code"] = _("统一社会信用代码是 18 位；不知道可以不填。")
    products = list(Product.objects.filter(code__in=data.product_codes))
    if unknown := sorted(set(data.product_codes) - {p.code for p in products}):
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    if errors:
        raise ValidationError(errors)
    assert region is not None
    customer, follower = route(organisation=organisation, credit_code=code, region=region)
    with transaction.atomic():
        made = Referral.objects.create(
            referrer=by,
            organisation=organisation,
            credit_code=code,
            region=region,
            need=need,
            contact_name=contact,
            contact_phone=phone,
            customer=customer,
            routed_to=follower,
            created_at=now or timezone.now(),
        )
        made.products.set(products)
        notify(
            [follower] if follower.pk != by.pk else [],
            Kind.REFERRAL,
            _("新推荐 %(n)s：%(org)s") % {"n": made.number, "org": organisation},
            body=_("%(who)s 推荐：%(need)s") % {"who": by, "need": need[:100]},
            link=reverse("marketing:referral", args=[made.pk]),
            key=f"referral:{made.pk}",
        )
    return made


def _revenue(raw: str | Decimal | None) -> Decimal | None:
    return parse_amount(
        raw, "won_revenue", _("成交月收入"), required=False, high=bound_of(Referral._meta.get_field("won_revenue"))
    )


@transaction.atomic
def referral_progress(
    *,
    by: User,
    referral: Referral,
    status: str,
    note: str = "",
    won_revenue: str | Decimal | None = None,
    now: dt.datetime | None = None,
) -> Referral:
    """Move a referral on: following, won (with the monthly revenue) or lost (with why)."""
    if not may_follow(by, referral):
        raise PermissionDenied(_("推荐由跟进人或所在区域的区域经理处理。"))
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    allowed = {
        Referral.Status.NEW: {Referral.Status.FOLLOWING, Referral.Status.WON, Referral.Status.LOST},
        Referral.Status.FOLLOWING: {Referral.Status.WON, Referral.Status.LOST},
    }.get(Referral.Status(locked.status), set())
    if status not in Referral.Status.values:
        raise ValidationError({"status": _("请选择：跟进中、已成交或未成交。")})
    if status not in allowed:
        raise ValidationError(
            _("推荐已是“%(now)s”，不能改为“%(to)s”。")
            % {"now": locked.get_status_display(), "to": Referral.Status(status).label}
        )
    text = note.strip()
    if status == Referral.Status.LOST and not text:
        raise ValidationError({"note": _("请写明未成交的原因。")})
    revenue = _revenue(won_revenue)
    if status == Referral.Status.WON and revenue is None:
        raise ValidationError({"won_revenue": _("请填写成交的月收入（元），奖励按它计算。")})
    locked.status = status
    if text:
        locked.outcome_note = text
    if status in (Referral.Status.WON, Referral.Status.LOST):
        locked.decided_at = now or timezone.now()
        locked.won_revenue = revenue if status == Referral.Status.WON else None
    locked.save(update_fields=["status", "outcome_note", "decided_at", "won_revenue"])
    if status in (Referral.Status.WON, Referral.Status.LOST) and locked.referrer_id != by.pk:
        notify(
            [locked.referrer_id],
            Kind.REFERRAL,
            _("您的推荐 %(n)s %(org)s：%(s)s")
            % {"n": locked.number, "org": locked.organisation, "s": locked.get_status_display()},
            body=text,
            link=reverse("marketing:referral", args=[locked.pk]),
            key=f"referral-decided:{locked.pk}",
        )
    return locked


# --- rewards --------------------------------------------------------------------------------------------


def rule_in_force(month: dt.date, rules: list[ReferralRewardRule] | None = None) -> ReferralRewardRule | None:
    rules = rules if rules is not None else list(ReferralRewardRule.objects.all())
    current = [r for r in rules if r.effective_from <= month.replace(day=1)]
    return max(current, key=lambda r: (r.effective_from, r.version), default=None)


def reward_of(referral: Referral, rule: ReferralRewardRule | None) -> Decimal:
    if rule is None or referral.status != Referral.Status.WON:
        return Decimal("0.00")
    amount = rule.fixed + rule.rate * (referral.won_revenue or Decimal("0"))
    if rule.cap is not None:
        amount = min(amount, rule.cap)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class RewardLine:
    referral: Referral
    rule: ReferralRewardRule | None
    amount: Decimal


@dataclass
class ReferrerRewards:
    referrer: User
    lines: list[RewardLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def rewards(*, user: User, month: dt.date) -> list[ReferrerRewards]:
    """The rewards of the referrals won in ``month`` that the user may see, by referrer (largest first)."""
    start = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))
    end = timezone.make_aware(
        dt.datetime.combine((month.replace(day=1) + dt.timedelta(days=32)).replace(day=1), dt.time.min)
    )
    won = referrals_visible_to(user).filter(status=Referral.Status.WON, decided_at__gte=start, decided_at__lt=end)
    rules = list(ReferralRewardRule.objects.all())
    by_referrer: dict[int, ReferrerRewards] = {}
    grouped: dict[int, list[RewardLine]] = defaultdict(list)
    for r in won.order_by("decided_at", "pk"):
        rule = rule_in_force(timezone.localtime(r.decided_at).date() if r.decided_at else month, rules)
        grouped[r.referrer_id].append(RewardLine(r, rule, reward_of(r, rule)))
        by_referrer.setdefault(r.referrer_id, ReferrerRewards(r.referrer, grouped[r.referrer_id]))
    return sorted(by_referrer.values(), key=lambda x: (-x.total, x.referrer.username))


@transaction.atomic
def reward_rule_add(
    *, by: User, effective_from: dt.date, fixed: str, rate: str, cap: str = "", note: str = ""
) -> ReferralRewardRule:
    """A new version of the reward rule from a month on (only the provincial admin)."""
    if not sees_whole_province(by):
        raise PermissionDenied(_("推荐奖励规则由省公司管理员设定。"))
    fixed_v = parse_amount(fixed, "fixed", _("固定奖励"), required=False, high=bound_of(RULE_FIXED)) or Decimal(0)
    rate_v = parse_rate(rate, "rate", _("提成比例"), required=False) or Decimal(0)
    cap_v = parse_amount(cap, "cap", _("封顶"), required=False, high=bound_of(RULE_FIXED))
    if fixed_v == 0 and rate_v == 0:
        raise ValidationError({"fixed": _("固定奖励和提成比例至少填一项。")})
    version = (ReferralRewardRule.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0) + 1
    return ReferralRewardRule.objects.create(
        version=version,
        effective_from=effective_from.replace(day=1),
        fixed=fixed_v,
        rate=rate_v.quantize(Decimal("0.0001")),
        cap=cap_v,
        note=note.strip()[:200],
        created_by=by,
    )
