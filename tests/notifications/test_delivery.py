"""Notifications reach people through real parts: an SMTP server that reads the message back (Chinese
subject, HTML and text), a group robot over HTTP; a channel that fails is retried and recorded and
the notification in the app is never lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import Cast
from tests.notifications.servers import Inbox, Robot, free_port, html_of, text_of
from zhengqi.notifications.models import Channel, Delivery, Kind, Notification
from zhengqi.notifications.services import (
    MAX_ATTEMPTS,
    deliveries_send,
    notify,
    preferences_set,
    wecom_queue,
)

pytestmark = pytest.mark.django_db


def test_an_escalation_is_mailed_in_chinese_with_html_and_text(smtp: Inbox, cast: Cast) -> None:
    told = notify([cast.city_manager], Kind.ESCALATION, "有 2 项逾期任务上报给您", body="请督促。", link="/workbench/")
    assert told == 1
    sent = deliveries_send()
    assert (sent.sent, sent.failed) == (1, 0)
    [message] = smtp.to(cast.city_manager.email)
    assert str(message["Subject"]).strip() == "【政企】有 2 项逾期任务上报给您"
    assert "请督促。" in text_of(message) and "http://127.0.0.1:8000/workbench/" in text_of(message)
    assert "<strong>有 2 项逾期任务上报给您</strong>" in html_of(message)
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_in_app_only_kinds_send_no_mail_and_a_chosen_kind_does(smtp: Inbox, cast: Cast) -> None:
    notify([cast.am], Kind.TASK_ASSIGNED, "新派任务 3 项")
    assert not Delivery.objects.exists()
    preferences_set(user=cast.am, choices={Kind.TASK_ASSIGNED: Channel.EMAIL, Kind.ESCALATION: Channel.IN_APP})
    notify([cast.am], Kind.TASK_ASSIGNED, "新派任务 4 项")
    notify([cast.am], Kind.ESCALATION, "不发邮件的升级")
    deliveries_send()
    assert [str(m["Subject"]).strip() for m in smtp.to(cast.am.email)] == ["【政企】新派任务 4 项"]
    assert Notification.objects.filter(user=cast.am).count() == 3


def test_the_same_fact_is_notified_once(cast: Cast) -> None:
    for _ in range(3):
        notify([cast.am, cast.am.pk, None], Kind.COMPETITOR, "对手动向", key="competitor:1")
    assert Notification.objects.filter(user=cast.am, key="competitor:1").count() == 1


def test_an_unreachable_mail_server_is_retried_and_recorded_and_the_notification_stays(
    settings: Any, cast: Cast, smtp: Inbox
) -> None:
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    notify([cast.city_manager], Kind.ESCALATION, "逾期任务上报")
    now = timezone.now()
    assert deliveries_send(now=now).failed == 1
    d = Delivery.objects.get()
    assert d.status == Delivery.Status.PENDING and d.attempts == 1 and d.last_error
    assert d.next_try_at is not None and d.next_try_at > now
    assert deliveries_send(now=now).sent == 0  # not due again yet
    assert Notification.objects.filter(user=cast.city_manager, read_at__isnull=True).count() == 1
    settings.EMAIL_PORT = working_port
    assert deliveries_send(now=d.next_try_at).sent == 1
    assert len(smtp.to(cast.city_manager.email)) == 1


@hsettings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(failures=st.integers(min_value=0, max_value=MAX_ATTEMPTS + 2))
def test_a_robot_message_is_sent_after_any_run_of_failures_or_given_up_after_the_last_attempt(
    failures: int, robot: Robot, settings: Any, cast: Cast
) -> None:
    Delivery.objects.all().delete()
    robot.received.clear()
    robot.answers = [500] * failures
    settings.ZHENGQI_WECOM_WEBHOOKS = {cast.city_manager.region.code: robot.url}
    queued = wecom_queue(region=cast.city_manager.region, subject="重要客户信息日报", text="> A+ 客户 1 户")
    assert queued is not None
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS + 3):
        deliveries_send(now=now)
        now += dt.timedelta(hours=2)
    d = Delivery.objects.get()
    if failures < MAX_ATTEMPTS:
        assert d.status == Delivery.Status.SENT and d.attempts == failures + 1
        [payload] = robot.received
        assert payload["msgtype"] == "markdown"
        assert "重要客户信息日报" in payload["markdown"]["content"]
    else:
        assert d.status == Delivery.Status.FAILED and d.attempts == MAX_ATTEMPTS
        assert "500" in d.last_error and not robot.received


def test_a_region_without_a_robot_gets_nothing_and_a_district_uses_its_citys(settings: Any, cast: Cast) -> None:
    settings.ZHENGQI_WECOM_WEBHOOKS = {}
    assert wecom_queue(region=cast.district_manager.region, subject="x", text="y") is None
    city = cast.district_manager.region.parent
    settings.ZHENGQI_WECOM_WEBHOOKS = {city.code: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
    queued = wecom_queue(region=cast.district_manager.region, subject="x", text="y")
    assert queued is not None and queued.to == city.code


def test_mail_is_refused_to_a_user_without_an_address(cast: Cast) -> None:
    from django.core.exceptions import ValidationError

    cast.am.email = ""
    cast.am.save()
    with pytest.raises(ValidationError, match="没有登记邮箱"):
        preferences_set(user=cast.am, choices={Kind.TASK_ASSIGNED: Channel.EMAIL})
    with pytest.raises(ValidationError, match="无法识别"):
        preferences_set(user=cast.am, choices={"nonsense": Channel.IN_APP})
    assert not cast.am.notifications.exists()


def test_a_batch_queues_mail_only_for_what_it_made_now(cast: Cast) -> None:
    from zhengqi.notifications.services import Note, notify_each

    a, b = cast.city_manager, cast.district_manager
    notify_each(Kind.ESCALATION, [Note(a.pk, "旧的", key="k2")])
    Delivery.objects.all().delete()
    made = notify_each(Kind.ESCALATION, [Note(a.pk, "新的一", key="k1"), Note(b.pk, "新的二", key="k2")])
    assert made == 2
    assert sorted(Delivery.objects.values_list("subject", flat=True)) == ["【政企】新的一", "【政企】新的二"]
