"""Agreements (协议) kept by the people who work the customer: record a new one with its signed
file, renew one (the renewal names the agreement it replaces, and the 协议即将到期 alert and its
task close), terminate one with a reason. The signed file is a PDF or an image, size-limited,
stored under a random name and served only to those who may see the customer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User

from .key_persons import _require_keeper
from .models import Contract, Customer, Product, RecordSource
from .signals import contract_renewed

CONTRACT_FIELDS = ("number", "start", "end", "amount", "auto_renew")
# What a signed agreement may be: its suffix and the bytes such a file starts with.
SIGNED_FILE_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def upload_limit_bytes() -> int:
    return int(settings.ZHENGQI_UPLOAD_MAX_MB * 1024 * 1024)


PHOTO_TYPES = {k: v for k, v in SIGNED_FILE_TYPES.items() if k != ".pdf"}


def photo_check(upload: UploadedFile, *, field: str = "photo") -> None:
    """A PNG/JPEG photo (of a visit) within the size limit; anything else is refused in Chinese."""
    signed_file_check(upload, field=field, types=PHOTO_TYPES)


def signed_file_check(
    upload: UploadedFile,
    *,
    field: str = "signed_file",
    types: dict[str, tuple[bytes, ...]] = SIGNED_FILE_TYPES,
    wrong: str | None = None,
) -> None:
    """A PDF or a PNG/JPEG photo (of a signed agreement, a business licence) — or a file of ``types``,
    with ``wrong`` saying what it should have been — within the size limit; anything else, or a file
    whose content is not what its name says, is refused in Chinese, saving nothing."""
    name = upload.name or ""
    suffix = Path(name).suffix.lower()
    if suffix not in types:
        wrong = wrong or (
            _("“%(name)s”不是 PDF 或图片（JPG、PNG）：请上传 PDF 文件或照片。")
            if ".pdf" in types
            else _("“%(name)s”不是照片（JPG、PNG）：请拍照或选择照片。")
        )
        raise ValidationError({field: wrong % {"name": name}})
    if (upload.size or 0) > upload_limit_bytes():
        raise ValidationError(
            {
                field: _("文件太大（%(size).1f MB）：上限为 %(limit)s MB。")
                % {"size": (upload.size or 0) / 1024 / 1024, "limit": settings.ZHENGQI_UPLOAD_MAX_MB}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in types[suffix]):
        raise ValidationError(
            {field: _("“%(name)s”的内容不是它的扩展名所说的格式：文件可能已损坏或被改名。") % {"name": name}}
        )


def _attach(contract: Contract, upload: UploadedFile | None) -> None:
    if upload is None:
        return
    signed_file_check(upload)
    contract.signed_file_name = Path(upload.name or "").name[:200]
    contract.signed_file.save(upload.name or "signed", upload, save=False)


def products_by_code(codes: list[str]) -> list[Product]:
    """The catalogue's products of these codes; an unknown code is refused, naming it."""
    found = list(Product.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {p.code for p in found})
    if missing:
        raise ValidationError({"products": _("未知的产品编码：%(codes)s") % {"codes": "、".join(missing)}})
    return found


def _products(ids_or_products: list[Any] | None) -> list[Product]:
    if not ids_or_products:
        return []
    ids = [p.pk if isinstance(p, Product) else p for p in ids_or_products]
    found = list(Product.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"products": _("所选产品不存在。")})
    return found


@transaction.atomic
def contract_create(
    *,
    customer: Customer,
    by: User,
    products: list[Any] | None = None,
    signed_file: UploadedFile | None = None,
    source: str = RecordSource.USER,
    source_ref: str = "",
    replaces: Contract | None = None,
    **fields: Any,
) -> Contract:
    """Record a new agreement; refused input (a contract ending before it starts, a number already
    used, a file that is not a PDF/image) saves nothing."""
    _require_keeper(by, customer)
    unknown = set(fields) - set(CONTRACT_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if isinstance(fields.get("number"), str):
        fields["number"] = fields["number"].strip()
    contract = Contract(
        customer=customer, created_by=by, source=source, source_ref=source_ref, replaces=replaces, **fields
    )
    contract.full_clean(exclude=["signed_file"])
    chosen = _products(products)
    _attach(contract, signed_file)
    contract.save()
    if chosen:
        contract.products.set(chosen)
    return contract


@transaction.atomic
def contract_renew(
    *,
    contract: Contract,
    by: User,
    products: list[Any] | None = None,
    signed_file: UploadedFile | None = None,
    **fields: Any,
) -> Contract:
    """Renew an agreement in force: a new agreement that replaces it, starting after it started
    and ending after it ends. The old one is marked renewed; the 协议即将到期 alert and its task
    close (receivers of ``contract_renewed``). A second renewal of the same agreement is refused."""
    _require_keeper(by, contract.customer)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != Contract.Status.IN_FORCE:
        raise ValidationError(
            _("协议 %(number)s %(status)s，不能再续签。")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    start, end = fields.get("start"), fields.get("end")
    if isinstance(end, dt.date) and end <= locked.end:
        raise ValidationError({"end": _("续签协议的到期日期应晚于原协议的到期日期（%(end)s）。") % {"end": locked.end}})
    if isinstance(start, dt.date) and start <= locked.start:
        raise ValidationError(
            {"start": _("续签协议的生效日期应晚于原协议的生效日期（%(start)s）。") % {"start": locked.start}}
        )
    renewal = contract_create(
        customer=locked.customer,
        by=by,
        products=products if products is not None else list(locked.products.all()),
        signed_file=signed_file,
        replaces=locked,
        **fields,
    )
    locked.status = Contract.Status.RENEWED
    locked.save(update_fields=["status"])
    # The receivers run inside this transaction: if closing the alert fails, the renewal is undone too.
    contract_renewed.send(sender=Contract, contract=renewal, replaced=locked, by=by)
    return renewal


@transaction.atomic
def contract_terminate(*, contract: Contract, by: User, reason: str, on: dt.date | None = None) -> Contract:
    """End an agreement early, with the day and the reason."""
    _require_keeper(by, contract.customer)
    reason = reason.strip()
    on = on or timezone.localdate()
    if not reason:
        raise ValidationError({"termination_reason": _("请写明终止原因。")})
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != Contract.Status.IN_FORCE:
        raise ValidationError(
            _("协议 %(number)s %(status)s，不能再终止。")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    if on < locked.start or on > locked.end:
        raise ValidationError(
            {
                "terminated_on": _("终止日期应在协议期限内（%(start)s 至 %(end)s）。")
                % {"start": locked.start, "end": locked.end}
            }
        )
    locked.status, locked.terminated_on, locked.termination_reason = Contract.Status.TERMINATED, on, reason[:200]
    locked.save(update_fields=["status", "terminated_on", "termination_reason"])
    return locked


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(customer_scope(user, prefix="customer__"))
        .select_related("customer", "created_by", "replaces")
        .prefetch_related("products")
    )


def contract_get(*, user: User, pk: int, customer: Customer | None = None) -> Contract:
    """One agreement of a customer the user may see (and of ``customer`` when given), or 404."""
    qs = contracts_visible_to(user).filter(pk=pk)
    if customer is not None:
        qs = qs.filter(customer=customer)
    found = qs.first()
    if found is None:
        raise Http404(_("协议不存在或无权查看。"))
    return found


def contract_file_open(*, contract: Contract, by: User) -> tuple[Any, str]:
    """The signed file and its name, for a user who may see the customer; each download is logged
    (django-auditlog, action "access")."""
    from auditlog.signals import accessed

    if not Customer.objects.filter(customer_scope(by), pk=contract.customer_id).exists():
        raise PermissionDenied(_("您无权查看该协议。"))
    if not contract.signed_file:
        raise Http404(_("该协议没有上传签署文本。"))
    accessed.send(sender=Contract, instance=contract)
    return contract.signed_file.open("rb"), contract.signed_file_name or Path(contract.signed_file.name).name


@transaction.atomic
def contract_attach_file(*, contract: Contract, by: User, upload: UploadedFile) -> Contract:
    """Upload (or replace) the signed text of an agreement."""
    _require_keeper(by, contract.customer)
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    old = locked.signed_file.name if locked.signed_file else ""
    _attach(locked, upload)
    locked.save(update_fields=["signed_file", "signed_file_name"])
    if old:
        transaction.on_commit(lambda: locked.signed_file.storage.delete(old))
    return locked
