"""Campaigns end to end on the tiny province: a planner defines a segment and launches a campaign
with a 10 % control group; account managers record outcomes; a later month's subscriptions arrive
by import; the evaluation's conversion, uplift, interval and p-value agree with statsmodels.

The control group gets no task, is the same on re-launch with the same seed, and its share is
within sampling error of the setting. Two planners editing one draft: the second save is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from scipy.stats import binomtest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Product
from zhengqi.imports.services import import_file
from zhengqi.marketing.campaigns.services import in_control
from zhengqi.marketing.models import Campaign, CampaignTarget, Task
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def body(product: Product, **changes: object) -> dict[str, object]:
    return {
        "name": "云视讯推广",
        "segment": "status = 'active'",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "grace_days": 30,
        "products": [product.code],
        "offer": "首年 8 折",
        "budget": "50000",
        **changes,
    }


@pytest.fixture
def product(db: None) -> Product:
    found = Product.objects.filter(complexity=Product.Complexity.LOW).order_by("code").first()
    assert found is not None
    return found


def test_a_campaign_from_segment_to_measured_uplift(cast: Cast, product: Product, tmp_path: Path) -> None:
    month_run(month=OCT)
    planner = client_for(cast.admin)
    # a fixed seed: the draw on this small province is the same on every run (and has a control group)
    made = planner.post("/api/campaigns", body(product, seed=20261123), content_type="application/json")
    assert made.status_code == 201, made.content
    campaign = made.json()
    assert campaign["control_share"] == "0.100" and campaign["channels"]  # proposed from the product
    launched = planner.post(f"/api/campaigns/{campaign['id']}/launch").json()
    segment = Customer.objects.filter(status="active", account_manager__isnull=False)
    assert launched["targets"] + launched["control"] == segment.count()
    assert launched["tasks"] == launched["targets"]

    # the control group is never given a task
    control = set(
        CampaignTarget.objects.filter(campaign_id=campaign["id"], group="control").values_list("customer_id", flat=True)
    )
    tasked = set(Task.objects.filter(campaign_id=campaign["id"]).values_list("customer_id", flat=True))
    assert control and not (control & tasked) and len(tasked) == launched["targets"]

    # account managers record outcomes on their own targets; a rejection needs its reason
    am = client_for(cast.am)
    mine = am.get(f"/api/campaigns/{campaign['id']}/targets?group=target").json()["items"]
    assert mine and all(t["account_manager"] == cast.am.username for t in mine)
    first, second = mine[0]["customer_id"], mine[1]["customer_id"]
    url = f"/api/campaigns/{campaign['id']}/targets/{{}}/outcome"
    assert am.post(url.format(first), {"outcome": "accepted"}, content_type="application/json").status_code == 200
    refused = am.post(url.format(second), {"outcome": "rejected"}, content_type="application/json")
    assert refused.status_code == 422 and "原因" in refused.json()["detail"]
    rejected = am.post(
        url.format(second), {"outcome": "rejected", "reject_reason": "预算不足"}, content_type="application/json"
    )
    assert rejected.status_code == 200
    assert Task.objects.get(campaign_id=campaign["id"], customer_id=first).status == "done"
    others = CampaignTarget.objects.filter(campaign_id=campaign["id"]).exclude(account_manager=cast.am).first()
    assert others is not None
    assert (
        am.post(url.format(others.customer_id), {"outcome": "contacted"}, content_type="application/json").status_code
        == 404
    )
    a_control = next(iter(control))
    control_owner = CampaignTarget.objects.get(campaign_id=campaign["id"], customer_id=a_control).account_manager
    assert control_owner is not None
    answer = client_for(control_owner).post(
        url.format(a_control), {"outcome": "contacted"}, content_type="application/json"
    )
    assert answer.status_code == 422 and "对照组" in answer.json()["detail"]

    # a later month's facts: subscriptions of the promoted product (and some that must not count)
    rows = (
        CampaignTarget.objects.filter(campaign_id=campaign["id"]).select_related("customer").order_by("customer__code")
    )
    targets = [r for r in rows if r.group == "target"]
    controls = [r for r in rows if r.group == "control"]
    converting = targets[: len(targets) * 3 // 10] + controls[: max(1, len(controls) // 10)]
    other = Product.objects.exclude(pk=product.pk).order_by("code").first()
    assert other is not None
    lines = ["客户编码,产品编码,开通日期,月费"]
    lines += [f"{r.customer.code},{product.code},2026-11-{5 + i % 20:02d},{100 + i}" for i, r in enumerate(converting)]
    lines.append(f"{targets[-1].customer.code},{product.code},2027-02-01,999")  # after the window + grace
    lines.append(f"{targets[-2].customer.code},{other.code},2026-11-10,999")  # not a promoted product
    lines.append(f"{targets[-3].customer.code},{product.code},2026-10-20,999")  # before the campaign
    csv = tmp_path / "订购.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = import_file("subscriptions", csv, by=cast.admin)
    assert batch.rejected == 0 and batch.inserted == len(lines) - 1, list(
        batch.rejections.values_list("message", flat=True)
    )

    result = planner.get(f"/api/campaigns/{campaign['id']}/evaluation?as_of=2027-01-15").json()
    n1, n2 = len(targets), len(controls)
    x1, x2 = len(targets) * 3 // 10, max(1, len(controls) // 10)
    assert (result["target"]["n"], result["control"]["n"]) == (n1, n2)
    assert (result["target"]["converted"], result["control"]["converted"]) == (x1, x2)
    assert result["uplift"] == pytest.approx(x1 / n1 - x2 / n2)
    z, p_value = proportions_ztest([x1, x2], [n1, n2])
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="wald", compare="diff")
    assert result["z"] == pytest.approx(z) and result["p_value"] == pytest.approx(p_value)
    assert (result["ci_low"], result["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    fees = {r.customer_id: 100 + i for i, r in enumerate(converting)}
    revenue_t = sum(fees.get(r.customer_id, 0) for r in targets)
    assert float(result["target"]["revenue"]) == pytest.approx(revenue_t)
    assert result["provisional"] is False  # 2027-01-15 is after 2026-11-30 + 30 days

    ranking = planner.get("/api/strategy").json()
    assert ranking["campaigns"][0]["campaign_id"] == campaign["id"]
    assert {a["family"] for a in ranking["alerts"]} >= {"retain", "prevent"}


def test_the_control_share_is_within_sampling_error_and_the_seed_reproduces_it(cast: Cast, product: Product) -> None:
    # the draw itself: 20,000 customers at 10 %
    drawn = sum(in_control(20261122, f"C{i:06d}", 0.1) for i in range(20000))
    assert binomtest(drawn, 20000, 0.1).pvalue > 0.001
    assert sum(in_control(7, f"C{i:06d}", 0.3) for i in range(20000)) == pytest.approx(6000, abs=300)

    month_run(month=OCT)
    planner = client_for(cast.planner)
    made = planner.post("/api/campaigns", body(product, seed=424242), content_type="application/json").json()
    planner.post(f"/api/campaigns/{made['id']}/launch")
    copy = planner.post(f"/api/campaigns/{made['id']}/copy").json()
    assert copy["seed"] == 424242 and copy["status"] == "draft"
    planner.post(f"/api/campaigns/{copy['id']}/launch")

    def control_of(pk: int) -> set[int]:
        return set(CampaignTarget.objects.filter(campaign_id=pk, group="control").values_list("customer_id", flat=True))

    assert control_of(made["id"]) == control_of(copy["id"]) and control_of(made["id"])
    n = CampaignTarget.objects.filter(campaign_id=made["id"]).count()
    assert binomtest(len(control_of(made["id"])), n, 0.1).pvalue > 0.001
    again = planner.post(f"/api/campaigns/{made['id']}/launch")
    assert again.status_code == 422 and "不能重复启动" in again.json()["detail"]
    assert CampaignTarget.objects.filter(campaign_id=made["id"]).count() == n  # nothing added twice


def test_the_second_of_two_concurrent_edits_is_refused(cast: Cast, product: Product) -> None:
    planner = client_for(cast.planner)
    made = planner.post("/api/campaigns", body(product), content_type="application/json").json()
    first = planner.put(
        f"/api/campaigns/{made['id']}",
        body(product, name="甲的修改", version=made["version"]),
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["version"] == made["version"] + 1
    second = client_for(cast.admin).put(
        f"/api/campaigns/{made['id']}",
        body(product, name="乙的修改", version=made["version"]),
        content_type="application/json",
    )
    assert second.status_code == 409 and "已被他人修改" in second.json()["detail"]
    assert Campaign.objects.get(pk=made["id"]).name == "甲的修改"


def test_bad_campaigns_are_refused_in_chinese(cast: Cast, product: Product) -> None:
    planner = client_for(cast.planner)
    for changes, words in (
        ({"segment": "revenue >"}, ""),
        ({"end": "2026-10-01"}, "结束日期不能早于开始日期"),
        ({"products": ["NOPE"]}, "产品不存在"),
        ({"control_share": "0.9"}, "对照组比例"),
        ({"name": " "}, "活动名称"),
    ):
        answer = planner.post("/api/campaigns", body(product, **changes), content_type="application/json")
        assert answer.status_code == 422 and words in answer.json()["detail"], (changes, answer.content)
    assert Campaign.objects.count() == 0
    refused = client_for(cast.am).post("/api/campaigns", body(product), content_type="application/json")
    assert refused.status_code == 403 and Campaign.objects.count() == 0


def test_the_pages_plan_launch_record_and_evaluate(cast: Cast, product: Product) -> None:
    month_run(month=OCT)
    planner = client_for(cast.planner)
    form = {
        "name": "专线提速",
        "segment": "status = 'active'",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "products": [product.code],
        "control_share": "10",
        "grace_days": "30",
        "budget": "1000",
    }
    refused = planner.post("/marketing/campaigns/new/", {**form, "end": "2026-10-01"})
    assert refused.status_code == 400 and "结束日期不能早于开始日期" in refused.content.decode()
    made = planner.post("/marketing/campaigns/new/", form, follow=True)
    campaign = Campaign.objects.get(name="专线提速")
    assert campaign.control_share == Decimal("0.100") and "已保存" in made.content.decode()

    stale = {**form, "name": "旧版本的修改", "version": str(campaign.version)}
    assert (
        planner.post(
            f"/marketing/campaigns/{campaign.pk}/edit/", {**form, "version": str(campaign.version)}
        ).status_code
        == 302
    )
    conflict = planner.post(f"/marketing/campaigns/{campaign.pk}/edit/", stale)
    assert conflict.status_code == 409 and "已被他人修改" in conflict.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).name == "专线提速"

    asked = planner.post(f"/marketing/campaigns/{campaign.pk}/launch/", follow=True).content.decode()
    assert "确认启动" in asked and "对照组" in asked  # first the counts, then the confirmation
    assert Campaign.objects.get(pk=campaign.pk).status == "draft"
    launched = planner.post(
        f"/marketing/campaigns/{campaign.pk}/launch/", {"confirm": "1"}, follow=True
    ).content.decode()
    assert "活动已启动" in launched and "对照组" in launched
    mine = CampaignTarget.objects.filter(campaign=campaign, account_manager=cast.am, group="target").first()
    assert mine is not None
    am = client_for(cast.am)
    page = am.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert f'data-testid="target-{mine.customer_id}"' in page and 'data-testid="evaluation"' not in page
    other = CampaignTarget.objects.filter(campaign=campaign).exclude(account_manager=cast.am).first()
    assert other is not None and f'data-testid="target-{other.customer_id}"' not in page  # not theirs
    am.post(f"/marketing/campaigns/{campaign.pk}/targets/{mine.customer_id}/outcome/", {"outcome": "interested"})
    mine.refresh_from_db()
    assert mine.outcome == "interested"

    evaluation = planner.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="evaluation"' in evaluation and "转化窗口未结束" in evaluation
    strategy = planner.get("/marketing/strategy/").content.decode()
    assert "专线提速" in strategy and 'data-testid="alert-outcomes"' in strategy
    assert client_for(cast.am).get("/marketing/strategy/").status_code == 404


def test_an_uplift_reads_as_percentage_points_not_a_raw_fraction() -> None:
    """The strategy page showed a lift of 0.0000; rates are percents, differences percentage points."""
    from zhengqi.customers.templatetags.zhengqi_format import percent, points

    assert points(0.0234) == "+2.3 个百分点"
    assert points(-0.004) == "-0.4 个百分点"
    assert points(None) == "—"
    assert percent(0.875) == "87.5%"
    template = (Path(__file__).parents[2] / "src/zhengqi/marketing/templates/marketing/strategy.html").read_text()
    assert "uplift|floatformat" not in template and "rate|floatformat" not in template
