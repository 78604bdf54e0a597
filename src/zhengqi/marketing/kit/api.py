"""The sales kit in the REST API: the same library, filters, versions and counted downloads as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail

from ..models import Material
from .services import MaterialInput, material_get, material_open, material_save, materials, usage, version_add

router = Router()


class VersionOut(Schema):
    number: int
    file_name: str
    size: int
    note: str
    uploaded_at: dt.datetime


class MaterialOut(Schema):
    id: int
    title: str
    kind: str = Field(
        description="playbook 红宝书 / solution 行业解决方案 / case 案例 / price 价目表 / agreement 框架协议模板"
    )
    summary: str
    products: list[str] = Field(description="适用产品编码；空为通用")
    industries: list[str] = Field(description="适用行业（国标门类字母）；空为所有行业")
    scales: list[str] = Field(description="适用客户规模；空为所有规模")
    active: bool
    versions: list[VersionOut]
    uses: dict[str, int] = Field(description="使用次数，按来源")


def material_out(m: Material) -> dict[str, Any]:
    return {
        "id": m.pk,
        "title": m.title,
        "kind": m.kind,
        "summary": m.summary,
        "products": [p.code for p in m.products.all()],
        "industries": list(m.industries),
        "scales": list(m.scales),
        "active": m.active,
        "versions": [
            {"number": v.number, "file_name": v.file_name, "size": v.size, "note": v.note, "uploaded_at": v.uploaded_at}
            for v in m.versions.all()
        ],
        "uses": usage(m),
    }


class KitFilter(Schema):
    kind: str = ""
    product: str = Field("", description="产品编码")
    industry: str = Field("", description="行业门类字母")
    scale: str = ""
    q: str = Field("", max_length=50, description="名称或简介中的关键词")


@router.get("/kit/materials", response=list[MaterialOut], summary="营销工具包：按类别、产品、行业、规模查找资料")
def kit_list(request: AuthedRequest, filters: Query[KitFilter]) -> Any:
    found = materials(
        kind=filters.kind, product=filters.product, industry=filters.industry, scale=filters.scale, text=filters.q
    )
    return [material_out(m) for m in found.prefetch_related("versions")]


@router.get("/kit/materials/{material_id}", response={200: MaterialOut, 404: Detail}, summary="一份营销资料")
def kit_one(request: AuthedRequest, material_id: int) -> Any:
    return material_out(material_get(material_id, user=request.user))


class MaterialIn(Schema):
    title: str = Field(max_length=100)
    kind: str
    products: list[str] = Field(default_factory=list, max_length=50)
    industries: list[str] = Field(default_factory=list, max_length=30)
    scales: list[str] = Field(default_factory=list, max_length=4)
    summary: str = Field("", max_length=2000)
    note: str = Field("", max_length=200)


@router.post(
    "/kit/materials",
    response={201: MaterialOut, 403: Detail, 422: Detail},
    summary="加入营销资料（表单字段加文件：PDF 或 Office）",
)
def kit_new(request: AuthedRequest, body: Form[MaterialIn], file: File[UploadedFile]) -> Any:
    made = material_save(
        by=request.user,
        data=MaterialInput(
            title=body.title,
            kind=body.kind,
            product_codes=body.products,
            industries=body.industries,
            scales=body.scales,
            summary=body.summary,
        ),
        upload=file,
        note=body.note,
    )
    return Status(201, material_out(made))


@router.post(
    "/kit/materials/{material_id}/versions",
    response={201: MaterialOut, 403: Detail, 404: Detail, 422: Detail},
    summary="上传资料的新版本",
)
def kit_version(request: AuthedRequest, material_id: int, file: File[UploadedFile], note: Form[str] = "") -> Any:
    material = material_get(material_id, user=request.user)
    version_add(by=request.user, material=material, upload=file, note=note)
    return Status(201, material_out(material_get(material_id, user=request.user)))


@router.get(
    "/kit/materials/{material_id}/file",
    response={200: None, 404: Detail},
    summary="下载资料（默认最新版本；计一次使用）",
)
def kit_file(request: AuthedRequest, material_id: int, version: int | None = None) -> Any:
    material = material_get(material_id, user=request.user)
    handle, name = material_open(by=request.user, material=material, number=version, via="api")
    return FileResponse(handle, filename=name, as_attachment=True)
