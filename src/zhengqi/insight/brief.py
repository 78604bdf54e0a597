"""The leadership brief (重要客户信息日报/周报, seed 004): what a regional or provincial manager
should know of their important customers since the last one — A+/A customers at high churn risk or
downgraded, big revenue moves, competitors' moves on them, overdue work escalated, deals won and lost.

One ``Brief`` feeds the page, the e-mail and the PDF; its content is the reader's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.competition.models import CompetitorEvent
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Opportunity, Stage, Task
from zhengqi.scoring.models import CustomerSnapshot, TierChange
from zhengqi.support.models import ServiceRequest
from zhengqi.web.documents import html_to_pdf

IMPORTANT = ("A+", "A")
PERIODS = {"daily": gettext_lazy("日报"), "weekly": gettext_lazy("周报")}
BIG_MOVE = Decimal("0.3")  # a month's revenue 30 % above or below the month before …
BIG_MOVE_FLOOR = Decimal("10000")  # … and by at least ¥10,000
SHOWN = 20


@dataclass
class Brief:
    period: str
    start: dt.date
    end: dt.date  # inclusive
    month: dt.date | None  # the month of the latest scores
    at_risk: list[CustomerSnapshot] = field(default_factory=list)
    downgraded: list[TierChange] = field(default_factory=list)
    revenue_moves: list[dict[str, Any]] = field(default_factory=list)
    competitor_events: list[CompetitorEvent] = field(default_factory=list)
    escalated_tasks: list[Task] = field(default_factory=list)
    escalated_requests: list[ServiceRequest] = field(default_factory=list)
    won: list[Opportunity] = field(default_factory=list)
    lost: list[Opportunity] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("重要客户信息%(period)s（%(start)s 至 %(end)s）") % {
            "period": PERIODS[self.period],
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    @property
    def escalations(self) -> int:
        return len(self.escalated_tasks) + len(self.escalated_requests)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.at_risk,
                self.downgraded,
                self.revenue_moves,
                self.competitor_events,
                self.escalated_tasks,
                self.escalated_requests,
                self.won,
                self.lost,
            )
        )

    def lines(self) -> list[str]:
        """The brief as short sentences (the e-mail's text and the group robot's message)."""
        out = [
            _("A+/A 客户高流失风险：%(n)d 户") % {"n": len(self.at_risk)},
            _("A+/A 客户降级：%(n)d 户") % {"n": len(self.downgraded)},
            _("收入大幅变动：%(n)d 户") % {"n": len(self.revenue_moves)},
            _("竞争对手动向：%(n)d 起") % {"n": len(self.competitor_events)},
            _("逾期升级：任务 %(t)d 项，服务请求 %(r)d 件")
            % {"t": len(self.escalated_tasks), "r": len(self.escalated_requests)},
            _("签约商机 %(won)d 个，丢单 %(lost)d 个") % {"won": len(self.won), "lost": len(self.lost)},
        ]
        for s in self.at_risk[:5]:
            out.append(
                _("· %(name)s（%(tier)s）流失风险 %(risk).0f%%")
                % {"name": s.customer.name, "tier": s.tier, "risk": (s.churn_risk or 0) * 100}
            )
        for c in self.downgraded[:5]:
            out.append(
                _("· %(name)s 由 %(from)s 降为 %(to)s")
                % {"name": c.customer.name, "from": c.from_tier, "to": c.to_tier or "-"}
            )
        return out


def window(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """A daily brief covers yesterday; a weekly one the seven days before today."""
    if period == "weekly":
        return today - dt.timedelta(days=7), today - dt.timedelta(days=1)
    return today - dt.timedelta(days=1), today - dt.timedelta(days=1)


def _day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def brief(user: User, period: str = "daily", *, today: dt.date | None = None) -> Brief:
    if period not in PERIODS:
        period = "daily"
    today = today or timezone.localdate()
    start, end = window(period, today)
    since, until = _day_range(start, end)
    scope = customer_scope(user, prefix="customer__")
    month = CustomerSnapshot.objects.order_by("-month").values_list("month", flat=True).first()
    b = Brief(period=period, start=start, end=end, month=month)
    if month is not None:
        latest = CustomerSnapshot.objects.filter(scope, month=month).select_related("customer")
        b.at_risk = list(latest.filter(tier__in=IMPORTANT, churn_band="high").order_by("-churn_risk")[:SHOWN])
        changes = TierChange.objects.filter(scope, month=month, from_tier__in=IMPORTANT).select_related("customer")
        b.downgraded = [c for c in changes.order_by("customer__name") if _lower(c.from_tier, c.to_tier)][:SHOWN]
        b.revenue_moves = _revenue_moves(latest.filter(tier__in=IMPORTANT))
    b.competitor_events = list(
        CompetitorEvent.objects.filter(
            date__range=(start, end), customers__in=Customer.objects.filter(customer_scope(user))
        )
        .distinct()
        .order_by("-date")[:SHOWN]
    )
    b.escalated_tasks = list(
        Task.objects.filter(scope, escalated_at__gte=since, escalated_at__lt=until)
        .select_related("customer", "assignee")
        .order_by("due")[:SHOWN]
    )
    b.escalated_requests = list(
        ServiceRequest.objects.filter(scope, escalated_at__gte=since, escalated_at__lt=until)
        .select_related("customer", "department")
        .order_by("due_at")[:SHOWN]
    )
    deals = Opportunity.objects.filter(scope, updated_at__gte=since, updated_at__lt=until).select_related(
        "customer", "owner"
    )
    b.won = list(
        deals.filter(stage__in=[Stage.SIGNED, Stage.DELIVERY, Stage.AFTERCARE]).order_by("-expected_revenue")[:SHOWN]
    )
    b.lost = list(deals.filter(stage=Stage.LOST).order_by("-expected_revenue")[:SHOWN])
    return b


_ORDER = {"A+": 0, "A": 1, "B": 2, "C": 3, "": 4}


def _lower(before: str, after: str) -> bool:
    return _ORDER.get(after, 4) > _ORDER.get(before, 4)


def _revenue_moves(latest: Any) -> list[dict[str, Any]]:
    moves = []
    for s in (
        latest.filter(~Q(features={}))
        .only("customer", "tier", "features")
        .select_related("customer")
        .iterator(chunk_size=1000)
    ):
        now, before = s.features.get("revenue"), s.features.get("revenue_prev")
        if now is None or not before:
            continue
        now, before = Decimal(str(now)), Decimal(str(before))
        change = now - before
        if abs(change) >= BIG_MOVE_FLOOR and abs(change) >= BIG_MOVE * abs(before):
            moves.append(
                {
                    "customer": s.customer,
                    "tier": s.tier,
                    "now": now,
                    "before": before,
                    "change": change,
                    "ratio": change / before,
                }
            )
    moves.sort(key=lambda m: -abs(m["change"]))
    return moves[:SHOWN]


def brief_html(b: Brief, user: User, *, for_pdf: bool = False) -> str:
    return render_to_string("insight/brief_body.html", {"b": b, "reader": user, "for_pdf": for_pdf})


def brief_pdf(b: Brief, user: User) -> bytes:
    return html_to_pdf(render_to_string("insight/brief_pdf.html", {"b": b, "reader": user}))


def brief_readers() -> list[User]:
    """Regional managers and provincial admins with an e-mail address."""
    return list(
        User.objects.filter(is_active=True, role__in=[User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN])
        .exclude(email="")
        .select_related("region")
        .order_by("pk")
    )


def briefs_send(period: str, today: dt.date) -> tuple[int, int]:
    """Queue the brief for every reader (an e-mail with the PDF attached) and post its summary to
    each reader's region's 企业微信 robot (once a region). A re-run the same day queues nothing
    again. Returns (e-mails, robot messages)."""
    from django.conf import settings
    from django.utils import translation

    from zhengqi.notifications.models import Delivery
    from zhengqi.notifications.services import email_queue, site_url, webhook_for, wecom_queue

    mails = posts = 0
    posted: set[str] = set()
    with translation.override(settings.LANGUAGE_CODE):
        for reader in brief_readers():
            b = brief(reader, period, today=today)
            subject = _("【政企】%(title)s") % {"title": b.title}
            if Delivery.objects.filter(to=reader.email, subject=subject).exists():
                continue
            link = site_url(f"/insight/brief/?period={period}")
            text = "\n".join([b.title, *b.lines(), "", _("查看：") + link])
            email_queue(
                to=reader.email,
                subject=subject,
                text=text,
                html=render_to_string("insight/brief_email.html", {"b": b, "reader": reader, "url": link}),
                attachment=(f"brief-{period}-{b.end:%Y%m%d}.pdf", brief_pdf(b, reader)),
            )
            mails += 1
            hook = webhook_for(reader.region)
            if hook and hook[0] not in posted and reader.region and hook[0] == reader.region.code:
                posted.add(hook[0])
                wecom_queue(region=reader.region, subject=b.title, text="\n".join(f"> {line}" for line in b.lines()))
                posts += 1
    return mails, posts
