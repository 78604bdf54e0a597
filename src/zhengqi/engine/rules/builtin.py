"""The built-in segmentation rules (SPEC F-05), one at least per signal of the seeds.

Each is an ordinary rule of the rule language: an analyst changes a threshold by editing the
expression, and a new version is kept. Families: develop 发展, maintain 维系, retain 挽留,
uplift 提升, prevent 防范.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["develop", "maintain", "retain", "uplift", "prevent"]
Severity = Literal["high", "medium", "low"]

FAMILY_LABELS: dict[str, str] = {
    "develop": "发展",
    "maintain": "维系",
    "retain": "挽留",
    "uplift": "提升",
    "prevent": "防范",
}


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    family: Family
    severity: Severity
    expression: str
    description: str


ACTIVE = "status = 'active'"

BUILTIN_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "D01",
        "挖掘竞争对手客户",
        "develop",
        "medium",
        "status = 'prospect' and competitor_operator != ''",
        "由其他运营商服务的潜在客户：争取转网。",
    ),
    RuleSpec(
        "D02",
        "尚无本网产品的潜在客户",
        "develop",
        "low",
        "status = 'prospect' and product_count = 0",
        "潜在客户目前没有订购任何本网集团产品。",
    ),
    RuleSpec("M01", "高价值客户", "maintain", "medium", f"{ACTIVE} and tier in ('A+', 'A')", "A+/A 级客户：重点维系。"),
    RuleSpec(
        "M02",
        "稳定客户",
        "maintain",
        "low",
        f"{ACTIVE} and tenure_months >= 24 and revenue_avg_3 >= 0.95 * revenue_avg_12 and complaints_3m = 0",
        "在网两年以上、近 3 月收入不低于全年平均且无投诉。",
    ),
    RuleSpec(
        "M03",
        "回归用户增多",
        "maintain",
        "low",
        f"{ACTIVE} and members_returned_3m >= 3 and members_returned_3m >= 2 * members_returned_prev_3m",
        "近 3 月回归成员至少 3 人，且不少于前 3 月的 2 倍。",
    ),
    RuleSpec(
        "R01",
        "协议即将到期",
        "retain",
        "high",
        f"{ACTIVE} and contract_days_left between 0 and 90",
        "最近一份协议 90 天内到期。",
    ),
    RuleSpec(
        "R02",
        "离网用户增多",
        "retain",
        "high",
        f"{ACTIVE} and members_left_3m >= greatest(3, 0.05 * members_active)"
        " and members_left_3m >= 2 * members_left_prev_3m",
        "近 3 月离网成员至少 3 人且不少于在网成员的 5%，并达到前 3 月的 2 倍。",
    ),
    RuleSpec(
        "R03",
        "业务取消增多",
        "retain",
        "medium",
        f"{ACTIVE} and cancellations_3m >= 1 and cancellations_3m > cancellations_prev_3m",
        "近 3 月有产品取消，且多于前 3 月。",
    ),
    RuleSpec(
        "R04", "消费连续下滑", "retain", "high", f"{ACTIVE} and decline_streak >= 3", "收入连续 3 个月以上逐月下滑。"
    ),
    RuleSpec(
        "R05",
        "呼叫异网客服增多",
        "retain",
        "high",
        f"{ACTIVE} and competitor_calls_3m >= 3 and competitor_calls_3m >= 2 * competitor_calls_prev_3m",
        "近 3 月成员呼叫其他运营商客服至少 3 次，且达到前 3 月的 2 倍。",
    ),
    RuleSpec(
        "U01",
        "个性化需求增多",
        "uplift",
        "medium",
        f"{ACTIVE} and new_products_3m >= 2 and new_products_3m > new_products_prev_3m",
        "近 3 月新增订购至少 2 项且多于前 3 月（以新增订购衡量个性化需求）。",
    ),
    RuleSpec(
        "U02",
        "服务人数增多",
        "uplift",
        "medium",
        f"{ACTIVE} and members_active >= 10 and members_growth_6m >= 0.2",
        "在网成员半年增长 20% 以上。",
    ),
    RuleSpec(
        "P01",
        "消费总额变异",
        "prevent",
        "medium",
        f"{ACTIVE} and revenue_anomaly_z >= 3",
        "本月收入偏离本客户此前 12 个月均值 3 个标准差以上。",
    ),
    RuleSpec(
        "P02",
        "服务人数突变",
        "prevent",
        "high",
        f"{ACTIVE} and member_jump_z >= 4 and abs(members_change) >= 10",
        "成员数变化偏离历史 4 个标准差以上且变化至少 10 人。",
    ),
    RuleSpec(
        "P03",
        "资料出现异常（疑似假集团）",
        "prevent",
        "high",
        f"{ACTIVE} and members_active >= 10 and idle_share >= 0.6",
        "“三无”成员占比 60% 以上：疑似虚假集团成员。",
    ),
    RuleSpec(
        "P04",
        "业务变动频繁",
        "prevent",
        "low",
        f"{ACTIVE} and product_changes_6m >= 4",
        "近 6 个月产品开通与取消合计 4 次以上。",
    ),
    RuleSpec(
        "P05",
        "投诉现象增多",
        "prevent",
        "medium",
        f"{ACTIVE} and complaints_3m >= 3 and complaints_3m > complaints_prev_3m",
        "近 3 月投诉至少 3 次，且多于前 3 月。",
    ),
    RuleSpec(
        "P06", "欠费频繁", "prevent", "medium", f"{ACTIVE} and arrears_months_6 >= 3", "近 6 个月中至少 3 个月欠费。"
    ),
)
