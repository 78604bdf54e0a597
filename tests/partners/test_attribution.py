"""Deals attributed to partners: the checks of a claim, conflicts and the regional manager's decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from tests.conftest import Cast
from tests.partners.factories import claim, make_partner, make_rule, subscription
from zhengqi.customers.models import Customer, Product
from zhengqi.partners.models import Attribution, Statement
from zhengqi.partners.partners import attribute, conflicts_visible_to, decide, withdraw
from zhengqi.partners.settlement import settle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_channel")]
SEP = dt.date(2025, 9, 1)


def in_region_of(user) -> Customer:
    found = Customer.objects.filter(region__path__startswith=user.region.path).order_by("pk").first()
    assert found is not None
    return found


def test_a_claim_is_checked_against_the_partners_kind_contract_and_products(cast: Cast) -> None:
    admin = cast.admin
    second = Product.objects.order_by("code")[1]
    p = make_partner(admin, "SV01", is_marketing=False, is_service=True, product_codes=[second.code])
    sub = subscription(in_region_of(cast.city_manager), "100", dt.date(2024, 6, 1), k=0)
    with pytest.raises(ValidationError) as refused:
        claim(admin, p, sub, role="sales")
    text = str(refused.value)
    assert "不能获得销售酬金" in text and "不在代理商合作协议期" in text and "未获授权代理" in text
    assert not Attribution.objects.filter(partner=p).exists()


def test_two_partners_claiming_one_deal_are_disputed_until_the_regional_manager_decides(cast: Cast) -> None:
    admin, city = cast.admin, cast.city_manager
    make_rule(admin, "R", value="0.10")
    a = make_partner(admin, "AG11")
    b = make_partner(admin, "AG12")
    sub = subscription(in_region_of(city), "500.00", SEP)
    first = claim(admin, a, sub)
    assert first.status == "confirmed"
    second = attribute(by=admin, partner_id=b.pk, role="sales", subscription_id=sub.pk)
    first.refresh_from_db()
    assert first.status == second.status == "disputed"
    settle(SEP)
    assert not Statement.objects.filter(partner__in=[a, b]).exists()  # a disputed deal pays nobody
    assert set(conflicts_visible_to(city)) == {first, second}
    assert not conflicts_visible_to(cast.planner).filter(status="confirmed").exists()
    with pytest.raises(PermissionDenied):
        decide(by=cast.am, pk=second.pk)
    decide(by=city, pk=second.pk, note="合同由 AG12 签回")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decided_by) == ("rejected", "confirmed", city)
    settle(SEP)
    assert Statement.objects.get(partner=b, month=SEP).total == 50
    with pytest.raises(ValidationError, match="驳回"):
        claim(admin, a, sub)
    # the service role of the same deal is a different claim
    assert claim(admin, a, sub, role="service").status == "confirmed"


def test_a_manager_cannot_decide_a_conflict_outside_their_region(cast: Cast) -> None:
    admin = cast.admin
    a, b = make_partner(admin, "AG21"), make_partner(admin, "AG22")
    outside = Customer.objects.exclude(region__path__startswith=cast.district_manager.region.path).first()
    assert outside is not None
    sub = subscription(outside, "100", SEP)
    claim(admin, a, sub)
    rival = claim(admin, b, sub)
    with pytest.raises(Http404):
        decide(by=cast.district_manager, pk=rival.pk)


def test_withdrawing_one_of_two_claims_puts_the_other_back_in_force(cast: Cast) -> None:
    admin = cast.admin
    a, b = make_partner(admin, "AG31"), make_partner(admin, "AG32")
    sub = subscription(in_region_of(cast.city_manager), "100", SEP)
    first, second = claim(admin, a, sub), claim(admin, b, sub)
    withdraw(by=admin, pk=second.pk)
    first.refresh_from_db()
    assert first.status == "confirmed"
    with pytest.raises(ValidationError, match="已登记"):
        claim(admin, a, sub)


def test_an_account_manager_claims_only_deals_of_their_own_customers(cast: Cast) -> None:
    p = make_partner(cast.admin, "AG41")
    theirs = subscription(cast.customer_of_other_am(), "100", SEP)
    with pytest.raises(Http404):
        attribute(by=cast.am, partner_id=p.pk, role="sales", subscription_id=theirs.pk)
    mine = Customer.objects.filter(account_manager=cast.am).first()
    assert mine is not None
    ok = attribute(by=cast.am, partner_id=p.pk, role="sales", subscription_id=subscription(mine, "100", SEP).pk)
    assert ok.claimed_by == cast.am
