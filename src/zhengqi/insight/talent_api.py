"""客户经理培养 in the REST API: the same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.qualification import violations
from zhengqi.web.api_errors import Detail

from .talent import (
    certification_add,
    course_record_add,
    grade_change_decide,
    history,
    people,
    person_get,
    rate_year,
)

router = Router()


class YearFilter(Schema):
    year: int = Field(ge=2000, le=2100, description="年度，如 2026")


class PersonOut(Schema):
    user_id: int
    name: str
    grade: int | None = Field(description="1 初级 / 2 中级 / 3 高级 / 4 资深；空为未定级")
    hours_passed: Decimal = Field(description="当年通过的课程学时")
    certified_grades: list[int] = Field(description="有效任职资格证书对应的等级")
    score: Decimal | None
    level: str | None = Field(description="A 优秀 / B 良好 / C 合格 / D 待改进")
    proposed_grade: int | None = Field(description="待审批的等级调整")
    grade_change_id: int | None
    unqualified_customers: int


@router.get("/talent", response=list[PersonOut], summary="客户经理培养：本人范围内的客户经理、评级与待审批的等级调整")
def talent_api(request: AuthedRequest, filters: Query[YearFilter]) -> Any:
    return [
        {
            "user_id": p.manager.pk,
            "name": str(p.manager),
            "grade": p.manager.grade,
            "hours_passed": p.hours,
            "certified_grades": sorted(p.certified),
            "score": p.rating.score if p.rating else None,
            "level": p.rating.level if p.rating else None,
            "proposed_grade": p.open_change.to_grade if p.open_change else None,
            "grade_change_id": p.open_change.pk if p.open_change else None,
            "unqualified_customers": p.unqualified,
        }
        for p in people(request.user, filters.year)
    ]


class RatingOut(Schema):
    user_id: int
    year: int
    month: dt.date = Field(description="评级依据的月度运行")
    kpi_points: Decimal
    training_points: Decimal
    score: Decimal
    level: str
    grade: int | None
    proposed_grade: int | None


def rating_out(r: Any) -> dict[str, Any]:
    return {
        "user_id": r.user_id,
        "year": r.year,
        "month": r.month,
        "kpi_points": r.kpi_points,
        "training_points": r.training_points,
        "score": r.score,
        "level": r.level,
        "grade": r.grade,
        "proposed_grade": r.proposed_grade,
    }


@router.post(
    "/talent/ratings",
    response={201: list[RatingOut], 403: Detail, 422: Detail},
    summary="发起年度评级（区域经理或省公司管理员）：可重复运行",
)
def rate_api(request: AuthedRequest, body: YearFilter) -> Any:
    return Status(201, [rating_out(r) for r in rate_year(by=request.user, year=body.year)])


class CourseRecordOut(Schema):
    course: str
    date: dt.date
    score: int
    passed: bool


class CertificationOut(Schema):
    name: str
    grade: int
    issued: dt.date
    expires: dt.date | None


class GradeChangeOut(Schema):
    id: int
    from_grade: int | None
    to_grade: int
    status: str = Field(description="proposed 待审批 / approved 已批准 / rejected 未批准")
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str


class PersonRecordOut(Schema):
    user_id: int
    name: str
    grade: int | None
    courses: list[CourseRecordOut]
    certifications: list[CertificationOut]
    ratings: list[RatingOut]
    grade_changes: list[GradeChangeOut]


def change_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "from_grade": c.from_grade,
        "to_grade": c.to_grade,
        "status": c.status,
        "proposed_at": c.proposed_at,
        "decided_by": str(c.decided_by) if c.decided_by else None,
        "decided_at": c.decided_at,
        "note": c.note,
    }


@router.get(
    "/talent/{user_id}", response={200: PersonRecordOut, 403: Detail, 404: Detail}, summary="一位客户经理的培养档案"
)
def person_api(request: AuthedRequest, user_id: int) -> Any:
    manager = person_get(user=request.user, pk=user_id)
    h = history(manager)
    return {
        "user_id": manager.pk,
        "name": str(manager),
        "grade": manager.grade,
        "courses": [
            {"course": r.course.name, "date": r.date, "score": r.score, "passed": r.passed} for r in h["courses"]
        ],
        "certifications": [
            {"name": c.name, "grade": c.grade, "issued": c.issued, "expires": c.expires} for c in h["certifications"]
        ],
        "ratings": [rating_out(r) for r in h["ratings"]],
        "grade_changes": [change_out(c) for c in h["changes"]],
    }


class CourseRecordIn(Schema):
    course_id: int
    date: dt.date
    score: int | str


@router.post(
    "/talent/{user_id}/courses",
    response={201: CourseRecordOut, 403: Detail, 404: Detail, 422: Detail},
    summary="登记培训成绩（所在区域的区域经理或省公司管理员）",
)
def course_api(request: AuthedRequest, user_id: int, body: CourseRecordIn) -> Any:
    manager = person_get(user=request.user, pk=user_id)
    r = course_record_add(
        by=request.user, user_id=manager.pk, course_id=body.course_id, date=body.date, score=body.score
    )
    return Status(201, {"course": r.course.name, "date": r.date, "score": r.score, "passed": r.passed})


class CertificationIn(Schema):
    name: str = Field(max_length=100)
    grade: int = Field(description="1–4")
    issued: dt.date
    expires: dt.date | None = None
    score: int | str = ""


@router.post(
    "/talent/{user_id}/certifications",
    response={201: CertificationOut, 403: Detail, 404: Detail, 422: Detail},
    summary="登记任职资格认证",
)
def certification_api(request: AuthedRequest, user_id: int, body: CertificationIn) -> Any:
    manager = person_get(user=request.user, pk=user_id)
    c = certification_add(
        by=request.user, user_id=manager.pk, name=body.name, grade=body.grade, issued=body.issued,
        expires=body.expires, score=body.score,
    )  # fmt: skip
    return Status(201, {"name": c.name, "grade": c.grade, "issued": c.issued, "expires": c.expires})


class GradeDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


@router.post(
    "/grade-changes/{grade_change_id}/decide",
    response={200: GradeChangeOut, 403: Detail, 422: Detail},
    summary="审批等级调整（所在区域的区域经理或省公司管理员）",
)
def decide_api(request: AuthedRequest, grade_change_id: int, body: GradeDecisionIn) -> Any:
    return change_out(
        grade_change_decide(by=request.user, change_id=grade_change_id, approve=body.approve, note=body.note)
    )


class ViolationOut(Schema):
    customer_id: int
    customer: str
    tier: str
    account_manager: str
    account_manager_grade: int | None
    proposed_manager_id: int | None
    proposed_manager: str | None


@router.get(
    "/qualification-violations",
    response=list[ViolationOut],
    summary="任职资格复核：等级高于客户经理资格的客户与建议人选",
)
def violations_api(request: AuthedRequest) -> Any:
    found, _total = violations(request.user, limit=1000)
    return [
        {
            "customer_id": v.customer.pk,
            "customer": v.customer.name,
            "tier": v.customer.tier,
            "account_manager": str(v.customer.account_manager),
            "account_manager_grade": v.customer.account_manager.grade if v.customer.account_manager else None,
            "proposed_manager_id": v.proposal.pk if v.proposal else None,
            "proposed_manager": str(v.proposal) if v.proposal else None,
        }
        for v in found
    ]
