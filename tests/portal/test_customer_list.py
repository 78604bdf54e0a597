"""The customer list by signal (issue 23): for generated combinations of filters, the page and the
API list exactly the customers a plain reading of the alerts, snapshots, tier moves, tasks and
campaigns gives — within the user's scope — and the family tabs count what each tab then shows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Campaign, CampaignTarget, Task
from zhengqi.scoring.models import Alert, CustomerSnapshot, TierChange
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


@pytest.fixture
def scored(cast: Cast) -> Cast:
    month_run(month=OCT)
    campaign = Campaign.objects.create(
        name="信号测试活动", start=OCT, end=OCT + dt.timedelta(days=30), segment="1 = 1", seed=3, created_by=cast.admin
    )
    for customer in Customer.objects.filter(status="active").order_by("pk")[::3][:20]:
        CampaignTarget.objects.create(campaign=campaign, customer=customer, account_manager=customer.account_manager)
    return cast


def expected(user: User, params: dict[str, Any]) -> set[int]:
    """The customers the filters describe, read plainly row by row (the oracle)."""
    out = set()
    scope = set(Customer.objects.filter(customer_scope(user)).values_list("pk", flat=True))
    latest_band = {
        s.customer_id: s.churn_band for s in CustomerSnapshot.objects.filter(month=OCT, churn_risk__isnull=False)
    }
    moves = {(t.customer_id, t.from_tier, t.to_tier) for t in TierChange.objects.filter(month=OCT)}
    open_tasks = set(Task.objects.filter(status="open").values_list("customer_id", flat=True))
    targets = set(CampaignTarget.objects.values_list("customer_id", flat=True))
    alerts = list(Alert.objects.values_list("customer_id", "rule_code", "family", "status"))
    for c in Customer.objects.filter(pk__in=scope):
        if params.get("rule") or params.get("family") or params.get("alert_status"):
            want = {"": "open", "any": None}.get(params.get("alert_status", ""), params.get("alert_status"))
            if not any(
                cid == c.pk
                and (not params.get("rule") or rule == params["rule"])
                and (not params.get("family") or family == params["family"])
                and (want is None or status == want)
                for cid, rule, family, status in alerts
            ):
                continue
        if params.get("churn_band") and latest_band.get(c.pk) != params["churn_band"]:
            continue
        if params.get("tier_from") and not any(
            m[0] == c.pk and m[1] == params["tier_from"] and (not params.get("tier_to") or m[2] == params["tier_to"])
            for m in moves
        ):
            continue
        if params.get("open_task") == "yes" and c.pk not in open_tasks:
            continue
        if params.get("open_task") == "no" and c.pk in open_tasks:
            continue
        if params.get("no_manager") and c.account_manager_id is not None:
            continue
        if params.get("campaign") and c.pk not in targets:
            continue
        out.add(c.pk)
    return out


signal_params = st.fixed_dictionaries(
    {},
    optional={
        "rule": st.sampled_from(["R01", "M01", "CHURN_RISK", "D01", "U01"]),
        "family": st.sampled_from(["develop", "maintain", "retain", "uplift", "prevent"]),
        "alert_status": st.sampled_from(["", "resolved", "any"]),
        "churn_band": st.sampled_from(["high", "medium", "low"]),
        "tier_from": st.sampled_from(["A+", "A", "B", "C"]),
        "open_task": st.sampled_from(["yes", "no"]),
        "no_manager": st.just("on"),
        "campaign": st.just("campaign"),
    },
)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=signal_params, who=st.sampled_from(["admin", "district_manager", "am"]))
def test_the_list_shows_exactly_the_customers_the_signals_describe(scored: Cast, params: dict, who: str) -> None:
    user = getattr(scored, who)
    if "campaign" in params:
        params = {**params, "campaign": Campaign.objects.get(name="信号测试活动").pk}
    if "rule" in params or "family" in params:
        params.setdefault("alert_status", "")
    want = expected(user, params)
    client = Client()
    client.force_login(user)
    query = {k: v for k, v in params.items() if v != ""}
    api = client.get("/api/customers", {**query, "page_size": 500})
    assert api.status_code == 200, api.content
    assert {row["id"] for row in api.json()["items"]} == want
    page = client.get("/customers/", query)
    assert page.status_code == 200
    html = page.content.decode()  # read from the page: a query seen before is served from the cache
    shown = re.search(r'data-testid="result-count">共 (\d+) 个客户', html)
    assert shown is not None and int(shown.group(1)) == len(want), query
    tabs = {
        code: int(n) for code, n in re.findall(r'data-testid="tab-(\w+)">[^<]*<span class="badge[^"]*">(\d+)<', html)
    }
    assert len(tabs) == 5, html
    without = {k: v for k, v in params.items() if k != "family"}
    for family, n in tabs.items():  # a tab's figure is what the list then shows
        assert n == len(expected(user, {**without, "family": family})), (family, query)


def test_a_bad_signal_is_named_and_ignored(scored: Cast) -> None:
    client = Client()
    client.force_login(scored.am)
    page = client.get("/customers/", {"churn_band": "extreme"}).content.decode()
    assert "筛选条件有误" in page


list_params = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["active", "prospect"]),
        "tier": st.sampled_from(["A+", "A", "B", "C"]),
        "industry": st.sampled_from(["C", "I", "J", "P", "S"]),
        "customer_type": st.sampled_from(["government", "institution", "enterprise"]),
        "region": st.integers(min_value=0, max_value=20),
        "tier_from": st.sampled_from(["A", "B", "C"]),
        "tier_to": st.sampled_from(["A", "B", "C"]),
    },
)


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=list_params)
def test_save_as_segment_selects_the_same_customers_as_the_list(scored: Cast, params: dict) -> None:
    from urllib.parse import parse_qs, urlparse

    from django.conf import settings

    from zhengqi.accounts.models import Region
    from zhengqi.engine.lake import Lake
    from zhengqi.engine.rules.language import parse
    from zhengqi.scoring.configuration import month_hits

    if "region" in params:
        regions = list(Region.objects.order_by("path").values_list("code", flat=True))
        params = {**params, "region": regions[params["region"] % len(regions)]}
    client = Client()
    client.force_login(scored.admin)
    answer = client.get("/customers/to-segment/", params)
    assert answer.status_code == 302
    expression = parse_qs(urlparse(answer["Location"]).query).get("expression", [""])[0]
    listed = {row["code"] for row in client.get("/api/customers", {**params, "page_size": 1000}).json()["items"]}
    if not expression:
        assert not params
        return
    assert month_hits(parse(expression), OCT, Lake(settings.ZHENGQI_LAKE)) == listed, (expression, params)


def test_what_the_rule_language_cannot_say_is_named(scored: Cast) -> None:
    client = Client()
    client.force_login(scored.admin)
    form = client.get("/customers/to-segment/", {"tier": "B", "open_task": "yes"}, follow=True).content.decode()
    assert "tier = &#x27;B&#x27;" in form and "已略去：未完成任务" in form


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_wrong_filter_is_named_by_its_label_not_its_code(cast: Cast, data: st.DataObject) -> None:
    """Any filter given a value it cannot take: the list says which filter by the label the user
    sees (价值等级), with the reason, never the parameter's code (tier) or a Python structure."""
    from zhengqi.customers.forms import CustomerFilterForm
    from zhengqi.portal.customer_list import SignalFilterForm

    fields = {
        name: field
        for form in (CustomerFilterForm, SignalFilterForm)
        for name, field in form.base_fields.items()
        if name not in ("q", "rule", "no_manager", "region")  # free text and a flag take any value
    }
    name = data.draw(st.sampled_from(sorted(fields)))
    bad = data.draw(st.text(alphabet="xyz+<>&", min_size=1, max_size=6))  # no filter takes it
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(cast.admin)
    page = client.get("/customers/", {name: bad}).content.decode()
    assert 'data-testid="filter-errors"' in page
    errors = page.split('data-testid="filter-errors"', 1)[1].split("</div>", 1)[0]
    assert f"{fields[name].label}：" in errors
    assert f">{name}<" not in errors and "errorlist" not in errors and "{" not in errors
