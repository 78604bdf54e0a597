"""The jobs the built-in scheduler runs (``zhengqi scheduler``), each with its default time; the
provincial admin changes the times on the 定时任务 page. Each job is the same service its command or
page runs, is safe to run twice, and ends by sending what it queued."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqi.competition.reaction import supervise_teams
from zhengqi.engine.lake import Lake
from zhengqi.engine.months import Month
from zhengqi.insight.brief import briefs_send
from zhengqi.marketing.tasks.services import tasks_escalate
from zhengqi.notifications.schedules import Job, register
from zhengqi.notifications.services import deliveries_send
from zhengqi.partners.settlement import settle
from zhengqi.scoring.models import MonthRun
from zhengqi.scoring.month_run import month_run_enqueue
from zhengqi.support.requests import supervise

from .digest import digests_send


def _local(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


def _then_send(outcome: str, now: dt.datetime) -> str:
    sent = deliveries_send(now=now)
    return f"{outcome}；{sent}" if sent.sent or sent.failed else outcome


def escalate(now: dt.datetime) -> str:
    n = tasks_escalate(today=_local(now).date())
    return _then_send(_("已上报逾期任务 %(n)d 项") % {"n": n}, now)


def supervise_requests(now: dt.datetime) -> str:
    n = supervise(now)
    teams = supervise_teams(now)
    return _then_send(_("新升级超时服务请求 %(n)d 条，超时未响应的快速反应小组 %(t)d 个") % {"n": n, "t": teams}, now)


def deliver(now: dt.datetime) -> str:
    return str(deliveries_send(now=now))


def morning_digest(now: dt.datetime) -> str:
    n = digests_send(_local(now).date())
    return _then_send(_("已生成每日摘要 %(n)d 份") % {"n": n}, now)


def brief_daily(now: dt.datetime) -> str:
    mails, posts = briefs_send("daily", _local(now).date())
    return _then_send(_("重要客户信息日报：邮件 %(m)d 封，企业微信 %(p)d 条") % {"m": mails, "p": posts}, now)


def brief_weekly(now: dt.datetime) -> str:
    mails, posts = briefs_send("weekly", _local(now).date())
    return _then_send(_("重要客户信息周报：邮件 %(m)d 封，企业微信 %(p)d 条") % {"m": mails, "p": posts}, now)


def month_run_when_ready(now: dt.datetime) -> str:
    """On a working day (Monday to Friday), run the newest month whose facts are in the lake and that
    has no successful run yet, once (a run queued or running is not started again)."""
    day = _local(now).date()
    if day.weekday() >= 5:
        return _("今天不是工作日，不运行。")
    months = Lake(settings.ZHENGQI_LAKE).months("customer_month")
    if not months:
        return _("数据湖中还没有客户月度数据。")
    newest = Month.parse(months[-1]).first
    done = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).aggregate(m=Max("month"))["m"]
    if done is not None and done >= newest:
        return _("%(month)s 已运行，没有新到的数据。") % {"month": f"{newest:%Y-%m}"}
    busy = MonthRun.objects.filter(month=newest, status__in=[MonthRun.Status.QUEUED, MonthRun.Status.RUNNING])
    if busy.exists():
        return _("%(month)s 的月度运行已在进行中。") % {"month": f"{newest:%Y-%m}"}
    record = month_run_enqueue(month=newest, by=None)
    return _then_send(
        _("已启动 %(month)s 月度运行（%(status)s）")
        % {"month": f"{newest:%Y-%m}", "status": record.get_status_display()},
        now,
    )


def settle_last_month(now: dt.datetime) -> str:
    """The partners' statements of the month that ended (drafts recomputed; approved ones kept)."""
    last = (_local(now).date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    result = settle(last, today=_local(now).date())
    return _("%(month)s 结算：%(n)d 张结算单待审批，%(frozen)d 张已审批") % {
        "month": f"{result.month:%Y-%m}",
        "n": result.drafts,
        "frozen": result.frozen,
    }


def register_jobs() -> None:
    for job in (
        Job(
            "escalate-tasks",
            gettext_lazy("逾期任务上报"),
            "0 7 * * *",
            escalate,
            gettext_lazy("逾期未办的任务上报给所在区域经理，并通知。"),
        ),
        Job(
            "supervise",
            gettext_lazy("服务请求与快速反应超时督办"),
            "*/5 * * * *",
            supervise_requests,
            gettext_lazy("超过处理时限的服务请求升级给部门负责人；超过首次响应时限的快速反应小组督办给区域经理。"),
        ),
        Job(
            "deliver",
            gettext_lazy("发送邮件与企业微信消息"),
            "* * * * *",
            deliver,
            gettext_lazy("发送待发的通知邮件、摘要和简报；失败的按间隔重试。"),
        ),
        Job(
            "digest",
            gettext_lazy("客户经理每日摘要"),
            "30 7 * * 1-5",
            morning_digest,
            gettext_lazy("工作日早上给客户经理发送当天的任务、预警、到期协议和生日提醒。"),
        ),
        Job(
            "brief-daily",
            gettext_lazy("重要客户信息日报"),
            "0 8 * * 1-5",
            brief_daily,
            gettext_lazy("给区域经理和省公司管理员发送昨天的重要客户信息（邮件附 PDF）。"),
        ),
        Job(
            "brief-weekly",
            gettext_lazy("重要客户信息周报"),
            "0 8 * * 1",
            brief_weekly,
            gettext_lazy("每周一发送上周的重要客户信息。"),
        ),
        Job(
            "settle",
            gettext_lazy("代理商月度结算"),
            "0 6 3 * *",
            settle_last_month,
            gettext_lazy("每月 3 日计算上月的代理商结算单（待审批的重算，已审批的不变）。"),
        ),
        Job(
            "month-run",
            gettext_lazy("月度运行"),
            "0 6 * * *",
            month_run_when_ready,
            gettext_lazy("数据到齐后的第一个工作日自动运行最新月份（已运行的不再运行）。"),
        ),
    ):
        register(job)
