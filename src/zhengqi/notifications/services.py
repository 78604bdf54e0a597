"""Telling people: ``notify`` records a notification for each user and, where the user chose e-mail
for its kind, queues the message; ``deliveries_send`` sends what is queued (e-mail through Django's
e-mail framework, a region's 企业微信 group robot over HTTPS) and keeps each failure with a retry
time, so that an unreachable mail server loses nothing: the notification is in the app anyway."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengqi.accounts.models import Region, User

from .models import DEFAULT_CHANNEL, Channel, Delivery, Kind, Notification, Preference

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = [dt.timedelta(minutes=m) for m in (1, 5, 15, 60)]  # after the 1st, 2nd, … failure
LEASE = dt.timedelta(minutes=10)  # a message being sent is not picked up again meanwhile


def site_url(path: str) -> str:
    return settings.ZHENGQI_SITE_URL.rstrip("/") + path if path.startswith("/") else path


# --- notifications ----------------------------------------------------------------------------------


def notify(
    users: Iterable[User | int | None], kind: Kind, title: str, *, body: str = "", link: str = "", key: str = ""
) -> int:
    """Notify each of ``users`` (None and repeats skipped) of one fact; with a ``key``, a user who was
    already told of it (a re-run) is not told again. Returns how many were told now."""
    ids = {u.pk if isinstance(u, User) else u for u in users if u is not None}
    if not ids:
        return 0
    if key:
        ids -= set(Notification.objects.filter(user_id__in=ids, key=key).values_list("user_id", flat=True))
    rows = [Notification(user_id=i, kind=kind, title=title[:200], body=body, link=link, key=key) for i in sorted(ids)]
    if key:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        rows = list(Notification.objects.filter(user_id__in=ids, key=key))
    else:
        Notification.objects.bulk_create(rows)
    _queue_emails(rows)
    return len(rows)


@dataclass(frozen=True)
class Note:
    user_id: int
    title: str
    body: str = ""
    link: str = ""
    key: str = ""


def notify_each(kind: Kind, notes: list[Note]) -> int:
    """Many notifications of one kind at once (a month run's), in a few queries; each note's ``key``
    (required) once a user, as ``notify``. Returns how many were made now."""
    if any(not n.key for n in notes):
        raise ValueError("notify_each needs a key on every note")
    users, keys = {n.user_id for n in notes}, {n.key for n in notes}
    told = set(Notification.objects.filter(user_id__in=users, key__in=keys).values_list("user_id", "key"))
    fresh = {(n.user_id, n.key): n for n in notes if (n.user_id, n.key) not in told}
    rows = [
        Notification(user_id=n.user_id, kind=kind, title=n.title[:200], body=n.body, link=n.link, key=n.key)
        for n in fresh.values()
    ]
    Notification.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    made = (
        [
            n  # only the pairs made now: the query's user × key cross may hold older ones
            for n in Notification.objects.filter(user_id__in=users, key__in=keys)
            if (n.user_id, n.key) in fresh
        ]
        if rows
        else []
    )
    _queue_emails(made)
    return len(rows)


def _queue_emails(rows: list[Notification]) -> None:
    chosen = (
        dict(
            Preference.objects.filter(user_id__in={n.user_id for n in rows}, kind=rows[0].kind).values_list(
                "user_id", "channel"
            )
        )
        if rows
        else {}
    )
    default = DEFAULT_CHANNEL.get(Kind(rows[0].kind), Channel.IN_APP) if rows else Channel.IN_APP
    wanted = [n for n in rows if chosen.get(n.user_id, default) == Channel.EMAIL]
    if not wanted:
        return
    address = dict(
        User.objects.filter(pk__in={n.user_id for n in wanted}, is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    Delivery.objects.bulk_create(
        [
            Delivery(notification=n, **_email_of(n.title, n.body, n.link), to=address[n.user_id])
            for n in wanted
            if n.user_id in address
        ]
    )


def _email_of(title: str, body: str, link: str) -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        context = {"title": title, "body": body, "url": site_url(link) if link else ""}
        return {
            "medium": Delivery.Medium.EMAIL,
            "subject": _("【政企】%(title)s") % {"title": title},
            "text": render_to_string("notifications/email.txt", context),
            "html": render_to_string("notifications/email.html", context),
        }


def notifications_of(user: User, *, unread: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_read(*, user: User, pk: int) -> Notification:
    """Mark one of the user's notifications read (another's answers 404, as if it did not exist)."""
    n = Notification.objects.filter(user=user, pk=pk).first()
    if n is None:
        raise Http404(_("通知不存在。"))
    if n.read_at is None:
        n.read_at = timezone.now()
        n.save(update_fields=["read_at"])
    return n


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ------------------------------------------------------------------------------------


def preferences_of(user: User) -> dict[str, str]:
    """Each kind's channel for the user: the one chosen, else the default."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "channel"))
    return {k.value: chosen.get(k.value, DEFAULT_CHANNEL.get(k, Channel.IN_APP).value) for k in Kind}


@transaction.atomic
def preferences_set(*, user: User, choices: dict[str, str]) -> dict[str, str]:
    """Set the channel of some kinds at once; an unknown kind or channel changes nothing."""
    bad = [k for k in choices if k not in Kind.values] + [v for v in choices.values() if v not in Channel.values]
    if bad:
        raise ValidationError(_("无法识别的通知类别或接收方式：%(items)s") % {"items": "、".join(map(str, bad))})
    if not user.email and (Channel.EMAIL in choices.values() or Channel.DIGEST in choices.values()):
        raise ValidationError(_("您的账号没有登记邮箱，无法接收邮件；请联系管理员登记邮箱。"))
    for kind, channel in choices.items():
        Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
    return preferences_of(user)


def digest_kinds(user: User) -> list[str]:
    return [k for k, c in preferences_of(user).items() if c == Channel.DIGEST]


# --- outgoing messages ------------------------------------------------------------------------------


def email_queue(
    *, to: str, subject: str, text: str, html: str = "", attachment: tuple[str, bytes] | None = None
) -> Delivery:
    """Queue one e-mail that is not a notification's (a digest, a brief)."""
    name, data = attachment or ("", None)
    return Delivery.objects.create(
        medium=Delivery.Medium.EMAIL,
        to=to,
        subject=subject[:200],
        text=text,
        html=html,
        attachment_name=name,
        attachment=data,
    )


def webhook_for(region: Region | None) -> tuple[str, str] | None:
    """The 企业微信 robot of the region or of the nearest region above it that has one: (code, URL)."""
    hooks: dict[str, str] = settings.ZHENGQI_WECOM_WEBHOOKS
    if region is None or not hooks:
        return None
    for code in reversed([c for c in region.path.split("/") if c]):
        if code in hooks:
            return code, hooks[code]
    return None


def wecom_queue(*, region: Region | None, subject: str, text: str) -> Delivery | None:
    """Queue a markdown message to the region's group robot (nothing where no robot is set)."""
    hook = webhook_for(region)
    if hook is None:
        return None
    return Delivery.objects.create(medium=Delivery.Medium.WECOM, to=hook[0], subject=subject[:200], text=text)


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0  # failed this time (to be retried, or given up)

    def __str__(self) -> str:
        return _("发送 %(sent)d 条，失败 %(failed)d 条") % {"sent": self.sent, "failed": self.failed}


def deliveries_due(now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=Delivery.Status.PENDING).filter(
        Q(next_try_at__isnull=True) | Q(next_try_at__lte=now)
    )


def deliveries_send(*, now: dt.datetime | None = None, limit: int = 1000) -> Sent:
    """Send the messages that are due; each is claimed first (two senders never send one twice)."""
    now = now or timezone.now()
    result = Sent()
    due = list(deliveries_due(now).order_by("pk")[:limit])
    if not due:
        return result
    connection = get_connection()
    try:
        for d in due:
            claimed = Delivery.objects.filter(pk=d.pk, status=Delivery.Status.PENDING, attempts=d.attempts).update(
                attempts=F("attempts") + 1, next_try_at=now + LEASE
            )
            if not claimed:
                continue
            d.attempts += 1
            try:
                if d.medium == Delivery.Medium.EMAIL:
                    _send_email(d, connection)
                else:
                    _send_wecom(d)
            except Exception as err:  # any failure of the channel is recorded, never raised to the job
                result.failed += 1
                _failed(d, err, now)
            else:
                result.sent += 1
                Delivery.objects.filter(pk=d.pk).update(
                    status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
                )
    finally:
        with contextlib.suppress(Exception):  # a connection that never opened has nothing to close
            connection.close()
    return result


def _failed(d: Delivery, err: Exception, now: dt.datetime) -> None:
    message = f"{type(err).__name__}: {err}"[:1000]
    final = d.attempts >= MAX_ATTEMPTS
    log.warning(
        "delivery %s to %s failed (attempt %s%s): %s", d.pk, d.to, d.attempts, ", given up" if final else "", message
    )
    Delivery.objects.filter(pk=d.pk).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
        next_try_at=None if final else now + RETRY_AFTER[min(d.attempts, len(RETRY_AFTER)) - 1],
        last_error=message,
    )


def _send_email(d: Delivery, connection: object) -> None:
    message = EmailMultiAlternatives(d.subject, d.text, settings.DEFAULT_FROM_EMAIL, [d.to], connection=connection)
    if d.html:
        message.attach_alternative(d.html, "text/html")
    if d.attachment_name and d.attachment is not None:
        message.attach(d.attachment_name, bytes(d.attachment), "application/pdf")
    message.send()


def _send_wecom(d: Delivery) -> None:
    url = settings.ZHENGQI_WECOM_WEBHOOKS.get(d.to)
    if not url:
        raise ValueError(_("区域 %(code)s 没有配置企业微信群机器人地址。") % {"code": d.to})
    if not url.startswith(("https://", "http://")):
        raise ValueError(_("企业微信群机器人地址应以 https:// 开头：%(url)s") % {"url": url})
    payload = {"msgtype": "markdown", "markdown": {"content": f"**{d.subject}**\n{d.text}"[:4000]}}
    request = urllib.request.Request(  # noqa: S310 — the scheme is checked above
        url, data=json.dumps(payload, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=settings.EMAIL_TIMEOUT) as response:  # noqa: S310  # nosec B310
        answer = response.read()
    try:
        code = json.loads(answer or b"{}").get("errcode", 0)
    except (ValueError, AttributeError):
        code = 0
    if code:
        raise ValueError(_("企业微信返回错误：%(answer)s") % {"answer": answer[:200].decode(errors="replace")})


def delivery_health() -> dict[str, object]:
    """For the admin's schedule page: what waits, what failed lately and why."""
    since = timezone.now() - dt.timedelta(days=7)
    failing = Delivery.objects.filter(
        Q(status=Delivery.Status.FAILED) | Q(attempts__gt=0, status=Delivery.Status.PENDING)
    )
    return {
        "pending": Delivery.objects.filter(status=Delivery.Status.PENDING).count(),
        "sent_week": Delivery.objects.filter(status=Delivery.Status.SENT, sent_at__gte=since).count(),
        "failing": list(failing.filter(created_at__gte=since).order_by("-pk")[:10]),
    }


def deciders_over(region: Region | None) -> list[int]:
    """Who is told that a decision over ``region`` waits: its regional managers (a district's and its
    city's), or the provincial admins where the region has none."""
    if region is not None:
        paths = ["/".join(region.path.split("/")[: i + 1]) + "/" for i in range(1, region.path.count("/"))]
        managers = list(
            User.objects.filter(is_active=True, role=User.Role.REGIONAL_MANAGER, region__path__in=paths).values_list(
                "pk", flat=True
            )
        )
        if managers:
            return managers
    return list(User.objects.filter(is_active=True, role=User.Role.PROVINCIAL_ADMIN).values_list("pk", flat=True))
