"""Service by tier (分层服务): the tier in force on a day from any history of moves, each tier's
deadlines and escalation point for any request, a request keeping the terms it was accepted under,
a move recorded by the month run counting from the next day, and the catalogue edited only by the
admin with bad values refused in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.models import Customer
from zhengqi.engine.value.tiers import TIERS
from zhengqi.scoring.models import CustomerSnapshot
from zhengqi.scoring.month_run import month_run
from zhengqi.support.models import RequestEvent, ServiceRequest, TierHistory, TierService
from zhengqi.support.requests import RequestInput, Routing, request_create, supervise
from zhengqi.support.tiers import TierTerms, in_force, record_tier_moves, tier_on, tier_service_set

DAY0 = dt.date(2026, 11, 1)
tiers = st.sampled_from([*TIERS, ""])


@given(
    start=tiers,
    moves=st.lists(st.tuples(st.integers(0, 60), tiers), max_size=8),
    day=st.integers(-5, 70),
)
def test_the_tier_in_force_is_the_last_move_effective_by_that_day(
    start: str, moves: list[tuple[int, str]], day: int
) -> None:
    """Oracle: walk the days from the start, applying each move on its effective day in the
    order recorded; the current tier (no history) is the last move's, or the start."""
    history, tier = [], start
    for offset, new in sorted(moves, key=lambda m: m[0]):  # recorded in time order
        history.append(TierHistory(from_tier=tier, to_tier=new, effective_from=DAY0 + dt.timedelta(days=offset)))
        tier = new
    expected = start
    for row in history:
        if row.effective_from <= DAY0 + dt.timedelta(days=day):
            expected = row.to_tier
    assert in_force(history, tier, DAY0 + dt.timedelta(days=day)) == expected


@given(
    general=st.integers(1, 500),
    own=st.one_of(st.none(), st.integers(1, 500)),
    percent=st.integers(10, 100),
    urgent=st.booleans(),
)
def test_a_tier_sets_the_deadline_and_the_escalation_point_of_any_request(
    general: int, own: int | None, percent: int, urgent: bool
) -> None:
    routing = Routing({}, {"fault": general}, {"A+": (percent, {"fault": own} if own else {})})
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    priority = ServiceRequest.Priority.URGENT if urgent else ServiceRequest.Priority.NORMAL
    due, escalate = routing.terms("fault", priority, start, "A+")
    hours = own or general
    hours = max(1, hours // 2) if urgent else hours
    assert due - start == dt.timedelta(hours=hours)
    assert start < escalate <= due
    assert abs((escalate - start) / (due - start) - percent / 100) < 1e-6
    # a customer without a tier, or a tier not in the catalogue: the general terms, escalated when late
    plain = max(1, general // 2) if urgent else general
    assert routing.terms("fault", priority, start, "") == (start + dt.timedelta(hours=plain),) * 2


@pytest.mark.django_db
def test_a_request_keeps_the_terms_of_the_tier_on_the_day_it_was_accepted(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(tier="B")
    customer.refresh_from_db()
    today = dt.date(2026, 11, 2)
    assert record_tier_moves([(customer.pk, "B", "A+")], today=today) == 1
    Customer.objects.filter(pk=customer.pk).update(tier="A+")
    customer.refresh_from_db()
    assert tier_on(customer, today) == "B" and tier_on(customer, today + dt.timedelta(days=1)) == "A+"

    def accept(at: dt.datetime) -> ServiceRequest:
        return request_create(
            by=cast.am, data=RequestInput(customer_id=customer.pk, request_type="fault", title="专线中断"), now=at
        )

    b_hours = TierService.objects.get(tier="B").deadlines.get(request_type="fault").hours
    a_plus = TierService.objects.get(tier="A+")
    on_the_day = accept(dt.datetime(2026, 11, 2, 22, 0, tzinfo=dt.UTC))  # 06:00 the next day in Beijing
    assert on_the_day.tier == "A+"  # the local date decides: 11-03 in Asia/Shanghai
    before = accept(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC))  # 23:00 in Beijing
    assert before.tier == "B" and before.due_at - before.created_at == dt.timedelta(hours=b_hours)
    assert before.escalate_at == before.due_at
    hours = a_plus.deadlines.get(request_type="fault").hours
    assert on_the_day.due_at - on_the_day.created_at == dt.timedelta(hours=hours)
    assert on_the_day.escalate_at < on_the_day.due_at

    # editing the catalogue later never moves an accepted request's clock
    tier_service_set(by=cast.admin, tier="A+", terms=TierTerms(visit_days=30, deadlines={"fault": "48"}))
    on_the_day.refresh_from_db()
    assert on_the_day.due_at - on_the_day.created_at == dt.timedelta(hours=hours)

    # supervision raises the A+ request at its escalation point, before it is late — once
    early = on_the_day.escalate_at + dt.timedelta(minutes=1)
    assert early < on_the_day.due_at
    assert supervise(now=early) >= 1
    assert supervise(now=early + dt.timedelta(minutes=1)) == 0
    note = RequestEvent.objects.get(request=on_the_day, kind=RequestEvent.Kind.ESCALATED).note
    assert "即将超过处理时限" in note
    before.refresh_from_db()
    assert before.escalated_at is None  # the B request is not due for escalation yet


@pytest.mark.django_db
def test_the_catalogue_is_the_admins_and_bad_values_change_nothing(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        tier_service_set(by=cast.city_manager, tier="A", terms=TierTerms(visit_days=10))
    before = list(TierService.objects.values_list("tier", "visit_days", "escalate_percent", "benefits"))
    for terms, field in [
        (TierTerms(visit_days="每月"), "visit_days"),
        (TierTerms(visit_days=0), "visit_days"),
        (TierTerms(visit_days=30, escalate_percent="150%"), "escalate_percent"),
        (TierTerms(visit_days=30, deadlines={"fault": "-3"}), "deadline_fault"),
    ]:
        with pytest.raises(ValidationError) as err:
            tier_service_set(by=cast.admin, tier="A", terms=terms)
        assert field in err.value.message_dict
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in err.value.messages)
    with pytest.raises(ValidationError):
        tier_service_set(by=cast.admin, tier="S", terms=TierTerms(visit_days=30))
    assert list(TierService.objects.values_list("tier", "visit_days", "escalate_percent", "benefits")) == before
    made = tier_service_set(
        by=cast.admin,
        tier="A",
        terms=TierTerms(
            visit_days="45天",
            escalate_percent="90%",
            benefits="优先装机\n\n  免费检测 ",
            deadlines={"fault": "6", "billing": ""},
        ),
    )
    assert (made.visit_days, made.escalate_percent, made.benefit_list) == (45, 90, ["优先装机", "免费检测"])
    assert dict(made.deadlines.values_list("request_type", "hours")) == {"fault": 6}


@pytest.mark.django_db
def test_the_month_run_records_each_move_effective_the_next_day(cast: Cast) -> None:
    """Every customer whose tier the run changes gets one move, from its tier before the run; a
    first tier is in force at once, another from tomorrow; a re-run moves nothing."""
    oct1 = dt.date(2026, 10, 1)
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    for k, pk in enumerate(customers[::3]):  # as if earlier months had said otherwise
        Customer.objects.filter(pk=pk).update(tier=[*TIERS, ""][k % (len(TIERS) + 1)])
    before = dict(Customer.objects.values_list("pk", "tier"))
    month_run(month=oct1)
    after = dict(CustomerSnapshot.objects.filter(month=oct1).values_list("customer_id", "tier"))
    moves = {
        pk: (f, t, e)
        for pk, f, t, e in TierHistory.objects.values_list("customer_id", "from_tier", "to_tier", "effective_from")
    }
    expected = {pk: (before[pk], tier) for pk, tier in after.items() if before[pk] != tier}
    assert {pk: m[:2] for pk, m in moves.items()} == expected and expected
    today = timezone.localdate()
    assert all(e == (today + dt.timedelta(days=1) if f else today) for f, _t, e in moves.values())
    month_run(month=oct1)  # a re-run moves nothing
    assert TierHistory.objects.count() == len(moves)
