"""Campaigns (F-11): a planner defines one, launches it on the customers a rule selects, with a
control group held out at random; account managers work the targets' tasks and record outcomes.

The control group is drawn per customer from the campaign's stored seed — a customer is in the
control group when ``sha256(seed:customer code)`` read as a fraction is below the control share — so
the same seed and segment always give the same groups, whatever order the customers come in, and the
share is a binomial draw around the setting."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Product
from zhengqi.customers.versions import customers_changed, data_changed
from zhengqi.engine.rules.language import RuleError, parse
from zhengqi.marketing.models import Campaign, CampaignTarget, ContactPolicy, Task
from zhengqi.scoring.configuration import segment_hits
from zhengqi.web.forms import StaleEdit

DEFAULT_CONTROL_SHARE = Decimal("0.100")
HIGH_TOUCH = [Campaign.Channel.ACCOUNT_MANAGER, Campaign.Channel.PARTNER]
ALL_CHANNELS = [c.value for c in Campaign.Channel]

# The example every help text gives of a segment: a test parses it against the catalogue.
SEGMENT_EXAMPLE = "tier in ('A', 'B') and product_count < 3"


def may_plan(user: User) -> bool:
    return matrix.role_of(user) in matrix.CONFIGURERS


def proposed_channels(products: Iterable[Product]) -> list[str]:
    """Seed 003: a product's complexity decides who sells it — complex products (solutions, dedicated
    lines) through account managers and agents, simple ones through every channel."""
    channels: list[str] = []
    for product in products:
        wanted = HIGH_TOUCH if product.complexity == Product.Complexity.HIGH else ALL_CHANNELS
        channels += [c for c in wanted if c not in channels]
    return [c for c in ALL_CHANNELS if c in channels]


def in_control(seed: int, code: str, share: Decimal | float) -> bool:
    digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < float(share)


def new_seed() -> int:
    return secrets.randbelow(2**62)


# --- who sees which campaigns ---------------------------------------------------------------------


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Planners, managers and the admin see the campaigns of their region (and above it: a province-
    wide campaign reaches their customers too); an account manager those with a target of theirs."""
    qs = Campaign.objects.select_related("region", "created_by")
    role = matrix.role_of(user)
    if role == "admin":
        return qs
    if role in ("planner", "city", "district"):
        if user.region is None:
            return qs.none()
        mine = Q(region__isnull=True)
        for ancestor in user.region.path.strip("/").split("/"):
            mine |= Q(region__code=ancestor)
        return qs.filter(mine | Q(region__path__startswith=user.region.path))
    if role == "am":
        return qs.filter(targets__account_manager=user).distinct()
    return qs.none()


def campaign_get(*, user: User, pk: int) -> Campaign:
    campaign = campaigns_visible_to(user).filter(pk=pk).first()
    if campaign is None:
        raise Http404(_("营销活动不存在或无权查看。"))
    return campaign


def targets_visible_to(user: User, campaign: Campaign) -> QuerySet[CampaignTarget]:
    qs = campaign.targets.select_related("customer", "account_manager")
    return qs.filter(customer_scope(user, prefix="customer__"))


# --- planning -------------------------------------------------------------------------------------


@dataclass
class CampaignInput:
    name: str
    segment: str
    start: dt.date | None
    end: dt.date | None
    product_codes: list[str]
    goal: str = ""
    offer: str = ""
    channels: list[str] | None = None  # None: proposed from the products
    grace_days: int = 30
    budget: Any = 0
    control_share: Any = DEFAULT_CONTROL_SHARE
    seed: int | None = None
    version: int | None = None  # the version the editor started from; a stale one is refused

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CampaignInput:
        def listing(key: str) -> list[str]:
            getlist = getattr(data, "getlist", None)
            value = getlist(key) if getlist else data.get(key) or []
            return [str(v) for v in ([value] if isinstance(value, str) else value) if str(v).strip()]

        def day(key: str) -> dt.date | None:
            raw = data.get(key)
            if isinstance(raw, dt.date) or raw is None:
                return raw
            try:
                return dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                raise ValidationError({key: _("日期格式应为 YYYY-MM-DD。")}) from None

        def whole(key: str, default: int | None) -> int | None:
            raw = data.get(key)
            if raw in (None, ""):
                return default
            try:
                return int(str(raw).strip())
            except ValueError:
                raise ValidationError({key: _("应为整数。")}) from None

        channels = listing("channels")
        return cls(
            name=str(data.get("name") or ""),
            segment=str(data.get("segment") or ""),
            start=day("start"),
            end=day("end"),
            product_codes=listing("products"),
            goal=str(data.get("goal") or ""),
            offer=str(data.get("offer") or ""),
            channels=channels or None,
            grace_days=whole("grace_days", 30) or 0,
            budget=data.get("budget") or 0,
            control_share=data.get("control_share") or DEFAULT_CONTROL_SHARE,
            seed=whole("seed", None),
            version=whole("version", None),
        )


def _decimal(value: Any, field: str, label: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("“%(label)s”应为数字。") % {"label": label}}) from None
    if not number.is_finite():
        raise ValidationError({field: _("“%(label)s”应为数字。") % {"label": label}})
    return number


def campaign_save(*, by: User, data: CampaignInput, campaign: Campaign | None = None) -> Campaign:
    """Create a campaign, or change a draft. Refused input saves nothing; a save based on an older
    version than the stored one is refused (someone else saved in between)."""
    if not may_plan(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以制定营销活动。"))
    if campaign is not None and campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("活动已启动，不能再修改；可以“复制为新活动”。"))
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写活动名称。")
    elif len(name) > 100:
        errors["name"] = _("活动名称不能超过 100 个字。")
    segment = data.segment.strip()
    if not segment:
        errors["segment"] = _("请用规则语言写出目标客户，例如 %(example)s。") % {"example": SEGMENT_EXAMPLE}
    else:
        try:
            parse(segment)
        except RuleError as err:
            errors["segment"] = str(err)
    if data.start is None:
        errors["start"] = _("请填写开始日期。")
    if data.end is None:
        errors["end"] = _("请填写结束日期。")
    elif data.start is not None and data.end < data.start:
        errors["end"] = _("结束日期不能早于开始日期。")
    products = list(Product.objects.filter(code__in=data.product_codes))
    unknown = sorted(set(data.product_codes) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    elif not products:
        errors["products"] = _("请至少选择一个推广产品。")
    channels = data.channels if data.channels is not None else proposed_channels(products)
    bad = [c for c in channels if c not in ALL_CHANNELS]
    if bad:
        errors["channels"] = _("渠道不存在：%(codes)s。") % {"codes": "、".join(bad)}
    if not 0 <= data.grace_days <= 365:
        errors["grace_days"] = _("转化宽限天数应在 0 至 365 之间。")
    try:
        budget = _decimal(data.budget, "budget", _("预算"))
        if not 0 <= budget < Decimal("1e12"):
            errors["budget"] = _("预算应为 0 至 1 万亿元之间的数。")
    except ValidationError as err:
        errors.update({k: v[0] for k, v in err.message_dict.items()})
        budget = Decimal(0)
    try:
        share = _decimal(data.control_share, "control_share", _("对照组比例"))
        if share > 1:
            share = share / 100  # "10" means 10 %
        if not Decimal("0") <= share <= Decimal("0.5"):
            errors["control_share"] = _("对照组比例应在 0 至 50% 之间（默认 10%）。")
    except ValidationError as err:
        errors.update({k: v[0] for k, v in err.message_dict.items()})
        share = DEFAULT_CONTROL_SHARE
    if data.seed is not None and not 0 <= data.seed < 2**62:
        errors["seed"] = _("随机种子应为 0 至 2^62 之间的整数。")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        fields = {
            "name": name,
            "goal": data.goal.strip(),
            "offer": data.offer.strip(),
            "channels": channels,
            "start": data.start,
            "end": data.end,
            "grace_days": data.grace_days,
            "budget": budget.quantize(Decimal("0.01")),
            "segment": segment,
            "control_share": share.quantize(Decimal("0.001")),
        }
        if campaign is None:
            campaign = Campaign.objects.create(
                **fields, seed=data.seed if data.seed is not None else new_seed(), region=by.region, created_by=by
            )
        else:
            if data.seed is not None:
                fields["seed"] = data.seed
            stale = data.version if data.version is not None else campaign.version
            # Compare-and-set on the version: of two editors, the second to save is refused.
            updated = Campaign.objects.filter(pk=campaign.pk, version=stale, status=Campaign.Status.DRAFT).update(
                **fields, version=stale + 1
            )
            if not updated:
                raise StaleEdit(_("活动已被他人修改（或已启动）：您的修改没有保存。请刷新页面，在最新内容上重新修改。"))
            campaign.refresh_from_db()
        campaign.products.set(products)
    return campaign


def campaign_copy(*, by: User, campaign: Campaign) -> Campaign:
    """A new draft with the same settings and the same seed: launched on the same segment it holds
    out the same control group."""
    data = CampaignInput(
        name=_("%(name)s（复制）") % {"name": campaign.name},
        segment=campaign.segment,
        start=campaign.start,
        end=campaign.end,
        product_codes=list(campaign.products.values_list("code", flat=True)),
        goal=campaign.goal,
        offer=campaign.offer,
        channels=list(campaign.channels),
        grace_days=campaign.grace_days,
        budget=campaign.budget,
        control_share=campaign.control_share,
        seed=campaign.seed,
    )
    return campaign_save(by=by, data=data)


# --- launch ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launched:
    targets: int
    control: int
    tasks: int
    excluded: int = 0  # over the contact limit: left out of the campaign


@dataclass(frozen=True)
class LaunchPreview:
    """What a launch would do, shown before the planner confirms it."""

    month: dt.date | None
    targets: int
    control: int
    prospects: int  # of the selected, not yet customers in service (a 发展 campaign's)
    unowned: int  # without an account manager: their tasks go to the regional manager above
    excluded: int  # over the contact limit: left out
    limit: int
    overlaps: list[tuple[Campaign, int]]  # running campaigns already targeting some of them


def _selection(by: User, campaign: Campaign) -> tuple[dt.date, list[Customer], list[Customer]]:
    """(month, customers to target, customers left out over the contact limit): the segment's
    customers in the launcher's scope, in service or prospects, by code."""
    try:
        month, codes = segment_hits(campaign.segment)
    except RuleError as err:
        raise ValidationError({"segment": str(err)}) from err
    if month is None:
        raise ValidationError(_("还没有月度运行结果，无法按规则选出目标客户：请先运行月度计算。"))
    customers = _reachable(by, codes)
    if not customers:
        raise ValidationError(_("规则在您的范围内没有选中任何在网或潜在客户，活动没有启动。"))
    over = contacts_this_month({c.pk for c in customers}, exclude=campaign)
    limit = ContactPolicy.current().max_per_month
    kept = [c for c in customers if over.get(c.pk, 0) < limit]
    return month, kept, [c for c in customers if over.get(c.pk, 0) >= limit]


def contacts_this_month(customer_ids: set[int], *, exclude: Campaign | None = None) -> dict[int, int]:
    """How many campaigns launched this calendar month target each customer (target group only)."""
    start = timezone.localdate().replace(day=1)
    rows = CampaignTarget.objects.filter(
        group=CampaignTarget.Group.TARGET,
        campaign__launched_at__date__gte=start,
        customer_id__in=customer_ids,
    )
    if exclude is not None:
        rows = rows.exclude(campaign=exclude)
    return dict(rows.values("customer_id").annotate(n=Count("pk")).values_list("customer_id", "n"))


def campaign_launch_preview(*, by: User, campaign: Campaign) -> LaunchPreview:
    if not may_plan(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以启动营销活动。"))
    month, kept, excluded = _selection(by, campaign)
    control = sum(in_control(campaign.seed, c.code, campaign.control_share) for c in kept)
    ids = [c.pk for c in kept]
    today = timezone.localdate()
    running = Campaign.objects.filter(status=Campaign.Status.LAUNCHED, end__gte=today).exclude(pk=campaign.pk)
    overlaps: list[tuple[Campaign, int]] = []
    counts = (
        CampaignTarget.objects.filter(campaign__in=running, customer_id__in=ids, group=CampaignTarget.Group.TARGET)
        .values("campaign_id")
        .annotate(n=Count("pk"))
    )
    by_id = {c.pk: c for c in running.filter(pk__in=[row["campaign_id"] for row in counts])}
    overlaps = sorted(((by_id[row["campaign_id"]], row["n"]) for row in counts), key=lambda x: -x[1])
    return LaunchPreview(
        month=month,
        targets=len(kept) - control,
        control=control,
        prospects=sum(c.status == Customer.Status.PROSPECT for c in kept),
        unowned=sum(c.account_manager_id is None for c in kept),
        excluded=len(excluded),
        limit=ContactPolicy.current().max_per_month,
        overlaps=overlaps,
    )


@transaction.atomic
def campaign_launch(*, by: User, campaign: Campaign) -> Launched:
    """Select the segment among the launcher's customers in service and prospects, leave out those
    over the contact limit, draw the control group, and give each target's account manager a task
    (a customer nobody looks after: the regional manager above it). Launching twice changes nothing
    (the second launch is refused). The page asks for confirmation after ``campaign_launch_preview``."""
    from zhengqi.marketing.tasks.services import nearest_manager, regional_managers

    if not may_plan(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以启动营销活动。"))
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Campaign.Status.DRAFT:
        raise ValidationError(_("活动已启动，不能重复启动。"))
    month, customers, excluded = _selection(by, locked)
    if not customers:
        raise ValidationError(_("选中的客户本月接触次数都已达上限，活动没有启动。"))
    rows = [
        CampaignTarget(
            campaign=locked,
            customer_id=c.pk,
            account_manager_id=c.account_manager_id,
            group=(
                CampaignTarget.Group.CONTROL
                if in_control(locked.seed, c.code, locked.control_share)
                else CampaignTarget.Group.TARGET
            ),
        )
        for c in customers
    ]
    CampaignTarget.objects.bulk_create(rows, batch_size=2000)
    customers_changed(c.pk for c in customers)  # bulk: past the signals that version their pages
    title = _("营销活动：%(name)s") % {"name": locked.name}
    managers = regional_managers()
    paths = {c.pk: c.region.path for c in customers}
    tasks = []
    for r in rows:
        if r.group != CampaignTarget.Group.TARGET:
            continue
        assignee = r.account_manager_id or nearest_manager(paths[r.customer_id], managers)
        if assignee is None:
            continue
        tasks.append(
            Task(
                customer_id=r.customer_id,
                assignee_id=assignee,
                title=title[:200],
                source=Task.Source.CAMPAIGN,
                campaign=locked,
                priority=Task.Priority.MEDIUM,
                due=locked.end,
                created_by=by,
            )
        )
    Task.objects.bulk_create(tasks, batch_size=2000)
    locked.status, locked.launched_at, locked.segment_month = Campaign.Status.LAUNCHED, timezone.now(), month
    locked.version += 1
    locked.save(update_fields=["status", "launched_at", "segment_month", "version"])
    campaign.refresh_from_db()
    control = sum(r.group == CampaignTarget.Group.CONTROL for r in rows)
    return Launched(targets=len(rows) - control, control=control, tasks=len(tasks), excluded=len(excluded))


def _reachable(by: User, codes: set[str]) -> list[Customer]:
    """Those of ``codes`` in the user's scope, in service or prospects, by code; asked for in chunks
    (a segment can be larger than a database takes as query parameters)."""
    ordered = sorted(codes)
    found: list[Customer] = []
    base = (
        Customer.objects.filter(customer_scope(by))
        .filter(status__in=[Customer.Status.ACTIVE, Customer.Status.PROSPECT])
        .select_related("region")
        .only("pk", "code", "status", "account_manager_id", "region__path")
    )
    for i in range(0, len(ordered), 10000):
        found += list(base.filter(code__in=ordered[i : i + 10000]))
    return sorted(found, key=lambda c: c.code)


def contact_policy() -> ContactPolicy:
    return ContactPolicy.current()


def contact_policy_set(*, by: User, max_per_month: int) -> ContactPolicy:
    """The provincial admin sets how many campaigns may approach one customer in a month."""
    if not (by.is_superuser or by.role == User.Role.PROVINCIAL_ADMIN):
        raise PermissionDenied(_("只有省公司管理员可以设置营销接触上限。"))
    if not 1 <= max_per_month <= 31:
        raise ValidationError({"max_per_month": _("每月接触上限应在 1 到 31 次之间。")})
    policy = ContactPolicy.current()
    policy.max_per_month, policy.updated_by = max_per_month, by
    policy.save()
    return policy


def campaign_close(*, by: User, campaign: Campaign) -> Campaign:
    if not may_plan(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以结束营销活动。"))
    if campaign.status != Campaign.Status.LAUNCHED:
        raise ValidationError(_("只有执行中的活动可以结束。"))
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED, version=campaign.version + 1)
        data_changed()  # the targets' pages show the campaign
        Task.objects.filter(campaign=campaign, status=Task.Status.OPEN).update(
            status=Task.Status.CANCELLED, closed_at=timezone.now(), outcome=_("活动已结束")
        )
    campaign.refresh_from_db()
    return campaign


# --- execution ------------------------------------------------------------------------------------

DONE = {CampaignTarget.Outcome.ACCEPTED, CampaignTarget.Outcome.REJECTED}


def target_outcome(*, by: User, target: CampaignTarget, outcome: str, reason: str = "") -> CampaignTarget:
    """Record how a target responded. Only the target's account manager (or a manager over the
    customer) records it; the control group has nothing to record; a rejection needs its reason.
    Accepting or rejecting closes the target's task."""
    if not Customer.objects.filter(customer_scope(by)).filter(pk=target.customer_id).exists():
        raise Http404(_("客户不存在或无权查看。"))
    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("您无权记录活动执行结果。"))
    if target.group == CampaignTarget.Group.CONTROL:
        raise ValidationError(_("对照组客户不参与活动，不记录执行结果。"))
    if target.campaign.status != Campaign.Status.LAUNCHED:
        raise ValidationError(_("活动不在执行中，不能再记录结果。"))
    if outcome not in CampaignTarget.Outcome.values or outcome == CampaignTarget.Outcome.PENDING:
        raise ValidationError({"outcome": _("执行结果应为：已联系、有意向、已接受或已拒绝。")})
    reason = reason.strip()
    if outcome == CampaignTarget.Outcome.REJECTED and not reason:
        raise ValidationError({"reject_reason": _("客户拒绝时请填写原因。")})
    with transaction.atomic():
        target.outcome, target.reject_reason, target.outcome_at = outcome, reason[:200], timezone.now()
        target.save(update_fields=["outcome", "reject_reason", "outcome_at"])
        if outcome in DONE:
            label = CampaignTarget.Outcome(outcome).label
            text = f"{label}：{reason}" if reason else str(label)
            Task.objects.filter(
                campaign_id=target.campaign_id, customer_id=target.customer_id, status=Task.Status.OPEN
            ).update(status=Task.Status.DONE, outcome=text, closed_at=timezone.now())
    return target


def execution_counts(campaign: Campaign, targets: QuerySet[CampaignTarget] | None = None) -> dict[str, int]:
    qs = targets if targets is not None else campaign.targets.all()
    counts = dict(
        qs.filter(group=CampaignTarget.Group.TARGET).values_list("outcome").annotate(n=Count("pk")).order_by()
    )
    return {o.value: counts.get(o.value, 0) for o in CampaignTarget.Outcome}


def campaign_group_counts(campaigns: Any) -> dict[int, dict[str, int]]:
    """Targets per group of each campaign, in one query."""
    counts: dict[int, dict[str, int]] = {}
    rows = CampaignTarget.objects.filter(campaign__in=campaigns).values_list("campaign", "group")
    for campaign_id, group, n in rows.annotate(n=Count("pk")).order_by():
        counts.setdefault(campaign_id, {})[group] = n
    return counts
