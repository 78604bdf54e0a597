"""The leadership brief (重要客户信息日报/周报): what it says is the reader's scope, on the page, in
the API, in the e-mail and in the PDF read back with pdftotext."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.competition.models import CompetitorEvent
from zhengqi.customers.models import Customer
from zhengqi.insight.brief import brief, brief_pdf, briefs_send
from zhengqi.marketing.models import Opportunity, Stage, Task
from zhengqi.notifications.models import Delivery
from zhengqi.scoring.models import CustomerSnapshot, TierChange

pytestmark = pytest.mark.django_db
MONTH = dt.date(2030, 1, 1)  # later than any month of the tiny province: the brief's latest scores


def important_news(cast: Cast) -> tuple[Customer, Customer]:
    region = cast.district_manager.region
    inside = Customer.objects.filter(region__path__startswith=region.path, account_manager=cast.am).first()
    outside = Customer.objects.exclude(region__path__startswith=cast.city_manager.region.path).first()
    assert inside is not None and outside is not None
    for c in (inside, outside):
        CustomerSnapshot.objects.create(customer=c, month=MONTH, tier="A+", churn_band="high", churn_risk=0.83)
        TierChange.objects.create(customer=c, month=MONTH, from_tier="A", to_tier="B")
    upgraded = Customer.objects.filter(region__path__startswith=region.path).exclude(pk=inside.pk).first()
    TierChange.objects.create(customer=upgraded, month=MONTH, from_tier="A", to_tier="A+")  # not news
    event = CompetitorEvent.objects.create(
        operator="telecom", kind="offer", summary="专线八折送三年维护", date=timezone.localdate(), created_by=cast.am
    )
    event.customers.set([inside, outside])
    Task.objects.create(
        customer=inside,
        assignee=cast.am,
        title="走访信息中心",
        due=timezone.localdate() - dt.timedelta(days=5),
        escalated_to=cast.district_manager,
        escalated_at=timezone.now(),
    )
    Opportunity.objects.create(
        customer=inside, owner=cast.am, name="云专线扩容", close_date=timezone.localdate(), stage=Stage.SIGNED
    )
    return inside, outside


def test_the_brief_holds_the_readers_important_customers_and_no_one_elses(cast: Cast) -> None:
    inside, outside = important_news(cast)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    b = brief(cast.district_manager, "daily", today=tomorrow)
    assert [s.customer for s in b.at_risk] == [inside]
    assert [(c.customer, c.to_tier) for c in b.downgraded] == [(inside, "B")]
    assert [e.summary for e in b.competitor_events] == ["专线八折送三年维护"]
    assert [t.title for t in b.escalated_tasks] == ["走访信息中心"]
    # deals signed since yesterday in the reader's region: ours, and the demo's signed bundles there
    region = cast.district_manager.region
    signed_today = Opportunity.objects.filter(
        customer__region__path__startswith=region.path, stage=Stage.SIGNED, updated_at__date=timezone.localdate()
    )
    assert {o.name for o in b.won} <= set(signed_today.values_list("name", flat=True))
    assert "云专线扩容" in {o.name for o in b.won}
    assert all(o.customer.region.path.startswith(region.path) for o in b.won)
    assert "A+/A 客户高流失风险：1 户" in b.lines()
    whole = brief(cast.admin, "weekly", today=tomorrow)
    assert {s.customer for s in whole.at_risk} == {inside, outside}


def test_the_brief_pdf_reads_back_in_chinese(cast: Cast) -> None:
    if not shutil.which("pdftotext"):
        if os.environ.get("ZHENGQI_REQUIRE_BROWSER") == "1":
            pytest.fail("poppler-utils (pdftotext) is not installed")
        pytest.skip("poppler-utils is not installed")
    inside, outside = important_news(cast)
    b = brief(cast.district_manager, "daily", today=timezone.localdate() + dt.timedelta(days=1))
    pdf = brief_pdf(b, cast.district_manager)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True).stdout.decode()
    assert "重要客户信息日报" in text
    for words in (
        "A+/A 客户高流失风险",
        inside.name,
        "竞争对手动向",
        "专线八折送三年维护",
        "走访信息中心",
        "云专线扩容",
    ):
        assert words in text, words
    assert outside.name not in text


def test_the_page_and_the_api_are_the_managers_and_the_mail_carries_the_pdf(cast: Cast) -> None:
    important_news(cast)
    client = Client()
    client.force_login(cast.district_manager)
    page = client.get("/insight/brief/?period=weekly")
    assert page.status_code == 200 and "重要客户信息周报" in page.content.decode()
    answer = client.get("/api/insight/briefs/daily")
    assert answer.status_code == 200 and answer.json()["title"].startswith("重要客户信息日报")
    pdf = client.get("/insight/brief.pdf?period=daily")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    client.force_login(cast.am)
    assert client.get("/insight/brief/").status_code == 403
    Delivery.objects.all().delete()
    mails, _posts = briefs_send("daily", timezone.localdate())
    assert mails >= 2 and Delivery.objects.filter(to=cast.district_manager.email).get().attachment_name.endswith(".pdf")
    assert briefs_send("daily", timezone.localdate()) == (0, 0)  # once a day
