"""Write a generated province to the web database and the lake."""

from __future__ import annotations

import datetime as dt
import shutil
import zlib
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pyarrow as pa
from django.contrib.auth.hashers import make_password
from django.db import transaction

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import (
    AccountAssignment,
    Contract,
    Customer,
    CustomerMonth,
    KeyPerson,
    KeyPersonRole,
    Product,
    Subscription,
)
from zhengqi.customers.versions import data_changed
from zhengqi.db import refresh_statistics
from zhengqi.engine.lake import Lake
from zhengqi.engine.sources import DIMENSIONS
from zhengqi.engine.staging.hierarchy import closure
from zhengqi.insight.models import Target
from zhengqi.marketing.models import Campaign
from zhengqi.scoring.models import MonthRun

from .province import DEFAULT_END, NEVER, PRODUCTS, Province, generate, month_at

# The published demo login (README); bandit and ruff are told so.
DEMO_PASSWORD = "Zhengqi@2026"  # noqa: S105  # nosec B105
BATCH = 5000

# Lake facts copied to the web database's CustomerMonth, in this order.
MONEY_FACTS = ("revenue_total", "revenue_info", "revenue_data", "revenue_line", "arrears")
COUNT_FACTS = (
    "voice_minutes",
    "sms_count",
    "vnet_calls",
    "complaints",
    "cancellations",
    "competitor_calls",
    "members_active",
    "members_joined",
    "members_left",
    "members_returned",
    "members_vnet",
    "members_idle",
)


class DemoDataExists(Exception):
    pass


def has_data() -> bool:
    return Customer.objects.exists() or Region.objects.exists()


def wipe(lake: Lake) -> None:
    """Remove customers (with their snapshots, alerts, tasks), staff (but superusers), regions, the
    month-run records, and the lake's facts, results and churn models: a replaced province starts with no runs, so
    ``run-month --if-missing`` runs its months again. Rules and value-model versions are kept."""
    from zhengqi.competition import demo as competition_demo
    from zhengqi.competition import tariff_demo
    from zhengqi.customers import demo as records_demo
    from zhengqi.insight import talent_demo
    from zhengqi.marketing import referral_demo
    from zhengqi.marketing.kit import demo as kit_demo
    from zhengqi.partners import demo as channel_demo
    from zhengqi.support import demo as service_demo

    with transaction.atomic():
        records_demo.wipe()
        channel_demo.wipe()
        tariff_demo.wipe()
        competition_demo.wipe()
        service_demo.wipe()
        kit_demo.wipe()
        referral_demo.wipe()
        talent_demo.wipe()
        Campaign.objects.all().delete()  # the province's campaigns go with its customers
        MonthRun.objects.all().delete()
        CustomerMonth.objects.all().delete()
        Contract.objects.all().delete()
        Subscription.objects.all().delete()
        KeyPerson.objects.all().delete()
        AccountAssignment.objects.all().delete()
        Customer.objects.update(parent=None)
        Customer.objects.all().delete()
        Product.objects.all().delete()
        User.objects.filter(is_superuser=False).delete()
        User.objects.update(region=None)
        for level in ("district", "city", "province"):
            Region.objects.filter(level=level).delete()
    _clear_lake(lake)


def _clear_lake(lake: Lake) -> None:
    for name in ("members", "member_month", "customer_month", "results", "models", *DIMENSIONS):
        shutil.rmtree(lake.table_path(name), ignore_errors=True)


def build(
    *,
    size: str,
    seed: int,
    lake: Lake,
    end: dt.date | None = None,
    replace: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> Province:
    """Generate the province and write it. Refuses to write over existing data unless ``replace``."""
    if has_data():
        if not replace:
            raise DemoDataExists
        wipe(lake)
    n_months = 24
    step = (lambda done: progress("生成成员月度数据", done, n_months)) if progress else None
    counter = {"done": 0}

    def advance(k: int) -> None:
        counter["done"] += k
        if step:
            step(counter["done"])

    province = generate(
        size,
        seed,
        end=end or DEFAULT_END,
        on_member_month=lambda month, table: lake.write_month("member_month", month, table),
        on_members=lambda table: lake.write_table("members", table),
        progress=advance,
    )
    write_customer_month(province, lake)
    load_web(province, progress=progress)
    if size != "tiny":  # the test suite's province starts with no requests waiting
        from zhengqi.customers import demo as records_demo

        records_demo.load()
        from zhengqi.marketing import tier_demo

        tier_demo.load()  # visits on the tiers' cycles (the tests' province: each test makes its own)
        from zhengqi.insight import talent_demo

        talent_demo.load()  # courses, results and certificates (ratings: after the month runs)
    data_changed()  # a replaced province: nothing cached of the old one may show
    return province


def write_customer_month(province: Province, lake: Lake) -> None:
    codes = province.customers["code"]
    for t, month in enumerate(province.months):
        alive = province.alive[:, t]
        columns: dict[str, object] = {
            "month": pa.array(np.full(alive.sum(), np.datetime64(month, "D")), type=pa.date32()),
            "customer_code": pa.array(codes[alive]),
        }
        for name in (*MONEY_FACTS, "data_gb", *COUNT_FACTS):
            columns[name] = province.facts[name][alive, t]
        lake.write_month("customer_month", month, pa.table(columns))


def write_dimensions(province: Province, lake: Lake) -> None:
    """The ``dim_*`` tables straight from the generator, for a lake with no web database (the
    ×10 benchmark). Same schema as ``zhengqi.scoring.export.export_dimensions``."""
    c = province.customers
    codes = [str(x) for x in c["code"]]
    districts = {r[0] for r in province.regions if r[2] == "district"}
    assert set(c["region"]) <= districts
    lake.write_table(
        "dim_customers",
        pa.table(
            {
                "customer_code": codes,
                "customer_type": c["customer_type"].tolist(),
                "industry": c["industry"].tolist(),
                "scale": c["scale"].tolist(),
                "status": c["status"].tolist(),
                "competitor_operator": c["competitor_operator"].tolist(),
                "region_code": c["region"].tolist(),
            }
        ),
    )
    parent = {codes[i]: (codes[p] if p >= 0 else None) for i, p in enumerate(c["parent"])}
    ancestors, descendants = closure(parent)
    lake.write_table("dim_hierarchy", pa.table({"ancestor_code": ancestors, "customer_code": descendants}))
    s, months = province.subscriptions, province.months
    lake.write_table(
        "dim_subscriptions",
        pa.table(
            {
                "customer_code": [codes[i] for i in s["customer"]],
                "product_code": [PRODUCTS[p][0] for p in s["product"]],
                "start": pa.array([month_at(months, int(x)) for x in s["start"]], type=pa.date32()),
                "end": pa.array(
                    [None if x == NEVER else month_at(months, int(x) + 1) - dt.timedelta(days=1) for x in s["end"]],
                    type=pa.date32(),
                ),
            }
        ),
    )
    lake.write_table(
        "dim_contracts",
        pa.table(
            {
                "customer_code": [codes[k.customer] for k in province.contracts],
                "start": pa.array([k.start for k in province.contracts], type=pa.date32()),
                "end": pa.array([k.end for k in province.contracts], type=pa.date32()),
            }
        ),
    )


def build_lake_only(
    *, size: str, seed: int, lake: Lake, progress: Callable[[str, int, int], None] | None = None
) -> Province:
    """Generate into the lake alone (facts, members and dimensions): no web database."""
    _clear_lake(lake)
    done = {"n": 0}

    def advance(k: int) -> None:
        done["n"] += k
        if progress:
            progress("生成成员月度数据", done["n"], 24)

    province = generate(
        size,
        seed,
        on_member_month=lambda month, table: lake.write_month("member_month", month, table),
        on_members=lambda table: lake.write_table("members", table),
        progress=advance,
        with_people=False,
    )
    write_customer_month(province, lake)
    write_dimensions(province, lake)
    return province


def demo_targets(province: Province, regions: dict[str, Region]) -> list[Target]:
    """Each district's annual targets for informatization and dedicated-line revenue: last year's
    actual plus a growth of 6–16% that differs by district (stable: from the district's code), or,
    for the first full year, that year's own actual plus 0–6%. A year the data only begins does
    not get one."""
    years = sorted({m.year for m in province.months})
    out = []
    for metric in ("revenue_info", "revenue_line"):
        facts = province.facts[metric] * province.alive
        for code in np.unique(province.customers["region"]):
            rows = province.customers["region"] == code
            by_year = {y: [t for t, m in enumerate(province.months) if m.year == y] for y in years}
            spin = zlib.crc32(f"{code}{metric}".encode()) % 1000 / 1000
            for y in years:
                if len(by_year.get(y - 1, [])) == 12:
                    base, growth = facts[rows][:, by_year[y - 1]].sum(), 0.06 + 0.10 * spin
                elif len(by_year[y]) == 12:
                    base, growth = facts[rows][:, by_year[y]].sum(), 0.06 * spin
                else:
                    continue
                amount = _money(round(base * (1 + growth), -3))
                out.append(Target(region=regions[str(code)], year=y, metric=metric, amount=amount))
    return out


def _money(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


@transaction.atomic
def load_web(province: Province, progress: Callable[[str, int, int], None] | None = None) -> None:
    def report(stage: str, done: int, total: int) -> None:
        if progress:
            progress(stage, done, total)

    # Regions, parents first; the path is set here because bulk_create skips save().
    by_code: dict[str, Region] = {}
    for code, name, level, parent in province.regions:
        p = by_code.get(parent) if parent else None
        by_code[code] = Region(code=code, name=name, level=level, parent=p, path=(p.path if p else "/") + f"{code}/")
    for level in ("province", "city", "district"):
        Region.objects.bulk_create([r for r in by_code.values() if r.level == level])
    Target.objects.bulk_create(demo_targets(province, by_code))

    password = make_password(DEMO_PASSWORD)
    users = [
        User(
            username=s.username,
            display_name=s.name,
            email=f"{s.username}@zhengqi.example",  # a reserved domain: the demo's mail goes nowhere real
            role=s.role,
            region=by_code[s.region],
            grade=s.grade,
            password=password,
            is_staff=s.role == "provincial_admin",
            is_superuser=False,
        )
        for s in province.staff
    ]
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__in=[s.username for s in province.staff]))
    user_of = {u.username: u for u in users}
    staff_users = [user_of[s.username] for s in province.staff]

    products = Product.objects.bulk_create(
        [
            Product(code=code, name=name, category=cat, complexity=cx, is_informatization=info, list_price=price)
            for code, name, cat, cx, info, price in PRODUCTS
        ]
    )

    c = province.customers
    n = len(c["code"])
    objs = [
        Customer(
            code=c["code"][i],
            name=c["name"][i],
            credit_code=c["credit_code"][i],
            customer_type=c["customer_type"][i],
            industry=c["industry"][i],
            scale=c["scale"][i],
            region=by_code[str(c["region"][i])],
            address=c["address"][i],
            status=c["status"][i],
            competitor_operator=c["competitor_operator"][i],
            account_manager=staff_users[c["manager"][i]] if c["manager"][i] >= 0 else None,
            tier=c["tier"][i],
            source=Customer.Source.DEMO,
            source_batch="demo",
        )
        for i in range(n)
    ]
    Customer.objects.bulk_create(objs, batch_size=BATCH)
    ids = dict(Customer.objects.values_list("code", "pk"))
    cid = np.array([ids[code] for code in c["code"]])
    report("写入客户", n, n)
    with_parent = [
        Customer(pk=int(cid[i]), parent_id=int(cid[c["parent"][i]])) for i in np.flatnonzero(c["parent"] >= 0)
    ]
    Customer.objects.bulk_update(with_parent, ["parent"], batch_size=BATCH)

    AccountAssignment.objects.bulk_create(
        [
            AccountAssignment(
                customer_id=int(cid[ci]), manager=staff_users[si], start=start, end=end, reason="演示数据"
            )
            for ci, si, start, end in province.assignments
        ],
        batch_size=BATCH,
    )

    people = KeyPerson.objects.bulk_create(
        [
            KeyPerson(
                customer_id=int(cid[p.customer]),
                name=p.name,
                title=p.title,
                department=p.department,
                phone=p.phone,
                birthday=p.birthday,
                closeness=p.closeness,
                source="demo",
            )
            for p in province.key_persons
        ],
        batch_size=BATCH,
    )
    KeyPersonRole.objects.bulk_create(
        [
            KeyPersonRole(key_person=person, role=role)
            for person, p in zip(people, province.key_persons, strict=True)
            for role in dict.fromkeys(p.roles)
        ],
        batch_size=BATCH,
    )

    s = province.subscriptions
    months = province.months
    Subscription.objects.bulk_create(
        [
            Subscription(
                customer_id=int(cid[s["customer"][k]]),
                product=products[s["product"][k]],
                start=month_at(months, int(s["start"][k])),
                end=None if s["end"][k] == NEVER else month_at(months, int(s["end"][k]) + 1) - dt.timedelta(days=1),
                monthly_fee=_money(float(s["fee"][k])),
                status="active" if s["end"][k] == NEVER else "cancelled",
                source="demo",
            )
            for k in range(len(s["customer"]))
        ],
        batch_size=BATCH,
    )

    contracts = Contract.objects.bulk_create(
        [
            Contract(
                customer_id=int(cid[k.customer]),
                number=k.number,
                start=k.start,
                end=k.end,
                amount=_money(float(k.amount)),
                auto_renew=k.auto_renew,
                source="demo",
            )
            for k in province.contracts
        ],
        batch_size=BATCH,
    )
    held: dict[int, list[int]] = {}
    for k in range(len(s["customer"])):
        held.setdefault(int(s["customer"][k]), []).append(int(s["product"][k]))
    through = Contract.products.through
    through.objects.bulk_create(
        [
            through(contract_id=obj.pk, product_id=products[p].pk)
            for obj, k in zip(contracts, province.contracts, strict=True)
            for p in held.get(int(k.customer), [])[: int(k.n_products)]
        ],
        batch_size=BATCH,
    )

    f = province.facts
    rows = np.argwhere(province.alive)
    total = len(rows)
    batch: list[CustomerMonth] = []
    for done, (i, t) in enumerate(rows, start=1):
        batch.append(
            CustomerMonth(
                customer_id=int(cid[i]),
                month=months[t],
                **{name: _money(float(f[name][i, t])) for name in MONEY_FACTS},
                data_gb=_money(float(f["data_gb"][i, t])),
                **{name: int(f[name][i, t]) for name in COUNT_FACTS},
                source_ref="demo",
            )
        )
        if len(batch) == BATCH:
            CustomerMonth.objects.bulk_create(batch)
            batch.clear()
            report("写入客户月度事实", done, total)
    CustomerMonth.objects.bulk_create(batch)
    report("写入客户月度事实", total, total)
    refresh_statistics(
        Region, User, Product, Customer, AccountAssignment, KeyPerson, KeyPersonRole, Subscription, Contract, through
    )
    refresh_statistics(CustomerMonth)

    from zhengqi.partners import demo as channel_demo

    report("代理商与结算", 0, 1)
    channel_demo.load(months[-1])
    report("代理商与结算", 1, 1)

    from zhengqi.competition import demo as competition_demo
    from zhengqi.support import demo as service_demo

    report("服务请求与竞争动向", 0, 1)
    service_demo.load()
    competition_demo.load()
    from zhengqi.competition import tariff_demo

    tariff_demo.load()  # terminals, tariffs (competitors' from the events above) and bundles
    report("服务请求与竞争动向", 1, 1)

    from zhengqi.marketing.kit import demo as kit_demo

    report("营销工具包", 0, 1)
    kit_demo.load()
    report("营销工具包", 1, 1)

    from zhengqi.marketing import referral_demo

    report("全员营销推荐", 0, 1)
    referral_demo.load()
    report("全员营销推荐", 1, 1)
