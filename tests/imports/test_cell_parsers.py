"""The importer's number cells: whatever a file holds, an amount, a count or a quantity is read as a
value its column can hold or the row is reported with a Chinese reason — never an exception that
fails the whole import (a huge amount made ``quantize`` raise; "1e400" read as infinity; a count
past the column's integer overflowed the database)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from zhengqi.imports.schemas import COUNT_MAX, MONEY_BOUND, CellError, Lookups, count, money, quantity

CJK = re.compile(r"[\u4e00-\u9fff]")
cells = st.one_of(
    st.text(max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**40), 10**40).map(str),
    st.floats().map(str),
)


@given(raw=cells)
@example("1e30")
@example("999999999999.995")
@example("1e400")
@example("99999999999999999999")
def test_a_number_cell_is_a_value_its_column_holds_or_a_reason(raw: str) -> None:
    for parse, ok in (
        (money, lambda v: isinstance(v, Decimal) and 0 <= v < MONEY_BOUND and v == v.quantize(Decimal("0.01"))),
        (count, lambda v: isinstance(v, int) and 0 <= v <= COUNT_MAX),
        (quantity, lambda v: isinstance(v, float) and math.isfinite(v) and v >= 0),
    ):
        try:
            value = parse(raw, Lookups())
        except CellError as err:
            assert CJK.search(str(err)), str(err)
        else:
            assert ok(value), (parse.__name__, raw, value)


def test_amounts_as_files_write_them() -> None:
    assert money("１，２００．５元", Lookups()) == Decimal("1200.50")
    assert money("¥3,999", Lookups()) == Decimal("3999.00")
    assert money("0.005", Lookups()) == Decimal("0.01")  # 四舍五入
