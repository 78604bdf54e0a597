"""客户经理培养: the city manager records a course result (a score in words refused first) and a
qualification certificate for an account manager, runs the year's rating, approves the grade change
waiting for them, and moves a customer whose tier exceeds its manager's grade to the proposed
qualified manager in one click; the account manager reads their own record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.insight.models import Course, GradeChange, Rating
from zhengqi.scoring.models import MonthRun
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_is_trained_rated_promoted_and_customers_follow_the_qualification_rule(
    live_server: object, page: Page
) -> None:
    if not Customer.objects.exists():
        load_tiny()
    year = timezone.localdate().year
    if not MonthRun.objects.filter(status="succeeded", month__year=year).exists():
        month_run(month=dt.date(2026, 10, 1))
    am = User.objects.get(username="am")
    User.objects.filter(pk=am.pk).update(grade=2)
    Course.objects.get_or_create(name="顾问式销售与关键人经营", defaults={"kind": "sales", "hours": Decimal(12)})
    # last week's rating proposed the account manager's promotion; it waits for the city manager
    GradeChange.objects.filter(user=am).delete()
    GradeChange.objects.create(user=am, from_grade=2, to_grade=3, proposed_at=timezone.now() - dt.timedelta(days=7))
    # a customer of another account manager of the city, moved up to A while its manager is junior
    customer = (
        Customer.objects.filter(
            status="active",
            account_manager__role=User.Role.ACCOUNT_MANAGER,
            region__path__startswith=am.region.city_path,
        )  # type: ignore[union-attr]  # the demo's account manager has a region
        .exclude(account_manager=am)
        .order_by("code")
        .first()
    )
    assert customer is not None and customer.account_manager is not None
    User.objects.filter(pk=customer.account_manager_id).update(grade=1)
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The city manager records a course result and a certificate on the account manager's record.
    log_in(page, base, "city_mgr")
    go_to(page, "洞察", "客户经理培养")
    page.get_by_test_id("talent").get_by_role("link", name=str(am)).click()
    form = page.get_by_test_id("course-form")
    form.get_by_label("课程").select_option(label="顾问式销售与关键人经营（12.0 学时）")
    form.get_by_label("结业日期").fill(f"{year}-03-15")
    form.get_by_label("成绩").fill("优秀")
    form.get_by_role("button", name="登记成绩").click()
    expect(page.get_by_role("alert")).to_contain_text("成绩应为 0 至 100 的整数")
    form = page.get_by_test_id("course-form")
    form.get_by_label("课程").select_option(label="顾问式销售与关键人经营（12.0 学时）")
    form.get_by_label("结业日期").fill(f"{year}-03-15")
    form.get_by_label("成绩").fill("88")
    form.get_by_role("button", name="登记成绩").click()
    expect(page.get_by_test_id("courses")).to_contain_text("通过")
    cert = page.get_by_test_id("cert-form")
    cert.get_by_label("证书名称").fill("高级客户经理任职资格认证")
    cert.get_by_label("对应等级").select_option("3")
    cert.get_by_label("取得日期").fill(f"{year}-05-01")
    cert.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("certifications")).to_contain_text("高级客户经理任职资格认证")

    # 2. The year's rating, then the waiting promotion approved on the list.
    go_to(page, "洞察", "客户经理培养")
    page.get_by_role("button", name=f"发起 {year} 年度评级").click()
    expect(page.get_by_role("alert")).to_contain_text(f"已完成 {year} 年度评级")
    assert Rating.objects.filter(user=am, year=year).exists()
    expect(page.locator('[data-chart="talent-chart"] canvas')).to_have_count(1)
    decide = page.get_by_test_id("decide-am")
    decide.get_by_role("button", name="批准").click()
    expect(page.get_by_role("alert")).to_contain_text("已批准")
    am.refresh_from_db()
    assert am.grade == GradeChange.objects.filter(user=am, status="approved").latest("decided_at").to_grade

    # 3. The junior manager's A customer goes to the proposed qualified manager in one click.
    rows = page.get_by_test_id("violations").get_by_role("row").filter(has_text=customer.name)
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name="按建议调整").click()
    expect(page.get_by_role("alert")).to_contain_text(f"已将 {customer.name} 转给")
    customer.refresh_from_db()
    assert (customer.account_manager.grade or 0) >= 3  # type: ignore[union-attr]  # just reassigned
    expect(page.get_by_test_id("violations")).not_to_contain_text(customer.name)
    page.screenshot(path=str(SCREENSHOTS / "talent.png"), full_page=True)
    log_out(page)

    # 4. The account manager reads their own record: the promotion in the history.
    log_in(page, base, "am")
    go_to(page, "洞察", "客户经理培养")
    page.get_by_test_id("talent").get_by_role("link", name=str(am)).click()
    expect(page.get_by_test_id("grade-changes")).to_contain_text("已批准")
    expect(page.get_by_test_id("course-form")).to_have_count(0)
