"""Each validation a user meets refuses bad input with its Chinese message and saves nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import Cast
from zhengqi.accounts.models import Region
from zhengqi.customers.contracts import contract_create
from zhengqi.customers.key_persons import key_person_create
from zhengqi.customers.models import AccountAssignment, Contract, Customer, KeyPerson
from zhengqi.customers.services import (
    customer_assign_manager,
    customer_create,
    customer_update,
)

pytestmark = pytest.mark.django_db


def new_customer_fields(region: Region, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "code": "NEW0001",
        "name": "星城测试科技有限公司",
        "credit_code": "914403001922038216",
        "customer_type": "enterprise",
        "industry": "I",
        "scale": "small",
        "region": region,
    }
    fields.update(overrides)
    return fields


def test_bad_credit_code_refused_and_nothing_saved(cast: Cast) -> None:
    before = Customer.objects.count()
    with pytest.raises(ValidationError) as err:
        customer_create(by=cast.admin, **new_customer_fields(cast.am.region, credit_code="914403001922038217"))
    assert "统一社会信用代码校验位错误" in str(err.value.message_dict["credit_code"])
    assert Customer.objects.count() == before


def test_account_manager_creates_own_customer_with_history(cast: Cast) -> None:
    customer = customer_create(by=cast.am, **new_customer_fields(cast.am.region))
    assert customer.account_manager == cast.am
    assignment = AccountAssignment.objects.get(customer=customer)
    assert assignment.manager == cast.am and assignment.end is None


def test_account_manager_cannot_create_outside_own_region(cast: Cast) -> None:
    elsewhere = Region.objects.filter(level="district").exclude(pk=cast.am.region_id).first()
    with pytest.raises(PermissionDenied):
        customer_create(by=cast.am, **new_customer_fields(elsewhere))


def test_parent_cycle_refused(cast: Cast) -> None:
    child = Customer.objects.filter(parent__isnull=False).select_related("parent").first()
    assert child is not None
    top = child.parent
    with pytest.raises(ValidationError) as err:
        customer_update(customer=top, by=cast.admin, parent=child)
    assert "会形成循环" in str(err.value.message_dict["parent"])
    top.refresh_from_db()
    assert top.parent_id != child.pk


def test_own_parent_refused(cast: Cast) -> None:
    customer = Customer.objects.first()
    with pytest.raises(ValidationError) as err:
        customer_update(customer=customer, by=cast.admin, parent=customer)
    assert "不能是客户自己" in str(err.value.message_dict["parent"])


def test_contract_ending_before_start_refused(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    before = Contract.objects.count()
    with pytest.raises(ValidationError) as err:
        contract_create(
            customer=customer,
            by=cast.am,
            number="HT-BAD-1",
            start=dt.date(2026, 5, 1),
            end=dt.date(2026, 4, 30),
            amount=Decimal("1000.00"),
        )
    assert "不能早于生效日期" in str(err.value.message_dict["end"])
    assert Contract.objects.count() == before


def test_key_person_with_bad_phone_refused(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    before = KeyPerson.objects.count()
    with pytest.raises(ValidationError) as err:
        key_person_create(customer=customer, by=cast.am, roles=["decider"], name="张三", phone="12345")
    assert "不是有效的电话号码" in str(err.value.message_dict["phone"])
    assert KeyPerson.objects.count() == before


def test_key_person_phone_is_normalised(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    person = key_person_create(
        customer=customer, by=cast.am, roles=["decider", "buyer"], name="李四", phone="+86 139 1234 5678"
    )
    assert person.phone == "13912345678"
    assert sorted(r.role for r in person.roles.all()) == ["buyer", "decider"]


def test_account_manager_cannot_touch_another_managers_customer(cast: Cast) -> None:
    theirs = cast.customer_of_other_am()
    with pytest.raises(PermissionDenied):
        key_person_create(customer=theirs, by=cast.am, roles=["user"], name="王五")


def test_reassignment_keeps_history(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    assert customer is not None
    colleague = (
        type(cast.am).objects.filter(role="account_manager", region=cast.am.region).exclude(pk=cast.am.pk).first()
    )
    if colleague is None:  # the tiny province may have one manager per district: use one in the same city
        colleague = cast.other_am
        colleague.region = cast.am.region
        colleague.save()
    customer_assign_manager(customer=customer, to_manager=colleague, by=cast.district_manager, reason="调整")
    customer.refresh_from_db()
    assert customer.account_manager == colleague
    history = list(customer.assignments.order_by("start", "pk"))
    assert history[-1].manager == colleague and history[-1].end is None
    assert all(a.end is not None for a in history[:-1])


def test_account_manager_cannot_reassign(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).first()
    with pytest.raises(PermissionDenied):
        customer_assign_manager(customer=customer, to_manager=cast.other_am, by=cast.am)


def test_top_tier_customer_only_to_a_qualified_grade(cast: Cast) -> None:
    customer = Customer.objects.filter(region=cast.am.region).first()
    assert customer is not None
    customer.tier = "A+"
    customer.save()
    junior = type(cast.am).objects.create(username="junior_am", role="account_manager", region=cast.am.region, grade=1)
    with pytest.raises(ValidationError) as err:
        customer_assign_manager(customer=customer, to_manager=junior, by=cast.district_manager)
    assert "任职资格" in str(err.value) and "初级客户经理" in str(err.value)
    senior = type(cast.am).objects.create(username="senior_am", role="account_manager", region=cast.am.region, grade=3)
    customer_assign_manager(customer=customer, to_manager=senior, by=cast.district_manager)
    customer.refresh_from_db()
    assert customer.account_manager == senior
