"""Score every customer in service and give it a tier.

Grain of the result: one row per customer per month. Columns: customer_code, month_idx,
value_score (0–100), one ``f_<factor>`` column per factor (its contribution to the score, in
points), axis_revenue and axis_new_business (the seed's two axes, 0–100), potential_score,
tier, tier_prev, tier_reason (score / override), downgrade (bool), retention_flag (bool).

Quantitative factors are normalised by percent rank among the customers in service that month
(robust to the long tail of revenue); qualitative ones are mapped by a table. Inputs are rounded
(money to the fen) before ranking so that every engine breaks ties the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from zhengqi.engine.catalogue import CATALOGUE
from zhengqi.engine.value.tiers import TIER_ORDER, TIERS

Method = Literal["rank", "rank_desc", "table"]


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    feature: str
    weight: float
    method: Method = "rank"
    table: Mapping[str, float] = field(default_factory=dict)
    default: float = 0.5  # for "table": the value of anything not in the table
    # For "rank": the normalised value of a customer with no value (no survey answered, say); None
    # ranks a missing value as 0.
    missing: float | None = None


@dataclass(frozen=True)
class Overrides:
    """The seed-003 overrides: administrative units of major social influence, and star
    enterprises of high growth, are at least tier A whatever their score."""

    major_government: bool = True  # government bodies of large scale
    star_min_yoy: float = 0.3  # enterprises growing at least this much year on year ...
    star_min_new_business: float = 60.0  # ... with at least this on the new-business axis


@dataclass(frozen=True)
class ValueModel:
    version: str
    factors: tuple[Factor, ...]
    thresholds: Mapping[str, float]  # minimum score of "A+", "A", "B"
    overrides: Overrides = Overrides()
    potential_flag: float = 80.0  # a customer below B with potential at least this is flagged

    def validate(self) -> list[str]:
        """Problems, in Chinese, that make the model unusable; empty when it is fine."""
        problems = []
        total = sum(f.weight for f in self.factors)
        if abs(total - 1.0) > 1e-6:
            problems.append(f"各因子权重之和应为 1，当前为 {total:.4f}。")
        for f in self.factors:
            if f.feature not in CATALOGUE:
                problems.append(f"因子“{f.label}”引用了不存在的特征“{f.feature}”。")
            elif f.method != "table" and not CATALOGUE[f.feature].is_numeric:
                problems.append(f"因子“{f.label}”的特征“{f.feature}”不是数值，只能用对照表（table）方式。")
            if f.weight < 0:
                problems.append(f"因子“{f.label}”的权重不能为负。")
        a_plus, a, b = (self.thresholds.get(t) for t in TIERS[:-1])
        if None in (a_plus, a, b) or not (100 >= a_plus > a > b >= 0):  # type: ignore[operator]  # thresholds checked for None in the same test
            problems.append("等级阈值应满足 100 ≥ A+ > A > B ≥ 0。")
        if len({f.code for f in self.factors}) != len(self.factors):
            problems.append("因子编码不能重复。")
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "factors": [
                {
                    "code": f.code,
                    "label": f.label,
                    "feature": f.feature,
                    "weight": f.weight,
                    "method": f.method,
                    "table": dict(f.table),
                    "default": f.default,
                    "missing": f.missing,
                }
                for f in self.factors
            ],
            "thresholds": dict(self.thresholds),
            "overrides": {
                "major_government": self.overrides.major_government,
                "star_min_yoy": self.overrides.star_min_yoy,
                "star_min_new_business": self.overrides.star_min_new_business,
            },
            "potential_flag": self.potential_flag,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueModel:
        return cls(
            version=str(data["version"]),
            factors=tuple(
                Factor(
                    code=f["code"],
                    label=f["label"],
                    feature=f["feature"],
                    weight=float(f["weight"]),
                    method=f.get("method", "rank"),
                    table=dict(f.get("table", {})),
                    default=float(f.get("default", 0.5)),
                    missing=None if f.get("missing") is None else float(f["missing"]),
                )
                for f in data["factors"]
            ),
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            overrides=Overrides(**data.get("overrides", {})),
            potential_flag=float(data.get("potential_flag", 80.0)),
        )


# Industry attribute (行业属性): sectors where the group market is strategic score higher.
INDUSTRY_ATTRIBUTE = {"J": 1.0, "S": 1.0, "I": 0.9, "D": 0.8, "G": 0.8, "P": 0.8, "Q": 0.8, "C": 0.6, "F": 0.6}

DEFAULT_MODEL = ValueModel(
    version="2026.1",
    factors=(
        Factor("contribution", "收入贡献", "revenue_avg_12", 0.25),
        Factor("stickiness", "收入粘性（产品捆绑）", "product_count", 0.10),
        Factor("new_business", "新业务（信息化）收入", "revenue_info", 0.15),
        Factor("growth", "收入增长", "revenue_yoy", 0.10),
        Factor("margin", "利润贡献（以信息化占比估计）", "info_share", 0.05),
        Factor("industry", "行业属性", "industry", 0.05, method="table", table=INDUSTRY_ATTRIBUTE, default=0.4),
        Factor("purity", "集团纯度（V网占比）", "vnet_share", 0.10),
        Factor("tenure", "在网时长", "tenure_months", 0.05),
        Factor("mix", "语音/数据结构", "data_share", 0.05),
        Factor("data", "数据业务收入", "revenue_data", 0.05),
        Factor("credit", "信用（欠费）", "arrears_months_6", 0.05, method="rank_desc"),
        # Optional (weight 0 until the province gives it one): customers with no survey are neutral.
        Factor("satisfaction", "客户满意度（近12月满意率）", "satisfaction_12m", 0.0, missing=0.5),
    ),
    # Calibrated on the demo province: about 5% A+, 15% A, 30% B, 50% C of the customers in service.
    thresholds={"A+": 73.0, "A": 63.0, "B": 47.0},
)


def _rank(value: ir.NumericValue, descending: bool = False) -> ir.FloatingValue:
    key = value.fill_null(0)
    window = ibis.window(order_by=ibis.desc(key) if descending else key)
    return ibis.percent_rank().over(window)


def score(features: ir.Table, model: ValueModel, previous: ir.Table | None = None) -> ir.Table:
    """Scores and tiers for one month. ``previous`` is last month's result (for tier_prev)."""
    served = features.filter(features.status == "active")
    parts: dict[str, ir.Value] = {}
    for f in model.factors:
        column = served[f.feature]
        if f.method == "table":
            norm = (
                column.cases(*[(k, v) for k, v in f.table.items()], else_=f.default)
                if f.table
                else ibis.literal(f.default)
            )
        else:
            norm = _rank(column.round(6), descending=f.method == "rank_desc")
            if f.missing is not None:
                norm = ibis.cases((column.isnull(), ibis.literal(f.missing)), else_=norm)
        parts[f"n_{f.code}"] = norm.cast("float64")
    carried = ("customer_type", "scale", "revenue_yoy", "members_growth_6m", "revenue_avg_12", "revenue_info")
    normed = served.select("customer_code", *carried, **parts)
    contributions = {f"f_{f.code}": (normed[f"n_{f.code}"] * f.weight * 100).round(2) for f in model.factors}
    total: ir.NumericValue = ibis.literal(0.0)
    for f in model.factors:
        total = total + normed[f"n_{f.code}"] * f.weight
    by_code = {f.feature: f.code for f in model.factors}
    # The seed's two axes: the factor's own normalisation where the model has it, else the rank.
    axis_rev = normed[f"n_{by_code['revenue_avg_12']}"] if "revenue_avg_12" in by_code else _rank(normed.revenue_avg_12)
    axis_new = normed[f"n_{by_code['revenue_info']}"] if "revenue_info" in by_code else _rank(normed.revenue_info)
    scored = normed.mutate(
        value_score=(total * 100).round(2),
        axis_revenue=(axis_rev * 100).round(2),
        axis_new_business=(axis_new * 100).round(2),
        potential_score=((_rank(normed.revenue_yoy.round(6)) + _rank(normed.members_growth_6m.round(6))) * 50).round(2),
        **contributions,
    )
    th = model.thresholds
    by_score = ibis.cases(
        (scored.value_score >= th["A+"], "A+"),
        (scored.value_score >= th["A"], "A"),
        (scored.value_score >= th["B"], "B"),
        else_="C",
    )
    ov = model.overrides
    major_gov = ibis.literal(ov.major_government) & (scored.customer_type == "government") & (scored.scale == "large")
    star = (
        (scored.customer_type == "enterprise")
        & (scored.revenue_yoy.fill_null(0) >= ov.star_min_yoy)
        & (scored.axis_new_business >= ov.star_min_new_business)
    )
    lifted = (major_gov | star) & by_score.isin(["B", "C"])
    scored = scored.mutate(
        tier=ibis.cases((lifted, "A"), else_=by_score),
        tier_reason=ibis.cases((lifted & major_gov, "major_government"), (lifted, "star_enterprise"), else_="score"),
        retention_flag=(scored.value_score < th["B"]) & (scored.potential_score >= model.potential_flag),
    )
    out = (
        features.select("customer_code", "month_idx")
        .left_join(scored.drop(*carried, *parts), "customer_code")
        .drop("customer_code_right")
    )
    if previous is not None:
        prev = previous.select("customer_code", tier_prev=previous.tier)
        out = out.left_join(prev, "customer_code").drop("customer_code_right")
    else:
        out = out.mutate(tier_prev=ibis.null("string"))
    order = {t: i for t, i in TIER_ORDER.items()}
    new_rank = out.tier.cases(*order.items(), else_=None)
    old_rank = out.tier_prev.cases(*order.items(), else_=None)
    return out.mutate(
        tier=out.tier.fill_null(""),
        downgrade=(new_rank > old_rank).fill_null(False),
        retention_flag=out.retention_flag.fill_null(False),
    )
