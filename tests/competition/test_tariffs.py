"""终端与资费: a bundle's monthly price against the competitor's for any terminals, lines and
tariffs; the tariff health bounded and monotone; the catalogue kept by planners; a competitor tariff
recorded from an event becomes the customer's comparison, in its bundles and in the five-dimension
risk; bad input refused in Chinese with nothing saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.competition.models import Bundle, CompetitorEvent, TariffPlan
from zhengqi.competition.tariffs import (
    BundleInput,
    bundle_create,
    bundle_price,
    competitor_tariff_add,
    tariff_add,
    tariff_health,
    terminal_add,
)
from zhengqi.engine.value.tiers import VIP_TIERS
from zhengqi.insight import dashboards, figures
from zhengqi.scoring.models import CustomerSnapshot
from zhengqi.scoring.month_run import month_run

money = st.decimals(0, 10000, places=2)


@given(fee=money, lines=st.integers(1, 5000), price=money, terminals=st.integers(0, 500),
       months=st.integers(1, 120), app=money, theirs=st.one_of(st.none(), money))  # fmt: skip
def test_a_bundle_costs_its_lines_application_and_spread_terminals(
    fee: Decimal, lines: int, price: Decimal, terminals: int, months: int, app: Decimal, theirs: Decimal | None
) -> None:
    p = bundle_price(fee=fee, lines=lines, terminal_price=price, terminals=terminals, months=months,
                     application_fee=app, their_fee=theirs)  # fmt: skip
    exact = fee * lines + app + price * terminals / months
    assert abs(p.ours - exact) <= Decimal("0.005")
    if theirs is None:
        assert p.theirs is None and p.gap is None
    else:
        assert p.theirs == (theirs * lines).quantize(Decimal("0.01"))
        if p.theirs:  # the gap (rounded to a hundredth of a percent) never points the wrong way
            assert p.gap is not None
            assert (p.gap <= 0 or p.ours > p.theirs) and (p.gap >= 0 or p.ours < p.theirs)
            assert p.ours != p.theirs or p.gap == 0


@given(theirs=money, ours=money, more=money)
def test_tariff_health_is_bounded_and_falls_as_the_competitor_gets_cheaper(
    theirs: Decimal, ours: Decimal, more: Decimal
) -> None:
    h = tariff_health(theirs, ours)
    assert 0.0 <= h <= 1.0
    assert tariff_health(theirs + more, ours) >= h
    if ours > 0 and theirs >= ours:
        assert h == 1.0


@pytest.mark.django_db
def test_a_competitor_tariff_from_an_event_is_the_customers_comparison(cast: Cast) -> None:
    month_run(month=dt.date(2026, 10, 1))
    snap = (
        CustomerSnapshot.objects.filter(month=dt.date(2026, 10, 1), tier__in=VIP_TIERS)
        .filter(members_active__gt=0, revenue__gt=0)
        .select_related("customer")
        .order_by("customer__code")
        .first()
    )  # fmt: skip
    assert snap is not None
    customer = snap.customer
    manager = customer.account_manager
    assert manager is not None

    with pytest.raises(PermissionDenied):
        tariff_add(by=manager, name="集团畅享 59", monthly_fee="59")
    with pytest.raises(ValidationError) as err:
        terminal_add(by=cast.planner, name="", kind="phone", price="两千")
    assert {"name", "price"} <= set(err.value.message_dict)
    ours = tariff_add(by=cast.planner, name="集团畅享 59", monthly_fee="59元", data_gb="30", minutes="500")
    phone = terminal_add(by=cast.planner, name="5G 手机", kind="phone", price="2,400")
    assert (ours.monthly_fee, phone.price) == (Decimal("59.00"), Decimal("2400.00"))

    today = timezone.localdate()  # later than any event of the demo: the customer's latest competitor tariff
    event = CompetitorEvent.objects.create(operator="telecom", kind="offer", summary="低价套餐", date=today)
    event.customers.add(customer)
    per_line = Decimal(snap.revenue) / snap.members_active
    half = (per_line / 2).quantize(Decimal("0.01"))
    with pytest.raises(ValidationError):
        competitor_tariff_add(by=manager, event=event, name="融合 39", monthly_fee="-1")
    theirs = competitor_tariff_add(by=manager, event=event, name="融合套餐", monthly_fee=str(half))
    assert theirs.operator == "telecom" and TariffPlan.objects.filter(event=event).count() == 1

    before = Bundle.objects.count()
    for bad in (
        BundleInput(tariff_id=None, lines=10),
        BundleInput(tariff_id=ours.pk, lines="十"),
        BundleInput(tariff_id=ours.pk, lines=10, terminal_id=phone.pk, terminals=0),
        BundleInput(tariff_id=ours.pk, lines=10, months=0),
    ):
        with pytest.raises(ValidationError) as err:
            bundle_create(by=manager, customer=customer, data=bad)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in err.value.messages)
    assert Bundle.objects.count() == before
    made = bundle_create(
        by=manager, customer=customer, data=BundleInput(tariff_id=ours.pk, lines=10, terminal_id=phone.pk, terminals=10)
    )
    assert made.competitor_tariff_id == theirs.pk  # the latest recorded for the customer

    f = figures.make_filters(cast.admin, month="2026-10")
    rows = {r.snapshot.customer_id: r for r in dashboards.risk_scores(cast.admin, f)}
    assert rows[customer.pk].scores["tariff"] == pytest.approx(float(half / per_line), abs=1e-3)

    client = Client()
    client.force_login(manager)
    got = client.get(f"/api/customers/{customer.pk}/bundles").json()
    assert got[0]["their_monthly"] == str((half * 10).quantize(Decimal("0.01")))
    assert client.get(f"/competition/customers/{customer.pk}/bundles/").status_code == 200
    other = cast.customer_of_other_am()
    if other.account_manager_id != manager.pk:
        assert client.get(f"/api/customers/{other.pk}/bundles").status_code == 404
