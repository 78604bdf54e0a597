"""All-staff referrals (全员营销): any login refers a lead; it reaches the right person; its contact is
masked for everyone but the referrer and the follower; its reward is the rule version in force in the
month it was won, whatever versions come later."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Referral, ReferralRewardRule
from zhengqi.marketing.referrals import (
    ReferralInput,
    phone_for,
    referral_create,
    referral_progress,
    referrals_visible_to,
    reward_rule_add,
    rewards,
)
from zhengqi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def lead(by: User, region_id: int, **kw: str) -> Referral:
    return referral_create(
        by=by,
        data=ReferralInput(
            organisation=kw.get("organisation", "云海新材料有限公司"),
            region_id=region_id,
            need=kw.get("need", "新厂区 100 条宽带"),
            contact_name="李经理",
            contact_phone=kw.get("phone", "139 1234 5678"),
            credit_code=kw.get("credit_code", ""),
        ),
    )


def test_a_lead_reaches_the_customers_manager_or_the_regions(cast: Cast) -> None:
    known = (
        Customer.objects.filter(account_manager=cast.am, credit_code__isnull=False)
        .exclude(credit_code="")
        .order_by("code")
        .first()
    )
    assert known is not None
    partner_lead = lead(cast.partner, known.region_id, organisation="随便写的名字", credit_code=known.credit_code)
    assert partner_lead.customer == known and partner_lead.routed_to == cast.am
    assert Notification.objects.filter(user=cast.am, key=f"referral:{partner_lead.pk}").exists()

    region = cast.district_manager.region
    assert region is not None
    fresh = lead(cast.planner, region.pk, organisation="一家全新的单位")
    assert fresh.customer is None and fresh.routed_to == cast.district_manager
    assert fresh.contact_phone == "13912345678"  # as typed, spaces dropped

    # masked for all but the referrer and the follower
    assert phone_for(cast.partner, partner_lead) == "13912345678"
    assert phone_for(cast.am, partner_lead) == "13912345678"
    assert phone_for(cast.admin, partner_lead) == "139****5678"
    # a partner sees its own referrals only
    assert set(referrals_visible_to(cast.partner)) == set(Referral.objects.filter(referrer=cast.partner))
    assert fresh not in referrals_visible_to(cast.partner)
    assert fresh in referrals_visible_to(cast.city_manager)  # the city over the district


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("phone", "12345", "手机号"),
        ("credit_code", "123", "18 位"),
        ("organisation", " ", "单位名称"),
        ("need", "", "需求"),
    ],
)
def test_a_bad_lead_is_refused_in_chinese_and_saves_nothing(cast: Cast, field: str, value: str, says: str) -> None:
    region = cast.district_manager.region
    assert region is not None
    before = Referral.objects.count()
    with pytest.raises(ValidationError) as refused:
        lead(cast.partner, region.pk, **{field: value})
    assert says in str(refused.value)
    assert Referral.objects.count() == before


def test_only_its_follower_or_a_manager_decides_and_a_decision_is_final(cast: Cast) -> None:
    region = cast.district_manager.region
    assert region is not None
    made = lead(cast.partner, region.pk, organisation="一家全新的单位")
    with pytest.raises(PermissionDenied):
        referral_progress(by=cast.other_am, referral=made, status="following")
    with pytest.raises(ValidationError) as why:
        referral_progress(by=cast.district_manager, referral=made, status="lost")
    assert "原因" in str(why.value)
    with pytest.raises(ValidationError) as revenue:
        referral_progress(by=cast.district_manager, referral=made, status="won")
    assert "月收入" in str(revenue.value)
    referral_progress(by=cast.district_manager, referral=made, status="won", won_revenue="1,200")
    made.refresh_from_db()
    assert made.won_revenue == Decimal("1200.00")
    with pytest.raises(ValidationError):
        referral_progress(by=cast.district_manager, referral=made, status="following")
    client = Client()
    client.force_login(User.objects.filter(role=User.Role.DEPARTMENT).first())
    assert client.post(f"/marketing/referrals/{made.pk}/progress/", {"status": "lost"}).status_code == 404


RULES = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 300), st.integers(0, 20), st.one_of(st.none(), st.integers(1, 500))),
    min_size=1,
    max_size=4,
)


@given(rules=RULES, wins=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 20000)), min_size=1, max_size=5))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_reward_is_the_rule_in_force_in_the_month_it_was_won(
    cast: Cast, rules: list[tuple[int, int, int, int | None]], wins: list[tuple[int, int]]
) -> None:
    Referral.objects.all().delete()
    ReferralRewardRule.objects.all().delete()
    first = dt.date(2025, 1, 1)

    def month(k: int) -> dt.date:
        return dt.date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1)

    for start, fixed, percent, cap in rules:
        if fixed == 0 and percent == 0:
            fixed = 1
        reward_rule_add(
            by=cast.admin, effective_from=month(start), fixed=str(fixed), rate=f"{percent}%", cap=str(cap or "")
        )
    region = cast.district_manager.region
    assert region is not None
    for k, (m, revenue) in enumerate(wins):
        made = lead(cast.partner, region.pk, organisation=f"单位{k}")
        at = timezone.make_aware(dt.datetime.combine(month(m), dt.time(12)))
        referral_progress(by=cast.district_manager, referral=made, status="won", won_revenue=str(revenue), now=at)
    versions = list(ReferralRewardRule.objects.all())
    for m in range(6):
        want = Decimal("0")
        for wm, revenue in wins:
            if wm != m:
                continue
            current = [r for r in versions if r.effective_from <= month(m)]
            if not current:
                continue
            rule = max(current, key=lambda r: (r.effective_from, r.version))
            amount = rule.fixed + rule.rate * Decimal(revenue)
            if rule.cap is not None:
                amount = min(amount, rule.cap)
            want += amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        got = sum((row.total for row in rewards(user=cast.admin, month=month(m))), Decimal("0"))
        assert got == want
