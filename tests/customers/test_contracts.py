"""Agreements kept by the people who work the customer: any terms either save whole or are refused
with a Chinese message and save nothing; only a PDF or photo within the limit is stored as the
signed text, and only those who may see the customer get it back; a renewal replaces the agreement
and closes the 协议即将到期 alert and its task; a terminated agreement ends for the month run."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.contracts import (
    SIGNED_FILE_TYPES,
    contract_create,
    contract_renew,
    contract_terminate,
    signed_file_check,
)
from zhengqi.customers.models import Contract, Customer
from zhengqi.engine.lake import Lake
from zhengqi.marketing.models import Task
from zhengqi.scoring.configuration import ensure_builtin_rules
from zhengqi.scoring.export import export_dimensions
from zhengqi.scoring.models import Alert

pytestmark = pytest.mark.django_db

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))
amounts = st.one_of(
    st.decimals(min_value=-1000, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1e15"), Decimal("0.001")]),
)
numbers = st.one_of(st.from_regex(r"[A-Z]{2}-[0-9]{1,6}", fullmatch=True), st.sampled_from(["", "  ", "x" * 60]))


def _own(cast: Cast) -> Customer:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    return customer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=numbers, start=days, end=days, amount=amounts)
def test_any_terms_save_whole_or_not_at_all(
    cast: Cast, number: str, start: dt.date, end: dt.date, amount: Decimal
) -> None:
    customer = _own(cast)
    with transaction.atomic():
        before = Contract.objects.count()
        valid = (
            bool(number.strip())
            and len(number.strip()) <= 50
            and end >= start
            and Decimal(0) <= amount < Decimal(10**12)
            and amount == amount.quantize(Decimal("0.01"))
            and not Contract.objects.filter(number=number.strip()).exists()
        )
        try:
            with transaction.atomic():
                contract_create(customer=customer, by=cast.am, number=number, start=start, end=end, amount=amount)
        except ValidationError as err:
            assert not valid, err.messages
            assert all(m.strip() for m in err.messages)
            assert Contract.objects.count() == before
        else:
            assert valid
            assert Contract.objects.count() == before + 1
        transaction.set_rollback(True)


@settings(max_examples=80, deadline=None)
@given(
    suffix=st.sampled_from([".pdf", ".PDF", ".png", ".jpg", ".jpeg", ".exe", ".docx", "", ".pdf.exe"]),
    head=st.one_of(st.sampled_from([m for ms in SIGNED_FILE_TYPES.values() for m in ms]), st.binary(max_size=12)),
    size=st.sampled_from([0, 100, 10 * 1024 * 1024, 10 * 1024 * 1024 + 1]),
)
def test_only_a_pdf_or_photo_within_the_limit_is_accepted(suffix: str, head: bytes, size: int) -> None:
    body = (head + b"\0" * max(0, 64 - len(head)))[:64]
    upload = SimpleUploadedFile(f"协议{suffix}", body)
    upload.size = size  # the limit is read from the upload's size, as Django reports it
    kind = suffix.lower()
    acceptable = (
        kind in SIGNED_FILE_TYPES
        and size <= django_settings.ZHENGQI_UPLOAD_MAX_MB * 1024 * 1024
        and any(body.startswith(m) for m in SIGNED_FILE_TYPES[kind])
    )
    try:
        signed_file_check(upload)
    except ValidationError as err:
        assert not acceptable
        assert "signed_file" in err.message_dict
    else:
        assert acceptable


def _expiring(cast: Cast) -> tuple[Customer, Contract, Alert, Task]:
    ensure_builtin_rules()
    customer = _own(cast)
    today = dt.date.today()
    old = contract_create(
        customer=customer,
        by=cast.am,
        number="XY-2024-001",
        start=today - dt.timedelta(days=700),
        end=today + dt.timedelta(days=30),
        amount=Decimal("120000"),
    )
    month = today.replace(day=1)
    alert = Alert.objects.create(
        customer=customer,
        rule_code="R01",
        rule_name="协议即将到期",
        family="retain",
        severity="high",
        first_month=month,
        last_month=month,
    )
    task = Task.objects.create(
        customer=customer,
        assignee=cast.am,
        title="处理预警：协议即将到期",
        source=Task.Source.ALERT,
        rule_code="R01",
        alert_month=month,
        due=today + dt.timedelta(days=7),
    )
    return customer, old, alert, task


def test_a_renewal_replaces_the_agreement_and_closes_the_alert_and_its_task(cast: Cast) -> None:
    customer, old, alert, task = _expiring(cast)
    with pytest.raises(ValidationError, match="应晚于原协议的到期日期"):
        contract_renew(contract=old, by=cast.am, number="XY-2026-001", start=old.end, end=old.end, amount=1)
    assert Contract.objects.filter(customer=customer).count() == 1
    renewal = contract_renew(
        contract=old,
        by=cast.am,
        number="XY-2026-001",
        start=old.end + dt.timedelta(days=1),
        end=old.end + dt.timedelta(days=730),
        amount=Decimal("150000"),
    )
    old.refresh_from_db()
    alert.refresh_from_db()
    task.refresh_from_db()
    assert old.status == Contract.Status.RENEWED and renewal.replaces == old
    assert alert.status == Alert.Status.RESOLVED
    assert task.status == Task.Status.DONE and "XY-2026-001" in task.outcome
    with pytest.raises(ValidationError, match="已续签"):
        contract_renew(contract=old, by=cast.am, number="XY-2026-002", start=renewal.start, end=renewal.end, amount=1)


def test_a_terminated_agreement_ends_for_the_month_run(cast: Cast, tmp_path: Path) -> None:
    customer, old, _alert, _task = _expiring(cast)
    with pytest.raises(ValidationError, match="终止原因"):
        contract_terminate(contract=old, by=cast.am, reason="")
    with pytest.raises(ValidationError, match="协议期限内"):
        contract_terminate(contract=old, by=cast.am, reason="撤销", on=old.start - dt.timedelta(days=1))
    on = dt.date.today() - dt.timedelta(days=3)
    contract_terminate(contract=old, by=cast.am, reason="客户搬迁", on=on)
    lake = Lake(tmp_path)
    export_dimensions(lake)
    table = lake.connect("duckdb").table("dim_contracts").to_pyarrow().to_pylist()
    ends = {row["end"] for row in table if row["customer_code"] == customer.code}
    assert on in ends and old.end not in ends


def test_the_signed_text_goes_only_to_those_who_may_see_the_customer(cast: Cast) -> None:
    customer, old, _alert, _task = _expiring(cast)
    client = Client()
    client.force_login(cast.am)
    url = f"/api/contracts/{old.pk}/file"
    refused = client.post(url, {"file": SimpleUploadedFile("协议.pdf", b"MZ\x90\x00 not a pdf")})
    assert refused.status_code == 422 and "不是它的扩展名所说的格式" in refused.json()["detail"]
    old.refresh_from_db()
    assert not old.signed_file
    pdf = b"%PDF-1.4\n% signed\n"
    assert client.post(url, {"file": SimpleUploadedFile("签署版.pdf", pdf)}).status_code == 200
    page = client.get(f"/customers/{customer.pk}/contracts/{old.pk}/file/")
    assert page.status_code == 200 and b"".join(page.streaming_content) == pdf  # type: ignore[attr-defined]
    assert "签署版.pdf" in page["Content-Disposition"] or "filename*" in page["Content-Disposition"]
    other = Client()
    other.force_login(cast.other_am)
    assert other.get(f"/customers/{customer.pk}/contracts/{old.pk}/file/").status_code == 404
    assert other.get(url).status_code == 404
    old.refresh_from_db()
    assert old.signed_file and "签署版" not in old.signed_file.name  # a random name on disk
    assert Path(old.signed_file.path).read_bytes() == pdf


def test_the_contract_form_refuses_bad_input_in_chinese(cast: Cast) -> None:
    customer = _own(cast)
    client = Client()
    client.force_login(cast.am)
    url = f"/customers/{customer.pk}/contracts/new/"
    answer = client.post(
        url,
        {
            "number": "XY-9",
            "start": "2026-12-31",
            "end": "2026-01-01",
            "amount": "100",
            "signed_file": SimpleUploadedFile("协议.exe", b"MZ"),
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 400 and "不能早于生效日期" in text
    assert not Contract.objects.filter(number="XY-9").exists()
    assert "不是 PDF 或图片" in text or "不能早于生效日期" in text
    created = client.post(
        "/api/contracts",
        json.dumps(
            {"customer_id": customer.pk, "number": "XY-10", "start": "2026-01-01", "end": "2025-01-01", "amount": "1"}
        ),
        content_type="application/json",
    )
    assert created.status_code == 422 and "不能早于生效日期" in created.json()["detail"]
