"""Commission rules and the monthly settlement: load the facts, compute each partner's month with
:mod:`zhengqi.partners.commission`, write draft statements, approve (freeze) them, and carry later
corrections of an approved month into the next statement as adjustments.

A draft is recomputed from the facts every time the month is settled. An approved statement never
changes: when settling a later month, each approved month is recomputed from today's rules and
facts and compared, deal by deal and rule by rule, with what was approved plus the adjustments
already approved for it; the difference is an adjustment line of the month being settled.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope, manages_region, sees_whole_province
from zhengqi.accounts.models import User
from zhengqi.customers.models import Product
from zhengqi.engine.months import add_months, month_start
from zhengqi.marketing.models import WON_STAGES
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import Note, deciders_over, notify, notify_each

from . import commission as engine
from .models import Attribution, CommissionRule, Partner, Role, Statement, StatementLine
from .partners import partner_of, partners_visible_to

Progress = Callable[[int, int], None]


def lookback_months() -> int:
    return int(getattr(settings, "ZHENGQI_SETTLEMENT_LOOKBACK_MONTHS", 12))


# --- rules --------------------------------------------------------------------------------------------


def rule_book() -> engine.Book:
    return engine.Book([_as_rule(r) for r in CommissionRule.objects.all()])


def _as_rule(r: CommissionRule) -> engine.Rule:
    tiers = tuple(
        sorted((engine.Tier(int(t["start"]), Decimal(str(t["value"]))) for t in r.tiers or []), key=lambda t: t.start)
    )
    return engine.Rule(
        id=r.pk,
        code=r.code,
        version=r.version,
        effective_from=r.effective_from,
        role=r.role,
        deal_type=r.deal_type,
        product_id=r.product_id,
        method=r.method,  # type: ignore[arg-type]  # the model's choices are exactly the calculation's literals
        value=r.value,
        pay_months=r.pay_months,
        tiers=tiers,
        tier_mode=r.tier_mode,  # type: ignore[arg-type]  # the model's choices are exactly the calculation's literals
        clawback_months=r.clawback_months,
        retired=r.retired,
    )


@dataclass
class RuleInput:
    code: str
    name: str
    effective_from: dt.date | None
    role: str
    method: str
    value: Any
    deal_type: str = CommissionRule.DealType.SUBSCRIPTION
    product_code: str = ""
    pay_months: int | None = None
    tiers: list[dict[str, Any]] | None = None
    tier_mode: str = CommissionRule.TierMode.ALL
    clawback_months: int = 0
    retired: bool = False
    note: str = ""


def _decimal(raw: Any) -> Decimal | None:
    try:
        d = Decimal(str(raw).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() and d >= 0 else None


def rule_save(*, by: User, data: RuleInput) -> CommissionRule:
    """Add a version of a rule (a new code starts at version 1). Rates are written as a fraction
    (0.08) or a percentage ("8%"); a version never replaces an earlier one."""
    if matrix.role_of(by) != "admin":
        raise PermissionDenied(_("只有省公司管理员可以设置酬金规则。"))
    errors: dict[str, str] = {}
    code = data.code.strip().upper()
    if not code or len(code) > 30:
        errors["code"] = _("请填写规则编码（不超过 30 个字符）。")
    if not data.name.strip():
        errors["name"] = _("请填写规则名称。")
    if data.effective_from is None:
        errors["effective_from"] = _("请填写生效月份。")
    if data.role not in Role.values:
        errors["role"] = _("酬金类型应为“销售”或“服务”。")
    if data.deal_type not in CommissionRule.DealType.values:
        errors["deal_type"] = _("业务类型应为“产品订购”“商机签约”或“服务工单”。")
    if data.method not in CommissionRule.Method.values:
        errors["method"] = _("计酬方式应为“按比例”或“固定金额”。")
    if data.deal_type == CommissionRule.DealType.TICKET:
        # A ticket has no fee to take a share of: it is paid by the piece, as service work.
        if data.method != CommissionRule.Method.FIXED:
            errors["method"] = _("服务工单按件计酬，计酬方式只能是“固定金额”。")
        if data.role != Role.SERVICE:
            errors["role"] = _("服务工单只能计服务酬金。")
    if data.tier_mode not in CommissionRule.TierMode.values:
        errors["tier_mode"] = _("阶梯方式不正确。")

    def value_of(raw: Any, where: str) -> Decimal | None:
        v = _decimal(raw)
        if v is None:
            errors[where] = _("“%(v)s”不是有效的比例或金额（应为不小于 0 的数）。") % {"v": raw}
            return None
        if data.method == CommissionRule.Method.RATE:
            if str(raw).strip().endswith("%") or v > 1:
                v = v / 100
            if v > 1:
                errors[where] = _("比例不能超过 100%。")
        return v.quantize(Decimal("0.0001"))

    value = value_of(data.value, "value")
    tiers = []
    for k, t in enumerate(data.tiers or [], start=1):
        try:
            start = int(t.get("start", 0))
        except (TypeError, ValueError):
            start = 0
        if start < 1:
            errors["tiers"] = _("第 %(k)d 档的起点应为不小于 1 的整数。") % {"k": k}
            continue
        v = value_of(t.get("value"), "tiers")
        if v is not None:
            tiers.append({"start": start, "value": str(v)})
    if len({t["start"] for t in tiers}) != len(tiers):
        errors["tiers"] = _("阶梯的起点不能重复。")
    product = None
    if data.product_code:
        product = Product.objects.filter(code=data.product_code).first()
        if product is None:
            errors["product"] = _("产品“%(code)s”不存在。") % {"code": data.product_code}
    if data.pay_months is not None and data.pay_months < 1:
        errors["pay_months"] = _("计酬月数应不小于 1，或留空表示在网期间每月。")
    if data.clawback_months < 0:
        errors["clawback_months"] = _("追回期不能为负数。")
    if errors:
        raise ValidationError(errors)
    assert data.effective_from is not None and value is not None
    with transaction.atomic():
        last = CommissionRule.objects.select_for_update().filter(code=code).order_by("-version").first()
        return CommissionRule.objects.create(
            code=code,
            version=(last.version + 1) if last else 1,
            name=data.name.strip(),
            effective_from=month_start(data.effective_from),
            role=data.role,
            deal_type=data.deal_type,
            product=product,
            method=data.method,
            value=value,
            pay_months=data.pay_months,
            tiers=sorted(tiers, key=lambda t: t["start"]),
            tier_mode=data.tier_mode,
            clawback_months=data.clawback_months,
            retired=data.retired,
            note=data.note.strip()[:200],
            created_by=by if by.pk else None,
        )


def rules_current(month: dt.date | None = None) -> list[CommissionRule]:
    """The version of each rule in force in ``month`` (this month by default), retired left out."""
    book = rule_book()
    ids = [r.id for r in book.in_force(month_start(month or timezone.localdate()))]
    return list(CommissionRule.objects.filter(pk__in=ids).select_related("product").order_by("code"))


# --- facts ----------------------------------------------------------------------------------------------


def _deals(partner: Partner) -> list[engine.Deal]:
    """The partner's deals in force, as the commission engine reads them."""
    out = []
    qs = (
        Attribution.objects.filter(partner=partner, status=Attribution.Status.CONFIRMED)
        .select_related("customer", "subscription__product", "opportunity", "service_request")
        .prefetch_related("opportunity__products")
    )
    for a in qs:
        ticket = a.service_request
        if ticket is not None and ticket.status != ticket.Status.OPEN:
            # Paid by the piece in the month the work was done (reopened: not until done again).
            done = timezone.localdate(ticket.resolved_at) if ticket.resolved_at else None
            if done is not None:
                out.append(
                    engine.Deal(
                        attribution_id=a.pk,
                        role=a.role,
                        deal_type="ticket",
                        product_ids=frozenset(),
                        start=done,
                        end=None,
                        base=Decimal(0),
                        label=a.deal_label,
                    )
                )
            continue
        if a.subscription is not None:
            sub = a.subscription
            out.append(
                engine.Deal(
                    attribution_id=a.pk,
                    role=a.role,
                    deal_type="subscription",
                    product_ids=frozenset({sub.product_id}),
                    start=sub.start,
                    end=sub.end,
                    base=sub.monthly_fee,
                    label=a.deal_label,
                )
            )
        elif a.opportunity is not None and a.opportunity.stage in WON_STAGES:
            opp = a.opportunity
            out.append(
                engine.Deal(
                    attribution_id=a.pk,
                    role=a.role,
                    deal_type="opportunity",
                    product_ids=frozenset(p.pk for p in opp.products.all()),
                    start=opp.close_date,
                    end=None,
                    base=opp.expected_revenue,
                    label=a.deal_label,
                )
            )
    return out


def _engine_partner(p: Partner) -> engine.Partner:
    return engine.Partner(id=p.pk, contract_start=p.contract_start, contract_end=p.contract_end)


# --- computing a statement -----------------------------------------------------------------------------


def _key(line: StatementLine) -> tuple[int, str, str]:
    kind = line.adjusts if line.kind == StatementLine.Kind.ADJUSTMENT else line.kind
    return (line.attribution_id or 0, line.rule_code, kind)


def compute(partner: Partner, month: dt.date, *, book: engine.Book | None = None) -> list[StatementLine]:
    """The lines a statement of ``month`` would hold now (not saved): the month's commission and
    clawbacks, and adjustments of approved earlier months whose recomputation differs."""
    month = month_start(month)
    book = book or rule_book()
    deals = _deals(partner)
    labels = {d.attribution_id: d.label for d in deals}
    roles = dict(Attribution.objects.filter(partner=partner).values_list("pk", "role"))
    who = _engine_partner(partner)
    lines = [
        StatementLine(
            kind=line.kind,
            for_month=month,
            attribution_id=line.attribution_id,
            rule_id=line.rule_id,
            rule_code=line.rule_code,
            deal=labels.get(line.attribution_id, "")[:300],
            role=roles.get(line.attribution_id, Role.SALES),
            base=line.base,
            value=line.value,
            volume=line.volume,
            tier_start=line.tier_start,
            amount=line.amount,
            explanation=line.explanation[:500],
        )
        for line in engine.month_lines(who, deals, book, month)
    ]
    lines.extend(_adjustments(partner, month, who, deals, book, roles))
    return lines


def _adjustments(
    partner: Partner,
    month: dt.date,
    who: engine.Partner,
    deals: list[engine.Deal],
    book: engine.Book,
    roles: dict[int, str],
) -> list[StatementLine]:
    approved = list(
        Statement.objects.filter(
            partner=partner,
            status=Statement.Status.APPROVED,
            month__lt=month,
            month__gte=add_months(month, -lookback_months()),
        ).order_by("month")
    )
    if not approved:
        return []
    months = [s.month for s in approved]
    paid: dict[dt.date, dict[tuple[int, str, str], Decimal]] = {m: {} for m in months}
    known: dict[tuple[int, str, str], StatementLine] = {}
    for line in StatementLine.objects.filter(
        Q(statement__in=approved, kind__in=[StatementLine.Kind.COMMISSION, StatementLine.Kind.CLAWBACK])
        | Q(
            statement__partner=partner,
            statement__status=Statement.Status.APPROVED,
            kind=StatementLine.Kind.ADJUSTMENT,
            for_month__in=months,
        )
    ).exclude(statement__month=month):
        by_key = paid[line.for_month]
        by_key[_key(line)] = by_key.get(_key(line), Decimal(0)) + line.amount
        known.setdefault(_key(line), line)
    labels = {d.attribution_id: d.label for d in deals}
    out = []
    for m in months:
        now_lines = engine.month_lines(who, deals, book, m)
        now = engine.totals_by_key(now_lines)
        info = {line.key: line for line in now_lines}
        for key in sorted(set(now) | set(paid[m]), key=lambda k: (k[0], k[1], k[2])):
            diff = now.get(key, Decimal(0)) - paid[m].get(key, Decimal(0))
            if not diff:
                continue
            attribution_id, code, kind = key
            fresh, old = info.get(key), known.get(key)
            rule_id = fresh.rule_id if fresh else (old.rule_id if old else None)
            out.append(
                StatementLine(
                    kind=StatementLine.Kind.ADJUSTMENT,
                    adjusts=kind,
                    for_month=m,
                    attribution_id=attribution_id or None,
                    rule_id=rule_id,
                    rule_code=code,
                    deal=(labels.get(attribution_id) or (old.deal if old else ""))[:300],
                    role=roles.get(attribution_id, Role.SALES),
                    base=paid[m].get(key, Decimal(0)),
                    value=now.get(key, Decimal(0)),
                    amount=diff,
                    explanation=(
                        _("调整 %(m)s %(kind)s：已结算 %(old)s，按现行规则和数据重算为 %(new)s")
                        % {
                            "m": f"{m:%Y-%m}",
                            "kind": StatementLine.Kind(kind).label,
                            "old": f"{paid[m].get(key, Decimal(0)):,.2f}",
                            "new": f"{now.get(key, Decimal(0)):,.2f}",
                        }
                    )[:500],
                )
            )
    return out


@dataclass
class SettleResult:
    month: dt.date
    drafts: int = 0
    frozen: int = 0
    total: Decimal = Decimal(0)


def _settleable(month: dt.date, today: dt.date | None) -> dt.date:
    month = month_start(month)
    if month >= month_start(today or timezone.localdate()):
        raise ValidationError(_("只能结算已经结束的月份（%(m)s 尚未结束）。") % {"m": f"{month:%Y-%m}"})
    return month


def _write(statement: Statement, lines: list[StatementLine]) -> Statement:
    statement.lines.all().delete()
    for line in lines:
        line.statement = statement
    StatementLine.objects.bulk_create(lines)
    statement.total = sum((line.amount for line in lines), Decimal(0))
    statement.computed_at = timezone.now()
    statement.save()
    return statement


def settle(
    month: dt.date,
    *,
    by: User | None = None,
    partners: Iterable[Partner] | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> SettleResult:
    """Compute every partner's statement for ``month``: drafts are (re)written, approved ones are
    left as they are. Safe to run again."""
    if by is not None and matrix.role_of(by) != "admin":
        raise PermissionDenied(_("只有省公司管理员可以运行月度结算。"))
    month = _settleable(month, today)
    book = rule_book()
    todo = list(partners) if partners is not None else list(Partner.objects.order_by("code"))
    result = SettleResult(month=month)
    for k, partner in enumerate(todo, start=1):
        with transaction.atomic():
            existing = Statement.objects.select_for_update().filter(partner=partner, month=month).first()
            if existing is not None and existing.frozen:
                result.frozen += 1
                result.total += existing.total
            else:
                lines = compute(partner, month, book=book)
                if lines or existing is not None:
                    statement = existing or Statement(partner=partner, month=month, computed_at=timezone.now())
                    if statement.pk is None:
                        statement.save()
                    _write(statement, lines)
                    result.drafts += 1
                    result.total += statement.total
        if progress:
            progress(k, len(todo))
    _drafts_waiting(month)
    return result


def _drafts_waiting(month: dt.date) -> None:
    """Tell the managers who approve them how many of the month's statements wait (once a month)."""
    waiting: Counter[int] = Counter()
    for statement in Statement.objects.filter(month=month, status=Statement.Status.DRAFT).select_related(
        "partner__region"
    ):
        for manager in deciders_over(statement.partner.region):
            waiting[manager] += 1
    notify_each(
        Kind.APPROVAL_WAITING,
        [
            Note(
                manager,
                _("%(month)s 有 %(n)d 张代理商结算单待审批") % {"month": f"{month:%Y-%m}", "n": n},
                link=reverse("partners:settlement"),
                key=f"statements-waiting:{month:%Y-%m}",
            )
            for manager, n in waiting.items()
        ],
    )


# --- who sees and approves statements ------------------------------------------------------------------


def statements_visible_to(user: User) -> QuerySet[Statement]:
    """A partner's login sees its own statements; managers and the admin those of the partners
    they see; nobody else any."""
    role = matrix.role_of(user)
    if role not in matrix.MANAGERS and role != "partner":
        return Statement.objects.none()
    return Statement.objects.filter(partner__in=partners_visible_to(user)).select_related("partner", "approved_by")


def statement_get(*, user: User, pk: int) -> Statement:
    found = statements_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("结算单不存在或无权查看。"))
    return found


def may_approve(user: User, partner: Partner) -> bool:
    return manages_region(user, partner.region)


def _total(raw: Any) -> Decimal | None:
    try:
        d = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


class StatementChanged(ValidationError):
    """The draft was recomputed on approval and came out different: look again, then approve."""


def approve(*, by: User, pk: int, expected_total: Decimal | str | None = None) -> Statement:
    """Freeze a draft statement. It is recomputed first; if that changes its total from what the
    approver saw (``expected_total``), the new draft is kept and the approval refused."""
    statement = statement_get(user=by, pk=pk)
    if not may_approve(by, statement.partner):
        raise PermissionDenied(
            _("代理商“%(p)s”的结算单由%(r)s的区域经理或省公司管理员审批。")
            % {"p": statement.partner, "r": statement.partner.region}
        )
    changed: tuple[Decimal, Decimal] | None = None
    with transaction.atomic():
        statement = Statement.objects.select_for_update().select_related("partner__region").get(pk=statement.pk)
        if statement.frozen:
            raise ValidationError(_("该结算单已审批，不能重复审批。"))
        earlier = Statement.objects.filter(
            partner=statement.partner, month__lt=statement.month, status=Statement.Status.DRAFT
        ).order_by("month")
        if earlier.exists():
            raise ValidationError(
                _("请先审批该代理商 %(m)s 的结算单：结算单须按月份顺序审批。") % {"m": f"{earlier[0].month:%Y-%m}"}
            )
        before = statement.total
        _write(statement, compute(statement.partner, statement.month))
        seen = _total(expected_total) if expected_total is not None else before
        if seen is None or statement.total != seen:
            changed = (seen or Decimal(0), statement.total)  # the recomputed draft is kept
        else:
            statement.status = Statement.Status.APPROVED
            statement.approved_by, statement.approved_at = by, timezone.now()
            statement.save(update_fields=["status", "approved_by", "approved_at"])
            notify(
                statement.partner.accounts.values_list("user_id", flat=True),
                Kind.STATEMENT,
                _("%(month)s 结算单已审批：应付 %(total)s 元")
                % {"month": f"{statement.month:%Y-%m}", "total": f"{statement.total:,.2f}"},
                link=reverse("partners:statement", args=[statement.pk]),
                key=f"statement-approved:{statement.pk}",
            )
    if changed is not None:
        raise StatementChanged(
            _("结算单已按最新的规则和数据重新计算，合计由 %(a)s 变为 %(b)s，请核对后再审批。")
            % {"a": f"{changed[0]:,.2f}", "b": f"{changed[1]:,.2f}"}
        )
    return statement


def performance(partner: Partner, *, months: int = 12, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per month: new deals in force, and the statement's total (if settled)."""
    end = month_start(today or timezone.localdate())
    start = add_months(end, -(months - 1))
    totals = {
        s.month: (s.total, s.status)
        for s in Statement.objects.filter(partner=partner, month__gte=start, month__lte=end)
    }
    deals = _deals(partner)
    out = []
    m = start
    while m <= end:
        new = sum(1 for d in deals if month_start(d.start) == m)
        total, status = totals.get(m, (None, ""))
        out.append({"month": m, "new_deals": new, "total": total, "status": status})
        m = add_months(m, 1)
    return out


def own_partner(user: User) -> Partner:
    """The partner of a partner's login (404 for a login not linked to one)."""
    partner = partner_of(user)
    if partner is None:
        raise Http404(_("该账号尚未关联代理商，请联系省公司管理员。"))
    return partner


def statement_lines(statement: Statement, *, user: User) -> QuerySet[StatementLine]:
    """The lines of a statement the user may read, in the order the page, the API and the files show
    them: all of them for the province and for the partner's own login; for regional staff only the
    lines of customers in their scope (a province-wide partner's statement also holds other regions'
    customers, who answer 404 to them everywhere else)."""
    qs = statement.lines.select_related("rule", "attribution").order_by("for_month", "kind", "pk")
    if sees_whole_province(user) or matrix.role_of(user) == "partner":
        return qs
    return qs.filter(customer_scope(user, prefix="attribution__customer__"))


def lines_outside_scope(statement: Statement, *, user: User) -> int:
    """How many of the statement's lines the user does not see (said on the page and in the files)."""
    return statement.lines.count() - statement_lines(statement, user=user).count()


def rule_history(*, code: str = "") -> QuerySet[CommissionRule]:
    """Every version of the commission rules (or of one), newest version first within a code."""
    qs = CommissionRule.objects.select_related("product", "created_by").order_by("code", "-version")
    return qs.filter(code=code.upper()) if code else qs
