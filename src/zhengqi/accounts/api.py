"""The audit trail in the REST API (the provincial admin's), with the page's filters; API tokens."""

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

from .api_auth import via_token
from .audit import KINDS, audit_events
from .models import ApiToken
from .tokens import token_create, token_revoke, tokens_visible

router = Router()


class AuditEventOut(Schema):
    at: dt.datetime
    kind: str
    username: str
    what: str
    detail: str


@router.get(
    "/audit", response=list[AuditEventOut], summary="审计日志：导出、查看个人信息、登录失败、API 令牌（省公司管理员）"
)
@paginate(Pages, page_size=50)
def audit(
    request: AuthedRequest,
    kind: str = "",
    user: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Any:
    if kind and kind not in KINDS:
        raise HttpError(400, f"类型“{kind}”不存在：可选 {', '.join(KINDS)}。")
    events = audit_events(kind=kind, username=user.strip()[:150], since=since, until=until)
    return [dataclasses.asdict(e) for e in events]


class TokenOut(Schema):
    id: int
    user: str
    name: str
    prefix: str = Field(description="令牌的前几个字符，用于辨认")
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    state: str = Field(description="active 有效 / expired 已过期 / revoked 已吊销")


class TokenIn(Schema):
    name: str = Field(description="用途，例如“报表同步脚本”", max_length=100)
    days: int = Field(90, description="有效天数（1 至 ZHENGQI_API_TOKEN_MAX_DAYS，默认 365）")


class TokenCreated(TokenOut):
    key: str = Field(description="令牌本身：只显示这一次，请立即保存")


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "state": token.state(timezone.now()),
    }


@router.get("/tokens", response=list[TokenOut], summary="API 令牌：自己的（省公司管理员看全部）")
@paginate(Pages, page_size=50)
def tokens(request: AuthedRequest) -> Any:
    user = request.user
    return Converted(tokens_visible(user), token_out)


@router.post(
    "/tokens",
    response={201: TokenCreated, 403: Detail, 422: Detail},
    summary="创建 API 令牌（须登录页面会话，令牌本身只返回这一次）",
)
def token_new(request: AuthedRequest, body: TokenIn) -> Any:
    user = request.user
    token, key = token_create(by=user, name=body.name, days=body.days, via_token=via_token(request))
    return Status(201, {**token_out(token), "key": key})


@router.delete(
    "/tokens/{token_id}", response={200: TokenOut, 404: Detail}, summary="吊销 API 令牌（本人或省公司管理员）"
)
def token_delete(request: AuthedRequest, token_id: int) -> Any:
    user = request.user
    return token_out(token_revoke(by=user, token_id=token_id))
