"""Pages rendered once per version of the data they show (issue 25): the customer's 360° page,
and the workbench's view of the user's customers.

The page is opened far more often than what it shows changes, and nearly all of its cost is in its
queries and its rendering. Its body is rendered once, kept in the cache under the customer's version
(:mod:`zhengqi.customers.versions`: a month run, an import, any save of the customer's rows changes
it) and the viewer, and reused until that changes. What depends on the request is added on every
view: the messages, the service card (rendered at most once a minute: requests' deadlines pass by the
hour) and the CSRF token, which the cached body holds as a placeholder.

The key holds the viewer's id (what the body shows depends on the user's scope and role: the
group's units they may see, masked personal data, the forms and links they may use), the language,
the day (days left on agreements) and the task the page was opened from."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.competition.selectors import customer_competition
from zhengqi.customers.models import Customer
from zhengqi.customers.services import CUSTOMER_CORRECTABLE
from zhengqi.customers.versions import MAX_AGE, customer_version, scope_version
from zhengqi.marketing.tasks.forms import CustomerCorrectionForm, InteractionForm, TaskForm
from zhengqi.marketing.tasks.selectors import workbench_tasks
from zhengqi.support.selectors import customer_service
from zhengqi.web.forms import parse_int

from .selectors import customer_overview, workbench_now, workbench_side

MARK = "<!--zq:service-->"  # where the live service card goes
REQUESTS_MARK = "<!--zq:requests-->"  # where the workbench's live service requests go
CSRF = "zq-csrf-token-placeholder"  # replaced by the request's own token on every view
SERVICE_CARD_SECONDS = 60  # how late the service card may show a deadline passing
# The service card's context (support and competition), rendered apart from the body (``service_card``).
LIVE = (
    "service_requests",
    "surveys",
    "satisfaction_answers",
    "satisfaction_rate",
    "survey_kinds",
    "competitor_events",
    "may_record_competition",
)


@functools.cache
def release() -> str:
    """A digest of this installation's templates, translations and this module: what was cached by
    another release (another layout, another wording) is never shown by this one."""
    import zhengqi

    digest = hashlib.sha256()
    root = Path(zhengqi.__file__).parent
    for path in sorted([*root.rglob("templates/**/*.html"), *root.rglob("*.mo"), Path(__file__)]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def viewer(request: AuthedRequest) -> str:
    """Who sees the page, as far as what it shows goes: the user, and their role and region (a user
    moved to another role or region does not see what was rendered for the one before)."""
    user = request.user
    return f"{user.pk}.{user.role}.{user.region_id or ''}.{int(user.is_superuser)}"


def body_key(request: AuthedRequest, customer: Customer, today: dt.date, from_task: str) -> str:
    parts = (release(), customer.pk, customer_version(customer.pk), viewer(request), get_language())
    return "zq:c360:" + ":".join(str(p) for p in (*parts, f"{today:%Y%m%d}", from_task))


def customer_page_context(request: AuthedRequest, customer: Customer) -> dict[str, Any]:
    """The page's context: its body from the cache (rendered now if stale), the live service card."""
    user = request.user
    today = timezone.localdate()
    task = request.GET.get("task", "")
    from_task = str(parse_int(task, high=10**11) or "")  # a task's id, or nothing
    key = body_key(request, customer, today, from_task)
    body: str | None = cache.get(key)
    live: dict[str, Any] | None
    if body is None:
        context = customer_overview(user=user, customer=customer, today=today)
        live = {k: context[k] for k in LIVE}
        people = context["people"]
        context.update(
            user=user,
            csrf_token=CSRF,
            task_form=TaskForm(initial={"due": today + dt.timedelta(days=7)}),
            correction_form=CustomerCorrectionForm(initial={f: getattr(customer, f) for f in CUSTOMER_CORRECTABLE}),
            interaction_form=InteractionForm(
                initial={"date": today, "task": from_task or None},
                people=[(p.pk, p.name) for p in people if p.left_on is None],
            ),
            from_task=from_task,
        )
        body = render_to_string("portal/customer_body.html", context)
        cache.set(key, body, MAX_AGE)
    else:
        live = None
    token = get_token(request)
    before, after = body.replace(CSRF, token).split(MARK, 1)
    return {
        "customer": customer,
        "today": today,
        "body_before": mark_safe(before),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
        "body_after": mark_safe(after),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
        "service_card": mark_safe(service_card(request, customer, today, live).replace(CSRF, token)),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
    }


def service_card(request: AuthedRequest, customer: Customer, today: dt.date, live: dict[str, Any] | None) -> str:
    """The customer page's service card (requests, surveys, competition): rendered at most once a
    minute for a version of the customer and a viewer — a request's deadline passes by the hour, and
    any change to a request, a survey or an event changes the customer's version at once."""
    minute = int(time.time() // SERVICE_CARD_SECONDS)
    parts = (release(), customer.pk, customer_version(customer.pk), viewer(request), get_language(), today, minute)
    key = "zq:c360-service:" + ":".join(str(p) for p in parts)
    html: str | None = cache.get(key)
    if html is None:
        user = request.user
        live = live or {**customer_service(user, customer), **customer_competition(user, customer)}
        context = {**live, "customer": customer, "today": today, "csrf_token": CSRF}
        html = render_to_string("support/_customer.html", context)
        cache.set(key, html, 2 * SERVICE_CARD_SECONDS)
    return html


def workbench_page_context(request: AuthedRequest) -> dict[str, Any]:
    """The workbench: the user's tasks and the view of their customers (alerts, risks, tiers,
    agreements, care, KPIs) from the cache while nothing in the user's scope has changed
    (:func:`zhengqi.customers.versions.scope_version`: a task's or a customer's save, a month run);
    service requests, whose deadlines pass by the hour, and approvals live."""
    user = request.user
    today = timezone.localdate()
    parts = (release(), viewer(request), scope_version(user), get_language(), f"{today:%Y%m%d}")
    key = "zq:workbench:" + ":".join(str(p) for p in parts)
    panels: dict[str, str] | None = cache.get(key)
    if panels is None:
        context = {"today": today, **workbench_tasks(user, today), **workbench_side(user, today)}
        panels = {
            "tasks": render_to_string("portal/workbench_tasks.html", context, request=request),
            "side": render_to_string("portal/workbench_side.html", context, request=request),
        }
        cache.set(key, panels, MAX_AGE)
    before, after = panels["tasks"].split(REQUESTS_MARK, 1)
    return {
        "today": today,
        **workbench_now(user),
        "tasks_before": mark_safe(before),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
        "tasks_after": mark_safe(after),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
        "side": mark_safe(panels["side"]),  # noqa: S308  # nosec B308 B703  # rendered by our own template (escaped there)
    }
