"""The account manager's actions from the workbench and the customer's page: the task lists, closing
a task, logging a contact (with corrections to the customer record), setting a task by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import account_manager_get, account_managers_visible_to, customer_get
from zhengqi.marketing.tasks.forms import CustomerCorrectionForm, InteractionForm, TaskForm
from zhengqi.marketing.tasks.selectors import (
    BACKLOG_COLUMNS,
    TASK_COLUMNS,
    WHEN,
    backlog_rows,
    open_tasks,
    task_backlog,
    task_rows,
    tasks_visible_to,
)
from zhengqi.marketing.tasks.services import (
    BulkAction,
    interaction_log,
    interaction_photo_open,
    task_close,
    task_create,
    task_take,
    tasks_bulk,
)
from zhengqi.scoring.selectors import alerts_visible_to
from zhengqi.web.exports import FORMATS, TableExport, check_size, export_response
from zhengqi.web.forms import form_message, parse_ids


@login_required
def task_list_page(request: AuthedRequest) -> HttpResponse:
    """All open tasks of one list of the workbench (overdue, today, next 7 days, all), paginated."""
    when = request.GET.get("when", "all")
    if when not in WHEN:
        when = "all"
    user = request.user
    page = Paginator(open_tasks(user, when=when), 25).get_page(request.GET.get("page"))
    manager = user.is_superuser or user.role in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN)
    context = {
        "page": page,
        "when": when,
        "today": timezone.localdate(),
        "bulk": True,
        "manager": manager,
        "managers": account_managers_visible_to(user) if manager else [],
    }
    return render(request, "marketing/tasks.html", context)


@login_required
def tasks_bulk_view(request: AuthedRequest) -> HttpResponse:
    """From the task list: reassign, reschedule or cancel the ticked tasks (managers, with a reason),
    or close them with one outcome — all or none."""
    user = request.user
    back = request.POST.get("next") or "/marketing/tasks/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/marketing/tasks/"
    if request.method != "POST":
        return redirect(back)
    action = request.POST.get("action", "")
    to = account_manager_get(request.POST.get("to")) if action == BulkAction.REASSIGN else None
    if action == BulkAction.REASSIGN and to is None and request.POST.get("to") == str(user.pk):
        to = user  # a manager takes the tasks themself
    try:
        due = dt.date.fromisoformat(request.POST["due"]) if request.POST.get("due") else None
    except ValueError:
        due = None
    try:
        n = tasks_bulk(
            by=user,
            task_ids=parse_ids(request.POST.getlist("task")),
            action=action,
            reason=request.POST.get("reason", "")[:500],
            to=to,
            due=due,
        )
    except ValidationError as err:
        messages.error(request, gettext("未做任何调整：") + "；".join(err.messages))
    else:
        done = {
            BulkAction.REASSIGN: gettext("已将 %(n)d 项任务转给 %(name)s。"),
            BulkAction.RESCHEDULE: gettext("已将 %(n)d 项任务改期至 %(due)s。"),
            BulkAction.CANCEL: gettext("已取消 %(n)d 项任务。"),
            BulkAction.CLOSE: gettext("已完成 %(n)d 项任务。"),
        }[action]
        messages.success(request, done % {"n": n, "name": to, "due": due})
    return redirect(back)


@login_required
def task_backlog_page(request: AuthedRequest) -> HttpResponse:
    """The backlog (待办池): alerts worth a task that did not fit in a month run's capacity, highest
    priority first; an account manager or a regional manager takes one as a task."""
    page = Paginator(task_backlog(request.user), 25).get_page(request.GET.get("page"))
    may_take = request.user.role in ("account_manager", "regional_manager")
    return render(request, "marketing/backlog.html", {"page": page, "may_take": may_take})


@login_required
def task_take_view(request: AuthedRequest, alert_id: int) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        return redirect("marketing:backlog")
    alert = task_backlog(user).filter(pk=alert_id).first()
    if alert is None:
        if not alerts_visible_to(user).filter(pk=alert_id).exists():
            raise Http404("预警不存在或无权查看。")
        messages.error(request, gettext("该预警已有任务或已消除，不在待办池中。"))
        return redirect("marketing:backlog")
    try:
        task = task_take(alert=alert, by=user)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(
            request,
            gettext("已领取：%(customer)s · %(title)s，截止 %(due)s。")
            % {"customer": alert.customer.name, "title": task.title, "due": task.due},
        )
    return redirect("marketing:backlog")


@login_required
def task_close_fragment(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
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
def interaction_create(request: AuthedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    if request.method != "POST":
        return redirect("customers:detail", pk=customer_id)
    people = [(p.pk, p.name) for p in customer.key_persons.all()]
    form = InteractionForm(request.POST, request.FILES, people=people)
    fix = CustomerCorrectionForm(request.POST) if "fix-name" in request.POST else None
    if not form.is_valid() or (fix is not None and not fix.is_valid()):
        messages.error(request, form_message(form) + (form_message(fix) if fix is not None else ""))
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
            photo=data.get("photo"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        done = gettext("，任务已完成") if task else ""
        messages.success(request, gettext("接触记录已保存") + done + "。")
    return redirect("customers:detail", pk=customer_id)


@login_required
def task_create_view(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """A task set by hand from the customer page."""
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    if request.method != "POST":
        return redirect("customers:detail", pk=customer_id)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_message(form))
        return redirect("customers:detail", pk=customer_id)
    assignee = None
    if request.POST.get("assignee"):
        assignee = account_manager_get(request.POST["assignee"])
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


@login_required
def task_list_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """The open tasks of one list (overdue, today, next 7 days, all) as Excel or CSV."""
    when = request.GET.get("when", "all")
    tasks = open_tasks(request.user, when=when if when in WHEN else "all")
    labels = {
        "overdue": gettext("逾期"),
        "today": gettext("今日"),
        "week": gettext("未来 7 天"),
        "all": gettext("全部"),
    }
    filters = [gettext("待办任务：%(w)s") % {"w": labels.get(when, gettext("全部"))}]
    return _export(request, fmt, gettext("待办任务"), TASK_COLUMNS, tasks, task_rows, filters)


@login_required
def backlog_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """The backlog (alerts worth a task that have none) as Excel or CSV, highest priority first."""
    return _export(request, fmt, gettext("待办池"), BACKLOG_COLUMNS, task_backlog(request.user), backlog_rows, [])


def _export(
    request: AuthedRequest, fmt: str, title: str, columns: list[Any], qs: Any, rows: Any, filters: list[str]
) -> HttpResponseBase:
    back = request.META.get("HTTP_REFERER") or "/marketing/tasks/"
    try:
        if fmt not in FORMATS:
            raise ValidationError(gettext("导出格式应为 xlsx 或 csv。"))
        n = qs.count()
        check_size(n)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect(back if back.startswith("/") else "/marketing/tasks/")
    log_export(by=request.user, what=title, fmt=fmt, rows=n, request=request)
    table = TableExport(title, [str(c) for c in columns], rows(qs), filters)
    return export_response(table, fmt, title + timezone.localdate().strftime("%Y%m%d"))


def interaction_photo(request: AuthedRequest, pk: int) -> FileResponse:
    """A visit's photo, shown inline to whoever may see the customer."""
    handle, name = interaction_photo_open(by=request.user, pk=pk)
    return FileResponse(handle, filename=name, as_attachment=False)
