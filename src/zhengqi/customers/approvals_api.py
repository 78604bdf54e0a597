"""Change requests (/api/change-requests) and group-customer registrations (/api/registrations) in
the REST API: the same services and access rules as their pages."""

import datetime as dt

from django.db.models import QuerySet
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from zhengqi.accounts.access import region_by_code
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.pagination import Pages

from .change_requests import (
    change_request_decide,
    change_request_get,
    change_request_propose,
    change_request_withdraw,
    change_requests_to_decide,
    change_requests_visible_to,
    parent_link_propose,
)
from .models import ChangeRequest, Registration
from .registrations import (
    registration_decide,
    registration_get,
    registration_submit,
    registrations_to_decide,
    registrations_visible_to,
)
from .selectors import customer_get

changes_router = Router()
registrations_router = Router()


class ChangeLine(Schema):
    field: str
    old: str
    new: str


class ChangeRequestOut(Schema):
    id: int
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    kind: str = Field(..., description="master：资料变更；parent：上级单位")
    kind_label: str
    lines: list[ChangeLine] = Field(..., description="每个字段的原值与新值（文字）")
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    status: str = Field(..., description="pending / approved / rejected / withdrawn")
    status_label: str
    approved_by: list[str]
    decided_at: dt.datetime | None
    comment: str

    @staticmethod
    def resolve_kind_label(obj: ChangeRequest) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_lines(obj: ChangeRequest) -> list[dict[str, str]]:
        return [{"field": f, "old": o, "new": n} for f, o, n in obj.summary()]

    @staticmethod
    def resolve_proposed_by(obj: ChangeRequest) -> str:
        return str(obj.proposed_by)

    @staticmethod
    def resolve_status_label(obj: ChangeRequest) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_approved_by(obj: ChangeRequest) -> list[str]:
        return list(dict.fromkeys(str(u) for u in (obj.child_side_by, obj.parent_side_by) if u is not None))


class ChangeQuery(Schema):
    status: str = Field("", description="pending / approved / rejected / withdrawn")
    to_decide: bool = Field(False, description="只看待我审批的")
    customer_id: int | None = None


class ChangeIn(Schema):
    customer_id: int
    kind: str = Field("master", pattern="^(master|parent)$")
    changes: dict[str, str] = Field(
        default_factory=dict,
        description="资料变更：字段 → 新值（name、credit_code、customer_type、industry、scale、address）",
    )
    parent_code: str = Field("", max_length=30, description="上级单位：新上级单位的客户编码，空表示不再隶属")
    reason: str = Field(..., min_length=1, max_length=2000)


class ApprovalIn(Schema):
    approve: bool
    comment: str = Field("", max_length=2000)


@changes_router.get("", response=list[ChangeRequestOut], summary="变更申请列表")
@paginate(Pages, page_size=50)
def list_changes(request: AuthedRequest, filters: Query[ChangeQuery]) -> QuerySet[ChangeRequest] | list[ChangeRequest]:
    user = request.user
    if filters.to_decide:
        return change_requests_to_decide(user)
    qs = change_requests_visible_to(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    return qs


@changes_router.post(
    "",
    response={201: ChangeRequestOut},
    summary="提交变更申请",
    description="BSS 管理的客户资料或上级单位：由客户所在区域的区域经理审批（上级单位需双方区域经理）。",
)
def propose_change(request: AuthedRequest, data: ChangeIn) -> Status:
    user = request.user
    customer = customer_get(user=user, pk=data.customer_id)
    if data.kind == "parent":
        made = parent_link_propose(customer=customer, by=user, parent_code=data.parent_code, reason=data.reason)
    else:
        made = change_request_propose(customer=customer, by=user, changes=data.changes, reason=data.reason)
    return Status(201, change_request_get(user=user, pk=made.pk))


@changes_router.get("/{int:change_id}", response=ChangeRequestOut, summary="变更申请详情")
def get_change(request: AuthedRequest, change_id: int) -> ChangeRequest:
    return change_request_get(user=request.user, pk=change_id)


@changes_router.post("/{int:change_id}/decision", response=ChangeRequestOut, summary="审批变更申请")
def decide_change(request: AuthedRequest, change_id: int, data: ApprovalIn) -> ChangeRequest:
    user = request.user
    change = change_request_get(user=user, pk=change_id)
    change_request_decide(request=change, by=user, approve=data.approve, comment=data.comment)
    return change_request_get(user=user, pk=change_id)


@changes_router.post("/{int:change_id}/withdraw", response=ChangeRequestOut, summary="撤回变更申请")
def withdraw_change(request: AuthedRequest, change_id: int) -> ChangeRequest:
    user = request.user
    change_request_withdraw(request=change_request_get(user=user, pk=change_id), by=user)
    return change_request_get(user=user, pk=change_id)


class RegistrationOut(Schema):
    id: int
    name: str
    credit_code: str
    customer_type: str
    industry: str
    scale: str
    region: str = Field(..., alias="region.code")
    address: str
    members_expected: int
    has_evidence: bool
    proposed_by: str
    proposed_at: dt.datetime
    status: str = Field(..., description="pending / approved / rejected")
    status_label: str
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str
    customer_id: int | None = Field(..., description="认定后的客户")
    proof_month: dt.date | None = Field(..., description="从该月起，月度运行核验成员是否入网")
    proof: str = Field(..., description="waiting / passed / failed")
    proof_members: int | None

    @staticmethod
    def resolve_has_evidence(obj: Registration) -> bool:
        return bool(obj.evidence)

    @staticmethod
    def resolve_proposed_by(obj: Registration) -> str:
        return str(obj.proposed_by)

    @staticmethod
    def resolve_status_label(obj: Registration) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_decided_by(obj: Registration) -> str | None:
        return str(obj.decided_by) if obj.decided_by else None


class RegistrationQuery(Schema):
    status: str = Field("", description="pending / approved / rejected")
    to_decide: bool = Field(False, description="只看待我审批的")


@registrations_router.get("", response=list[RegistrationOut], summary="集团客户认定申请")
@paginate(Pages, page_size=50)
def list_registrations(
    request: AuthedRequest, filters: Query[RegistrationQuery]
) -> QuerySet[Registration] | list[Registration]:
    user = request.user
    if filters.to_decide:
        return registrations_to_decide(user)
    qs = registrations_visible_to(user).order_by("-proposed_at", "-pk")
    return qs.filter(status=filters.status) if filters.status else qs


@registrations_router.post(
    "",
    response={201: RegistrationOut},
    summary="申请认定新集团客户",
    description="multipart 表单：单位信息与营业执照（PDF 或照片）；由所属区域的区域经理审批。",
)
def submit_registration(
    request: AuthedRequest,
    name: Form[str],
    credit_code: Form[str],
    customer_type: Form[str],
    industry: Form[str],
    scale: Form[str],
    region: Form[str],
    members_expected: Form[int],
    evidence: File[UploadedFile],
    address: Form[str] = "",
) -> Status:
    user = request.user
    made = registration_submit(
        by=user,
        region=region_by_code(region),
        evidence=evidence,
        members_expected=members_expected,
        name=name,
        credit_code=credit_code,
        customer_type=customer_type,
        industry=industry,
        scale=scale,
        address=address,
    )
    return Status(201, registration_get(user=user, pk=made.pk))


@registrations_router.get("/{int:registration_id}", response=RegistrationOut, summary="认定申请详情")
def get_registration(request: AuthedRequest, registration_id: int) -> Registration:
    return registration_get(user=request.user, pk=registration_id)


@registrations_router.post("/{int:registration_id}/decision", response=RegistrationOut, summary="审批认定申请")
def decide_registration(request: AuthedRequest, registration_id: int, data: ApprovalIn) -> Registration:
    user = request.user
    registration = registration_get(user=user, pk=registration_id)
    registration_decide(registration=registration, by=user, approve=data.approve, comment=data.comment)
    return registration_get(user=user, pk=registration_id)
