"""The rule language refuses what is not a rule, with a Chinese message naming the problem."""

import ibis
import pytest

from zhengqi.engine.rules.language import RuleError, parse


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("revnue > 1", "未知的特征“revnue”"),
        ("revnue > 1", "您是否想写“revenue”"),
        ("revenue > 'abc'", "类型不匹配"),
        ("tier > 'A'", "文字只能用"),
        ("tier in ('A', 3)", "类型不匹配"),
        ("DROP TABLE customers", "不允许的语句：DROP"),
        ("revenue > 1; DROP TABLE customers", "不能包含多条语句"),
        ("revenue > (select max(revenue) from features)", "子查询"),
        ("tier in (select tier from x)", "子查询"),
        ("upper(tier) = 'A'", "不允许使用函数“UPPER”"),
        ("read_parquet('x') is null", "不允许使用函数"),
        ("revenue + 1", "必须是“是/否”条件"),
        ("revenue > 1 and (tier = 'A'", "无法解析"),
        ("", "不能为空"),
        ("revenue = null", "is null"),
        ("x.revenue > 1", "带表名"),
        ("revenue > 1 and complaints", "需要条件"),
    ],
)
def test_invalid_rules_are_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(RuleError) as err:
        parse(text)
    assert message in str(err.value)


def test_the_message_points_at_the_place() -> None:
    with pytest.raises(RuleError) as err:
        parse("tier = 'A' and\n  revnue > 1")
    assert "第 2 行" in str(err.value)


def test_valid_rule_compiles_and_filters() -> None:
    t = ibis.memtable({"contract_days_left": [30, 200, None, 10], "tier": ["A", "A+", "A", "C"]})
    rule = parse("contract_days_left <= 90 and tier in ('A+', 'A')")
    assert rule.features == ["contract_days_left", "tier"]
    assert t.filter(rule.compile(t)).count().execute() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("revenue between 1 and 2", 2),
        ("not revenue > 2", 2),
        ("contract_days_left is null", 1),
        ("contract_days_left is not null", 2),
        ("abs(members_change) >= 5", 2),
        ("coalesce(contract_days_left, 999) > 100", 2),
        ("greatest(revenue, 2.5) = 2.5", 2),
        ("revenue * 2 - 1 >= 3 or tier not in ('C')", 3),
        ("-members_change > 1", 1),
    ],
)
def test_constructs(text: str, expected: int) -> None:
    t = ibis.memtable(
        {
            "revenue": [1.0, 2.0, 3.0],
            "members_change": [-5, 0, 7],
            "contract_days_left": [None, 50, 400],
            "tier": ["A", "B", "C"],
        }
    )
    assert t.filter(parse(text).compile(t)).count().execute() == expected
