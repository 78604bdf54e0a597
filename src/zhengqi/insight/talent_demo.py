"""The demo province's account-manager development: a course catalogue, a year of course results
and qualification certificates, this year's ratings with the grade changes they propose, and one
decided last year (so that the history has both)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User

from .models import Certification, Course, CourseRecord, GradeChange, Rating

COURSES = [
    ("数据专线与组网方案", Course.Kind.PRODUCT, "8"),
    ("云业务与 IDC 产品", Course.Kind.PRODUCT, "8"),
    ("顾问式销售与关键人经营", Course.Kind.SALES, "12"),
    ("政务与教育行业解决方案", Course.Kind.INDUSTRY, "8"),
    ("集团客户服务规范与投诉处理", Course.Kind.SERVICE, "6"),
    ("商务谈判与招投标", Course.Kind.SALES, "10"),
]


def wipe() -> None:
    GradeChange.objects.all().delete()
    Rating.objects.all().delete()
    Certification.objects.all().delete()
    CourseRecord.objects.all().delete()
    Course.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    today = timezone.localdate(now)
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    managers = list(User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True).order_by("username"))
    if admin is None or not managers:
        return
    rng = np.random.default_rng(31)
    with transaction.atomic():
        courses = [
            Course.objects.get_or_create(name=n, defaults={"kind": k, "hours": Decimal(h)})[0] for n, k, h in COURSES
        ]
        records: list[CourseRecord] = []
        for m in managers:
            picked = rng.choice(len(courses), size=int(rng.integers(1, len(courses) + 1)), replace=False)
            for course in (courses[int(i)] for i in picked):
                day = today - dt.timedelta(days=int(rng.integers(5, 300)))
                records.append(
                    CourseRecord(user=m, course=course, date=day, score=int(rng.integers(45, 100)), recorded_by=admin)
                )
            grade = m.grade or 1
            if rng.random() < 0.7:
                up = min(4, grade + int(rng.random() < 0.4))
                Certification.objects.create(
                    user=m, name=f"{User.Grade(up).label}任职资格认证", grade=up,
                    issued=today - dt.timedelta(days=int(rng.integers(30, 700))),
                    expires=today + dt.timedelta(days=int(rng.integers(200, 900))), recorded_by=admin,
                )  # fmt: skip
        CourseRecord.objects.bulk_create(records, ignore_conflicts=True)
        first = managers[0]
        if first.grade:
            GradeChange.objects.create(
                user=first, from_grade=max(1, first.grade - 1), to_grade=first.grade,
                status=GradeChange.Status.APPROVED,
                proposed_at=now - dt.timedelta(days=330), decided_by=admin, decided_at=now - dt.timedelta(days=325),
                note="上年度评级优秀，持高一级证书",
            )  # fmt: skip
    # The ratings follow the first month runs of the year: `zhengqi rate_year --if-missing` (./dev start).
