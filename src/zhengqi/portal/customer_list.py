"""The customer list by signal (issue 23): the customers app's filters (search, region, tier, …)
plus the signals other domains hold — alerts by rule or family, the churn band, tier moves, open
tasks, campaigns — so that a group of customers can be worked as a list, not one at a time. It lives
in the portal because it asks several domains; each domain gives a subquery of customer ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.exports import CUSTOMER_COLUMNS, customer_rows
from zhengqi.customers.forms import CustomerFilterForm
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import CustomerFilter, account_managers_visible_to, customer_list
from zhengqi.customers.versions import MAX_AGE, scope_version
from zhengqi.insight import dashboards, figures
from zhengqi.insight.dashboards import DRILL_KEYS
from zhengqi.insight.figures import FilterError, Filters
from zhengqi.marketing.campaigns.services import campaigns_visible_to
from zhengqi.marketing.tasks.selectors import customers_in_campaign, customers_with_open_tasks
from zhengqi.scoring.models import CustomerSnapshot, Family
from zhengqi.scoring.selectors import (
    ALERTS_WITHOUT_RULE,
    customers_alerted,
    customers_in_churn_band,
    customers_tier_moved,
    family_counts,
    rules_all,
)
from zhengqi.web.exports import FORMATS, TableExport, check_size, export_response, filter_lines
from zhengqi.web.forms import FastSelect

from .cached_pages import CSRF, release, viewer

T = TypeVar("T")
BANDS = [("high", _("高")), ("medium", _("中")), ("low", _("低"))]
TIER_CHOICES: list[tuple[str, Any]] = [("A+", "A+"), ("A", "A"), ("B", "B"), ("C", "C")]
ANY: list[tuple[str, Any]] = [("", _("全部"))]


@dataclass(frozen=True)
class SignalFilter:
    """What the month run, the account managers and the planners know about a customer."""

    rule: str = ""  # a rule's code: customers it fired on (any version of the rule)
    family: str = ""  # 发展/维系/挽留/提升/防范
    alert_status: str = ""  # "open" (default when a rule or family is chosen), "resolved", "any"
    churn_band: str = ""
    tier_from: str = ""  # a tier move in the latest month run, e.g. A → B
    tier_to: str = ""
    open_task: str = ""  # "yes" / "no"
    no_manager: bool = False
    campaign: int | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Drill:
    """A dashboard's drill-down (insight): its month and filters, the number's own condition, and
    all of it in words for the list it lands on."""

    filters: Filters
    params: dict[str, str]
    words: list[str]


DRILL_PARAMS = ("month", *DRILL_KEYS)


def drill_from(user: User, query: Any) -> Drill | None:
    """The drill-down a query string carries (None when it carries none). FilterError, in the user's
    language, for a month or condition that does not exist."""
    if not any(query.get(k) for k in DRILL_PARAMS):
        return None
    f = figures.make_filters(  # FilterError for a bad month or a region outside the user's scope
        user,
        month=query.get("month") or None,
        region=query.get("region", ""),
        tier=query.get("tier", ""),
        industry=query.get("industry", ""),
        customer_type=query.get("customer_type", ""),
    )
    params = {k: query.get(k, "") for k in DRILL_KEYS}
    return Drill(f, params, dashboards.drill_description(f, params))


def customers_by_signal(
    *, user: User, filters: CustomerFilter, signals: SignalFilter, drill: Drill | None = None
) -> QuerySet[Customer]:
    """The customer list (row-level access as ever) narrowed by the signals and, when it came from a
    dashboard, by the number's condition in that month (whose region, tier, industry and type are
    the month's, as the dashboard counted them)."""
    if drill is not None:
        filters = replace(filters, region="", tier="", industry="", customer_type="")
    qs = _narrow(customer_list(user=user, filters=filters), signals)
    if drill is not None:
        qs = qs.filter(pk__in=dashboards.drill(user, drill.filters, drill.params).order_by().values("customer_id"))
        # The month's figures beside each customer, sorted as the dashboard counted them (the month's
        # revenue, or the year to date for a year-to-date sum) unless the user sorts otherwise.
        snap = CustomerSnapshot.objects.filter(customer=OuterRef("pk"), month=drill.filters.month).order_by()
        qs = qs.annotate(
            month_revenue=Subquery(snap.values("revenue")[:1]),
            info_ytd=Subquery(snap.values("revenue_info_ytd")[:1]),
            line_ytd=Subquery(snap.values("revenue_line_ytd")[:1]),
        )
        if filters.sort == "code":
            ytd = drill.params.get("measure") == "ytd"
            qs = qs.order_by(*(("-info_ytd", "-line_ytd") if ytd else ("-month_revenue",)), "name", "pk")
    return qs


def _narrow(qs: QuerySet[Customer], s: SignalFilter) -> QuerySet[Customer]:
    status = {"": "open", "any": ""}.get(s.alert_status, s.alert_status)
    if s.rule or s.family or s.alert_status:
        qs = qs.filter(pk__in=customers_alerted(rule=s.rule, family=s.family, status=status))
    if s.churn_band:
        qs = qs.filter(pk__in=customers_in_churn_band(s.churn_band))
    if s.tier_from or s.tier_to:
        qs = qs.filter(pk__in=customers_tier_moved(from_tier=s.tier_from, to_tier=s.tier_to))
    if s.open_task == "yes":
        qs = qs.filter(pk__in=customers_with_open_tasks())
    elif s.open_task == "no":
        qs = qs.exclude(pk__in=customers_with_open_tasks())
    if s.no_manager:
        qs = qs.filter(account_manager__isnull=True)
    if s.campaign:
        qs = qs.filter(pk__in=customers_in_campaign(s.campaign))
    return qs


def family_tabs(*, user: User, filters: CustomerFilter, signals: SignalFilter) -> list[tuple[str, str, int]]:
    """(family, its name, customers the list shows when the tab is chosen) under every other filter:
    the tabs. One grouped query over the alerts of the customers the other filters leave, kept
    while nothing in the user's scope changes."""
    others = SignalFilter(**{**signals.__dict__, "family": "", "rule": "", "alert_status": ""})
    status = {"": "open", "any": ""}.get(signals.alert_status, signals.alert_status)

    def count() -> dict[str, int]:
        ids = _narrow(customer_list(user=user, filters=filters), others).order_by().values("pk")
        return family_counts(ids, rule=signals.rule, status=status)

    counts = counted(user, ("tabs", replace(filters, sort=""), others, signals.rule, status), count)
    return [(code, str(label), counts.get(code, 0)) for code, label in Family.choices]


def counted(user: User, question: Any, count: Callable[[], T]) -> T:
    """A count the customer list shows (its rows, its tabs) from the cache while nothing in the
    user's scope has changed: counting thousands of customers is most of a list's cost, and people
    page, sort and come back to the same filters."""
    key = "zq:list-count:" + hashlib.sha256(f"{user.pk}|{scope_version(user)}|{question!r}".encode()).hexdigest()
    value: T | None = cache.get(key)
    if value is None:
        value = count()
        cache.set(key, value, MAX_AGE)
    return value


def bulk_reassign_picker(user: User) -> SafeString:
    """The bulk reassignment's picker of account managers (name, grade, region): hundreds of them
    for a city, rendered once while nothing in the user's scope has changed."""
    key = f"zq:list-reassign:{release()}:{user.pk}:{user.region_id}:{scope_version(user)}:{get_language()}"
    html: str | None = cache.get(key)
    if html is None:
        grades = dict(User.Grade.choices)
        rows = account_managers_visible_to(user).values_list("pk", "display_name", "username", "grade", "region__name")
        choices = [
            (pk, f"{name or username}（{grades.get(grade or 0, gettext('未定级'))}，{region}）")
            for pk, name, username, grade, region in rows
        ]
        attrs = {"class": "form-select form-select-sm w-auto", "id": "bulk-to"}
        html = FastSelect(choices=choices).render("to_manager", None, attrs)
        cache.set(key, html, MAX_AGE)
    return mark_safe(html)  # noqa: S308  # nosec B308 B703  # rendered by FastSelect (escaped there)


class CountedPaginator(Paginator):
    """A paginator told its count (from :func:`counted`) rather than asking the database."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached property: this is its value


class SignalFilterForm(forms.Form):
    # Any rule code (a rule since deleted still names its alerts); the picker offers the rules and
    # the alerts the month run raises without a rule.
    rule = forms.CharField(label=_("规则"), required=False, max_length=20, widget=FastSelect)
    family = forms.ChoiceField(label=_("因子族"), required=False, choices=ANY + list(Family.choices), widget=FastSelect)
    alert_status = forms.ChoiceField(
        label=_("预警状态"),
        required=False,
        choices=[("", _("未处理")), ("resolved", _("已消除")), ("any", _("全部"))],
        widget=FastSelect,
    )
    churn_band = forms.ChoiceField(label=_("流失风险"), required=False, choices=ANY + BANDS, widget=FastSelect)
    tier_from = forms.ChoiceField(
        label=_("本月等级变动：原等级"), required=False, choices=ANY + TIER_CHOICES, widget=FastSelect
    )
    tier_to = forms.ChoiceField(label=_("新等级"), required=False, choices=ANY + TIER_CHOICES, widget=FastSelect)
    open_task = forms.ChoiceField(
        label=_("未完成任务"),
        required=False,
        choices=[*ANY, ("yes", _("有")), ("no", _("没有"))],
        widget=FastSelect,
    )
    no_manager = forms.BooleanField(label=_("无客户经理"), required=False)
    # Any campaign id (the API takes one too); the picker offers the campaigns the user sees.
    campaign = forms.IntegerField(label=_("营销活动"), required=False, min_value=1, widget=FastSelect)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = [(r.code, r.name) for r in rules_all()]
        self.fields["rule"].widget.choices = ANY + rules + [(c, str(n)) for c, n in ALERTS_WITHOUT_RULE.items()]  # type: ignore[attr-defined]  # a Select widget's choices
        campaigns = campaigns_visible_to(user).order_by("-start", "-pk").values_list("pk", "name")[:200]
        self.fields["campaign"].widget.choices = ANY + list(campaigns)  # type: ignore[attr-defined]  # a Select widget's choices

    def to_signals(self) -> SignalFilter:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}
        return SignalFilter(**data)


@dataclass
class ListQuery:
    """The customer list's query string read once: the record's filters, the signals, a dashboard's
    drill-down (None, with ``drill_error`` saying why, where its conditions are invalid), and the
    two forms that show them. Invalid filters are ignored (the forms name them)."""

    form: CustomerFilterForm
    signal_form: SignalFilterForm
    filters: CustomerFilter
    signals: SignalFilter
    drill: Drill | None
    drill_error: str = ""

    def customers(self, user: User) -> QuerySet[Customer]:
        return customers_by_signal(user=user, filters=self.filters, signals=self.signals, drill=self.drill)

    def page(self, user: User, number: Any, per_page: int = 25) -> Page[Customer]:
        """One page of the list, its count from the cache while the user's scope is unchanged."""
        qs = self.customers(user)
        question = ("rows", replace(self.filters, sort=""), self.signals, self.drill and self.drill.words)
        return CountedPaginator(qs, per_page, counted(user, question, qs.count)).get_page(number)

    def words(self) -> list[str]:
        """Every filter in words (the top of an export, the audit record)."""
        return [*(self.drill.words if self.drill else []), *filter_lines(self.form, self.signal_form)]


def list_query(user: User, query: Any) -> ListQuery:
    form = CustomerFilterForm(query or None, user=user)
    filters = form.to_filter() if form.is_bound and form.is_valid() else CustomerFilter()
    signal_form = SignalFilterForm(query or None, user=user)
    signals = signal_form.to_signals() if signal_form.is_bound and signal_form.is_valid() else SignalFilter()
    try:
        return ListQuery(form, signal_form, filters, signals, drill_from(user, query))
    except FilterError as err:
        return ListQuery(form, signal_form, filters, signals, None, str(err))


def customer_list_html(request: AuthedRequest, *, table_only: bool) -> SafeString:
    """The list as the query string asks for it: the filters, the tabs and the table (or, for the
    filters' live update, the table alone). Rendered once per query while nothing in the user's
    scope has changed (``scope_version``: a month run, an import, an edit of a customer in scope);
    the CSRF token is the request's own on every view."""
    user = request.user
    asked = sorted((k, v) for k, values in request.GET.lists() for v in values)
    question = (release(), viewer(request), scope_version(user), get_language(), table_only, request.path, asked)
    key = "zq:list-page:" + hashlib.sha256(repr(question).encode()).hexdigest()
    html: str | None = cache.get(key)
    if html is None:
        context = customer_list_context(request)
        html = render_to_string("customers/_table.html" if table_only else "customers/list_body.html", context)
        cache.set(key, html, MAX_AGE)
    # Rendered by our own templates (escaped there); the token is the request's.
    return mark_safe(html.replace(CSRF, get_token(request)))  # noqa: S308  # nosec B308 B703  # see above


def customer_list_context(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    q = list_query(user, request.GET)
    page = q.page(user, request.GET.get("page"))
    without_drill = request.GET.copy()
    for key in DRILL_PARAMS:
        without_drill.pop(key, None)
    without_drill.pop("page", None)
    query = request.GET.copy()
    query.pop("page", None)
    without_family = query.copy()
    without_family.pop("family", None)
    may_bulk = user.is_superuser or user.role in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN)
    return {
        "request": request,  # the pagination's links keep the query string
        "user": user,
        "csrf_token": CSRF,
        "full_path": request.get_full_path(),
        "form": q.form,
        "signal_form": q.signal_form,
        "signals_on": q.signals.active,
        "family": q.signals.family,
        "tabs": family_tabs(user=user, filters=q.filters, signals=q.signals),
        "drill": q.drill,
        "drill_error": q.drill_error,
        "drill_hidden": [(k, request.GET[k]) for k in DRILL_PARAMS if request.GET.get(k)] if q.drill else [],
        "without_drill": without_drill.urlencode(),
        "without_family": without_family.urlencode(),
        "page": page,
        "query": query.urlencode(),
        "sort": q.filters.sort,
        "may_bulk": may_bulk,
        "managers": bulk_reassign_picker(user) if may_bulk else "",
    }


def customer_list_file(*, request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """The customer list filtered as the query string says (the page's filters), as a file with the
    filters in words at its top; the export is written to the audit log. ValidationError (in the
    user's language) for a format other than xlsx/csv or a list over the row cap."""
    user = request.user
    if fmt not in FORMATS:
        raise ValidationError(gettext("导出格式应为 xlsx 或 csv。"))
    query = list_query(user, request.GET)
    if query.drill_error:
        raise ValidationError(query.drill_error)
    qs = query.customers(user)
    rows = qs.count()
    check_size(rows)
    lines = query.words()
    what = gettext("客户列表") + (f"（{'；'.join(lines)}）" if lines else "")
    log_export(by=user, what=what, fmt=fmt, rows=rows, request=request)
    table = TableExport(gettext("集团客户列表"), [str(c) for c in CUSTOMER_COLUMNS], customer_rows(qs), lines)
    return export_response(table, fmt, gettext("集团客户") + timezone.localdate().strftime("%Y%m%d"))


def segment_condition(filters: CustomerFilter, signals: SignalFilter, drill: Drill | None) -> tuple[str, list[str]]:
    """The list's filters as a saved segment's condition in the rule language, where a feature of the
    month run says the same ("保存为细分"), and the filters it cannot carry, in words. A segment is
    evaluated on each month run's results, so a dashboard's month is not kept."""
    from zhengqi.accounts.models import Region
    from zhengqi.insight.dashboards import ARREARS_BUCKETS, DEPTHS, IDLE_BUCKETS

    parts: list[str] = []
    left: list[str] = []

    def quoted(value: str) -> str:
        return "'" + value.replace("'", "") + "'"

    for name in ("status", "tier", "industry", "customer_type"):
        value = getattr(filters, name) or (drill and name != "status" and getattr(drill.filters, name, "")) or ""
        if value:
            parts.append(f"{name} = {quoted(str(value))}")
    region = filters.region or (drill.filters.region.code if drill and drill.filters.region else "")
    if region:
        found = Region.objects.filter(code=region).first()
        if found is not None:
            codes = Region.objects.filter(path__startswith=found.path).values_list("code", flat=True)
            parts.append("region_code in (" + ", ".join(quoted(c) for c in codes) + ")")
    if signals.tier_from or signals.tier_to:  # a tier move: both tiers known and different
        parts.append("tier_prev != '' and tier != '' and tier != tier_prev")
    if signals.tier_from:
        parts.append(f"tier_prev = {quoted(signals.tier_from)}")
    if signals.tier_to:
        parts.append(f"tier = {quoted(signals.tier_to)}")
    for label, on in (
        (_("搜索"), filters.q),
        (_("客户经理"), filters.account_manager),
        (_("规则与预警"), signals.rule or signals.family or signals.alert_status),
        (_("流失风险"), signals.churn_band),
        (_("未完成任务"), signals.open_task),
        (_("无客户经理"), signals.no_manager),
        (_("营销活动"), signals.campaign),
    ):
        if on:
            left.append(str(label))
    if drill is not None:
        p = drill.params
        if p.get("billed"):
            parts.append("revenue > 0")
        if p.get("idle"):
            parts.append("members_idle > 0")
        if p.get("idle_share"):
            lo, hi, _label = IDLE_BUCKETS[int(p["idle_share"])]
            parts.append(f"members_active > 0 and idle_share >= {lo} and idle_share < {hi}")
        if p.get("arrears"):
            lo, hi, _label = ARREARS_BUCKETS[int(p["arrears"])]
            parts.append(f"arrears > 0 and arrears_streak between {lo} and {hi}")
        if p.get("depth"):
            lo, hi, _label = DEPTHS[int(p["depth"])]
            parts.append(f"revenue > 0 and product_count between {lo} and {hi}")
        if p.get("tier_prev"):
            parts.append("tier != ''" if p["tier_prev"] == "new" else f"tier_prev = {quoted(p['tier_prev'])}")
        for key, label in (("product", _("在用产品")), ("product2", _("在用产品")), ("expiry", _("协议到期窗口"))):
            if p.get(key):
                left.append(str(label))
    return " and ".join(parts), sorted(set(left))
