"""The demo province: reproducible, consistent between the web database and the lake, and
with churn that follows its causes."""

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pytest
from django.conf import settings

from tests.conftest import TINY_SEED
from zhengqi.customers.models import Customer, CustomerMonth
from zhengqi.customers.validators import validate_credit_code
from zhengqi.demo.province import SIZES, generate
from zhengqi.engine.lake import Lake


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = generate("tiny", seed=3), generate("tiny", seed=3), generate("tiny", seed=4)
    assert list(a.customers["name"]) == list(b.customers["name"])
    assert np.array_equal(a.facts["revenue_total"], b.facts["revenue_total"])
    assert not np.array_equal(a.facts["revenue_total"], c.facts["revenue_total"])


def test_window_is_24_months_ending_at_the_given_month() -> None:
    p = generate("tiny", seed=1, end=dt.date(2026, 3, 1))
    assert len(p.months) == 24
    assert p.months[0] == dt.date(2024, 4, 1) and p.months[-1] == dt.date(2026, 3, 1)


def test_demo_size_matches_the_spec() -> None:
    p = generate("demo", seed=11)
    assert len(p.customers["code"]) == SIZES["demo"].customers
    assert 85_000 <= p.members_total <= 115_000
    shares = {t: np.mean(p.customers["customer_type"] == t) for t in ("enterprise", "government", "institution")}
    assert shares["enterprise"] > 0.6 and 0.05 < shares["government"] < 0.15
    # hierarchies: at most 3 levels
    parent = p.customers["parent"]
    depth = np.zeros(len(parent), dtype=int)
    for i in range(len(parent)):
        j, d = i, 0
        while parent[j] >= 0:
            j, d = parent[j], d + 1
        depth[i] = d
    assert depth.max() <= 2 and (depth == 1).sum() > 50
    # informatization revenue is a minority of revenue, as in the seeds (about 35%)
    share = p.facts["revenue_info"].sum() / p.facts["revenue_total"].sum()
    assert 0.25 < share < 0.5


def test_churn_follows_its_causes() -> None:
    """Customers lost in the window showed the warning signs beforehand; kept ones less so."""
    p = generate("demo", seed=11)
    churn = p.truth["churn_month"]
    lost = np.flatnonzero(churn < 24)
    kept = np.flatnonzero(p.customers["status"] == "active")
    assert 0.03 < len(lost) / (len(lost) + len(kept)) < 0.25

    def before(rate: np.ndarray, rows: np.ndarray, lead: int = 3) -> float:
        values = [rate[i, max(churn[i] - lead, 0) : churn[i]].mean() for i in rows if churn[i] >= lead]
        return float(np.mean(values))

    members = np.maximum(p.facts["members_active"], 1)
    comp = p.facts["competitor_calls"] / members
    left = p.facts["members_left"] / members
    assert before(comp, lost) > 1.5 * comp[kept, -6:-3].mean()
    assert before(left, lost) > 1.5 * left[kept, -6:-3].mean()
    # out-of-contract customers are lost more often
    ooc = (
        p.truth["out_of_contract"][:, -1]
        | (churn < 24) & p.truth["out_of_contract"][np.arange(len(churn)), np.minimum(churn, 23)]
    )
    assert np.mean(churn[ooc] < 24) > 1.5 * np.mean(churn[~ooc & (p.customers["status"] != "prospect")] < 24)


def test_generated_credit_codes_are_valid() -> None:
    p = generate("tiny", seed=5)
    for code in p.customers["credit_code"]:
        if code is not None:
            validate_credit_code(code)


@pytest.mark.django_db
def test_web_database_and_lake_agree() -> None:
    lake = Lake(settings.ZHENGQI_LAKE)
    months = lake.months("member_month")
    assert len(months) == 24 and lake.months("customer_month") == months
    last = dt.date.fromisoformat(months[-1] + "-01")
    member_rows = lake.read_month("member_month", last)
    counts = member_rows.group_by("customer_code").aggregate([("msisdn", "count")])
    from_lake = dict(zip(counts["customer_code"].to_pylist(), counts["msisdn_count"].to_pylist(), strict=True))
    from_web = dict(CustomerMonth.objects.filter(month=last).values_list("customer__code", "members_active"))
    assert {k: v for k, v in from_web.items() if v} == from_lake
    revenue_lake = pc.sum(lake.read_month("customer_month", last)["revenue_total"]).as_py()
    revenue_web = sum(
        float(r) for r in CustomerMonth.objects.filter(month=last).values_list("revenue_total", flat=True)
    )
    assert revenue_web == pytest.approx(revenue_lake, abs=0.05)
    # every member-month row belongs to a customer the web database knows
    codes = set(Customer.objects.values_list("code", flat=True))
    assert set(from_lake) <= codes


@pytest.mark.django_db
def test_demo_command_refuses_to_overwrite_without_replace() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--replace"):
        call_command("demo", "--size", "tiny", "--seed", str(TINY_SEED))
    call_command("demo", "--size", "tiny", "--if-empty")  # a no-op, not an error


def test_names_and_groups_are_local() -> None:
    """A customer's name carries its own city, and a group's members share the head's city."""
    p = generate("demo", seed=11)
    region = p.customers["region"]
    city_name = {r[0]: r[1] for r in p.regions if r[2] == "city"}
    city_of = {r[0]: r[3] for r in p.regions if r[2] == "district"}
    for i, name in enumerate(p.customers["name"]):
        city = city_name[city_of[region[i]]]
        assert name.startswith(city) or name.startswith(city.removesuffix("市")), name
        if p.customers["parent"][i] >= 0:
            assert city_of[region[i]] == city_of[region[p.customers["parent"][i]]]


@pytest.mark.django_db
def test_replacing_the_province_forgets_its_month_runs() -> None:
    """Otherwise `run-month --if-missing` would skip the months of the new province."""
    import datetime as dt

    from tests.conftest import load_tiny
    from zhengqi.engine.pipeline import current_run
    from zhengqi.scoring.models import MonthRun
    from zhengqi.scoring.month_run import month_run

    month_run(month=dt.date(2026, 10, 1))
    load_tiny()
    assert not MonthRun.objects.exists()
    assert current_run(Lake(settings.ZHENGQI_LAKE), dt.date(2026, 10, 1)) is None
