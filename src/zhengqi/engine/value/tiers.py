"""The value tiers (价值等级), best first: one home for their names and order, read by the value
model, the customer records, the pages and the reports."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    A_PLUS = "A+"
    A = "A"
    B = "B"
    C = "C"


TIERS: tuple[str, ...] = tuple(t.value for t in Tier)  # ("A+", "A", "B", "C")
TIER_ORDER: dict[str, int] = {t: i for i, t in enumerate(TIERS)}
VIP_TIERS: tuple[str, ...] = (Tier.A_PLUS.value, Tier.A.value)  # the key customers of seed 000
UNTIERED = ""  # a customer not yet scored
