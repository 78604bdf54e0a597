"""Where each role starts its day."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import matrix
from .audit import KINDS, audit_events
from .models import User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Account managers open on their workbench; other staff on the customer list; partners and
    department users, whose pages come with the partner channel and the service desk, on a page
    that says so."""
    user: User = request.user  # type: ignore[assignment]
    if user.role in (User.Role.PARTNER, User.Role.DEPARTMENT) and not user.is_superuser:
        return render(request, "accounts/no_pages.html")
    return redirect("marketing:workbench" if user.role == User.Role.ACCOUNT_MANAGER else "customers:list")


@login_required
def audit_page(request: HttpRequest) -> HttpResponse:
    """The audit trail (exports, reveals of personal data, failed logins): the provincial admin's."""
    user: User = request.user  # type: ignore[assignment]
    matrix.require(user, "audit")
    g = request.GET
    kind = g.get("kind", "") if g.get("kind", "") in KINDS else ""
    username = g.get("user", "").strip()[:150]
    context: dict[str, object] = {"kinds": [(k, str(v)) for k, v in KINDS.items()], "kind": kind, "username": username}
    try:
        since = dt.date.fromisoformat(g["since"]) if g.get("since") else None
        until = dt.date.fromisoformat(g["until"]) if g.get("until") else None
    except ValueError:
        context["error"] = _("日期格式应为 YYYY-MM-DD。")
        return render(request, "accounts/audit.html", context, status=400)
    events = audit_events(kind=kind, username=username, since=since, until=until)
    keep = g.copy()
    keep.pop("page", None)
    context.update(
        page=Paginator(events, 50).get_page(g.get("page")),
        since=since.isoformat() if since else "",
        until=until.isoformat() if until else "",
        query=keep.urlencode(),
    )
    return render(request, "accounts/audit.html", context)
