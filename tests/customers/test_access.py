"""Row-level access on every surface: list page, detail page, admin, API."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import CustomerFilter, customer_list, customers_visible_to

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_account_manager_sees_exactly_own_customers(cast: Cast) -> None:
    visible = set(customers_visible_to(cast.am).values_list("pk", flat=True))
    assert visible == set(Customer.objects.filter(account_manager=cast.am).values_list("pk", flat=True))
    assert visible


def test_district_manager_sees_exactly_the_district(cast: Cast) -> None:
    visible = set(customers_visible_to(cast.district_manager).values_list("pk", flat=True))
    assert visible == set(Customer.objects.filter(region=cast.district_manager.region).values_list("pk", flat=True))


def test_city_manager_sees_the_city_subtree(cast: Cast) -> None:
    visible = customers_visible_to(cast.city_manager)
    in_city = Customer.objects.filter(region__parent=cast.city_manager.region)
    assert set(visible.values_list("pk", flat=True)) == set(in_city.values_list("pk", flat=True))
    assert visible.count() < Customer.objects.count()


def test_province_sees_all_and_partner_nothing(cast: Cast) -> None:
    assert customers_visible_to(cast.admin).count() == Customer.objects.count()
    assert customers_visible_to(cast.partner).count() == 0


def test_list_page_shows_only_own_customers(cast: Cast) -> None:
    response = client_for(cast.am).get("/customers/")
    assert response.status_code == 200
    own = Customer.objects.filter(account_manager=cast.am).count()
    assert f"共 {own} 个客户" in response.content.decode()
    theirs = cast.customer_of_other_am()
    assert theirs.name not in response.content.decode()


def test_detail_page_404_for_another_managers_customer(cast: Cast) -> None:
    theirs = cast.customer_of_other_am()
    assert client_for(cast.am).get(f"/customers/{theirs.pk}/").status_code == 404
    assert client_for(cast.other_am).get(f"/customers/{theirs.pk}/").status_code == 200


def test_detail_page_404_for_a_missing_customer(cast: Cast) -> None:
    assert client_for(cast.admin).get("/customers/999999/").status_code == 404


def test_api_404_for_another_managers_customer(cast: Cast) -> None:
    theirs = cast.customer_of_other_am()
    client = client_for(cast.am)
    assert client.get(f"/api/customers/{theirs.pk}").status_code == 404
    listed = client.get("/api/customers?page=1").json()
    assert listed["count"] == Customer.objects.filter(account_manager=cast.am).count()
    assert theirs.pk not in {c["id"] for c in listed["items"]}


def test_api_requires_login() -> None:
    assert Client().get("/api/customers").status_code == 401


def test_api_filters_match_the_selector(cast: Cast) -> None:
    client = client_for(cast.admin)
    data = client.get("/api/customers?tier=A&status=active").json()
    expected = customer_list(user=cast.admin, filters=CustomerFilter(tier="A", status="active")).count()
    assert data["count"] == expected > 0
    assert all(c["tier"] == "A" and c["status"] == "active" for c in data["items"])


def test_admin_404_for_another_managers_customer(cast: Cast) -> None:
    cast.am.is_staff = True
    cast.am.save()
    from django.contrib.auth.models import Permission

    cast.am.user_permissions.add(Permission.objects.get(codename="view_customer"))
    theirs = cast.customer_of_other_am()
    mine = Customer.objects.filter(account_manager=cast.am).first()
    client = client_for(cast.am)
    assert client.get(f"/admin/customers/customer/{theirs.pk}/change/").status_code == 404
    assert client.get(f"/admin/customers/customer/{mine.pk}/change/").status_code == 200
    listing = client.get("/admin/customers/customer/").content.decode()
    assert mine.name in listing and theirs.name not in listing


def test_list_filters_and_search(cast: Cast) -> None:
    client = client_for(cast.admin)
    target = Customer.objects.exclude(credit_code=None).first()
    page = client.get("/customers/", {"q": target.credit_code}).content.decode()
    assert target.name in page and "共 1 个客户" in page
    region = cast.district_manager.region
    page = client.get("/customers/", {"region": region.code}).content.decode()
    assert f"共 {Customer.objects.filter(region=region).count()} 个客户" in page


def test_list_page_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.admin)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/customers/").status_code == 200
    assert len(ctx.captured_queries) <= 11  # with the bell's unread count on every page
    # Again, nothing changed: the count, the tabs and the pickers' choices come from the cache.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/customers/").status_code == 200
    assert len(ctx.captured_queries) <= 7


def test_detail_page_renders_every_panel(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    page = client_for(cast.am).get(f"/customers/{customer.pk}/").content.decode()
    panels = ("基本资料", "集团层级", "近 24 个月收入", "关键人", "成员", "建议推荐的产品", "产品订购", "协议")
    panels += ("商机", "参与的营销活动", "资料变更记录", "接触记录", "新建任务")
    for panel in panels:
        assert panel in page
    # phones are masked on the page
    person = customer.key_persons.first()
    if person and person.phone:
        assert person.phone not in page
        assert person.phone[:3] + "****" + person.phone[-4:] in page


def test_pages_switch_to_english(cast: Cast) -> None:
    client = client_for(cast.am)
    assert "集团客户" in client.get("/customers/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/customers/"})
    assert response.status_code == 302
    page = client.get("/customers/").content.decode()
    own = Customer.objects.filter(account_manager=cast.am).count()
    assert "Group customers" in page and f"{own} customers" in page


def test_hierarchy_rollups_count_only_what_the_user_may_see(cast: Cast) -> None:
    from zhengqi.customers.models import CustomerMonth
    from zhengqi.customers.selectors import customer_hierarchy

    child = Customer.objects.filter(parent__isnull=False, status="active").select_related("parent").first()
    assert child is not None
    latest = CustomerMonth.objects.order_by("-month").values_list("month", flat=True).first()
    as_admin = customer_hierarchy(user=cast.admin, customer=child)
    top = as_admin[0]
    everyone = sum(
        m.revenue_total
        for m in CustomerMonth.objects.filter(month=latest, customer_id__in=[n.customer.pk for n in as_admin])
    )
    assert top.revenue == everyone
    # The manager of the child alone sees the child's own revenue rolled up, nothing else.
    owner = child.account_manager
    as_owner = customer_hierarchy(user=owner, customer=child)
    visible = [n.customer.pk for n in as_owner if n.visible]
    mine = sum(m.revenue_total for m in CustomerMonth.objects.filter(month=latest, customer_id__in=visible))
    assert as_owner[0].revenue == mine


def test_home_depends_on_the_role(cast: Cast) -> None:
    assert client_for(cast.am).get("/").url == "/workbench/"
    assert client_for(cast.district_manager).get("/").url == "/customers/"
