"""Crafted partners, deals and rules on the tiny province, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer, Product, Subscription
from zhengqi.partners.models import Attribution, CommissionRule, Partner, PartnerAccount
from zhengqi.partners.partners import PartnerInput, attribute, partner_save
from zhengqi.partners.settlement import RuleInput, rule_save


def make_partner(admin: User, code: str, *, region: Region | None = None, **kw: Any) -> Partner:
    region = region or Region.objects.get(level="province")
    data = PartnerInput(
        code=code,
        name=kw.pop("name", f"{code} 信息技术有限公司"),
        region_code=region.code,
        contract_start=kw.pop("contract_start", dt.date(2025, 1, 1)),
        contract_end=kw.pop("contract_end", dt.date(2027, 12, 31)),
        is_marketing=kw.pop("is_marketing", True),
        is_service=kw.pop("is_service", True),
        product_codes=kw.pop("product_codes", list(Product.objects.values_list("code", flat=True))),
        **kw,
    )
    return partner_save(by=admin, data=data)


def login_for(partner: Partner, username: str) -> User:
    user = User.objects.create_user(username=username, password="x", role=User.Role.PARTNER, region=partner.region)
    PartnerAccount.objects.create(user=user, partner=partner)
    return user


def subscription(
    customer: Customer, fee: str, start: dt.date, end: dt.date | None = None, *, k: int = 0
) -> Subscription:
    product = Product.objects.order_by("code")[k]
    return Subscription.objects.create(
        customer=customer,
        product=product,
        start=start,
        end=end,
        monthly_fee=Decimal(fee),
        status="cancelled" if end else "active",
    )


def claim(admin: User, partner: Partner, sub: Subscription, role: str = "sales") -> Attribution:
    return attribute(by=admin, partner_id=partner.pk, role=role, subscription_id=sub.pk)


def make_rule(admin: User, code: str, **kw: Any) -> CommissionRule:
    data = RuleInput(
        code=code,
        name=kw.pop("name", code),
        effective_from=kw.pop("effective_from", dt.date(2025, 1, 1)),
        role=kw.pop("role", "sales"),
        method=kw.pop("method", "rate"),
        value=kw.pop("value", "0.08"),
        **kw,
    )
    return rule_save(by=admin, data=data)
