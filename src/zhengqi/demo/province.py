"""The synthetic province: a fictional 云海省 whose customers behave for causes.

Pure NumPy (no Django), so that it runs fast at every size and the same seed gives the same data.
The story each customer follows, month by month:

- a latent *dissatisfaction* ``z`` (an AR(1) process around the customer's own level, with
  occasional competitor pushes) drives what the operator can observe: usage falling, complaints,
  calls to a competitor's service line, members leaving, product cancellations, arrears;
- agreements expire; whether they are renewed depends on ``z``; a customer out of contract is
  easier to lose;
- churn is drawn from a hazard built from those same causes, so models have something true to learn;
  a customer that decides to go runs down over two to five months (lines moved in batches, usage
  falling, dissatisfaction rising) before its last month, as group customers do;
- members join, leave (with a few months of falling usage and competitor calls before), sometimes
  return; some lines are idle ("三无": no call, no SMS, no V网 call in the month); a few "fake
  groups" (假集团) get a sudden jump of idle lines.

Money in the lake is float64 yuan; months are indexed 0..n_months-1 from the window's start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from . import names

NEVER = np.int16(32000)  # "no such month" for int16 month indices


@dataclass(frozen=True)
class Size:
    customers: int
    members: int
    cities: int
    districts: tuple[int, int]  # min, max per city


SIZES = {
    "tiny": Size(customers=60, members=3_000, cities=2, districts=(2, 2)),
    "demo": Size(customers=2_000, members=100_000, cities=6, districts=(3, 5)),
    "province": Size(customers=40_000, members=2_000_000, cities=12, districts=(5, 9)),
    # Ten times the province, for the engine's scale benchmark (lake only: --lake-only).
    "x10": Size(customers=400_000, members=20_000_000, cities=12, districts=(16, 20)),
}
DEFAULT_END = dt.date(2026, 10, 1)
N_MONTHS = 24

PRODUCTS = [
    # code, name, category, complexity, informatization, list price (yuan / month)
    ("GSMS", "集团短信", "通信", "low", True, 200),
    ("GCRBT", "集团彩铃", "增值业务", "low", True, 100),
    ("EMAIL", "企业邮箱", "信息化应用", "low", True, 300),
    ("VNET", "短号集群网(V网)", "通信", "low", False, 50),
    ("PBX", "集团总机", "通信", "high", True, 800),
    ("LINE", "专线", "专线", "high", True, 3000),
    ("MOA", "移动办公", "信息化应用", "high", True, 500),
    ("IOT", "物联网", "物联网", "high", True, 1000),
    ("CLOUD", "云主机", "云计算", "high", True, 2000),
    ("IDC", "主机托管", "云计算", "high", True, 4000),
    ("VOIP", "集团VOIP", "通信", "high", True, 600),
    ("BB", "企业宽带", "宽带", "low", True, 400),
]
VNET_PRODUCT = 3
LINE_PRODUCT = 5
BUYING_ROLES = ["user", "influencer", "decider", "approver", "buyer", "gatekeeper"]
TYPES = np.array(["enterprise", "institution", "government", "other"])
TYPE_SHARES = [0.70, 0.14, 0.10, 0.06]
SCALES = np.array(["large", "medium", "small", "micro"])
SCALE_SHARES = [0.05, 0.20, 0.45, 0.30]
SCALE_MEMBERS = np.array([300.0, 80.0, 25.0, 8.0])
ENTERPRISE_INDUSTRIES = list("CFIJEGKLHBADMRO")
ENTERPRISE_INDUSTRY_W = np.array([22, 16, 9, 6, 8, 7, 5, 6, 5, 2, 3, 3, 3, 3, 2], dtype=float)
INSTITUTION_INDUSTRIES = list("PQMNR")
OTHER_INDUSTRIES = list("SOLT")
MSISDN_PREFIXES = np.array([134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 183, 187, 188, 198])


@dataclass(frozen=True)
class StaffSpec:
    username: str
    name: str
    role: str
    region: str
    grade: int | None


@dataclass(frozen=True)
class PersonSpec:
    customer: int
    name: str
    title: str
    department: str
    phone: str
    birthday: dt.date
    closeness: int
    roles: list[str]


@dataclass(frozen=True)
class ContractSpec:
    customer: int
    number: str
    start: dt.date
    end: dt.date
    amount: float
    auto_renew: bool
    n_products: int


@dataclass
class Province:
    """Everything the generator made, ready to be written to the web database and the lake."""

    months: list[dt.date]
    regions: list[tuple[str, str, str, str | None]]  # code, name, level, parent code
    staff: list[StaffSpec]
    customers: dict[str, np.ndarray]
    assignments: list[tuple[int, int, dt.date, dt.date | None]]  # customer, staff index, start, end
    key_persons: list[PersonSpec]
    subscriptions: dict[str, np.ndarray]
    contracts: list[ContractSpec]
    facts: dict[str, np.ndarray]  # [customer, month] arrays
    alive: np.ndarray  # [customer, month] bool: the customer was served that month
    members_total: int = 0
    member_month_rows: int = 0
    truth: dict[str, np.ndarray] = field(default_factory=dict)


def month_list(end: dt.date, n: int = N_MONTHS) -> list[dt.date]:
    first = end.year * 12 + end.month - 1 - (n - 1)
    return [dt.date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(n)]


def month_at(months: list[dt.date], index: int) -> dt.date:
    """The first day of month ``index`` relative to the window (negative: before it)."""
    k = months[0].year * 12 + months[0].month - 1 + int(index)
    return dt.date(k // 12, k % 12 + 1, 1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _credit_code(rng: np.random.Generator, prefix: str, division: str) -> str:
    from zhengqi.customers.validators import CREDIT_CODE_ALPHABET, credit_code_check_char

    body = prefix + division + "".join(rng.choice(list(CREDIT_CODE_ALPHABET), 9))
    return body + credit_code_check_char(body)


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(list(names.GIVEN), rng.integers(1, 3)))
    return str(rng.choice(list(names.SURNAMES))) + given


def _mobile(rng: np.random.Generator) -> str:
    return f"{rng.choice(MSISDN_PREFIXES)}{rng.integers(0, 10**8):08d}"


def build_regions(rng: np.random.Generator, size: Size) -> list[tuple[str, str, str, str | None]]:
    prov_code, prov_name = names.PROVINCE
    regions: list[tuple[str, str, str, str | None]] = [(prov_code, prov_name, "province", None)]
    for code, name in names.CITIES[: size.cities]:
        regions.append((f"{prov_code}{code}", name, "city", prov_code))
        n = int(rng.integers(size.districts[0], size.districts[1] + 1))
        for j, word in enumerate(rng.choice(names.DISTRICT_WORDS, n, replace=False)):
            suffix = "区" if j < max(1, n // 2) else "县"
            regions.append((f"{prov_code}{code}{j + 1:02d}", f"{word}{suffix}", "district", f"{prov_code}{code}"))
    return regions


def generate(
    size: str = "demo",
    seed: int = 20261022,
    end: dt.date = DEFAULT_END,
    on_member_month: Callable[[dt.date, pa.Table], object] | None = None,
    on_members: Callable[[pa.Table], object] | None = None,
    progress: Callable[[int], None] | None = None,
    with_people: bool = True,
) -> Province:
    """Make the province. Member-month tables are handed to ``on_member_month`` month by month
    (so that the largest size never holds them all in memory)."""
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    months = month_list(end)
    T = len(months)

    regions = build_regions(rng, spec)
    districts = [r for r in regions if r[2] == "district"]
    city_of = {r[0]: r[3] for r in districts}
    region_name = {r[0]: r[1] for r in regions}

    # --- customers -------------------------------------------------------------------------
    n = spec.customers
    ctype = TYPES[rng.choice(4, n, p=TYPE_SHARES)]
    scale = rng.choice(4, n, p=SCALE_SHARES)
    scale = np.where(ctype == "government", np.minimum(scale, 2), scale)  # few micro government bodies
    # Districts of the first city (the capital) hold more customers.
    dweights = np.array([3.0 if city_of[d[0]] == districts[0][3] else 1.0 for d in districts])
    district = rng.choice(len(districts), n, p=dweights / dweights.sum())
    industry = np.empty(n, dtype="<U1")
    ent = ctype == "enterprise"
    industry[ent] = rng.choice(ENTERPRISE_INDUSTRIES, ent.sum(), p=ENTERPRISE_INDUSTRY_W / ENTERPRISE_INDUSTRY_W.sum())
    inst = ctype == "institution"
    industry[inst] = rng.choice(INSTITUTION_INDUSTRIES, inst.sum(), p=[0.35, 0.35, 0.1, 0.1, 0.1])
    industry[ctype == "government"] = "S"
    oth = ctype == "other"
    industry[oth] = rng.choice(OTHER_INDUSTRIES, oth.sum(), p=[0.5, 0.3, 0.19, 0.01])

    prospect = rng.random(n) < 0.08
    competitor = np.where(prospect, rng.choice(["telecom", "unicom", "broadnet"], n, p=[0.6, 0.35, 0.05]), "")
    start_month = np.where(rng.random(n) < 0.05, rng.integers(1, T - 3, n), 0)
    start_month[prospect] = NEVER

    # Hierarchies: some large/medium enterprises and government bodies head a group of 1–6
    # subsidiaries, a few of which have branches of their own (at most 3 levels).
    parent = np.full(n, -1)
    can_head = (~prospect) & (scale <= 1) & (ctype != "other")
    heads = np.flatnonzero(can_head & (rng.random(n) < 0.25))
    pool = list(rng.permutation(np.flatnonzero((~prospect) & (scale >= 1) & ~np.isin(np.arange(n), heads))))
    for h in heads:
        for _ in range(int(rng.integers(1, 7))):
            if not pool:
                break
            child = pool.pop()
            parent[child] = h
            if rng.random() < 0.15 and pool:
                parent[pool.pop()] = child
    # Children of a head share its city (a group's branches are usually local); names come after,
    # so that a name's place is where the customer is.
    for _level in range(2):  # twice: a branch follows its subsidiary after the subsidiary moved
        for c in np.flatnonzero(parent >= 0):
            if city_of[districts[district[c]][0]] != city_of[districts[district[parent[c]]][0]]:
                district[c] = district[parent[c]]

    customer_names, credit_codes, addresses = [], [], []
    seen_names: set[str] = set()
    seen_codes: set[str] = set()
    for i in range(n):
        _d_code, d_name, _lvl, c_code = districts[district[i]]
        city = region_name[str(c_code)]
        attempt = 0
        name = _customer_name(rng, str(ctype[i]), str(industry[i]), city, d_name, attempt)
        while name in seen_names:
            attempt += 1
            name = _customer_name(rng, str(ctype[i]), str(industry[i]), city, d_name, attempt)
        seen_names.add(name)
        customer_names.append(name)
        prefix = {"government": "11", "institution": "12", "enterprise": "91", "other": "51"}[str(ctype[i])]
        division = f"53{int(district[i]) % 100:02d}{i % 97:02d}"
        code = _credit_code(rng, prefix, division)
        while code in seen_codes:
            code = _credit_code(rng, prefix, division)
        seen_codes.add(code)
        credit_codes.append(code)
        addresses.append(f"{city}{d_name}{rng.choice(names.STREETS)}{rng.integers(1, 999)}号")
    credit = np.array(credit_codes, dtype=object)
    credit[rng.random(n) < 0.03] = None  # some records come without a credit code

    # --- latent state over the window ----------------------------------------------------------
    mu = rng.normal(-1.0, 0.8, n)
    z = np.empty((n, T))
    z[:, 0] = mu + rng.normal(0, 0.5, n)
    push = np.zeros(n)
    for t in range(1, T):
        push = push * 0.7 + np.where(rng.random(n) < 0.02, 1.8, 0.0)
        z[:, t] = mu + 0.8 * (z[:, t - 1] - mu) + rng.normal(0, 0.35, n) + 0.3 * push
    growth = rng.normal(0.03, 0.10, n)  # yearly trend of each customer's usage
    credit_risk = rng.normal(0, 1, n)
    fake = (~prospect) & (ctype == "enterprise") & (scale >= 2) & (rng.random(n) < 0.02)
    fake_month = np.where(fake, rng.integers(6, T - 2, n), NEVER)

    # Contracts: the agreement running at the window's start, renewals drawn from z.
    contracts: list[ContractSpec] = []
    out_of_contract = np.zeros((n, T), dtype=bool)
    has_contract = (~prospect) & (rng.random(n) < 0.75)
    products_n = np.where(prospect, 0, 1 + rng.poisson(np.array([3.0, 2.0, 1.2, 0.6])[scale]))
    for i in np.flatnonzero(~prospect).tolist():
        if not has_contract[i]:
            out_of_contract[i, :] = False  # never had one: no expiry effect
            continue
        length = int(rng.choice([12, 24, 36]))
        end_idx = int(rng.integers(max(start_month[i], 0), T + 18))
        auto = bool(rng.random() < 0.3)
        k = 0
        while True:
            start_idx = end_idx - length + 1
            contracts.append(_contract(rng, months, i, k, start_idx, end_idx, auto, products_n[i]))
            k += 1
            if end_idx >= T - 1:
                break
            renew_p = _sigmoid(np.array((2.2 if auto else 1.0) - 1.5 * z[i, end_idx]))
            if rng.random() < renew_p:
                length = int(rng.choice([12, 24, 36]))
                end_idx = end_idx + length
            else:
                out_of_contract[i, end_idx + 1 :] = True
                break

    # Customer churn, month by month, from the same causes the operator sees. A group customer
    # does not vanish the month it decides to go: it moves its lines and services over two to five
    # months (notice periods, number porting in batches), and in that run-down its dissatisfaction
    # shows ever more — usage falls, members leave, complaints and calls to the competitor rise.
    alive = np.zeros((n, T), dtype=bool)
    churn_month = np.full(n, NEVER)
    decided = np.full(n, NEVER)
    run_down = rng.integers(2, 6, n)
    arrears_flag = np.zeros((n, T), dtype=bool)
    complaints = np.zeros((n, T), dtype=np.int32)
    members_scale = SCALE_MEMBERS[scale] * rng.lognormal(0, 0.6, n)
    members_scale[prospect] = 0
    for t in range(T):
        live = (start_month <= t) & (t <= churn_month)
        alive[:, t] = live
        complaints[:, t] = np.where(live, rng.poisson(0.02 * np.sqrt(members_scale) * np.exp(z[:, t])), 0)
        arrears_flag[:, t] = live & (rng.random(n) < _sigmoid(-3.2 + 0.9 * z[:, t] + credit_risk))
        if t >= 3:
            arrears_streak = arrears_flag[:, t - 2 : t + 1].sum(axis=1) >= 2
            logit = (
                -5.5
                + 1.3 * z[:, t]
                + 1.7 * out_of_contract[:, t]
                + 0.8 * arrears_streak
                + 0.5 * (complaints[:, t - 1] > 0)
                - 0.4 * (scale == 0)
            )
            deciding = live & ~fake & (decided == NEVER) & (rng.random(n) < _sigmoid(logit)) & (t < T - 1)
            for i in np.flatnonzero(deciding).tolist():
                decided[i] = t
                leave = t + int(run_down[i])
                z[i, t + 1 : leave + 1] += 0.5 * np.arange(1, min(leave, T - 1) - t + 1)
                if leave < T - 1:
                    churn_month[i] = leave  # last month served
    status = np.where(prospect, "prospect", np.where(churn_month < NEVER, "churned", "active"))

    # Subscriptions: each active customer holds a few products; cancellations follow z.
    sub_c, sub_p, sub_start, sub_end, sub_fee = [], [], [], [], []
    prod_w = np.array([8, 6, 5, 9, 3, 4, 4, 2, 2, 1, 2, 6], dtype=float)
    for i in np.flatnonzero(~prospect).tolist():
        k = int(min(products_n[i], len(PRODUCTS)))
        w = prod_w.copy()
        if industry[i] in ("J", "S", "I"):
            w[[LINE_PRODUCT, 8, 9]] *= 3
        chosen = rng.choice(len(PRODUCTS), k, replace=False, p=w / w.sum())
        for p in chosen:
            s = int(rng.integers(-48, T - 2)) if start_month[i] == 0 else int(rng.integers(start_month[i], T))
            # Small customers buy small packages: the fee grows with the customer's size.
            size_factor = float(np.clip(np.sqrt(members_scale[i] / 300), 0.08, 2.0))
            fee = round(float(PRODUCTS[p][5] * size_factor * rng.uniform(0.7, 1.3)), 2)
            sub_c.append(i)
            sub_p.append(p)
            sub_start.append(s)
            sub_end.append(int(NEVER))
            sub_fee.append(fee)
    # A customer lost in month m never started a product after m.
    keep = np.array(sub_start) <= np.array([churn_month[c] for c in sub_c])
    sub_c_a = np.array(sub_c, dtype=np.int64)[keep]
    sub_p_a = np.array(sub_p)[keep]
    sub_fee_a = np.array(sub_fee)[keep]
    sub_start_a = np.array(sub_start)[keep]
    sub_end_a = np.array(sub_end)[keep]
    for t in range(T):
        open_ = (sub_start_a <= t) & (sub_end_a == NEVER)
        cancel = open_ & (rng.random(len(sub_c_a)) < 0.004 * np.exp(z[sub_c_a, t] + 0.5))
        sub_end_a[cancel] = t
    churned_subs = churn_month[sub_c_a] < NEVER
    sub_end_a = np.where(churned_subs & (sub_end_a == NEVER), churn_month[sub_c_a], sub_end_a)
    subscriptions = {
        "customer": sub_c_a,
        "product": sub_p_a,
        "start": sub_start_a,
        "end": sub_end_a,
        "fee": sub_fee_a,
    }

    # --- members, month by month ---------------------------------------------------------------
    codes = pa.array([f"YH{i + 1:07d}" for i in range(n)])
    facts = _simulate_members(
        rng,
        codes,
        months,
        spec,
        n,
        alive,
        z,
        growth,
        members_scale,
        churn_month,
        fake_month,
        on_member_month,
        on_members,
        progress,
    )
    n_members, n_rows = int(facts.pop("_members")[0, 0]), int(facts.pop("_rows")[0, 0])

    # Customer-level facts on top of the members' own.
    product_fee = np.zeros((n, T))
    line_fee = np.zeros((n, T))
    voice_product_fee = np.zeros((n, T))  # V网 is plain voice: not informatization revenue
    cancellations = np.zeros((n, T), dtype=np.int32)
    for t in range(T):
        on = (sub_start_a <= t) & (sub_end_a > t)  # a product bills until the month it is cancelled
        fee_t = np.where(on, sub_fee_a, 0.0)
        product_fee[:, t] = np.bincount(sub_c_a, weights=fee_t, minlength=n)
        line_fee[:, t] = np.bincount(sub_c_a, weights=np.where(sub_p_a == LINE_PRODUCT, fee_t, 0), minlength=n)
        voice_product_fee[:, t] = np.bincount(sub_c_a, weights=np.where(sub_p_a == VNET_PRODUCT, fee_t, 0), minlength=n)
        cancellations[:, t] = np.bincount(
            sub_c_a, weights=(sub_end_a == t) & (sub_end_a != churn_month[sub_c_a]), minlength=n
        )
    activity = np.where(alive, np.exp(-0.2 * np.maximum(z, 0)), 0)  # usage-based parts fall with z
    product_fee *= activity
    line_fee *= activity
    voice_product_fee *= activity
    facts["revenue_total"] = np.round(facts["member_revenue"] + product_fee, 2)
    facts["revenue_info"] = np.round(facts["member_revenue_info"] + product_fee - voice_product_fee, 2)
    facts["revenue_line"] = np.round(line_fee, 2)
    facts["complaints"] = np.where(alive, complaints, 0)
    facts["cancellations"] = np.where(alive, cancellations, 0)
    facts["arrears"] = np.round(
        np.where(arrears_flag & alive, facts["revenue_total"] * rng.uniform(0.2, 1.2, (n, T)), 0), 2
    )
    del facts["member_revenue"], facts["member_revenue_info"]

    # --- staff and portfolios ------------------------------------------------------------------
    staff, assignments, manager_of = _staff_and_portfolios(rng, regions, districts, district, scale, status, months)

    tiers = _provisional_tiers(facts["revenue_total"], alive, status)
    customers = {
        "code": np.array(codes.to_pylist()),
        "name": np.array(customer_names),
        "credit_code": credit,
        "customer_type": ctype,
        "industry": industry,
        "scale": SCALES[scale],
        "region": np.array([districts[d][0] for d in district]),
        "address": np.array(addresses),
        "status": status,
        "competitor_operator": competitor,
        "parent": parent,
        "manager": manager_of,
        "tier": tiers,
    }
    key_persons = _key_persons(rng, n, scale, prospect) if with_people else []
    return Province(
        months=months,
        regions=regions,
        staff=staff,
        customers=customers,
        assignments=assignments,
        key_persons=key_persons,
        subscriptions=subscriptions,
        contracts=contracts,
        facts=facts,
        alive=alive,
        members_total=n_members,
        member_month_rows=n_rows,
        truth={
            "dissatisfaction": z,
            "churn_month": churn_month,
            "fake_group": fake,
            "out_of_contract": out_of_contract,
        },
    )


CHINESE_ORDINALS = "一二三四五六七八九十"


def _customer_name(rng: np.random.Generator, ctype: str, industry: str, city: str, district: str, attempt: int) -> str:
    """A plausible, fictional name; after a clash, a more specific one (a numbered unit, a town)."""
    specific = attempt > 0
    if ctype == "government":
        if specific:
            town = str(rng.choice(names.FIRM_WORDS))
            if attempt >= 4:  # the towns of a district are few: number the communities
                return f"{city}{district}{town}街道第{attempt}社区居民委员会"
            return f"{city}{district}{town}{rng.choice(['街道办事处', '镇人民政府', '乡人民政府'])}"
        place = city if rng.random() < 0.4 else city + district
        return place + str(rng.choice(names.GOVERNMENT_BODIES))
    if ctype == "institution":
        unit = str(rng.choice(names.INSTITUTIONS[industry]))
        if specific:
            ordinal = CHINESE_ORDINALS[int(rng.integers(0, 10))]
            return f"{city}{district}第{ordinal}{unit}" if attempt < 4 else f"{city}{district}第{attempt}{unit}"
        return city + unit
    word = str(rng.choice(names.FIRM_WORDS)) + str(rng.choice(names.FIRM_WORDS))
    trade = str(rng.choice(names.INDUSTRY_WORDS[industry]))
    if ctype == "other":
        return f"{city}{word}{trade}协会" if attempt < 4 else f"{city}{district}{word}{trade}协会第{attempt}分会"
    suffix = str(rng.choice(["有限公司", "有限责任公司", "股份有限公司"], p=[0.6, 0.25, 0.15]))
    if attempt >= 4:
        return f"{city.removesuffix('市')}{word}{trade}{suffix}{district}第{attempt}分公司"
    return f"{city.removesuffix('市')}{word}{trade}{suffix}"


def _contract(
    rng: np.random.Generator,
    months: list[dt.date],
    customer: int,
    k: int,
    start_idx: int,
    end_idx: int,
    auto: bool,
    n_products: int,
) -> ContractSpec:
    start = month_at(months, start_idx)
    end = month_at(months, end_idx + 1) - dt.timedelta(days=1)  # the last day of the end month
    return ContractSpec(
        customer=customer,
        number=f"HT{start.year}{customer + 1:07d}{k:02d}",
        start=start,
        end=end,
        amount=round(float(rng.lognormal(9.5, 0.9) * (end_idx - start_idx + 1) / 12), 2),
        auto_renew=auto,
        n_products=int(max(1, min(n_products, 3))),
    )


def _simulate_members(
    rng: np.random.Generator,
    codes: pa.Array,
    months: list[dt.date],
    spec: Size,
    n: int,
    alive: np.ndarray,
    z: np.ndarray,
    growth: np.ndarray,
    members_scale: np.ndarray,
    churn_month: np.ndarray,
    fake_month: np.ndarray,
    on_member_month: Callable[[dt.date, pa.Table], object] | None,
    on_members: Callable[[pa.Table], object] | None,
    progress: Callable[[int], None] | None,
) -> dict[str, np.ndarray]:
    T = len(months)
    # Members at the window's start, scaled so that the whole window holds about spec.members.
    weights = members_scale * (alive[:, 0] | (np.argmax(alive, axis=1) > 0))
    target0 = spec.members / 1.3
    n0 = rng.poisson(weights / max(weights.sum(), 1) * target0)
    start_month = np.where(alive.any(axis=1), np.argmax(alive, axis=1), NEVER)
    cust = np.repeat(np.arange(n), n0).astype(np.int32)
    join = np.where(start_month[cust] > 0, start_month[cust], -rng.integers(1, 120, len(cust))).astype(np.int16)
    join_rate = rng.uniform(0.006, 0.016, n) * np.exp(np.clip(growth, -0.3, 0.3) * 3)
    vnet_share = rng.beta(5, 2, n)
    idle_share = rng.beta(1.2, 4, n)

    def new_members(c: np.ndarray, t: int, idle_boost: bool = False) -> dict[str, np.ndarray]:
        m = len(c)
        return {
            "cust": c.astype(np.int32),
            "join": np.full(m, t, dtype=np.int16),
            "leave": np.full(m, NEVER, dtype=np.int16),
            "ret": np.full(m, NEVER, dtype=np.int16),
            "end": np.full(m, NEVER, dtype=np.int16),
            "vnet": (rng.random(m) < vnet_share[c]) & (not idle_boost),
            "idle_p": np.where(idle_boost, 0.97, np.where(rng.random(m) < idle_share[c], 0.75, 0.03)),
            "voice": rng.lognormal(5.2, 0.7, m),  # typical minutes a month
            "data": rng.lognormal(8.3, 0.9, m),  # MB a month
            "sms": rng.lognormal(2.5, 0.8, m),
            "plan": rng.choice([18.0, 38.0, 58.0, 88.0, 128.0], m, p=[0.25, 0.3, 0.25, 0.15, 0.05]),
        }

    mem = new_members(cust, 0)
    mem["join"] = join
    season = np.array([0.93 if m.month == 2 else 1.0 for m in months])

    agg_names = [
        "members_active",
        "members_joined",
        "members_left",
        "members_returned",
        "members_vnet",
        "members_idle",
        "voice_minutes",
        "sms_count",
        "vnet_calls",
        "competitor_calls",
    ]
    agg = {k: np.zeros((n, T), dtype=np.int64) for k in agg_names}
    agg_f = {k: np.zeros((n, T)) for k in ("data_gb", "member_revenue", "member_revenue_info", "revenue_data")}
    rows = 0
    for t in range(T):
        if t > 0:
            counts = rng.poisson(np.where(alive[:, t], n0 * join_rate, 0))
            jumping = fake_month == t
            counts[jumping] += (np.maximum(n0[jumping], 5) * rng.uniform(2, 5, jumping.sum())).astype(int)
            c_new = np.repeat(np.arange(n), counts)
            idle_boost = jumping[c_new] if len(c_new) else np.zeros(0, dtype=bool)
            fresh = new_members(c_new, t, idle_boost=False)
            fresh["idle_p"] = np.where(idle_boost, 0.97, fresh["idle_p"])
            fresh["vnet"] &= ~idle_boost
            mem = {k: np.concatenate([mem[k], fresh[k]]) for k in mem}

        c = mem["cust"]
        zt = z[c, t]
        # Decide who will leave: they leave 1–3 months later, using less and calling the
        # competitor's service line in the meantime.
        undecided = (mem["join"] <= t) & (mem["leave"] == NEVER) & alive[c, t]
        p_leave = 0.006 + 0.025 * _sigmoid(1.6 * zt - 1.0)
        deciding = undecided & (rng.random(len(c)) < p_leave)
        mem["leave"][deciding] = t + 1 + rng.integers(0, 3, deciding.sum())
        # Customers lost this month take all their members with them.
        lost = churn_month[c] == t
        first_spell = lost & (mem["leave"] > t + 1) & (mem["ret"] == NEVER)
        mem["leave"][first_spell] = t + 1
        mem["end"][lost & (mem["ret"] <= t)] = t + 1
        # Some leavers come back a few months later (回归用户).
        leaving_now = mem["leave"] == t
        back = leaving_now & (mem["ret"] == NEVER) & (rng.random(len(c)) < 0.08)
        mem["ret"][back] = t + rng.integers(1, 7, back.sum())

        active = ((mem["join"] <= t) & (t < mem["leave"])) | ((mem["ret"] <= t) & (t < mem["end"]))
        active &= alive[c, t]
        idx = np.flatnonzero(active)
        ca = c[idx]
        pre_leave = (mem["leave"][idx] > t) & (mem["leave"][idx] < NEVER) & (mem["ret"][idx] == NEVER)
        level = np.exp(growth[ca] * t / 12 - 0.25 * np.maximum(zt[idx], 0)) * season[t]
        level = np.where(pre_leave, level * 0.5, level)
        idle = rng.random(len(idx)) < mem["idle_p"][idx]
        voice = np.where(idle, 0, rng.poisson(mem["voice"][idx] * level)).astype(np.int32)
        sms = np.where(idle, 0, rng.poisson(mem["sms"][idx] * level)).astype(np.int32)
        vnet_calls = np.where(idle | ~mem["vnet"][idx], 0, rng.poisson(12 * level)).astype(np.int32)
        data_mb = np.where(idle, 0.0, mem["data"][idx] * level * (1.02**t) * rng.gamma(4, 0.25, len(idx)))
        comp = rng.poisson(0.008 * np.exp(1.5 * zt[idx]) * np.where(pre_leave, 6, 1)).astype(np.int32)
        voice_fee = np.minimum(mem["plan"][idx] * 0.8 + 0.1 * np.maximum(voice - 300, 0), 400)
        voice_fee = np.where(idle, np.minimum(mem["plan"][idx], 18.0), voice_fee)
        data_fee = np.minimum(data_mb / 1024 * 1.0, 60) + np.where(idle, 0, mem["plan"][idx] * 0.15)
        sms_fee = sms * 0.1
        revenue = np.round(voice_fee + data_fee + sms_fee, 2)
        info = np.round(data_fee + sms_fee, 2)

        def add(name: str, values: np.ndarray, t: int = t, ca: np.ndarray = ca) -> None:
            target = agg[name] if name in agg else agg_f[name]
            target[:, t] = np.bincount(ca, weights=values, minlength=n)

        add("members_active", np.ones(len(idx)))
        add("members_joined", (mem["join"][idx] == t).astype(float))
        add("members_returned", (mem["ret"][idx] == t).astype(float))
        add("members_vnet", mem["vnet"][idx].astype(float))
        add("members_idle", idle.astype(float))
        add("voice_minutes", voice)
        add("sms_count", sms)
        add("vnet_calls", vnet_calls)
        add("competitor_calls", comp)
        add("data_gb", data_mb / 1024)
        add("member_revenue", revenue)
        add("member_revenue_info", info)
        add("revenue_data", data_fee)
        left = (mem["leave"] == t) | (mem["end"] == t)
        agg["members_left"][:, t] = np.bincount(c[left & alive[c, max(t - 1, 0)]], minlength=n)

        if on_member_month is not None:
            on_member_month(
                months[t],
                _member_month_table(
                    codes, months[t], idx, ca, mem, voice, sms, data_mb, vnet_calls, comp, revenue, info
                ),
            )
        rows += len(idx)
        if progress is not None:
            progress(1)

    if on_members is not None:
        on_members(_members_table(codes, months, mem))
    out: dict[str, np.ndarray] = {**agg, **agg_f}
    out["data_gb"] = np.round(out["data_gb"], 2)
    out["revenue_data"] = np.round(out["revenue_data"], 2)
    out["_members"] = np.array([[len(mem["cust"])]])
    out["_rows"] = np.array([[rows]])
    return out


def msisdn_of(index: np.ndarray) -> np.ndarray:
    """A unique, realistic-looking MSISDN for each member index (a bijection, no collisions)."""
    prefix = MSISDN_PREFIXES[index % len(MSISDN_PREFIXES)].astype(np.int64)
    scrambled = (index.astype(np.int64) * 48271 + 12345) % 100_000_000
    return prefix * 100_000_000 + scrambled


def _member_month_table(
    codes: pa.Array,
    month: dt.date,
    idx: np.ndarray,
    ca: np.ndarray,
    mem: dict[str, np.ndarray],
    voice: np.ndarray,
    sms: np.ndarray,
    data_mb: np.ndarray,
    vnet_calls: np.ndarray,
    comp: np.ndarray,
    revenue: np.ndarray,
    info: np.ndarray,
) -> pa.Table:
    return pa.table(
        {
            "month": pa.array(np.full(len(idx), np.datetime64(month, "D")), type=pa.date32()),
            "msisdn": msisdn_of(idx),
            "customer_code": pa.DictionaryArray.from_arrays(pa.array(ca, type=pa.int32()), codes),
            "voice_minutes": voice,
            "sms_count": sms,
            "data_mb": np.round(data_mb, 1),
            "vnet_calls": vnet_calls,
            "competitor_calls": comp,
            "revenue": revenue,
            "revenue_info": info,
        }
    )


def _members_table(codes: pa.Array, months: list[dt.date], mem: dict[str, np.ndarray]) -> pa.Table:

    def month_col(values: np.ndarray) -> pa.Array:
        base = np.datetime64(months[0], "M")
        dates = (base + values.astype("timedelta64[M]")).astype("datetime64[D]")
        return pa.array(dates, type=pa.date32(), mask=values == NEVER)

    m = len(mem["cust"])
    return pa.table(
        {
            "msisdn": msisdn_of(np.arange(m)),
            "customer_code": pa.DictionaryArray.from_arrays(pa.array(mem["cust"], type=pa.int32()), codes),
            "join_month": month_col(mem["join"]),
            "leave_month": month_col(mem["leave"]),
            "return_month": month_col(mem["ret"]),
            "end_month": month_col(mem["end"]),
            "in_vnet": mem["vnet"],
        }
    )


def _staff_and_portfolios(
    rng: np.random.Generator,
    regions: list[tuple[str, str, str, str | None]],
    districts: list[tuple[str, str, str, str | None]],
    district: np.ndarray,
    scale: np.ndarray,
    status: np.ndarray,
    months: list[dt.date],
) -> tuple[list[StaffSpec], list[tuple[int, int, dt.date, dt.date | None]], np.ndarray]:
    """Staff of every role; each district's customers split among its account managers, the
    largest going to the most senior. The first city and district hold the named demo logins."""
    province = regions[0][0]
    staff = [
        StaffSpec("admin", "省管理员", "provincial_admin", province, None),
        StaffSpec("planner", "营销策划", "marketing_planner", province, None),
        StaffSpec("partner", "代理商演示账号", "partner", province, None),
        # Support departments' logins (the departments themselves: zhengqi.support.demo).
        StaffSpec("dept", "响应中心 张敏", "department", province, None),
        StaffSpec("network", "网络支撑 刘工", "department", province, None),
        StaffSpec("billing", "计费支撑 陈工", "department", province, None),
        StaffSpec("dept_head", "支撑部门 李主任", "department", province, None),
    ]
    for k, code in enumerate(r[0] for r in regions if r[2] == "city"):
        username = "city_mgr" if k == 0 else f"city_mgr_{code.lower()}"
        staff.append(StaffSpec(username, _person_name(rng), "regional_manager", code, None))
    manager_of = np.full(len(district), -1)
    assignments: list[tuple[int, int, dt.date, dt.date | None]] = []
    for d_index, (d_code, _name, _lvl, _city) in enumerate(districts):
        first = d_index == 0
        username = "district_mgr" if first else f"district_mgr_{d_code.lower()}"
        staff.append(StaffSpec(username, _person_name(rng), "regional_manager", d_code, None))
        mine = np.flatnonzero(district == d_index)
        ams: list[int] = []
        for j in range(max(1, int(np.ceil(len(mine) / 40)))):
            grade = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1]))
            if j == 0:
                grade = max(grade, 3)  # each district has a senior manager for its largest customers
            ams.append(len(staff))
            username = "am" if first and j == 0 else f"am_{d_code.lower()}_{j + 1}"
            staff.append(StaffSpec(username, _person_name(rng), "account_manager", d_code, grade))
        by_grade = sorted(ams, key=lambda i: -(staff[i].grade or 0))
        for c in mine:
            if status[c] == "prospect" and rng.random() < 0.5:
                continue  # half the prospects are not yet anyone's
            am = by_grade[0] if scale[c] == 0 else by_grade[int(rng.integers(0, len(by_grade)))]
            manager_of[c] = am
            start = month_at(months, -int(rng.integers(0, 48))) + dt.timedelta(days=int(rng.integers(0, 27)))
            if len(ams) > 1 and rng.random() < 0.35:
                previous = int(rng.choice([a for a in ams if a != am]))
                earlier = start - dt.timedelta(days=int(rng.integers(200, 900)))
                assignments.append((int(c), previous, earlier, start))
            assignments.append((int(c), am, start, None))
    return staff, assignments, manager_of


def _provisional_tiers(revenue: np.ndarray, alive: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Tiers by the last 12 months' revenue until the value model (the month run) re-tiers them:
    top 5% A+, next 15% A, next 30% B, the rest C. Prospects have none."""
    served = alive[:, -12:].sum(axis=1)
    avg = np.where(served > 0, revenue[:, -12:].sum(axis=1) / np.maximum(served, 1), 0)
    tiers = np.full(len(avg), "", dtype="<U2")
    known = status != "prospect"
    if known.any():
        q = np.quantile(avg[known], [0.5, 0.8, 0.95])
        tiers[known] = np.select([avg[known] >= q[2], avg[known] >= q[1], avg[known] >= q[0]], ["A+", "A", "B"], "C")
    return tiers


def _key_persons(rng: np.random.Generator, n: int, scale: np.ndarray, prospect: np.ndarray) -> list[PersonSpec]:
    """Key persons per customer; the first is the decider, so that missing roles (the 梅花瓣 gaps)
    are among the others."""
    people: list[PersonSpec] = []
    for i in range(n):
        k = int(1 + rng.poisson([4.0, 3.0, 1.8, 1.0][scale[i]]) if not prospect[i] else rng.integers(0, 2))
        for j in range(k):
            roles = ["decider"] if j == 0 else list(rng.choice(BUYING_ROLES, int(rng.integers(1, 3)), replace=False))
            if j == 0 and rng.random() < 0.3:
                roles.append("approver")
            birthday = dt.date(int(rng.integers(1962, 1998)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            people.append(
                PersonSpec(
                    customer=i,
                    name=_person_name(rng),
                    title=str(rng.choice(names.TITLES[roles[0]])),
                    department=str(rng.choice(names.DEPARTMENTS)),
                    phone=_mobile(rng),
                    birthday=birthday,
                    closeness=int(rng.integers(1, 6)),
                    roles=[str(r) for r in roles],
                )
            )
    return people
