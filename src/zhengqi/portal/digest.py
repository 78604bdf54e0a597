"""The account manager's morning digest (每日摘要): today's and overdue tasks, new alerts, agreements
ending, birthdays this week, and the notifications the user chose to receive this way — one e-mail a
working day, sent by the scheduler; nothing is sent to someone with nothing to do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.notifications.models import Channel, Delivery, Notification, Preference
from zhengqi.notifications.services import digest_kinds, email_queue, site_url

from .selectors import workbench


def digest(user: User, today: dt.date) -> dict[str, Any] | None:
    """What the user's digest of ``today`` says, or None when there is nothing to say."""
    w = workbench(user, today)
    since = timezone.now() - dt.timedelta(days=1)
    notes = list(
        Notification.objects.filter(
            user=user, read_at__isnull=True, created_at__gte=since, kind__in=digest_kinds(user)
        ).order_by("-created_at")[:30]
    )
    birthdays = [p for p in w["birthdays"][0] if _within_week(p.birthday, today)]
    counts = w["counts"]
    context = {
        "user": user,
        "today": today,
        "overdue": w["overdue"],
        "due_today": w["due_today"],
        "counts": counts,
        "escalated": w["escalated"],
        "new_alerts": w["new_alerts"],
        "expiring": w["expiring"],
        "birthdays": birthdays,
        "notes": notes,
        "url": site_url("/workbench/"),
    }
    busy = counts.get("overdue") or counts.get("today") or w["escalated"] or w["new_alerts"][1] or birthdays or notes
    return context if busy or w["expiring"][1] else None


def _within_week(birthday: dt.date | None, today: dt.date) -> bool:
    if birthday is None:
        return False
    for days in range(7):
        d = today + dt.timedelta(days=days)
        if (birthday.month, birthday.day) == (d.month, d.day):
            return True
    return False


def digest_recipients() -> list[User]:
    """Account managers, and anyone who chose the digest for some kind, with an e-mail address."""
    chose = Preference.objects.filter(channel=Channel.DIGEST).values("user_id")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role=User.Role.ACCOUNT_MANAGER) | Q(pk__in=chose))
        .exclude(email="")
        .select_related("region")
        .order_by("pk")
    )


def digests_send(today: dt.date) -> int:
    """Queue today's digest for every recipient who has something to do (once a day: a re-run
    queues nothing again). Returns how many were queued."""
    queued = 0
    for user in digest_recipients():
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【政企】%(date)s 每日工作摘要") % {"date": today.isoformat()}
            if Delivery.objects.filter(to=user.email, subject=subject).exists():
                continue
            context = digest(user, today)
            if context is None:
                continue
            email_queue(
                to=user.email,
                subject=subject,
                text=render_to_string("portal/digest.txt", context),
                html=render_to_string("portal/digest.html", context),
            )
        queued += 1
    return queued
