"""The provincial admin reads the churn model card (charts drawn, numbers beside them), activates
another version, and an account manager sees a customer's risk and reasons on its page."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.engine.churn import registry
from zhengqi.engine.churn.bundle import History, backtest, fit
from zhengqi.engine.lake import Lake
from zhengqi.scoring.export import export_dimensions
from zhengqi.scoring.models import CustomerSnapshot
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_reads_the_card_and_activates_a_version(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    history = History(lake)
    models = fit(history, history.last)
    models.meta["backtest"] = backtest(history, periods=1).summary()
    first = registry.save(lake, models)
    second = registry.save(lake, fit(history, history.last))
    try:
        month_run(month=dt.date(2026, 10, 1))
        base = live_server.url
        log_in(page, base, "admin")
        page.goto(f"{base}/scoring/churn-model/")
        expect(page.get_by_test_id("card-version")).to_have_text(first)
        expect(page.get_by_test_id("customer-metrics")).to_contain_text("ROC AUC")
        expect(page.locator("#calibration-chart canvas")).to_have_count(1)
        expect(page.locator("#importance-chart canvas")).to_have_count(1)
        selection = page.get_by_test_id("selection")  # the inner selection, in words, the chosen one marked
        expect(selection).to_contain_text("选用")
        expect(selection.locator("tr.table-success")).to_have_count(1)
        expect(selection).not_to_contain_text("coarse+ratios")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "churn-model-card.png"), full_page=True)
        page.get_by_test_id("versions").get_by_role("button", name="启用").click()
        expect(page.get_by_test_id("message")).to_contain_text(f"已启用流失模型 {second}")
        assert registry.active_version(lake) == second

        snapshot = (
            CustomerSnapshot.objects.filter(month=dt.date(2026, 10, 1), customer__account_manager__username="am")
            .filter(churn_risk__isnull=False)  # customers in service (prospects have no risk)
            .exclude(churn_band="low")  # reasons are given for the medium and high bands
            .order_by("-churn_risk")
            .first()
        )
        assert snapshot is not None and snapshot.churn_reasons
        page.context.clear_cookies()
        log_in(page, base, "am")
        page.goto(f"{base}/customers/{snapshot.customer_id}/")
        expect(page.get_by_test_id("churn-reasons")).to_contain_text(snapshot.churn_reasons[0])
        page.screenshot(path=str(SCREENSHOTS / "customer-churn-risk.png"))
    finally:
        shutil.rmtree(lake.root / "models", ignore_errors=True)
