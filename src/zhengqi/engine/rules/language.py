"""Parse, validate and compile rules.

A rule is a boolean expression over the monthly feature catalogue, written as an SQL condition:
``contract_days_left <= 90 and tier in ('A+', 'A')``. It is parsed once with sqlglot, checked
against a small whitelist of constructs and against the catalogue (names and types), and compiled
to an Ibis expression, so it runs on whichever engine holds the features (DuckDB, Spark).

Errors are :class:`RuleError` with a Chinese message that names the problem and, where the parser
knows it, the place (line and column).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import sqlglot
from sqlglot import exp

from zhengqi.engine.catalogue import RULE_CATALOGUE, Feature

Type = Literal["bool", "number", "text", "null"]
MAX_LENGTH = 2000
MAX_DEPTH = 30  # nesting of parentheses and operators: deeper rules are refused, never a crash
MAX_DIGITS = 15  # a number every backend holds exactly (int64, double)
PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")

COMPARISONS: dict[type[exp.Expression], Callable[[ir.Value, ir.Value], ir.BooleanValue]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}
ARITHMETIC: dict[type[exp.Expression], Callable[[ir.NumericValue, ir.NumericValue], ir.NumericValue]] = {
    exp.Add: lambda a, b: a + b,
    exp.Sub: lambda a, b: a - b,
    exp.Mul: lambda a, b: a * b,
    exp.Div: lambda a, b: a / b,
}
FUNCTIONS = {"abs": "ABS", "coalesce": "COALESCE", "least": "LEAST", "greatest": "GREATEST"}


class RuleError(ValueError):
    """A rule that cannot be accepted; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Rule:
    """A parsed and validated rule, ready to compile."""

    text: str
    tree: exp.Expression

    @property
    def features(self) -> list[str]:
        """The catalogue features the rule reads, in order of first use."""
        return list(dict.fromkeys(c.name for c in self.tree.find_all(exp.Column)))

    def compile(self, table: ir.Table) -> ir.BooleanValue:
        """The rule as an Ibis boolean over ``table``; NULL (unknown) counts as not firing."""
        value = _compile(self.tree, table)
        return value.fill_null(False)  # type: ignore[union-attr]  # a boolean column after validation; Ibis types it as a generic Value


def _where(node: exp.Expression) -> str:
    meta = None
    for ident in node.find_all(exp.Identifier):
        meta = ident.meta
        break
    if meta and "line" in meta:
        return f"（第 {meta['line']} 行第 {meta['col']} 列附近）"
    return ""


def parse(text: str, catalogue: Mapping[str, Feature] = RULE_CATALOGUE) -> Rule:
    """Parse and validate ``text``; raise :class:`RuleError` with a Chinese message if it is not
    a valid rule."""
    source = (text or "").strip()
    if not source:
        raise RuleError("规则不能为空。")
    if len(source) > MAX_LENGTH:
        raise RuleError(f"规则过长（{len(source)} 个字符，最多 {MAX_LENGTH}）。")
    if _nesting(source) > MAX_DEPTH:
        raise RuleError(f"规则的括号嵌套过深（最多 {MAX_DEPTH} 层）：请拆成更简单的条件。")
    try:
        statements = [s for s in sqlglot.parse(source, read="duckdb") if s is not None]
    except RecursionError as err:
        raise RuleError(f"规则嵌套过深（最多 {MAX_DEPTH} 层）：请拆成更简单的条件。") from err
    except sqlglot.errors.ParseError as err:
        detail = err.errors[0] if err.errors else {}
        place = f"（第 {detail.get('line')} 行第 {detail.get('col')} 列附近）" if detail.get("line") else ""
        raise RuleError(f"规则无法解析{place}：请检查括号、引号和运算符。") from err
    except sqlglot.errors.TokenError as err:
        raise RuleError("规则无法解析：有未闭合的引号或无法识别的符号。") from err
    if len(statements) != 1:
        raise RuleError("规则只能是一个条件表达式，不能包含多条语句（分号）。")
    tree = statements[0]
    assert isinstance(tree, exp.Expression)
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command | exp.Drop | exp.Create | exp.Alter):
        raise RuleError(f"不允许的语句：{tree.key.upper()}。规则只能是条件表达式，例如 revenue_avg_3 < 1000。")
    if _tree_depth(tree) > MAX_DEPTH * 4:
        raise RuleError(f"规则嵌套过深（最多 {MAX_DEPTH} 层）：请拆成更简单的条件。")
    kind = _check(tree, catalogue)
    if kind != "bool":
        raise RuleError("规则的结果必须是“是/否”条件，例如 decline_streak >= 3，而不是一个数值或文字。")
    return Rule(text=source, tree=tree)


def _nesting(source: str) -> int:
    """The deepest nesting of parentheses outside quoted text."""
    depth = deepest = 0
    quote = ""
    for ch in source:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def _tree_depth(node: exp.Expression) -> int:
    """How deep the parsed rule is (long chains of and/or/+ nest as deep as parentheses)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in current.iter_expressions())
    return deepest


def _feature_type(feature: Feature) -> Type:
    return "text" if feature.kind == "text" else "number"


def _check(node: exp.Expression | None, catalogue: Mapping[str, Feature]) -> Type:
    if node is None:  # the parser left an operand out (e.g. a function called without its argument)
        raise RuleError("规则不完整：有运算符或函数缺少操作数，请检查括号和运算符两边。")
    if isinstance(node, exp.Paren):
        return _check(node.this, catalogue)
    if isinstance(node, exp.Column):
        if node.table:
            raise RuleError(f"不支持带表名的字段“{node.sql()}”{_where(node)}：请直接写特征名。")
        name = node.name
        if name not in catalogue:
            close = difflib.get_close_matches(name, list(catalogue), n=1)
            hint = f"，您是否想写“{close[0]}”？" if close else "。可用的特征见特征目录。"
            raise RuleError(f"未知的特征“{name}”{_where(node)}{hint}")
        return _feature_type(catalogue[name])
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "text"
        digits = sum(ch.isdigit() for ch in node.this)
        if not PLAIN_NUMBER.match(node.this) or digits > MAX_DIGITS:
            raise RuleError(
                f"数值“{node.this}”{_where(node)}请写成普通的十进制数（例如 100000 或 0.5），"
                f"最多 {MAX_DIGITS} 位数字，不用科学计数法。"
            )
        return "number"
    if isinstance(node, exp.Boolean):
        return "bool"
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.Neg):
        _expect(node.this, "number", catalogue, "负号")
        return "number"
    if isinstance(node, exp.And | exp.Or):
        word = "and" if isinstance(node, exp.And) else "or"
        _expect(node.this, "bool", catalogue, word)
        _expect(node.expression, "bool", catalogue, word)
        return "bool"
    if isinstance(node, exp.Not):
        if isinstance(node.this, exp.Is | exp.In):  # "x is not null", "x not in (...)"
            return _check(node.this, catalogue)
        _expect(node.this, "bool", catalogue, "not")
        return "bool"
    if type(node) in COMPARISONS:
        left, right = _check(node.this, catalogue), _check(node.expression, catalogue)
        if "null" in (left, right):
            raise RuleError(f"与空值比较请用 is null / is not null{_where(node)}。")
        if left != right:
            raise RuleError(
                f"类型不匹配{_where(node)}：不能比较{_type_name(left)}与{_type_name(right)}（“{node.sql()}”）。"
            )
        if left == "text" and not isinstance(node, exp.EQ | exp.NEQ):
            raise RuleError(f"文字只能用 =、!= 或 in 比较{_where(node)}（“{node.sql()}”）。")
        return "bool"
    if type(node) in ARITHMETIC:
        _expect(node.this, "number", catalogue, node.key)
        _expect(node.expression, "number", catalogue, node.key)
        return "number"
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise RuleError(f"in 后面只能是一组常量，不能是子查询{_where(node)}。")
        kind = _check(node.this, catalogue)
        for item in node.expressions:
            if not isinstance(item, exp.Literal | exp.Neg):
                raise RuleError(f"in 后面只能是一组常量，例如 tier in ('A+', 'A'){_where(node)}。")
            if _check(item, catalogue) != kind:
                raise RuleError(
                    f"类型不匹配{_where(node)}：{node.this.sql()} 是{_type_name(kind)}，但列表中有“{item.sql()}”。"
                )
        return "bool"
    if isinstance(node, exp.Between):
        for part in (node.this, node.args["low"], node.args["high"]):
            _expect(part, "number", catalogue, "between")
        return "bool"
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise RuleError(f"is 只能用于 is null / is not null{_where(node)}。")
        _check(node.this, catalogue)
        return "bool"
    if isinstance(node, exp.Abs):
        _expect(node.this, "number", catalogue, "abs")
        return "number"
    if isinstance(node, exp.Coalesce | exp.Least | exp.Greatest):
        kinds = {_check(a, catalogue) for a in [node.this, *node.expressions]} - {"null"}
        if len(kinds) != 1:
            raise RuleError(f"{node.key} 的参数类型必须一致{_where(node)}。")
        return kinds.pop()
    if isinstance(node, exp.Subquery | exp.Select | exp.Exists):
        raise RuleError(f"规则中不允许子查询{_where(node)}。")
    if isinstance(node, exp.Func):
        name = node.sql_name() if not isinstance(node, exp.Anonymous) else str(node.this)
        allowed = "、".join(FUNCTIONS.values())
        raise RuleError(f"不允许使用函数“{name.upper()}”{_where(node)}：可用的函数只有 {allowed}。")
    raise RuleError(f"规则中不允许“{node.sql()}”这样的写法{_where(node)}。")


def _expect(node: exp.Expression | None, kind: Type, catalogue: Mapping[str, Feature], where: str) -> None:
    got = _check(node, catalogue)
    assert node is not None  # _check refused a missing operand
    if got != kind:
        raise RuleError(f"“{where}”需要{_type_name(kind)}，但“{node.sql()}”是{_type_name(got)}{_where(node)}。")


def _type_name(kind: Type) -> str:
    return {"bool": "条件", "number": "数值", "text": "文字", "null": "空值"}[kind]


def _compile(node: exp.Expression, t: ir.Table) -> ir.Value:
    if isinstance(node, exp.Paren):
        return _compile(node.this, t)
    if isinstance(node, exp.Column):
        return t[node.name]
    if isinstance(node, exp.Literal):
        return (
            ibis.literal(node.this)
            if node.is_string
            else ibis.literal(float(node.this) if "." in node.this else int(node.this))
        )
    if isinstance(node, exp.Boolean):
        return ibis.literal(bool(node.this))
    if isinstance(node, exp.Null):
        return ibis.null()
    if isinstance(node, exp.Neg):
        return -_compile(node.this, t)  # type: ignore[operator]  # validation has typed the operands; Ibis's stubs see a generic Value
    if isinstance(node, exp.And):
        return _compile(node.this, t) & _compile(node.expression, t)  # type: ignore[operator]  # validation has typed the operands; Ibis's stubs see a generic Value
    if isinstance(node, exp.Or):
        return _compile(node.this, t) | _compile(node.expression, t)  # type: ignore[operator]  # validation has typed the operands; Ibis's stubs see a generic Value
    if isinstance(node, exp.Not):
        return ~_compile(node.this, t)  # type: ignore[operator]  # validation has typed the operands; Ibis's stubs see a generic Value
    if type(node) in COMPARISONS:
        return COMPARISONS[type(node)](_compile(node.this, t), _compile(node.expression, t))
    if (constant := _constant(node)) is not None:
        return ibis.literal(constant if math.isfinite(constant) else None, type="float64")
    if type(node) in ARITHMETIC:
        # In double precision: integer columns and literals multiplied in their own width overflow
        # (DuckDB refuses 5453 * 393817 in INT32) and would stop the month run.
        left, right = (_compile(side, t).cast("float64") for side in (node.this, node.expression))  # type: ignore[attr-defined]  # validation has typed the operands; Ibis's stubs see a generic Value
        return ARITHMETIC[type(node)](left, right)
    if isinstance(node, exp.In):
        return _compile(node.this, t).isin([_literal_value(i) for i in node.expressions])
    if isinstance(node, exp.Between):
        return _compile(node.this, t).between(_compile(node.args["low"], t), _compile(node.args["high"], t))  # type: ignore[attr-defined]  # validation has typed the operands; Ibis's stubs see a generic Value
    if isinstance(node, exp.Is):
        return _compile(node.this, t).isnull()
    if isinstance(node, exp.Abs):
        return _compile(node.this, t).abs()  # type: ignore[attr-defined]  # validation has typed the operands; Ibis's stubs see a generic Value
    if isinstance(node, exp.Coalesce):
        return ibis.coalesce(*[_compile(a, t) for a in [node.this, *node.expressions]])
    if isinstance(node, exp.Least):
        return ibis.least(*[_compile(a, t) for a in [node.this, *node.expressions]])
    if isinstance(node, exp.Greatest):
        return ibis.greatest(*[_compile(a, t) for a in [node.this, *node.expressions]])
    raise RuleError(f"无法编译“{node.sql()}”。")  # unreachable after validation


def _constant(node: exp.Expression) -> float | None:
    """The value of arithmetic on numbers alone, computed here in double precision (a database
    would compute it in the literals' own integer or decimal width and overflow); None when the
    expression reads a feature or is not arithmetic. Division by zero gives NaN (no value)."""
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Literal) and not node.is_string:
        return None  # a plain number compiles as itself (exact for comparisons)
    if isinstance(node, exp.Neg):
        inner = _number(node.this)
        return None if inner is None else -inner
    if type(node) in ARITHMETIC:
        left, right = _number(node.this), _number(node.expression)
        if left is None or right is None:
            return None
        if isinstance(node, exp.Div):
            return left / right if right else math.nan
        return float(ARITHMETIC[type(node)](left, right))  # type: ignore[arg-type]  # plain floats here, not Ibis values
    if isinstance(node, exp.Abs):
        inner = _number(node.this)
        return None if inner is None else abs(inner)
    return None


def _number(node: exp.Expression) -> float | None:
    """A constant numeric expression's value (a literal included), or None."""
    if isinstance(node, exp.Paren):
        return _number(node.this)
    if isinstance(node, exp.Literal) and not node.is_string:
        return float(node.this)
    return _constant(node)


def _literal_value(node: exp.Expression) -> object:
    if isinstance(node, exp.Neg):
        return -float(node.this.this)
    return node.this if node.is_string else float(node.this)  # type: ignore[attr-defined]  # validation has typed the operands; Ibis's stubs see a generic Value
