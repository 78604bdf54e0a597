"""Saved segments in the REST API: the same services and row-level access as the pages."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.access import region_get
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.api import CustomerOut
from zhengqi.web.pagination import Pages

from .configuration import rule_preview
from .models import Segment
from .segments import (
    segment_counts,
    segment_delete,
    segment_file,
    segment_get,
    segment_members,
    segment_save,
    segment_trend,
    segments_visible_to,
)

router = Router()


class SegmentOut(Schema):
    id: int
    name: str
    expression: str
    description: str
    owner_id: int
    owner_name: str = Field(..., alias="owner.display_name")
    shared: bool
    shared_role: str = Field(..., description="空：所有角色")
    shared_region_id: int | None = Field(None, description="空：全省")


class SegmentListOut(SegmentOut):
    members: int = Field(..., description="最近一次月度运行中您可见的成员数")


class SegmentIn(Schema):
    name: str = Field(..., max_length=100)
    expression: str = Field(..., description="规则语言的条件，例如 tier in ('A+', 'A') and complaints_3m > 0")
    description: str = Field("", max_length=300)
    shared: bool = False
    shared_role: str = ""
    shared_region_id: int | None = None


class TrendOut(Schema):
    month: dt.date
    count: int


class SegmentPreviewIn(Schema):
    expression: str


class SegmentPreviewOut(Schema):
    month: dt.date | None
    count: int
    sample: list[str] = Field(..., description="前 20 个客户名称（您可见的）")


def _values(data: SegmentIn) -> dict[str, Any]:
    values = data.dict()
    region_id = values.pop("shared_region_id")
    values["shared_region"] = region_get(region_id) if region_id else None
    if region_id and values["shared_region"] is None:
        raise Http404("共享的区域不存在。")
    return values


@router.get("/segments", response=list[SegmentListOut], summary="客户细分（我的与共享给我的）")
def list_segments(request: AuthedRequest) -> Any:
    segments = list(segments_visible_to(request.user))
    counts = segment_counts(user=request.user, segments=segments)
    return [{**SegmentOut.from_orm(s).dict(), "members": counts.get(s.pk, 0)} for s in segments]


@router.post("/segments/preview", response=SegmentPreviewOut, summary="校验条件并预览（不保存）")
def preview_segment(request: AuthedRequest, data: SegmentPreviewIn) -> Any:
    preview = rule_preview(user=request.user, expression=data.expression)
    return {"month": preview.month, "count": preview.count, "sample": [c.name for c in preview.sample]}


@router.post("/segments", response={201: SegmentOut}, summary="新建客户细分（条件按规则校验）")
def create_segment(request: AuthedRequest, data: SegmentIn) -> Status[Segment]:
    return Status(201, segment_save(by=request.user, **_values(data)))


@router.get("/segments/{segment_id}", response=SegmentOut, summary="客户细分详情")
def get_segment(request: AuthedRequest, segment_id: int) -> Segment:
    return segment_get(user=request.user, pk=segment_id)


@router.put("/segments/{segment_id}", response=SegmentOut, summary="修改客户细分（创建人或省公司管理员）")
def update_segment(request: AuthedRequest, segment_id: int, data: SegmentIn) -> Segment:
    segment = segment_get(user=request.user, pk=segment_id)
    return segment_save(by=request.user, segment=segment, **_values(data))


@router.delete("/segments/{segment_id}", response={204: None}, summary="删除客户细分（创建人或省公司管理员）")
def delete_segment(request: AuthedRequest, segment_id: int) -> Status[None]:
    segment_delete(by=request.user, segment=segment_get(user=request.user, pk=segment_id))
    return Status(204, None)


@router.get("/segments/{segment_id}/members", response=list[CustomerOut], summary="细分成员（您可见的）")
@paginate(Pages, page_size=50)
def list_members(request: AuthedRequest, segment_id: int) -> Any:
    return segment_members(user=request.user, segment=segment_get(user=request.user, pk=segment_id))


@router.get("/segments/{segment_id}/trend", response=list[TrendOut], summary="每月成员数（您可见的）")
def trend(request: AuthedRequest, segment_id: int) -> Any:
    return segment_trend(user=request.user, segment=segment_get(user=request.user, pk=segment_id))


@router.get("/exports/segments/{segment_id}", summary="导出细分成员（Excel / CSV，写入审计日志）")
def export_segment(request: AuthedRequest, segment_id: int, fmt: str = "xlsx") -> HttpResponseBase | HttpResponse:
    return segment_file(request=request, segment=segment_get(user=request.user, pk=segment_id), fmt=fmt)
