"""Bulk work on tasks (issue 23): a manager reassigns, reschedules or cancels several tasks with a
reason, an account manager closes several with one outcome — all of them or, any refused, none;
for generated selections that mix in tasks outside the user's scope or already closed."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import account_managers_visible_to
from zhengqi.marketing.models import Task
from zhengqi.marketing.tasks.services import tasks_bulk

pytestmark = pytest.mark.django_db
SETTINGS = hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _tasks(customers: list[Customer], n: int, *, title: str = "批量测试") -> list[Task]:
    due = timezone.localdate() + dt.timedelta(days=5)
    return [
        Task.objects.create(customer=c, assignee=c.account_manager, title=title, due=due)
        for c in (customers * n)[:n]
        if c.account_manager is not None
    ]


def _state(ids: list[int]) -> list[tuple]:
    return sorted(Task.objects.filter(pk__in=ids).values_list("pk", "assignee_id", "due", "status", "outcome"))


@SETTINGS
@given(
    picks=st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=6, unique=True),
    intruder=st.sampled_from(["none", "outside", "closed"]),
    action=st.sampled_from(["reassign", "reschedule", "cancel", "close"]),
)
def test_bulk_work_is_all_or_none(cast: Cast, picks: list[int], intruder: str, action: str) -> None:
    manager = cast.district_manager
    assert manager.region is not None
    inside = list(
        Customer.objects.filter(region__path__startswith=manager.region.path, account_manager__isnull=False)[:8]
    )
    mine = _tasks(inside, 8)
    chosen = [mine[i % len(mine)].pk for i in picks]
    if intruder == "outside":
        other = Customer.objects.exclude(region__path__startswith=manager.region.path).filter(
            account_manager__isnull=False
        )[:1]
        chosen.append(_tasks(list(other), 1)[0].pk)
    elif intruder == "closed":
        done = _tasks(inside, 1)[0]
        Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE, outcome="已办")
        chosen.append(done.pk)
    to = account_managers_visible_to(manager).first()
    due = timezone.localdate() + dt.timedelta(days=30)
    before = _state(chosen)
    try:
        n = tasks_bulk(by=manager, task_ids=chosen, action=action, reason="客户经理休假", to=to, due=due)
    except ValidationError as err:
        assert intruder != "none", err.messages
        assert "未做任何调整" in " ".join(err.messages)
        assert _state(chosen) == before  # nothing changed
        return
    assert intruder == "none" and n == len(set(chosen))
    for task in Task.objects.filter(pk__in=chosen):
        if action == "reassign":
            assert task.assignee_id == to.pk
        elif action == "reschedule":
            assert task.due == due
        elif action == "cancel":
            assert task.status == Task.Status.CANCELLED and "客户经理休假" in task.outcome
        else:
            assert task.status == Task.Status.DONE and task.outcome == "客户经理休假"


def test_an_account_manager_closes_several_but_may_not_reassign(cast: Cast) -> None:
    own = list(Customer.objects.filter(account_manager=cast.am)[:3])
    tasks = _tasks(own, 3)
    ids = [t.pk for t in tasks]
    with pytest.raises(PermissionDenied):
        tasks_bulk(by=cast.am, task_ids=ids, action="reassign", reason="x", to=cast.other_am)
    with pytest.raises(ValidationError) as err:
        tasks_bulk(by=cast.am, task_ids=ids, action="close", reason="  ")
    assert "处理结果" in str(err.value)
    theirs = _tasks([cast.customer_of_other_am()], 1)
    with pytest.raises(ValidationError):  # another's task in the selection: none closed
        tasks_bulk(by=cast.am, task_ids=[*ids, theirs[0].pk], action="close", reason="电话回访，均已解决")
    assert Task.objects.filter(pk__in=ids, status="open").count() == 3
    assert tasks_bulk(by=cast.am, task_ids=ids, action="close", reason="电话回访，均已解决") == 3
    assert set(Task.objects.filter(pk__in=ids).values_list("outcome", flat=True)) == {"电话回访，均已解决"}


def test_a_reassignment_keeps_who_and_why_in_the_tasks_history(cast: Cast) -> None:
    manager = cast.district_manager
    assert manager.region is not None
    customer = Customer.objects.filter(
        region__path__startswith=manager.region.path, account_manager__isnull=False
    ).first()
    task = _tasks([customer], 1)[0]
    to = account_managers_visible_to(manager).exclude(pk=task.assignee_id).first() or manager  # or themself
    tasks_bulk(by=manager, task_ids=[task.pk], action="reassign", reason="原客户经理调岗", to=to)
    entry = LogEntry.objects.get_for_object(task).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor_id == manager.pk and entry.additional_data == {"note": "原客户经理调岗"}
    assert "assignee" in entry.changes_dict
    with pytest.raises(ValidationError) as err:
        tasks_bulk(by=manager, task_ids=[task.pk], action="reschedule", reason="x", due=dt.date(2020, 1, 1))
    assert "不能早于今天" in str(err.value)


def test_the_task_list_page_works_the_ticked_tasks(cast: Cast) -> None:
    manager = cast.district_manager
    assert manager.region is not None
    inside = list(
        Customer.objects.filter(region__path__startswith=manager.region.path, account_manager__isnull=False)[:2]
    )
    tasks = _tasks(inside, 2, title="页面批量")
    client = Client()
    client.force_login(manager)
    page = client.get("/marketing/tasks/").content.decode()
    assert 'data-testid="bulk-tasks"' in page and 'value="reassign"' in page
    new_due = timezone.localdate() + dt.timedelta(days=20)
    answer = client.post(
        "/marketing/tasks/bulk/",
        {"task": [t.pk for t in tasks], "action": "reschedule", "due": new_due.isoformat(), "reason": "客户要求延后"},
        follow=True,
    ).content.decode()
    assert "已将 2 项任务改期至" in answer
    assert set(Task.objects.filter(pk__in=[t.pk for t in tasks]).values_list("due", flat=True)) == {new_due}
    refused = client.post("/marketing/tasks/bulk/", {"action": "cancel", "reason": "x"}, follow=True).content.decode()
    assert "请先勾选任务" in refused
    am_page = Client()
    am_page.force_login(User.objects.get(username="am"))
    assert 'value="reassign"' not in am_page.get("/marketing/tasks/").content.decode()
