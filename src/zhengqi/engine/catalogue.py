"""The monthly feature catalogue: every feature's name, Chinese label, unit, type and definition.

One place that the feature code, the rule language (validation), the rule editor, the docs and
the reasons shown to users all read. Grain of the feature table: one row per customer per month.
Money is float64 yuan, rounded to the fen; ratios are fractions (0.25 = 25%).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["money", "count", "ratio", "score", "days", "months", "text"]


@dataclass(frozen=True)
class Feature:
    name: str
    label: str
    unit: str
    kind: Kind
    definition: str

    @property
    def is_numeric(self) -> bool:
        return self.kind != "text"


def _f(name: str, label: str, unit: str, kind: Kind, definition: str) -> Feature:
    return Feature(name, label, unit, kind, definition)


FEATURES: tuple[Feature, ...] = (
    # who the customer is
    _f("customer_type", "客户类型", "", "text", "government / institution / enterprise / other"),
    _f("industry", "行业", "", "text", "GB/T 4754 门类字母 A–T"),
    _f("scale", "规模", "", "text", "large / medium / small / micro"),
    _f("status", "客户状态", "", "text", "prospect（潜在）/ active（在网）/ churned（离网）"),
    _f(
        "competitor_operator",
        "现服务运营商",
        "",
        "text",
        "潜在客户目前的运营商（telecom / unicom / broadnet / other），本网客户为空",
    ),
    _f("region_code", "区域编码", "", "text", "客户所属区县的编码"),
    _f("tenure_months", "在网时长", "月", "months", "从最早一项产品开通到本月的月数"),
    # revenue
    _f("revenue", "当月总收入", "元", "money", "本月客户总收入（成员收入 + 集团产品收入）"),
    _f("revenue_avg_3", "近3月平均收入", "元", "money", "含本月在内近 3 个月总收入之和 ÷ 3（缺月按 0 计）"),
    _f("revenue_avg_6", "近6月平均收入", "元", "money", "含本月在内近 6 个月总收入之和 ÷ 6（缺月按 0 计）"),
    _f("revenue_avg_12", "近12月平均收入", "元", "money", "含本月在内近 12 个月总收入之和 ÷ 12（缺月按 0 计）"),
    _f("revenue_mom", "收入环比", "", "ratio", "本月收入 ÷ 上月收入 − 1；上月无收入时为空"),
    _f("revenue_yoy", "收入同比", "", "ratio", "本月收入 ÷ 去年同月收入 − 1；去年同月无收入时为空"),
    _f("decline_streak", "收入连续下滑月数", "月", "months", "截至本月，收入逐月低于上月的连续月数（本月未下滑为 0）"),
    _f(
        "revenue_anomaly_z",
        "消费异常分",
        "",
        "score",
        "本月收入偏离本客户此前 12 个月均值的程度，以波动幅度为单位（|z|）；"
        "波动幅度取标准差、均值的 10% 与 1 元中最大者，此前不足 3 个月为 0",
    ),
    _f("revenue_info", "信息化收入", "元", "money", "除普通语音外的收入"),
    _f("info_share", "信息化收入占比", "", "ratio", "信息化收入 ÷ 总收入"),
    _f("revenue_data", "数据业务收入", "元", "money", "成员数据流量收入"),
    _f("data_share", "数据收入占比", "", "ratio", "数据业务收入 ÷ 总收入（语音/数据结构）"),
    _f("revenue_line", "专线收入", "元", "money", "专线产品收入"),
    _f("line_share", "专线收入占比", "", "ratio", "专线收入 ÷ 总收入"),
    _f("revenue_prev", "上月总收入", "元", "money", "上月客户总收入"),
    _f("revenue_info_prev", "上月信息化收入", "元", "money", "上月信息化收入"),
    _f("revenue_line_prev", "上月专线收入", "元", "money", "上月专线收入"),
    _f("revenue_info_ytd", "本年累计信息化收入", "元", "money", "本年 1 月至本月信息化收入之和"),
    _f("revenue_line_ytd", "本年累计专线收入", "元", "money", "本年 1 月至本月专线收入之和"),
    _f("revenue_info_ytd_ly", "上年同期累计信息化收入", "元", "money", "上年 1 月至上年同月信息化收入之和"),
    _f("revenue_line_ytd_ly", "上年同期累计专线收入", "元", "money", "上年 1 月至上年同月专线收入之和"),
    # members
    _f(
        "members_active",
        "在网成员数",
        "人",
        "count",
        "本月有使用记录的成员数（无成员明细的客户取客户月度导入的“在网成员数”）",
    ),
    _f("members_change", "成员数环比变化", "人", "count", "本月在网成员数 − 上月在网成员数"),
    _f(
        "member_jump_z",
        "成员数突变分",
        "",
        "score",
        "本月成员数变化偏离本客户此前 12 个月变化均值的程度，以波动幅度为单位（|z|）；"
        "波动幅度取标准差、上月成员数的 2% 与 1 人中最大者，此前不足 3 个月为 0",
    ),
    _f(
        "members_joined",
        "当月新入网成员",
        "人",
        "count",
        "入网月份为本月的成员数（无成员明细时取客户月度导入的“新入网成员”）",
    ),
    _f(
        "members_left",
        "当月离网成员",
        "人",
        "count",
        "离网月份为本月的成员数（无成员明细时取客户月度导入的“离网成员”）",
    ),
    _f(
        "members_returned",
        "当月回归成员",
        "人",
        "count",
        "离网后于本月重新加入的成员数（回归用户；无成员明细时取客户月度导入的“回归成员”）",
    ),
    _f("members_left_3m", "近3月离网成员", "人", "count", "含本月近 3 个月离网成员之和"),
    _f("members_left_prev_3m", "前3月离网成员", "人", "count", "再往前 3 个月（第 4–6 月前）离网成员之和"),
    _f("members_returned_3m", "近3月回归成员", "人", "count", "含本月近 3 个月回归成员之和"),
    _f("members_returned_prev_3m", "前3月回归成员", "人", "count", "第 4–6 月前回归成员之和"),
    _f("members_growth_6m", "成员数半年增长率", "", "ratio", "本月在网成员数 ÷ 6 个月前在网成员数 − 1"),
    _f(
        "members_idle",
        "“三无”成员数",
        "人",
        "count",
        "本月无通话、无短信、无 V 网内通话的成员数（无成员明细时取客户月度导入的“三无成员数”）",
    ),
    _f("idle_share", "“三无”成员占比", "", "ratio", "“三无”成员数 ÷ 在网成员数"),
    _f(
        "members_idle_prev",
        "上月“三无”成员数",
        "人",
        "count",
        "上月无通话、无短信、无 V 网内通话的成员数（无成员明细时取上月的“三无成员数”）",
    ),
    _f(
        "idle_cleaned",
        "“三无”成员清理数",
        "人",
        "count",
        "上月的“三无”成员中，本月已不在本集团使用的人数（已清理；需要成员明细，只有客户级计数时为 0）",
    ),
    _f(
        "vnet_share",
        "V网成员占比（集团纯度）",
        "",
        "ratio",
        "本月在网成员中加入 V 网的比例（无成员明细时取“V网成员数 ÷ 在网成员数”）",
    ),
    # products
    _f("product_count", "在用产品数", "个", "count", "月末在用的集团产品订购数"),
    _f("new_products_3m", "近3月新增订购", "个", "count", "近 3 个月新开通的集团产品订购数（个性化需求）"),
    _f("new_products_prev_3m", "前3月新增订购", "个", "count", "第 4–6 月前新开通的订购数"),
    _f(
        "cancellations",
        "当月业务取消",
        "个",
        "count",
        "本月取消的产品订购数：计费系统报来的取消数与订购记录中本月结束的订购数取较大者（两者描述同一批取消，不相加）",
    ),
    _f("cancellations_3m", "近3月业务取消", "个", "count", "含本月近 3 个月取消数之和"),
    _f("cancellations_prev_3m", "前3月业务取消", "个", "count", "第 4–6 月前取消数之和"),
    _f("product_changes_6m", "近6月业务变动", "次", "count", "近 6 个月产品开通与取消次数之和"),
    # service, credit, competition
    _f(
        "complaints",
        "当月投诉",
        "次",
        "count",
        "本月投诉次数：经分月数据的投诉数与服务请求中登记的投诉工单数取较大者（同一投诉不重复计）",
    ),
    _f("complaints_3m", "近3月投诉", "次", "count", "含本月近 3 个月投诉之和"),
    _f("complaints_prev_3m", "前3月投诉", "次", "count", "第 4–6 月前投诉之和"),
    _f("arrears", "欠费金额", "元", "money", "本月末欠费金额"),
    _f("arrears_months_6", "近6月欠费月数", "月", "months", "近 6 个月中有欠费的月数"),
    _f(
        "arrears_streak",
        "连续欠费月数（账龄）",
        "月",
        "months",
        "截至本月，月末有欠费的连续月数（本月无欠费为 0，最多 12）",
    ),
    _f(
        "surveys_12m",
        "近12月满意度调查",
        "次",
        "count",
        "含本月近 12 个月的满意度调查回答数（服务回访、交付回访、年度调查）",
    ),
    _f(
        "satisfaction_12m",
        "近12月满意率",
        "",
        "ratio",
        "近 12 个月满意度调查中回答“满意”的比例；没有调查时为空",
    ),
    _f("dissatisfied_3m", "近3月不满意回答", "次", "count", "含本月近 3 个月回答“不满意”的调查数"),
    _f("competitor_calls", "当月呼叫异网客服", "次", "count", "本月成员呼叫其他运营商客服号码的次数"),
    _f("competitor_calls_3m", "近3月呼叫异网客服", "次", "count", "含本月近 3 个月之和"),
    _f("competitor_calls_prev_3m", "前3月呼叫异网客服", "次", "count", "第 4–6 月前之和"),
    _f(
        "contract_days_left", "协议剩余天数", "天", "days", "最近一份协议到期日距本月末的天数（已到期为负；无协议为空）"
    ),
    # hierarchy
    _f("group_revenue", "集团汇总收入", "元", "money", "本客户及其全部下级单位本月收入之和"),
    _f("group_members", "集团汇总成员", "人", "count", "本客户及其全部下级单位本月在网成员之和"),
)

# Produced by the value model (after features), readable by rules.
VALUE_FEATURES: tuple[Feature, ...] = (
    _f("value_score", "价值得分", "分", "score", "价值评估模型的综合得分（0–100）"),
    _f("tier", "价值等级", "", "text", "A+ / A / B / C"),
    _f("tier_prev", "上月价值等级", "", "text", "上月的价值等级（首月为空）"),
    _f("potential_score", "潜力得分", "分", "score", "信息化收入增长与产品渗透空间的综合得分（0–100）"),
)

# Produced by the churn models (after the rules): shown on pages and in reasons.
CHURN_FEATURES: tuple[Feature, ...] = (
    _f("churn_risk", "流失风险", "", "ratio", "客户流失模型给出的未来 6 个月内流失的概率（已校准）"),
    _f(
        "members_expected_lost_3m",
        "预计3个月内流失成员",
        "人",
        "count",
        "成员流失模型给出的各成员未来 3 个月内离网概率之和",
    ),
    _f("members_expected_lost_share", "预计流失成员占比", "", "ratio", "成员未来 3 个月内离网概率的平均值"),
)

CATALOGUE: dict[str, Feature] = {f.name: f for f in (*FEATURES, *VALUE_FEATURES, *CHURN_FEATURES)}
# What a rule may read: the rules run before the churn step.
RULE_CATALOGUE: dict[str, Feature] = {f.name: f for f in (*FEATURES, *VALUE_FEATURES)}


def feature(name: str) -> Feature:
    return CATALOGUE[name]


def as_markdown() -> str:
    """The catalogue as the table of docs/features.md (a test keeps the two equal)."""
    kinds = {
        "money": "金额",
        "count": "计数",
        "ratio": "比例",
        "score": "分值",
        "days": "天数",
        "months": "月数",
        "text": "文字",
    }
    lines = [
        "# 特征目录 · Feature catalogue",
        "",
        "每个客户每月一行。规则、原因说明与本页都读取 `zhengqi/engine/catalogue.py`（本页由它生成）。",
        "One row per customer per month. Rules, the reasons shown to users and this page all read the catalogue.",
        "",
        "| 名称 name | 中文 | 单位 | 类型 | 定义 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in (*FEATURES, *VALUE_FEATURES, *CHURN_FEATURES):
        lines.append(f"| `{f.name}` | {f.label} | {f.unit} | {kinds[f.kind]} | {f.definition} |")
    return "\n".join(lines) + "\n"
