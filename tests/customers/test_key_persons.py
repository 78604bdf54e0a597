"""Key persons kept by the people who work the customer: whatever sequence of additions, edits and
departures they try, a person is never on the customer twice, a refused input saves nothing, a save
over someone else's newer edit is refused, personal data stays masked for roles that may not see it
and every unmasked view is logged."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.key_persons import (
    key_person_create,
    key_person_retire,
    key_person_update,
)
from zhengqi.customers.models import Customer, KeyPerson
from zhengqi.web.forms import StaleEdit

pytestmark = pytest.mark.django_db

NAMES = st.sampled_from(["张伟", "王芳", "李娜", "张伟 ", " 王芳"])
PHONES = st.sampled_from(
    ["", "13800138000", "138-0013-8000", "13912345678", "+86 139 1234 5678", "12345", "021-12345678"]
)
ROLES = st.lists(
    st.sampled_from(["user", "influencer", "decider", "approver", "buyer", "gatekeeper", "boss"]), max_size=3
)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), NAMES, PHONES, ROLES),
        st.tuples(st.just("edit"), NAMES, PHONES, ROLES),
        st.tuples(st.just("leave"), NAMES, PHONES, ROLES),
    ),
    min_size=1,
    max_size=12,
)


def _state(customer: Customer) -> list[tuple[object, ...]]:
    return sorted(
        (p.pk, p.name, p.phone, p.left_on, p.version, tuple(sorted(r.role for r in p.roles.all())))
        for p in KeyPerson.objects.filter(customer=customer).prefetch_related("roles")
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_no_person_twice_and_a_refusal_saves_nothing(cast: Cast, steps: list[tuple[str, str, str, list[str]]]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    with transaction.atomic():
        KeyPerson.objects.filter(customer=customer).delete()
        for action, name, phone, roles in steps:
            before = _state(customer)
            try:
                with transaction.atomic():
                    if action == "add":
                        key_person_create(customer=customer, by=cast.am, roles=roles, name=name, phone=phone)
                    else:
                        person = KeyPerson.objects.filter(customer=customer, left_on__isnull=True).first()
                        if person is None:
                            continue
                        if action == "edit":
                            key_person_update(person=person, by=cast.am, roles=roles, name=name, phone=phone)
                        else:
                            key_person_retire(person=person, by=cast.am, reason="调往其他单位")
            except ValidationError as err:
                assert err.messages and all(m.strip() for m in err.messages)
                assert _state(customer) == before, "a refused input changed something"
            active = list(KeyPerson.objects.filter(customer=customer, left_on__isnull=True))
            phones = [p.phone for p in active if p.phone]
            assert len(phones) == len(set(phones)), "one mobile number on two people of the customer"
            for p in active:
                twins = [q for q in active if q.pk != p.pk and q.name == p.name]
                assert all(p.phone and q.phone for q in twins), "two people one cannot tell apart"
                assert p.name == p.name.strip()
        transaction.set_rollback(True)


def test_a_save_over_a_newer_edit_is_refused(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    person = key_person_create(customer=customer, by=cast.am, roles=["user"], name="赵敏", title="科长")
    seen = person.version
    key_person_update(person=person, by=cast.district_manager, version=seen, title="处长")
    with pytest.raises(StaleEdit, match="已被他人修改"):
        key_person_update(person=person, by=cast.am, version=seen, title="副处长")
    person.refresh_from_db()
    assert person.title == "处长"


def test_only_those_who_work_the_customer_keep_it(cast: Cast) -> None:
    theirs = cast.customer_of_other_am()
    with pytest.raises(PermissionDenied):
        key_person_create(customer=theirs, by=cast.am, roles=[], name="钱七")
    with pytest.raises(PermissionDenied):
        key_person_create(customer=theirs, by=cast.planner, roles=[], name="钱七")
    assert not KeyPerson.objects.filter(name="钱七").exists()


def test_a_person_who_left_no_longer_covers_a_role(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    KeyPerson.objects.filter(customer=customer).delete()
    person = key_person_create(customer=customer, by=cast.am, roles=["decider"], name="孙立", phone="13700001111")
    client = Client()
    client.force_login(cast.am)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'bg-success me-1" data-role="decider"' in page
    with pytest.raises(ValidationError, match="离职说明"):
        key_person_retire(person=person, by=cast.am, reason=" ")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        key_person_retire(person=person, by=cast.am, reason="退休", on=dt.date.today() + dt.timedelta(days=1))
    key_person_retire(person=person, by=cast.am, reason="退休")
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/customers/{customer.pk}/key-persons/new/?role=decider" in page  # the gap, with its link
    assert "已离职" in page and "孙立" in page  # still in the contact history


def test_edit_page_masks_for_the_province_and_logs_a_reveal_for_the_account_manager(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    person = key_person_create(customer=customer, by=cast.am, roles=[], name="周红", phone="13655556666")
    url = f"/customers/{customer.pk}/key-persons/{person.pk}/"
    admin = Client()
    admin.force_login(cast.admin)
    assert "13655556666" not in admin.get(url).content.decode()
    # The province changes the title, leaving the hidden phone blank: the phone is kept.
    answer = admin.post(url, {"name": "周红", "title": "总经理", "closeness": "3", "version": person.version})
    assert answer.status_code == 302, answer.content.decode()[:500]
    person.refresh_from_db()
    assert (person.title, person.phone) == ("总经理", "13655556666")
    am = Client()
    am.force_login(cast.am)
    logged = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    assert "13655556666" in am.get(url).content.decode()
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == logged + 1


def test_the_api_adds_edits_and_retires(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    client = Client()
    client.force_login(cast.am)
    base = f"/api/customers/{customer.pk}/key-persons"
    made = client.post(
        base,
        json.dumps(
            {"name": "吴刚", "roles": ["decider", "approver"], "phone": "13511112222", "preferred_channel": "wechat"}
        ),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["phone"] != "13511112222" and sorted(body["roles"]) == ["approver", "decider"]
    again = client.post(base, json.dumps({"name": "吴刚2", "phone": "135 1111 2222"}), content_type="application/json")
    assert again.status_code == 422 and "已登记为本客户的关键人" in again.json()["detail"]
    url = f"{base}/{body['id']}"
    patched = client.patch(
        url, json.dumps({"title": "局长", "version": body["version"]}), content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["title"] == "局长"
    stale = client.patch(
        url, json.dumps({"title": "副局长", "version": body["version"]}), content_type="application/json"
    )
    assert stale.status_code == 409 and "他人修改" in stale.json()["detail"]
    bad = client.patch(url, json.dumps({"birthday": "2999-01-01"}), content_type="application/json")
    assert bad.status_code == 422 and "生日" in bad.json()["detail"]
    gone = client.delete(f"{url}?reason=调往市局")
    assert gone.status_code == 200 and gone.json()["active"] is False
    other = Client()
    other.force_login(cast.other_am)
    assert other.patch(url, json.dumps({"title": "x"}), content_type="application/json").status_code == 404
