"""Where each role starts its day."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.defaults import bad_request as defaults_bad_request
from django.views.defaults import page_not_found

from zhengqi.accounts.requests import AuthedRequest

from .audit import KINDS, audit_events
from .models import User
from .tokens import DEFAULT_DAYS, max_days, token_create, token_revoke, tokens_visible


@login_required
def audit_page(request: AuthedRequest) -> HttpResponse:
    """The audit trail (exports, reveals of personal data, failed logins): the provincial admin's."""
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


@login_required
def tokens_page(request: AuthedRequest) -> HttpResponse:
    """The user's API tokens (the provincial admin sees everyone's): make one, see it once, revoke."""
    user = request.user
    context: dict[str, object] = {"default_days": DEFAULT_DAYS, "max_days": max_days(), "form": {}}
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            days = int(request.POST.get("days") or DEFAULT_DAYS)
        except ValueError:
            days = 0  # refused below with the range
        try:
            token, key = token_create(by=user, name=name, days=days)
        except ValidationError as err:
            context.update(errors=err.message_dict, form={"name": name, "days": request.POST.get("days", "")})
            status = 400
        else:
            # Post/Redirect/Get, so that reloading the page makes no second token; the key waits in
            # the (server-side) session for the one page that shows it.
            request.session["new_api_token"] = {"id": token.pk, "key": key}
            return redirect("tokens")
    shown = request.session.pop("new_api_token", None)
    if shown:
        context.update(new_key=shown["key"], new_token=tokens_visible(user).filter(pk=shown["id"]).first())
    now = timezone.now()
    rows = [(t, t.state(now)) for t in tokens_visible(user)[:200]]
    context.update(rows=rows, is_admin=user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    token = token_revoke(by=user, token_id=pk)
    messages.success(request, _("令牌“%(name)s”（%(prefix)s…）已吊销。") % {"name": token.name, "prefix": token.prefix})
    return redirect("tokens")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: a sentence in JSON under /api/ (a program reads it), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("接口不存在：请检查路径，以及路径中的编号（应为整数）。")}, status=404)
    return page_not_found(request, exception or Http404())


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 raised before any view (a malformed request): a sentence in JSON under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("请求格式有误，无法处理。")}, status=400)
    return defaults_bad_request(request, exception or Exception())
