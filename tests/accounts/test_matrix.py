"""Every page and every API operation, requested by every role, answers as the role matrix
(``zhengqi.accounts.matrix``) says — and a customer or task outside the user's scope answers 404.
A route missing from the matrix fails here."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import ApiToken, User
from zhengqi.accounts.tokens import token_create
from zhengqi.api import api
from zhengqi.competition.models import CompetitorEvent, ReactionStep, ReactionTeam, ResponsePlan
from zhengqi.customers.models import (
    ChangeRequest,
    Contract,
    Customer,
    KeyPerson,
    Product,
    Registration,
    Subscription,
)
from zhengqi.imports.models import ImportBatch
from zhengqi.marketing.models import Campaign, CampaignTarget, DevelopmentApplication, Opportunity, Task
from zhengqi.notifications.models import Notification
from zhengqi.partners.models import Attribution, Partner, Statement, StatementLine
from zhengqi.partners.partners import partner_of
from zhengqi.scoring.configuration import ensure_builtin_rules
from zhengqi.support.models import Department, ServiceRequest

pytestmark = pytest.mark.django_db
SKIPPED_NAMESPACES = ("admin", "api")  # the back office is Django's admin (staff only); the API below


def page_routes() -> dict[str, str]:
    def walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                name = p.namespace or ns
                if name not in SKIPPED_NAMESPACES:
                    yield from walk(p.url_patterns, prefix + str(p.pattern), name)
            elif isinstance(p, URLPattern) and p.name:
                yield (f"{ns}:{p.name}" if ns else p.name), prefix + str(p.pattern)

    return dict(walk(get_resolver().url_patterns))


def api_routes() -> list[str]:
    schema = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops]


def test_every_route_has_an_entry_in_the_matrix() -> None:
    assert set(page_routes()) == set(matrix.PAGES), "a page without an entry in the role matrix (or one gone)"
    assert set(api_routes()) == set(matrix.API), "an API operation without an entry in the role matrix"


# --- who is who, and what lies inside and outside each one's scope ---------------------------------


def users(cast: Cast) -> dict[str, User]:
    department, _ = User.objects.get_or_create(username="dept-matrix", defaults={"role": User.Role.DEPARTMENT})
    return {
        "admin": cast.admin,
        "planner": cast.planner,
        "city": cast.city_manager,
        "district": cast.district_manager,
        "am": cast.am,
        "partner": cast.partner,
        "department": department,
    }


def inside(role: str, user: User) -> Customer:
    qs = Customer.objects.order_by("pk")
    if role == "am":
        qs = qs.filter(account_manager=user)
    elif role in ("city", "district", "planner") and user.region is not None:
        qs = qs.filter(region__path__startswith=user.region.path)
    found = qs.filter(account_manager__isnull=False).first()
    assert found is not None
    return found


def outside(role: str, user: User) -> Customer | None:
    qs = Customer.objects.order_by("pk").filter(account_manager__isnull=False)
    if role == "am":
        return qs.exclude(account_manager=user).first()
    if role in ("city", "district") and user.region is not None:
        return qs.exclude(region__path__startswith=user.region.path).first()
    return None  # the province sees all; partner and department see none anyway


def task_of(customer: Customer) -> Task:
    assert customer.account_manager is not None
    return Task.objects.create(
        customer=customer, assignee=customer.account_manager, title="核实需求", due=dt.date(2026, 12, 1)
    )


def token_of(user: User) -> ApiToken:
    return token_create(by=user, name=f"matrix {ApiToken.objects.count()}", days=1)[0]


CAMPAIGN: dict[str, int] = {}


def campaign_with(*customers: Customer) -> Campaign:
    """A launched province-wide campaign with these customers in its target group."""
    campaign = Campaign.objects.filter(pk=CAMPAIGN.get("pk", 0)).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="矩阵活动",
            segment="status = 'active'",
            start=dt.date(2026, 11, 1),
            end=dt.date(2026, 11, 30),
            seed=1,
            status=Campaign.Status.LAUNCHED,
        )
        CAMPAIGN["pk"] = campaign.pk
    for c in customers:
        CampaignTarget.objects.get_or_create(
            campaign=campaign, customer=c, defaults={"group": "target", "account_manager": c.account_manager}
        )
    return campaign


def application_for(customer: Customer) -> DevelopmentApplication:
    found = DevelopmentApplication.objects.filter(customer=customer).first()
    if found is None:
        assert customer.account_manager is not None
        found = DevelopmentApplication.objects.create(
            customer=customer, applicant=customer.account_manager, needs="专线", plan="2026-12-01 拜访"
        )
    return found


def opportunity_for(customer: Customer) -> Opportunity:
    found = Opportunity.objects.filter(customer=customer).first()
    if found is None:
        assert customer.account_manager is not None
        found = Opportunity.objects.create(
            customer=customer, owner=customer.account_manager, name="专线", close_date=dt.date(2026, 12, 1)
        )
    return found


def channel_for(customer: Customer, user: User) -> tuple[Partner, Attribution, Statement]:
    """A partner working in the customer's region with a deal of the customer and a draft statement;
    for a partner's login, its own partner, deal and statement."""
    own = partner_of(user)
    if own is not None:
        deal = Attribution.objects.filter(partner=own).first()
        statement = Statement.objects.filter(partner=own).first()
        assert deal is not None and statement is not None
        return own, deal, statement
    partner, _ = Partner.objects.get_or_create(
        code=f"MX-{customer.region.code}",
        defaults={
            "name": "矩阵代理商",
            "region": customer.region,
            "is_marketing": True,
            "contract_start": dt.date(2025, 1, 1),
            "contract_end": dt.date(2027, 12, 31),
        },
    )
    product = Product.objects.order_by("code").first()
    assert product is not None
    partner.products.add(product)
    deal = Attribution.objects.filter(partner=partner, customer=customer).first()
    if deal is None:
        sub = Subscription.objects.create(
            customer=customer, product=product, start=dt.date(2025, 1, 5), monthly_fee=100
        )
        deal = Attribution.objects.create(partner=partner, role="sales", customer=customer, subscription=sub)
    statement, made = Statement.objects.get_or_create(
        partner=partner, month=dt.date(2025, 1, 1), defaults={"computed_at": dt.datetime(2025, 2, 1, tzinfo=dt.UTC)}
    )
    if made:  # a line of this customer and one of a customer elsewhere, which regional readers must not see
        stranger = Customer.objects.exclude(region=customer.region).order_by("pk").first()
        assert stranger is not None
        far = Attribution.objects.create(
            partner=partner,
            role="sales",
            customer=stranger,
            subscription=Subscription.objects.create(
                customer=stranger, product=product, start=dt.date(2025, 1, 5), monthly_fee=100
            ),
        )
        for attribution in (deal, far):
            StatementLine.objects.create(
                statement=statement,
                kind="commission",
                for_month=statement.month,
                attribution=attribution,
                rule_code="MX",
                deal=f"{attribution.customer.name} 订购",
                role="sales",
                amount=8,
                explanation="8% × 100",
            )
    return partner, deal, statement


def service_for(customer: Customer, user: User) -> tuple[ServiceRequest, CompetitorEvent, ResponsePlan]:
    """An open request of the customer (in the queue of a department the user works in, when the
    user is a department user), a competitor event on it, and a response plan."""
    department, _ = Department.objects.get_or_create(code="MX", defaults={"name": "矩阵客服中心", "kind": "service"})
    if user.role == User.Role.DEPARTMENT:
        department.members.add(user)
    found = ServiceRequest.objects.filter(customer=customer, department=department).first()
    if found is None:
        now = timezone.now()
        found = ServiceRequest.objects.create(
            customer=customer,
            request_type="fault",
            title="矩阵故障",
            department=department,
            due_at=now + dt.timedelta(hours=24),
        )
    event = CompetitorEvent.objects.filter(customers=customer).first()
    if event is None:
        event = CompetitorEvent.objects.create(
            operator="telecom", kind="offer", summary="矩阵", date=dt.date(2026, 11, 1)
        )
        event.customers.add(customer)
    plan, _ = ResponsePlan.objects.get_or_create(name="矩阵预案", defaults={"offer": "9 折"})
    team_of(event, customer, user)
    return found, event, plan


def team_of(event: CompetitorEvent, customer: Customer, user: User) -> ReactionTeam:
    """The event's quick-reaction team; a department user is its solution engineer (whose events
    are those of their teams)."""
    team = ReactionTeam.objects.filter(event=event).first()
    if team is None:
        now = timezone.now()
        team = ReactionTeam.objects.create(
            event=event,
            account_manager=customer.account_manager,
            formed_at=now,
            due_at=now + dt.timedelta(hours=24),
        )
    if user.role == User.Role.DEPARTMENT and team.engineer_id != user.pk:
        team.engineer = user
        team.save(update_fields=["engineer"])
    return team


def open_step_of(team: ReactionTeam) -> int:
    """A step of the team not yet done (each done one is done for good)."""
    return ReactionStep.objects.create(team=team, position=team.steps.count() + 1, title="矩阵步骤").pk


def material_of() -> int:
    """A material of the sales kit with one version."""
    from zhengqi.marketing.models import Material, MaterialVersion

    found = Material.objects.filter(title="矩阵资料").first()
    if found is None:
        found = Material.objects.create(title="矩阵资料", kind="playbook")
        version = MaterialVersion(material=found, number=1, file_name="红宝书.pdf", size=15)
        version.file.save("kit.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
        version.save()
    return found.pk


def grade_change_of(customer: Customer) -> int:
    """An open grade change of the customer's account manager."""
    import datetime as dt

    from zhengqi.insight.models import GradeChange

    manager = customer.account_manager
    assert manager is not None
    found, _ = GradeChange.objects.get_or_create(
        user=manager,
        status="proposed",
        defaults={"to_grade": 3, "proposed_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)},
    )
    return found.pk


def referral_of(user: User) -> int:
    """A new referral the user made and follows (each role its own)."""
    from zhengqi.accounts.models import Region
    from zhengqi.marketing.models import Referral

    region = user.region or Region.objects.order_by("path").first()
    assert region is not None
    found, _ = Referral.objects.get_or_create(
        referrer=user,
        routed_to=user,
        status="new",
        defaults={
            "organisation": "矩阵单位",
            "region": region,
            "need": "宽带",
            "contact_name": "王",
            "contact_phone": "13912345678",
        },
    )
    return found.pk


def person_of(customer: Customer) -> KeyPerson:
    person, _ = KeyPerson.objects.get_or_create(customer=customer, name="矩阵联系人", defaults={"title": "主任"})
    return person


def contract_of(customer: Customer) -> Contract:
    """An agreement in force of the customer, with a signed file."""
    found = Contract.objects.filter(customer=customer, number__startswith="MX-", status="in_force").first()
    if found is None:
        found = Contract(
            customer=customer,
            number=f"MX-{customer.pk}-{Contract.objects.count()}",
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
            amount=1000,
            signed_file_name="协议.pdf",
        )
        found.signed_file.save("signed.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
        found.save()
    return found


def segment_of(user: User) -> int:
    """The user's own saved segment (made when first asked for: a DELETE removes it)."""
    from zhengqi.scoring.models import Segment

    found = Segment.objects.filter(owner=user, name="矩阵细分").first()
    if found is None:
        found = Segment.objects.create(owner=user, name="矩阵细分", expression="status = 'active'")
    return found.pk


def backlog_alert_of(customer: Customer) -> int:
    """A fresh alert on the customer that no task has taken: in its backlog (each take empties it)."""
    from zhengqi.scoring.models import Alert

    n = Alert.objects.filter(rule_code__startswith="MX").count()
    alert = Alert.objects.create(
        customer=customer,
        rule_code=f"MX{n}",
        rule_name="矩阵预警",
        family="retain",
        severity="high",
        first_month=dt.date(2026, 10, 1),
        last_month=dt.date(2026, 10, 1),
    )
    return alert.pk


def change_of(customer: Customer) -> ChangeRequest:
    found = ChangeRequest.objects.filter(customer=customer, reason="矩阵").first()
    if found is None:
        assert customer.account_manager is not None
        found = ChangeRequest.objects.create(
            customer=customer,
            changes={"address": ["", "矩阵路 1 号"]},
            reason="矩阵",
            proposed_by=customer.account_manager,
        )
    return found


def registration_of(customer: Customer) -> Registration:
    """A pending registration in the customer's region by its account manager (whom it concerns)."""
    found = Registration.objects.filter(region=customer.region, proposed_by=customer.account_manager).first()
    if found is None:
        assert customer.account_manager is not None
        found = Registration(
            name=f"矩阵认定单位{customer.pk}",
            credit_code="91440300MA5FUG3Y0U",
            customer_type="enterprise",
            industry="I",
            scale="small",
            region=customer.region,
            members_expected=20,
            proposed_by=customer.account_manager,
            evidence_name="执照.pdf",
        )
        found.evidence.save("licence.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
        found.save()
    return found


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def visit_of(customer: Customer) -> int:
    """A visit of the customer with a photo, recorded by its account manager."""
    from django.core.files.base import ContentFile

    from zhengqi.marketing.models import Interaction

    visit = Interaction.objects.filter(customer=customer, summary="矩阵拜访").first()
    if visit is None:
        by = customer.account_manager or User.objects.get(username="admin")
        visit = Interaction(customer=customer, by=by, date=dt.date(2026, 11, 2), summary="矩阵拜访")
        visit.photo.save("visit.png", ContentFile(PNG), save=False)
        visit.save()
    return visit.pk


def notification_of(user: User) -> int:
    from zhengqi.notifications.models import Kind
    from zhengqi.notifications.services import notify

    notify([user], Kind.TASK_ASSIGNED, "矩阵通知", key="matrix")
    return Notification.objects.get(user=user, key="matrix").pk


def bundle_of(customer: Customer) -> int:
    """A bundle offered to the customer (its answer is never recorded by the walk: the bodies and
    the empty page form are refused)."""
    from zhengqi.competition.models import Bundle, TariffPlan

    plan, _made = TariffPlan.objects.get_or_create(name="矩阵资费", operator="", defaults={"monthly_fee": 50})
    bundle = Bundle.objects.filter(customer=customer).first() or Bundle.objects.create(
        customer=customer, tariff=plan, lines=10
    )
    return bundle.pk


def fill(template: str, customer: Customer, task: Task, batch: ImportBatch, token: ApiToken) -> str:
    partner, deal, statement = channel_for(customer, token.user)
    request, event, _plan = service_for(customer, token.user)
    values = {
        "request_id": request.pk,
        "event_id": event.pk,
        "material_id": material_of() if "{material_id}" in template else 0,
        "referral_id": referral_of(token.user) if "{referral_id}" in template else 0,
        "step_id": open_step_of(event.team) if "{step_id}" in template else 0,
        "partner_id": partner.pk,
        "attribution_id": deal.pk,
        "statement_id": statement.pk,
        "opportunity_id": opportunity_for(customer).pk,
        "manager_id": customer.account_manager.pk if customer.account_manager else 0,
        "application_id": application_for(customer).pk,
        "campaign_id": campaign_with(customer).pk,
        "token_id": token.pk,
        "notification_id": notification_of(token.user) if "{notification_id}" in template else 0,
        "interaction_id": visit_of(customer) if "{interaction_id}" in template else 0,
        "job": "deliver",
        "period": "daily",
        "customer_id": customer.pk,
        "key_person_id": person_of(customer).pk,
        "change_id": change_of(customer).pk,
        "alert_id": backlog_alert_of(customer) if "{alert_id}" in template else 0,
        "segment_id": segment_of(token.user) if "{segment_id}" in template else 0,
        "registration_id": registration_of(customer).pk,
        "contract_id": contract_of(customer).pk,
        "pk": customer.pk,
        "task_id": task.pk,
        "batch_id": batch.pk,
        "code": "R01",
        "version": "v-none",
        "key": "performance",
        "fmt": "csv",
        "tier": "B",
        "user_id": customer.account_manager.pk if customer.account_manager else 0,
        "grade_change_id": grade_change_of(customer) if "{grade_change_id}" in template else 0,
        "bundle_id": bundle_of(customer) if "{bundle_id}" in template else 0,
    }
    out = template
    for name, value in values.items():
        out = out.replace(f"{{{name}}}", str(value))
    return out


def page_url(name: str, customer: Customer, task: Task, batch: ImportBatch, token: ApiToken) -> str:
    partner, deal, statement = channel_for(customer, token.user)
    request, event, _plan = service_for(customer, token.user)
    args = {
        "support:request": [request.pk],
        "support:request_resolve": [request.pk],
        "support:request_close": [request.pk],
        "support:request_reopen": [request.pk],
        "support:request_transfer": [request.pk],
        "support:request_new": [customer.pk],
        "support:survey_new": [customer.pk],
        "competition:event": [event.pk],
        "competition:event_launch": [event.pk],
        "competition:event_tariff": [event.pk],
        "competition:bundles": [customer.pk],
        "competition:bundle_decide": [bundle_of(customer)] if name == "competition:bundle_decide" else [],
        "marketing:material": [material_of()] if name.startswith("marketing:material") else [],
        "marketing:referral": [referral_of(token.user)] if name.startswith("marketing:referral") else [],
        "marketing:referral_progress": [referral_of(token.user)] if name.startswith("marketing:referral") else [],
        "marketing:material_version_new": [material_of()] if name.startswith("marketing:material") else [],
        "marketing:material_file": [material_of()] if name.startswith("marketing:material") else [],
        "competition:team_form": [event.pk],
        "competition:step_done": [event.pk, open_step_of(event.team)] if name == "competition:step_done" else [],
        "partners:partner": [partner.pk],
        "partners:partner_edit": [partner.pk],
        "partners:attribute": [customer.pk],
        "partners:withdraw": [deal.pk],
        "partners:decide": [deal.pk],
        "partners:statement": [statement.pk],
        "partners:statement_approve": [statement.pk],
        "partners:statement_file": [statement.pk, "xlsx"],
        "token_revoke": [token.pk],
        "marketing:campaign": [campaign_with(customer).pk],
        "marketing:campaign_edit": [campaign_with(customer).pk],
        "marketing:campaign_action": [campaign_with(customer).pk, "close"],
        "marketing:campaign_launch": [campaign_with(customer).pk],
        "marketing:campaign_export": [campaign_with(customer).pk, "csv"],
        "marketing:target_outcome": [campaign_with(customer).pk, customer.pk],
        "marketing:application_new": [customer.pk],
        "marketing:opportunity_new": [customer.pk],
        "insight:kpi_manager": [customer.account_manager.pk if customer.account_manager else 0],
        "marketing:opportunity": [opportunity_for(customer).pk],
        "marketing:project": [opportunity_for(customer).pk],
        "marketing:application": [application_for(customer).pk],
        "marketing:application_decide": [application_for(customer).pk],
        "customers:detail": [customer.pk],
        "customers:reassign": [customer.pk],
        "customers:reveal": [customer.pk],
        "customers:key_person_new": [customer.pk],
        "customers:change_new": [customer.pk],
        "customers:mark_lost": [customer.pk],
        "customers:reactivate": [customer.pk],
        "customers:change": [change_of(customer).pk],
        "customers:change_decide": [change_of(customer).pk],
        "customers:change_withdraw": [change_of(customer).pk],
        "customers:registration": [registration_of(customer).pk],
        "customers:registration_decide": [registration_of(customer).pk],
        "customers:registration_evidence": [registration_of(customer).pk],
        "customers:key_person_edit": [customer.pk, person_of(customer).pk],
        "customers:key_person_leave": [customer.pk, person_of(customer).pk],
        "customers:contract_new": [customer.pk],
        "customers:contract_renew": [customer.pk, contract_of(customer).pk],
        "customers:contract_terminate": [customer.pk, contract_of(customer).pk],
        "customers:contract_file": [customer.pk, contract_of(customer).pk],
        "scoring:rule": ["R01"],
        "marketing:task_close": [task.pk],
        "marketing:backlog_take": [backlog_alert_of(customer)] if name == "marketing:backlog_take" else [],
        "marketing:task_create": [customer.pk],
        "marketing:interaction_create": [customer.pk],
        "imports:batch": [batch.pk],
        "imports:report": [batch.pk, "csv"],
        "customers:export": ["csv"],
        "insight:kpi_export": ["csv"],
        "marketing:tasks_export": ["csv"],
        "marketing:backlog_export": ["csv"],
        "scoring:segment": [segment_of(token.user)] if name == "scoring:segment" else [],
        "scoring:segment_edit": [segment_of(token.user)] if name == "scoring:segment_edit" else [],
        "scoring:segment_export": [segment_of(token.user), "csv"] if name == "scoring:segment_export" else [],
        "insight:dashboard": ["performance"],
        "notifications:open": [notification_of(token.user)] if name == "notifications:open" else [],
        "notifications:schedule_edit": ["deliver"],
        "marketing:interaction_photo": [visit_of(customer)] if name == "marketing:interaction_photo" else [],
        "notifications:schedule_run": ["deliver"],
        "marketing:tier_edit": ["B"],
        "insight:talent_decide": [grade_change_of(customer)] if name == "insight:talent_decide" else [],
        "insight:qualification_fix": [customer.pk],
        "insight:talent_person": [customer.account_manager.pk if customer.account_manager else 0],
        "insight:talent_course": [customer.account_manager.pk if customer.account_manager else 0],
        "insight:talent_certification": [customer.account_manager.pk if customer.account_manager else 0],
    }.get(name, [])
    return reverse(name, args=args)


def api_body(op: str, customer: Customer, user: User) -> dict[str, Any] | None:
    """A valid body, so that what answers is the access check, not the validation."""
    am = customer.account_manager
    bodies: dict[str, dict[str, Any]] = {
        "POST /api/customers/reassign": {"customer_ids": [customer.pk], "to_manager_id": am.pk if am else 0},
        "POST /api/customers/merge": {"survivor_id": customer.pk, "duplicate_id": customer.pk},
        "POST /api/rules/preview": {"expression": "revenue > 1000"},
        "POST /api/segments/preview": {"expression": "revenue > 1000"},
        "PUT /api/campaigns/contact-policy": {"max_per_month": 2},
        "POST /api/segments": {"name": "矩阵细分", "expression": "status = 'active'"},
        "PUT /api/segments/{segment_id}": {"name": "矩阵细分", "expression": "revenue > 0"},
        "PUT /api/rules/{code}": {
            "name": "测试",
            "family": "retain",
            "severity": "low",
            "expression": "revenue > 1000",
        },
        "POST /api/runs": {"month": "2026-10"},
        "POST /api/customers/{customer_id}/tasks": {"title": "回访", "due": "2026-12-01"},
        "POST /api/customers/{customer_id}/key-persons": {"name": "矩阵新人", "roles": ["decider"]},
        "PATCH /api/customers/{customer_id}/key-persons/{key_person_id}": {"title": "副主任"},
        "POST /api/contracts": {
            "customer_id": customer.pk,
            "number": f"MX-API-{customer.pk}-{Contract.objects.count()}",
            "start": "2026-01-01",
            "end": "2026-12-31",
            "amount": "100",
        },
        "POST /api/contracts/{contract_id}/renew": {
            "number": f"MX-R-{customer.pk}-{Contract.objects.count()}",
            "start": "2027-01-01",
            "end": "2027-12-31",
            "amount": "100",
        },
        "POST /api/contracts/{contract_id}/terminate": {"reason": "客户撤销"},
        "POST /api/change-requests": {
            "customer_id": customer.pk,
            "changes": {"address": f"矩阵路 {customer.pk} 号"},
            "reason": "测试",
        },
        "POST /api/change-requests/{change_id}/decision": {"approve": False, "comment": "矩阵"},
        "POST /api/customers/{customer_id}/lost": {"reason": ""},
        "POST /api/customers/{customer_id}/reactivate": {"reason": "回归"},
        "POST /api/registrations/{registration_id}/decision": {"approve": False, "comment": "矩阵"},
        "POST /api/tasks/{task_id}/close": {"outcome": "已处理"},
        "POST /api/tasks/bulk": {
            "task_ids": list(Task.objects.filter(customer=customer, title="核实需求").values_list("pk", flat=True)[:1]),
            "action": "close",
            "reason": "已处理",
        },
        "POST /api/customers/{customer_id}/interactions": {"date": "2026-11-20", "summary": "拜访"},
        "POST /api/tokens": {"name": "矩阵测试", "days": 1},
        "POST /api/partners": PARTNER_BODY,
        "PUT /api/partners/{partner_id}": PARTNER_BODY,
        "POST /api/attributions": {
            "partner_id": channel_for(customer, user)[0].pk,
            "role": "sales",
            "subscription_id": channel_for(customer, user)[1].subscription_id,
        },
        "POST /api/attributions/{attribution_id}/decide": {"note": "矩阵"},
        "POST /api/commission-rules": {
            "code": "MX",
            "name": "矩阵",
            "effective_from": "2025-01",
            "role": "sales",
            "method": "rate",
            "value": "5%",
        },
        "POST /api/settlements": {"month": "2025-01"},
        "POST /api/service-requests": {"customer_id": customer.pk, "request_type": "complaint", "title": "矩阵投诉"},
        "POST /api/service-requests/{request_id}/resolve": {"resolution": "已处理"},
        "POST /api/service-requests/{request_id}/close": {"satisfied": True},
        "POST /api/service-requests/{request_id}/reopen": {"reason": "仍未解决"},
        "POST /api/service-requests/{request_id}/transfer": {"department_id": 0, "reason": "应由计费处理"},
        "PUT /api/support/targets": {"year": 2026, "metric": "on_time", "value": "95%"},
        "PUT /api/service-tiers/{tier}": {"visit_days": 90},
        "POST /api/talent/ratings": {"year": 2026},
        "POST /api/terminals": {"name": "矩阵终端", "kind": "phone", "price": "1999"},
        "POST /api/tariffs": {"name": "矩阵资费", "monthly_fee": "58"},
        "POST /api/competitor-events/{event_id}/tariffs": {"name": "对手套餐", "monthly_fee": "39"},
        "POST /api/customers/{customer_id}/bundles": {"tariff_id": 0, "lines": 10},
        "POST /api/bundles/{bundle_id}/decision": {"outcome": "矩阵"},
        "POST /api/talent/{user_id}/courses": {"course_id": 0, "date": "2026-03-01", "score": 80},
        "POST /api/talent/{user_id}/certifications": {"name": "矩阵证书", "grade": 3, "issued": "2026-03-01"},
        "POST /api/grade-changes/{grade_change_id}/decide": {"approve": False, "note": "矩阵"},
        "POST /api/customers/{customer_id}/surveys": {"kind": "yearly", "satisfied": True},
        "POST /api/competitor-events": {
            "operator": "telecom",
            "kind": "offer",
            "summary": "矩阵",
            "date": "2026-11-01",
            "customer_codes": [customer.code],
        },
        "POST /api/competitor-events/{event_id}/launch": {"plan_id": service_for(customer, user)[2].pk},
        "POST /api/competitor-events/{event_id}/team": {},
        "POST /api/competitor-events/{event_id}/team/steps/{step_id}/done": {"note": "矩阵"},
        "POST /api/referrals": {
            "organisation": "矩阵推荐单位",
            "region_code": customer.region.code,
            "need": "宽带",
            "contact_name": "王",
            "contact_phone": "13912345678",
        },
        "POST /api/referrals/{referral_id}/progress": {"status": "following"},
        "POST /api/referral-reward-rules": {"effective_from": "2027-01", "fixed": "50"},
        "POST /api/response-plans": {"name": "矩阵接口预案", "products": ["GSMS"], "offer": "9 折"},
        "POST /api/statements/{statement_id}/approve": {"total": "0"},
        "POST /api/campaigns/{campaign_id}/targets/{customer_id}/outcome": {"outcome": "contacted"},
        "POST /api/opportunities": {"customer_id": customer.pk, "name": "专线", "close_date": "2026-12-01"},
        "PUT /api/opportunities/{opportunity_id}": {"name": "专线", "close_date": "2026-12-01"},
        "POST /api/development/applications": {"customer_id": customer.pk, "needs": "专线", "plan": "2026-12-01 拜访"},
        "POST /api/development/applications/{application_id}/decision": {"approve": False, "comment": "补充"},
        "POST /api/campaigns": {
            "name": "矩阵",
            "segment": "status = 'active'",
            "start": "2026-11-01",
            "end": "2026-11-30",
            "products": [],
        },
        "PUT /api/campaigns/{campaign_id}": {
            "name": "矩阵",
            "segment": "status = 'active'",
            "start": "2026-11-01",
            "end": "2026-11-30",
            "products": [],
        },
        "PUT /api/insight/kpi/targets": {
            "manager": customer.account_manager.username if customer.account_manager else "",
            "year": 2026,
            "metric": "retention",
            "value": "0.95",
        },
        "PUT /api/insight/targets": {
            "region": user.region.code if user.region else "X",
            "year": 2026,
            "metric": "revenue_info",
            "amount": "1000",
        },
    }
    return bodies.get(op)


PARTNER_BODY = {
    "code": "MX-API",
    "name": "矩阵接口代理商",
    "kinds": ["marketing"],
    "region": "X",
    "contract_start": "2025-01-01",
    "contract_end": "2026-12-31",
}


def customer_ids_in(answer: Any) -> set[int]:
    """Every customer an API answer names by id (``customer_id``, ``customer_ids``), at any depth."""
    found: set[int] = set()
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key == "customer_id" and isinstance(value, int):
                found.add(value)
            elif key == "customer_ids" and isinstance(value, list):
                found |= {v for v in value if isinstance(v, int)}
            else:
                found |= customer_ids_in(value)
    elif isinstance(answer, list):
        for item in answer:
            found |= customer_ids_in(item)
    return found


LEAKS: list[str] = []


# What a GET may write: the session, the audit trail of exports and reveals, a token's last use.
# A GET that shows personal data unmasked or hands out a signed agreement logs that access (auditlog).
BOOKKEEPING = (
    "django_session",
    "accounts_exportrecord",
    "accounts_apitoken",
    "axes_",
    "auditlog_logentry",
    "marketing_materialuse",  # a sales-kit download is counted
)
WRITES: list[str] = []


def matrix_staff_roles() -> set[str]:
    return {
        User.Role.PROVINCIAL_ADMIN,
        User.Role.MARKETING_PLANNER,
        User.Role.REGIONAL_MANAGER,
        User.Role.ACCOUNT_MANAGER,
    }


def answer(client: Client, method: str, url: str, body: dict[str, Any] | None, *, api_call: bool) -> int:
    if method == "GET":
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            status = response.status_code
        for q in ctx.captured_queries:  # a GET only reads (escalations and seeding are not a page's job)
            sql = q["sql"].lstrip().upper()
            if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not any(t.upper() in sql for t in BOOKKEEPING):
                WRITES.append(f"GET {url} wrote: {q['sql'][:120]}")
        user = response.wsgi_request.user
        json_answer = status == 200 and "json" in response.get("Content-Type", "")
        # Content, not only the status: a staff answer names no customer outside the user's scope.
        if api_call and json_answer and user.is_authenticated and user.role in matrix_staff_roles():
            visible = set(Customer.objects.filter(customer_scope(user)).values_list("pk", flat=True))
            if stray := customer_ids_in(response.json()) - visible:
                LEAKS.append(f"GET {url} as {user.username} named customers outside the scope: {sorted(stray)}")
        return status
    if url == "/api/imports":  # a file upload (a dry run: nothing is written)
        upload = SimpleUploadedFile("客户.csv", "客户编码,客户名称\n".encode())
        return client.post(url, {"kind": "customers", "dry_run": "true", "file": upload}).status_code
    if api_call and method == "POST" and url.endswith("/photo"):  # a visit's photo
        return client.post(url, {"file": SimpleUploadedFile("拜访.png", PNG, content_type="image/png")}).status_code
    if api_call and method == "POST" and url.endswith("/file"):  # a signed agreement's upload
        upload = SimpleUploadedFile("协议.pdf", b"%PDF-1.4 matrix", content_type="application/pdf")
        return client.post(url, {"file": upload}).status_code
    if api_call:
        data = json.dumps(body or {})
        if method == "DELETE":
            url += ("&" if "?" in url else "?") + "reason=" + "调离"
        call = {"POST": client.post, "PUT": client.put, "PATCH": client.patch, "DELETE": client.delete}[method]
        return call(url, data, content_type="application/json").status_code
    return client.post(url, {}).status_code


def passed(status: int) -> bool:
    """Through the access check: served, redirected, or refused for its input (not for who asks)."""
    return status < 400 or status in (400, 409, 422)


def denied(status: int) -> bool:
    return status in (403, 404)


CASES = [("page", name) for name in matrix.PAGES] + [("api", op) for op in matrix.API]


@pytest.mark.parametrize(("kind", "route"), CASES, ids=[r for _k, r in CASES])
def test_each_role_gets_what_the_matrix_says(kind: str, route: str, cast: Cast) -> None:
    entry = (matrix.PAGES if kind == "page" else matrix.API)[route]
    ensure_builtin_rules()  # the sample rule R01
    batch = ImportBatch.objects.create(kind="customers", filename="x.csv", sha256="0" * 64, by=cast.admin)
    failures = []
    WRITES.clear()
    LEAKS.clear()
    for role, user in users(cast).items():
        customer = inside(role, user) if role in matrix.STAFF else Customer.objects.order_by("pk").first()
        assert customer is not None
        task = task_of(customer)
        token = token_of(user)
        client = Client()
        client.force_login(user)
        if kind == "page":
            url, body = page_url(route, customer, task, batch, token), None
        else:
            url, body = fill(route.split(" ", 1)[1], customer, task, batch, token), api_body(route, customer, user)
        status = answer(client, entry.method, url, body, api_call=kind == "api")
        allowed = matrix.may(role, entry)
        if allowed and not passed(status) and not (status == 404 and route_object_missing(route)):
            failures.append(f"{role} should pass, got {status}")
        if not allowed and not denied(status):
            failures.append(f"{role} should be refused, got {status}")
        # IDOR: the same route with a customer (and its task), or another user's token, outside the
        # user's scope
        other = outside(role, user) if entry.scoped and allowed else None
        if other is not None:
            other_task = task_of(other)
            other_token = token_of(other.account_manager or cast.admin)
            if kind == "page":
                url = page_url(route, other, other_task, batch, other_token)
            else:
                url = fill(route.split(" ", 1)[1], other, other_task, batch, other_token)
            status = answer(client, entry.method, url, body, api_call=kind == "api")
            if status != 404:
                failures.append(f"{role} reached a customer outside their scope: {status}")
        if route in TOKEN_ROUTES and role != "admin":  # someone else's token: only the admin may revoke it
            foreign = token_of(cast.admin)
            url = page_url(route, customer, task, batch, foreign) if kind == "page" else f"/api/tokens/{foreign.pk}"
            status = answer(client, entry.method, url, body, api_call=kind == "api")
            foreign.refresh_from_db()
            if status != 404 or foreign.revoked_at is not None:
                failures.append(f"{role} revoked another user's token: {status}")
    anonymous = answer(
        Client(),
        entry.method,
        page_url(route, customer, task, batch, token) if kind == "page" else url,
        None,
        api_call=kind == "api",
    )
    if "*" not in entry.allow:
        want = (302,) if kind == "page" else (401,)
        if anonymous not in want:
            failures.append(f"anonymous should be sent to log in, got {anonymous}")
    assert not failures, failures
    assert not WRITES, WRITES
    assert not LEAKS, LEAKS


TOKEN_ROUTES = ("token_revoke", "DELETE /api/tokens/{token_id}")


def route_object_missing(route: str) -> bool:
    """Routes whose sample object does not exist in the tiny province (no churn model, no month run)."""
    return "{version}" in route or route.endswith("/churn") or "analysis" in route
