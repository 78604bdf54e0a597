"""What the customer answered to a bundle: for any sequence of attempts, by any role, the bundle's
outcome is the first valid answer by someone who keeps customers, a loss always has its reason, and
nothing changes it afterwards; the outcome table counts each bundle once, by where our price stood
against the competitor's; a signed bundle is a signed deal in the pipeline (a new opportunity, or
an open one of the customer signed — never another customer's); a bundle outside one's scope is
404 on the page and in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts import matrix
from zhengqi.accounts.models import User
from zhengqi.competition.models import Bundle, TariffPlan
from zhengqi.competition.tariffs import bundle_decide, bundle_outcomes, position_of, price_of
from zhengqi.customers.models import Customer, Product, Subscription
from zhengqi.marketing.models import Opportunity, Stage
from zhengqi.marketing.pipeline.services import OpportunityInput, opportunity_create

pytestmark = pytest.mark.django_db

ROLES = ("admin", "planner", "city_manager", "am", "partner")
attempts = st.lists(
    st.tuples(
        st.sampled_from(ROLES),
        st.sampled_from(["won", "lost", "offered", "", "签约"]),
        st.sampled_from(["", "  ", "价格高于电信", "x" * 201]),
    ),
    min_size=1,
    max_size=6,
)


def offered(customer: Customer, fee: str = "50", theirs: TariffPlan | None = None) -> Bundle:
    plan = TariffPlan.objects.create(name=f"测试资费{fee}", monthly_fee=Decimal(fee))
    return Bundle.objects.create(customer=customer, tariff=plan, lines=10, competitor_tariff=theirs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tries=attempts)
def test_the_first_valid_answer_stands(cast: Cast, tries: list[tuple[str, str, str]]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    bundle = offered(customer)
    expected: tuple[str, str] | None = None
    for role, outcome, reason in tries:
        user: User = getattr(cast, role)
        valid = (
            matrix.role_of(user) in matrix.WORKERS
            and expected is None
            and outcome in ("won", "lost")
            and (outcome == "won" or reason.strip() != "")
            and len(reason.strip()) <= 200
        )
        try:
            bundle_decide(by=user, bundle=bundle, outcome=outcome, reason=reason, deal="none")
        except PermissionDenied:
            assert matrix.role_of(user) not in matrix.WORKERS
        except ValidationError as err:
            assert not valid
            assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in err.messages)
        else:
            assert valid, (role, outcome, reason)
            expected = (outcome, reason.strip() if outcome == "lost" else "")
        bundle.refresh_from_db()
        if expected is None:
            assert (bundle.status, bundle.decided_at) == ("offered", None)
        else:
            assert (bundle.status, bundle.lost_reason) == expected and bundle.decided_at is not None


def test_the_outcome_table_counts_each_bundle_once_by_its_price(cast: Cast) -> None:
    Bundle.objects.all().delete()
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    cheap = TariffPlan.objects.create(name="对手低价", operator="telecom", monthly_fee=Decimal("30"))
    dear = TariffPlan.objects.create(name="对手高价", operator="telecom", monthly_fee=Decimal("90"))
    made = [
        offered(customer, "50", dear),  # ours cheaper
        offered(customer, "50", dear),
        offered(customer, "50", cheap),  # ours dearer
        offered(customer, "50", None),  # nothing to compare
    ]
    bundle_decide(by=cast.am, bundle=made[0], outcome="won", deal="none")
    bundle_decide(by=cast.am, bundle=made[2], outcome="lost", reason="价格")
    other = cast.customer_of_other_am()
    offered(other, "60", dear)  # another manager's: not in am's table

    rows = {r.position: r for r in bundle_outcomes(cast.am)}
    assert [(rows[p].offered, rows[p].won, rows[p].lost) for p in ("cheaper", "dearer", "unknown")] == [
        (2, 1, 0),
        (1, 0, 1),
        (1, 0, 0),
    ]
    assert rows["cheaper"].win_rate == 1.0 and rows["dearer"].win_rate == 0.0 and rows["unknown"].win_rate is None
    everyone = bundle_outcomes(cast.admin)
    assert sum(r.offered for r in everyone) == Bundle.objects.count() == 5
    by_hand = {p: 0 for p in ("cheaper", "dearer", "unknown")}
    for b in Bundle.objects.select_related("tariff", "terminal", "competitor_tariff"):
        by_hand[position_of(price_of(b))] += 1
    assert {r.position: r.offered for r in everyone} == by_hand


def test_the_page_and_the_api_record_an_answer_in_scope_only(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    mine, theirs = offered(customer), offered(cast.customer_of_other_am())
    am = Client()
    am.force_login(cast.am)
    page = am.post(f"/competition/bundles/{mine.pk}/decision/", {"outcome": "lost", "reason": ""}, follow=True)
    assert "请填写未成交的原因" in page.content.decode()
    mine.refresh_from_db()
    assert mine.status == "offered"
    am.post(f"/competition/bundles/{mine.pk}/decision/", {"outcome": "lost", "reason": "终端补贴不足"})
    mine.refresh_from_db()
    assert (mine.status, mine.lost_reason, mine.decided_by_id) == ("lost", "终端补贴不足", cast.am.pk)
    again = am.post(f"/api/bundles/{mine.pk}/decision", {"outcome": "won"}, content_type="application/json")
    assert again.status_code == 422 and "不能再改" in again.json()["detail"]
    assert am.post(f"/competition/bundles/{theirs.pk}/decision/", {"outcome": "won"}).status_code == 404
    assert (
        am.post(f"/api/bundles/{theirs.pk}/decision", {"outcome": "won"}, content_type="application/json").status_code
        == 404
    )
    listed = am.get(f"/api/customers/{customer.pk}/bundles").json()
    assert {b["id"]: b["status_label"] for b in listed}[mine.pk] == "未成交"
    shown = am.get(f"/competition/customers/{customer.pk}/bundles/").content.decode()
    assert "终端补贴不足" in shown
    signed = offered(customer, "55")
    assert "签约：新建一条已签约商机" in am.get(f"/competition/customers/{customer.pk}/bundles/").content.decode()
    said = am.post(f"/competition/bundles/{signed.pk}/decision/", {"outcome": "won", "deal": "new"}, follow=True)
    signed.refresh_from_db()
    assert signed.status == "won" and signed.opportunity is not None
    assert f"/marketing/opportunities/{signed.opportunity.pk}/" in said.content.decode()
    outcomes = am.get("/api/bundle-outcomes").json()
    assert sum(r["offered"] for r in outcomes) == Bundle.objects.filter(customer__account_manager=cast.am).count()
    assert "组合报价结果" in am.get("/competition/tariffs/").content.decode()


def test_a_signed_bundle_is_a_signed_deal_in_the_pipeline(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert customer is not None
    app = Product.objects.order_by("code").first()
    assert app is not None

    fresh = offered(customer, "40")
    fresh.application, fresh.application_fee = app, Decimal("300")
    fresh.save()
    done = bundle_decide(by=cast.am, bundle=fresh, outcome="won")  # the default: a new signed opportunity
    deal = done.opportunity
    assert deal is not None and deal.customer_id == customer.pk and deal.stage == Stage.SIGNED
    assert deal.expected_revenue == price_of(done).ours == Decimal("700.00")  # 40 × 10 lines + 300
    assert list(deal.products.values_list("code", flat=True)) == [app.code]
    assert Subscription.objects.filter(customer=customer, product=app).exists()  # the won deal's product comes in

    day = dt.date.today()
    talks = opportunity_create(
        by=cast.am, customer=customer, data=OpportunityInput(name="园区专网", close_date=day, expected_revenue=0)
    )
    other = cast.customer_of_other_am()
    theirs = opportunity_create(
        by=cast.admin, customer=other, data=OpportunityInput(name="别家商机", close_date=day, expected_revenue=9)
    )
    second = offered(customer, "45")
    before = Opportunity.objects.count()
    with pytest.raises(ValidationError) as refused:
        bundle_decide(by=cast.am, bundle=second, outcome="won", deal=str(theirs.pk))  # another customer's
    assert "进行中的商机" in str(refused.value)
    second.refresh_from_db()
    assert second.status == "offered" and Opportunity.objects.count() == before
    done = bundle_decide(by=cast.am, bundle=second, outcome="won", deal=str(talks.pk))
    talks.refresh_from_db()
    assert done.opportunity_id == talks.pk and talks.stage == Stage.SIGNED and talks.expected_revenue == Decimal("450")
    assert Opportunity.objects.count() == before

    quiet = offered(customer, "46")
    assert bundle_decide(by=cast.am, bundle=quiet, outcome="won", deal="none").opportunity is None
    lost = offered(customer, "47")
    assert bundle_decide(by=cast.am, bundle=lost, outcome="lost", reason="价格").opportunity is None
    assert Opportunity.objects.count() == before
