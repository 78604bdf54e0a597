"""The rule editor and the month-run page, as their users meet them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.scoring.models import CustomerSnapshot, MonthRun, Rule, RuleVersion
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_rules_page_is_for_planners_admins_and_managers(cast: Cast) -> None:
    assert client_for(cast.planner).get("/scoring/rules/").status_code == 200
    assert client_for(cast.district_manager).get("/scoring/rules/").status_code == 200
    assert client_for(cast.am).get("/scoring/rules/").status_code == 404
    assert client_for(cast.partner).get("/scoring/rules/R01/").status_code == 404


def test_preview_explains_an_invalid_rule(cast: Cast) -> None:
    page = client_for(cast.planner).post("/scoring/rules/preview/", {"expression": "revnue > 1"}).content.decode()
    assert "未知的特征“revnue”" in page and "revenue" in page


def test_preview_counts_only_what_the_user_may_see(cast: Cast) -> None:
    month_run(month=OCT)
    expression = "status = 'active'"
    active = CustomerSnapshot.objects.filter(month=OCT, features__status="active")
    as_admin = client_for(cast.admin).post("/scoring/rules/preview/", {"expression": expression}).content.decode()
    assert f"命中您可见的 {active.count()} 个客户" in as_admin
    mine = active.filter(customer__region__path__startswith=cast.district_manager.region.path).count()
    as_manager = client_for(cast.district_manager).post("/scoring/rules/preview/", {"expression": expression})
    assert f"命中您可见的 {mine} 个客户" in as_manager.content.decode()


def test_saving_an_invalid_rule_shows_the_error_and_saves_nothing(cast: Cast) -> None:
    client = client_for(cast.planner)
    client.get("/scoring/rules/")  # the built-in rules exist from the first visit
    versions = RuleVersion.objects.count()
    response = client.post(
        "/scoring/rules/R04/",
        {
            "code": "R04",
            "name": "消费连续下滑",
            "family": "retain",
            "severity": "high",
            "expression": "decline_streak >= 3; DROP TABLE insight_rule",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "不能包含多条语句" in response.content.decode()
    assert RuleVersion.objects.count() == versions and Rule.objects.get(code="R04").version == 1


def test_saving_a_valid_rule_adds_a_version(cast: Cast) -> None:
    client = client_for(cast.planner)
    client.get("/scoring/rules/")
    response = client.post(
        "/scoring/rules/R04/",
        {
            "code": "R04",
            "name": "消费连续下滑",
            "family": "retain",
            "severity": "high",
            "expression": "status = 'active' and decline_streak >= 4",
            "enabled": "on",
            "note": "收紧",
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get(code="R04")
    assert rule.version == 2 and rule.expression.endswith(">= 4")
    assert rule.versions.first().changed_by == cast.planner


def test_district_manager_reads_rules_but_cannot_save(cast: Cast) -> None:
    client = client_for(cast.district_manager)
    client.get("/scoring/rules/")
    response = client.post(
        "/scoring/rules/R04/",
        {
            "code": "R04",
            "name": "x",
            "family": "retain",
            "severity": "high",
            "expression": "decline_streak >= 1",
        },
    )
    assert response.status_code == 403
    assert Rule.objects.get(code="R04").version == 1


def test_admin_runs_a_month_from_the_page(cast: Cast) -> None:
    client = client_for(cast.admin)
    assert client.post("/scoring/runs/", {"month": "2026-13"}).status_code == 200  # refused, with a message
    response = client.post("/scoring/runs/", {"month": "2026-10"})
    assert response.status_code == 302
    assert MonthRun.objects.filter(month=OCT, status="succeeded").exists()
    page = client.get("/scoring/runs/").content.decode()
    assert "计算特征" in page and "2026-10" in page and "dim_customers" not in page  # sentences, not internals
    assert client_for(cast.planner).post("/scoring/runs/", {"month": "2026-10"}).status_code == 403


def test_api_rules_preview_save_and_alerts(cast: Cast) -> None:
    import json

    client = client_for(cast.planner)
    assert any(r["code"] == "R01" for r in client.get("/api/rules").json())
    bad = client.post(
        "/api/rules/preview", json.dumps({"expression": "revenue > (select 1)"}), content_type="application/json"
    )
    assert bad.json()["valid"] is False and "子查询" in bad.json()["error"]
    refused = client.put(
        "/api/rules/X02",
        json.dumps({"name": "x", "family": "retain", "severity": "low", "expression": "DROP TABLE x"}),
        content_type="application/json",
    )
    assert refused.status_code == 422 and "DROP" in refused.json()["detail"]
    assert not Rule.objects.filter(code="X02").exists()
    ok = client.put(
        "/api/rules/X02",
        json.dumps({"name": "x", "family": "retain", "severity": "low", "expression": "decline_streak >= 2"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == 1
    assert client_for(cast.am).get("/api/rules").status_code == 404
    month_run(month=OCT)
    theirs = cast.customer_of_other_am()
    assert client_for(cast.am).get(f"/api/customers/{theirs.pk}/alerts").status_code == 404
    assert client_for(cast.other_am).get(f"/api/customers/{theirs.pk}/snapshots").status_code == 200


def test_value_model_page_previews_refuses_and_saves(cast: Cast) -> None:
    from zhengqi.engine.value.model import DEFAULT_MODEL
    from zhengqi.scoring.models import ValueModelVersion

    month_run(month=OCT)
    client = client_for(cast.planner)
    assert client.get("/scoring/value-model/").status_code == 200
    fields = {f"weight_{f.code}": str(f.weight * 100) for f in DEFAULT_MODEL.factors}
    fields.update(
        {
            "threshold_A+": "73",
            "threshold_A": "63",
            "threshold_B": "47",
            "potential_flag": "80",
            "star_min_yoy": "0.3",
            "major_government": "on",
        }
    )
    preview = client.post("/scoring/value-model/", {**fields, "action": "preview"}, HTTP_HX_REQUEST="true")
    page = preview.content.decode()
    snaps = CustomerSnapshot.objects.filter(month=OCT)
    assert f'<td class="num">{snaps.filter(tier="C").count()}</td>' in page  # same model: same counts
    bad = client.post(
        "/scoring/value-model/", {**fields, "weight_contribution": "50", "action": "preview"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "权重之和应为 1" in bad
    typo = client.post(
        "/scoring/value-model/", {**fields, "threshold_A": "六十", "action": "preview"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "应为数字" in typo
    versions = ValueModelVersion.objects.count()
    saved = client.post(
        "/scoring/value-model/", {**fields, "threshold_A+": "80", "version": "2026.2", "action": "save"}
    )
    assert saved.status_code == 302
    active = ValueModelVersion.objects.get(active=True)
    assert ValueModelVersion.objects.count() == versions + 1 and active.version == "2026.2"
    assert active.config["thresholds"]["A+"] == 80
    assert (
        client_for(cast.district_manager)
        .post("/scoring/value-model/", {**fields, "version": "x", "action": "save"})
        .status_code
        == 403
    )


def test_a_run_started_from_the_page_goes_through_the_task_queue(cast: Cast) -> None:
    """The page enqueues a django-tasks task; the test backend runs it at once, as the worker would."""
    client = client_for(cast.admin)
    assert "数据湖中缺少该月的数据" in client.post("/scoring/runs/", {"month": "2030-01"}).content.decode()
    client.post("/scoring/runs/", {"month": "2026-10"})
    record = MonthRun.objects.latest("started_at")
    assert record.status == "succeeded" and record.current_step == "write_back" and record.progress_percent == 100
    assert record.started_by == cast.admin


@pytest.mark.parametrize(
    "expression",
    ["revenue_avg_3 > 1e1", "revenue_avg_3 > 12345678901234567890123456", "(" * 40 + "revenue_avg_3 > 1" + ")" * 40],
)
def test_odd_numbers_and_deep_nesting_are_refused_in_chinese_and_never_saved(cast: Cast, expression: str) -> None:
    """Accepted once, these stopped every month run; now the API, the preview and the campaign
    segment refuse them with a 422 and a sentence."""
    client = client_for(cast.planner)
    preview = client.post("/api/rules/preview", {"expression": expression}, content_type="application/json")
    assert preview.status_code == 200 and preview.json()["valid"] is False and preview.json()["error"]
    saved = client.put(
        "/api/rules/X99", {"name": "奇怪的数", "expression": expression}, content_type="application/json"
    )
    assert saved.status_code == 422
    assert not Rule.objects.filter(code="X99").exists()
    page = client.post("/scoring/rules/preview/", {"expression": expression})
    assert page.status_code in (200, 422)
