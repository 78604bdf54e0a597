"""快速反应: a district manager records a critical competitor move; a quick-reaction team is formed
at once (the customers' account manager, the district manager, a solution engineer); the engineer
finds it in the notifications, marks the first step done — the team's first response — and the
competition page counts the team as answered in time."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.competition.models import ReactionTeam
from zhengqi.customers.models import Customer
from zhengqi.support.models import Department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_critical_move_gets_a_team_that_answers_in_time(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not Department.objects.exists():
        load_tiny()
    manager = User.objects.get(username="district_mgr")
    assert manager.region is not None
    two = list(
        Customer.objects.filter(
            region__path__startswith=manager.region.path, status="active", account_manager__username="am"
        ).order_by("-code")[:2]
    )
    assert len(two) == 2
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The district manager records the move as 重大: the team is formed with the record.
    log_in(page, base, "district_mgr")
    go_to(page, "服务", "竞争动向")
    page.get_by_role("link", name="登记竞争动向").click()
    form = page.get_by_test_id("event-form")
    form.get_by_label("竞争对手").select_option("telecom")
    form.get_by_label("动向").select_option("price")
    form.get_by_label("严重程度").select_option("critical")
    form.get_by_label("发生日期").fill("2026-11-20")
    form.get_by_label("内容").fill("对手专线报价低三成并承诺七天开通")
    form.get_by_label("涉及的客户编码（逗号或换行分隔）").fill("\n".join(c.code for c in two))
    form.get_by_role("button", name="登记并预警").click()
    expect(page.get_by_role("alert")).to_contain_text("已组建快速反应小组")
    team_card = page.get_by_test_id("reaction-team")
    expect(team_card).to_contain_text("待首次响应")
    team = ReactionTeam.objects.select_related("engineer", "account_manager").get(
        event__summary="对手专线报价低三成并承诺七天开通"
    )
    assert team.account_manager.username == "am" and team.manager == manager and team.engineer is not None
    expect(team_card).to_contain_text(str(team.engineer))
    expect(page.get_by_test_id("reaction-steps").get_by_role("listitem")).to_have_count(team.steps.count())
    page.screenshot(path=str(SCREENSHOTS / "quick-reaction-formed.png"), full_page=True)
    log_out(page)

    # 2. The solution engineer opens the notification and marks the first step done.
    log_in(page, base, team.engineer.username)
    page.goto(f"{base}/notifications/")
    page.get_by_test_id("notifications").get_by_text("快速反应小组：中国电信 对手专线报价低三成").click()
    expect(page.get_by_test_id("team-customers")).to_contain_text(two[0].name)
    first = team.steps.order_by("position").first()
    assert first is not None
    page.get_by_label(f"“{first.title}”的说明").fill("已电话联系客户信息中心主任")
    page.get_by_role("button", name=f"完成：{first.title}").click()
    expect(page.get_by_role("alert")).to_contain_text(first.title)
    expect(page.get_by_test_id("response-time")).to_contain_text("按时")
    expect(page.get_by_test_id("reaction-team")).to_contain_text("已响应，处置中")
    log_out(page)

    # 3. The competition page counts it as answered in time.
    log_in(page, base, "district_mgr")
    go_to(page, "服务", "竞争动向")
    times = page.get_by_test_id("response-times")
    expect(times.locator('[data-chart="chart-response"] canvas')).to_have_count(1)
    expect(times).not_to_contain_text("对手专线报价低三成")  # answered: not among those waiting
    page.screenshot(path=str(SCREENSHOTS / "quick-reaction-times.png"), full_page=True)
