"""Imports in the REST API: upload a file, follow its batch, download the rejected rows."""

import datetime as dt

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from zhengqi.accounts.requests import AuthedRequest

from .models import ImportBatch, ImportRejection
from .reports import rejections_export_log, report_csv, report_xlsx
from .selectors import batch_get, batches_visible_to
from .services import import_start

router = Router()


class RejectionOut(Schema):
    line: int
    column: str
    value: str
    reason: str
    cells: list[str]  # the row as it stood in the file (on the first reason of each line)


class BatchOut(Schema):
    id: int
    kind: str
    filename: str
    sha256: str
    encoding: str
    dry_run: bool
    status: str
    message: str
    rows_total: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    months: list[str]
    started_at: dt.datetime
    finished_at: dt.datetime | None


class ConflictOut(Schema):
    """A cell that would have undone an approved change request: the approved value was kept."""

    line: int
    customer_code: str
    column: str
    value: str
    kept: str
    message: str


class BatchDetailOut(BatchOut):
    rejections: list[RejectionOut]
    conflicts: list[ConflictOut]

    @staticmethod
    def resolve_rejections(obj: ImportBatch) -> list[ImportRejection]:
        return list(obj.rejections.all()[:1000])


def _batch(request: AuthedRequest, batch_id: int) -> ImportBatch:
    return batch_get(user=request.user, pk=batch_id)


@router.post(
    "",
    response={202: BatchOut},
    summary="上传并导入文件（省公司管理员）",
    description="kind：customers / customer_month / member_month；文件为 CSV（UTF-8 或 GBK）、xlsx 或 Parquet。"
    "导入在后台进行，按返回的 id 查询进度与结果。",
)
def start_import(
    request: AuthedRequest, kind: Form[str], file: File[UploadedFile], dry_run: Form[bool] = False
) -> Status[ImportBatch]:
    user = request.user
    batch = import_start(by=user, kind_name=kind, name=file.name or "upload", chunks=file.chunks(), dry_run=dry_run)
    return Status(202, batch)


@router.get("", response=list[BatchOut], summary="导入批次列表")
def list_batches(request: AuthedRequest) -> list[ImportBatch]:
    return list(batches_visible_to(request.user)[:100])


@router.get("/{int:batch_id}", response=BatchDetailOut, summary="导入批次：进度、计数与被拒绝的行（前 1000 行）")
def get_batch(request: AuthedRequest, batch_id: int) -> ImportBatch:
    return _batch(request, batch_id)


@router.get("/{int:batch_id}/report.xlsx", summary="被拒绝行报告（Excel）")
def report_excel(request: AuthedRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    rejections_export_log(by=request.user, request=request, batch=batch, fmt="xlsx")
    return HttpResponse(
        report_xlsx(batch), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@router.get("/{int:batch_id}/report.csv", summary="被拒绝行报告（CSV）")
def report_text(request: AuthedRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    rejections_export_log(by=request.user, request=request, batch=batch, fmt="csv")
    return HttpResponse(report_csv(batch), content_type="text/csv; charset=utf-8")
