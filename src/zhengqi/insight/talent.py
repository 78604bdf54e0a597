"""客户经理培养 — account-manager development (seed 001 selection and training; seed 004 任职资格).

Training courses and qualification certificates are recorded per account manager. Once a year (or
again, safely, as results come in) a manager's **rating** (年度评级) is worked out from the year's
KPI results and the training:

- KPI points (up to ``KPI_POINTS``): the mean of the year's results against their targets, each
  capped at 100 % — revenue completion, retention, members kept, tasks done on time, satisfaction
  (a result the manager has no figure for is left out of the mean; none at all gives 0);
- training points (up to ``TRAINING_POINTS``): half for course hours passed in the year (up to
  ``HOURS_PER_YEAR``), half for a certificate valid at the year's end: the grade above the
  manager's (full), or the manager's own grade (half);
- the score gives the level: A 优秀 ≥ 85, B 良好 ≥ 70, C 合格 ≥ 60, D 待改进 below.

The rating **proposes** a grade: one up for an A holding a certificate for that grade, one down for a
D; an ungraded manager rated C or better is proposed the highest grade of their valid certificates.
A proposal waits for the manager's regional manager (the nearest above, or the provincial admin),
who approves or rejects it; approval changes the grade, and both stay in the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import manages_region, nearest_manager, sees_whole_province
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.qualification import unqualified
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify
from zhengqi.scoring.models import MonthRun
from zhengqi.web.forms import parse_int

from .kpi import Kpi, kpis, managers_in
from .models import Certification, Course, CourseRecord, GradeChange, ManagerTarget, Rating

KPI_POINTS = Decimal(70)
TRAINING_POINTS = Decimal(30)
HOURS_PER_YEAR = Decimal(40)
LEVELS = ((Decimal(85), Rating.Level.EXCELLENT), (Decimal(70), Rating.Level.GOOD), (Decimal(60), Rating.Level.PASS))
TOP_GRADE = max(User.Grade.values)


def _q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def kpi_points(k: Kpi) -> Decimal:
    """The mean of the results against their targets (each at most 100 %), times ``KPI_POINTS``."""
    t = k.targets
    pairs = [
        (k.revenue_completion, 1.0),
        (k.retention, t.get(ManagerTarget.Metric.RETENTION)),
        (k.in_network, t.get(ManagerTarget.Metric.IN_NETWORK)),
        (k.task_completion, t.get(ManagerTarget.Metric.TASK_COMPLETION)),
        (k.satisfaction, 1.0),
    ]
    ratios = [min(1.0, float(v) / float(goal)) for v, goal in pairs if v is not None and goal]
    if not ratios:
        return Decimal(0)
    return _q(KPI_POINTS * Decimal(str(sum(ratios) / len(ratios))))


def valid_grades(certs: list[Certification], on: dt.date) -> set[int]:
    return {c.grade for c in certs if c.issued <= on and (c.expires is None or c.expires >= on)}


def training_points(hours: Decimal, grade: int | None, certified: set[int]) -> Decimal:
    study = min(Decimal(1), hours / HOURS_PER_YEAR) * TRAINING_POINTS / 2
    above = min(TOP_GRADE, (grade or 0) + 1)
    cert = Decimal(1) if any(g >= above for g in certified) else Decimal("0.5") if grade in certified else Decimal(0)
    return _q(study + cert * TRAINING_POINTS / 2)


def level_of(score: Decimal) -> str:
    return next((level for floor, level in LEVELS if score >= floor), Rating.Level.IMPROVE)


def proposed_grade(grade: int | None, level: str, certified: set[int]) -> int | None:
    """The grade the rating proposes (the current one when it proposes no change)."""
    if grade is None:
        return max(certified) if certified and level != Rating.Level.IMPROVE else None
    if level == Rating.Level.EXCELLENT and grade < TOP_GRADE and any(g >= grade + 1 for g in certified):
        return grade + 1
    if level == Rating.Level.IMPROVE and grade > min(User.Grade.values):
        return grade - 1
    return grade


def passed_hours(user_ids: list[int], year: int) -> dict[int, Decimal]:
    """Course hours passed in the year: a course counts once, however often it was retaken."""
    best: dict[tuple[int, int], CourseRecord] = {}
    for r in CourseRecord.objects.filter(user_id__in=user_ids, date__year=year).select_related("course"):
        if r.passed:
            best.setdefault((r.user_id, r.course_id), r)
    hours: dict[int, Decimal] = {}
    for (user_id, _course), r in best.items():
        hours[user_id] = hours.get(user_id, Decimal(0)) + r.course.hours
    return hours


def rating_month(year: int, today: dt.date) -> dt.date:
    """The latest successful month run of the year: the results a rating stands on."""
    month = (
        MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED, month__year=year, month__lte=today)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if month is None:
        raise ValidationError(_("%(y)s 年还没有成功的月度运行结果，无法评级。") % {"y": year})
    return month


def rate_year(*, by: User, year: int, now: dt.datetime | None = None) -> list[Rating]:
    """Rate the account managers in the user's scope for ``year`` and propose their grade changes.
    Running it again replaces the year's ratings and the open proposals it made (never a decided one)."""
    if matrix.role_of(by) not in matrix.MANAGERS:
        raise PermissionDenied(_("年度评级由区域经理或省公司管理员发起。"))
    now = now or timezone.now()
    month = rating_month(year, timezone.localdate(now))
    rows = kpis(by, month)
    ids = [k.manager.pk for k in rows]
    hours = passed_hours(ids, year)
    certs: dict[int, list[Certification]] = {}
    for c in Certification.objects.filter(user_id__in=ids):
        certs.setdefault(c.user_id, []).append(c)
    year_end = min(dt.date(year, 12, 31), timezone.localdate(now))
    out = []
    with transaction.atomic():
        for k in rows:
            m = k.manager
            certified = valid_grades(certs.get(m.pk, []), year_end)
            kp = kpi_points(k)
            tp = training_points(hours.get(m.pk, Decimal(0)), m.grade, certified)
            level = level_of(kp + tp)
            proposal = proposed_grade(m.grade, level, certified)
            rating, _created = Rating.objects.update_or_create(
                user=m,
                year=year,
                defaults={
                    "month": month,
                    "kpi_points": kp,
                    "training_points": tp,
                    "score": kp + tp,
                    "level": level,
                    "grade": m.grade,
                    "proposed_grade": proposal,
                    "rated_at": now,
                },
            )
            out.append(rating)
            _propose(m, rating, proposal, by, now)
    return out


def _propose(manager: User, rating: Rating, proposal: int | None, by: User, now: dt.datetime) -> None:
    open_ = GradeChange.objects.filter(user=manager, status=GradeChange.Status.PROPOSED).first()
    if proposal is None or proposal == manager.grade:
        if open_ is not None and open_.rating_id == rating.pk:
            open_.delete()  # a re-run no longer proposes it
        return
    if open_ is not None:
        open_.to_grade, open_.rating, open_.from_grade, open_.proposed_at = proposal, rating, manager.grade, now
        open_.save()
        return
    GradeChange.objects.create(
        user=manager, rating=rating, from_grade=manager.grade, to_grade=proposal, proposed_at=now
    )
    decider = nearest_manager(manager.region)
    notify(
        [decider or by],
        Kind.APPROVAL_WAITING,
        _("等级调整待审批：%(name)s %(a)s → %(b)s")
        % {"name": manager, "a": grade_name(manager.grade), "b": grade_name(proposal)},
        link=reverse("insight:talent_person", args=[manager.pk]),
        key=f"grade-change:{manager.pk}:{rating.year}:{proposal}",
    )


def grade_name(grade: int | None) -> str:
    return str(User.Grade(grade).label) if grade else _("未定级")


def may_decide(user: User, change: GradeChange) -> bool:
    """The provincial admin, or a regional manager over the account manager's region — never one's own."""
    return user.pk != change.user_id and may_record(user, change.user)


def grade_change_decide(
    *, by: User, change_id: int, approve: bool, note: str = "", now: dt.datetime | None = None
) -> GradeChange:
    now = now or timezone.now()
    with transaction.atomic():
        change = (
            GradeChange.objects.select_for_update(of=("self",))
            .select_related("user__region")
            .filter(pk=change_id)
            .first()
        )
        if change is None:
            raise ValidationError(_("没有这条等级调整。"))
        if not may_decide(by, change):
            raise PermissionDenied(_("等级调整由客户经理所在区域的区域经理或省公司管理员审批。"))
        if change.status != GradeChange.Status.PROPOSED:
            raise ValidationError(_("这条等级调整已经审批过了。"))
        text = note.strip()[:200]
        if not approve and not text:
            raise ValidationError({"note": _("不批准时请写明理由。")})
        change.status = GradeChange.Status.APPROVED if approve else GradeChange.Status.REJECTED
        change.decided_by, change.decided_at, change.note = by, now, text
        change.save()
        if approve:
            User.objects.filter(pk=change.user_id).update(grade=change.to_grade)
        verdict = _("已批准") if approve else _("未批准")
        notify(
            [change.user_id],
            Kind.APPROVAL_DECIDED,
            _("您的等级调整%(v)s：%(a)s → %(b)s")
            % {"v": verdict, "a": grade_name(change.from_grade), "b": grade_name(change.to_grade)},
            body=text,
            link=reverse("insight:talent_person", args=[change.user_id]),
            key=f"grade-decided:{change.pk}",
        )
    return change


# --- recording courses and certificates ------------------------------------------------------------


def may_record(by: User, manager: User) -> bool:
    """The admin, or a regional manager over the account manager's region."""
    return manages_region(by, manager.region)


def _manager(by: User, user_id: int) -> User:
    manager = User.objects.select_related("region").filter(pk=user_id, role=User.Role.ACCOUNT_MANAGER).first()
    if manager is None or not may_record(by, manager):
        raise PermissionDenied(_("培训与认证由客户经理所在区域的区域经理或省公司管理员登记。"))
    return manager


def _score(raw: object, field: str) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationError({field: _("成绩应为 0 至 100 的整数。")}) from None
    if not 0 <= value <= 100:
        raise ValidationError({field: _("成绩应为 0 至 100 的整数。")})
    return value


def course_record_add(*, by: User, user_id: int, course_id: int, date: dt.date | None, score: object) -> CourseRecord:
    manager = _manager(by, user_id)
    course = Course.objects.filter(pk=course_id).first()
    errors: dict[str, str] = {}
    if course is None:
        errors["course"] = _("请选择课程。")
    if date is None:
        errors["date"] = _("请填写结业日期。")
    elif date > timezone.localdate():
        errors["date"] = _("结业日期不能晚于今天。")
    try:
        value = _score(score, "score")
    except ValidationError as err:
        errors.update({k: v[0] for k, v in err.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    assert course is not None and date is not None
    if CourseRecord.objects.filter(user=manager, course=course, date=date).exists():
        raise ValidationError({"date": _("该课程在这一天的成绩已经登记过了。")})
    return CourseRecord.objects.create(user=manager, course=course, date=date, score=value, recorded_by=by)


def certification_add(
    *,
    by: User,
    user_id: int,
    name: str,
    grade: object,
    issued: dt.date | None,
    expires: dt.date | None,
    score: object = "",
) -> Certification:
    manager = _manager(by, user_id)
    errors: dict[str, str] = {}
    text = name.strip()
    if not text:
        errors["name"] = _("请填写证书名称。")
    elif len(text) > 100:
        errors["name"] = _("证书名称不能超过 100 个字。")
    level = parse_int(grade) or 0
    if level not in User.Grade.values:
        errors["grade"] = _("请选择证书对应的客户经理等级。")
    if issued is None:
        errors["issued"] = _("请填写取得日期。")
    elif issued > timezone.localdate():
        errors["issued"] = _("取得日期不能晚于今天。")
    elif expires is not None and expires < issued:
        errors["expires"] = _("有效期不能早于取得日期。")
    value = None
    if str(score).strip():
        try:
            value = _score(score, "score")
        except ValidationError as err:
            errors.update({k: v[0] for k, v in err.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    assert issued is not None
    return Certification.objects.create(
        user=manager, name=text, grade=level, issued=issued, expires=expires, score=value, recorded_by=by
    )


# --- what the pages show ------------------------------------------------------------------------------


@dataclass
class Person:
    manager: User
    rating: Rating | None
    hours: Decimal
    certified: set[int]
    open_change: GradeChange | None
    unqualified: int  # this manager's customers whose tier exceeds the grade


def managers_of(user: User) -> list[User]:
    """The account managers on the user's development list: an account manager themselves; for a
    manager, those whose customers they see and those of their regions who have none yet (a new
    hire in training is on the list before their first customer)."""
    if matrix.role_of(user) == "am":
        return [user]
    found = {m.pk: m for m in managers_in(user, None)}
    if matrix.role_of(user) in matrix.MANAGERS and (sees_whole_province(user) or user.region is not None):
        staff = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True).select_related("region")
        if not sees_whole_province(user):
            assert user.region is not None
            staff = staff.filter(region__path__startswith=user.region.path)
        found.update({m.pk: m for m in staff.exclude(pk__in=found)})
    return sorted(found.values(), key=lambda m: m.username)


def people(user: User, year: int) -> list[Person]:
    """The account managers the user sees, with the year's rating, hours, certificates and open proposal."""
    managers = managers_of(user)
    ids = [m.pk for m in managers]
    ratings = {r.user_id: r for r in Rating.objects.filter(user_id__in=ids, year=year)}
    hours = passed_hours(ids, year)
    certs: dict[int, list[Certification]] = {}
    for c in Certification.objects.filter(user_id__in=ids):
        certs.setdefault(c.user_id, []).append(c)
    changes = {c.user_id: c for c in GradeChange.objects.filter(user_id__in=ids, status=GradeChange.Status.PROPOSED)}
    low: dict[int, int] = {}
    for manager_id in unqualified(Customer.objects.filter(account_manager_id__in=ids)).values_list(
        "account_manager_id", flat=True
    ):
        low[manager_id] = low.get(manager_id, 0) + 1
    today = timezone.localdate()
    return [
        Person(m, ratings.get(m.pk), hours.get(m.pk, Decimal(0)), valid_grades(certs.get(m.pk, []), today),
               changes.get(m.pk), low.get(m.pk, 0))
        for m in managers
    ]  # fmt: skip


def person_get(*, user: User, pk: int) -> User:
    """An account manager the user sees (themselves, for an account manager)."""
    if matrix.role_of(user) == "am" and user.pk != pk:
        raise PermissionDenied(_("客户经理只能查看自己的培养档案。"))
    found = next((m for m in managers_of(user) if m.pk == pk), None)
    if found is None:
        raise Http404(_("没有这位客户经理，或不在您的管理范围内。"))
    return found


def history(manager: User) -> dict[str, list[Any]]:
    return {
        "courses": list(CourseRecord.objects.filter(user=manager).select_related("course")),
        "certifications": list(Certification.objects.filter(user=manager)),
        "ratings": list(Rating.objects.filter(user=manager).order_by("-year")),
        "changes": list(GradeChange.objects.filter(user=manager).select_related("decided_by")),
    }


def open_changes(manager: User) -> QuerySet[GradeChange]:
    return GradeChange.objects.filter(user=manager, status=GradeChange.Status.PROPOSED)


def courses() -> QuerySet[Course]:
    return Course.objects.all()
