"""A customer's life: a won opportunity brings a prospect into service with its products pending
until BSS confirms them; a customer marked lost (with a reason, kept in the history) is what the
month run reads as lost, and can be reactivated; whatever the order of these steps, a refused one
changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.lifecycle import customer_mark_lost, customer_reactivate
from zhengqi.customers.models import Customer, Product, Subscription
from zhengqi.customers.selectors import customer_history
from zhengqi.engine.lake import Lake
from zhengqi.imports.services import import_file
from zhengqi.marketing.models import Stage
from zhengqi.marketing.pipeline.services import OpportunityInput, opportunity_create
from zhengqi.scoring.export import export_dimensions

pytestmark = pytest.mark.django_db


def test_a_won_opportunity_brings_a_prospect_into_service(cast: Cast, tmp_path: Path) -> None:
    prospect = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert prospect is not None
    Customer.objects.filter(pk=prospect.pk).update(status=Customer.Status.PROSPECT)
    product = Product.objects.exclude(subscriptions__customer=prospect).order_by("code").first()
    assert product is not None
    opportunity_create(
        by=cast.am,
        customer=prospect,
        data=OpportunityInput(
            name="园区专线", close_date=dt.date(2026, 12, 1), stage=Stage.SIGNED, product_codes=[product.code]
        ),
    )
    prospect.refresh_from_db()
    assert prospect.status == Customer.Status.ACTIVE and prospect.source == Customer.Source.OPPORTUNITY
    pending = Subscription.objects.get(customer=prospect, product=product)
    assert pending.status == Subscription.Status.PENDING and pending.source == "opportunity"
    lake = Lake(tmp_path / "lake")
    export_dimensions(lake)
    subs = lake.connect("duckdb").table("dim_subscriptions").to_pyarrow().to_pylist()
    assert not any(s["customer_code"] == prospect.code and s["product_code"] == product.code for s in subs)

    # BSS confirms it: its subscription comes in by import and the pending one is gone.
    path = tmp_path / "subscriptions.csv"
    path.write_text(
        f"客户编码,产品编码,开通日期,月费,状态\n{prospect.code},{product.code},2026-12-03,{product.list_price},active\n",
        encoding="utf-8",
    )
    batch = import_file("subscriptions", path, by=cast.admin)
    assert batch.status == "succeeded" and batch.rejected == 0, batch.message
    held = Subscription.objects.filter(customer=prospect, product=product)
    assert [(s.status, s.source) for s in held] == [("active", "import")]


ACTIONS = st.lists(st.tuples(st.sampled_from(["lost", "back"]), st.sampled_from(["", "转投其他运营商"])), max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_lost_and_back_in_any_order(cast: Cast, actions: list[tuple[str, str]]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("pk").first()
    assert customer is not None
    with transaction.atomic():
        for action, reason in actions:
            customer.refresh_from_db()
            before = (customer.status, customer.lost_on, customer.lost_reason)
            try:
                with transaction.atomic():
                    if action == "lost":
                        customer_mark_lost(customer=customer, by=cast.am, reason=reason)
                    else:
                        customer_reactivate(customer=customer, by=cast.am, reason=reason)
            except ValidationError as err:
                assert err.messages
                customer.refresh_from_db()
                assert (customer.status, customer.lost_on, customer.lost_reason) == before
                continue
            customer.refresh_from_db()
            assert reason  # nothing passes without a reason
            if action == "lost":
                assert before[0] == "active" and customer.status == "churned" and customer.lost_reason == reason
            else:
                assert before[0] == "churned" and customer.status == "active" and customer.lost_on is None
        transaction.set_rollback(True)


def test_lost_is_in_the_history_and_the_api(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("pk").first()
    assert customer is not None
    client = Client()
    client.force_login(cast.am)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    refused = client.post(
        f"/api/customers/{customer.pk}/lost",
        json.dumps({"reason": "单位撤销", "on": future}),
        content_type="application/json",
    )
    assert refused.status_code == 422 and "不能晚于今天" in refused.json()["detail"]
    answer = client.post(
        f"/api/customers/{customer.pk}/lost", json.dumps({"reason": "单位撤销"}), content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "churned"
    assert any("单位撤销" in c.actor for c in customer_history(customer))
    other = Client()
    other.force_login(cast.other_am)
    assert (
        other.post(
            f"/api/customers/{customer.pk}/reactivate", json.dumps({"reason": "回归"}), content_type="application/json"
        ).status_code
        == 404
    )
    back = client.post(
        f"/api/customers/{customer.pk}/reactivate", json.dumps({"reason": "客户回归"}), content_type="application/json"
    )
    assert back.status_code == 200 and back.json()["status"] == "active" and back.json()["lost_on"] is None
