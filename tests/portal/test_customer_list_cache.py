"""The customer list is rendered once per query and version of the user's scope (issue 25): any change
to what it lists — a renamed customer, a new owner, a task opened or closed, an alert raised, a bulk
write, a month run — shows on the next view of the same query, and a list cached for one user is
never shown to another."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast, listed_count
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import reassignment_candidates
from zhengqi.customers.services import customer_assign_manager, customer_correct
from zhengqi.marketing.models import Task
from zhengqi.marketing.tasks.services import task_create
from zhengqi.scoring.models import Alert

counter = itertools.count()


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def view(user: User, query: str) -> str:
    response = client_for(user).get(f"/customers/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def _renamed(cast: Cast, c: Customer, text: str) -> tuple[str, Callable[[str, User], bool]]:
    customer_correct(customer=c, by=cast.admin, name=text)
    return f"q={text}", lambda html, _user: text in html


def _new_owner(cast: Cast, c: Customer, text: str) -> tuple[str, Callable[[str, User], bool]]:
    owner = reassignment_candidates(c).first()  # the most senior of the city: qualified for any tier
    assert owner is not None
    customer_assign_manager(customer=c, to_manager=owner, by=cast.admin, reason=text)
    return f"account_manager={owner.pk}", lambda html, _user: f"/customers/{c.pk}/" in html


def _task(cast: Cast, c: Customer, text: str) -> tuple[str, Callable[[str, User], bool]]:
    task_create(by=cast.admin, customer=c, title=text, due=timezone.localdate(), assignee=c.account_manager)

    def shows(html: str, user: User) -> bool:  # the viewer's own count: the customer may be on a later page
        want = Customer.objects.filter(customer_scope(user), tasks__status=Task.Status.OPEN).distinct().count()
        return f"共 {want} 个客户" in html

    return "open_task=yes", shows


def _tasks_closed_in_bulk(cast: Cast, c: Customer, text: str) -> tuple[str, Callable[[str, User], bool]]:
    Task.objects.filter(customer=c).update(status=Task.Status.DONE)  # a bulk write: no signal
    from zhengqi.customers.versions import customers_changed

    customers_changed([c.pk])  # as every bulk writer does (docs/architecture.md)
    return "open_task=yes", lambda html, _user: f'/customers/{c.pk}/"' not in html


def _alert(cast: Cast, c: Customer, text: str) -> tuple[str, Callable[[str, User], bool]]:
    month = dt.date(2026, 10, 1)
    Alert.objects.get_or_create(
        customer=c,
        rule_code="ZZ9",
        first_month=month,
        defaults={"rule_name": text, "family": "retain", "severity": "high", "last_month": month},
    )
    return "rule=ZZ9", lambda html, _user: c.name in html


EDITS = {
    "renamed": _renamed,
    "new owner": _new_owner,
    "task": _task,
    "tasks closed in bulk": _tasks_closed_in_bulk,
    "alert": _alert,
}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4))
def test_every_change_shows_on_the_next_view(cast: Cast, steps: list[str]) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    owners = Customer.objects.filter(account_manager__isnull=False).values_list("account_manager", flat=True)
    queries = ["", "open_task=yes", "rule=ZZ9", *(f"account_manager={pk}" for pk in set(owners))]
    for user in (cast.admin, cast.city_manager):
        for query in queries:
            view(user, query)  # every list cached
    for step in steps:
        text = f"列表{next(counter)}号"
        customer.refresh_from_db()
        query, shows = EDITS[step](cast, customer, text)
        for user in (cast.admin, cast.city_manager):
            html = view(user, query)
            assert shows(html, user), f"after '{step}', {user}'s list ?{query} does not show it"


def test_a_month_run_shows_on_the_next_view(cast: Cast) -> None:
    from zhengqi.scoring.month_run import month_run

    before = listed_count(client_for(cast.admin).get("/customers/?tier=A"))
    assert before == Customer.objects.filter(tier="A").count()
    month_run(month=dt.date(2026, 10, 1))
    after = listed_count(client_for(cast.admin).get("/customers/?tier=A"))
    assert after == Customer.objects.filter(tier="A").count()


def test_the_cached_list_is_the_viewers_own(cast: Cast) -> None:
    everyone = view(cast.admin, "")
    theirs = view(cast.am, "")
    assert listed_count(client_for(cast.admin).get("/customers/")) == Customer.objects.count()
    assert (
        listed_count(client_for(cast.am).get("/customers/")) == Customer.objects.filter(account_manager=cast.am).count()
    )
    assert everyone != theirs
    other = Customer.objects.exclude(account_manager=cast.am).order_by("name").first()
    assert other is not None
    assert f"/customers/{other.pk}/" not in view(cast.am, f"q={other.code}")
    # A user moved to another region sees that region's list at once, not what was rendered before.
    manager = cast.district_manager
    seen = listed_count(client_for(manager).get("/customers/"))
    manager.region = cast.city_manager.region
    manager.save(update_fields=["region"])
    assert listed_count(client_for(manager).get("/customers/")) != seen


def test_the_csrf_token_is_the_requests_own(cast: Cast) -> None:
    first, second = client_for(cast.admin), client_for(cast.admin)
    a = first.get("/customers/").content.decode()
    b = second.get("/customers/").content.decode()
    token = 'name="csrfmiddlewaretoken" value="'
    assert token in a and token in b
    assert a.split(token)[1].split('"')[0] != b.split(token)[1].split('"')[0]
    assert "zq-csrf-token-placeholder" not in a + b
