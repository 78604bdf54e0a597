"""The workbench is cached per version of the user's scope (issue 25): a task made, closed,
reassigned or escalated, an agreement ending, a key person's birthday, a month run — each shows on
the next view of everyone whose workbench it belongs on, and on nobody else's."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Contract, Customer, KeyPerson
from zhengqi.marketing.models import Task
from zhengqi.marketing.tasks.services import task_close, task_create, tasks_bulk, tasks_escalate

counter = itertools.count()


def workbench(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/workbench/")
    assert response.status_code == 200
    return response.content.decode()


def _task_by_am(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    task_create(by=cast.am, customer=c, title=text, due=timezone.localdate())
    return cast.am, text


def _task_by_manager(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """A regional manager sets a task for the customer's account manager."""
    task_create(by=cast.city_manager, customer=c, title=text, due=timezone.localdate() + dt.timedelta(days=2))
    return cast.am, text


def _closed(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """A task closed: it leaves today's list (the list says so by its count)."""
    task = task_create(by=cast.am, customer=c, title=text, due=timezone.localdate())
    assert text in workbench(cast.am)
    task_close(task=task, by=cast.am, outcome="已办结")
    return cast.am, f"!{text}"


def _reassigned(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """Reassigned in bulk by a manager: it leaves one account manager's workbench."""
    task = task_create(by=cast.am, customer=c, title=text, due=timezone.localdate())
    assert text in workbench(cast.am)
    tasks_bulk(by=cast.admin, task_ids=[task.pk], action="reassign", reason="调整", to=cast.other_am)
    return cast.am, f"!{text}"


def _escalated(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """The nightly escalation (a bulk write): the late task shows on the manager's workbench."""
    task = task_create(by=cast.am, customer=c, title=text, due=timezone.localdate())
    Task.objects.filter(pk=task.pk).update(due=timezone.localdate() - dt.timedelta(days=3))
    tasks_escalate()
    task.refresh_from_db()
    manager = User.objects.get(pk=task.escalated_to_id) if task.escalated_to_id else cast.am
    return manager, text


def _agreement(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """An agreement ending tomorrow: the card's count of agreements ending within 90 days grows."""
    today = timezone.localdate()
    Contract.objects.create(customer=c, number=text[:40], start=today, end=today + dt.timedelta(days=1), amount=1)
    ending = Contract.objects.filter(
        customer__account_manager=cast.am,
        customer__status="active",
        end__gte=today,
        end__lte=today + dt.timedelta(days=90),
    )
    return cast.am, f"90 天内到期的协议（{ending.count()}）"


def _birthday(cast: Cast, c: Customer, text: str) -> tuple[User, str]:
    """A birthday this month, on the customer that the care list shows first (by name)."""
    first = Customer.objects.filter(account_manager=cast.am, status="active").order_by("name").first()
    assert first is not None
    name = f"A{text}"[:50]  # before any name in Chinese
    KeyPerson.objects.create(customer=first, name=name, birthday=timezone.localdate().replace(year=1980, day=1))
    return cast.am, name


EDITS: dict[str, Callable[[Cast, Customer, str], tuple[User, str]]] = {
    "task by the account manager": _task_by_am,
    "task by a manager": _task_by_manager,
    "task closed": _closed,
    "task reassigned": _reassigned,
    "task escalated": _escalated,
    "agreement ending": _agreement,
    "birthday": _birthday,
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=5))
def test_every_change_shows_on_the_next_view(cast: Cast, steps: list[str]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    for user in (cast.am, cast.city_manager, cast.district_manager, cast.admin, cast.other_am):
        workbench(user)  # every workbench cached
    for step in steps:
        text = f"工作台{next(counter)}号{step}"
        user, shown = EDITS[step](cast, customer, text)
        html = workbench(user)
        if shown.startswith("!"):
            assert shown[1:] not in html, f"after a {step}, {user}'s workbench still shows it"
        else:
            assert shown in html, f"after a {step}, {user}'s workbench does not show it"
        assert text not in workbench(cast.other_am) or step == "task reassigned"


def test_a_month_run_shows_on_the_next_view(cast: Cast) -> None:
    from zhengqi.scoring.month_run import month_run

    before = workbench(cast.am)
    assert 'data-testid="my-kpi"' not in before
    month_run(month=dt.date(2026, 10, 1))
    assert 'data-testid="my-kpi"' in workbench(cast.am)
