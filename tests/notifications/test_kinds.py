"""Who is told of what: a change request tells the managers over the customer (never its proposer)
and its decision tells the proposer; a competitor event tells the customers' account managers; the
admin's schedules page shows a channel that fails; another user's notification is out of reach."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from tests.notifications.servers import free_port
from zhengqi.competition.services import EventInput, event_save
from zhengqi.customers.change_requests import change_request_decide, change_request_propose
from zhengqi.customers.models import Customer
from zhengqi.notifications.models import Kind, Notification
from zhengqi.notifications.services import deliveries_send, notify

pytestmark = pytest.mark.django_db


def told(kind: Kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_a_change_request_tells_the_managers_over_it_and_its_decision_tells_the_proposer(cast: Cast) -> None:
    customer = Customer.objects.filter(
        account_manager=cast.am, region__path__startswith=cast.district_manager.region.path
    ).first()
    assert customer is not None
    request = change_request_propose(
        customer=customer, by=cast.am, changes={"address": "星城市新港大道 88 号"}, reason="客户已搬迁"
    )
    assert told(Kind.APPROVAL_WAITING) == {cast.district_manager.username, cast.city_manager.username}
    note = Notification.objects.filter(kind=Kind.APPROVAL_WAITING).first()
    assert note is not None and customer.name in note.title and note.link == f"/customers/changes/{request.pk}/"
    change_request_decide(request=request, by=cast.district_manager, approve=False, comment="请附营业执照")
    assert told(Kind.APPROVAL_DECIDED) == {cast.am.username}
    assert "驳回" in Notification.objects.get(kind=Kind.APPROVAL_DECIDED).title


def test_a_competitor_event_tells_each_customers_account_manager_but_not_who_recorded_it(cast: Cast) -> None:
    theirs = cast.customer_of_other_am()
    event, _opened = event_save(
        by=cast.city_manager,
        data=EventInput(
            operator="telecom",
            kind="offer",
            summary="专线八折",
            evidence="客户转述",
            date=timezone.localdate(),
            customer_codes=[theirs.code],
        ),
    )
    assert told(Kind.COMPETITOR) == {cast.other_am.username}
    assert Notification.objects.get(kind=Kind.COMPETITOR).link == f"/competition/events/{event.pk}/"


def test_a_failing_mail_server_shows_on_the_admins_schedules_page(settings: Any, cast: Cast) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    notify([cast.city_manager], Kind.ESCALATION, "逾期任务上报")
    deliveries_send()
    client = Client()
    client.force_login(cast.admin)
    page = client.get("/schedules/").content.decode()
    assert "消息发送有问题" in page and "ConnectionRefusedError" in page and cast.city_manager.email in page


def test_another_users_notification_is_out_of_reach(cast: Cast) -> None:
    notify([cast.city_manager], Kind.ESCALATION, "只给区域经理", key="private")
    theirs = Notification.objects.get(key="private")
    client = Client()
    client.force_login(cast.am)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post(f"/api/notifications/{theirs.pk}/read").status_code == 404
    assert "只给区域经理" not in client.get("/notifications/").content.decode()
    assert client.get("/api/notifications").json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_names_every_kind_of_notification() -> None:
    """A kind added to the model and not to the API's list would make every list answer fail."""
    from typing import get_args

    from zhengqi.notifications.api import KindName
    from zhengqi.notifications.models import Kind

    assert set(get_args(KindName)) == set(Kind.values)
