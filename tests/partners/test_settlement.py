"""Settlement through the database: statements computed from the facts to the fen, approved
statements frozen, later corrections carried into the next month as adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import Cast
from tests.partners.factories import claim, make_partner, make_rule, subscription
from zhengqi.customers.models import Customer, Subscription
from zhengqi.partners.models import CommissionRule, Statement, StatementLine
from zhengqi.partners.partners import attribute
from zhengqi.partners.settlement import StatementChanged, approve, settle
from zhengqi.support.models import Department, ServiceRequest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_channel")]
SEP, OCT, NOV = dt.date(2025, 9, 1), dt.date(2025, 10, 1), dt.date(2025, 11, 1)


def customers(n: int) -> list[Customer]:
    return list(Customer.objects.order_by("pk")[:n])


def lines_of(statement: Statement) -> list[tuple[str, str, D]]:
    return [(line.kind, line.rule_code, line.amount) for line in statement.lines.order_by("pk")]


def test_a_month_is_settled_from_the_facts_to_the_fen(cast: Cast) -> None:
    admin = cast.admin
    p = make_partner(admin, "AG01")
    make_rule(admin, "SALE", value="8.35%", clawback_months=3)  # 8.35 % of the fee, clawed back within 3 months
    make_rule(admin, "NEW", method="fixed", value="100", pay_months=1, tiers=[{"start": 3, "value": "150"}])
    a, b, c = customers(3)
    claim(admin, p, subscription(a, "1234.57", dt.date(2025, 9, 3)))
    claim(admin, p, subscription(b, "99.99", dt.date(2025, 9, 20), end=dt.date(2025, 10, 9)))
    claim(admin, p, subscription(c, "500.00", dt.date(2025, 9, 28)))
    result = settle(SEP, partners=[p])
    statement = Statement.objects.get(partner=p, month=SEP)
    # SALE: 103.09 + 8.35 + 41.75 (500 × 8.35 % = 41.75); NEW: three new deals reach the 150 tier: 450.00
    assert sorted(lines_of(statement)) == sorted(
        [
            ("commission", "SALE", D("103.09")),
            ("commission", "SALE", D("8.35")),
            ("commission", "SALE", D("41.75")),
            ("commission", "NEW", D("150.00")),
            ("commission", "NEW", D("150.00")),
            ("commission", "NEW", D("150.00")),
        ]
    )
    assert statement.total == D("603.19") == result.total
    settle(OCT, partners=[p])
    october = Statement.objects.get(partner=p, month=OCT)
    # b left on 9 Oct, within 3 months: its 8.35 comes back; a and c pay SALE again; no new deals
    assert sorted(lines_of(october)) == sorted(
        [("commission", "SALE", D("103.09")), ("commission", "SALE", D("41.75")), ("clawback", "SALE", D("-8.35"))]
    )
    assert october.total == D("136.49")
    every_line = StatementLine.objects.filter(statement__partner=p)
    assert all(line.attribution_id and line.rule_id and line.deal for line in every_line)  # traceable


def test_settling_again_rewrites_a_draft_and_the_current_month_cannot_be_settled(cast: Cast) -> None:
    p = make_partner(cast.admin, "AG02")
    make_rule(cast.admin, "R", value="0.10")
    claim(cast.admin, p, subscription(customers(1)[0], "100.00", SEP))
    settle(SEP, partners=[p])
    settle(SEP, partners=[p])
    statement = Statement.objects.get(partner=p, month=SEP)
    assert statement.lines.count() == 1 and statement.total == D("10.00")
    with pytest.raises(ValidationError, match="尚未结束"):
        settle(dt.date.today())


def test_an_approved_statement_is_frozen_and_corrections_come_next_month(cast: Cast) -> None:
    admin = cast.admin
    p = make_partner(admin, "AG03")
    make_rule(admin, "R", value="0.10")
    a, b = customers(2)
    sub_a = subscription(a, "1000.00", SEP)
    claim(admin, p, sub_a)
    claim(admin, p, subscription(b, "300.00", SEP))
    settle(SEP, partners=[p])
    september = Statement.objects.get(partner=p, month=SEP)
    assert september.total == D("130.00")
    approve(by=admin, pk=september.pk, expected_total="130.00")
    frozen = lines_of(september)

    # Later: the rule is corrected back to September (12 %), a's fee was wrong (1,100.00), and the
    # month is settled again.
    make_rule(admin, "R", value="0.12", effective_from=SEP, note="更正费率")
    Subscription.objects.filter(pk=sub_a.pk).update(monthly_fee=D("1100.00"))
    result = settle(SEP, partners=[p])
    september.refresh_from_db()
    assert result.frozen == 1 and september.total == D("130.00") and lines_of(september) == frozen

    settle(OCT, partners=[p])
    october = Statement.objects.get(partner=p, month=OCT)
    adjustments = october.lines.filter(kind="adjustment").order_by("amount")
    # September recomputed: a 1,100 × 12 % = 132.00 (was 100.00: +32.00); b 300 × 12 % = 36.00 (was 30.00: +6.00)
    assert [(x.for_month, x.amount) for x in adjustments] == [(SEP, D("6.00")), (SEP, D("32.00"))]
    # October itself: 132.00 + 36.00; total with the adjustments 206.00
    assert october.total == D("206.00")

    # Approving October settles the difference: a third month adjusts nothing more.
    approve(by=admin, pk=october.pk, expected_total="206.00")
    settle(NOV, partners=[p])
    november = Statement.objects.get(partner=p, month=NOV)
    assert not november.lines.filter(kind="adjustment").exists()
    assert november.total == D("168.00")


def test_approval_recomputes_and_refuses_when_the_total_moved(cast: Cast) -> None:
    admin = cast.admin
    p = make_partner(admin, "AG04")
    make_rule(admin, "R", value="0.10")
    sub = subscription(customers(1)[0], "200.00", SEP)
    claim(admin, p, sub)
    settle(SEP, partners=[p])
    statement = Statement.objects.get(partner=p, month=SEP)
    Subscription.objects.filter(pk=sub.pk).update(monthly_fee=D("250.00"))
    with pytest.raises(StatementChanged, match=r"20\.00 变为 25\.00"):
        approve(by=admin, pk=statement.pk, expected_total="20.00")
    statement.refresh_from_db()
    assert statement.status == "draft" and statement.total == D("25.00")  # the recomputed draft is kept
    approve(by=admin, pk=statement.pk, expected_total="25.00")
    with pytest.raises(ValidationError, match="已审批"):
        approve(by=admin, pk=statement.pk, expected_total="25.00")


def test_statements_are_approved_in_month_order_and_only_by_a_manager_over_the_partner(cast: Cast) -> None:
    admin = cast.admin
    p = make_partner(admin, "AG05")  # a province-wide partner: the city manager sees it, the admin approves
    make_rule(admin, "R", value="0.10")
    claim(admin, p, subscription(customers(1)[0], "200.00", SEP))
    settle(SEP, partners=[p])
    settle(OCT, partners=[p])
    october = Statement.objects.get(partner=p, month=OCT)
    with pytest.raises(ValidationError, match="按月份顺序"):
        approve(by=admin, pk=october.pk, expected_total="20.00")
    with pytest.raises(PermissionDenied):
        approve(by=cast.city_manager, pk=october.pk, expected_total="20.00")
    with pytest.raises(PermissionDenied):
        settle(NOV, by=cast.city_manager)


def test_rules_are_versions_and_bad_input_is_refused_in_chinese(cast: Cast) -> None:
    first = make_rule(cast.admin, "V", value="5%")
    second = make_rule(cast.admin, "v", value="6%", effective_from=OCT)
    assert (first.version, first.value, second.version, second.value) == (1, D("0.0500"), 2, D("0.0600"))
    assert CommissionRule.objects.filter(code="V").count() == 2
    with pytest.raises(ValidationError) as refused:
        make_rule(cast.admin, "", value="-1", tiers=[{"start": 0, "value": "x"}])
    text = str(refused.value)
    assert "规则编码" in text and "不是有效的比例或金额" in text and "起点" in text
    with pytest.raises(PermissionDenied):
        make_rule(cast.planner, "P", value="1%")


def test_the_settle_command_settles_a_month_and_refuses_a_bad_one(cast: Cast) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    p = make_partner(cast.admin, "CMD1")
    make_rule(cast.admin, "R", value="0.10")
    claim(cast.admin, p, subscription(customers(1)[0], "80.00", SEP))
    out = StringIO()
    call_command("settle", "2025-09", stdout=out)
    assert "2025-09 结算完成" in out.getvalue()
    assert Statement.objects.get(partner=p, month=SEP).total == D("8.00")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("settle", "九月")


def test_a_resolved_service_ticket_pays_a_service_partner_once_by_the_piece(cast: Cast) -> None:
    admin = cast.admin
    p = make_partner(admin, "SV01", is_marketing=False, is_service=True)
    make_rule(admin, "TICKET", role="service", deal_type="ticket", method="fixed", value="80", pay_months=1)
    customer = customers(1)[0]
    desk = Department.objects.create(code="T-SV", name="测试网络部", kind="network")
    at = dt.datetime(2025, 9, 12, 10, tzinfo=dt.UTC)
    ticket = ServiceRequest.objects.create(
        customer=customer, request_type="fault", title="断网", department=desk, due_at=at, created_at=at
    )
    with pytest.raises(ValidationError, match="尚未办结"):
        attribute(by=admin, partner_id=p.pk, role="service", service_request_id=ticket.pk)
    ServiceRequest.objects.filter(pk=ticket.pk).update(status="closed", resolved_at=at, resolution="已修复")
    with pytest.raises(ValidationError, match="服务酬金"):
        attribute(by=admin, partner_id=p.pk, role="sales", service_request_id=ticket.pk)
    claimed = attribute(by=admin, partner_id=p.pk, role="service", service_request_id=ticket.pk)
    assert claimed.deal_type == "ticket" and ticket.number in claimed.deal_label
    settle(SEP, partners=[p])
    assert lines_of(Statement.objects.get(partner=p, month=SEP)) == [("commission", "TICKET", D("80.00"))]
    settle(OCT, partners=[p])
    assert not StatementLine.objects.filter(statement__partner=p, statement__month=OCT).exists()  # paid once
    with pytest.raises(ValidationError, match="固定金额"):
        make_rule(admin, "TICKET-RATE", role="service", deal_type="ticket", value="5%")


def test_drafts_and_disputes_tell_the_managers_who_decide_once(cast: Cast) -> None:
    from zhengqi.notifications.models import Kind, Notification
    from zhengqi.notifications.services import deciders_over

    admin = cast.admin
    city = cast.city_manager.region
    p, rival = make_partner(admin, "AG01", region=city), make_partner(admin, "AG02", region=city)
    make_rule(admin, "SALE", value="5%")
    a, b = customers(2)
    claim(admin, p, subscription(a, "1000.00", dt.date(2025, 9, 3)))  # p's own: a draft to approve
    disputed = subscription(b, "800.00", dt.date(2025, 9, 4))
    claim(admin, p, disputed)
    claim(admin, rival, disputed)  # a dispute: the managers over the customer decide
    disputes = Notification.objects.filter(kind=Kind.APPROVAL_WAITING, title__startswith="归属争议")
    assert set(disputes.values_list("user_id", flat=True)) == set(deciders_over(b.region)) - {admin.pk}
    settle(SEP, partners=[p, rival])
    settle(SEP, partners=[p, rival])  # again: nobody is told twice
    waiting = Notification.objects.filter(key="statements-waiting:2025-09")
    assert waiting.filter(user=cast.city_manager).count() == 1
    assert "1 张代理商结算单待审批" in waiting.get(user=cast.city_manager).title
