"""The demo province's partner channel: partners of the three kinds, the ``partner`` login linked
to one of them, commission rules, deals attributed (two of them disputed), and the last three
months settled, the first two approved."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Product, Subscription
from zhengqi.engine.months import add_months

from .models import Attribution, CommissionRule, Partner, PartnerAccount, Statement, StatementLine
from .settlement import approve, settle

RULES = [
    # code, name, role, deal type, method, value, pay months, tiers, clawback months
    ("SALE-STD", "标准销售酬金", "sales", "subscription", "rate", "0.08", 12, [], 6),
    ("SALE-NEW", "新装达量奖励", "sales", "subscription", "fixed", "200", 1, [{"start": 5, "value": "300"}], 0),
    ("SVC-STD", "标准服务酬金", "service", "subscription", "rate", "0.03", None, [], 0),
    ("OPP-WIN", "项目签约酬金", "sales", "opportunity", "rate", "0.10", 1, [], 0),
]


def wipe() -> None:
    StatementLine.objects.all().delete()
    Statement.objects.all().delete()
    Attribution.objects.all().delete()
    PartnerAccount.objects.all().delete()
    Partner.objects.all().delete()
    CommissionRule.objects.all().delete()


def load(last_month: dt.date) -> None:
    """Partners and their deals over the demo's data, settled up to ``last_month``."""
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    cities = list(Region.objects.filter(level=Region.Level.CITY).order_by("path")[:2])
    province = Region.objects.filter(level=Region.Level.PROVINCE).first()
    if admin is None or province is None or not cities:
        return
    products = list(Product.objects.order_by("code"))
    start, end = add_months(last_month, -23), add_months(last_month, 14)
    specs = [
        ("DL001", "粤信通信息技术有限公司", cities[0], (True, False, False), products[::2]),
        ("DL002", "南方政企服务有限公司", province, (False, True, False), products),
        ("DL003", "智云系统集成有限公司", cities[0], (True, True, True), products),
        ("DL004", "海滨营销策划有限公司", cities[-1], (True, False, False), products[1::2]),
    ]
    with transaction.atomic():
        partners = []
        for code, name, region, (m, s, x), allowed in specs:
            p = Partner.objects.create(
                code=code,
                name=name,
                region=region,
                is_marketing=m,
                is_service=s,
                is_solution=x,
                qualifications="增值电信业务经营许可证\n信息系统集成资质",
                contract_start=start,
                contract_end=end,
                contact_name="王经理",
                contact_phone="020-8888" + code[-4:],
            )
            p.products.set(allowed)
            partners.append(p)
        login = User.objects.filter(username="partner").first()
        if login is not None:
            PartnerAccount.objects.create(user=login, partner=partners[2])
        for code, name, role, deal_type, method, value, months, tiers, clawback in RULES:
            CommissionRule.objects.create(
                code=code,
                version=1,
                name=name,
                effective_from=start,
                role=role,
                deal_type=deal_type,
                method=method,
                value=value,
                pay_months=months,
                tiers=tiers,
                clawback_months=clawback,
                note="演示数据",
                created_by=admin,
            )
        _attribute(partners, since=add_months(last_month, -11), until=add_months(last_month, 1))
    today = add_months(last_month, 1)
    for k, month in enumerate((add_months(last_month, -2), add_months(last_month, -1), last_month)):
        settle(month, today=today)
        if k < 2:
            for statement in Statement.objects.filter(month=month).select_related("partner"):
                approve(by=admin, pk=statement.pk, expected_total=statement.total)


def _attribute(partners: list[Partner], *, since: dt.date, until: dt.date) -> None:
    """Every fourth recent subscription in a partner's region goes to it (sales), every fifth to the
    service agent (service); two deals are claimed by a second partner too and wait for a decision."""
    allowed = {p.pk: set(p.products.values_list("pk", flat=True)) for p in partners}
    subs = list(
        Subscription.objects.filter(start__gte=since, start__lt=until)
        .select_related("customer__region")
        .order_by("start", "pk")
    )
    rows: list[Attribution] = []
    disputed = 0
    for k, sub in enumerate(subs):
        path = sub.customer.region.path
        sellers = [
            p
            for p in partners
            if p.may_earn("sales") and path.startswith(p.region.path) and sub.product_id in allowed[p.pk]
        ]
        if k % 4 == 0 and sellers:
            seller = sellers[k // 4 % len(sellers)]
            status = Attribution.Status.CONFIRMED
            if disputed < 2 and len(sellers) > 1 and k % 8 == 0:
                status = Attribution.Status.DISPUTED
                rival = next(p for p in sellers if p != seller)
                rows.append(_claim(rival, "sales", sub, status))
                disputed += 1
            rows.append(_claim(seller, "sales", sub, status))
        servers = [
            p
            for p in partners
            if p.may_earn("service") and path.startswith(p.region.path) and sub.product_id in allowed[p.pk]
        ]
        if k % 5 == 0 and servers:
            rows.append(_claim(servers[k // 5 % len(servers)], "service", sub, Attribution.Status.CONFIRMED))
    Attribution.objects.bulk_create(rows)


def _claim(partner: Partner, role: str, sub: Subscription, status: str) -> Attribution:
    return Attribution(
        partner=partner,
        role=role,
        customer_id=sub.customer_id,
        subscription=sub,
        status=status,
        source=Attribution.Source.DEMO,
        note="演示数据",
    )
