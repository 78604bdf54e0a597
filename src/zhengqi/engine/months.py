"""Months, the grain of nearly every figure in Zhengqi: one home for parsing "2026-10", adding
and counting months, a month's first and last day, and ranges. Stored months stay ``datetime.date``
(the first of the month) in the database and the lake; ``Month`` is how code reasons about them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

_FORMATS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),  # 2026-10, 2026/10, 2026.10
    re.compile(r"^(\d{4})(\d{2})$"),  # 202610
    re.compile(r"^(\d{4})年(\d{1,2})月$"),  # 2026年10月
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),  # a day of the month
)


class MonthError(ValueError):
    """A month that cannot be read; the message is the user's (Chinese)."""


@dataclass(frozen=True, order=True, slots=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise MonthError(f"月份不存在：{self.year}-{self.month}。")

    @classmethod
    def parse(cls, raw: str) -> Month:
        """2026-10, 2026/10, 202610, 2026年10月, or a date in that month (2026-10-01)."""
        value = (raw or "").strip()
        for pattern in _FORMATS:
            m = pattern.match(value)
            if m is None:
                continue
            try:
                if m.lastindex == 3:
                    dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))  # a real day
                return cls(int(m.group(1)), int(m.group(2)))
            except ValueError:
                break
        raise MonthError(f"月份格式应为 YYYY-MM，例如 2026-10，而不是“{value}”。")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month a day falls in."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months differ by one (the lake's month_idx)."""
        return self.year * 12 + self.month - 1

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return (self + 1).first - dt.timedelta(days=1)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, months: int) -> Month:
        return Month.from_index(self.index - months)

    def since(self, other: Month) -> int:
        """Whole months from ``other`` to this month (0 for the same month)."""
        return self.index - other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_range(start: Month, stop: Month) -> Iterator[Month]:
    """The months from ``start`` to ``stop``, both included."""
    for index in range(start.index, stop.index + 1):
        yield Month.from_index(index)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    return (Month.of(day) + months).first


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return Month.of(day).last


def month_start(day: dt.date) -> dt.date:
    return Month.of(day).first
