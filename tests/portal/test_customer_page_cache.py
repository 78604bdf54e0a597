"""The customer's page is cached per version of the customer's data (issue 25): whatever changes, by
whichever path — a save on a page, a bulk write, a month run, an edit of another unit of the group —
the next view shows it, and a view by another user never shows what only the first may see."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.lifecycle import customer_won
from zhengqi.customers.models import Contract, Customer, CustomerMonth, KeyPerson, Product
from zhengqi.marketing.models import Campaign, CampaignTarget, Interaction, Opportunity

OCT = dt.date(2026, 10, 1)
counter = itertools.count()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, customer: Customer) -> str:
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _key_person(c: Customer, text: str) -> str:
    KeyPerson.objects.create(customer=c, name=text[:50])
    return text[:50]


def _contract(c: Customer, text: str) -> str:
    Contract.objects.create(customer=c, number=text[:40], start=OCT, end=OCT + dt.timedelta(days=400), amount=1)
    return text[:40]


def _interaction(c: Customer, text: str) -> str:
    Interaction.objects.create(customer=c, by=c.account_manager, date=dt.date.today(), summary=text)
    return text


def _opportunity(c: Customer, text: str) -> str:
    Opportunity.objects.create(
        customer=c,
        owner=c.account_manager,
        name=text[:100],
        expected_revenue=Decimal("1"),
        close_date=OCT + dt.timedelta(days=100 + next(counter)),  # the latest: the panel shows eight
    )
    return text[:100]


def _record(c: Customer, text: str) -> str:
    c.address = text
    c.save()
    return text


def _group(c: Customer, text: str) -> str:
    """A new unit under the customer: its name shows in the customer's group hierarchy."""
    Customer.objects.create(
        code=text[:20],
        name=text,
        customer_type=c.customer_type,
        industry=c.industry,
        scale=c.scale,
        region=c.region,
        account_manager=c.account_manager,
        parent=c,
    )
    return text


def _campaign(c: Customer, text: str) -> str:
    """A bulk write (no signals), as a campaign's launch makes its targets."""
    start = OCT + dt.timedelta(days=100 + next(counter))  # the latest: the panel shows the latest eight
    campaign = Campaign.objects.create(name=text[:100], start=start, end=start, segment="1 = 1", seed=1)
    CampaignTarget.objects.bulk_create([CampaignTarget(campaign=campaign, customer=c, account_manager_id=None)])
    return text[:100]


def _subscription(c: Customer, text: str) -> str:
    """Subscriptions made in bulk by a won opportunity."""
    held = c.subscriptions.values("product")
    product = Product.objects.exclude(pk__in=held).order_by("code").first()
    if product is None:  # the customer holds them all: a new one, written past the signals
        code = f"T{next(counter)}"
        Product.objects.bulk_create([Product(code=code, name=f"产品{code}", category="ict", complexity="low")])
        product = Product.objects.get(code=code)
    customer_won(customer=c, products=[product], by=c.account_manager, owner=None, opportunity_ref=text[:20])
    return product.name


def _revenue(c: Customer, text: str) -> str:
    """The latest month's revenue rewritten in bulk (an import's path, which then changes the data
    version)."""
    from zhengqi.customers.versions import data_changed

    amount = 100000 + next(counter)
    latest = CustomerMonth.objects.filter(customer=c).order_by("-month").values("pk")[:1]
    CustomerMonth.objects.filter(pk__in=latest).update(revenue_total=Decimal(amount))
    data_changed()
    return f"¥{amount:,}.00"


EDITS: dict[str, Callable[[Customer, str], str]] = {
    "key person": _key_person,
    "agreement": _contract,
    "contact": _interaction,
    "opportunity": _opportunity,
    "customer record": _record,
    "group unit": _group,
    "campaign (bulk)": _campaign,
    "subscriptions (bulk)": _subscription,
    "revenue (bulk)": _revenue,
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=6))
def test_every_edit_shows_on_the_next_view(cast: Cast, steps: list[str]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    client = client_for(cast.am)
    page(client, customer)  # cached
    for step in steps:
        text = f"缓存{next(counter)}号{step}"
        shown = EDITS[step](customer, text)
        assert shown in page(client, customer), f"after a {step}, the page still shows the cached one"
        customer.refresh_from_db()


def test_a_month_run_shows_on_the_next_view(cast: Cast) -> None:
    from zhengqi.scoring.month_run import month_run

    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    client = client_for(cast.am)
    month_run(month=OCT - dt.timedelta(days=31))
    assert 'data-testid="value-card"' in page(client, customer)
    assert "2026-10" not in page(client, customer).split('data-testid="value-card"')[1][:400]
    month_run(month=OCT)
    assert "2026-10" in page(client, customer).split('data-testid="value-card"')[1][:400]


def test_the_cached_page_is_the_viewers_own(cast: Cast) -> None:
    """The body is cached per viewer: what one user may see (the edit links, the full phone
    numbers' reveal button) never shows to another who may not, and each gets a valid form token."""
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    KeyPerson.objects.create(customer=customer, name="缓存测试联系人", phone="13912345678")
    mine = page(client_for(cast.am), customer)
    assert 'data-testid="add-person"' in mine
    planner = page(client_for(cast.planner), customer)
    assert 'data-testid="add-person"' not in planner
    assert "13912345678" not in mine and "13912345678" not in planner
    assert "zq-csrf-token-placeholder" not in mine + planner
    # The form posts with the token of the page it came from, whether the body was cached or not.
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.am)
    for _ in range(2):
        html = page(client, customer)
        token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        response = client.post(
            reverse("marketing:task_create", args=[customer.pk]),
            {"title": "缓存页面上的任务", "due": "2026-12-31", "priority": "medium", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302, response.status_code  # 403 if the token were not the session's


@pytest.mark.parametrize("language", ["en"])
def test_the_page_is_cached_per_language(cast: Cast, language: str) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    client = client_for(cast.am)
    assert "基本资料" in page(client, customer)
    client.cookies["django_language"] = language
    english = page(client, customer)
    assert "基本资料" not in english


def test_the_service_card_shows_a_new_request_and_survey_on_the_next_view(cast: Cast) -> None:
    """The service card is kept a minute at most, but any change to the customer's requests or
    surveys shows at once (the customer's version)."""
    from zhengqi.support.requests import RequestInput, request_create
    from zhengqi.support.surveys import SurveyInput, survey_record

    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    client = client_for(cast.am)
    assert "服务卡片测试" not in page(client, customer)
    data = RequestInput(customer_id=customer.pk, request_type="complaint", title="服务卡片测试")
    request_create(by=cast.am, data=data)
    assert "服务卡片测试" in page(client, customer)
    before = page(client, customer).count('data-testid="survey-form"')
    survey_record(by=cast.am, data=SurveyInput(customer_id=customer.pk, kind="delivery", satisfied=False, note="卡片"))
    html = page(client, customer)
    assert "最近的满意度调查" in html and html.count('data-testid="survey-form"') == before
