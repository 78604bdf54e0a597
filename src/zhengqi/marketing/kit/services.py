"""The sales kit (营销工具包, seed 003 “红宝书”、案例与行业解决方案; seed 004 SME 行业解决方案与框架协议).

A planner (or the provincial admin) keeps a library of materials — product playbooks, industry
solutions, case studies, price sheets, framework agreement templates — each tagged by the products it
sells, the industries and the customer scales it suits (none: all), uploaded as PDF or Office files
with versions. Staff find them in the library, on a customer's page beside the products to offer
next (matched by product, the customer's industry and scale) and on a campaign's page (its
products). Each download is counted, by where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.models import User
from zhengqi.customers.contracts import signed_file_check
from zhengqi.customers.models import INDUSTRIES, Customer, Product

from ..models import Material, MaterialUse, MaterialVersion

# What a material may be: its suffix and the bytes such a file starts with (Office 2007+ files are
# zip archives; the older ones are OLE compound files).
OOXML = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
KIT_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".docx": OOXML,
    ".xlsx": OOXML,
    ".pptx": OOXML,
    ".doc": OLE,
    ".xls": OLE,
    ".ppt": OLE,
}
INDUSTRY_CODES = {code for code, _label in INDUSTRIES}


def may_keep(user: User) -> bool:
    return matrix.role_of(user) in matrix.CONFIGURERS


def file_check(upload: UploadedFile) -> None:
    """A PDF or Office file within the upload limit, whose content is what its name says."""
    signed_file_check(
        upload,
        field="file",
        types=KIT_TYPES,
        wrong=_("“%(name)s”不是 PDF 或 Office 文件（Word、Excel、PowerPoint）。"),
    )


@dataclass
class MaterialInput:
    title: str
    kind: str
    product_codes: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    scales: list[str] = field(default_factory=list)
    summary: str = ""
    active: bool = True


def _checked(data: MaterialInput, material: Material | None) -> tuple[str, list[Product]]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = _("请填写资料名称。")
    elif len(title) > 100:
        errors["title"] = _("资料名称不能超过 100 个字。")
    elif Material.objects.filter(title=title).exclude(pk=material.pk if material else 0).exists():
        errors["title"] = _("已有同名资料：请换一个名称，或在原资料上传新版本。")
    if data.kind not in Material.Kind.values:
        errors["kind"] = _("请选择类别：产品红宝书、行业解决方案、成功案例、价目表或框架协议模板。")
    products = list(Product.objects.filter(code__in=data.product_codes))
    unknown = sorted(set(data.product_codes) - {p.code for p in products})
    if unknown:
        errors["products"] = _("产品不存在：%(codes)s。") % {"codes": "、".join(unknown)}
    if bad := sorted(set(data.industries) - INDUSTRY_CODES):
        errors["industries"] = _("行业不存在：%(codes)s。") % {"codes": "、".join(bad)}
    if bad := sorted(set(data.scales) - set(Customer.Scale.values)):
        errors["scales"] = _("客户规模不存在：%(codes)s。") % {"codes": "、".join(bad)}
    if errors:
        raise ValidationError(errors)
    return title, products


@transaction.atomic
def material_save(
    *,
    by: User,
    data: MaterialInput,
    upload: UploadedFile | None = None,
    note: str = "",
    material: Material | None = None,
) -> Material:
    """Add a material with its first file, or change one's tags (a file given is its next version)."""
    if not may_keep(by):
        raise PermissionDenied(_("营销资料由营销策划或省公司管理员维护。"))
    title, products = _checked(data, material)
    if material is None and upload is None:
        raise ValidationError({"file": _("请上传资料文件（PDF 或 Office）。")})
    if upload is not None:
        file_check(upload)
    material = material or Material(created_by=by)
    material.title, material.kind, material.summary = title, data.kind, data.summary.strip()
    material.industries, material.scales = sorted(set(data.industries)), sorted(set(data.scales))
    material.active = data.active
    material.save()
    material.products.set(products)
    if upload is not None:
        version_add(by=by, material=material, upload=upload, note=note)
    return material


@transaction.atomic
def version_add(*, by: User, material: Material, upload: UploadedFile, note: str = "") -> MaterialVersion:
    """A new version of the material's file; the earlier ones stay (and stay downloadable)."""
    if not may_keep(by):
        raise PermissionDenied(_("营销资料由营销策划或省公司管理员维护。"))
    file_check(upload)
    if len(note.strip()) > 200:
        raise ValidationError({"note": _("更新说明不能超过 200 个字。")})
    locked = Material.objects.select_for_update().get(pk=material.pk)
    number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = MaterialVersion(
        material=locked,
        number=number,
        file_name=Path(upload.name or "").name[:200],
        size=upload.size or 0,
        note=note.strip(),
        uploaded_by=by,
        uploaded_at=timezone.now(),
    )
    version.file.save(upload.name or "material", upload, save=False)
    version.save()
    return version


# --- finding and handing out ----------------------------------------------------------------------


def materials(
    *,
    active_only: bool = True,
    kind: str = "",
    product: str = "",
    industry: str = "",
    scale: str = "",
    text: str = "",
) -> QuerySet[Material]:
    """The library, filtered: a material with no industry (scale) suits every industry (scale)."""
    qs = Material.objects.prefetch_related("products")
    if active_only:
        qs = qs.filter(active=True)
    if kind in Material.Kind.values:
        qs = qs.filter(kind=kind)
    if product:
        qs = qs.filter(products__code=product)
    if text.strip():
        qs = qs.filter(Q(title__icontains=text.strip()) | Q(summary__icontains=text.strip()))
    found = list(qs.distinct())
    if industry:
        found = [m for m in found if not m.industries or industry in m.industries]
    if scale:
        found = [m for m in found if not m.scales or scale in m.scales]
    return (
        Material.objects.filter(pk__in=[m.pk for m in found])
        .prefetch_related("products")
        .annotate(uses=Count("use_records", distinct=True), n_versions=Count("versions", distinct=True))
        .order_by("kind", "title")
    )


def suits(material: Material, customer: Customer) -> bool:
    return (not material.industries or customer.industry in material.industries) and (
        not material.scales or customer.scale in material.scales
    )


def materials_for_products(products: list[Product], customer: Customer | None = None) -> dict[int, list[Material]]:
    """For each product, the active materials that sell it (suited to the customer when one is given)."""
    found: dict[int, list[Material]] = {p.pk: [] for p in products}
    rows = (
        Material.objects.filter(active=True, products__in=products)
        .prefetch_related("products")
        .order_by("kind", "title")
        .distinct()
    )
    for m in rows:
        if customer is not None and not suits(m, customer):
            continue
        for p in m.products.all():
            if p.pk in found:
                found[p.pk].append(m)
    return found


def material_get(pk: int, *, user: User) -> Material:
    if matrix.role_of(user) not in matrix.STAFF:
        raise Http404(_("资料不存在。"))
    found = Material.objects.filter(pk=pk).prefetch_related("products").first()
    if found is None or (not found.active and not may_keep(user)):
        raise Http404(_("资料不存在或已停用。"))
    return found


def material_open(*, by: User, material: Material, number: int | None = None, via: str = "library") -> tuple[Any, str]:
    """The file of the material's newest version (or of ``number``), counted as one use."""
    versions = material.versions.order_by("-number")
    version = versions.filter(number=number).first() if number else versions.first()
    if version is None:
        raise Http404(_("该资料没有这个版本。"))
    if via not in MaterialUse.Via.values:
        via = MaterialUse.Via.LIBRARY
    MaterialUse.objects.create(material=material, version=version, user=by, via=via)  # no page shows it changed
    return version.file.open("rb"), version.file_name


def usage(material: Material) -> dict[str, int]:
    """How often the material was used, in all and by where from."""
    rows = dict(material.use_records.values_list("via").annotate(n=Count("pk")))
    return {str(label): rows.get(value, 0) for value, label in MaterialUse.Via.choices}
