"""What users read is sentences and names: no Python dicts or lists, no internal codes (rule codes,
alert kinds, operator and import-kind codes, table names), no ISO timestamps — on every page that
shows month-run results, whatever kind of alert a customer carries."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.customers.models import Customer
from zhengqi.engine.rules.builtin import BUILTIN_RULES
from zhengqi.imports.models import ImportBatch
from zhengqi.partners.models import Statement
from zhengqi.scoring.models import CHURN_CODE, COMPETITOR_CODE, Alert
from zhengqi.scoring.month_run import DOWNGRADE_CODE, month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)

RAW = [
    re.compile(r"\{'|\[\{|'\w+': "),  # a Python dict or list of dicts
    re.compile(r"\b(CHURN_RISK|TIER_DOWN|COMPETITOR|GROUP_PROOF)\b"),
    re.compile(r"\b(in_force|renewed|terminated|pending|approved|rejected|withdrawn|mobile|wechat)\b"),
    re.compile(r"\b(" + "|".join(r.code for r in BUILTIN_RULES) + r")\b"),
    re.compile(r"\b(telecom|unicom|broadnet|enterprise|government|institution)\b"),
    re.compile(r"\b(customer_month|member_month|key_persons|dim_customers|dim_\w+)\b"),
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
    re.compile(r"#\d+"),  # a record's number where its name belongs
]


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<details\b[^>]*data-internal.*?</details>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_no_internals(page: str, where: str) -> None:
    text = visible_text(page)
    for pattern in RAW:
        found = pattern.search(text)
        assert found is None, f"{where}: “{text[max(0, found.start() - 40) : found.end() + 40]}”"


def _alerts_of_every_kind(customer: Customer) -> None:
    kinds = [
        (CHURN_CODE, "retain", {"churn_risk": 0.61, "churn_band": "high", "tier": "A", "reasons": ["投诉增多"]}),
        (DOWNGRADE_CODE, "retain", {"tier_prev": "A", "tier": "B", "value_score": 61.5}),
        (
            COMPETITOR_CODE,
            "prevent",
            {
                "events": [
                    {"event": 3, "date": "2026-10-20", "operator": "中国电信", "kind": "上门拜访", "summary": "报价"}
                ]
            },
        ),
        ("D03", "develop", {"competitor_operator": "telecom", "status": "prospect", "customer_type": "enterprise"}),
    ]
    for code, family, evidence in kinds:
        Alert.objects.update_or_create(
            customer=customer,
            rule_code=code,
            first_month=OCT,
            defaults={
                "rule_name": code,
                "family": family,
                "severity": "high",
                "last_month": OCT,
                "evidence": evidence,
            },
        )


def test_pages_show_no_internals(cast: Cast) -> None:
    month_run(month=dt.date(2026, 9, 1))
    month_run(month=OCT)
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("pk").first()
    assert customer is not None
    _alerts_of_every_kind(customer)
    Alert.objects.filter(rule_code__in=[CHURN_CODE, DOWNGRADE_CODE, COMPETITOR_CODE, "D03"]).update(
        rule_name="规则名称"
    )
    am, admin, manager = Client(), Client(), Client()
    am.force_login(cast.am)
    admin.force_login(cast.admin)
    manager.force_login(cast.city_manager)
    pages = {
        "customer": (am, f"/customers/{customer.pk}/"),
        "workbench": (am, "/workbench/"),
        "tasks": (am, "/marketing/tasks/"),
        "strategy": (manager, "/marketing/strategy/"),
        "runs": (admin, "/scoring/runs/"),
        "churn model": (admin, "/scoring/churn-model/"),
        "imports": (admin, "/imports/"),
        "report": (manager, "/insight/report/"),
        "kpi": (manager, "/insight/kpi/"),
    }
    statement = Statement.objects.order_by("pk").first()
    if statement is not None:
        pages["statement"] = (admin, f"/partners/statements/{statement.pk}/")
    batch = ImportBatch.objects.order_by("-pk").first()
    if batch is not None:
        pages["import batch"] = (admin, f"/imports/{batch.pk}/")
    pages.update(_record_pages(cast, customer, am, manager))
    pages.update(_list_pages(cast, am, manager, admin))
    for where, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (where, response.status_code)
        assert_no_internals(response.content.decode(), where)


def _record_pages(cast: Cast, customer: Customer, am: Client, manager: Client) -> dict[str, tuple[Client, str]]:
    """The pages where people keep the customer's records, each with a record of every kind on it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhengqi.customers.change_requests import change_request_propose, parent_link_propose
    from zhengqi.customers.contracts import contract_create
    from zhengqi.customers.key_persons import key_person_create
    from zhengqi.customers.registrations import registration_submit

    person = key_person_create(
        customer=customer, by=cast.am, roles=["decider"], name="韩梅", phone="13800001234", preferred_channel="wechat"
    )
    contract = contract_create(
        customer=customer, by=cast.am, number="NI-1", start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31), amount=1
    )
    change = change_request_propose(
        customer=customer, by=cast.am, changes={"customer_type": "government", "scale": "large"}, reason="核实"
    )
    other = Customer.objects.exclude(pk=customer.pk).filter(account_manager=cast.am).order_by("pk").first()
    assert other is not None
    Customer.objects.filter(pk=other.pk).update(parent=None)
    parent_change = parent_link_propose(customer=other, by=cast.am, parent_code=customer.code, reason="分公司")
    registration = registration_submit(
        by=cast.am,
        region=cast.am.region,
        evidence=SimpleUploadedFile("执照.pdf", b"%PDF-1.4"),
        members_expected=12,
        name="无内部代码测试单位",
        credit_code="91440300MA5FUG3Y0U",
        customer_type="enterprise",
        industry="I",
        scale="small",
    )
    return {
        "key person": (am, f"/customers/{customer.pk}/key-persons/{person.pk}/"),
        "contract renewal": (am, f"/customers/{customer.pk}/contracts/{contract.pk}/renew/"),
        "change request": (manager, f"/customers/changes/{change.pk}/"),
        "parent change": (manager, f"/customers/changes/{parent_change.pk}/"),
        "changes": (manager, "/customers/changes/"),
        "registration": (manager, f"/customers/registrations/{registration.pk}/"),
        "registrations": (am, "/customers/registrations/"),
        "manager's workbench": (manager, "/workbench/"),
    }


def _list_pages(cast: Cast, am: Client, manager: Client, admin: Client) -> dict[str, tuple[Client, str]]:
    """The lists people work (issue 23): by signal, a drill-down, a segment, the backlog, a launch."""
    from zhengqi.marketing.models import Campaign
    from zhengqi.scoring.segments import segment_save

    segment = segment_save(by=cast.city_manager, name="无内部代码细分", expression="tier in ('A+', 'A', 'B')")
    today = dt.date.today()
    campaign = Campaign.objects.create(
        name="无内部代码活动", segment="status = 'prospect' or tier = 'B'", start=today, end=today, seed=1,
        created_by=cast.admin,
    )  # fmt: skip
    return {
        "list by signal": (manager, "/customers/?family=retain&churn_band=high&open_task=yes"),
        "drill-down": (manager, "/customers/?month=2026-10&arrears=1&measure=ytd"),
        "segments": (manager, "/scoring/segments/"),
        "segment": (manager, f"/scoring/segments/{segment.pk}/"),
        "backlog": (am, "/marketing/tasks/backlog/"),
        "launch preview": (admin, f"/marketing/campaigns/{campaign.pk}/launch/preview/"),
    }


EMOJI = re.compile("[\U0001f300-\U0001faff\U00002700-\U000027bf\U0001f000-\U0001f2ff]")


def test_no_template_relies_on_an_emoji_font() -> None:
    """Emoji render as boxes on an intranet PC without a colour-emoji font: icons come from the
    locally served icon set."""
    from pathlib import Path

    import zhengqi

    root = Path(zhengqi.__file__).parent
    found = [
        f"{path.relative_to(root)}: {m.group()}"
        for path in root.rglob("*.html")
        for m in EMOJI.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def test_the_icons_are_served_by_the_app(client: Client) -> None:
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/bootstrap-icons/cake2.svg") and finders.find("vendor/bootstrap-icons/award.svg")


def test_every_rule_example_shown_to_users_is_a_valid_rule() -> None:
    """The help texts' examples of the rule language name real features (the campaign form once
    taught ``products_count``, which the language refuses)."""
    from pathlib import Path

    import zhengqi
    from zhengqi.engine.rules.language import parse
    from zhengqi.marketing.campaigns.services import SEGMENT_EXAMPLE

    parse(SEGMENT_EXAMPLE)
    root = Path(zhengqi.__file__).parent
    sources = [p for p in root.rglob("*") if p.suffix in (".html", ".py") and "locale" not in p.parts]
    taught = re.compile(r"例如 ((?:[a-z_]+ *(?:<|>|<=|>=|=|!=| in ) *[^，。”\"{]+?)(?: and [^，。”\"{]+?)*)[，。”\"{]")
    examples = [m.group(1) for path in sources for m in taught.finditer(path.read_text(encoding="utf-8"))]
    assert len(examples) >= 2  # the rule language's own messages teach by example too
    for example in examples:
        parse(example)
