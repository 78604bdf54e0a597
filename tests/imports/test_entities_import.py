"""Products, key persons, subscriptions and contracts: refusals per row, updates by natural key,
and a second import that changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengqi.customers.models import Contract, Customer, KeyPerson, Product, Subscription
from zhengqi.imports.services import import_file

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def a_customer() -> Customer:
    customer = Customer.objects.filter(status="active").order_by("code").first()
    assert customer is not None
    return customer


def test_entities_refusals_and_reimport(tmp_path: Path) -> None:
    code = a_customer().code
    products = write(
        tmp_path,
        "p.csv",
        "产品编码,产品名称,类别,复杂度,标准月费\nT-P1,测试产品,信息化,高,100\nT-P2,坏产品,信息化,中,100\n",
    )
    batch = import_file("products", products)
    assert batch.inserted == 1 and {r.line: r.column for r in batch.rejections.all()} == {3: "复杂度"}

    people = write(
        tmp_path,
        "k.csv",
        "客户编码,姓名,职务,电话,关系亲密度,购买角色\n"
        f"{code},赵测试,处长,138 0013 8000,5,决策者、采购者\n"  # 2
        f"{code},钱测试,科员,12345,3,使用者\n"  # 3: bad phone
        f"{code},孙测试,科员,13800138001,7,使用者\n"  # 4: closeness out of range
        f"{code},李测试,科员,13800138002,3,老板\n",  # 5: unknown role
    )
    batch = import_file("key_persons", people)
    assert set(batch.rejections.values_list("line", flat=True)) == {3, 4, 5}
    person = KeyPerson.objects.get(customer__code=code, name="赵测试")
    assert person.phone == "13800138000" and {r.role for r in person.roles.all()} == {"decider", "buyer"}

    subs = write(
        tmp_path,
        "s.csv",
        "客户编码,产品编码,开通日期,结束日期,月费\n"
        f"{code},T-P1,2026-01-01,,99.5\n"
        f"{code},NOPE,2026-01-01,,99.5\n"  # 3: unknown product
        f"{code},T-P1,2026-03-01,2026-02-01,99.5\n",  # 4: ends before it starts
    )
    batch = import_file("subscriptions", subs)
    assert set(batch.rejections.values_list("line", flat=True)) == {3, 4} and batch.inserted == 1

    contracts = write(
        tmp_path,
        "c.csv",
        "协议编号,客户编码,生效日期,到期日期,协议金额,协议产品\n"
        f"HT-T-1,{code},2026-01-01,2026-12-31,1000,T-P1\n"
        f"HT-T-2,{code},2026-12-31,2026-01-01,1000,T-P1\n"  # 3: ends before it starts
        f"HT-T-3,{code},2026-01-01,2026/13/01,1000,\n",  # 4: bad date
    )
    batch = import_file("contracts", contracts)
    assert set(batch.rejections.values_list("line", flat=True)) == {3, 4}
    assert list(Contract.objects.get(number="HT-T-1").products.values_list("code", flat=True)) == ["T-P1"]

    for kind, path in (
        ("products", products),
        ("key_persons", people),
        ("subscriptions", subs),
        ("contracts", contracts),
    ):
        again = import_file(kind, path)
        assert (again.inserted, again.updated) == (0, 0), kind
    assert Product.objects.filter(code="T-P1").count() == 1
    assert Subscription.objects.filter(product__code="T-P1").count() == 1

    # a newer file: roles and products change, counted as updates
    newer = write(tmp_path, "k2.csv", f"客户编码,姓名,购买角色\n{code},赵测试,决策者\n")
    batch = import_file("key_persons", newer)
    assert (batch.inserted, batch.updated) == (0, 1)
    assert [r.role for r in KeyPerson.objects.get(customer__code=code, name="赵测试").roles.all()] == ["decider"]
    assert KeyPerson.objects.get(customer__code=code, name="赵测试").title == "处长"  # absent column kept


def test_regions_and_staff(tmp_path: Path) -> None:
    from zhengqi.accounts.models import Region, User

    regions = write(
        tmp_path,
        "r.csv",
        "区域编码,区域名称,层级,上级区域编码\n"
        "TSTD01,测试区,区县,TSTC\n"  # 2: its city comes later in the file: parents go first
        "TSTC,测试市,地市,YH\n"  # 3
        "TSTX,错层市,区县,YH\n"  # 4: a district under the province
        "TSTY,无上级区,区县,NOPE\n",  # 5
    )
    batch = import_file("regions", regions)
    assert set(batch.rejections.values_list("line", flat=True)) == {4, 5} and batch.inserted == 2
    assert Region.objects.get(code="TSTD01").path == "/YH/TSTC/TSTD01/"
    staff = write(
        tmp_path,
        "s.csv",
        "工号,姓名,角色,区域,客户经理等级\n"
        "am_t1,测试经理,客户经理,TSTD01,高级客户经理\n"  # 2
        "boss_t1,假管理员,省公司管理员,YH,\n"  # 3: not through an import
        "mgr_t1,测试区域经理,区域经理,TSTC,3\n"  # 4: a grade is for account managers only
        "admin,改管理员,客户经理,TSTD01,1\n",  # 5: the admin's account is not touched
    )
    batch = import_file("staff", staff)
    assert set(batch.rejections.values_list("line", flat=True)) == {3, 4, 5}
    am = User.objects.get(username="am_t1")
    assert am.grade == 3 and am.region is not None and am.region.code == "TSTD01" and not am.has_usable_password()
    assert User.objects.get(username="admin").role == "provincial_admin"
    again = import_file("staff", staff)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert import_file("regions", regions).unchanged == 2
