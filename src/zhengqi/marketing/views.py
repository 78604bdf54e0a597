"""The account manager's workbench (F-14): what to do today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Max, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Contract, Customer, KeyPerson, Subscription
from zhengqi.customers.selectors import customer_get
from zhengqi.scoring.models import COMPETITOR_CODE, Alert
from zhengqi.scoring.selectors import highest_churn_risks
from zhengqi.support.requests import workbench_requests

from .forms import CustomerCorrectionForm, InteractionForm, TaskForm
from .models import DevelopmentApplication, Task
from .services import interaction_log, task_close, task_create, tasks_visible_to

# The workbench shows the first few of each list; the task list page shows them all.
SHOWN = 10
WHEN: dict[str, Callable[[dt.date], Q]] = {
    "overdue": lambda today: Q(due__lt=today),
    "today": lambda today: Q(due=today),
    "week": lambda today: Q(due__gt=today, due__lte=today + dt.timedelta(days=7)),
    "all": lambda today: Q(),
}


def my_kpi(user: User) -> dict[str, object]:
    """An account manager's own KPIs of the latest month with results (F-18), for the workbench."""
    from zhengqi.insight import kpi
    from zhengqi.insight.figures import latest_month, time_progress

    month = latest_month()
    if month is None or user.role != User.Role.ACCOUNT_MANAGER:
        return {}
    mine = next((r for r in kpi.kpis(user, month) if r.manager.pk == user.pk), None)
    return {"my_kpi": mine, "kpi_month": month, "kpi_progress": time_progress(month)} if mine else {}


def development_plans(user: User) -> list[tuple[DevelopmentApplication | None, Task, int]]:
    """Approved development applications with steps still open: the next step and how many remain."""
    from .development import applications_visible_to

    approved = applications_visible_to(user).filter(status=DevelopmentApplication.Status.APPROVED)
    steps = (
        Task.objects.filter(development__in=approved, status=Task.Status.OPEN)
        .select_related("development", "development__customer")
        .order_by("development_id", "due", "pk")
    )
    by_plan: dict[int, list[Task]] = {}
    for step in steps:
        by_plan.setdefault(step.development_id, []).append(step)  # type: ignore[arg-type]
    out = [(left[0].development, left[0], len(left)) for left in list(by_plan.values())[:SHOWN]]
    return out


@login_required
def workbench_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    tasks = tasks_visible_to(user).filter(status=Task.Status.OPEN)
    customers = Customer.objects.filter(customer_scope(user))
    active = customers.filter(status="active")
    # The latest month run's new alerts, and competitor alerts still open (raised the day a move is
    # recorded, not by a month run: they would otherwise hide the run's month behind a later one).
    runs = Alert.objects.filter(customer__in=customers).exclude(rule_code=COMPETITOR_CODE)
    latest = runs.aggregate(m=Max("first_month"))["m"]
    competitor = Q(rule_code=COMPETITOR_CODE, status="open")
    alerts = Alert.objects.filter(customer__in=customers).filter(
        Q(first_month=latest, status="open") | competitor if latest else competitor
    )
    severity_first = Case(
        *(When(severity=s, then=Value(i)) for i, s in enumerate(("high", "medium", "low"))), default=9
    )
    birthdays = KeyPerson.objects.filter(customer__in=active, birthday__month=today.month)
    anniversaries = Subscription.objects.filter(
        customer__in=active, status="active", start__month=today.month, start__year__lt=today.year
    )
    context = {
        "today": today,
        "escalated": list(
            Task.objects.filter(escalated_to=user, status=Task.Status.OPEN)
            .select_related("customer", "assignee", "escalated_to")
            .order_by("due")[:50]
        ),
        "overdue": list(tasks.filter(WHEN["overdue"](today))[:SHOWN]),
        "due_today": list(tasks.filter(WHEN["today"](today))[:SHOWN]),
        "upcoming": list(tasks.filter(WHEN["week"](today))[:SHOWN]),
        "counts": tasks.aggregate(**{name: Count("pk", filter=when(today)) for name, when in WHEN.items()}),
        "new_alerts": _first(alerts.select_related("customer").order_by(severity_first, "customer__name")),
        "tiers": _tier_counts(customers),
        "churn_risks": highest_churn_risks(active),
        "expiring": _first(
            Contract.objects.filter(customer__in=active, end__gte=today, end__lte=today + dt.timedelta(days=90))
            .select_related("customer")
            .order_by("end")
        ),
        "birthdays": _first(birthdays.select_related("customer").order_by("customer__name", "name")),
        "anniversaries": _first(anniversaries.select_related("customer", "product").order_by("customer__name")),
        "plans": development_plans(user),
        **my_kpi(user),
        **workbench_requests(user),
    }
    return render(request, "marketing/workbench.html", context)


@login_required
def task_list_page(request: HttpRequest) -> HttpResponse:
    """All open tasks of one list of the workbench (overdue, today, next 7 days, all), paginated."""
    user: User = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    when = request.GET.get("when", "all")
    if when not in WHEN:
        when = "all"
    tasks = tasks_visible_to(user).filter(WHEN[when](today), status=Task.Status.OPEN).order_by("due", "pk")
    page = Paginator(tasks, 25).get_page(request.GET.get("page"))
    return render(request, "marketing/tasks.html", {"page": page, "when": when, "today": today})


@login_required
def task_close_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    task = tasks_visible_to(user).filter(pk=pk).first()
    if task is None:
        raise Http404("任务不存在或无权查看。")
    error = ""
    if request.method == "POST":
        try:
            task_close(task=task, by=user, outcome=request.POST.get("outcome", ""))
        except ValidationError as err:
            error = " ".join(err.messages)
    return render(request, "marketing/_task.html", {"task": task, "error": error, "today": timezone.localdate()})


@login_required
def interaction_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=customer_id)
    if request.method != "POST":
        return redirect("customers:detail", pk=customer_id)
    people = [(p.pk, p.name) for p in customer.key_persons.all()]
    form = InteractionForm(request.POST, people=people)
    fix = CustomerCorrectionForm(request.POST) if "fix-name" in request.POST else None
    if not form.is_valid() or (fix is not None and not fix.is_valid()):
        messages.error(request, _form_errors(form) + (_form_errors(fix) if fix is not None else ""))
        return redirect("customers:detail", pk=customer_id)
    data = form.cleaned_data
    task = tasks_visible_to(user).filter(pk=data["task"]).first() if data.get("task") else None
    try:
        interaction_log(
            by=user,
            customer=customer,
            kind=data["kind"],
            date=data["date"],
            key_person_ids=data["key_persons"],
            summary=data["summary"],
            outcome=data["outcome"],
            next_step=data["next_step"],
            next_due=data["next_due"],
            task=task,
            corrections=fix.cleaned_data if fix is not None else None,
        )
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        done = gettext("，任务已完成") if task else ""
        messages.success(request, gettext("接触记录已保存") + done + "。")
    return redirect("customers:detail", pk=customer_id)


@login_required
def task_create_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """A task set by hand from the customer page."""
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=customer_id)
    if request.method != "POST":
        return redirect("customers:detail", pk=customer_id)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("customers:detail", pk=customer_id)
    assignee = None
    if request.POST.get("assignee"):
        assignee = User.objects.filter(pk=request.POST["assignee"], role=User.Role.ACCOUNT_MANAGER).first()
    try:
        task = task_create(by=user, customer=customer, assignee=assignee, **form.cleaned_data)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(
            request,
            gettext("已创建任务，负责人 %(name)s，截止 %(due)s。") % {"name": task.assignee, "due": task.due},
        )
    return redirect("customers:detail", pk=customer_id)


def _form_errors(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''}：{' '.join(str(m) for m in e)}"
        for f, e in form.errors.items()
    )


def _first(qs: QuerySet[Any]) -> tuple[list[Any], int]:
    """The first few rows of a workbench panel and how many there are in all."""
    return list(qs[:SHOWN]), qs.count()


def _tier_counts(customers: QuerySet[Customer]) -> dict[str, int]:
    """Customers in service per tier, A+ first; those not yet tiered last."""
    rows = customers.filter(status="active").values("tier").annotate(n=Count("pk"))
    counts = {row["tier"] or "—": row["n"] for row in rows}
    return {t: counts[t] for t in ("A+", "A", "B", "C", "—") if t in counts}
