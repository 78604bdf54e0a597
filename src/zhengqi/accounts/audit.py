"""The audit trail a provincial admin reads: exports (who took which data out, how many rows),
reveals of personal data (django-auditlog access entries), failed logins (django-axes) and API
tokens made and revoked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, ExportRecord, User

Kind = Literal["export", "reveal", "login_failure", "token"]
KINDS: dict[str, object] = {
    "export": _("导出"),
    "reveal": _("查看个人信息"),
    "login_failure": _("登录失败"),
    "token": _("API 令牌"),
}


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the login protection sees it (through the configured proxies)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def log_export(*, by: User, what: str, fmt: str, rows: int, request: HttpRequest | None = None) -> ExportRecord:
    """Record that ``by`` took ``rows`` rows of ``what`` out of the system as a ``fmt`` file."""
    return ExportRecord.objects.create(
        user=by if by.pk else None,
        username=by.username,
        what=what[:200],
        fmt=fmt[:10],
        rows=rows,
        path=(request.get_full_path() if request else "")[:300],
        remote_addr=client_address(request) if request else None,
    )


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str
    username: str
    what: str
    detail: str

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


def audit_events(
    *, kind: str = "", username: str = "", since: dt.date | None = None, until: dt.date | None = None, limit: int = 500
) -> list[Event]:
    """The newest events first, of one kind or all, optionally for one user and a date range."""
    from auditlog.models import LogEntry
    from axes.models import AccessFailureLog

    events: list[Event] = []

    def window(qs, field: str):  # type: ignore[no-untyped-def]  # a local helper over querysets of several models
        if since:
            qs = qs.filter(**{f"{field}__date__gte": since})
        if until:
            qs = qs.filter(**{f"{field}__date__lte": until})
        return qs.order_by(f"-{field}")[:limit]

    if kind in ("", "export"):
        qs = ExportRecord.objects.all()
        if username:
            qs = qs.filter(username=username)
        for r in window(qs, "at"):
            events.append(Event(r.at, "export", r.username, r.what, f"{r.fmt} · {r.rows} 行 · {r.path}"))
    if kind in ("", "reveal"):
        qs = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).select_related("actor", "content_type")
        if username:
            qs = qs.filter(actor__username=username)
        for e in window(qs, "timestamp"):
            who = e.actor.username if e.actor else ""
            events.append(Event(e.timestamp, "reveal", who, str(e.object_repr), e.remote_addr or ""))
    if kind in ("", "login_failure"):
        qs = AccessFailureLog.objects.all()  # append-only: not reset by the next successful login
        if username:
            qs = qs.filter(username=username)
        for a in window(qs, "attempt_time"):
            what = "账号被锁定" if a.locked_out else "密码错误或账号不存在"
            events.append(Event(a.attempt_time, "login_failure", a.username or "", what, a.ip_address or ""))
    if kind in ("", "token"):
        made = ApiToken.objects.select_related("user")
        revoked = ApiToken.objects.filter(revoked_at__isnull=False).select_related("user", "revoked_by")
        if username:
            made = made.filter(user__username=username)
            revoked = revoked.filter(revoked_by__username=username)
        for t in window(made, "created_at"):
            what = f"创建令牌“{t.name}”（{t.prefix}…）"
            events.append(Event(t.created_at, "token", t.user.username, what, f"到期 {t.expires_at:%Y-%m-%d}"))
        for t in window(revoked, "revoked_at"):
            who = t.revoked_by.username if t.revoked_by else ""
            what = f"吊销令牌“{t.name}”（{t.prefix}…）"
            events.append(Event(t.revoked_at, "token", who, what, f"属于 {t.user.username}"))  # type: ignore[arg-type]  # revoked tokens have revoked_at set (filtered above)
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]
