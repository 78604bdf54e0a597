"""Alerts that people can work (issue 23): which hits become tasks, at most a capacity per person
per month, the highest priority (value × risk × severity) first, the rest in the backlog, customers
without an account manager to the regional manager above them — for generated months of alerts,
not one example. Re-running the month changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Task
from zhengqi.marketing.tasks.selectors import open_tasks, task_backlog
from zhengqi.marketing.tasks.services import nearest_manager, regional_managers, tasks_from_alerts
from zhengqi.scoring.models import TASK_FAMILIES, Alert, CustomerSnapshot, Rule, TaskPolicy, makes_task
from zhengqi.scoring.selectors import priority_score

pytestmark = pytest.mark.django_db
MONTH = dt.date(2031, 1, 1)  # past any month the tiny province has: only this test's rows
FAMILIES = ["develop", "maintain", "retain", "uplift", "prevent"]

alert_spec = st.fixed_dictionaries(
    {
        "customer": st.integers(min_value=0, max_value=39),
        "rule": st.sampled_from(["T1", "T2", "T3", "T4", "CHURN_RISK", "TIER_DOWN"]),
        "severity": st.sampled_from(["high", "medium", "low"]),
        "value": st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
        "risk": st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
        "unowned": st.booleans(),
    }
)


def _setup(alerts: list[dict], policies: dict[str, tuple[str, str]]) -> dict[int, Customer]:
    Task.objects.filter(source=Task.Source.ALERT).delete()
    Alert.objects.all().delete()
    CustomerSnapshot.objects.filter(month=MONTH).delete()
    Rule.objects.filter(code__in=["T1", "T2", "T3", "T4"]).delete()
    for code, (family, policy) in policies.items():
        Rule.objects.create(code=code, name=f"测试{code}", family=family, expression="1 = 1", task_policy=policy)
    customers = list(Customer.objects.filter(status="active").select_related("region").order_by("pk")[:40])
    chosen: dict[int, Customer] = {}
    seen = set()
    for spec in alerts:
        customer = customers[spec["customer"] % len(customers)]
        if (customer.pk, spec["rule"]) in seen:
            continue
        seen.add((customer.pk, spec["rule"]))
        if customer.pk not in chosen:
            chosen[customer.pk] = customer
            if spec["unowned"]:
                Customer.objects.filter(pk=customer.pk).update(account_manager=None)
            CustomerSnapshot.objects.create(
                customer=customer, month=MONTH, value_score=spec["value"], churn_risk=spec["risk"]
            )
        family = policies[spec["rule"]][0] if spec["rule"] in policies else "retain"
        Alert.objects.create(
            customer=customer,
            rule_code=spec["rule"],
            rule_name=f"规则{spec['rule']}",
            family=family,
            severity=spec["severity"],
            first_month=MONTH,
            last_month=MONTH,
        )
    return chosen


@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    alerts=st.lists(alert_spec, min_size=1, max_size=60),
    families=st.lists(st.sampled_from(FAMILIES), min_size=4, max_size=4),
    rule_policies=st.lists(st.sampled_from(list(TaskPolicy.values)), min_size=4, max_size=4),
    capacity=st.integers(min_value=0, max_value=6),
)
def test_tasks_respect_policy_capacity_priority_and_routing(
    alerts: list[dict], families: list[str], rule_policies: list[str], capacity: int
) -> None:
    policies = {f"T{i + 1}": (families[i], rule_policies[i]) for i in range(4)}
    customers = _setup(alerts, policies)
    managers = regional_managers()
    counts = tasks_from_alerts(month=MONTH, capacity=capacity)

    tasks = {(t.customer_id, t.rule_code): t for t in Task.objects.filter(source="alert", issued_month=MONTH)}
    assert counts["tasks_created"] == len(tasks)
    per_person: dict[int, list[float]] = {}
    waiting: dict[int, list[float]] = {}
    for alert in Alert.objects.filter(first_month=MONTH).select_related("customer__region"):
        customer = Customer.objects.get(pk=alert.customer_id)
        family, policy = policies.get(alert.rule_code, ("retain", TaskPolicy.FAMILY))
        snap = CustomerSnapshot.objects.get(customer=customer, month=MONTH)
        priority = priority_score(snap.value_score, snap.potential_score, snap.churn_risk, alert.severity)
        expected = customer.account_manager_id or nearest_manager(customer.region.path, managers)
        task = tasks.get((alert.customer_id, alert.rule_code))
        if not makes_task(family, policy):
            assert task is None, "a rule that only marks made a task"
            continue
        if task is None:
            waiting.setdefault(expected or 0, []).append(priority)
            continue
        assert task.assignee_id == expected  # the account manager, or the regional manager above
        assert task.status == Task.Status.OPEN and task.priority == alert.severity
        per_person.setdefault(task.assignee_id, []).append(priority)
    for person, issued in per_person.items():
        assert len(issued) <= capacity
        # Nobody's backlog holds an alert of higher priority than one they were given.
        assert max(waiting.get(person, [-1.0])) <= min(issued) + 1e-9
    for person in waiting:
        if person:
            assert len(per_person.get(person, [])) == capacity, "an alert waits while its person has room"
    assert counts["tasks_backlog"] == sum(len(v) for v in waiting.values())
    assert len(customers) > 0

    before = sorted(Task.objects.filter(source="alert").values_list("customer_id", "rule_code", "status", "due"))
    assert tasks_from_alerts(month=MONTH, capacity=capacity)["tasks_created"] == len(tasks)
    assert (
        sorted(Task.objects.filter(source="alert").values_list("customer_id", "rule_code", "status", "due")) == before
    )


def test_the_families_default_maintain_and_uplift_only_mark() -> None:
    assert {"retain", "prevent", "develop"} == TASK_FAMILIES
    assert not makes_task("maintain") and not makes_task("uplift")
    assert makes_task("maintain", TaskPolicy.TASK) and not makes_task("retain", TaskPolicy.MARK)


def test_the_backlog_is_what_did_not_fit_highest_priority_first_and_can_be_taken() -> None:
    from zhengqi.marketing.tasks.services import task_take

    specs = [
        {"customer": i, "rule": "CHURN_RISK", "severity": "high", "value": Decimal(i), "risk": 0.5, "unowned": False}
        for i in range(12)
    ]
    _setup(specs, {})
    am = Customer.objects.get(pk=Alert.objects.order_by("pk").first().customer_id).account_manager
    tasks_from_alerts(month=MONTH, capacity=1)
    backlog = list(task_backlog(am))
    mine = [a for a in backlog if a.customer.account_manager_id == am.pk]
    assert mine and [a.priority for a in mine] == sorted((a.priority for a in mine), reverse=True)
    task = task_take(alert=mine[0], by=am)
    assert task.assignee_id == am.pk and task.status == Task.Status.OPEN and task.issued_month is None
    assert mine[0].pk not in {a.pk for a in task_backlog(am)}
    # Taking by hand does not count against the month's capacity, and a re-run does not withdraw it.
    tasks_from_alerts(month=MONTH, capacity=1)
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_a_backlog_alert_is_issued_next_month_when_it_still_fires() -> None:
    specs = [
        {"customer": i, "rule": "TIER_DOWN", "severity": "medium", "value": None, "risk": None, "unowned": False}
        for i in range(40)
    ]
    _setup(specs, {})
    first = tasks_from_alerts(month=MONTH, capacity=1)
    waiting = Alert.objects.filter(first_month=MONTH).count() - first["tasks_created"]
    assert first["tasks_backlog"] == waiting > 0
    nxt = dt.date(2031, 2, 1)
    Alert.objects.update(last_month=nxt)
    second = tasks_from_alerts(month=nxt, capacity=1)
    assert 0 < second["tasks_created"] <= User.objects.filter(role="account_manager").count()
    issued = Task.objects.filter(issued_month=nxt)
    assert issued.count() == second["tasks_created"]
    assert set(issued.values_list("alert_month", flat=True)) == {MONTH}  # the alert's episode, not a new one


def test_the_task_list_and_the_backlog_export_what_they_show(cast: Cast) -> None:
    import csv
    import io

    from django.test import Client

    specs = [
        {"customer": i, "rule": "CHURN_RISK", "severity": "high", "value": Decimal(i), "risk": 0.5, "unowned": False}
        for i in range(12)
    ]
    _setup(specs, {})
    tasks_from_alerts(month=MONTH, capacity=1)
    client = Client()
    client.force_login(cast.district_manager)
    for url, expected in (
        ("/marketing/tasks/export.csv", {t.customer.code for t in open_tasks(cast.district_manager)}),
        ("/marketing/tasks/backlog/export.csv", {a.customer.code for a in task_backlog(cast.district_manager)}),
    ):
        response = client.get(url)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        header = next(i for i, r in enumerate(rows) if r and r[0] == "客户编码")
        assert {r[0] for r in rows[header + 1 :]} == expected, url
