"""The demo province's sales kit: playbooks, industry solutions, a case study, a price sheet and a
framework agreement template, generated here (PDF and Excel), a second version of one, and some use."""

from __future__ import annotations

import datetime as dt
import html

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Product
from zhengqi.web.documents import html_to_pdf, workbook_bytes

from ..models import Material, MaterialUse
from .services import MaterialInput, material_open, material_save, version_add

# title, kind, products, industries, scales, summary, the document's sections
MATERIALS = [
    (
        "数据专线产品红宝书",
        "playbook",
        ["LINE"],
        [],
        [],
        "专线卖点、典型配置、资费与常见异议应答。",
        ["产品卖点：独享带宽、7×24 小时保障", "典型配置：总部—分支 MSTP/OTN", "常见异议：价格高于对手怎么办"],
    ),
    (
        "集团短信产品红宝书",
        "playbook",
        ["GSMS"],
        [],
        [],
        "政务通知、企业营销短信的开通与计费。",
        ["适用场景：通知、验证码、营销", "开通流程与资质", "资费档位"],
    ),
    (
        "制造业上云解决方案",
        "solution",
        ["CLOUD", "IDC", "LINE"],
        ["C"],
        ["large", "medium"],
        "工厂设备联网、生产数据上云、总部与工厂专线互联。",
        ["现状与痛点", "方案架构：专线 + 云主机 + 机房托管", "实施步骤与报价思路"],
    ),
    (
        "中小企业信息化套餐方案",
        "solution",
        ["BB", "VNET", "GSMS"],
        [],
        ["small", "micro"],
        "宽带、V网、短信打包，一次办齐。",
        ["套餐组成", "适合的行业", "办理材料"],
    ),
    (
        "某市教育局专线改造成功案例",
        "case",
        ["LINE", "BB"],
        ["P"],
        [],
        "学校专线扩容、统一出口，三个月完成 86 所学校改造。",
        ["客户背景", "我们的方案", "成效与客户评价"],
    ),
    (
        "政企框架合作协议（模板）",
        "agreement",
        [],
        [],
        ["small", "micro"],
        "中小企业框架协议：资费、服务等级与违约条款。",
        ["合作范围", "资费与结算", "服务等级", "违约与终止"],
    ),
]
PRICES = [
    ("数据专线 10M", 800),
    ("数据专线 100M", 3000),
    ("企业宽带 200M", 299),
    ("V网 每成员", 10),
    ("云主机 2核4G", 180),
]


def _pdf(title: str, sections: list[str]) -> bytes:
    body = "".join(f"<h2>{html.escape(s)}</h2><p>（演示资料）</p>" for s in sections)
    return html_to_pdf(
        f"<html><head><meta charset='utf-8'><style>body{{font-family:'Noto Sans CJK SC',sans-serif}}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _price_sheet() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "价目表"
    sheet.append(["产品", "月费（元）"])
    for row in PRICES:
        sheet.append(list(row))
    return workbook_bytes(book)


def wipe() -> None:
    Material.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    planner = User.objects.filter(username="planner").first() or User.objects.filter(is_superuser=True).first()
    if planner is None:
        return
    now = now or timezone.now()
    known = set(Product.objects.values_list("code", flat=True))
    with transaction.atomic():
        made = []
        for title, kind, codes, industries, scales, summary, sections in MATERIALS:
            upload = SimpleUploadedFile(f"{title}.pdf", _pdf(title, sections), content_type="application/pdf")
            made.append(
                material_save(
                    by=planner,
                    data=MaterialInput(
                        title=title,
                        kind=kind,
                        product_codes=[c for c in codes if c in known],
                        industries=industries,
                        scales=scales,
                        summary=summary,
                    ),
                    upload=upload,
                    note="首版",
                )
            )
        sheet = SimpleUploadedFile("2026年政企产品价目表.xlsx", _price_sheet())
        material_save(
            by=planner,
            data=MaterialInput(
                title="2026 年政企产品价目表",
                kind="price",
                product_codes=sorted({"LINE", "BB", "VNET", "CLOUD"} & known),
                summary="标准资费，折扣权限见附注。",
            ),
            upload=sheet,
            note="首版",
        )
        playbook = made[0]
        version_add(
            by=planner,
            material=playbook,
            upload=SimpleUploadedFile(
                "数据专线产品红宝书.pdf", _pdf(playbook.title + "（2026 修订）", ["新增 OTN 资费"])
            ),
            note="新增 OTN 资费",
        )
        am = User.objects.filter(username="am").first()
        if am is not None:  # some use, as the account managers would have made
            for k, material in enumerate(made):
                for _i in range(len(made) - k):
                    handle, _name = material_open(by=am, material=material, via="customer" if k % 2 else "library")
                    handle.close()
            MaterialUse.objects.filter(at__gt=now - dt.timedelta(minutes=5)).update(at=now - dt.timedelta(days=3))
