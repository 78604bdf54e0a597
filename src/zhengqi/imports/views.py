"""The import page of the provincial admin: upload, watch the progress, read and download what was
refused."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest

from .kinds import KINDS
from .reports import rejections_export_log, report_csv, report_xlsx
from .selectors import batch_get, batches_visible_to
from .services import import_start, may_import


def _admin(request: AuthedRequest) -> User:
    user = request.user
    if not may_import(user):
        raise PermissionDenied(gettext("只有省公司管理员可以导入数据。"))
    return user


@login_required
def import_page(request: AuthedRequest) -> HttpResponse:
    user = _admin(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, gettext("请选择要导入的文件。"))
            return redirect("imports:index")
        try:
            batch = import_start(
                by=user,
                kind_name=request.POST.get("kind", ""),
                name=upload.name or "upload",
                chunks=upload.chunks(),
                dry_run=bool(request.POST.get("dry_run")),
            )
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
            return redirect("imports:index")
        return redirect("imports:batch", pk=batch.pk)
    batches = batches_visible_to(request.user)[:30]
    return render(request, "imports/index.html", {"kinds": KINDS.values(), "batches": batches})


@login_required
def batch_page(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = batch_get(user=_admin(request), pk=pk)
    context = {"batch": batch, "kind": KINDS.get(batch.kind), "rejections": batch.rejections.all()[:200]}
    template = "imports/_batch.html" if request.headers.get("HX-Request") else "imports/batch.html"
    return render(request, template, context)


@login_required
def batch_report(request: AuthedRequest, pk: int, fmt: str) -> HttpResponse:
    batch = batch_get(user=_admin(request), pk=pk)
    if fmt == "xlsx":
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        body = report_xlsx(batch)
    else:
        content_type, body = "text/csv; charset=utf-8", report_csv(batch)
    rejections_export_log(by=request.user, request=request, batch=batch, fmt="xlsx" if fmt == "xlsx" else "csv")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-rejected.{fmt}"'
    return response
