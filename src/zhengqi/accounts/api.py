"""The audit trail in the REST API (the provincial admin's), with the page's filters."""

import dataclasses
import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengqi.pagination import Pages

from . import matrix
from .audit import KINDS, audit_events

router = Router()


class AuditEventOut(Schema):
    at: dt.datetime
    kind: str
    username: str
    what: str
    detail: str


@router.get("/audit", response=list[AuditEventOut], summary="审计日志：导出、查看个人信息、登录失败（省公司管理员）")
@paginate(Pages, page_size=50)
def audit(
    request: HttpRequest,
    kind: str = "",
    user: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Any:
    matrix.require(request.user, "GET /api/audit")  # type: ignore[arg-type]
    if kind and kind not in KINDS:
        raise HttpError(400, f"类型“{kind}”不存在：可选 {', '.join(KINDS)}。")
    events = audit_events(kind=kind, username=user.strip()[:150], since=since, until=until)
    return [dataclasses.asdict(e) for e in events]
