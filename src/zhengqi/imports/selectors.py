"""Reads of import batches: the provincial admin's alone (the rejected rows hold the operator's data)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from zhengqi.accounts.models import User

from .models import ImportBatch
from .services import may_import


def batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    """The latest batches first, with who started them; none for a user who may not import."""
    qs = ImportBatch.objects.select_related("by")
    return qs if may_import(user) else qs.none()


def batch_get(*, user: User, pk: int) -> ImportBatch:
    batch = batches_visible_to(user).filter(pk=pk).first()
    if batch is None:
        raise Http404("导入批次不存在或无权查看。")
    return batch
