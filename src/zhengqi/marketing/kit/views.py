"""Pages of the sales kit: the library (filters, upload), a material (versions, use), its file."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.models import INDUSTRIES, Customer
from zhengqi.customers.selectors import products_catalogue
from zhengqi.web.forms import form_errors, parse_int

from ..models import Material
from .services import MaterialInput, material_get, material_open, material_save, materials, may_keep, usage, version_add


def _input(post: Any) -> MaterialInput:
    return MaterialInput(
        title=post.get("title", ""),
        kind=post.get("kind", ""),
        product_codes=post.getlist("products"),
        industries=post.getlist("industries"),
        scales=post.getlist("scales"),
        summary=post.get("summary", ""),
        active=post.get("active", "on") == "on",
    )


def kit_page(request: AuthedRequest) -> HttpResponse:
    """The library, filtered by kind, product, industry, scale and words; a keeper adds a material."""
    user = request.user
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            made = material_save(
                by=user, data=_input(request.POST), upload=request.FILES.get("file"), note=request.POST.get("note", "")
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("已加入资料库：%(t)s。") % {"t": made.title})
            return redirect("marketing:material", pk=made.pk)
    g = request.GET
    found = materials(
        kind=g.get("kind", ""),
        product=g.get("product", ""),
        industry=g.get("industry", ""),
        scale=g.get("scale", ""),
        text=g.get("q", ""),
    )
    chosen = set(request.POST.getlist("products")) if errors else set()
    return render(
        request,
        "marketing/kit.html",
        {
            "materials": found,
            "filters": g,
            "kinds": Material.Kind.choices,
            "products": products_catalogue(),
            "product_choices": [(p, p.code in chosen) for p in products_catalogue()],
            "industries": INDUSTRIES,
            "scales": Customer.Scale.choices,
            "may_keep": may_keep(user),
            "errors": errors,
            "values": request.POST if errors else {},
        },
        status=422 if errors else 200,
    )


def material_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    material = material_get(pk, user=user)
    labels = dict(INDUSTRIES)
    return render(
        request,
        "marketing/material.html",
        {
            "m": material,
            "versions": material.versions.select_related("uploaded_by"),
            "industry_names": [labels.get(c, c) for c in material.industries],
            "scale_names": [Customer.Scale(s).label for s in material.scales if s in Customer.Scale.values],
            "usage": usage(material),
            "may_keep": may_keep(user),
        },
    )


@require_POST
def material_version_new(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    material = material_get(pk, user=user)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": _("请选择新版本的文件。")})
        made = version_add(by=user, material=material, upload=upload, note=request.POST.get("note", ""))
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已上传第 %(n)d 版。") % {"n": made.number})
    return redirect("marketing:material", pk=pk)


def material_file(request: AuthedRequest, pk: int) -> FileResponse:
    """The newest version's file (``?v=`` an earlier one), counted by where it was opened from."""
    user = request.user
    material = material_get(pk, user=user)
    handle, name = material_open(
        by=user, material=material, number=parse_int(request.GET.get("v")), via=request.GET.get("via", "library")
    )
    return FileResponse(handle, filename=name, as_attachment=True)
