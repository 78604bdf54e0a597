"""The demo province's terminals and tariffs: a catalogue of terminals and of our plans, the
competitors' plans collected from the demo's competitor events, and bundles offered to some of
those events' customers (so that the risk's tariff dimension compares real tariffs for them)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from zhengqi.accounts.models import User

from .models import Bundle, CompetitorEvent, TariffPlan, Terminal
from .tariffs import bundle_decide

TERMINALS = [
    ("政企版 5G 手机 A1", Terminal.Kind.PHONE, "2399"),
    ("政企版 5G 手机 B2", Terminal.Kind.PHONE, "1599"),
    ("企业 5G CPE 网关", Terminal.Kind.GATEWAY, "899"),
    ("物联网通信模组 M3", Terminal.Kind.MODULE, "129"),
    ("行业平板 P10", Terminal.Kind.PAD, "1899"),
]
OURS = [("集团畅享 59", "59", "30", 500), ("集团畅享 89", "89", "60", 1000), ("集团商务 129", "129", "100", 2000)]
THEIRS = [("政企融合 49", "49", "30", 500), ("集团优享 79", "79", "60", 800), ("商务尊享 99", "99", "100", 1500)]

ANSWERS: list[tuple[str, str] | None] = [
    (Bundle.Status.WON, ""),
    (Bundle.Status.LOST, "对手资费更低，客户暂不更换"),
    None,
]


def wipe() -> None:
    Bundle.objects.all().delete()
    TariffPlan.objects.all().delete()
    Terminal.objects.all().delete()


def load() -> None:
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    with transaction.atomic():
        made = [
            Terminal.objects.get_or_create(name=n, defaults={"kind": k, "price": Decimal(p)})[0]
            for n, k, p in TERMINALS
        ]
        ours = []
        for n, f, g, m in OURS:
            fields = {"monthly_fee": Decimal(f), "data_gb": Decimal(g), "minutes": m, "created_by": admin}
            ours.append(TariffPlan.objects.get_or_create(name=n, operator="", defaults=fields)[0])
        events = CompetitorEvent.objects.order_by("date", "pk")  # each move came with the plan it offered
        for k, event in enumerate(events):
            name, fee, gb, minutes = THEIRS[k % len(THEIRS)]
            theirs = TariffPlan.objects.create(
                name=name, operator=event.operator, monthly_fee=Decimal(fee), data_gb=Decimal(gb), minutes=minutes,
                event=event, created_by=event.created_by,
            )  # fmt: skip
            customer = event.customers.filter(status="active").order_by("code").first()
            if customer is None:
                continue
            bundle = Bundle.objects.create(
                customer=customer, tariff=ours[k % len(ours)], lines=10 * (k + 1), terminal=made[k % len(made)],
                terminals=5 * (k + 1), months=24, competitor_tariff=theirs, created_by=customer.account_manager,
            )  # fmt: skip
            answer = ANSWERS[k % len(ANSWERS)]  # some answered (a signed one signs a deal), some still open
            if answer is not None and customer.account_manager is not None:
                outcome, reason = answer
                bundle_decide(by=customer.account_manager, bundle=bundle, outcome=outcome, reason=reason)
