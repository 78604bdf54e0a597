"""Service requests: routing by type and region, deadlines, escalation once, resolution by the
department only, closing with the customer's feedback, and each department seeing its own queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer
from zhengqi.support.models import Department, RequestEvent, RoutingRule, ServiceRequest, Survey
from zhengqi.support.requests import (
    RequestInput,
    request_close,
    request_create,
    request_get,
    request_reopen,
    request_resolve,
    requests_visible_to,
    supervise,
)

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def customer_of(user: User) -> Customer:
    found = Customer.objects.filter(account_manager=user, status="active").order_by("code").first()
    assert found is not None
    return found


def department_user(username: str, department: Department) -> User:
    province = Region.objects.get(level="province")
    user = User.objects.create_user(username=username, password="x", role=User.Role.DEPARTMENT, region=province)
    department.members.add(user)
    return user


@pytest.fixture
def desk() -> dict[str, Department]:
    """Two complaint desks: the province's and one for the first city's customers, with a head."""
    province = Region.objects.get(level="province")
    head = User.objects.create_user(username="t-head", password="x", role=User.Role.DEPARTMENT, region=province)
    kf = Department.objects.create(code="T-KF", name="省响应中心", kind="service", head=head)
    city = Region.objects.filter(level="city").order_by("path").first()
    assert city is not None
    local = Department.objects.create(code="T-KF-C", name="地市响应中心", kind="service", head=head, region=city)
    RoutingRule.objects.filter(request_type="complaint").delete()
    RoutingRule.objects.create(request_type="complaint", department=kf)
    RoutingRule.objects.create(request_type="complaint", region=city, department=local)
    return {"province": kf, "city": local}


def complaint(by: User, customer: Customer, **kw: object) -> ServiceRequest:
    data = RequestInput(customer_id=customer.pk, request_type="complaint", title="专线多次中断", **kw)
    return request_create(by=by, data=data, now=T0)


def test_a_request_goes_to_the_department_of_the_deepest_region_and_gets_its_deadline(
    cast: Cast, desk: dict[str, Department]
) -> None:
    city = desk["city"].region
    assert city is not None
    inside = Customer.objects.filter(region__path__startswith=city.path, account_manager__isnull=False).first()
    outside = Customer.objects.exclude(region__path__startswith=city.path).filter(account_manager__isnull=False).first()
    assert inside is not None and outside is not None
    near = complaint(cast.admin, inside)
    far = complaint(cast.admin, outside)
    assert near.department == desk["city"] and far.department == desk["province"]
    assert near.due_at == T0 + dt.timedelta(hours=48)  # the complaint deadline a province starts with
    urgent = complaint(cast.admin, outside, priority="urgent")
    assert urgent.due_at == T0 + dt.timedelta(hours=24)
    assert [e.kind for e in near.events.all()] == ["created", "routed"]


def test_a_type_with_no_department_is_refused_in_chinese_and_saves_nothing(cast: Cast) -> None:
    RoutingRule.objects.filter(request_type="change").delete()
    before = ServiceRequest.objects.count()
    with pytest.raises(ValidationError) as refused:
        request_create(
            by=cast.am,
            data=RequestInput(customer_id=customer_of(cast.am).pk, request_type="change", title="扩容"),
        )
    assert "没有处理“变更”类请求的部门" in str(refused.value)
    assert ServiceRequest.objects.count() == before


def test_an_account_manager_cannot_log_a_request_for_someone_elses_customer(cast: Cast) -> None:
    with pytest.raises(Http404):
        request_create(
            by=cast.am,
            data=RequestInput(customer_id=customer_of(cast.other_am).pk, request_type="complaint", title="x"),
        )


def test_past_the_deadline_a_request_escalates_to_the_head_once(cast: Cast, desk: dict[str, Department]) -> None:
    made = complaint(cast.am, customer_of(cast.am))
    assert supervise(made.due_at - dt.timedelta(minutes=1)) == 0
    assert supervise(made.due_at + dt.timedelta(minutes=1)) == 1
    assert supervise(made.due_at + dt.timedelta(hours=5)) == 0  # the next runs change nothing
    assert supervise(made.due_at + dt.timedelta(days=3)) == 0
    made.refresh_from_db()
    assert made.escalated_at == made.due_at + dt.timedelta(minutes=1)
    assert made.escalated_to == made.department.head
    assert made.events.filter(kind=RequestEvent.Kind.ESCALATED).count() == 1
    head = made.department.head
    assert head is not None
    assert requests_visible_to(head).filter(pk=made.pk, escalated_to=head).exists()


def test_a_resolved_request_is_not_escalated(cast: Cast, desk: dict[str, Department]) -> None:
    made = complaint(cast.am, customer_of(cast.am))
    worker = department_user("t-kf", made.department)
    request_resolve(by=worker, request=made, resolution="已更换光模块")
    assert supervise(made.due_at + dt.timedelta(days=1)) == 0


def test_only_the_department_resolves_and_only_the_account_side_closes(cast: Cast, desk: dict[str, Department]) -> None:
    made = complaint(cast.am, customer_of(cast.am))
    worker = department_user("t-kf", made.department)
    stranger = department_user("t-net", Department.objects.create(code="T-NET", name="网络", kind="network"))
    with pytest.raises(PermissionDenied):
        request_resolve(by=cast.am, request=made, resolution="我来办")
    with pytest.raises(PermissionDenied):
        request_resolve(by=stranger, request=made, resolution="不是我的")
    with pytest.raises(ValidationError):
        request_resolve(by=worker, request=made, resolution="  ")
    with pytest.raises(ValidationError):  # not resolved yet
        request_close(by=cast.am, request=made, satisfied=True)
    resolved = request_resolve(by=worker, request=made, resolution="已更换光模块，链路恢复")
    with pytest.raises(PermissionDenied):
        request_close(by=worker, request=resolved, satisfied=True)
    with pytest.raises(ValidationError):
        request_close(by=cast.am, request=resolved, satisfied=None)
    reopened = request_reopen(by=cast.am, request=resolved, reason="下午又断了")
    assert reopened.status == "open"
    resolved = request_resolve(by=worker, request=reopened, resolution="更换整段光缆")
    closed = request_close(by=cast.am, request=resolved, satisfied=False, feedback="处理太慢", score=2)
    assert closed.status == "closed" and closed.satisfied is False
    survey = Survey.objects.get(request=closed)
    assert (survey.kind, survey.satisfied, survey.score, survey.customer_id) == ("request", False, 2, made.customer_id)
    kinds = list(closed.events.values_list("kind", flat=True))
    assert kinds == ["created", "routed", "resolved", "reopened", "resolved", "closed"]


def test_a_department_user_sees_only_its_queue_on_pages_and_in_the_api(cast: Cast, desk: dict[str, Department]) -> None:
    mine = complaint(cast.am, customer_of(cast.am))
    net = Department.objects.create(code="T-NET", name="网络支撑", kind="network")
    RoutingRule.objects.update_or_create(request_type="fault", region=None, defaults={"department": net})
    other = request_create(
        by=cast.other_am,
        data=RequestInput(customer_id=customer_of(cast.other_am).pk, request_type="fault", title="宽带故障"),
    )
    worker = department_user("t-kf", mine.department)
    assert set(requests_visible_to(worker)) == {r for r in ServiceRequest.objects.filter(department=mine.department)}
    with pytest.raises(Http404):
        request_get(user=worker, pk=other.pk)
    client = Client()
    client.force_login(worker)
    page = client.get("/support/requests/").content.decode()
    assert mine.number in page and other.number not in page
    assert client.get(f"/support/requests/{mine.pk}/").status_code == 200
    assert client.get(f"/support/requests/{other.pk}/").status_code == 404
    assert client.get(f"/customers/{mine.customer_id}/").status_code == 404  # no customer pages
    listed = client.get("/api/service-requests").json()["items"]
    assert {r["id"] for r in listed} == set(requests_visible_to(worker).values_list("pk", flat=True))
    assert client.get(f"/api/service-requests/{other.pk}").status_code == 404
    assert client.get("/api/customers").status_code == 404
    assert client.get(f"/api/customers/{mine.customer_id}").status_code == 404
    answer = client.post(
        f"/api/service-requests/{other.pk}/resolve", {"resolution": "越权"}, content_type="application/json"
    )
    assert answer.status_code == 404
    other.refresh_from_db()
    assert other.status == "open"


def test_a_ticket_number_is_taken_once(cast: Cast, desk: dict[str, Department]) -> None:
    first = complaint(cast.am, customer_of(cast.am), external_ref="TS-0001")
    with pytest.raises(ValidationError) as refused:
        complaint(cast.am, customer_of(cast.am), external_ref="TS-0001")
    assert first.number in str(refused.value)


def test_the_queue_and_a_refusal_speak_english_when_asked(cast: Cast, desk: dict[str, Department]) -> None:
    made = complaint(cast.am, customer_of(cast.am))
    worker = department_user("t-kf", made.department)
    client = Client()
    client.force_login(worker)
    client.cookies["django_language"] = "en"
    page = client.get("/support/requests/").content.decode()
    assert "My queue" in page and "Overdue" in page
    refused = client.post(
        f"/api/service-requests/{made.pk}/resolve", {"resolution": " "}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Write the resolution: the customer will be told."


def test_an_overdue_request_shows_on_the_account_managers_workbench(cast: Cast, desk: dict[str, Department]) -> None:
    made = complaint(cast.am, customer_of(cast.am))  # accepted on 2 November: long past its 48 hours
    client = Client()
    client.force_login(cast.am)
    page = client.get("/workbench/").content.decode()
    assert 'data-testid="workbench-requests"' in page and made.number in page
    made.refresh_from_db()
    assert made.escalated_at is None  # a page only reads: escalation is the supervision's (zhengqi supervise)
    assert supervise() == 1
    other = Client()
    other.force_login(cast.other_am)
    assert made.number not in other.get("/workbench/").content.decode()


def test_the_service_desk_accepts_by_customer_code_without_seeing_customers(
    cast: Cast, desk: dict[str, Department]
) -> None:
    operator = department_user("t-desk", desk["province"])  # a member of a customer-service department
    network = department_user("t-net", Department.objects.create(code="T-NET", name="网络", kind="network"))
    customer = customer_of(cast.other_am)
    client = Client()
    client.force_login(operator)
    unknown = client.post("/support/requests/new/", {"customer": "NO-SUCH", "request_type": "complaint", "title": "x"})
    assert unknown.status_code == 422 and "NO-SUCH" in unknown.content.decode()
    made = client.post(
        "/support/requests/new/",
        {"customer": customer.code.lower(), "request_type": "complaint", "title": "来电：账单看不懂"},
    )
    assert made.status_code == 302
    request = ServiceRequest.objects.get(customer=customer, title="来电：账单看不懂")
    assert request.created_by == operator
    assert client.get(f"/support/requests/{request.pk}/").status_code == 200
    assert client.get(f"/customers/{customer.pk}/").status_code == 404  # still no customer pages
    by_api = client.post(
        "/api/service-requests",
        {"customer_code": customer.credit_code, "request_type": "fault", "title": "来电：断网"},
        content_type="application/json",
    )
    assert by_api.status_code in (201, 422), by_api.content  # 422 only where no department takes faults
    other = Client()
    other.force_login(network)  # a network engineer is not a desk
    assert other.get("/support/requests/new/").status_code == 403
    refused = other.post(
        "/api/service-requests",
        {"customer_code": customer.code, "request_type": "complaint", "title": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and "客服" in refused.json()["detail"]
