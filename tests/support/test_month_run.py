"""The month run reads complaints and satisfaction from the service records: the complaints-rising
rule fires on complaints logged here, a ticket that also arrives by import is counted once, and
the satisfaction features come from the surveys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pytest
from django.conf import settings

from tests.conftest import Cast
from zhengqi.customers.models import Customer
from zhengqi.engine.lake import Lake
from zhengqi.engine.value.model import DEFAULT_MODEL, Factor, ValueModel, score
from zhengqi.imports.services import import_file
from zhengqi.insight.kpi import kpis
from zhengqi.scoring.models import Alert, CustomerSnapshot
from zhengqi.scoring.month_run import month_run
from zhengqi.support.models import ServiceRequest, Survey
from zhengqi.support.requests import RequestInput, request_create

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def features(customer: Customer) -> dict[str, object]:
    return CustomerSnapshot.objects.get(customer=customer, month=OCT).features


def quiet_customer(cast: Cast) -> Customer:
    """An active customer of the account manager with no complaints in the six months to October
    and no service records."""
    month_run(month=OCT)
    for customer in Customer.objects.filter(account_manager=cast.am, status="active").order_by("code"):
        f = features(customer)
        quiet = f["complaints_3m"] == 0 and f["complaints_prev_3m"] == 0
        if quiet and not customer.service_requests.exists() and not customer.surveys.exists():
            return customer
    raise AssertionError("the tiny province has no quiet customer")


def test_complaints_logged_here_fire_the_rising_rule_and_an_imported_copy_counts_once(
    cast: Cast, tmp_path: Path
) -> None:
    customer = quiet_customer(cast)
    assert not Alert.objects.filter(customer=customer, rule_code="P05", first_month=OCT).exists()
    for day, ref in ((3, "TS-901"), (12, "TS-902"), (25, "TS-903")):
        request_create(
            by=cast.am,
            data=RequestInput(customer_id=customer.pk, request_type="complaint", title="信号差", external_ref=ref),
            now=dt.datetime(2026, 10, day, 10, tzinfo=dt.UTC),
        )
    month_run(month=OCT)
    f = features(customer)
    assert (f["complaints"], f["complaints_3m"], f["complaints_prev_3m"]) == (3, 3, 0)
    assert Alert.objects.filter(customer=customer, rule_code="P05", first_month=OCT, status="open").exists()

    # The complaint system's export brings the same three tickets (one now closed) and one new one.
    export = tmp_path / "工单.csv"
    export.write_text(
        "工单号,客户编码,类型,受理日期,内容,办结日期,处理结果,是否满意\n"
        f"TS-901,{customer.code},投诉,2026-10-03,信号差,2026-10-04,已优化基站,是\n"
        f"TS-902,{customer.code},投诉,2026-10-12,信号差,,,\n"
        f"TS-903,{customer.code},投诉,2026-10-25,信号差,,,\n"
        f"TS-904,{customer.code},投诉,2026-10-28,账单有误,,,\n",
        encoding="utf-8",
    )
    batch = import_file("tickets", export, lake=Lake(settings.ZHENGQI_LAKE))
    assert (batch.inserted, batch.updated, batch.unchanged, batch.rejected) == (1, 1, 2, 0)
    assert ServiceRequest.objects.filter(customer=customer).count() == 4
    again = import_file("tickets", export, lake=Lake(settings.ZHENGQI_LAKE))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)  # re-importing changes nothing
    month_run(month=OCT)
    f = features(customer)
    assert (f["complaints"], f["complaints_3m"]) == (4, 4)  # three shared tickets once, plus the new one
    first = ServiceRequest.objects.get(external_ref="TS-901")
    assert first.status == "closed" and first.satisfied is True and first.source == "manual"


def test_the_satisfaction_features_read_the_surveys(cast: Cast) -> None:
    customer = quiet_customer(cast)
    assert features(customer)["surveys_12m"] == 0 and features(customer)["satisfaction_12m"] is None
    for day, satisfied in ((2, True), (9, True), (20, False)):
        Survey.objects.create(customer=customer, kind="yearly", date=dt.date(2026, 10, day), satisfied=satisfied)
    Survey.objects.create(customer=customer, kind="yearly", date=dt.date(2025, 9, 1), satisfied=False)  # too old
    Survey.objects.create(customer=customer, kind="yearly", date=dt.date(2026, 11, 2), satisfied=False)  # later
    month_run(month=OCT)
    f = features(customer)
    assert f["surveys_12m"] == 3
    assert f["satisfaction_12m"] == pytest.approx(2 / 3, abs=1e-6)
    assert f["dissatisfied_3m"] == 1


def test_the_kpis_count_the_managers_survey_answers(cast: Cast) -> None:
    month_run(month=OCT)
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    Survey.objects.create(customer=customer, kind="yearly", date=dt.date(2026, 10, 2), satisfied=False)
    Survey.objects.create(customer=customer, kind="delivery", date=dt.date(2026, 3, 2), satisfied=True)
    mine = next(k for k in kpis(cast.admin, OCT) if k.manager == cast.am)
    answers = Survey.objects.filter(customer__account_manager=cast.am, date__year=2026, date__lte=dt.date(2026, 10, 31))
    assert mine.surveys == answers.count() >= 2
    assert mine.satisfaction == pytest.approx(answers.filter(satisfied=True).count() / answers.count())
    assert "satisfaction" in mine.ranks


def test_satisfaction_is_an_optional_value_factor_neutral_without_surveys() -> None:
    features = ibis.memtable(
        {
            "customer_code": ["A", "B", "C"],
            "month_idx": [1, 1, 1],
            "status": ["active"] * 3,
            "customer_type": ["enterprise"] * 3,
            "scale": ["small"] * 3,
            "revenue_yoy": [0.0] * 3,
            "members_growth_6m": [0.0] * 3,
            "revenue_avg_12": [100.0, 200.0, 300.0],
            "revenue_info": [1.0, 2.0, 3.0],
            "satisfaction_12m": [1.0, 0.2, None],
        }
    )
    model = ValueModel(
        version="t",
        factors=(
            Factor("contribution", "收入贡献", "revenue_avg_12", 0.5),
            Factor("satisfaction", "满意度", "satisfaction_12m", 0.5, missing=0.5),
        ),
        thresholds={"A+": 90, "A": 60, "B": 30},
    )
    assert model.validate() == []
    rows = {r["customer_code"]: r for r in score(features, model).to_pyarrow().to_pylist()}
    assert rows["A"]["f_satisfaction"] > rows["B"]["f_satisfaction"]
    assert rows["C"]["f_satisfaction"] == 25.0  # no survey: neither rewarded nor punished
    assert any(f.code == "satisfaction" and f.weight == 0 for f in DEFAULT_MODEL.factors)


def test_a_competitor_alert_does_not_hide_the_month_runs_alerts_on_the_workbench(cast: Cast) -> None:
    from django.test import Client

    from zhengqi.competition.services import EventInput, event_save

    month_run(month=OCT)
    from_run = (
        Alert.objects.filter(customer__account_manager=cast.am, first_month=OCT, status="open")
        .select_related("customer")
        .first()
    )
    assert from_run is not None
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").last()
    assert customer is not None
    event_save(
        by=cast.am,
        data=EventInput(operator="telecom", kind="visit", summary="上门拜访", date=dt.date(2026, 11, 25),
                        customer_codes=[customer.code]),
    )  # fmt: skip
    client = Client()
    client.force_login(cast.am)
    page = client.get("/workbench/").content.decode()
    mine = Alert.objects.filter(customer__account_manager=cast.am, status="open")
    expected = mine.filter(first_month=OCT).exclude(rule_code="COMPETITOR").count()
    expected += mine.filter(rule_code="COMPETITOR").count()
    assert expected > mine.filter(rule_code="COMPETITOR").count()  # the run's alerts are counted too
    assert f"本月新预警（{expected}）" in page
