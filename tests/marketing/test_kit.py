"""The sales kit (营销工具包): a material reaches exactly the customers and products it is tagged
for; a file that is not a PDF or an Office document, or not what its name says, is refused in Chinese
and saves nothing; versions stack and each download is counted where it came from."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.models import INDUSTRIES, Customer, Product
from zhengqi.marketing.kit.services import (
    MaterialInput,
    material_open,
    material_save,
    materials,
    materials_for_products,
    usage,
    version_add,
)
from zhengqi.marketing.models import Material, MaterialUse, MaterialVersion

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% kit test\n"
CODES = [c for c, _label in INDUSTRIES]
SCALES = list(Customer.Scale.values)


def pdf(name: str = "红宝书.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


@given(
    tags=st.lists(
        st.tuples(
            st.sets(st.integers(0, 3), max_size=3),
            st.sets(st.sampled_from(CODES[:6]), max_size=2),
            st.sets(st.sampled_from(SCALES), max_size=2),
        ),
        min_size=1,
        max_size=5,
    ),
    industry=st.sampled_from(CODES[:6]),
    scale=st.sampled_from(SCALES),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_customer_gets_exactly_the_materials_tagged_for_it(
    cast: Cast, tags: list[tuple[set[int], set[str], set[str]]], industry: str, scale: str
) -> None:
    Material.objects.all().delete()
    products = list(Product.objects.order_by("code")[:4])
    for k, (picked, industries, scales) in enumerate(tags):
        material_save(
            by=cast.planner,
            data=MaterialInput(
                title=f"资料{k}",
                kind="solution",
                product_codes=[products[i].code for i in picked],
                industries=sorted(industries),
                scales=sorted(scales),
            ),
            upload=pdf(),
        )
    customer = Customer(industry=industry, scale=scale)
    found = materials_for_products(products, customer)
    for i, product in enumerate(products):
        want = {
            f"资料{k}"
            for k, (picked, industries, scales) in enumerate(tags)
            if i in picked and (not industries or industry in industries) and (not scales or scale in scales)
        }
        assert {m.title for m in found[product.pk]} == want
    listed = {m.title for m in materials(industry=industry, scale=scale)}
    assert listed == {
        f"资料{k}"
        for k, (_p, industries, scales) in enumerate(tags)
        if (not industries or industry in industries) and (not scales or scale in scales)
    }


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (SimpleUploadedFile("方案.exe", b"MZ\x90\x00"), "不是 PDF 或 Office"),
        (SimpleUploadedFile("方案.pdf", b"PK\x03\x04 not a pdf"), "不是它的扩展名所说的格式"),
        (SimpleUploadedFile("方案.docx", b"%PDF-1.4 renamed"), "不是它的扩展名所说的格式"),
        (SimpleUploadedFile("方案.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024)), "文件太大"),
    ],
)
def test_a_wrong_file_is_refused_in_chinese_and_saves_nothing(
    cast: Cast, upload: SimpleUploadedFile, says: str
) -> None:
    before = (Material.objects.count(), MaterialVersion.objects.count())
    with pytest.raises(ValidationError) as refused:
        material_save(by=cast.planner, data=MaterialInput(title="新方案", kind="solution"), upload=upload)
    assert says in str(refused.value)
    assert (Material.objects.count(), MaterialVersion.objects.count()) == before


def test_versions_stack_and_each_download_is_counted_where_it_came_from(cast: Cast) -> None:
    made = material_save(by=cast.planner, data=MaterialInput(title="专线红宝书测试", kind="playbook"), upload=pdf())
    version_add(by=cast.planner, material=made, upload=pdf(body=PDF + b"v2"), note="新增资费")
    handle, _name = material_open(by=cast.am, material=made, via="customer")
    assert handle.read().endswith(b"v2")  # the newest
    handle.close()
    handle, _name = material_open(by=cast.am, material=made, number=1, via="campaign")
    assert not handle.read().endswith(b"v2")
    handle.close()
    counts = usage(made)
    assert counts["客户页推荐"] == 1 and counts["营销活动"] == 1 and counts["资料库"] == 0
    assert MaterialUse.objects.filter(material=made).count() == 2

    with pytest.raises(PermissionDenied):
        version_add(by=cast.am, material=made, upload=pdf())
    with pytest.raises(PermissionDenied):
        material_save(by=cast.am, data=MaterialInput(title="客户经理的资料", kind="case"), upload=pdf())
    client = Client()
    client.force_login(cast.am)
    answer = client.post("/marketing/kit/", {"title": "客户经理的资料", "kind": "case", "file": pdf()})
    assert answer.status_code == 403
    assert not Material.objects.filter(title="客户经理的资料").exists()
    download = client.get(f"/marketing/kit/{made.pk}/file/?via=library")
    assert download.status_code == 200 and b"".join(download.streaming_content).endswith(b"v2")
