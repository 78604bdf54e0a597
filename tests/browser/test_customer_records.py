"""An account manager keeps the customer's records in the browser (issue 22):
(a) the buying-role map shows 决策者 uncovered; its link adds a person for that role; the map turns green;
(b) an agreement about to expire raised 协议即将到期 and a task in the month run; the account manager
renews it with the signed PDF; the alert and the task close, and running the month again does not
bring them back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import ChangeRequest, Contract, Customer, KeyPerson, KeyPersonRole, Registration
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import Alert
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _own_customer() -> Customer:
    if not Customer.objects.exists():
        load_tiny()
    customer = Customer.objects.filter(account_manager__username="am", status="active").order_by("code").first()
    assert customer is not None
    return customer


def test_adding_a_decider_turns_the_role_map_green(live_server: object, page: Page) -> None:
    customer = _own_customer()
    KeyPersonRole.objects.filter(key_person__customer=customer, role="decider").delete()
    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    coverage = page.get_by_test_id("role-coverage")
    decider = coverage.locator('[data-role="decider"]')
    expect(decider).to_contain_text("未覆盖")
    decider.click()
    form = page.get_by_test_id("key-person-form")
    expect(form.get_by_label("决策者")).to_be_checked()  # the role the link came from
    form.get_by_label("姓名").fill("林国栋")
    form.get_by_label("职务").fill("信息中心主任")
    form.get_by_label("手机").fill("139-1000-2000")
    form.get_by_label("生日").fill("2999-01-01")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("生日不能晚于今天")  # nothing saved
    assert not KeyPerson.objects.filter(name="林国栋").exists()
    form.get_by_label("生日").fill("1975-06-01")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("message")).to_contain_text("已添加关键人“林国栋”")
    decider = page.get_by_test_id("role-coverage").locator('[data-role="decider"]')
    expect(decider).to_have_class("badge bg-success me-1")
    expect(decider).not_to_contain_text("未覆盖")
    row = page.get_by_test_id("key-person").filter(has_text="林国栋")
    expect(row.get_by_test_id("phone")).to_have_text("139****2000")  # masked until revealed
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "am-role-map-green.png"), full_page=True)
    person = KeyPerson.objects.get(name="林国栋")
    assert person.phone == "13910002000" and person.source == "user" and person.created_by is not None


def test_renewing_an_expiring_agreement_closes_its_alert_and_task(
    live_server: object, page: Page, tmp_path: Path
) -> None:
    customer = _own_customer()
    month = dt.date(2026, 10, 1)
    Contract.objects.filter(customer=customer).delete()
    old = Contract.objects.create(
        customer=customer,
        number="HT-2024-0099",
        start=dt.date(2024, 12, 16),
        end=dt.date(2026, 12, 15),  # 45 days after the month's end
        amount=240000,
    )
    month_run(month=month)
    alert = Alert.objects.get(customer=customer, rule_code="R01", status="open")
    task = Task.objects.get(customer=customer, rule_code="R01", status="open")
    signed = tmp_path / "续签协议.pdf"
    signed.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    expect(page.get_by_test_id("alerts")).to_contain_text("协议即将到期")
    row = page.get_by_test_id("contract").filter(has_text="HT-2024-0099")
    row.get_by_test_id("renew").click()
    form = page.get_by_test_id("contract-form")
    expect(form.get_by_label("协议编号")).to_have_value("HT-2024-0099-R")
    expect(form.get_by_label("生效日期")).to_have_value("2026-12-16")
    form.get_by_label("协议编号").fill("HT-2026-0120")
    form.get_by_label("到期日期").fill("2026-12-01")
    form.get_by_role("button", name="续签").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("不能早于生效日期")
    form = page.get_by_test_id("contract-form")
    form.get_by_label("到期日期").fill("2028-12-15")
    form.get_by_label("协议金额（元）").fill("264000")
    form.get_by_label("签署文本（PDF 或照片）").set_input_files(str(signed))
    form.get_by_role("button", name="续签").click()
    expect(page.get_by_test_id("message")).to_contain_text("到期预警与相应任务已关闭")
    contracts = page.get_by_test_id("contracts")
    old_row = contracts.get_by_test_id("contract").filter(has_text="HT-2024-0099", has_not_text="HT-2026-0120")
    expect(old_row.get_by_test_id("contract-status")).to_contain_text("已续签")
    renewed = contracts.get_by_test_id("contract").filter(has_text="HT-2026-0120")
    expect(renewed).to_contain_text("续签自 HT-2024-0099")
    with page.expect_download() as download:
        renewed.get_by_test_id("signed-file").click()
    assert Path(download.value.path()).read_bytes() == signed.read_bytes()
    page.screenshot(path=str(SCREENSHOTS / "am-contract-renewed.png"), full_page=True)
    expect(page.get_by_test_id("alerts").filter(has_text="协议即将到期")).to_have_count(0)  # no longer open

    alert.refresh_from_db()
    task.refresh_from_db()
    old.refresh_from_db()
    assert alert.status == "resolved" and task.status == "done" and old.status == "renewed"
    month_run(month=month)  # the month again, with the new agreement: nothing comes back
    assert not Alert.objects.filter(customer=customer, rule_code="R01", status="open").exists()
    assert not Task.objects.filter(customer=customer, rule_code="R01", status="open").exists()


def test_a_change_request_approved_shows_in_the_history(live_server: object, page: Page) -> None:
    customer = _own_customer()
    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_test_id("propose-change").click()
    form = page.get_by_test_id("change-form")
    form.get_by_label("客户名称").fill("星城智慧港务集团有限公司")
    form.get_by_label("统一社会信用代码").fill("91440300MA5FUG3Y0B")  # a wrong check character
    form.get_by_label("修改理由").fill("客户已更名，见新营业执照")
    form.get_by_role("button", name="提交审批").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("校验")
    assert not ChangeRequest.objects.exists()
    form = page.get_by_test_id("change-form")
    form.get_by_label("统一社会信用代码").fill(customer.credit_code or "")
    form.get_by_role("button", name="提交审批").click()
    expect(page.get_by_test_id("change-status")).to_have_text("待审批")
    page.get_by_role("button", name="退出").click()

    log_in(page, base, "district_mgr")
    page.goto(f"{base}/workbench/")
    page.get_by_test_id("approvals").get_by_role("link", name=customer.name).click()
    expect(page.get_by_test_id("change-summary")).to_contain_text("星城智慧港务集团有限公司")
    page.get_by_label("审批意见").fill("已核对营业执照")
    page.get_by_role("button", name="批准").click()
    expect(page.get_by_test_id("change-status")).to_have_text("已批准")
    page.goto(f"{base}/customers/{customer.pk}/")
    expect(page.locator("h1")).to_contain_text("星城智慧港务集团有限公司")
    history = page.get_by_test_id("history")
    line = history.get_by_role("row").filter(has_text="星城智慧港务集团有限公司")
    expect(line).to_contain_text("张静英 批准（蒋丽 申请）")
    page.screenshot(path=str(SCREENSHOTS / "manager-change-approved.png"), full_page=True)


def test_a_registered_group_is_flagged_when_its_members_never_arrive(
    live_server: object, page: Page, tmp_path: Path
) -> None:
    _own_customer()
    licence = tmp_path / "营业执照.png"
    licence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/customers/registrations/")
    page.get_by_test_id("register").click()
    form = page.get_by_test_id("registration-form")
    form.get_by_label("单位名称").fill("星城新港物流集团有限公司")
    form.get_by_label("统一社会信用代码").fill("91440300MA5FUG3Y0U")
    form.get_by_label("预计入网成员数").fill("3")
    form.get_by_role("button", name="提交认定申请").click()
    expect(page.get_by_test_id("field-error")).to_contain_text("营业执照")  # the evidence is required
    form = page.get_by_test_id("registration-form")
    form.get_by_label("营业执照或单位证明（PDF 或照片）").set_input_files(str(licence))
    form.get_by_role("button", name="提交认定申请").click()
    expect(page.get_by_test_id("registration-status")).to_have_text("待审批")
    page.get_by_role("button", name="退出").click()

    log_in(page, base, "district_mgr")
    page.goto(f"{base}/workbench/")
    page.get_by_test_id("approvals").get_by_role("link", name="星城新港物流集团有限公司").click()
    page.get_by_role("button", name="批准认定").click()
    expect(page.get_by_test_id("message")).to_contain_text("少于集团客户的最低要求")  # 3 < 5: not approved
    registration = Registration.objects.get(name="星城新港物流集团有限公司")
    Registration.objects.filter(pk=registration.pk).update(members_expected=40)  # the applicant corrected it
    page.reload()
    page.get_by_role("button", name="批准认定").click()
    expect(page.get_by_test_id("registration-status")).to_have_text("已认定")
    registration.refresh_from_db()
    assert registration.customer is not None and registration.customer.account_manager is not None
    assert registration.customer.account_manager.username == "am"

    # Three months on (the registration approved in July), the month run checks the members.
    Registration.objects.filter(pk=registration.pk).update(proof_month=dt.date(2026, 10, 1))
    month_run(month=dt.date(2026, 10, 1))
    page.goto(f"{base}/customers/registrations/{registration.pk}/")
    expect(page.get_by_test_id("proof")).to_contain_text("未落实")
    page.get_by_role("button", name="退出").click()
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{registration.customer.pk}/")
    expect(page.get_by_test_id("alerts")).to_contain_text("集团认定未落实")
    expect(page.get_by_test_id("alerts")).to_contain_text("在网成员")
    assert Task.objects.filter(customer=registration.customer, rule_code="GROUP_PROOF", status="open").exists()
    page.screenshot(path=str(SCREENSHOTS / "am-group-not-real.png"), full_page=True)
