"""Rows as JSON written by DuckDB (``engine.json_rows``): the same objects Python would write."""

from __future__ import annotations

import json

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengqi.engine.json_rows import json_rows

floats = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))
texts = st.one_of(st.none(), st.text(max_size=8))
rows = st.lists(
    st.tuples(floats, st.one_of(st.none(), st.integers(-(2**53), 2**53)), texts, floats, floats),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows=rows)
def test_each_row_is_its_object_and_optional_columns_only_where_set(
    rows: list[tuple[float | None, int | None, str | None, float | None, float | None]],
) -> None:
    codes = [f"C{i:03d}" for i in range(len(rows))]
    table = pa.table(
        {
            "customer_code": codes,
            "month_idx": list(range(len(rows))),
            "money": pa.array([r[0] for r in rows], pa.float64()),
            "count": pa.array([r[1] for r in rows], pa.int64()),
            "name": pa.array([r[2] for r in rows], pa.string()),
            "lost": pa.array([r[3] for r in rows], pa.float64()),
            "share": pa.array([r[4] for r in rows], pa.float64()),
        }
    )
    out = json_rows(table, key="customer_code", leave_out=("month_idx",), only_if_set=("lost", "share"))
    assert sorted(out) == codes
    for code, (money, count, name, lost, share) in zip(codes, rows, strict=True):
        expected: dict[str, object] = {"money": money, "count": count, "name": name}
        if lost is not None or share is not None:
            expected |= {"lost": lost, "share": share}
        got = json.loads(out[code])
        assert list(got) == list(expected)  # the columns' order, and the optional ones only where set
        assert got == expected  # numbers exactly: DuckDB writes the shortest text that reads back the same
