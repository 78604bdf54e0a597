"""The insight dashboards on the tiny province: every one answers for every reading role, every
count links to a list of exactly that many customers, row-level access holds in pages and API, and
bad filters get a clear Chinese message."""

from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client

from tests.conftest import Cast, listed_count
from tests.insight.conftest import OCT
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer
from zhengqi.insight import dashboards, figures
from zhengqi.insight.dashboards import DASHBOARDS, DRILL_KEYS
from zhengqi.scoring.models import CustomerSnapshot

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def behind(user: User, link: str) -> int:
    """How many customers the drill-down list behind ``link`` holds (the page's own services)."""
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(link).query))
    f = figures.make_filters(
        user,
        month=params.get("month"),
        region=params.get("region", ""),
        tier=params.get("tier", ""),
        industry=params.get("industry", ""),
        customer_type=params.get("customer_type", ""),
    )
    return dashboards.drill(user, f, {k: params.get(k, "") for k in DRILL_KEYS}).count()


def test_every_dashboard_answers_for_every_reading_role(october: None, cast: Cast) -> None:
    for user in (cast.admin, cast.city_manager, cast.district_manager, cast.planner, cast.am):
        c = client_for(user)
        for key in DASHBOARDS:
            response = c.get(f"/insight/{key}/?month=2026-10")
            assert response.status_code == 200, (user.username, key)
            assert 'data-testid="panel-' in response.content.decode()


# (dashboard, table, column holding the number of customers behind the row)
COUNTED = [
    ("arrears", "arrears", 1),
    ("lock_in", "depth", 1),
    ("lock_in", "depth_tier", 1),
    ("expiry", "expiry", 6),
    ("migration", "migration", -1),
    ("quality", "idle_spread", 1),
    ("portfolio", "penetration", 2),
    ("portfolio", "bundles", 1),
    ("revenue", "by_tier", 1),
    ("revenue", "by_industry", 1),
]


def test_each_count_links_to_exactly_its_customers(october: None, cast: Cast) -> None:
    for key, table, column in COUNTED:
        for user in (cast.admin, cast.district_manager):
            f = figures.make_filters(user, month="2026-10")
            panel = next(t for t in dashboards.dashboard(user, key, f).panels if t.key == table)
            assert panel.rows and len(panel.links) == len(panel.rows)
            client = client_for(user)
            for i, (row, link) in enumerate(zip(panel.rows, panel.links, strict=True)):
                assert link is not None
                assert behind(user, link) == row[column], (user.username, table, row)
                if i < 3:  # the drill-down lands on the customer list, which lists exactly those (issue 23)
                    page = client.get(link)
                    assert link.startswith("/customers/?") and 'data-testid="drill"' in page.content.decode()
                    assert listed_count(page) == row[column], (user.username, table, row)


def test_arrears_ageing_adds_up_to_the_customers_in_arrears(october: None, cast: Cast) -> None:
    f = figures.make_filters(cast.admin, month="2026-10")
    rows = dashboards.dashboard(cast.admin, "arrears", f).panels[0].rows
    owing = CustomerSnapshot.objects.filter(month=OCT, arrears__gt=0)
    assert sum(r[1] for r in rows) == owing.count()
    assert sum(r[2] for r in rows) == pytest.approx(float(sum(s.arrears for s in owing)))
    # the age is the run of months in arrears: every owing customer has at least one
    assert not owing.filter(arrears_streak=0).exists()


def test_a_district_managers_dashboard_sums_only_their_district(october: None, cast: Cast) -> None:
    district = cast.district_manager.region
    assert district is not None
    mine = CustomerSnapshot.objects.filter(month=OCT, customer__region=district)
    want = float(sum(s.revenue_info_ytd for s in mine))
    everyone = float(sum(s.revenue_info_ytd for s in CustomerSnapshot.objects.filter(month=OCT)))

    for path in ("/api/insight/dashboards/performance?month=2026-10", "/api/insight/report?month=2026-10"):
        body = client_for(cast.district_manager).get(path).json()
        panels = body["panels"] if "panels" in body else body["sections"][0]["tables"]
        total = panels[0]["rows"][-1]
        assert total[0] == "合计" and total[1] == pytest.approx(want / 10_000, abs=0.006)
    admin = client_for(cast.admin).get("/api/insight/dashboards/performance?month=2026-10").json()
    assert admin["panels"][0]["rows"][-1][1] == pytest.approx(everyone / 10_000, abs=0.01) and want < everyone
    # the drill-down list holds only their district's customers
    listed = client_for(cast.district_manager).get("/api/insight/customers?month=2026-10&page=1").json()
    ids = {row["customer_id"] for row in listed["items"]}
    assert listed["count"] == mine.count() and ids <= set(mine.values_list("customer_id", flat=True))


def test_an_account_manager_sees_only_their_own_customers(october: None, cast: Cast) -> None:
    listed = client_for(cast.am).get("/api/insight/customers?month=2026-10").json()
    own = set(Customer.objects.filter(account_manager=cast.am).values_list("pk", flat=True))
    assert listed["count"] == len(own) and {r["customer_id"] for r in listed["items"]} <= own


def test_partner_and_department_users_get_404(october: None, cast: Cast) -> None:
    department = User.objects.create_user("dept-test", password="x", role=User.Role.DEPARTMENT)
    pages = ["/insight/", "/insight/performance/", "/insight/report/", "/insight/customers/"]
    api = ["/api/insight/dashboards/performance", "/api/insight/report", "/api/insight/customers"]
    for user in (cast.partner, department):
        for path in (*pages, *api, "/api/insight/targets"):
            assert client_for(user).get(path).status_code == 404, (user.username, path)


BAD_FILTERS = [
    ("tier=Z", "价值等级“Z”不存在"),
    ("month=2026-13", "格式不对"),
    ("month=2020-01", "还没有月度运行结果"),
    ("industry=9", "行业“9”不存在"),
    ("customer_type=alien", "客户类型“alien”不存在"),
]


def test_bad_filters_get_a_clear_message(october: None, cast: Cast) -> None:
    c = client_for(cast.admin)
    for query, message in BAD_FILTERS:
        page = c.get(f"/insight/performance/?{query}")
        assert page.status_code == 400 and message in page.content.decode()
        api = c.get(f"/api/insight/dashboards/performance?{query}")
        assert api.status_code == 400 and message in api.json()["detail"]


def test_a_region_outside_the_scope_is_refused(october: None, cast: Cast) -> None:
    other_city = Region.objects.filter(level=Region.Level.CITY).exclude(pk=cast.city_manager.region_id).first()
    assert other_city is not None
    response = client_for(cast.city_manager).get(f"/api/insight/report?region={other_city.code}")
    assert response.status_code == 400 and "不在您的权限范围内" in response.json()["detail"]
    drill = client_for(cast.admin).get("/insight/customers/?arrears=99")
    assert drill.status_code == 400 and "筛选条件无效" in drill.content.decode()


def test_report_files_through_the_page_and_the_api(october: None, cast: Cast) -> None:
    c = client_for(cast.city_manager)
    xlsx = c.get("/insight/report/?month=2026-10&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx.content[:2] == b"PK"
    api = c.get("/api/insight/report/file?month=2026-10&format=xlsx")
    assert api.status_code == 200 and api.content[:2] == b"PK"
    assert c.get("/insight/report/?format=docx").status_code == 400


def test_targets_through_the_api(october: None, cast: Cast) -> None:
    district = cast.district_manager.region
    assert district is not None
    body = {"region": district.code, "year": 2026, "metric": "revenue_info", "amount": "1234567.891"}
    refused = client_for(cast.city_manager).put("/api/insight/targets", body, content_type="application/json")
    assert refused.status_code == 403
    saved = client_for(cast.admin).put("/api/insight/targets", body, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["amount"] == "1234567.89"
    negative = client_for(cast.admin).put(
        "/api/insight/targets", {**body, "amount": "-1"}, content_type="application/json"
    )
    assert negative.status_code == 422
    mine = client_for(cast.district_manager).get("/api/insight/targets?year=2026").json()
    assert {t["region"] for t in mine} == {district.code}


def test_a_year_to_date_figure_opens_the_customers_by_their_year_to_date(october: None, cast: Cast) -> None:
    """The performance tables' figures are sums of the year to date: the list behind one shows and
    sorts by those sums, not by the month's revenue."""
    board = dashboards.dashboard(cast.admin, "performance", figures.make_filters(cast.admin, month="2026-10"))
    link = board.panels[0].links[-1]  # the province's 信息化收入 row
    assert link is not None and "measure=ytd" in link
    page = client_for(cast.admin).get(link).content.decode()
    assert "本年累计信息化收入" in page and "按本年累计信息化收入排序" in page
    listed = client_for(cast.admin).get("/api/insight/customers?month=2026-10&measure=ytd").json()
    ytd = [float(r["revenue_info_ytd"] or 0) for r in listed["items"]]
    assert ytd == sorted(ytd, reverse=True) and ytd[0] > 0
    assert client_for(cast.admin).get("/api/insight/customers?month=2026-10&measure=nonsense").status_code == 400
