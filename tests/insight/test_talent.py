"""客户经理培养: the rating's parts stay in their bounds and its proposal moves one grade at most, only
with the evidence the rule asks for (any results, hours and certificates); a rating run twice proposes
once; a grade change is decided only by the manager's regional manager, with a reason to reject; the
qualification rule lists the customers whose tier exceeds their manager's grade, with a qualified
manager to take each, re-checked after the month run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.access import ancestor_paths
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer
from zhengqi.customers.qualification import check_after_month_run, violations
from zhengqi.insight.models import Certification, Course, CourseRecord, GradeChange, Rating
from zhengqi.insight.talent import (
    HOURS_PER_YEAR,
    TRAINING_POINTS,
    certification_add,
    course_record_add,
    grade_change_decide,
    level_of,
    proposed_grade,
    rate_year,
    training_points,
)
from zhengqi.notifications.models import Notification
from zhengqi.scoring.month_run import month_run

grades = st.one_of(st.none(), st.sampled_from(User.Grade.values))
certified = st.sets(st.sampled_from(User.Grade.values), max_size=4)


@given(hours=st.decimals(0, 500, places=1), grade=grades, certs=certified)
def test_training_points_stay_within_their_share(hours: Decimal, grade: int | None, certs: set[int]) -> None:
    points = training_points(hours, grade, certs)
    assert 0 <= points <= TRAINING_POINTS
    if hours >= HOURS_PER_YEAR and any(g >= min(4, (grade or 0) + 1) for g in certs):
        assert points == TRAINING_POINTS


@given(score=st.decimals(0, 100, places=1), grade=grades, certs=certified)
def test_a_rating_proposes_at_most_one_step_and_only_on_its_evidence(
    score: Decimal, grade: int | None, certs: set[int]
) -> None:
    level = level_of(score)
    assert level_of(score + 1) <= level  # "A" < "B": a higher score never rates lower
    new = proposed_grade(grade, level, certs)
    if grade is None:
        assert new is None or new in certs
        return
    assert new is not None and 1 <= new <= 4 and abs(new - grade) <= 1
    if new > grade:
        assert level == Rating.Level.EXCELLENT and any(g >= new for g in certs)
    if new < grade:
        assert level == Rating.Level.IMPROVE


@pytest.fixture
def year_run(cast: Cast) -> int:
    month_run(month=dt.date(2026, 10, 1))
    return 2026


@pytest.mark.django_db
def test_a_rating_run_twice_proposes_once_and_the_regional_manager_decides(cast: Cast, year_run: int) -> None:
    am = cast.am
    User.objects.filter(pk=am.pk).update(grade=2)
    am.refresh_from_db()
    course = Course.objects.create(name="顾问式销售", kind="sales", hours=Decimal(40))
    with pytest.raises(ValidationError) as err:
        course_record_add(
            by=cast.city_manager, user_id=am.pk, course_id=course.pk, date=dt.date(2026, 3, 1), score="满分"
        )
    assert "成绩" in err.value.messages[0]
    with pytest.raises(PermissionDenied):
        course_record_add(by=am, user_id=am.pk, course_id=course.pk, date=dt.date(2026, 3, 1), score=90)
    course_record_add(by=cast.city_manager, user_id=am.pk, course_id=course.pk, date=dt.date(2026, 3, 1), score=90)
    with pytest.raises(ValidationError):
        certification_add(
            by=cast.city_manager,
            user_id=am.pk,
            name="高级证书",
            grade=3,
            issued=dt.date(2026, 5, 1),
            expires=dt.date(2026, 1, 1),
        )
    certification_add(
        by=cast.city_manager, user_id=am.pk, name="高级证书", grade=3, issued=dt.date(2026, 5, 1), expires=None
    )
    assert CourseRecord.objects.filter(user=am).count() == 1 and Certification.objects.filter(user=am).count() == 1

    with pytest.raises(PermissionDenied):
        rate_year(by=am, year=year_run)
    with pytest.raises(ValidationError):
        rate_year(by=cast.admin, year=2019)  # no month run that year
    first = {r.user_id: r for r in rate_year(by=cast.city_manager, year=year_run)}
    mine = first[am.pk]
    assert mine.training_points == TRAINING_POINTS and mine.score == mine.kpi_points + mine.training_points
    again = {r.user_id: r for r in rate_year(by=cast.city_manager, year=year_run)}
    assert set(again) == set(first) and Rating.objects.filter(year=year_run, user_id__in=first).count() == len(first)
    assert GradeChange.objects.filter(status="proposed").count() == sum(
        1 for r in again.values() if r.proposed_grade != r.grade
    )

    # Whatever the rating said, a proposal is decided by the manager's own regional manager.
    GradeChange.objects.filter(user=am).delete()
    change = GradeChange.objects.create(
        user=am, from_grade=2, to_grade=3, proposed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    )
    assert am.region is not None
    elsewhere = Region.objects.filter(level="city").exclude(path__in=[p for p in ancestor_paths(am.region)]).first()
    assert elsewhere is not None
    stranger = User.objects.create_user(
        username="t-mgr", password="x", role=User.Role.REGIONAL_MANAGER, region=elsewhere
    )
    for outsider in (am, stranger):
        with pytest.raises(PermissionDenied):
            grade_change_decide(by=outsider, change_id=change.pk, approve=True)
    with pytest.raises(ValidationError):
        grade_change_decide(by=cast.city_manager, change_id=change.pk, approve=False, note=" ")
    grade_change_decide(by=cast.city_manager, change_id=change.pk, approve=True)
    am.refresh_from_db()
    assert am.grade == change.to_grade
    with pytest.raises(ValidationError):
        grade_change_decide(by=cast.admin, change_id=change.pk, approve=False, note="再审")
    assert Notification.objects.filter(user=am, key=f"grade-decided:{change.pk}").count() == 1


@pytest.mark.django_db
def test_customers_above_their_managers_grade_are_listed_with_a_qualified_taker(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    Customer.objects.filter(account_manager=cast.am, status="active").exclude(pk=customer.pk).update(tier="C")
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    User.objects.filter(pk=cast.am.pk).update(grade=1)
    senior = User.objects.create_user(
        username="t-senior", password="x", role=User.Role.ACCOUNT_MANAGER, region=cast.am.region, grade=4
    )
    found, total = violations(cast.city_manager)
    listed = {v.customer.pk: v for v in found}
    assert customer.pk in listed and total >= 1
    assert listed[customer.pk].proposal is not None and (listed[customer.pk].proposal.grade or 0) >= 3
    assert customer.pk not in {v.customer.pk for v in violations(cast.other_am)[0]}

    n = check_after_month_run(dt.date(2026, 10, 1))
    assert n >= 1
    told = Notification.objects.filter(key="qualification:2026-10").count()
    assert told >= 1
    check_after_month_run(dt.date(2026, 10, 1))
    assert Notification.objects.filter(key="qualification:2026-10").count() == told  # once per manager and month

    client = Client()
    client.force_login(cast.city_manager)
    page = client.get("/insight/talent/")
    assert page.status_code == 200 and customer.name in page.content.decode()
    to = listed[customer.pk].proposal
    assert to is not None
    client.post(f"/insight/talent/qualification/{customer.pk}/", {"to_manager": to.pk})
    customer.refresh_from_db()
    assert customer.account_manager_id == to.pk
    assert customer.pk not in {v.customer.pk for v in violations(cast.city_manager)[0]}
    assert senior.pk


@pytest.mark.django_db
def test_an_account_manager_sees_only_their_own_record(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.am)
    rows = client.get("/api/talent?year=2026").json()
    assert [r["user_id"] for r in rows] == [cast.am.pk]
    assert client.get(f"/api/talent/{cast.am.pk}").status_code == 200
    assert client.get(f"/api/talent/{cast.other_am.pk}").status_code == 403
    assert client.get(f"/insight/talent/{cast.other_am.pk}/").status_code == 403
    refused = client.post("/api/talent/ratings", {"year": 2026}, content_type="application/json")
    assert refused.status_code == 403 and "区域经理" in refused.json()["detail"]


@pytest.mark.django_db
def test_a_new_hire_without_customers_is_on_their_managers_list_only(cast: Cast, year_run: int) -> None:
    """Training starts before the first customer: a new account manager is on the development list
    of the managers over their region (who record their courses), on no one else's, and not rated."""
    from zhengqi.insight.talent import managers_of

    region = cast.district_manager.region
    assert region is not None
    hire = User.objects.create_user(username="new_hire", role=User.Role.ACCOUNT_MANAGER, region=region)
    assert not hire.customers.exists()
    over = [u for u in User.objects.filter(role=User.Role.REGIONAL_MANAGER) if region.path.startswith(u.region.path)]
    elsewhere = [u for u in User.objects.filter(role=User.Role.REGIONAL_MANAGER) if u not in over]
    assert over and elsewhere
    for manager in [cast.admin, *over]:
        assert hire in managers_of(manager)
    for manager in elsewhere:
        assert hire not in managers_of(manager)
    assert managers_of(hire) == [hire]
    course = Course.objects.create(name="入职培训", kind="sales", hours=Decimal(16))
    course_record_add(
        by=cast.district_manager, user_id=hire.pk, course_id=course.pk, date=dt.date(2026, 3, 1), score=80
    )
    client = Client()
    client.force_login(cast.district_manager)
    assert hire.pk in [r["user_id"] for r in client.get("/api/talent?year=2026").json()]
    assert client.get(f"/insight/talent/{hire.pk}/").status_code == 200
    assert hire.pk not in [r.user_id for r in rate_year(by=cast.admin, year=year_run)]
