"""The demo province's service by tier: six months of visits by each account manager, mostly on
their customers' tier cycle, some late (so that the workbench has visits due and the dashboard
shows a gap between promised and delivered), and a few tier moves of the past."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhengqi.customers.models import Customer
from zhengqi.support.models import TierService
from zhengqi.support.tiers import record_tier_moves

from .models import Interaction

SUMMARIES = [
    "例行拜访，了解近期用网情况",
    "年度服务回顾，确认明年需求",
    "上门走访关键人，介绍新产品",
    "陪同网络健康检查",
]


def load(now: dt.datetime | None = None) -> None:
    today = timezone.localdate(now or timezone.now())
    every = dict(TierService.objects.values_list("tier", "visit_days"))
    customers = list(
        Customer.objects.filter(status=Customer.Status.ACTIVE, account_manager__isnull=False)
        .order_by("code")
        .values_list("pk", "tier", "account_manager_id")
    )
    rng = np.random.default_rng(23)
    visits: list[Interaction] = []
    for pk, tier, manager in customers:
        cycle = every.get(tier)
        if cycle is None:
            continue
        diligence = rng.choice([0.8, 1.0, 1.3, 2.0], p=[0.3, 0.35, 0.2, 0.15])  # a gap ×, some managers late
        day = today - dt.timedelta(days=int(rng.integers(0, cycle)) + 180)
        while day <= today:
            visits.append(
                Interaction(
                    customer_id=pk,
                    by_id=manager,
                    kind=Interaction.Kind.VISIT,
                    date=day,
                    summary=SUMMARIES[len(visits) % len(SUMMARIES)],
                )
            )
            day += dt.timedelta(days=max(1, int(cycle * diligence * rng.uniform(0.7, 1.1))))
    with transaction.atomic():
        Interaction.objects.bulk_create(visits, batch_size=2000)
        # Tier moves of the past: a few customers moved up two months ago.
        picked = [c for c in customers if c[1] in ("A", "B")][:3]
        record_tier_moves(
            [(pk, "B" if tier == "A" else "C", tier) for pk, tier, _m in picked], today=today - dt.timedelta(days=60)
        )
