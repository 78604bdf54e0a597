"""Service requests (F-25): accepted once, routed to a department, supervised, closed with feedback.

Who sees which requests (the pages, the API and the exports all go through ``requests_visible_to``):

| user                     | requests                                                        |
| ------------------------ | --------------------------------------------------------------- |
| provincial admin         | all                                                             |
| regional manager, planner| those of customers in their region                              |
| account manager          | those of their own customers                                    |
| department user          | their department's queue, those escalated to them as head, and  |
|                          | (a customer-service desk) those they accepted                   |
| partner                  | none                                                            |

A department user sees a request's customer by name only (no customer page): the queue is what
they work from.

Life of a request: ``open`` (in the department's queue; the deadline of its type runs from
acceptance, half of it when urgent) → ``resolved`` by a member of the department with a resolution
→ ``closed`` by the account manager with the customer's feedback (satisfied or not), which is also
recorded as a survey. A customer who says it is not fixed sends it back (``open`` again). The
department holding an open request may pass it to another (``request_transfer``); the deadline
stands. ``supervise`` escalates each overdue open request once to its department's head.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope, sees_whole_province
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, KeyPerson
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify

from .models import (
    Department,
    RequestEvent,
    RequestType,
    RoutingRule,
    ServiceLevel,
    ServiceRequest,
    Survey,
    TierService,
)
from .tiers import TierBook, tier_on

# Used when the admin has deleted a type's deadline; the same as the defaults a province starts from.
DEFAULT_HOURS = {"fault": 24, "billing": 72, "delivery": 120, "change": 72, "complaint": 48}
OPEN_STATES = (ServiceRequest.Status.OPEN,)


def requests_visible_to(user: User) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.select_related("customer", "customer__account_manager", "department")
    role = matrix.role_of(user)
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if sees_whole_province(user):
        return qs
    if role == "department":
        # their queue, what was escalated to them as head, and what they accepted at a service desk
        mine = Q(department__members=user) | Q(department__head=user) | Q(escalated_to=user) | Q(created_by=user)
        return qs.filter(mine).distinct()
    if role in matrix.STAFF:
        return qs.filter(customer_scope(user, prefix="customer__"))
    return qs.none()


def request_get(*, user: User, pk: int) -> ServiceRequest:
    found = requests_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("服务请求不存在或无权查看。"))
    return found


def departments_of(user: User) -> QuerySet[Department]:
    """The departments whose queue a user works (as a member or as head)."""
    return Department.objects.filter(Q(members=user) | Q(head=user)).distinct()


@dataclass
class Routing:
    """The admin's routing rules and deadlines, read once (an import routes thousands of tickets):
    the general deadline of each type, and each service tier's own deadlines and escalation point."""

    rules: dict[str, list[RoutingRule]]
    hours: dict[str, int]
    tiers: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)  # tier → (escalate %, type → hours)

    @classmethod
    def load(cls) -> Routing:
        rules: dict[str, list[RoutingRule]] = {}
        for rule in RoutingRule.objects.select_related("region", "department"):
            rules.setdefault(rule.request_type, []).append(rule)
        tiers = {
            s.tier: (s.escalate_percent, {d.request_type: d.hours for d in s.deadlines.all()})
            for s in TierService.objects.prefetch_related("deadlines")
        }
        return cls(rules, dict(ServiceLevel.objects.values_list("request_type", "hours")), tiers)

    def department(self, request_type: str, customer: Customer) -> Department:
        """The department of the rule of the deepest region containing the customer's (a rule
        with no region applies province-wide)."""
        path = customer.region.path if customer.region_id else ""

        def depth(rule: RoutingRule) -> int:
            return len(rule.region.path) if rule.region else 0

        fitting = [r for r in self.rules.get(request_type, []) if r.region is None or path.startswith(r.region.path)]
        if not fitting:
            label = dict(RequestType.choices).get(request_type, request_type)
            raise ValidationError(
                {
                    "request_type": _("没有处理“%(type)s”类请求的部门：请省公司管理员在后台设置分派规则。")
                    % {"type": label}
                }
            )
        return max(fitting, key=depth).department

    def terms(
        self, request_type: str, priority: str, start: dt.datetime, tier: str = ""
    ) -> tuple[dt.datetime, dt.datetime]:
        """The deadline from acceptance and when supervision escalates the request if still open:
        the tier's own hours for the type, else the type's general hours; half of them when urgent;
        escalated at the tier's share of that time (at the deadline for a tier without one)."""
        percent, own = self.tiers.get(tier, (100, {}))
        hours = own.get(request_type) or self.hours.get(request_type) or DEFAULT_HOURS.get(request_type, 72)
        if priority == ServiceRequest.Priority.URGENT:
            hours = max(1, hours // 2)
        due = start + dt.timedelta(hours=hours)
        return due, start + dt.timedelta(seconds=hours * 3600 * min(100, percent) // 100)

    def due(self, request_type: str, priority: str, start: dt.datetime, tier: str = "") -> dt.datetime:
        return self.terms(request_type, priority, start, tier)[0]


@dataclass
class RequestInput:
    customer_id: int
    request_type: str
    title: str
    description: str = ""
    priority: str = ServiceRequest.Priority.NORMAL
    key_person_id: int | None = None
    external_ref: str = ""


def is_desk(user: User) -> bool:
    """A member of a customer-service department (集团客户响应中心): accepts requests by phone for
    any customer, named by its code or credit code, without seeing customers otherwise."""
    return matrix.role_of(user) == "department" and departments_of(user).filter(kind=Department.Kind.SERVICE).exists()


def may_accept(user: User) -> bool:
    return matrix.role_of(user) in matrix.WORKERS or is_desk(user)


def customer_for_request(*, by: User, customer_id: int | None = None, code: str = "") -> Customer:
    """The customer a request is for: one the user may see (staff), or any customer by its exact
    code or unified social credit code (the service desk)."""
    qs = Customer.objects.select_related("region")
    if not is_desk(by):
        qs = qs.filter(customer_scope(by))
    code = code.strip().upper()
    if customer_id is not None:
        found = qs.filter(pk=customer_id).first()
    elif code:
        found = qs.filter(Q(code=code) | Q(credit_code=code)).first()
    else:
        raise ValidationError({"customer": _("请填写客户编码或统一社会信用代码。")})
    if found is None:
        if code:
            raise ValidationError({"customer": _("没有编码或信用代码为“%(code)s”的集团客户。") % {"code": code}})
        raise Http404(_("客户不存在或无权查看。"))
    return found


def request_create(*, by: User, data: RequestInput, now: dt.datetime | None = None) -> ServiceRequest:
    """Accept a request for a customer the user may see (any customer, for the service desk), route
    it and start its clock."""
    if not may_accept(by):
        raise PermissionDenied(_("服务请求由客户经理、区域经理、省公司管理员或客服受理。"))
    customer = customer_for_request(by=by, customer_id=data.customer_id)
    errors: dict[str, str] = {}
    if data.request_type not in RequestType.values:
        errors["request_type"] = _("请选择请求类型：故障、计费、交付、变更或投诉。")
    if data.priority not in ServiceRequest.Priority.values:
        errors["priority"] = _("优先级应为“普通”或“紧急”。")
    title = data.title.strip()
    if not title:
        errors["title"] = _("请用一句话写明客户的诉求。")
    elif len(title) > 200:
        errors["title"] = _("标题不能超过 200 个字。")
    key_person = None
    if data.key_person_id:
        key_person = KeyPerson.objects.filter(customer=customer, pk=data.key_person_id).first()
        if key_person is None:
            errors["key_person"] = _("提出人不是该客户的关键人。")
    ref = data.external_ref.strip() or None
    if ref and len(ref) > 40:
        errors["external_ref"] = _("工单号不能超过 40 个字符。")
    elif ref:
        taken = ServiceRequest.objects.filter(external_ref=ref).first()
        if taken is not None:
            errors["external_ref"] = _("工单号“%(ref)s”已登记为 %(number)s。") % {"ref": ref, "number": taken.number}
    routing = Routing.load()
    now = now or timezone.now()
    tier = tier_on(customer, timezone.localdate(now))
    if not errors:
        try:
            department = routing.department(data.request_type, customer)
        except ValidationError as err:
            errors.update({k: v[0] for k, v in err.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    due_at, escalate_at = routing.terms(data.request_type, data.priority, now, tier)
    with transaction.atomic():
        request = ServiceRequest.objects.create(
            customer=customer,
            request_type=data.request_type,
            priority=data.priority,
            title=title,
            description=data.description.strip(),
            key_person=key_person,
            department=department,
            created_by=by,
            created_at=now,
            due_at=due_at,
            tier=tier,
            escalate_at=escalate_at,
            external_ref=ref,
        )
        RequestEvent.objects.bulk_create(
            [
                RequestEvent(request=request, kind=RequestEvent.Kind.CREATED, at=now, by=by, note=title),
                RequestEvent(
                    request=request,
                    kind=RequestEvent.Kind.ROUTED,
                    at=now,
                    by=by,
                    note=department.name,
                    department=department,
                ),
            ]
        )
        notify(
            [*department.members.all(), department.head_id],
            Kind.REQUEST_ASSIGNED,
            _("新服务请求 %(number)s：%(customer)s · %(title)s")
            % {"number": request.number, "customer": customer.name, "title": title},
            body=_("处理时限：%(due)s") % {"due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")},
            link=reverse("support:request", args=[request.pk]),
            key=f"request:{request.pk}",
        )
    return request


def may_resolve(user: User, request: ServiceRequest) -> bool:
    if sees_whole_province(user):
        return True
    return departments_of(user).filter(pk=request.department_id).exists()


@transaction.atomic
def request_resolve(
    *, by: User, request: ServiceRequest, resolution: str, now: dt.datetime | None = None
) -> ServiceRequest:
    """The department's answer. Only its members (or head, or the provincial admin) may give it."""
    if not may_resolve(by, request):
        raise PermissionDenied(_("只有处理部门的人员可以办结服务请求。"))
    text = resolution.strip()
    if not text:
        raise ValidationError({"resolution": _("请写明处理结果：客户会看到它。")})
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ServiceRequest.Status.OPEN:
        raise ValidationError(_("该请求已处理，不能重复办结。"))
    now = now or timezone.now()
    locked.status, locked.resolution, locked.resolved_by, locked.resolved_at = (
        ServiceRequest.Status.RESOLVED,
        text,
        by,
        now,
    )
    locked.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    RequestEvent.objects.create(request=locked, kind=RequestEvent.Kind.RESOLVED, at=now, by=by, note=text)
    return locked


def may_follow_up(user: User, request: ServiceRequest) -> bool:
    """Whoever may work the customer (its account manager, managers over it, the admin)."""
    return (
        matrix.role_of(user) in matrix.WORKERS
        and Customer.objects.filter(customer_scope(user), pk=request.customer_id).exists()
    )


@transaction.atomic
def request_close(
    *,
    by: User,
    request: ServiceRequest,
    satisfied: bool | None,
    feedback: str = "",
    score: int | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Record the customer's feedback on a resolved request and close it; the feedback is also the
    customer's survey answer "after a request" (one per request)."""
    if not may_follow_up(by, request):
        raise PermissionDenied(_("回访由客户的客户经理或区域经理进行。"))
    if satisfied is None:
        raise ValidationError({"satisfied": _("请记录客户是否满意。")})
    if score is not None and not 1 <= score <= 5:
        raise ValidationError({"score": _("评分应为 1 至 5。")})
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ServiceRequest.Status.RESOLVED:
        raise ValidationError(_("只有部门已处理的请求才能回访关闭。"))
    now = now or timezone.now()
    locked.status, locked.satisfied, locked.feedback = ServiceRequest.Status.CLOSED, satisfied, feedback.strip()
    locked.closed_by, locked.closed_at = by, now
    locked.save(update_fields=["status", "satisfied", "feedback", "closed_by", "closed_at"])
    RequestEvent.objects.create(
        request=locked,
        kind=RequestEvent.Kind.CLOSED,
        at=now,
        by=by,
        note=(_("满意") if satisfied else _("不满意")) + (f"：{locked.feedback}" if locked.feedback else ""),
    )
    _survey_of(locked, score=score, by=by)
    return locked


@transaction.atomic
def request_reopen(*, by: User, request: ServiceRequest, reason: str, now: dt.datetime | None = None) -> ServiceRequest:
    """The customer says it is not fixed: back to the department's queue (the deadline stands)."""
    if not may_follow_up(by, request):
        raise PermissionDenied(_("回访由客户的客户经理或区域经理进行。"))
    text = reason.strip()
    if not text:
        raise ValidationError({"reason": _("请写明客户认为没有解决的地方。")})
    locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ServiceRequest.Status.RESOLVED:
        raise ValidationError(_("只有部门已处理、尚未关闭的请求可以退回重办。"))
    locked.status, locked.resolved_at = ServiceRequest.Status.OPEN, None
    locked.save(update_fields=["status", "resolved_at"])
    RequestEvent.objects.create(
        request=locked, kind=RequestEvent.Kind.REOPENED, at=now or timezone.now(), by=by, note=text
    )
    return locked


def transfer_targets(request: ServiceRequest) -> QuerySet[Department]:
    """The departments an open request may be passed to: any other."""
    return Department.objects.exclude(pk=request.department_id).order_by("code")


@transaction.atomic
def request_transfer(
    *, by: User, request: ServiceRequest, to_department_id: int | None, reason: str, now: dt.datetime | None = None
) -> ServiceRequest:
    """Pass an open request to another department (e.g. billing ↔ complaints). The customer's clock
    is not reset — the deadline stands — and each department's handling time counts only the time
    it held the request (the assessment reads the transfer events)."""
    if not may_resolve(by, request):
        raise PermissionDenied(_("只有当前处理部门的人员可以转派服务请求。"))
    errors: dict[str, str] = {}
    target = Department.objects.filter(pk=to_department_id or 0).first()
    if target is None:
        errors["department"] = _("请选择接手的部门。")
    elif target.pk == request.department_id:
        errors["department"] = _("请求已在%(d)s，不需要转派。") % {"d": target.name}
    text = reason.strip()
    if not text:
        errors["reason"] = _("请写明转派原因，接手部门会看到它。")
    elif len(text) > 500:
        errors["reason"] = _("转派原因不能超过 500 个字。")
    if errors:
        raise ValidationError(errors)
    assert target is not None
    locked = ServiceRequest.objects.select_for_update().select_related("department", "customer").get(pk=request.pk)
    if locked.status != ServiceRequest.Status.OPEN:
        raise ValidationError(_("只有处理中的请求可以转派。"))
    now = now or timezone.now()
    before = locked.department
    if not locked.events.filter(department__isnull=False).exists():  # imported: where it was first
        RequestEvent.objects.create(
            request=locked, kind=RequestEvent.Kind.ROUTED, at=locked.created_at, note=before.name, department=before
        )
    locked.department = target
    locked.save(update_fields=["department"])
    RequestEvent.objects.create(
        request=locked,
        kind=RequestEvent.Kind.TRANSFERRED,
        at=now,
        by=by,
        department=target,
        note=_("%(a)s → %(b)s：%(why)s") % {"a": before.name, "b": target.name, "why": text},
    )
    notify(
        [*target.members.all(), target.head_id],
        Kind.REQUEST_ASSIGNED,
        _("转派来的服务请求 %(number)s：%(customer)s · %(title)s")
        % {"number": locked.number, "customer": locked.customer.name, "title": locked.title},
        body=_("由%(a)s转来：%(why)s。处理时限不变：%(due)s")
        % {"a": before.name, "why": text, "due": timezone.localtime(locked.due_at).strftime("%Y-%m-%d %H:%M")},
        link=reverse("support:request", args=[locked.pk]),
        key=f"request-transfer:{locked.pk}:{target.pk}:{now.timestamp():.0f}",
    )
    return locked


def supervise(now: dt.datetime | None = None) -> int:
    """Escalate every open request past its escalation point to its department's head — once: the
    ``escalated_at IS NULL`` condition of the UPDATE makes a second run (or two at once) a no-op.
    The point is the deadline, or earlier for a service tier that asks for it (分层服务: an A+
    customer's request is raised before it is late)."""
    now = now or timezone.now()
    due = Q(escalate_at__lte=now) | Q(escalate_at__isnull=True, due_at__lt=now)
    overdue = list(
        ServiceRequest.objects.filter(due, status=ServiceRequest.Status.OPEN, escalated_at__isnull=True).values_list(
            "pk", "department__head_id", "department__name", "customer__name", "title", "due_at", "tier"
        )
    )
    escalated = 0
    for pk, head_id, department, customer, title, due_at, tier in overdue:
        with transaction.atomic():
            won = ServiceRequest.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now, escalated_to_id=head_id
            )
            if won:
                escalated += 1
                if due_at > now:
                    reason = _("%(tier)s 级客户的请求即将超过处理时限（%(due)s）") % {
                        "tier": tier,
                        "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
                    }
                else:
                    reason = _("超过处理时限")
                note = (
                    _("%(reason)s，已升级给%(department)s负责人。") % {"reason": reason, "department": department}
                    if head_id
                    else _("%(reason)s；%(department)s未设负责人，请管理员指定。")
                    % {"reason": reason, "department": department}
                )
                RequestEvent.objects.create(request_id=pk, kind=RequestEvent.Kind.ESCALATED, at=now, note=note)
                notify(
                    [head_id],
                    Kind.ESCALATION,
                    _("服务请求超时升级：%(customer)s · %(title)s") % {"customer": customer, "title": title},
                    body=note,
                    link=reverse("support:request", args=[pk]),
                    key=f"request-escalated:{pk}",
                )
    return escalated


def overdue(qs: QuerySet[ServiceRequest], now: dt.datetime | None = None) -> QuerySet[ServiceRequest]:
    return qs.filter(status=ServiceRequest.Status.OPEN, due_at__lt=now or timezone.now())


def workbench_requests(user: User, shown: int = 8) -> dict[str, object]:
    """For the workbench: the user's customers' requests past their deadline, and those the
    department has resolved that wait for the customer's feedback."""
    now = timezone.now()
    mine = requests_visible_to(user)
    late = overdue(mine, now).order_by("due_at")
    waiting = mine.filter(status=ServiceRequest.Status.RESOLVED).order_by("resolved_at")
    counts = mine.aggregate(
        late=Count("pk", filter=Q(status=ServiceRequest.Status.OPEN, due_at__lt=now)),
        waiting=Count("pk", filter=Q(status=ServiceRequest.Status.RESOLVED)),
    )
    return {  # the lists are read only when there is something in them: most days, two queries in all
        "requests_overdue": (list(late[:shown]) if counts["late"] else [], counts["late"]),
        "requests_waiting": (list(waiting[:shown]) if counts["waiting"] else [], counts["waiting"]),
    }


# --- tickets from the operator's complaint system ---------------------------------------------------


@dataclass
class Ticket:
    """One row of the complaint system's export (see ``zhengqi.imports.kinds.tickets``)."""

    line: int
    ticket: str
    customer_code: str
    created: dt.date
    title: str
    request_type: str = RequestType.COMPLAINT
    resolved: dt.date | None = None
    resolution: str = ""
    satisfied: bool | None = None


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _ticket_state(t: Ticket) -> str:
    if t.satisfied is not None:
        return ServiceRequest.Status.CLOSED
    if t.resolved is not None or t.resolution:
        return ServiceRequest.Status.RESOLVED
    return ServiceRequest.Status.OPEN


def import_tickets(
    tickets: list[Ticket], *, dry_run: bool = False
) -> tuple[dict[str, int], list[tuple[int, str, str, str]]]:
    """Insert or update requests by ticket number. A ticket whose number an account manager already
    gave a request logged here updates that request — one complaint, one record, counted once by
    the month run. A ticket never moves to another customer, and a state never goes back (a
    closed request stays closed). Returns the counts and the refused rows (line, column, value,
    reason). New tickets are written in bulk: a file of thousands costs a few queries per batch."""
    refused: list[tuple[int, str, str, str]] = []
    existing = {
        r.external_ref: r
        for r in ServiceRequest.objects.filter(external_ref__in=[t.ticket for t in tickets]).select_related("customer")
    }
    customers = {
        c.code: c for c in Customer.objects.filter(code__in={t.customer_code for t in tickets}).select_related("region")
    }
    routing = Routing.load()
    book = TierBook.of(c.pk for c in customers.values())
    order: list[str] = [ServiceRequest.Status.OPEN, ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED]
    new: list[ServiceRequest] = []
    changed: list[ServiceRequest] = []
    unchanged = 0
    seen: set[str] = set()
    for t in tickets:
        if t.ticket in seen:
            refused.append((t.line, "工单号", t.ticket, _("同一文件中工单号重复，只导入第一行。")))
            continue
        seen.add(t.ticket)
        customer = customers[t.customer_code]
        if t.resolved is not None and t.resolved < t.created:
            refused.append((t.line, "办结日期", t.resolved.isoformat(), _("办结日期不能早于受理日期。")))
            continue
        state = _ticket_state(t)
        done = _at(t.resolved or t.created)
        found = existing.get(t.ticket)
        if found is not None:
            if found.customer_id != customer.pk:
                refused.append(
                    (
                        t.line,
                        "客户编码",
                        t.customer_code,
                        _("该工单已登记在客户 %(c)s 名下。") % {"c": found.customer.code},
                    )
                )
                continue
            before = (found.status, found.resolution)
            if order.index(state) > order.index(found.status):
                found.status = state
                found.resolved_at = found.resolved_at or done
                if state == ServiceRequest.Status.CLOSED:
                    found.satisfied, found.closed_at = t.satisfied, done
            if t.resolution and not found.resolution:
                found.resolution = t.resolution
            if (found.status, found.resolution) == before:
                unchanged += 1
            else:
                changed.append(found)
            continue
        try:
            department = routing.department(t.request_type, customer)
        except ValidationError as err:
            refused.append((t.line, "类型", t.request_type, "；".join(err.messages)))
            continue
        created = _at(t.created)
        tier = book.tier_on(customer.pk, customer.tier, t.created)
        due_at, escalate_at = routing.terms(t.request_type, ServiceRequest.Priority.NORMAL, created, tier)
        new.append(
            ServiceRequest(
                customer=customer,
                request_type=t.request_type,
                title=t.title,
                department=department,
                status=state,
                created_at=created,
                due_at=due_at,
                tier=tier,
                escalate_at=escalate_at,
                resolution=t.resolution,
                resolved_at=done if state != ServiceRequest.Status.OPEN else None,
                satisfied=t.satisfied,
                closed_at=done if state == ServiceRequest.Status.CLOSED else None,
                source=ServiceRequest.Source.IMPORT,
                external_ref=t.ticket,
            )
        )
    if not dry_run:
        with transaction.atomic():
            ServiceRequest.objects.bulk_create(new, batch_size=1000)
            ServiceRequest.objects.bulk_update(
                changed, ["status", "resolution", "resolved_at", "satisfied", "closed_at"], batch_size=1000
            )
            RequestEvent.objects.bulk_create(
                [
                    RequestEvent(request=r, kind=RequestEvent.Kind.IMPORTED, at=r.created_at, note=r.external_ref or "")
                    for r in new
                ]
                + [
                    RequestEvent(request=r, kind=RequestEvent.Kind.IMPORTED, note=r.external_ref or "") for r in changed
                ],
                batch_size=1000,
            )
            closed = ServiceRequest.Status.CLOSED
            Survey.objects.bulk_create(
                [_survey_row(r) for r in new if r.status == closed and r.satisfied is not None], batch_size=1000
            )
            for r in changed:
                if r.status == closed and r.satisfied is not None:
                    _survey_of(r)
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged}, refused


def _survey_fields(request: ServiceRequest, score: int | None, by: User | None) -> dict[str, object]:
    return {
        "customer_id": request.customer_id,
        "key_person_id": request.key_person_id,
        "kind": Survey.Kind.REQUEST,
        "date": timezone.localdate(request.closed_at or timezone.now()),
        "satisfied": request.satisfied,
        "score": score,
        "note": request.feedback,
        "created_by": by,
    }


def _survey_row(request: ServiceRequest) -> Survey:
    return Survey(request=request, **_survey_fields(request, None, None))  # type: ignore[arg-type]  # the survey fields are the model's own keyword arguments


def _survey_of(request: ServiceRequest, *, score: int | None = None, by: User | None = None) -> None:
    """The closing feedback of a request as its survey answer "after a request" (one per request)."""
    assert request.satisfied is not None
    Survey.objects.update_or_create(request=request, defaults=_survey_fields(request, score, by))
