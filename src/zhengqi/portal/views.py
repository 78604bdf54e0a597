"""Pages above the domains: home (where each role lands), the workbench, the customer's 360° page
and the account managers' workload."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.engine.value.tiers import TIERS
from zhengqi.marketing.tasks.selectors import manager_workload

from .cached_pages import customer_page_context, workbench_page_context
from .customer_list import customer_list_file, customer_list_html, list_query, segment_condition


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Account managers open on their workbench; other staff on the customer list; a partner's
    login on its own deals and statements; department users on their queue of service requests."""
    user = request.user
    if user.role == User.Role.PARTNER and not user.is_superuser:
        return redirect("partners:mine")
    if user.role == User.Role.DEPARTMENT and not user.is_superuser:
        return redirect("support:requests")
    return redirect("portal:workbench" if user.role == User.Role.ACCOUNT_MANAGER else "customers:list")


@login_required
def workbench_page(request: AuthedRequest) -> HttpResponse:
    return render(request, "portal/workbench.html", workbench_page_context(request))


@login_required
def customer_list_page(request: AuthedRequest) -> HttpResponse:
    """The customer list: search and filter by the record (customers app) and by signal — alerts,
    churn band, tier moves, tasks, campaigns — with the customers per family as tabs."""
    if request.headers.get("HX-Request"):  # the filters changed: the table alone
        return HttpResponse(customer_list_html(request, table_only=True))
    return render(request, "customers/list.html", {"body": customer_list_html(request, table_only=False)})


@login_required
def customer_list_to_segment(request: AuthedRequest) -> HttpResponse:
    """ "保存为细分": the list's filters as a segment's condition in the editor, and a note of those
    that the rule language cannot say (they are left out)."""
    user = request.user
    q = list_query(user, request.GET)
    expression, left = segment_condition(q.filters, q.signals, q.drill)
    if left:
        messages.info(request, gettext("以下筛选无法写成细分条件，已略去：%(names)s。") % {"names": "、".join(left)})
    return redirect(reverse("scoring:segment_new") + "?" + urlencode({"expression": expression}))


@login_required
def customer_list_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """The customer list as it is filtered, as an Excel or CSV file (the filters at its top); each
    export is in the audit log. Over the row cap, back to the list with the reason."""
    try:
        return customer_list_file(request=request, fmt=fmt)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect(reverse("customers:list") + ("?" + request.GET.urlencode() if request.GET else ""))


@login_required
def customer_page(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    context = customer_page_context(request, customer)
    return render(request, "portal/customer.html", context)


@login_required
def portfolio_page(request: AuthedRequest) -> HttpResponse:
    """Workload per account manager of the user's region (F-12)."""
    rows = manager_workload(request.user)
    chart = {"names": [str(r.manager) for r in rows], "tiers": {t: [r.by_tier[t] for r in rows] for t in TIERS}}
    return render(request, "portal/portfolio.html", {"rows": rows, "chart": chart})
