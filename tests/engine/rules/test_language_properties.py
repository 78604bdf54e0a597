"""Whatever a planner types, a rule is either refused with a Chinese RuleError or it compiles and runs
on the features: generated expressions over the catalogue, with odd numbers (1e5, 26 digits), deep
nesting, text and NULL — never a crash, never a rule that is saved and then stops the month run."""

from __future__ import annotations

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengqi.engine.catalogue import RULE_CATALOGUE
from zhengqi.engine.rules.language import RuleError, parse

NUMERIC = sorted(n for n, f in RULE_CATALOGUE.items() if f.is_numeric)
TEXT = sorted(n for n, f in RULE_CATALOGUE.items() if not f.is_numeric)

numbers = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: f"{x:.3f}"),
    st.sampled_from(["1e1", "1e5", "2E-3", "12345678901234567890123456", "0.5", ".5", "100000", "1_000", "0x10"]),
)
words = st.sampled_from(["'A+'", "'A'", "'C'", "'开发'", "''", "'x''y'"])
number_atom = st.one_of(st.sampled_from(NUMERIC), numbers, numbers.map(lambda n: f"-{n}"))


def _numeric(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"abs({c})"),
        st.tuples(children, children).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
    )


number_expr = st.recursive(number_atom, _numeric, max_leaves=6)
comparison = st.one_of(
    st.tuples(number_expr, st.sampled_from(["<", "<=", ">", ">=", "=", "!="]), number_expr).map(" ".join),
    st.tuples(st.sampled_from(TEXT or ["tier"]), st.sampled_from(["=", "!="]), words).map(" ".join),
    st.tuples(st.sampled_from(TEXT or ["tier"]), st.lists(words, min_size=1, max_size=3)).map(
        lambda t: f"{t[0]} in ({', '.join(t[1])})"
    ),
    st.sampled_from(NUMERIC).map(lambda n: f"{n} is null"),
    st.tuples(st.sampled_from(NUMERIC), numbers, numbers).map(lambda t: f"{t[0]} between {t[1]} and {t[2]}"),
)


def _logic(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(" ".join),
        children.map(lambda c: f"not ({c})"),
        st.tuples(children, st.integers(1, 40)).map(lambda t: "(" * t[1] + t[0] + ")" * t[1]),
    )


rules = st.recursive(comparison, _logic, max_leaves=8)
junk = st.text(max_size=60)


def _features() -> ibis.Table:
    rows = 4
    data: dict[str, list[object]] = {}
    for name, feature in RULE_CATALOGUE.items():
        data[name] = [1.5, None, 0.0, 1e6][:rows] if feature.is_numeric else ["A+", None, "C", "开发"][:rows]
    return ibis.memtable(pd.DataFrame(data))


TABLE = _features()


def _runs_or_is_refused(text: str) -> None:
    try:
        rule = parse(text)
    except RuleError as err:
        assert str(err) and any("\u4e00" <= ch <= "\u9fff" for ch in str(err))  # said in Chinese
        return
    result = TABLE.select(hit=rule.compile(TABLE)).execute()
    assert len(result) == len(TABLE.execute())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules)
def test_a_generated_rule_is_refused_in_chinese_or_runs(text: str) -> None:
    _runs_or_is_refused(text)


@settings(max_examples=200, deadline=None)
@given(junk)
def test_any_text_is_refused_in_chinese_or_runs(text: str) -> None:
    _runs_or_is_refused(text)


def test_arithmetic_on_large_integers_runs_instead_of_overflowing() -> None:
    """Found by the property test above: INT32 literals multiplied overflowed inside DuckDB."""
    _runs_or_is_refused("5453 * 393817 > revenue_avg_3")
    _runs_or_is_refused("999999999999999 * 999999999999999 > revenue_avg_3 * 999999999999999")


def test_the_cases_outsiders_found_are_refused() -> None:
    for text in [
        "revenue_avg_3 > 1e1",
        "revenue_avg_3 > 1e5",
        "revenue_avg_3 > 12345678901234567890123456",
        "(" * 40 + "revenue_avg_3 > 1" + ")" * 40,
    ]:
        try:
            parse(text)
        except RuleError:
            continue
        raise AssertionError(f"accepted: {text}")
