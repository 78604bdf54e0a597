"""The month run end to end on the tiny province: write-back, idempotent re-runs, a run stopped
half-way, and rules that are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import Cast
from zhengqi.customers.models import Customer, CustomerMonth
from zhengqi.engine.lake import Lake
from zhengqi.engine.pipeline import current_run, read_result, run_month
from zhengqi.engine.value.model import DEFAULT_MODEL, ValueModel
from zhengqi.scoring.configuration import enabled_rules, rule_save
from zhengqi.scoring.models import Alert, CustomerSnapshot, MonthRun, Rule, RuleVersion
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


def alert_rows() -> list[tuple[int, str, dt.date, dt.date, str]]:
    return sorted(Alert.objects.values_list("customer_id", "rule_code", "first_month", "last_month", "status"))


def test_month_run_writes_back_and_rerun_changes_nothing() -> None:
    month_run(month=SEP)
    first = month_run(month=OCT)
    assert first.status == MonthRun.Status.SUCCEEDED
    assert [s["name"] for s in first.steps] == ["features", "value", "hits"]
    alerts, snapshots = alert_rows(), CustomerSnapshot.objects.filter(month=OCT).count()
    assert alerts and snapshots == Customer.objects.count()
    month_run(month=OCT)
    month_run(month=OCT)
    assert alert_rows() == alerts
    assert CustomerSnapshot.objects.filter(month=OCT).count() == snapshots
    # one open alert per customer and rule, never two
    open_pairs = list(Alert.objects.filter(status="open").values_list("customer_id", "rule_code"))
    assert len(open_pairs) == len(set(open_pairs))


def test_alerts_continue_or_resolve_from_month_to_month() -> None:
    month_run(month=SEP)
    sep = {(a.customer_id, a.rule_code) for a in Alert.objects.filter(last_month=SEP)}
    month_run(month=OCT)
    for alert in Alert.objects.all():
        key = (alert.customer_id, alert.rule_code)
        if alert.first_month == SEP and alert.last_month == OCT:
            assert key in sep and alert.status == "open"  # still firing: the same alert, moved on
        if alert.status == "resolved":
            assert alert.resolved_month == OCT and alert.last_month == SEP
    continued = set(Alert.objects.filter(first_month=SEP, last_month=OCT).values_list("customer_id", "rule_code"))
    reopened = set(Alert.objects.filter(first_month=OCT).values_list("customer_id", "rule_code"))
    assert continued and not continued & reopened  # a rule still firing never opens a second alert


def test_engine_member_counts_agree_with_the_facts() -> None:
    month_run(month=OCT)
    facts = dict(CustomerMonth.objects.filter(month=OCT).values_list("customer_id", "members_active"))
    for snap in CustomerSnapshot.objects.filter(month=OCT, customer_id__in=facts):
        assert snap.features["members_active"] == facts[snap.customer_id]


def test_customer_tier_follows_the_latest_run() -> None:
    month_run(month=OCT)
    for snap in CustomerSnapshot.objects.filter(month=OCT).select_related("customer"):
        assert snap.customer.tier == snap.tier
        assert snap.customer.value_score == snap.value_score


def test_a_run_stopped_half_way_leaves_the_previous_results() -> None:
    month_run(month=OCT)
    lake = Lake(settings.ZHENGQI_LAKE)
    before_run, before = current_run(lake, OCT), read_result(lake, OCT, "value")
    alerts = alert_rows()

    def interrupt(step: str) -> None:
        if step == "value":
            raise KeyboardInterrupt  # the user presses Ctrl-C after scoring, before the rules

    with pytest.raises(KeyboardInterrupt):
        month_run(month=OCT, progress=interrupt)
    assert MonthRun.objects.latest("started_at").status == MonthRun.Status.FAILED
    assert current_run(lake, OCT) == before_run and read_result(lake, OCT, "value") == before
    assert alert_rows() == alerts
    assert [p.name for p in (before_run.parent).glob("run=*")] == [before_run.name]
    # and re-running completes with the same results
    month_run(month=OCT)
    assert read_result(lake, OCT, "value") == before and alert_rows() == alerts


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("revnue > 1", "未知的特征"),
        ("revenue > 'x'", "类型不匹配"),
        ("DROP TABLE customers_customer", "DROP"),
        ("revenue > (select 1)", "子查询"),
        ("lower(tier) = 'a'", "不允许使用函数"),
    ],
)
def test_invalid_rule_is_refused_and_nothing_saved(cast: Cast, expression: str, message: str) -> None:
    enabled_rules()
    rules, versions = list(Rule.objects.values_list("code", "expression", "version")), RuleVersion.objects.count()
    with pytest.raises(ValidationError) as err:
        rule_save(
            by=cast.planner, code="R04", name="消费连续下滑", family="retain", severity="high", expression=expression
        )
    assert message in str(err.value.message_dict["expression"])
    assert list(Rule.objects.values_list("code", "expression", "version")) == rules
    assert RuleVersion.objects.count() == versions


def test_rule_edit_keeps_its_history_and_the_next_run_uses_it(cast: Cast) -> None:
    enabled_rules()
    rule = rule_save(
        by=cast.planner,
        code="R04",
        name="消费连续下滑",
        family="retain",
        severity="high",
        expression="status = 'active' and decline_streak >= 1",
        note="放宽阈值",
    )
    assert rule.version == 2 and list(rule.versions.values_list("version", flat=True)) == [2, 1]
    month_run(month=OCT)
    snaps = CustomerSnapshot.objects.filter(month=OCT)
    expected = {s.customer_id for s in snaps if s.features["status"] == "active" and s.features["decline_streak"] >= 1}
    fired = set(Alert.objects.filter(rule_code="R04", last_month=OCT).values_list("customer_id", flat=True))
    assert fired == expected


def test_account_manager_cannot_change_rules_or_run(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        rule_save(by=cast.am, code="X1", name="x", family="retain", severity="low", expression="revenue > 1")
    with pytest.raises(PermissionDenied):
        month_run(month=OCT, by=cast.am)


def test_value_model_validation_names_the_problem() -> None:
    assert DEFAULT_MODEL.validate() == []
    data = DEFAULT_MODEL.to_dict()
    data["factors"][0]["weight"] = 0.5
    data["factors"][1]["feature"] = "no_such_feature"
    data["thresholds"]["A"] = 90
    problems = ValueModel.from_dict(data).validate()
    assert any("权重之和应为 1" in p for p in problems)
    assert any("no_such_feature" in p for p in problems)
    assert any("A+ > A > B" in p for p in problems)


def test_pipeline_is_deterministic() -> None:
    month_run(month=SEP)
    lake = Lake(settings.ZHENGQI_LAKE)
    a = run_month(lake, OCT, model=DEFAULT_MODEL, rules=enabled_rules())
    b = run_month(lake, OCT, model=DEFAULT_MODEL, rules=enabled_rules())
    assert a.features == b.features and a.value == b.value and a.hits == b.hits


def test_running_an_earlier_month_runs_the_later_ones_again() -> None:
    month_run(month=SEP)
    month_run(month=OCT)
    alerts = alert_rows()
    record = month_run(month=SEP)
    assert record.counts["rerun_later_months"] == ["2026-10"]
    assert alert_rows() == alerts
