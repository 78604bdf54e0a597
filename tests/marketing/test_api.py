"""The account manager's day through the REST API: same services, same access, Chinese refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, KeyPerson
from zhengqi.marketing.models import Task

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: object) -> object:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_task_create_list_and_close(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    client = client_for(cast.am)
    due = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    created = post(client, f"/api/customers/{customer.pk}/tasks", {"title": "API 任务", "due": due})
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    listed = client.get("/api/tasks").json()["items"]
    assert any(t["id"] == task_id for t in listed)
    refused = post(client, f"/api/tasks/{task_id}/close", {"outcome": " "})
    assert refused.status_code == 422 and "处理结果" in refused.json()["detail"]
    done = post(client, f"/api/tasks/{task_id}/close", {"outcome": "已完成"})
    assert done.json()["status"] == "done"
    assert post(client_for(cast.other_am), f"/api/tasks/{task_id}/close", {"outcome": "x"}).status_code == 404


def test_interaction_with_next_step_and_correction(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    people = list(customer.key_persons.values_list("pk", flat=True)[:2])
    client = client_for(cast.am)
    body = {
        "kind": "meeting",
        "date": "2026-11-20",
        "key_person_ids": people,
        "summary": "项目启动会",
        "next_step": "提交方案",
        "next_due": "2026-12-05",
        "corrections": {"address": "API 更正的地址"},
    }
    made = post(client, f"/api/customers/{customer.pk}/interactions", body)
    assert made.status_code == 201, made.content
    assert sorted(made.json()["key_person_ids"]) == sorted(people)
    assert Task.objects.filter(customer=customer, title="提交方案").exists()
    history = client.get(f"/api/customers/{customer.pk}/history").json()
    assert history[0]["new"] == "API 更正的地址" and history[0]["field"] == "地址"
    bad = post(client, f"/api/customers/{customer.pk}/interactions", {**body, "corrections": {"tier": "A+"}})
    assert bad.status_code == 422 and "不能在此更正" in bad.json()["detail"]
    theirs = cast.customer_of_other_am()
    assert post(client, f"/api/customers/{theirs.pk}/interactions", body).status_code == 404


def test_key_persons_masked_and_revealed_with_log(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    person = KeyPerson.objects.create(customer=customer, name="接口关键人", phone="13700001234")
    masked = client_for(cast.am).get(f"/api/customers/{customer.pk}/key-persons").json()
    assert {"137****1234"} == {p["phone"] for p in masked if p["id"] == person.pk}
    shown = post(client_for(cast.am), f"/api/customers/{customer.pk}/key-persons/reveal", {})
    assert any(p["phone"] == "13700001234" for p in shown.json())
    assert LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.ACCESS, actor=cast.am).exists()
    admin = post(client_for(cast.admin), f"/api/customers/{customer.pk}/key-persons/reveal", {})
    assert admin.status_code == 403 and "无权" in admin.json()["detail"]


def test_reassign_and_workload(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(tier="A+")
    junior = User.objects.create(username="api_junior", role="account_manager", region=cast.am.region, grade=1)
    body = {"customer_ids": [customer.pk], "to_manager_id": junior.pk}
    refused = post(client_for(cast.district_manager), "/api/customers/reassign", body)
    assert refused.status_code == 422 and "任职资格" in refused.json()["detail"]
    assert post(client_for(cast.am), "/api/customers/reassign", body).status_code == 403
    rows = client_for(cast.district_manager).get("/api/customers/managers/workload").json()
    assert any(r["manager_id"] == cast.am.pk and r["customers"] > 0 for r in rows)
    assert client_for(cast.am).get("/api/customers/managers/workload").status_code == 403


def test_next_products(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert customer is not None
    rows = client_for(cast.am).get(f"/api/customers/{customer.pk}/next-products").json()
    assert rows and all(0 < r["penetration"] <= 1 for r in rows)
