"""Tasks and interactions in the REST API: the same services and access rules as the workbench
and the customer page."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from zhengqi.accounts.access import user_get
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.customers.services import CUSTOMER_CORRECTABLE
from zhengqi.marketing.models import Interaction, Task
from zhengqi.marketing.tasks.selectors import interactions_of, open_tasks, task_backlog
from zhengqi.marketing.tasks.services import (
    interaction_log,
    interaction_photo_attach,
    task_close,
    task_create,
    task_take,
    tasks_bulk,
    tasks_escalate,
    tasks_visible_to,
)
from zhengqi.scoring.models import Severity
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Pages

router = Router()


class TaskOut(Schema):
    id: int
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    assignee_id: int
    title: str
    source: str
    rule_code: str
    priority: str
    due: dt.date
    status: str
    outcome: str
    escalated_to_id: int | None
    escalated_at: dt.datetime | None


class TaskIn(Schema):
    title: str = Field(..., max_length=200)
    due: dt.date
    priority: Severity = Severity.MEDIUM
    assignee_id: int | None = Field(None, description="区域经理可指定客户经理；客户经理只能给自己建任务")


class BacklogOut(Schema):
    alert_id: int = Field(..., alias="pk")
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    account_manager_id: int | None = Field(None, alias="customer.account_manager_id")
    rule_code: str
    rule_name: str
    family: str
    severity: str
    priority: float = Field(..., description="优先级 = 价值 × 风险 × 严重程度（越大越先处理）")
    first_month: dt.date
    last_month: dt.date


class TasksBulkIn(Schema):
    task_ids: list[int]
    action: str = Field(..., description="reassign 转派 / reschedule 改期 / cancel 取消（区域经理） / close 完成")
    reason: str = Field(..., description="原因；完成时为处理结果（必填）")
    assignee_id: int | None = Field(None, description="转派时：接手的客户经理")
    due: dt.date | None = Field(None, description="改期时：新的截止日期")


class CloseIn(Schema):
    outcome: str = Field(..., description="处理结果（必填）")


class InteractionOut(Schema):
    id: int
    kind: str
    date: dt.date
    by_id: int
    key_person_ids: list[int]
    summary: str
    outcome: str
    next_step: str
    task_id: int | None
    latitude: Decimal | None = Field(None, description="拜访地点纬度（WGS-84）")
    longitude: Decimal | None = Field(None, description="拜访地点经度（WGS-84）")
    photo_url: str | None = Field(None, description="现场照片（页面地址，需登录且有权查看该客户）")

    @staticmethod
    def resolve_key_person_ids(obj: Interaction) -> list[int]:
        return [p.pk for p in obj.key_persons.all()]

    @staticmethod
    def resolve_photo_url(obj: Interaction) -> str | None:
        return reverse("marketing:interaction_photo", args=[obj.pk]) if obj.photo else None


class InteractionIn(Schema):
    kind: Interaction.Kind = Interaction.Kind.VISIT
    date: dt.date
    key_person_ids: list[int] = []
    summary: str = Field(..., max_length=2000)
    outcome: str = ""
    next_step: str = Field("", max_length=200)
    next_due: dt.date | None = Field(None, description="有下一步时必填：据此生成新任务")
    task_id: int | None = Field(None, description="从任务发起时填写：保存后以结果关闭该任务")
    corrections: dict[str, Any] = Field(
        default_factory=dict, description="同时更正的客户资料（保留字段级历史）：" + ", ".join(CUSTOMER_CORRECTABLE)
    )
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)


@router.get("/tasks", response=list[TaskOut], summary="我的任务（区域经理：本区域的任务）")
@paginate(Pages, page_size=50)
def list_tasks(request: AuthedRequest, status: str = "open", overdue: bool = False) -> Any:
    return open_tasks(request.user, when="overdue" if overdue else "all", status=status)


@router.get("/tasks/backlog", response=list[BacklogOut], summary="待办池：超出容量、尚无任务的预警（按优先级）")
@paginate(Pages, page_size=50)
def list_backlog(request: AuthedRequest) -> Any:
    return task_backlog(request.user)


@router.post("/tasks/backlog/{alert_id}/take", response={201: TaskOut}, summary="从待办池领取预警为自己的任务")
def take_from_backlog(request: AuthedRequest, alert_id: int) -> Status[Task]:
    alert = task_backlog(request.user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("该预警已有任务或已消除，不在待办池中。")
    return Status(201, task_take(alert=alert, by=request.user))


@router.post("/tasks/bulk", summary="批量转派、改期、取消或完成任务（全部成功才生效）")
def bulk_tasks(request: AuthedRequest, data: TasksBulkIn) -> dict[str, int]:
    to = None
    if data.assignee_id is not None:
        to = user_get(data.assignee_id)
        if to is None:
            raise Http404("接手人不存在。")
    changed = tasks_bulk(
        by=request.user, task_ids=data.task_ids, action=data.action, reason=data.reason, to=to, due=data.due
    )
    return {"changed": changed}


@router.post("/customers/{customer_id}/tasks", response={201: TaskOut}, summary="手工创建任务")
def create_task(request: AuthedRequest, customer_id: int, data: TaskIn) -> Status[Task]:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    assignee = None
    if data.assignee_id is not None:
        assignee = user_get(data.assignee_id)
        if assignee is None:
            raise Http404("负责人不存在。")
    task = task_create(
        by=user, customer=customer, title=data.title, due=data.due, priority=data.priority, assignee=assignee
    )
    return Status(201, task)


@router.post("/tasks/{task_id}/close", response=TaskOut, summary="关闭任务（需填写处理结果）")
def close_task(request: AuthedRequest, task_id: int, data: CloseIn) -> Task:
    user = request.user
    task = tasks_visible_to(user).filter(pk=task_id).first()
    if task is None:
        raise Http404("任务不存在或无权查看。")
    return task_close(task=task, by=user, outcome=data.outcome)


@router.post("/tasks/escalate", summary="逾期任务上报区域经理（每日任务；省公司管理员）")
def escalate_tasks(request: AuthedRequest) -> dict[str, int]:
    user = request.user
    if not (user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN):
        raise PermissionDenied("只有省公司管理员可以手工运行上报。")
    return {"escalated": tasks_escalate()}


@router.get("/customers/{customer_id}/interactions", response=list[InteractionOut], summary="客户的接触记录")
@paginate(Pages, page_size=50)
def list_interactions(request: AuthedRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    return interactions_of(customer).order_by("-date", "-pk")


@router.post(
    "/customers/{customer_id}/interactions",
    response={201: InteractionOut},
    summary="记录拜访 / 电话 / 会议 / 邮件",
    description="可同时关闭来源任务、把下一步生成为新任务、更正客户资料；任何一部分被拒绝则全部不保存。",
)
def create_interaction(request: AuthedRequest, customer_id: int, data: InteractionIn) -> Status[Interaction]:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    task = None
    if data.task_id is not None:
        task = tasks_visible_to(user).filter(pk=data.task_id).first()
        if task is None:
            raise Http404("任务不存在或无权查看。")
    interaction = interaction_log(
        by=user,
        customer=customer,
        kind=data.kind,
        date=data.date,
        key_person_ids=data.key_person_ids,
        summary=data.summary,
        outcome=data.outcome,
        next_step=data.next_step,
        next_due=data.next_due,
        task=task,
        corrections=data.corrections or None,
        latitude=data.latitude,
        longitude=data.longitude,
    )
    return Status(201, interaction)


@router.post(
    "/interactions/{interaction_id}/photo",
    response={200: InteractionOut, 404: Detail, 422: Detail},
    summary="为接触记录上传现场照片（JPG、PNG）",
)
def upload_interaction_photo(request: AuthedRequest, interaction_id: int, file: File[UploadedFile]) -> Interaction:
    return interaction_photo_attach(by=request.user, pk=interaction_id, upload=file)
