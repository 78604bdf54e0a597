"""Quick reaction (快速反应): a serious competitor move gets its team at once, the first step done is
the first response, the clock is never reset, a late team is escalated once, and only the team and
the managers over its customers work it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.competition.models import DEFAULT_STEPS, CompetitorEvent, ReactionPolicy, ReactionTeam, Severity
from zhengqi.competition.reaction import (
    policy,
    proposal,
    response_times,
    step_done,
    supervise_teams,
    team_form,
)
from zhengqi.competition.services import EventInput, event_save, month_labels
from zhengqi.customers.models import Customer
from zhengqi.notifications.models import Notification

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def district_customers(cast: Cast, n: int = 2) -> list[Customer]:
    region = cast.district_manager.region
    assert region is not None
    found = list(
        Customer.objects.filter(
            region__path__startswith=region.path, status="active", account_manager=cast.am
        ).order_by("code")[:n]
    )
    assert len(found) == n
    return found


def record(by: User, customers: list[Customer], severity: str, now: dt.datetime = T0) -> CompetitorEvent:
    event, _ = event_save(
        by=by,
        data=EventInput(
            operator="telecom",
            kind="price",
            summary="专线报价低 30%",
            date=now.date(),
            customer_codes=[c.code for c in customers],
            severity=severity,
        ),
        now=now,
    )
    return event


def test_a_serious_move_gets_its_team_at_once_and_a_light_one_does_not(cast: Cast) -> None:
    customers = district_customers(cast)
    light = record(cast.am, customers, Severity.NORMAL)
    assert not ReactionTeam.objects.filter(event=light).exists()

    event = record(cast.am, customers, Severity.MAJOR)
    team = ReactionTeam.objects.get(event=event)
    assert team.account_manager == cast.am  # the customers' own account manager
    assert team.manager == cast.district_manager  # the manager nearest above them, not the city's
    assert team.engineer is not None and team.engineer.role == User.Role.DEPARTMENT
    assert team.due_at == T0 + dt.timedelta(hours=policy().hours)
    assert [s.title for s in team.steps.order_by("position")] == DEFAULT_STEPS
    told = set(Notification.objects.filter(key=f"reaction:{team.pk}").values_list("user_id", flat=True))
    assert told == {cast.district_manager.pk, team.engineer.pk}  # the recorder is not told of their own team


@given(
    hours=st.integers(min_value=1, max_value=72),
    threshold=st.sampled_from(Severity.values),
    severity=st.sampled_from(Severity.values),
    steps=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 120)), max_size=8),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_first_step_done_is_the_first_response_and_the_clock_is_never_reset(
    cast: Cast, hours: int, threshold: str, severity: str, steps: list[tuple[int, int]]
) -> None:
    ReactionTeam.objects.all().delete()  # the demo's teams and the previous example's
    rule = policy()
    rule.threshold, rule.hours = threshold, hours
    rule.save()
    rank = Severity.values.index
    event = record(cast.am, district_customers(cast), severity)
    team = ReactionTeam.objects.filter(event=event).first()
    assert (team is not None) == (rank(severity) >= rank(threshold))
    if team is None:
        team = team_form(by=cast.district_manager, event=event, now=T0)  # formed by hand
    ids = list(team.steps.order_by("position").values_list("pk", flat=True))
    clock, done_at, first = T0, {}, None
    for index, minutes in steps:
        clock += dt.timedelta(minutes=minutes)
        if ids[index] in done_at:
            with pytest.raises(ValidationError):  # a step is done once
                step_done(by=cast.am, team=team, step_id=ids[index], now=clock)
            continue
        step_done(by=cast.am, team=team, step_id=ids[index], now=clock)
        done_at[ids[index]] = clock
        first = first or clock
        # a change of members keeps the clock
        team_form(by=cast.district_manager, event=event, manager_id=cast.city_manager.pk, now=clock)
    team.refresh_from_db()
    assert team.formed_at == T0 and team.due_at == T0 + dt.timedelta(hours=hours)
    assert team.first_response_at == first
    assert (team.finished_at is not None) == (len(done_at) == len(ids))
    times = response_times(user=cast.admin, months=month_labels(2, T0.date()))
    assert sum(times.formed) == ReactionTeam.objects.count()
    on_time = ReactionTeam.objects.filter(first_response_at__isnull=False).filter(
        first_response_at__lte=T0 + dt.timedelta(hours=hours)
    )
    assert sum(times.on_time) == on_time.count()


def test_only_the_team_and_the_managers_over_it_work_its_steps(cast: Cast) -> None:
    event = record(cast.am, district_customers(cast), Severity.CRITICAL)
    team = ReactionTeam.objects.get(event=event)
    step = team.steps.order_by("position").first()
    assert step is not None
    with pytest.raises(PermissionDenied):
        step_done(by=cast.other_am, team=team, step_id=step.pk)
    with pytest.raises(PermissionDenied):
        team_form(by=cast.am, event=event)  # an account manager does not form teams
    with pytest.raises(ValidationError) as refused:
        team_form(by=cast.district_manager, event=event, account_manager_id=team.engineer_id)
    assert "不是在职的客户经理" in str(refused.value)
    team.refresh_from_db()
    assert team.account_manager == cast.am  # nothing changed

    engineer = team.engineer
    assert engineer is not None
    client = Client()
    client.force_login(engineer)
    page = client.get(f"/competition/events/{event.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "小组应对的客户" in text and "/customers/" not in text  # names, not the customers' records
    answer = client.post(f"/competition/events/{event.pk}/team/steps/{step.pk}/done/", {"note": "已出方案"})
    assert answer.status_code == 302
    team.refresh_from_db()
    assert team.first_response_at is not None

    stranger = User.objects.filter(role=User.Role.DEPARTMENT).exclude(pk=engineer.pk).first()
    if stranger is not None:
        client.force_login(stranger)
        assert client.get(f"/competition/events/{event.pk}/").status_code == 404


def test_a_late_team_is_escalated_once_to_its_manager(cast: Cast) -> None:
    late = ReactionTeam.objects.get(event=record(cast.am, district_customers(cast), Severity.MAJOR))
    answered = ReactionTeam.objects.get(event=record(cast.am, district_customers(cast, 1), Severity.MAJOR))
    first = answered.steps.order_by("position").first()
    assert first is not None
    step_done(by=cast.am, team=answered, step_id=first.pk, now=T0 + dt.timedelta(hours=1))
    after = T0 + dt.timedelta(hours=policy().hours + 1)
    assert supervise_teams(after) == 1
    assert supervise_teams(after) == 0  # a second run is a no-op
    late.refresh_from_db()
    assert late.escalated_at == after
    assert Notification.objects.filter(user=cast.district_manager, key=f"reaction-late:{late.pk}").count() == 1


def test_the_proposal_names_nobody_outside_the_roles(cast: Cast) -> None:
    event = record(cast.am, district_customers(cast), Severity.NORMAL)
    members = proposal(event)
    assert members.account_manager == cast.am
    assert members.manager is not None and members.manager.role == User.Role.REGIONAL_MANAGER
    assert ReactionPolicy.objects.count() == 1
    assert timezone.is_aware(T0)
