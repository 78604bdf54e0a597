"""Churn risk in the month run, on the pages and in the API: scores and reasons written back,
alerts for the top band that stay one per customer across re-runs, the model card, activation
by the provincial admin only, and row-level access to a customer's risk."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import Cast
from zhengqi.customers.models import Customer
from zhengqi.engine.churn import registry
from zhengqi.engine.churn.bundle import History, fit
from zhengqi.engine.lake import Lake
from zhengqi.engine.staging.months import month_idx
from zhengqi.scoring.churn_registry import visit_capacity
from zhengqi.scoring.models import Alert, CustomerSnapshot
from zhengqi.scoring.month_run import CHURN_CODE, month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


_SAVED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _clean_registry() -> Iterator[None]:
    yield
    shutil.rmtree(Lake(settings.ZHENGQI_LAKE).root / "models", ignore_errors=True)  # later tests run without


@pytest.fixture
def versions(db: None) -> list[str]:
    """Two versions in the registry (the first active), fitted once for the module. Function
    scope: a module-scoped fixture opening the database would reach the developer's own."""
    from zhengqi.scoring.export import export_dimensions

    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    if not _SAVED:
        history = History(lake)
        # As of October, not the lake's last month: other tests may import later months into the
        # shared lake, and a model calibrated on them would band October differently.
        models = fit(history, month_idx(OCT))
        _SAVED.extend([registry.save(lake, models), registry.save(lake, models)])
    return _SAVED


def login(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_month_run_scores_customers_and_raises_churn_alerts_once(versions: list[str]) -> None:
    record = month_run(month=OCT)
    assert record.churn_model == versions[0]
    assert [s["name"] for s in record.steps] == ["features", "value", "hits", "churn"]
    snapshots = CustomerSnapshot.objects.filter(month=OCT)
    assert snapshots.count() == Customer.objects.count()
    # Every customer in service is scored; prospects and lost customers are not (nothing to lose).
    assert not snapshots.filter(customer__status="active", churn_risk__isnull=True).exists()
    assert snapshots.exclude(customer__status="active").exists()
    assert not snapshots.exclude(customer__status="active").filter(churn_risk__isnull=False).exists()
    high = snapshots.filter(churn_band="high")
    assert high.exists() and all(s.churn_reasons for s in high)
    assert not any(s.churn_reasons for s in snapshots.filter(churn_band="low"))
    said = [r for s in high for r in s.churn_reasons]
    assert not any(r.startswith(("行业", "规模", "客户类型")) for r in said)  # who it is is no reason
    assert all("members_expected_lost_3m" in s.features for s in high)
    alerts = Alert.objects.filter(rule_code=CHURN_CODE, status="open", last_month=OCT)
    alerted = set(alerts.values_list("customer_id", flat=True))
    assert set(high.values_list("customer_id", flat=True)) <= alerted
    vip_medium = snapshots.filter(churn_band="medium", tier__in=("A+", "A"))
    assert set(vip_medium.values_list("customer_id", flat=True)) <= alerted
    assert not (
        alerted
        - set(high.values_list("customer_id", flat=True))
        - set(vip_medium.values_list("customer_id", flat=True))
    )
    bands = dict(snapshots.values_list("customer_id", "churn_band"))
    assert all(a.severity == bands[a.customer_id] for a in alerts)  # the badge says what the banner says
    evidence = alerts.first().evidence
    assert evidence["reasons"] and 0 <= evidence["churn_risk"] <= 1
    before = sorted(Alert.objects.filter(rule_code=CHURN_CODE).values_list("customer_id", "first_month", "status"))
    month_run(month=OCT)
    after = sorted(Alert.objects.filter(rule_code=CHURN_CODE).values_list("customer_id", "first_month", "status"))
    assert after == before  # re-running the month opens nothing twice


def test_the_customer_page_and_workbench_show_risk_and_reasons(versions: list[str], cast: Cast) -> None:
    month_run(month=OCT)
    snapshot = (
        CustomerSnapshot.objects.filter(month=OCT, customer__account_manager=cast.am, churn_risk__isnull=False)
        .filter(customer__status="active")  # the workbench lists customers in service
        .exclude(churn_band="low")  # reasons are given for the medium and high bands
        .order_by("-churn_risk")
        .first()
    )
    assert snapshot is not None
    page = login(cast.am).get(f"/customers/{snapshot.customer_id}/").content.decode()
    assert 'data-testid="churn"' in page and snapshot.churn_reasons[0] in page
    workbench = login(cast.am).get("/workbench/").content.decode()
    assert 'data-testid="churn-risks"' in workbench and snapshot.customer.name in workbench


def test_the_model_card_and_activation(versions: list[str], cast: Cast) -> None:
    first, second = versions
    lake = Lake(settings.ZHENGQI_LAKE)
    registry.set_active(lake, first)
    page = login(cast.planner).get("/scoring/churn-model/")
    assert page.status_code == 200
    text = page.content.decode()
    assert first in text and 'data-testid="importances"' in text and "流失预警模型" in text
    assert login(cast.am).get("/scoring/churn-model/").status_code == 404
    refused = login(cast.planner).post("/scoring/churn-model/", {"version": second})
    assert refused.status_code == 403 and registry.active_version(lake) == first
    done = login(cast.admin).post("/scoring/churn-model/", {"version": second}, follow=True)
    assert registry.active_version(lake) == second and "已启用流失模型" in done.content.decode()
    unknown = login(cast.admin).post("/scoring/churn-model/", {"version": "../x"}, follow=True)
    assert "没有流失模型版本" in unknown.content.decode() and registry.active_version(lake) == second
    assert login(cast.admin).get("/scoring/churn-model/?version=nope").status_code == 404


def test_the_api_lists_activates_and_guards(versions: list[str], cast: Cast) -> None:
    first, second = versions
    lake = Lake(settings.ZHENGQI_LAKE)
    registry.set_active(lake, second)
    listed = login(cast.planner).get("/api/churn/models").json()
    assert {m["version"] for m in listed} >= set(versions)
    assert [m["version"] for m in listed if m["active"]] == [second]
    card = login(cast.planner).get(f"/api/churn/models/{first}").json()
    assert card["version"] == first and card["features"]
    assert login(cast.planner).get("/api/churn/models/nope").status_code == 404
    assert login(cast.planner).post(f"/api/churn/models/{first}/activate").status_code == 403
    assert login(cast.am).get("/api/churn/models").status_code == 404
    answer = login(cast.admin).post(f"/api/churn/models/{first}/activate")
    assert answer.status_code == 200 and answer.json()["active"] and registry.active_version(lake) == first
    month_run(month=OCT)
    mine = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert mine is not None
    risk = login(cast.am).get(f"/api/customers/{mine.pk}/churn").json()
    assert 0 <= risk["risk"] <= 1 and risk["band"] in ("high", "medium", "low")
    other = cast.customer_of_other_am()
    assert login(cast.am).get(f"/api/customers/{other.pk}/churn").status_code == 404


def test_the_high_band_is_what_account_managers_can_visit(versions: list[str], cast: Cast, settings: object) -> None:
    settings.ZHENGQI_VISITS_PER_MANAGER = 3  # type: ignore[attr-defined]  # pytest-django's settings fixture
    month_run(month=OCT)
    managers, capacity = visit_capacity()
    assert managers >= 2 and capacity == 3 * managers
    snapshots = CustomerSnapshot.objects.filter(month=OCT, customer__status="active")
    high = snapshots.filter(churn_band="high")
    assert 0 < high.count() <= capacity
    lowest_high = min(high.values_list("churn_risk", flat=True))
    assert not snapshots.exclude(churn_band="high").filter(churn_risk__gt=lowest_high).exists()
    # The page and the API say it, in the reader's scope: a planner sees the province, the figures add up.
    page = login(cast.planner).get("/scoring/churn-model/").content.decode()
    assert 'data-testid="capacity"' in page and "每月可走访 3 个客户" in page
    answer = login(cast.planner).get("/api/churn/capacity")
    assert answer.status_code == 200, answer.content.decode()
    view = answer.json()
    assert view["capacity"] == capacity and view["high"] == high.count() and view["month"] == "2026-10"
    assert 0 < view["reached"] <= view["expected"] and view["curve"][-1]["expected"] == pytest.approx(view["expected"])
    district = login(cast.district_manager).get("/api/churn/capacity").json()
    assert (
        district["customers"]
        == snapshots.filter(customer__region__path__startswith=cast.district_manager.region.path).count()
    )
    assert district["customers"] < view["customers"]
