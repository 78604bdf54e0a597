"""The support departments' assessment (支撑体系考核): for any history of transfers, resolutions and
reopenings, a request counts once, for the department holding it at its first resolution, on time
against the customer's deadline (never reset by a transfer), with only that department's own
holding time; targets are typed as people type them; a regional manager's figures cover their
region's customers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.models import Customer
from zhengqi.support.assessment import assessment, held_hours, parse_target, target_set
from zhengqi.support.models import Department, RequestEvent, ServiceRequest
from zhengqi.support.requests import (
    RequestInput,
    request_create,
    request_reopen,
    request_resolve,
    request_transfer,
)

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(dt.datetime(2024, 3, 1, 8, 0))  # a month no demo request reaches
OPS = st.lists(
    st.tuples(st.sampled_from(["transfer", "resolve", "reopen"]), st.integers(0, 3), st.integers(0, 48)),
    max_size=8,
)


def customer_of(cast: Cast) -> Customer:
    found = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert found is not None
    return found


@given(ops=OPS, minutes=st.integers(0, 59))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_request_counts_once_for_its_first_resolver_with_its_own_hours(
    cast: Cast, ops: list[tuple[str, int, int]], minutes: int
) -> None:
    ServiceRequest.objects.filter(created_at__lt=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).delete()
    departments = list(Department.objects.order_by("code"))
    assert len(departments) >= 2
    start = T0 + dt.timedelta(minutes=minutes)
    made = request_create(
        by=cast.am,
        data=RequestInput(customer_id=customer_of(cast).pk, request_type="complaint", title="专线中断"),
        now=start,
    )
    due = made.due_at
    holder, status, clock = made.department_id, "open", start
    own: dict[int, float] = defaultdict(float)  # the oracle: hours each department held it, to the first resolution
    first: dt.datetime | None = None
    resolver, reopened = None, False
    transfers: dict[int, int] = defaultdict(int)
    for op, d, hours in ops:
        if status == "open" and first is None:
            own[holder] += hours
        clock += dt.timedelta(hours=hours)
        if op == "transfer" and status == "open" and departments[d].pk != holder:
            made = request_transfer(
                by=cast.admin, request=made, to_department_id=departments[d].pk, reason="职责不符", now=clock
            )
            transfers[holder] += 1
            holder = departments[d].pk
        elif op == "resolve" and status == "open":
            made = request_resolve(by=cast.admin, request=made, resolution="已处理", now=clock)
            status = "resolved"
            if first is None:
                first, resolver = clock, holder
        elif op == "reopen" and status == "resolved":
            made = request_reopen(by=cast.am, request=made, reason="仍未解决", now=clock)
            status, reopened = "open", True
    made.refresh_from_db()
    assert made.due_at == due  # no transfer resets the customer's clock

    events = list(RequestEvent.objects.filter(request=made).order_by("at", "pk"))
    if first is not None:
        for pk, hours in own.items():
            assert held_hours(made, events, pk, first) == pytest.approx(hours)

    rows = {r.department.pk: r for r in assessment(user=cast.admin, month=T0.date())}
    counted = {pk: r.resolved for pk, r in rows.items() if r.resolved}
    if first is None:
        assert counted == {}
    else:
        assert resolver is not None
        assert counted == {resolver: 1}
        row = rows[resolver]
        assert row.on_time == (first <= due)
        assert row.hours_total == pytest.approx(own[resolver])
        assert row.reopened == int(reopened)
    assert {pk: r.transfers_out for pk, r in rows.items() if r.transfers_out} == dict(transfers)
    assert [r.rank for r in rows.values()] and sorted(r.rank for r in rows.values()) == list(range(1, len(rows) + 1))


def test_a_transfer_is_refused_in_chinese_and_changes_nothing(cast: Cast) -> None:
    made = request_create(
        by=cast.am,
        data=RequestInput(customer_id=customer_of(cast).pk, request_type="billing", title="账单重复"),
    )
    other = Department.objects.exclude(pk=made.department_id).order_by("code").first()
    assert other is not None
    with pytest.raises(PermissionDenied):
        request_transfer(by=cast.am, request=made, to_department_id=other.pk, reason="不归我")
    with pytest.raises(ValidationError) as same:
        request_transfer(by=cast.admin, request=made, to_department_id=made.department_id, reason="x")
    assert "不需要转派" in str(same.value)
    with pytest.raises(ValidationError) as blank:
        request_transfer(by=cast.admin, request=made, to_department_id=other.pk, reason="  ")
    assert "转派原因" in str(blank.value)
    before = made.department_id
    made.refresh_from_db()
    assert made.department_id == before
    assert not RequestEvent.objects.filter(request=made, kind="transferred").exists()

    member = made.department.members.first()
    assert member is not None
    client = Client()
    client.force_login(member)
    answer = client.post(
        f"/support/requests/{made.pk}/transfer/", {"department": other.pk, "reason": "应由对口部门处理"}
    )
    assert answer.status_code == 302
    made.refresh_from_db()
    assert made.department_id == other.pk
    if not other.members.filter(pk=member.pk).exists():
        assert answer["Location"].endswith("/support/requests/")  # no longer in their queue


@pytest.mark.parametrize(
    ("metric", "typed", "value"),
    [
        ("on_time", "95", "0.950"),
        ("on_time", "95%", "0.950"),
        ("on_time", "0.95", "0.950"),
        ("satisfaction", "90％", "0.900"),
        ("hours", "48", "48.0"),
        ("reopen", "5%", "0.050"),
    ],
)
def test_targets_are_read_as_people_type_them(metric: str, typed: str, value: str) -> None:
    assert str(parse_target(metric, typed)) == value


@pytest.mark.parametrize(
    ("metric", "typed", "says"),
    [
        ("on_time", "九成", "不是数字"),
        ("hours", "48%", "小时数"),
        ("on_time", "150%", "100%"),
        ("hours", "-1", "应在 0 至"),
    ],
)
def test_a_wrong_target_is_refused_in_chinese(cast: Cast, metric: str, typed: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        target_set(by=cast.admin, year=2026, metric=metric, value=typed)
    assert says in str(refused.value)
    with pytest.raises(PermissionDenied):
        target_set(by=cast.city_manager, year=2026, metric="on_time", value="90%")


def test_a_regional_managers_figures_cover_their_region(cast: Cast) -> None:
    month = T0.date()
    ServiceRequest.objects.filter(created_at__lt=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).delete()
    inside = customer_of(cast)
    region = cast.district_manager.region
    assert region is not None
    outside = (
        Customer.objects.exclude(region__path__startswith=region.path).filter(account_manager__isnull=False).first()
    )
    assert outside is not None and outside.account_manager is not None
    for customer, by in ((inside, cast.am), (outside, outside.account_manager)):
        made = request_create(
            by=by, data=RequestInput(customer_id=customer.pk, request_type="fault", title="断网"), now=T0
        )
        request_resolve(by=cast.admin, request=made, resolution="已修复", now=T0 + dt.timedelta(hours=3))
    mine = sum(r.resolved for r in assessment(user=cast.district_manager, month=month))
    everyone = sum(r.resolved for r in assessment(user=cast.admin, month=month))
    assert (mine, everyone) == (1, 2)
