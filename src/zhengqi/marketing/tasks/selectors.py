"""Reads of the account manager's day: tasks in the user's scope, the workbench's task panels,
each manager's workload, and what the customer's page shows of contacts, opportunities and campaigns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, CustomerMonth
from zhengqi.customers.selectors import account_managers_visible_to
from zhengqi.engine.value.tiers import TIERS
from zhengqi.marketing.models import CampaignTarget, DevelopmentApplication, Interaction, Opportunity, Task
from zhengqi.scoring.models import COMPETITOR_CODE, TASK_FAMILIES, Alert
from zhengqi.scoring.selectors import task_rule_codes, with_priority

# The workbench shows the first few of each list; the task list page shows them all.
SHOWN = 10
WHEN: dict[str, Callable[[dt.date], Q]] = {
    "overdue": lambda today: Q(due__lt=today),
    "today": lambda today: Q(due=today),
    "week": lambda today: Q(due__gt=today, due__lte=today + dt.timedelta(days=7)),
    "all": lambda today: Q(),
}


# Stored as written (it marks the tasks a later run may bring back), shown as any outcome is.
RERUN_OUTCOME = "重跑后预警不再触发，自动取消。"


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """An account manager's own tasks; managers see the tasks in their region subtree."""
    qs = Task.objects.select_related("customer", "assignee", "escalated_to")
    if user.role == User.Role.ACCOUNT_MANAGER:
        return qs.filter(assignee=user)
    return qs.filter(customer_scope(user, prefix="customer__"))


def open_tasks(
    user: User, *, when: str = "all", status: str = Task.Status.OPEN, today: dt.date | None = None
) -> QuerySet[Task]:
    """Tasks of one of the workbench's lists (overdue, today, next 7 days, all), due first; open
    ones unless another status is asked for (the API's history)."""
    today = today or timezone.localdate()
    return tasks_visible_to(user).filter(WHEN.get(when, WHEN["all"])(today), status=status).order_by("due", "pk")


def customers_with_open_tasks() -> QuerySet[Any, Any]:
    """Customers with at least one open task (a subquery for the customer list)."""
    return Task.objects.filter(status=Task.Status.OPEN).values("customer_id")


def customers_in_campaign(campaign_id: int) -> QuerySet[Any, Any]:
    """Customers a campaign targets (target and control groups)."""
    return CampaignTarget.objects.filter(campaign_id=campaign_id).values("customer_id")


def task_backlog(user: User) -> QuerySet[Alert]:
    """The backlog (待办池): open alerts on the user's customers whose rule makes tasks but which have
    none — what did not fit in a month run's capacity, or found nobody to go to — highest priority
    first, annotated with ``priority``."""
    policies = task_rule_codes()
    makes = [code for code, yes in policies.items() if yes]
    marks = [code for code, yes in policies.items() if not yes]
    worthy = Q(rule_code__in=makes) | (Q(family__in=TASK_FAMILIES) & ~Q(rule_code__in=marks))
    live = (
        Task.objects.filter(
            source=Task.Source.ALERT,
            customer=OuterRef("customer"),
            rule_code=OuterRef("rule_code"),
            alert_month=OuterRef("first_month"),
        )
        .exclude(status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME)
        .order_by()
    )
    alerts = (
        Alert.objects.filter(customer_scope(user, prefix="customer__"), worthy, status=Alert.Status.OPEN)
        .exclude(rule_code=COMPETITOR_CODE)
        .filter(~Exists(live))
    )
    return with_priority(alerts).select_related("customer", "customer__account_manager").order_by("-priority", "pk")


def workbench_tasks(user: User, today: dt.date) -> dict[str, Any]:
    """The workbench's task panels: escalated to me, overdue, today, the next 7 days, the counts of
    each list, and the development plans with steps still open."""
    tasks = tasks_visible_to(user).filter(status=Task.Status.OPEN)
    return {
        "escalated": list(
            Task.objects.filter(escalated_to=user, status=Task.Status.OPEN)
            .select_related("customer", "assignee", "escalated_to")
            .order_by("due")[:50]
        ),
        "overdue": list(tasks.filter(WHEN["overdue"](today))[:SHOWN]),
        "due_today": list(tasks.filter(WHEN["today"](today))[:SHOWN]),
        "upcoming": list(tasks.filter(WHEN["week"](today))[:SHOWN]),
        "counts": tasks.aggregate(**{name: Count("pk", filter=when(today)) for name, when in WHEN.items()}),
        "plans": development_plans(user),
    }


def development_plans(user: User) -> list[tuple[DevelopmentApplication | None, Task, int]]:
    """Approved development applications with steps still open: the next step and how many remain."""
    from zhengqi.marketing.development.services import applications_visible_to

    approved = applications_visible_to(user).filter(status=DevelopmentApplication.Status.APPROVED)
    steps = (
        Task.objects.filter(development__in=approved, status=Task.Status.OPEN)
        .select_related("development", "development__customer")
        .order_by("development_id", "due", "pk")
    )
    by_plan: dict[int | None, list[Task]] = {}
    for step in steps:
        by_plan.setdefault(step.development_id, []).append(step)
    return [(left[0].development, left[0], len(left)) for left in list(by_plan.values())[:SHOWN]]


def interactions_of(customer: Customer) -> QuerySet[Interaction]:
    """The customer's contacts, latest first (the customer's page and the API)."""
    return Interaction.objects.filter(customer=customer).select_related("by").prefetch_related("key_persons")


def customer_marketing(customer: Customer) -> dict[str, Any]:
    """What the customer's page shows of the account manager's work: contacts, opportunities and
    the campaigns that targeted the customer."""
    return {
        "interactions": interactions_of(customer).order_by("-date", "-pk")[:30],
        "opportunities": Opportunity.objects.filter(customer=customer)
        .select_related("owner")
        .order_by("-close_date")[:8],
        "campaign_targets": CampaignTarget.objects.filter(customer=customer)
        .select_related("campaign")
        .order_by("-campaign__start")[:8],
    }


@dataclass(frozen=True)
class Workload:
    manager: User
    customers: int
    by_tier: dict[str, int]
    revenue: Decimal  # latest month, customers in service
    open_tasks: int
    overdue_tasks: int


def manager_workload(user: User) -> list[Workload]:
    """Per account manager in the user's region: portfolio size by tier, revenue of the latest
    month and open/overdue tasks — four grouped queries whatever the number of managers."""
    managers = list(account_managers_visible_to(user))
    ids = [m.pk for m in managers]
    tiers: dict[int, dict[str, int]] = {}
    for row in (
        Customer.objects.filter(account_manager_id__in=ids, status="active")
        .values("account_manager_id", "tier")
        .annotate(n=Count("pk"))
    ):
        tiers.setdefault(row["account_manager_id"], {})[row["tier"] or "—"] = row["n"]
    latest = CustomerMonth.objects.order_by("-month").values_list("month", flat=True).first() or dt.date.min
    revenue = dict(
        CustomerMonth.objects.filter(month=latest, customer__account_manager_id__in=ids, customer__status="active")
        .values("customer__account_manager_id")
        .annotate(r=Sum("revenue_total"))
        .values_list("customer__account_manager_id", "r")
    )
    today = timezone.localdate()
    tasks: dict[int, tuple[int, int]] = {
        row["assignee_id"]: (row["n"], row["late"])
        for row in Task.objects.filter(assignee_id__in=ids, status=Task.Status.OPEN)
        .values("assignee_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due__lt=today)))
    }
    return [
        Workload(
            manager=m,
            customers=sum(tiers.get(m.pk, {}).values()),
            by_tier={t: tiers.get(m.pk, {}).get(t, 0) for t in TIERS},
            revenue=revenue.get(m.pk) or Decimal(0),
            open_tasks=tasks.get(m.pk, (0, 0))[0],
            overdue_tasks=tasks.get(m.pk, (0, 0))[1],
        )
        for m in managers
    ]


TASK_COLUMNS = [
    gettext_lazy("客户编码"),
    gettext_lazy("客户名称"),
    gettext_lazy("任务"),
    gettext_lazy("来源"),
    gettext_lazy("优先级"),
    gettext_lazy("负责人"),
    gettext_lazy("截止日期"),
    gettext_lazy("状态"),
    gettext_lazy("已上报给"),
]
BACKLOG_COLUMNS = [
    gettext_lazy("客户编码"),
    gettext_lazy("客户名称"),
    gettext_lazy("预警"),
    gettext_lazy("因子族"),
    gettext_lazy("严重程度"),
    gettext_lazy("优先级"),
    gettext_lazy("客户经理"),
    gettext_lazy("首次触发"),
    gettext_lazy("最近触发"),
]


def task_rows(tasks: QuerySet[Task]) -> Any:
    """Tasks as export rows (codes shown by their names), read in chunks."""
    sources, priorities, statuses = dict(Task.Source.choices), dict(Task.Priority.choices), dict(Task.Status.choices)
    for t in tasks.iterator(chunk_size=2000):
        yield [
            t.customer.code,
            t.customer.name,
            t.title,
            str(sources.get(t.source, t.source)),
            str(priorities.get(t.priority, t.priority)),
            str(t.assignee),
            t.due,
            str(statuses.get(t.status, t.status)),
            str(t.escalated_to or ""),
        ]


def backlog_rows(alerts: QuerySet[Alert]) -> Any:
    """The backlog as export rows, highest priority first."""
    from zhengqi.scoring.models import Family, Severity

    families, severities = dict(Family.choices), dict(Severity.choices)
    for a in alerts.iterator(chunk_size=2000):
        yield [
            a.customer.code,
            a.customer.name,
            a.rule_name,
            str(families.get(a.family, a.family)),
            str(severities.get(a.severity, a.severity)),
            round(float(a.priority), 2),  # type: ignore[attr-defined]  # annotated by with_priority
            str(a.customer.account_manager or ""),
            a.first_month,
            a.last_month,
        ]
