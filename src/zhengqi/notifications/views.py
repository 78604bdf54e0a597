"""Pages: the notification centre (list, read, settings) and the provincial admin's 定时任务 page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.forms import form_errors

from .models import Channel, Kind
from .schedules import runs_of, schedule_run_now, schedule_update, schedules
from .services import (
    delivery_health,
    notification_read,
    notifications_of,
    notifications_read_all,
    preferences_of,
    preferences_set,
)


def notifications_page(request: AuthedRequest) -> HttpResponse:
    unread = request.GET.get("show") == "unread"
    page = Paginator(notifications_of(request.user, unread=unread), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread": unread})


@require_POST
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark read and go to what it is about (a link inside Zhengqi only)."""
    n = notification_read(user=request.user, pk=pk)
    if n.link and url_has_allowed_host_and_scheme(n.link, allowed_hosts=None) and n.link.startswith("/"):
        return redirect(n.link)
    return redirect("notifications:list")


@require_POST
def notifications_read(request: AuthedRequest) -> HttpResponse:
    n = notifications_read_all(user=request.user)
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
    return redirect("notifications:list")


def preferences_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        choices = {k.value: request.POST.get(k.value, "") for k in Kind if k.value in request.POST}
        try:
            preferences_set(user=user, choices=choices)
        except ValidationError as err:
            errors = form_errors(err)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notifications:settings")
    chosen = preferences_of(user)
    rows = [(k, chosen[k.value]) for k in Kind]
    return render(
        request,
        "notifications/settings.html",
        {"rows": rows, "channels": Channel.choices, "errors": errors, "has_email": bool(user.email)},
    )


def schedules_page(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "notifications/schedules.html",
        {"schedules": schedules(), "runs": runs_of()[:30], "health": delivery_health()},
    )


@require_POST
def schedule_edit(request: AuthedRequest, job: str) -> HttpResponse:
    try:
        schedule_update(
            by=request.user, job=job, cron=request.POST.get("cron", ""), enabled=request.POST.get("enabled") == "on"
        )
    except ValidationError as err:
        for texts in form_errors(err).values():
            for text in texts:
                messages.error(request, text)
    else:
        messages.success(request, _("定时任务已更新。"))
    return redirect("notifications:schedules")


@require_POST
def schedule_run(request: AuthedRequest, job: str) -> HttpResponse:
    schedule_run_now(by=request.user, job=job)
    messages.success(request, _("已提交执行；结果见下方执行记录。"))
    return redirect("notifications:schedules")
