"""De-duplication: names that read the same are found; a merge keeps every related record, adds up
the facts of a shared month, recodes the lake and shows in the survivor's history."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import (
    Contract,
    Customer,
    CustomerMerge,
    CustomerMonth,
    KeyPerson,
    Subscription,
)
from zhengqi.customers.selectors import customer_history, duplicate_candidates
from zhengqi.customers.services import customers_merge, normalise_name
from zhengqi.engine.lake import Lake
from zhengqi.marketing.models import Interaction, Task

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_spellings_of_one_name_read_the_same() -> None:
    assert normalise_name("星城 新材料（集团）有限责任公司") == normalise_name("星城新材料(集团)有限公司")
    assert normalise_name("ＡＢＣ科技有限公司") == normalise_name("abc科技有限公司")
    assert normalise_name("星城新材料有限公司") != normalise_name("星城新能源有限公司")


def make_duplicate(survivor: Customer) -> Customer:
    """A second record of the survivor, as a second BSS account would make it."""
    name = survivor.name.replace("有限公司", "有限责任公司") if "有限公司" in survivor.name else survivor.name + " "
    duplicate = Customer.objects.create(
        code=survivor.code + "D",
        name="　" + name,
        customer_type=survivor.customer_type,
        industry=survivor.industry,
        scale=survivor.scale,
        region=survivor.region,
        account_manager=survivor.account_manager,
    )
    person = KeyPerson.objects.create(customer=duplicate, name="重复记录的联系人", phone="13811112222")
    product = Subscription.objects.filter(customer=survivor).first()
    assert product is not None
    Subscription.objects.create(customer=duplicate, product=product.product, start=OCT, monthly_fee=Decimal("10.00"))
    Contract.objects.create(customer=duplicate, number="HT-DUP-1", start=OCT, end=OCT, amount=Decimal("5.00"))
    visit = Interaction.objects.create(
        customer=duplicate, by=survivor.account_manager, date=OCT, summary="拜访重复记录"
    )
    visit.key_persons.set([person])
    Task.objects.create(customer=duplicate, assignee=survivor.account_manager, title="重复记录的任务", due=OCT)
    CustomerMonth.objects.create(
        customer=duplicate,
        month=OCT,
        revenue_total=Decimal("100.00"),
        revenue_info=Decimal("40.00"),
        revenue_data=0,
        revenue_line=0,
        members_active=3,
    )
    CustomerMonth.objects.create(
        customer=duplicate,
        month=dt.date(2023, 1, 1),
        revenue_total=Decimal("7.00"),
        revenue_info=0,
        revenue_data=0,
        revenue_line=0,
    )
    Customer.objects.create(
        code=survivor.code + "C",
        name="重复记录的下级单位",
        customer_type="enterprise",
        industry="C",
        scale="small",
        region=survivor.region,
        parent=duplicate,
    )
    return duplicate


def test_a_merge_keeps_every_related_record(cast: Cast, tmp_path: Path) -> None:
    survivor = Customer.objects.filter(account_manager=cast.am, status="active", months__month=OCT).first()
    assert survivor is not None
    duplicate = make_duplicate(survivor)
    assert any({survivor.pk, duplicate.pk} <= {c.pk for c in g.customers} for g in duplicate_candidates())

    # the lake: a copy of October with a row of the duplicate in customer_month and one member
    lake = Lake(tmp_path / "lake")
    source = Lake(settings.ZHENGQI_LAKE)
    for table in ("customer_month", "member_month"):
        shutil.copytree(source.partition_file(table, OCT).parent, lake.partition_file(table, OCT).parent)
    cm = lake.read_month("customer_month", OCT)
    mine = cm.filter(pc.equal(cm.column("customer_code"), survivor.code))
    extra = mine.set_column(1, "customer_code", pa.array([duplicate.code], pa.string()))
    lake.write_month("customer_month", OCT, pa.concat_tables([cm, extra.cast(cm.schema)]))
    mm = lake.read_month("member_month", OCT)
    one = mm.slice(0, 1)
    dup_member = one.set_column(
        2, "customer_code", pa.array([duplicate.code]).dictionary_encode().cast(mm.schema.field(2).type)
    )
    dup_member = dup_member.set_column(1, "msisdn", pa.array([19999999999], pa.int64()))
    lake.write_month("member_month", OCT, pa.concat_tables([mm, dup_member]))

    counts = {
        name: getattr(survivor, name).count() + getattr(duplicate, name).count()
        for name in ("key_persons", "subscriptions", "contracts", "interactions", "tasks", "children")
    }
    october = CustomerMonth.objects.get(customer=survivor, month=OCT)
    merge = customers_merge(survivor=survivor, duplicate=duplicate, by=cast.admin, lake_root=lake.root)

    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    survivor.refresh_from_db()
    for name, n in counts.items():
        assert getattr(survivor, name).count() == n, name
    summed = CustomerMonth.objects.get(customer=survivor, month=OCT)
    assert summed.revenue_total == october.revenue_total + Decimal("100.00")
    assert summed.members_active == october.members_active + 3
    assert CustomerMonth.objects.filter(customer=survivor, month=dt.date(2023, 1, 1)).exists()
    assert Interaction.objects.get(summary="拜访重复记录").key_persons.get().customer == survivor
    assert isinstance(merge, CustomerMerge) and merge.duplicate_code == duplicate.code and merge.moved["lake_rows"] == 2

    cm_after = lake.read_month("customer_month", OCT)
    codes = pc.cast(cm_after.column("customer_code"), pa.string())
    assert duplicate.code not in codes.to_pylist()
    rows = cm_after.filter(pc.equal(codes, survivor.code)).to_pylist()
    assert len(rows) == 1 and rows[0]["revenue_total"] == pytest.approx(2 * mine.column("revenue_total")[0].as_py())
    assert cm_after.num_rows == cm.num_rows
    mm_after = lake.read_month("member_month", OCT)
    member = mm_after.filter(pc.equal(mm_after.column("msisdn"), 19999999999)).to_pylist()
    assert member[0]["customer_code"] == survivor.code

    history = customer_history(survivor)
    assert history[0].field == "合并客户" and duplicate.code in history[0].old and history[0].actor == str(cast.admin)
    page = client_for(cast.am).get(f"/customers/{survivor.pk}/").content.decode()
    assert "合并客户" in page and duplicate.code in page


def test_the_review_page_merges_and_dismisses(cast: Cast, tmp_path: Path, settings: object) -> None:
    settings.ZHENGQI_LAKE = tmp_path / "lake"
    survivor = Customer.objects.filter(status="active").order_by("code").first()
    assert survivor is not None
    duplicate = make_duplicate(survivor)
    client = client_for(cast.admin)
    page = client.get("/customers/duplicates/").content.decode()
    assert duplicate.code in page
    response = client.post(
        "/customers/duplicates/", {"action": "merge", "survivor": survivor.pk, "customer": [duplicate.pk]}, follow=True
    )
    assert "已将" in response.content.decode() and not Customer.objects.filter(pk=duplicate.pk).exists()

    other = Customer.objects.create(
        code="DIFF1",
        name=survivor.name,
        customer_type="enterprise",
        industry="C",
        scale="small",
        region=survivor.region,
    )
    client.post("/customers/duplicates/", {"action": "dismiss", "customer": [survivor.pk, other.pk]})
    assert not any(other.pk in {c.pk for c in g.customers} for g in duplicate_candidates())


def test_only_the_provincial_admin_merges(cast: Cast) -> None:
    survivor = Customer.objects.filter(account_manager=cast.am).first()
    assert survivor is not None
    duplicate = make_duplicate(survivor)
    assert client_for(cast.city_manager).get("/customers/duplicates/").status_code == 403
    refused = client_for(cast.am).post(
        "/api/customers/merge",
        {"survivor_id": survivor.pk, "duplicate_id": duplicate.pk},
        content_type="application/json",
    )
    assert refused.status_code == 403 and Customer.objects.filter(pk=duplicate.pk).exists()
