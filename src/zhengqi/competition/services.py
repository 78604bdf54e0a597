"""Competitor intelligence and response plans (F-26: 摸 / 应对预案 / 快速反应).

An account manager (or a manager) records what another operator is doing and to which of their
customers. Each customer touched gets a prevention alert (防范, rule ``COMPETITOR``) and a task for
its account manager — one open alert per customer: a second event on a customer already alerted
adds itself to that alert's evidence. A manager or planner launches a response plan on an event's
customers in one step: a campaign with the plan's products, offer and channels whose targets are
exactly those customers (within the launcher's scope, in service and with an account manager), no
control group (a contested customer is not held out), each target's account manager tasked.

Who sees an event: whoever may see at least one of its customers (the provincial admin all).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope, sees_whole_province
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer, Product
from zhengqi.marketing.campaigns.services import ALL_CHANNELS, new_seed, proposed_channels
from zhengqi.marketing.models import Campaign, CampaignTarget, Task
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify
from zhengqi.scoring.models import COMPETITOR_CODE, Alert, Family, Severity

from .models import CompetitorEvent, ResponsePlan
from .models import Severity as EventSeverity

ALERT_DUE_DAYS = 3  # a competitor at a customer's door is answered within days
MAX_CUSTOMERS = 500


def events_visible_to(user: User) -> QuerySet[CompetitorEvent]:
    """Events on a customer the user may see, and those whose quick-reaction team the user is on
    (a solution engineer of a support department sees only those)."""
    qs = CompetitorEvent.objects.select_related("plan", "campaign", "created_by")
    if sees_whole_province(user):
        return qs
    role = matrix.role_of(user)
    if role not in matrix.STAFF and role != "department":
        return qs.none()
    on_team = Q(team__account_manager=user) | Q(team__engineer=user) | Q(team__manager=user)
    mine = Q(pk__in=CompetitorEvent.objects.filter(on_team).values("pk"))
    if role in matrix.STAFF:
        scoped = CompetitorEvent.customers.through.objects.filter(
            customer__in=Customer.objects.filter(customer_scope(user))
        ).values("competitorevent_id")
        mine |= Q(pk__in=scoped)
    return qs.filter(mine)


def event_get(*, user: User, pk: int) -> CompetitorEvent:
    found = events_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("竞争动向不存在或无权查看。"))
    return found


def may_record(user: User) -> bool:
    return matrix.role_of(user) in matrix.WORKERS


def may_launch(user: User) -> bool:
    return matrix.role_of(user) in {"admin", "planner", "city", "district"}


@dataclass
class EventInput:
    operator: str
    kind: str
    summary: str
    date: dt.date | None
    customer_codes: list[str] = field(default_factory=list)
    evidence: str = ""
    plan_id: int | None = None
    severity: str = EventSeverity.NORMAL


def _alert(event: CompetitorEvent, customer: Customer, today: dt.date) -> bool:
    """Open the customer's prevention alert, or add the event to the one already open. True when
    a new alert was opened."""
    entry = {
        "event": event.pk,
        "operator": event.get_operator_display(),
        "kind": event.get_kind_display(),
        "summary": event.summary,
        "date": event.date.isoformat(),
    }
    current = (
        Alert.objects.select_for_update()
        .filter(customer=customer, rule_code=COMPETITOR_CODE, status=Alert.Status.OPEN)
        .first()
    )
    month = event.date.replace(day=1)
    if current is not None:
        events = [e for e in current.evidence.get("events", []) if e.get("event") != event.pk]
        current.evidence = {**current.evidence, "events": [*events, entry]}
        current.last_month = max(current.last_month, month)
        current.save(update_fields=["evidence", "last_month"])
        return False
    alert = Alert.objects.create(
        customer=customer,
        rule_code=COMPETITOR_CODE,
        rule_name=_("竞争对手动向"),
        family=Family.PREVENT,
        severity=Severity.HIGH,
        first_month=month,
        last_month=month,
        evidence={"events": [entry]},
    )
    if customer.account_manager_id is not None:
        Task.objects.create(
            customer=customer,
            assignee_id=customer.account_manager_id,
            source=Task.Source.ALERT,
            rule_code=COMPETITOR_CODE,
            alert_month=alert.first_month,
            priority=Task.Priority.HIGH,
            title=(_("竞争防范：%(summary)s") % {"summary": f"{event.get_operator_display()} {event.summary}"})[:200],
            due=today + dt.timedelta(days=ALERT_DUE_DAYS),
        )
    return True


def event_save(*, by: User, data: EventInput, now: dt.datetime | None = None) -> tuple[CompetitorEvent, int]:
    """Record an event on customers the user may see; returns it and the number of alerts opened.
    An event at or above the province's threshold gets its quick-reaction team at once."""
    from .reaction import needs_team, team_form

    if not may_record(by):
        raise PermissionDenied(_("竞争动向由客户经理或区域经理登记。"))
    errors: dict[str, str] = {}
    if data.operator not in Customer.Operator.values:
        errors["operator"] = _("请选择竞争对手：中国电信、中国联通、中国广电或其他运营商。")
    if data.kind not in CompetitorEvent.Kind.values:
        errors["kind"] = _("请选择动向：优惠资费、上门拜访、赠送终端、项目投标或降价。")
    if data.severity not in EventSeverity.values:
        errors["severity"] = _("请选择严重程度：一般、较大或重大。")
    summary = data.summary.strip()
    if not summary:
        errors["summary"] = _("请写明对手做了什么，例如“专线 8 折、送三年维护”。")
    elif len(summary) > 200:
        errors["summary"] = _("内容不能超过 200 个字。")
    today = timezone.localdate()
    if data.date is None:
        errors["date"] = _("请填写发生日期。")
    elif data.date > today:
        errors["date"] = _("发生日期不能晚于今天。")
    codes = list(dict.fromkeys(c.strip() for c in data.customer_codes if c.strip()))
    if not codes:
        errors["customers"] = _("请至少选择一个涉及的客户。")
    elif len(codes) > MAX_CUSTOMERS:
        errors["customers"] = _("一次最多登记 %(n)d 个客户。") % {"n": MAX_CUSTOMERS}
    customers = list(Customer.objects.filter(customer_scope(by), code__in=codes))
    missing = sorted(set(codes) - {c.code for c in customers})
    if missing and "customers" not in errors:
        errors["customers"] = _("客户不存在或不在您的范围内：%(codes)s。") % {"codes": "、".join(missing[:20])}
    plan = None
    if data.plan_id:
        plan = ResponsePlan.objects.filter(pk=data.plan_id, active=True).first()
        if plan is None:
            errors["plan"] = _("应对预案不存在或已停用。")
    if errors:
        raise ValidationError(errors)
    assert data.date is not None
    with transaction.atomic():
        event = CompetitorEvent.objects.create(
            operator=data.operator,
            kind=data.kind,
            summary=summary,
            evidence=data.evidence.strip(),
            date=data.date,
            severity=data.severity,
            plan=plan,
            created_by=by,
        )
        event.customers.set(customers)
        if needs_team(event):
            team_form(by=by, event=event, automatic=True, now=now)
        opened = sum(_alert(event, c, today) for c in sorted(customers, key=lambda c: c.code))
        for manager in {c.account_manager_id for c in customers} - {by.pk, None}:
            names = "、".join(c.name for c in customers if c.account_manager_id == manager)
            notify(
                [manager],
                Kind.COMPETITOR,
                _("竞争动向：%(operator)s 在 %(names)s %(kind)s")
                % {"operator": event.get_operator_display(), "names": names[:80], "kind": event.get_kind_display()},
                body=summary,
                link=reverse("competition:event", args=[event.pk]),
                key=f"competitor:{event.pk}",
            )
    return event, opened


def plans_for(event: CompetitorEvent) -> QuerySet[ResponsePlan]:
    """Active plans that answer this operator (or any), the event's own first."""
    return ResponsePlan.objects.filter(active=True).filter(operator__in=["", event.operator]).order_by("name")


@dataclass
class PlanInput:
    name: str
    product_codes: list[str]
    offer: str
    operator: str = ""
    message: str = ""
    channels: list[str] | None = None
    days: int = 30
    active: bool = True


def plan_save(*, by: User, data: PlanInput, plan: ResponsePlan | None = None) -> ResponsePlan:
    if matrix.role_of(by) not in matrix.CONFIGURERS:
        raise PermissionDenied(_("应对预案由营销策划或省公司管理员制定。"))
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写预案名称。")
    elif len(name) > 100:
        errors["name"] = _("预案名称不能超过 100 个字。")
    elif ResponsePlan.objects.filter(name=name).exclude(pk=plan.pk if plan else 0).exists():
        errors["name"] = _("已有同名预案。")
    if data.operator and data.operator not in Customer.Operator.values:
        errors["operator"] = _("竞争对手不存在。")
    products = list(Product.objects.filter(code__in=data.product_codes))
    unknown = sorted(set(data.product_codes) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    elif not products:
        errors["products"] = _("请至少选择一个推广产品。")
    if not data.offer.strip():
        errors["offer"] = _("请写明应对的优惠内容。")
    channels = data.channels if data.channels else proposed_channels(products)
    bad = [c for c in channels if c not in ALL_CHANNELS]
    if bad:
        errors["channels"] = _("渠道不存在：%(codes)s。") % {"codes": "、".join(bad)}
    if not 1 <= data.days <= 365:
        errors["days"] = _("活动天数应在 1 至 365 之间。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = plan or ResponsePlan(created_by=by)
        plan.name, plan.operator, plan.offer, plan.message = (
            name,
            data.operator,
            data.offer.strip(),
            data.message.strip(),
        )
        plan.channels, plan.days, plan.active = channels, data.days, data.active
        plan.save()
        plan.products.set(products)
    return plan


@dataclass(frozen=True)
class Response:
    campaign: Campaign
    targets: int
    tasks: int
    skipped: int  # customers of the event outside the launcher's scope, not in service or unmanaged


@transaction.atomic
def plan_launch(*, by: User, event: CompetitorEvent, plan: ResponsePlan) -> Response:
    """Launch ``plan`` on ``event``'s customers: one campaign, exactly those customers as targets."""
    if not may_launch(by):
        raise PermissionDenied(_("应对预案由区域经理、营销策划或省公司管理员启动。"))
    locked = CompetitorEvent.objects.select_for_update().get(pk=event.pk)
    if locked.campaign_id is not None:
        raise ValidationError(_("该竞争动向已启动过应对活动（%(name)s），不能重复启动。") % {"name": locked.campaign})
    if not plan.active:
        raise ValidationError(_("应对预案已停用。"))
    touched = list(locked.customers.all())
    customers = [
        c
        for c in Customer.objects.filter(customer_scope(by), pk__in=[c.pk for c in touched])
        .filter(status=Customer.Status.ACTIVE, account_manager__isnull=False)
        .order_by("code")
    ]
    if not customers:
        raise ValidationError(_("该动向涉及的客户都不在您的范围内（或不在网、无客户经理），没有可启动的对象。"))
    today = timezone.localdate()
    codes = ", ".join(c.code for c in customers)
    campaign = Campaign.objects.create(
        name=(_("竞争应对：%(plan)s（%(date)s %(operator)s）") % {
            "plan": plan.name, "date": locked.date.isoformat(), "operator": locked.get_operator_display()
        })[:100],
        goal=_("应对 %(operator)s 的%(kind)s：%(summary)s") % {
            "operator": locked.get_operator_display(), "kind": locked.get_kind_display(), "summary": locked.summary
        },
        offer=plan.offer + (f"\n{plan.message}" if plan.message else ""),
        channels=list(plan.channels),
        start=today,
        end=today + dt.timedelta(days=plan.days),
        segment=_("竞争动向 #%(event)d 涉及的客户：%(codes)s") % {"event": locked.pk, "codes": codes},
        control_share=Decimal("0.000"),
        seed=new_seed(),
        status=Campaign.Status.LAUNCHED,
        launched_at=timezone.now(),
        region=by.region,
        created_by=by,
    )  # fmt: skip
    campaign.products.set(plan.products.all())
    CampaignTarget.objects.bulk_create(
        [
            CampaignTarget(
                campaign=campaign,
                customer_id=c.pk,
                account_manager_id=c.account_manager_id,
                group=CampaignTarget.Group.TARGET,
            )
            for c in customers
        ]
    )
    title = (_("竞争应对：%(plan)s") % {"plan": plan.name})[:200]
    Task.objects.bulk_create(
        [
            Task(
                customer_id=c.pk,
                assignee_id=c.account_manager_id,  # type: ignore[misc]  # not None: filtered above
                title=title,
                source=Task.Source.CAMPAIGN,
                campaign=campaign,
                priority=Task.Priority.HIGH,
                due=min(campaign.end, today + dt.timedelta(days=ALERT_DUE_DAYS * 2)),
                created_by=by,
            )
            for c in customers
        ]
    )
    locked.plan, locked.campaign = plan, campaign
    locked.save(update_fields=["plan", "campaign"])
    return Response(
        campaign=campaign, targets=len(customers), tasks=len(customers), skipped=len(touched) - len(customers)
    )


# --- the activity page ----------------------------------------------------------------------------


@dataclass
class Contested:
    customer: Customer
    city: str
    events: int = 0
    operators: set[str] = field(default_factory=set)
    last: dt.date = dt.date.min
    answered: int = 0  # events on it that a response campaign answered

    @property
    def operator_names(self) -> str:
        return "、".join(sorted(self.operators))


@dataclass
class Activity:
    months: list[str]
    by_city: list[tuple[str, list[int]]]  # city name → events per month
    by_operator: list[tuple[str, list[int]]]  # operator → events per month
    contested: list[Contested]  # customers with events in the window, most worked on first
    total: int


def _city(region: Region | None, cities: dict[str, str]) -> str:
    if region is None:
        return _("未分区域")
    parts = region.path.strip("/").split("/")
    key = "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else region.path
    return cities.get(key, region.name)


def month_labels(months: int, today: dt.date | None = None) -> list[str]:
    """The last ``months`` months to ``today``'s, oldest first, as "YYYY-MM"."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    labels: list[str] = []
    cursor = first
    while cursor <= today:
        labels.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return labels


def activity(*, user: User, months: int = 6, today: dt.date | None = None) -> Activity:
    """Competitor events on the user's customers, by city and by operator for the last ``months``
    months, and the contested customers (those with an event in the window)."""
    today = today or timezone.localdate()
    labels = month_labels(months, today)
    first = dt.date.fromisoformat(labels[0] + "-01")
    scope = Customer.objects.filter(customer_scope(user))
    pairs = list(
        CompetitorEvent.customers.through.objects.filter(
            competitorevent__date__gte=first, competitorevent__date__lte=today, customer__in=scope
        ).values_list(
            "competitorevent_id",
            "competitorevent__date",
            "competitorevent__operator",
            "competitorevent__campaign_id",
            "customer_id",
        )
    )
    cities = dict(Region.objects.filter(level=Region.Level.CITY).values_list("path", "name"))
    customers = {
        c.pk: c
        for c in Customer.objects.filter(pk__in={p[4] for p in pairs}).select_related("region", "account_manager")
    }
    operators = {k: str(v) for k, v in Customer.Operator.choices}
    city_counts: dict[str, Counter[str]] = defaultdict(Counter)
    operator_counts: dict[str, Counter[str]] = defaultdict(Counter)
    seen_city: set[tuple[int, str]] = set()
    seen_operator: set[int] = set()
    per_customer: dict[int, Contested] = {}
    for event_id, date, operator, campaign_id, customer_id in pairs:
        month = date.strftime("%Y-%m")
        customer = customers[customer_id]
        city = _city(customer.region, cities)
        name = operators.get(operator, operator)
        if (event_id, city) not in seen_city:  # an event counts once per city it reaches
            seen_city.add((event_id, city))
            city_counts[city][month] += 1
        if event_id not in seen_operator:
            seen_operator.add(event_id)
            operator_counts[name][month] += 1
        row = per_customer.setdefault(customer_id, Contested(customer=customer, city=city))
        row.events += 1
        row.operators.add(name)
        row.last = max(row.last, date)
        row.answered += campaign_id is not None
    return Activity(
        months=labels,
        by_city=sorted(((c, [n[m] for m in labels]) for c, n in city_counts.items()), key=lambda r: -sum(r[1])),
        by_operator=sorted(((o, [n[m] for m in labels]) for o, n in operator_counts.items()), key=lambda r: -sum(r[1])),
        contested=sorted(per_customer.values(), key=lambda r: (-r.events, r.customer.name)),
        total=len(seen_operator),
    )
