"""The opportunity pipeline (F-10): opportunities move through the stages of the closed loop (需求发现
→ 需求确认 → 方案制定 → 商务谈判 → 签约 → 开通/交付 → 售后) or are lost with a reason; the admin sets
each stage's probability; the forecast weighs each open opportunity's expected monthly revenue by its
stage's probability, by region and close month; a won opportunity can become a project (立项 → 施工 →
测试 → 验收) with a team.

Saves are compare-and-set on ``version``: of two people editing one opportunity, the second save is
refused (``StaleEdit``) and nothing is overwritten. Stage changes are kept by django-auditlog."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer, Product
from zhengqi.engine.months import add_months
from zhengqi.marketing.models import DEFAULT_PROBABILITY, WON_STAGES, Opportunity, Project, Stage, StageProbability
from zhengqi.web.forms import StaleEdit, parse_amount, parse_rate

OPEN_STAGES = [s for s in Stage if s not in WON_STAGES and s != Stage.LOST]


def probabilities() -> dict[str, Decimal]:
    """Each stage's probability: the admin's setting, else the default."""
    found = dict(StageProbability.objects.values_list("stage", "probability"))
    return {s.value: found.get(s.value, DEFAULT_PROBABILITY[s]) for s in Stage}


def probabilities_save(*, by: User, values: dict[str, Any]) -> dict[str, Decimal]:
    if matrix.role_of(by) != "admin":
        raise PermissionDenied(_("只有省公司管理员可以设置阶段赢单概率。"))
    parsed: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for stage, raw in values.items():
        if stage not in Stage.values:
            errors[stage] = _("阶段“%(s)s”不存在。") % {"s": stage}
            continue
        try:
            p = parse_rate(raw, stage, _("“%(s)s”的概率") % {"s": Stage(stage).label})  # "60" means 60 %
        except ValidationError as err:
            errors[stage] = err.message_dict[stage][0]
            continue
        assert p is not None
        parsed[stage] = p.quantize(Decimal("0.001"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for stage, p in parsed.items():
            StageProbability.objects.update_or_create(stage=stage, defaults={"probability": p})
    return probabilities()


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(customer_scope(user, prefix="customer__")).select_related(
        "customer", "customer__region", "owner"
    )


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    found = opportunities_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("商机不存在或无权查看。"))
    return found


@dataclass
class OpportunityInput:
    name: str
    close_date: dt.date | None
    expected_revenue: Any = 0
    stage: str = Stage.DISCOVERY
    product_codes: list[str] = field(default_factory=list)
    lost_reason: str = ""
    version: int | None = None


def _validated(data: OpportunityInput) -> tuple[dict[str, Any], list[Product]]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写商机名称。")
    elif len(name) > 100:
        errors["name"] = _("商机名称不能超过 100 个字。")
    if data.close_date is None:
        errors["close_date"] = _("请填写预计签约日期。")
    if data.stage not in Stage.values:
        errors["stage"] = _("阶段应为：%(stages)s。") % {"stages": "、".join(str(s.label) for s in Stage)}
    reason = data.lost_reason.strip()
    if data.stage == Stage.LOST and not reason:
        errors["lost_reason"] = _("丢单时请填写原因。")
    try:
        revenue = parse_amount(data.expected_revenue, "expected_revenue", _("预计月收入"), required=False) or Decimal(0)
    except ValidationError as err:
        errors["expected_revenue"] = err.message_dict["expected_revenue"][0]
        revenue = Decimal(0)
    products = list(Product.objects.filter(code__in=data.product_codes))
    unknown = sorted(set(data.product_codes) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    if errors:
        raise ValidationError(errors)
    fields = {
        "name": name,
        "close_date": data.close_date,
        "expected_revenue": revenue.quantize(Decimal("0.01")),
        "stage": data.stage,
        "lost_reason": reason[:200] if data.stage == Stage.LOST else "",
    }
    return fields, products


def may_sell(user: User) -> bool:
    return matrix.role_of(user) in matrix.WORKERS


@transaction.atomic
def opportunity_create(*, by: User, customer: Customer, data: OpportunityInput, **links: Any) -> Opportunity:
    if not may_sell(by):
        raise PermissionDenied(_("只有客户经理和区域经理可以登记商机。"))
    if not Customer.objects.filter(customer_scope(by)).filter(pk=customer.pk).exists():
        raise Http404(_("客户不存在或无权查看。"))
    fields, products = _validated(data)
    owner = customer.account_manager if matrix.role_of(by) != "am" and customer.account_manager else by
    opportunity = Opportunity.objects.create(customer=customer, owner=owner, **fields, **links)
    opportunity.products.set(products)
    _when_won(opportunity, by, products)
    return opportunity


@transaction.atomic
def opportunity_update(*, by: User, opportunity: Opportunity, data: OpportunityInput) -> Opportunity:
    """Save the editor's changes if nobody saved since they opened it (``data.version``)."""
    if not may_sell(by):
        raise PermissionDenied(_("只有客户经理和区域经理可以修改商机。"))
    fields, products = _validated(data)
    seen = data.version if data.version is not None else opportunity.version
    # The row is locked while its version is compared, so two saves cannot both pass; saved through
    # save() (not QuerySet.update()) so that django-auditlog keeps the change.
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.version != seen:
        raise StaleEdit(_("商机已被他人修改：您的修改没有保存。请刷新页面，在最新内容上重新修改。"))
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.version = seen + 1
    locked.save()
    locked.products.set(products)
    _when_won(locked, by, products)
    opportunity.refresh_from_db()
    return opportunity


def _when_won(opportunity: Opportunity, by: User, products: list[Product]) -> None:
    """A won opportunity brings a prospect into service and its products in as pending subscriptions."""
    from zhengqi.customers.lifecycle import customer_won

    if opportunity.stage in WON_STAGES:
        customer_won(
            customer=opportunity.customer,
            by=by,
            owner=opportunity.owner,
            opportunity_ref=str(opportunity.pk),
            products=products,
        )


# --- forecast -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastCell:
    region: str
    month: dt.date
    weighted: Decimal  # Σ expected monthly revenue × stage probability
    count: int


def forecast(
    user: User, *, months: int = 6, today: dt.date | None = None
) -> tuple[list[dt.date], dict[str, dict[dt.date, ForecastCell]]]:
    """Weighted expected monthly revenue of the user's open opportunities by region (city of the
    customer, or the customer's own region below a city manager) and close month, from this month on."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    horizon = [add_months(first, i) for i in range(months)]
    p = probabilities()
    cells: dict[str, dict[dt.date, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    qs = opportunities_visible_to(user).filter(stage__in=OPEN_STAGES, close_date__gte=first)
    level = _grouping_level(user)
    for revenue, stage, close, path in qs.values_list(
        "expected_revenue", "stage", "close_date", "customer__region__path"
    ).order_by():
        month = close.replace(day=1)
        if month in horizon:
            codes = path.strip("/").split("/")
            cells[codes[min(level, len(codes)) - 1]][month].append(revenue * p[stage])
    names = dict(Region.objects.filter(code__in=list(cells)).values_list("code", "name"))
    out = {}
    for code, by in sorted(cells.items()):
        name = names.get(code, code)
        out[name] = {
            m: ForecastCell(name, m, sum(v, Decimal(0)).quantize(Decimal("0.01")), len(v)) for m, v in by.items()
        }
    return horizon, out


def _grouping_level(user: User) -> int:
    """How deep in the region path to group: cities for the province, districts for a city."""
    depth = len(user.region.path.strip("/").split("/")) if user.region else 1
    return depth + 1


# --- projects -------------------------------------------------------------------------------------


@transaction.atomic
def project_start(
    *, by: User, opportunity: Opportunity, started: dt.date, planned_end: dt.date, team: list[User]
) -> Project:
    if not may_sell(by):
        raise PermissionDenied(_("只有客户经理和区域经理可以立项。"))
    if opportunity.stage not in WON_STAGES:
        raise ValidationError(_("签约后才能立项。"))
    if hasattr(opportunity, "project"):
        raise ValidationError(_("该商机已经立项。"))
    if planned_end < started:
        raise ValidationError({"planned_end": _("计划验收日期不能早于立项日期。")})
    project = Project.objects.create(opportunity=opportunity, started=started, planned_end=planned_end)
    project.team.set([opportunity.owner, *team])
    return project


@transaction.atomic
def project_advance(*, by: User, project: Project, phase: str, note: str = "", version: int | None = None) -> Project:
    if not may_sell(by):
        raise PermissionDenied(_("只有客户经理和区域经理可以更新项目。"))
    if phase not in Project.Phase.values:
        raise ValidationError({"phase": _("项目阶段应为：立项、施工、测试、验收。")})
    seen = version if version is not None else project.version
    if not Project.objects.filter(pk=project.pk, version=seen).update(phase=phase, note=note.strip(), version=seen + 1):
        raise StaleEdit(_("项目已被他人修改：您的修改没有保存。请刷新页面后重新修改。"))
    project.refresh_from_db()
    return project


def project_of(opportunity: Opportunity) -> Project | None:
    return Project.objects.filter(opportunity=opportunity).first()
