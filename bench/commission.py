"""How long the commission engine takes for a large partner: N deals under a handful of rules,
one month, and the month with a year of approved months recomputed for adjustments (what
``settle`` does per partner). Prints figures; not a test.

    .venv/bin/python bench/commission.py [--deals 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from zhengqi.partners.commission import Book, Deal, Partner, Rule, Tier, add_months, month_lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(7)
    first = dt.date(2025, 1, 1)
    rules = [
        Rule(1, "SALE", 1, first, "sales", "subscription", None, "rate", Decimal("0.08"), 12, (), "all", 6),
        Rule(
            2, "NEW", 1, first, "sales", "subscription", None, "fixed", Decimal("200"), 1, (Tier(50, Decimal("300")),)
        ),
        Rule(3, "SVC", 1, first, "service", "subscription", None, "rate", Decimal("0.03")),
        Rule(4, "CLOUD", 1, first, "sales", "subscription", 3, "rate", Decimal("0.12"), 12, (), "marginal", 6),
    ]
    deals = []
    for k in range(args.deals):
        start = add_months(first, rng.randrange(24)) + dt.timedelta(days=rng.randrange(28))
        end = start + dt.timedelta(days=rng.randrange(30, 900)) if rng.random() < 0.2 else None
        deals.append(
            Deal(
                k,
                rng.choice(["sales", "service"]),
                "subscription",
                frozenset({rng.randrange(8)}),
                start,
                end,
                Decimal(rng.randrange(5000, 500000)) / 100,
            )
        )
    partner = Partner(1, first, dt.date(2027, 12, 31))
    book = Book(rules)
    month = dt.date(2026, 10, 1)
    t = time.perf_counter()
    lines = month_lines(partner, deals, book, month)
    one = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(1, 13):
        month_lines(partner, deals, book, add_months(month, -k))
    year = time.perf_counter() - t
    print(f"deals: {len(deals):,}; lines in {month:%Y-%m}: {len(lines):,}; total {sum(x.amount for x in lines):,.2f}")
    print(f"one month (with clawbacks): {one:.2f} s")
    print(f"twelve approved months recomputed for adjustments: {year:.2f} s")


if __name__ == "__main__":
    main()
