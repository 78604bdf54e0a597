"""Notifications and schedules in the REST API: the same services as the pages."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

from .models import Notification, Schedule, ScheduleRun
from .schedules import JOBS, runs_of, schedule_run_now, schedule_update, schedules
from .services import (
    notification_read,
    notifications_of,
    notifications_read_all,
    preferences_of,
    preferences_set,
    unread_count,
)

router = Router()

KindName = Literal[
    "escalation",
    "approval_waiting",
    "approval_decided",
    "task_assigned",
    "customer_risk",
    "request_assigned",
    "competitor",
    "statement",
    "reaction",
    "referral",
]
ChannelName = Literal["in_app", "email", "digest"]


class NotificationOut(Schema):
    id: int
    kind: KindName
    kind_label: str
    title: str
    body: str
    link: str = Field(description="站内页面地址")
    created_at: dt.datetime
    read_at: dt.datetime | None


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


class NotificationFilter(Schema):
    unread: bool = Field(False, description="只看未读")


@router.get("/notifications", response=list[NotificationOut], summary="我的通知（最新在前）")
@paginate(Pages, page_size=50)
def notification_list(request: AuthedRequest, filters: Query[NotificationFilter]) -> Any:
    return Converted(notifications_of(request.user, unread=filters.unread), notification_out)


class UnreadOut(Schema):
    unread: int


@router.get("/notifications/unread-count", response=UnreadOut, summary="未读通知数（铃铛）")
def notification_unread(request: AuthedRequest) -> Any:
    return {"unread": unread_count(request.user)}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, 404: Detail}, summary="标为已读")
def notification_mark(request: AuthedRequest, notification_id: int) -> Any:
    return notification_out(notification_read(user=request.user, pk=notification_id))


class ReadAllOut(Schema):
    marked: int


@router.post("/notifications/read-all", response=ReadAllOut, summary="全部标为已读")
def notification_mark_all(request: AuthedRequest) -> Any:
    return {"marked": notifications_read_all(user=request.user)}


class PreferencesOut(Schema):
    channels: dict[KindName, ChannelName] = Field(
        description="每类通知的接收方式：in_app 仅站内，email 站内并发邮件，digest 并入每日摘要邮件"
    )


@router.get("/notifications/preferences", response=PreferencesOut, summary="我的通知设置")
def preference_get(request: AuthedRequest) -> Any:
    return {"channels": preferences_of(request.user)}


class PreferencesIn(Schema):
    channels: dict[KindName, ChannelName]


@router.put("/notifications/preferences", response={200: PreferencesOut, 422: Detail}, summary="修改通知设置")
def preference_put(request: AuthedRequest, payload: PreferencesIn) -> Any:
    return {
        "channels": preferences_set(user=request.user, choices={str(k): str(v) for k, v in payload.channels.items()})
    }


class ScheduleOut(Schema):
    job: str
    label: str
    description: str
    cron: str
    enabled: bool
    next_run_at: dt.datetime | None
    last_run: dt.datetime | None
    last_ok: bool | None
    last_outcome: str


def schedule_out(job: str, s: Schedule | None) -> dict[str, Any]:
    j = JOBS[job]
    last = runs_of(job).first() if s else None
    return {
        "job": job,
        "label": str(j.label),
        "description": str(j.help),
        "cron": s.cron if s else j.cron,
        "enabled": s.enabled if s else True,
        "next_run_at": s.next_run_at if s else None,
        "last_run": last.started_at if last else None,
        "last_ok": last.ok if last else None,
        "last_outcome": last.outcome if last else "",
    }


@router.get("/schedules", response=list[ScheduleOut], summary="定时任务（省公司管理员）")
def schedule_list(request: AuthedRequest) -> Any:
    return [schedule_out(j.name, s) for j, s in schedules()]


class ScheduleIn(Schema):
    cron: str | None = Field(None, description="5 段 cron 表达式（分 时 日 月 周），北京时间", max_length=100)
    enabled: bool | None = None


@router.patch("/schedules/{job}", response={200: ScheduleOut, 404: Detail, 422: Detail}, summary="修改定时任务")
def schedule_patch(request: AuthedRequest, job: str, payload: ScheduleIn) -> Any:
    s = schedule_update(by=request.user, job=job, cron=payload.cron, enabled=payload.enabled)
    return schedule_out(job, s)


class ScheduleRunOut(Schema):
    job: str
    label: str
    trigger: Literal["scheduled", "manual"]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    ok: bool | None
    outcome: str


def run_out(r: ScheduleRun) -> dict[str, Any]:
    return {
        "job": r.schedule.job,
        "label": r.label,
        "trigger": r.trigger,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "ok": r.ok,
        "outcome": r.outcome,
    }


@router.post("/schedules/{job}/run", response={202: Detail, 404: Detail}, summary="立即执行一个定时任务（后台）")
def schedule_run(request: AuthedRequest, job: str) -> Any:
    schedule_run_now(by=request.user, job=job)
    return Status(202, {"detail": "已提交执行；结果见执行记录。"})


class RunFilter(Schema):
    job: str | None = Field(None, description="只看这个任务的")


@router.get("/schedule-runs", response=list[ScheduleRunOut], summary="定时任务执行记录（最新在前）")
@paginate(Pages, page_size=50)
def schedule_runs(request: AuthedRequest, filters: Query[RunFilter]) -> Any:
    return Converted(runs_of(filters.job), run_out)
