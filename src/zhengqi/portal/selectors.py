"""The pages that show several domains at once, composed from each domain's panel selector: the
account manager's workbench and the customer's 360° page. A domain never reaches up for another's
panel; it is joined here, one layer above them all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.competition.selectors import customer_competition
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import (
    customer_profile,
    customers_visible_to,
    first_rows,
    members_panel,
    workbench_customers,
)
from zhengqi.insight.kpi import own_kpi
from zhengqi.marketing.kit.services import materials_for_products
from zhengqi.marketing.service_tiers import customer_entitlement, workbench_visits
from zhengqi.marketing.tasks.selectors import customer_marketing, workbench_tasks
from zhengqi.scoring.selectors import customer_scoring, highest_churn_risks, workbench_alerts
from zhengqi.support.requests import workbench_requests
from zhengqi.support.selectors import customer_service


def workbench(user: User, today: dt.date | None = None) -> dict[str, Any]:
    """What the user has to do today (F-14): tasks, new alerts, customers by tier and at risk,
    agreements ending, birthdays and anniversaries, own KPIs, service requests to chase."""
    today = today or timezone.localdate()
    return {"today": today, **workbench_tasks(user, today), **workbench_now(user), **workbench_side(user, today)}


def workbench_now(user: User) -> dict[str, Any]:
    """What moves by the hour on the workbench: service requests past their deadline, approvals."""
    return {**workbench_requests(user), **workbench_approvals(user)}


def workbench_side(user: User, today: dt.date) -> dict[str, Any]:
    """The workbench's view of the user's customers, which changes only with their data (a month
    run, an edit): new alerts, churn risks, tiers, agreements ending, care, own KPIs."""
    customers = customers_visible_to(user)
    return {
        "new_alerts": first_rows(workbench_alerts(customers)),
        "churn_risks": highest_churn_risks(customers.filter(status=Customer.Status.ACTIVE)),
        **workbench_customers(user, today),
        **workbench_visits(user, today),  # a visit logged changes the customer's version: redrawn at once
        **own_kpi(user),
    }


def workbench_approvals(user: User) -> dict[str, Any]:
    """For a manager, everything waiting for their decision in one card: customer-data changes,
    group registrations, development applications, disputed partner claims and commission
    statements to approve (each list its first few, with the count of all)."""
    from zhengqi.accounts import matrix
    from zhengqi.customers.change_requests import change_requests_to_decide
    from zhengqi.customers.registrations import registrations_to_decide
    from zhengqi.marketing.development.services import applications_visible_to
    from zhengqi.marketing.models import DevelopmentApplication
    from zhengqi.partners.models import Statement
    from zhengqi.partners.partners import conflicts_visible_to
    from zhengqi.partners.settlement import statements_visible_to

    if matrix.role_of(user) not in matrix.MANAGERS:
        return {"approval_changes": [], "approval_registrations": [], "approval_count": 0}
    changes, registrations = change_requests_to_decide(user), registrations_to_decide(user)
    applications = first_rows(
        applications_visible_to(user)
        .filter(status=DevelopmentApplication.Status.SUBMITTED)
        .exclude(applicant=user)
        .order_by("created_at", "pk"),
        5,
    )
    conflicts = conflicts_visible_to(user).values("pk").count()
    statements = first_rows(
        statements_visible_to(user).filter(status=Statement.Status.DRAFT).order_by("month", "pk"), 5
    )
    return {
        "approval_changes": changes,
        "approval_registrations": registrations,
        "approval_applications": applications,
        "approval_conflicts": conflicts,
        "approval_statements": statements,
        "approval_count": len(changes) + len(registrations) + applications[1] + conflicts + statements[1],
    }


def customer_overview(*, user: User, customer: Customer, today: dt.date | None = None) -> dict[str, Any]:
    """The customer's 360° page: the record, scoring, the account manager's work, service and
    competition, each from its own domain."""
    today = today or timezone.localdate()
    profile = customer_profile(user=user, customer=customer, today=today)
    scoring = customer_scoring(customer)
    snapshot = scoring["snapshot"]
    suggested = profile["next_products"]
    kit = materials_for_products([s.product for s in suggested], customer)
    return {
        "customer": customer,
        **profile,
        "next_offers": [(s, kit.get(s.product.pk, [])) for s in suggested],
        **scoring,
        "members": members_panel(profile["trend"], (snapshot.features if snapshot else None) or {}),
        **customer_marketing(customer),
        "entitlement": customer_entitlement(customer, today),
        **customer_service(user, customer),
        **customer_competition(user, customer),
    }
