"""Pages of the partner channel (F-19): partners, claims and conflicts, commission rules, the
monthly settlement with its statements (page, Excel, PDF), and a partner's own view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.access import regions_of
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get, products_catalogue
from zhengqi.engine.months import add_months, month_start
from zhengqi.web.forms import form_errors, parse_day, parse_int, parse_month

from . import files
from .files import statement_response
from .models import Attribution, CommissionRule, Role
from .partners import (
    PartnerInput,
    attribute,
    conflicts_visible_to,
    deal_get,
    deal_options,
    deals_visible_to,
    decide,
    partner_get,
    partner_save,
    partners_for,
    partners_visible_to,
    withdraw,
)
from .settlement import (
    RuleInput,
    approve,
    lines_outside_scope,
    may_approve,
    own_partner,
    performance,
    rule_history,
    rule_save,
    rules_current,
    settle,
    statement_get,
    statement_lines,
    statements_visible_to,
)


def paginate(request: AuthedRequest, qs: Any, size: int) -> Page:  # type: ignore[type-arg]  # Django's Page is generic only in the stubs
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _query(request: AuthedRequest) -> str:
    keep = request.GET.copy()
    keep.pop("page", None)
    return keep.urlencode()


def last_month() -> dt.date:
    return add_months(month_start(timezone.localdate()), -1)


def _performance_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "bar",
        "categories": [f"{r['month']:%Y-%m}" for r in rows],
        "series": [[_("结算金额（元）"), [float(r["total"] or 0) for r in rows]]],
    }


# --- partners -------------------------------------------------------------------------------------


def _or_minus_one(months: int | None) -> int:
    """A number of months as typed, or -1 (refused by the service) when it is not one."""
    return -1 if months is None else months


@login_required
def partners_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    qs = partners_visible_to(user).annotate(
        n_deals=Count("deals", filter=Q(deals__status=Attribution.Status.CONFIRMED)),
        n_disputed=Count("deals", filter=Q(deals__status=Attribution.Status.DISPUTED)),
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind in ("marketing", "service", "solution"):
        qs = qs.filter(**{f"is_{kind}": True})
    page = paginate(request, qs.order_by("code"), 50)
    role = matrix.role_of(user)
    return render(
        request,
        "partners/partners.html",
        {
            "page": page,
            "query": _query(request),
            "q": q,
            "kind": kind,
            "is_admin": role == "admin",
            "is_manager": role in matrix.MANAGERS,
            "may_rules": role in matrix.CONFIG_READERS,
            "conflicts": conflicts_visible_to(user).count() if role in matrix.MANAGERS else 0,
            "today": timezone.localdate(),
        },
    )


@login_required
def partner_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    partner = partner_get(user=user, pk=pk)
    deals = paginate(request, deals_visible_to(user).filter(partner=partner).order_by("-claimed_at", "-pk"), 50)
    rows = performance(partner)
    role = matrix.role_of(user)
    statements = statements_visible_to(user).filter(partner=partner).order_by("-month")[:24]
    return render(
        request,
        "partners/partner.html",
        {
            "partner": partner,
            "deals": deals,
            "query": _query(request),
            "statements": statements,
            "sees_money": role in matrix.MANAGERS,
            "is_admin": role == "admin",
            "chart": _performance_chart(rows),
            "qualifications": [q for q in partner.qualifications.splitlines() if q.strip()],
            "products": partner.products.order_by("code"),
        },
    )


def _partner_input(post: Any) -> PartnerInput:
    return PartnerInput(
        code=post.get("code", ""),
        name=post.get("name", ""),
        region_code=post.get("region", ""),
        contract_start=parse_day(post.get("contract_start"), "contract_start"),
        contract_end=parse_day(post.get("contract_end"), "contract_end"),
        is_marketing=bool(post.get("is_marketing")),
        is_service=bool(post.get("is_service")),
        is_solution=bool(post.get("is_solution")),
        credit_code=post.get("credit_code", ""),
        qualifications=post.get("qualifications", ""),
        product_codes=post.getlist("products"),
        contact_name=post.get("contact_name", ""),
        contact_phone=post.get("contact_phone", ""),
        active=bool(post.get("active")),
    )


@login_required
def partner_form_page(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    partner = partner_get(user=user, pk=pk) if pk else None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            saved = partner_save(by=user, data=_partner_input(request.POST), partner=partner)
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("代理商“%(p)s”已保存。") % {"p": saved})
            return redirect("partners:partner", pk=saved.pk)
    values = request.POST if request.method == "POST" else None
    chosen = (
        set(request.POST.getlist("products"))
        if values
        else set(partner.products.values_list("code", flat=True))
        if partner
        else set()
    )
    return render(
        request,
        "partners/partner_form.html",
        {
            "partner": partner,
            "values": values,
            "errors": errors,
            "regions": regions_of(user),
            "products": products_catalogue(),
            "chosen": chosen,
        },
        status=422 if errors else 200,
    )


# --- deals and conflicts ------------------------------------------------------------------------------


@login_required
def attribute_page(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """Claim one of a customer's deals for a partner (from the customer's page)."""
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    options = deal_options(user=user, customer=customer)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        deal = request.POST.get("deal", "")
        kind, _sep, raw = deal.partition(":")
        sub_id = parse_int(raw) if kind == "s" else None
        opp_id = parse_int(raw) if kind == "o" else None
        ticket_id = parse_int(raw) if kind == "t" else None
        partner_id = parse_int(request.POST.get("partner"))
        try:
            if partner_id is None:
                raise ValidationError({"partner": _("请选择代理商。")})
            made = attribute(
                by=user,
                partner_id=partner_id,
                role=request.POST.get("role", ""),
                note=request.POST.get("note", ""),
                subscription_id=sub_id,
                opportunity_id=opp_id,
                service_request_id=ticket_id,
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            if made.status == Attribution.Status.DISPUTED:
                messages.warning(request, _("已登记。该业务另有代理商申报，两方均进入争议，待区域经理裁决后计酬。"))
            else:
                messages.success(request, _("已登记：%(d)s 归属“%(p)s”。") % {"d": made.deal_label, "p": made.partner})
            return redirect("customers:detail", pk=customer.pk)
    claims = deals_visible_to(user).filter(customer=customer).order_by("-claimed_at")
    return render(
        request,
        "partners/attribute.html",
        {
            "customer": customer,
            "subs": options.subscriptions,
            "opps": options.opportunities,
            "tickets": options.tickets,
            "partners": partners_for(user, customer).order_by("code"),
            "roles": Role.choices,
            "errors": errors,
            "values": request.POST if request.method == "POST" else {},
            "claims": claims,
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def withdraw_view(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = deal_get(user=user, pk=pk)
    try:
        withdraw(by=user, pk=pk)
        messages.success(request, _("已撤销归属：%(d)s · %(p)s。") % {"d": found.deal_label, "p": found.partner})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(request.POST.get("next") or reverse("customers:detail", args=[found.customer_id]))


@login_required
def conflicts_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    groups: dict[tuple[str, int | None, int | None, int | None], list[Attribution]] = {}
    for a in conflicts_visible_to(user)[:600]:
        groups.setdefault((a.role, a.subscription_id, a.opportunity_id, a.service_request_id), []).append(a)
    return render(request, "partners/conflicts.html", {"groups": list(groups.values())[:200]})


@login_required
@require_POST
def decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        winner = decide(by=user, pk=pk, note=request.POST.get("note", ""))
        messages.success(request, _("已裁决：%(d)s 归属“%(p)s”。") % {"d": winner.deal_label, "p": winner.partner})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("partners:conflicts")


# --- rules --------------------------------------------------------------------------------------------


def _tiers(raw: str) -> list[dict[str, Any]]:
    """ "3:150, 5:200" (from volume 3 on 150, from 5 on 200) as tiers."""
    out = []
    for part in raw.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if not part.strip():
            continue
        start, sep, value = part.replace("：", ":").partition(":")
        if not sep:
            raise ValidationError({"tiers": _("阶梯写作“起点:比例或金额”，多档用逗号分隔，例如 3:150, 5:200。")})
        out.append({"start": start.strip(), "value": value.strip()})
    return out


@login_required
def rules_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        p = request.POST
        try:
            months = p.get("pay_months", "").strip()
            saved = rule_save(
                by=user,
                data=RuleInput(
                    code=p.get("code", ""),
                    name=p.get("name", ""),
                    effective_from=parse_month(p.get("effective_from"), month_start(timezone.localdate())),
                    role=p.get("role", ""),
                    deal_type=p.get("deal_type", CommissionRule.DealType.SUBSCRIPTION),
                    product_code=p.get("product", ""),
                    method=p.get("method", ""),
                    value=p.get("value", ""),
                    pay_months=parse_int(months),
                    tiers=_tiers(p.get("tiers", "")),
                    tier_mode=p.get("tier_mode", CommissionRule.TierMode.ALL),
                    clawback_months=_or_minus_one(parse_int(p.get("clawback_months") or "0")),
                    retired=bool(p.get("retired")),
                    note=p.get("note", ""),
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(
                request,
                _("规则 %(code)s 第 %(v)d 版已保存，自 %(m)s 起生效。")
                % {"code": saved.code, "v": saved.version, "m": f"{saved.effective_from:%Y-%m}"},
            )
            return redirect("partners:rules")
    history = rule_history()
    return render(
        request,
        "partners/rules.html",
        {
            "current": rules_current(),
            "history": history,
            "is_admin": matrix.role_of(user) == "admin",
            "errors": errors,
            "values": request.POST if request.method == "POST" else {},
            "products": products_catalogue(),
            "roles": Role.choices,
            "deal_types": CommissionRule.DealType.choices,
            "methods": CommissionRule.Method.choices,
            "tier_modes": CommissionRule.TierMode.choices,
            "this_month": f"{timezone.localdate():%Y-%m}",
        },
        status=422 if errors else 200,
    )


# --- settlement ---------------------------------------------------------------------------------------


@login_required
def settlement_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    try:
        month = parse_month(request.GET.get("month"), last_month())
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        month = last_month()
    qs = statements_visible_to(user).filter(month=month).order_by("partner__code")
    sums = qs.aggregate(total=Sum("total"), n=Count("pk"), approved=Count("pk", filter=Q(status="approved")))
    months = [add_months(last_month(), -k) for k in range(12)]
    trend = (
        statements_visible_to(user)
        .filter(month__gte=months[-1])
        .values("month")
        .annotate(total=Sum("total"))
        .order_by("month")
    )
    by_month = {r["month"]: r["total"] for r in trend}
    chart = {
        "kind": "bar",
        "categories": [f"{m:%Y-%m}" for m in reversed(months)],
        "series": [[_("结算金额（元）"), [float(by_month.get(m) or 0) for m in reversed(months)]]],
    }
    return render(
        request,
        "partners/settlement.html",
        {
            "month": month,
            "months": months,
            "statements": [(s, may_approve(user, s.partner)) for s in qs],
            "sums": sums,
            "is_admin": matrix.role_of(user) == "admin",
            "chart": chart,
        },
    )


@login_required
@require_POST
def settle_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    try:
        month = parse_month(request.POST.get("month"), last_month())
        result = settle(month, by=user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(reverse("partners:settlement") + f"?month={request.POST.get('month', '')[:7]}")
    messages.success(
        request,
        _("%(m)s 结算完成：%(d)d 张结算单已（重新）计算，%(f)d 张已审批的保持不变。")
        % {"m": f"{result.month:%Y-%m}", "d": result.drafts, "f": result.frozen},
    )
    return redirect(reverse("partners:settlement") + f"?month={result.month:%Y-%m}")


@login_required
def statement_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    statement = statement_get(user=user, pk=pk)
    lines = list(statement_lines(statement, user=user))
    by_kind = {
        k: sum((line.amount for line in lines if line.kind == k), Decimal(0))
        for k in ("commission", "clawback", "adjustment")
    }
    return render(
        request,
        "partners/statement.html",
        {
            "statement": statement,
            "lines": [(line, files._value(line)) for line in lines],
            "by_kind": by_kind,
            "may_approve": not statement.frozen and may_approve(user, statement.partner),
            "is_partner": matrix.role_of(user) == "partner",
            "hidden": lines_outside_scope(statement, user=user),
        },
    )


@login_required
@require_POST
def statement_approve_view(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        statement = approve(by=user, pk=pk, expected_total=request.POST.get("total"))
        messages.success(request, _("结算单已审批并冻结，合计 %(t)s 元。") % {"t": f"{statement.total:,.2f}"})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("partners:statement", pk=pk)


@login_required
def statement_file(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    user = request.user
    statement = statement_get(user=user, pk=pk)
    if fmt not in ("xlsx", "pdf"):
        return HttpResponse(_("文件格式应为 xlsx 或 pdf。"), status=404, content_type="text/plain; charset=utf-8")
    return statement_response(request, user, statement, fmt)


# --- the partner's own view ---------------------------------------------------------------------------


@login_required
def mine_page(request: AuthedRequest) -> HttpResponse:
    """What a partner's login sees: its deals (customers' names only), statements and performance."""
    user = request.user
    partner = own_partner(user)
    status = request.GET.get("status", "")
    deals = deals_visible_to(user).order_by("-claimed_at", "-pk")
    if status in Attribution.Status.values:
        deals = deals.filter(status=status)
    rows = performance(partner)
    return render(
        request,
        "partners/mine.html",
        {
            "partner": partner,
            "deals": paginate(request, deals, 50),
            "status": status,
            "statuses": Attribution.Status.choices,
            "statements": statements_visible_to(user).order_by("-month")[:24],
            "chart": _performance_chart(rows),
            "rows": rows,
            "query": _query(request),
        },
    )
