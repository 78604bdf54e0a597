"""Change requests for the data BSS owns: whatever is proposed and decided, the customer's record
changes only by an approved request, never by its own proposer's decision; an approved change shows
in the history with its approver; the next import does not silently undo it (the conflict is in the
import's report) until the operator's file agrees."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.change_requests import (
    change_request_decide,
    change_request_propose,
    change_request_withdraw,
    parent_link_propose,
)
from zhengqi.customers.models import MASTER_FIELDS, ChangeRequest, Customer
from zhengqi.customers.selectors import customer_history
from zhengqi.imports.services import import_file

pytestmark = pytest.mark.django_db

VALUES = {
    "name": st.sampled_from(["星城新名称有限公司", "星城新名称有限公司 ", "", "x" * 201]),
    "address": st.sampled_from(["星城路 1 号", "", "星城路 2 号"]),
    "scale": st.sampled_from(["large", "small", "huge"]),
    "industry": st.sampled_from(["I", "C", "Z"]),
    "credit_code": st.sampled_from(["91440300MA5FUG3Y0U", "91440300MA5FUG3Y0B", ""]),
}
STEP = st.tuples(
    st.sampled_from(sorted(VALUES)),
    st.data(),
    st.sampled_from(["am", "district", "city", "other_am"]),  # who decides
    st.sampled_from(["approve", "reject", "reject_silently", "withdraw"]),
)


def _record(customer: Customer) -> dict[str, object]:
    customer.refresh_from_db()
    return {f: getattr(customer, f) for f in MASTER_FIELDS}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=6))
def test_the_record_changes_only_by_approved_requests(cast: Cast, steps: list[tuple[object, ...]]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    deciders = {"am": cast.am, "district": cast.district_manager, "city": cast.city_manager, "other_am": cast.other_am}
    with transaction.atomic():
        for field, data, who, action in steps:
            value = data.draw(VALUES[str(field)])  # type: ignore[attr-defined]
            before = _record(customer)
            try:
                with transaction.atomic():
                    request = change_request_propose(
                        customer=customer, by=cast.am, changes={field: value}, reason="核实"
                    )
            except ValidationError:
                assert _record(customer) == before
                continue
            assert _record(customer) == before, "a proposal alone changed the record"
            by = deciders[str(who)]
            try:
                with transaction.atomic():
                    if action == "withdraw":
                        change_request_withdraw(request=request, by=cast.am)
                    else:
                        comment = "" if action == "reject_silently" else "已核实"
                        change_request_decide(request=request, by=by, approve=action == "approve", comment=comment)
            except (ValidationError, PermissionDenied):
                assert _record(customer) == before
            request.refresh_from_db()
            after = _record(customer)
            if request.status == ChangeRequest.Status.APPROVED:
                assert by not in (cast.am, cast.other_am), "the proposer or an account manager decided"
                for name, (_old, new) in request.changes.items():
                    assert str(after[name] or "") == new
            else:
                assert after == before, f"a {request.status} request changed the record"
            if request.status == ChangeRequest.Status.PENDING:
                change_request_withdraw(request=request, by=cast.am)
        transaction.set_rollback(True)


def test_an_approved_change_is_in_the_history_and_survives_the_next_import(cast: Cast, tmp_path: Path) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    assert customer is not None
    old_name = customer.name
    request = change_request_propose(
        customer=customer, by=cast.am, changes={"name": "星城更名后科技有限公司", "scale": "large"}, reason="已更名"
    )
    with pytest.raises(PermissionDenied):
        change_request_decide(request=request, by=cast.am, approve=True)
    with pytest.raises(ValidationError, match="驳回时请写明原因"):
        change_request_decide(request=request, by=cast.district_manager, approve=False)
    change_request_decide(request=request, by=cast.district_manager, approve=True, comment="见营业执照")
    customer.refresh_from_db()
    assert customer.name == "星城更名后科技有限公司"
    lines = [c for c in customer_history(customer) if c.new == "星城更名后科技有限公司"]
    assert lines and str(cast.district_manager) in lines[0].actor and str(cast.am) in lines[0].actor

    def import_name(name: str) -> object:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["客户编码", "客户名称", "客户类型", "行业", "规模", "所属区域"])
        writer.writerow([customer.code, name, customer.customer_type, customer.industry, "small", customer.region.code])
        path = tmp_path / "customers.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        return import_file("customers", path, by=cast.admin)

    batch = import_name(old_name)  # BSS has not caught up: the old name and scale come back
    customer.refresh_from_db()
    assert (customer.name, customer.scale) == ("星城更名后科技有限公司", "large")
    kept = {c["column"]: c for c in batch.conflicts}  # type: ignore[attr-defined]
    assert set(kept) == {"客户名称", "规模"} and kept["客户名称"]["value"] == old_name
    assert batch.status == "succeeded" and batch.rejected == 0  # type: ignore[attr-defined]

    batch = import_name("星城更名后科技有限公司")  # the name agrees now, the scale does not yet
    assert [c["column"] for c in batch.conflicts] == ["规模"]  # type: ignore[attr-defined]
    request.refresh_from_db()
    assert request.settled_at is None


def test_a_parent_link_needs_both_sides_and_refuses_a_cycle(cast: Cast) -> None:
    ours = list(Customer.objects.filter(account_manager=cast.am).order_by("pk")[:2])
    child, parent = ours
    Customer.objects.filter(pk__in=[child.pk, parent.pk]).update(parent=None)
    child.refresh_from_db()
    request = parent_link_propose(customer=child, by=cast.am, parent_code=parent.code, reason="分公司")
    change_request_decide(request=request, by=cast.district_manager, approve=True)
    request.refresh_from_db()
    child.refresh_from_db()
    assert request.status == "approved" and child.parent_id == parent.pk  # one manager over both sides
    with pytest.raises(ValidationError, match="循环"):
        parent_link_propose(customer=parent, by=cast.am, parent_code=child.code, reason="反过来")
    with pytest.raises(ValidationError, match="没有客户编码"):
        parent_link_propose(customer=parent, by=cast.am, parent_code="NO-SUCH", reason="x")
