"""The month run as the web app sees it: the run record and the write-back of results
(snapshots, tier moves, alerts) to the web database."""

from __future__ import annotations

import datetime as dt
import os
import socket
import traceback
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.registrations import GROUP_PROOF_CODE, registration_proofs
from zhengqi.customers.versions import data_changed
from zhengqi.db import refresh_statistics
from zhengqi.engine.churn import registry as churn_registry
from zhengqi.engine.churn.bundle import ROLL_UP
from zhengqi.engine.lake import Backend, Lake
from zhengqi.engine.pipeline import MonthResult, run_month
from zhengqi.engine.rules.builtin import RuleSpec
from zhengqi.engine.rules.language import parse
from zhengqi.engine.staging.months import month_idx, month_of
from zhengqi.engine.value.tiers import VIP_TIERS
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import Note, notify_each

from .churn_registry import visit_capacity
from .configuration import active_value_model, enabled_rules, ensure_default_value_model
from .export import export_dimensions
from .models import (
    CHURN_CODE,
    COMPETITOR_CODE,
    COUNT_MEASURES,
    MONEY_MEASURES,
    Alert,
    CustomerSnapshot,
    MonthRun,
    TierChange,
)
from .segments import segments_refresh
from .signals import announce_alerts

DOWNGRADE_CODE = "TIER_DOWN"


STEPS = ("export", "features", "value", "hits", "churn", "write_back")


def month_run_enqueue(*, month: dt.date, by: User | None, backend: Backend = "duckdb") -> MonthRun:
    """Queue a month run for the background worker (``zhengqi db_worker``); the record shows its
    progress step by step."""
    _may_run(by)
    from .jobs import month_run_task

    mark_abandoned_runs()
    record = MonthRun.objects.create(
        month=month.replace(day=1), backend=backend, started_by=by, status=MonthRun.Status.QUEUED
    )
    month_run_task.enqueue(record.pk)  # the record is committed already (views run in autocommit)
    record.refresh_from_db()  # an immediate backend (tests) has run it by now
    return record


def this_worker() -> str:
    """The process running a month run, as ``host:pid``: how a later look tells a run whose process
    is gone (killed, the machine restarted) from one still at work."""
    return f"{socket.gethostname()}:{os.getpid()}"


def mark_abandoned_runs() -> int:
    """Mark as failed every run still "running" whose process is gone (``MonthRun.abandoned``).
    Called before each run and by ``zhengqi run-month``; the runs page shows them as stopped."""
    stale = [run.pk for run in MonthRun.objects.filter(status=MonthRun.Status.RUNNING) if run.abandoned]
    return MonthRun.objects.filter(pk__in=stale, status=MonthRun.Status.RUNNING).update(
        status=MonthRun.Status.FAILED,
        error=_("运行进程已中止（进程被终止或服务器重启），结果未写入。请重新运行该月。"),
        finished_at=timezone.now(),
    )


def _may_run(by: User | None) -> None:
    if by is not None and not (by.is_superuser or by.role == User.Role.PROVINCIAL_ADMIN):
        raise PermissionDenied(_("只有省公司管理员可以启动月度运行。"))


def month_run(
    *,
    month: dt.date,
    by: User | None = None,
    backend: Backend = "duckdb",
    progress: Callable[[str], None] | None = None,
    record: MonthRun | None = None,
) -> MonthRun:
    """Run the month on the engine and write its results back. The run record says how it went.

    Each month builds on the one before (last month's tier, alerts that continue), so when later
    months have already been run they are run again after this one, in order."""
    _may_run(by)
    month = month.replace(day=1)
    mark_abandoned_runs()
    later = sorted(
        set(MonthRun.objects.filter(month__gt=month, status=MonthRun.Status.SUCCEEDED).values_list("month", flat=True))
        | set(CustomerSnapshot.objects.filter(month__gt=month).values_list("month", flat=True).distinct())
    )
    record = _run_one(month=month, by=by, backend=backend, progress=progress, record=record)
    for next_month in later:
        _run_one(month=next_month, by=by, backend=backend, progress=None)
    if later:
        record.counts["rerun_later_months"] = [f"{m:%Y-%m}" for m in later]
        record.save(update_fields=["counts"])
    return record


def _run_one(
    *,
    month: dt.date,
    by: User | None,
    backend: Backend,
    progress: Callable[[str], None] | None,
    record: MonthRun | None = None,
) -> MonthRun:
    ensure_default_value_model()
    model = active_value_model()
    rules = enabled_rules()
    if record is None:
        record = MonthRun(month=month, backend=backend, started_by=by)
    record.status, record.value_model = MonthRun.Status.RUNNING, model.version
    record.rules = {r.code: r.expression for r in rules}
    record.worker, record.heartbeat_at = this_worker(), timezone.now()
    record.save()
    lake = Lake(settings.ZHENGQI_LAKE)

    def step_done(step: str) -> None:
        # The page's progress bar reads this; one small UPDATE per step.
        record.current_step = step
        MonthRun.objects.filter(pk=record.pk).update(current_step=step, heartbeat_at=timezone.now())
        if progress:
            progress(step)

    try:
        dims = export_dimensions(lake)
        step_done("export")
        churn = churn_registry.active(lake)
        _managers, capacity = visit_capacity()
        result = run_month(
            lake, month, model=model, rules=rules, backend=backend, churn=churn,
            churn_capacity=capacity or None,  # no account manager yet: the model's own bands
            progress=step_done,
        )  # fmt: skip
        counts = write_back(result, rules=rules)
        counts.update(announce_alerts(month))  # tasks for the new alerts (connected by the portal)
        counts["segments"] = segments_refresh(month)  # saved segments' members of this month
        counts["important_notified"] = notify_important(month)
        step_done("write_back")
    except BaseException:  # Ctrl-C included: the record must not stay "running"
        record.status = MonthRun.Status.FAILED
        record.error = traceback.format_exc(limit=5)
        record.finished_at = timezone.now()
        record.save()
        data_changed()  # what it wrote before failing
        raise
    record.status = MonthRun.Status.SUCCEEDED
    record.run_id = result.run_id
    record.churn_model = result.churn_model or ""
    record.steps = [{"name": s.name, "seconds": round(s.seconds, 3), "rows": s.rows} for s in result.steps]
    record.counts = {**dims, **counts}
    record.finished_at = timezone.now()
    record.save()
    data_changed()  # every page that shows scores, tiers, alerts or tasks is stale
    return record


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | bool) else float(value)


def _measures(row: dict[str, Any]) -> dict[str, Any]:
    money = {name: _dec(row.get(name)) or Decimal(0) for name in MONEY_MEASURES}
    return {**money, **{name: int(row.get(name) or 0) for name in COUNT_MEASURES}}


@transaction.atomic
def write_back(result: MonthResult, *, rules: list[RuleSpec]) -> dict[str, int]:
    """Replace the month's snapshots and tier moves; move alerts on by one month. Re-running the
    same month gives the same rows (nothing duplicated)."""
    assert result.features is not None and result.value is not None and result.hits is not None
    month = result.month
    ids = dict(Customer.objects.values_list("code", "pk"))
    features = {row["customer_code"]: row for row in result.features.to_pylist()}
    value_rows = result.value.to_pylist()
    churn = {row["customer_code"]: row for row in result.churn.to_pylist()} if result.churn is not None else {}
    # Churn is the risk of losing a customer in service: prospects and customers already lost get no
    # score (they filled the report's top-risk list and showed a banner their alert contradicted).
    churn = {code: row for code, row in churn.items() if (features.get(code) or {}).get("status") == "active"}
    factor_columns = [c for c in result.value.column_names if c.startswith("f_")]

    CustomerSnapshot.objects.filter(month=month).delete()
    TierChange.objects.filter(month=month).delete()
    snapshots, changes = [], []
    for row in value_rows:
        code = row["customer_code"]
        if code not in ids:
            continue
        feats = {k: _jsonable(v) for k, v in features[code].items() if k not in ("customer_code", "month_idx")}
        if code in churn:  # the members' roll-up is read beside the catalogue's features
            feats.update({k: _jsonable(churn[code][k]) for k in ROLL_UP})
        snapshots.append(
            CustomerSnapshot(
                customer_id=ids[code],
                month=month,
                value_score=_dec(row["value_score"]),
                tier=row["tier"] or "",
                tier_prev=row["tier_prev"] or "",
                tier_reason=row["tier_reason"] or "",
                axis_revenue=_dec(row["axis_revenue"]),
                axis_new_business=_dec(row["axis_new_business"]),
                potential_score=_dec(row["potential_score"]),
                retention_flag=bool(row["retention_flag"]),
                breakdown={c.removeprefix("f_"): row[c] for c in factor_columns if row[c] is not None},
                features=feats,
                **_churn_fields(churn.get(code)),
                **_measures(features[code]),
            )
        )
        if row["tier"] and row["tier_prev"] and row["tier"] != row["tier_prev"]:
            changes.append(
                TierChange(
                    customer_id=ids[code],
                    month=month,
                    from_tier=row["tier_prev"],
                    to_tier=row["tier"],
                    value_score=_dec(row["value_score"]),
                )
            )
    CustomerSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    TierChange.objects.bulk_create(changes, batch_size=2000)

    # The latest month run decides the customer's current tier and score.
    latest = CustomerSnapshot.objects.order_by("-month").values_list("month", flat=True).first()
    if latest == month:
        # One set-based UPDATE from the snapshots just written (a row-by-row bulk_update of tens of
        # thousands of customers is the slowest part of a province's write-back).
        # No ordering in the subquery (the model's default would join customers for every row), and
        # fresh statistics, so that PostgreSQL looks each customer up by (customer, month) instead of
        # scanning the month for each of them (seen: 18 s becoming 4 minutes on a province).
        refresh_statistics(CustomerSnapshot)
        snapshot = CustomerSnapshot.objects.filter(customer=OuterRef("pk"), month=month).order_by()
        Customer.objects.filter(snapshots__month=month).update(
            tier=Subquery(snapshot.values("tier")[:1]), value_score=Subquery(snapshot.values("value_score")[:1])
        )

    # The values that made each rule fire: the features its expression reads.
    reads = {r.code: parse(r.expression).features for r in rules}
    value_by_code = {row["customer_code"]: row for row in value_rows}
    hits = []
    for h in result.hits.to_pylist():
        code = h["customer_code"]
        known = {**features[code], **value_by_code.get(code, {})}
        evidence = {name: _jsonable(known.get(name)) for name in reads.get(h["rule_code"], [])}
        hits.append((code, h["rule_code"], h["family"], h["severity"], evidence))
    for row in value_rows:
        if row["downgrade"] and row["tier_prev"] in VIP_TIERS:
            evidence = {"tier_prev": row["tier_prev"], "tier": row["tier"], "value_score": row["value_score"]}
            hits.append((row["customer_code"], DOWNGRADE_CODE, "retain", "high", evidence))
    churn_hits = _churn_hits(churn, value_by_code)
    hits.extend(churn_hits)
    # Registered groups due for proof whose members never arrived (集团客户认定, issue 22).
    for proof in registration_proofs(month, features):
        if not proof.passed:
            hits.append((proof.customer_code, GROUP_PROOF_CODE, "prevent", "medium", proof.evidence))
    names = {
        **{r.code: r.name for r in rules},
        DOWNGRADE_CODE: _("高价值客户降级"),
        CHURN_CODE: _("流失风险（模型预测）"),
        GROUP_PROOF_CODE: _("集团认定未落实"),
    }
    opened = _move_alerts(month, [h for h in hits if h[0] in ids], ids, names)
    refresh_statistics(CustomerSnapshot, TierChange, Alert, Customer)
    return {
        "snapshots": len(snapshots),
        "tier_changes": len(changes),
        "hits": len(hits) - len(churn_hits),
        "churn_hits": len(churn_hits),
        "alerts_opened": opened,
    }


def _churn_fields(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "churn_risk": row["churn_risk"],
        "churn_band": row["churn_band"] or "",
        "churn_reasons": list(row["reasons"] or []),
    }


def _churn_hits(
    churn: dict[str, dict[str, Any]], value_by_code: dict[str, dict[str, Any]]
) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """Customers in the top risk band, and A+/A customers in the medium band or above, raise a
    churn alert carrying the risk and its reasons."""
    hits = []
    for code, row in churn.items():
        tier = (value_by_code.get(code) or {}).get("tier") or ""
        band = row["churn_band"]
        if band == "high" or (band == "medium" and tier in VIP_TIERS):
            evidence = {
                "churn_risk": round(float(row["churn_risk"]), 4),
                "churn_band": band,
                "tier": tier,
                "reasons": list(row["reasons"] or []),
            }
            # The alert's severity is the risk band the customer's page shows: one word for one risk.
            hits.append((code, CHURN_CODE, "retain", band, evidence))
    return hits


def _move_alerts(
    month: dt.date, hits: list[tuple[str, str, str, str, dict[str, Any]]], ids: dict[str, int], names: dict[str, str]
) -> int:
    # The run's alerts as they stood after the last month run before this one: whatever later
    # months (run earlier, out of order) or an earlier run of this month did is undone here, and
    # those months are run again after this one (``month_run``). So any order of runs ends the same
    # as running them in order, and a month skipped in between does not leave an alert open beside
    # its successor. Alerts raised outside the month run (competitor events) are not the run's.
    prev = (
        CustomerSnapshot.objects.filter(month__lt=month).order_by("-month").values_list("month", flat=True).first()
    ) or month_of(month_idx(month) - 1)
    ours = Alert.objects.exclude(rule_code=COMPETITOR_CODE)
    ours.filter(first_month__gte=month).delete()
    ours.filter(last_month__gte=month).update(last_month=prev)
    ours.filter(resolved_month__gte=month).update(status=Alert.Status.OPEN, resolved_month=None)

    continuing: dict[tuple[int, str], Alert] = {}
    duplicates: list[int] = []  # two open for one rule (left by earlier versions): the older resolved
    for a in ours.filter(status=Alert.Status.OPEN).order_by("-last_month", "-first_month"):
        if (a.customer_id, a.rule_code) in continuing:
            duplicates.append(a.pk)
        else:
            continuing[(a.customer_id, a.rule_code)] = a
    Alert.objects.filter(pk__in=duplicates).update(status=Alert.Status.RESOLVED, resolved_month=month)
    fired: set[tuple[int, str]] = set()
    new, moved = [], []
    for code, rule_code, family, severity, evidence in hits:
        key = (ids[code], rule_code)
        fired.add(key)
        alert = continuing.get(key)
        if alert is not None:
            moved.append(alert.pk)  # still firing: the same alert; current values are in the snapshot
        else:
            new.append(
                Alert(
                    customer_id=key[0],
                    rule_code=rule_code,
                    rule_name=names.get(rule_code, rule_code),
                    family=family,
                    severity=severity,
                    first_month=month,
                    last_month=month,
                    evidence=evidence,
                )
            )
    for start in range(0, len(moved), 5000):
        Alert.objects.filter(pk__in=moved[start : start + 5000]).update(last_month=month)
    Alert.objects.bulk_create(new, batch_size=2000)
    stopped = [a.pk for key, a in continuing.items() if key not in fired]
    Alert.objects.filter(pk__in=stopped).update(status=Alert.Status.RESOLVED, resolved_month=month)
    return len(new)


IMPORTANT_TIERS = ("A+", "A")
_RANK = {"A+": 0, "A": 1, "B": 2, "C": 3}


def notify_important(month: dt.date) -> int:
    """Tell each account manager of their A+/A customers that became high churn risk this month, or
    were downgraded from A+/A (once a customer and month: a re-run tells no one again)."""
    month = month.replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    was_high = set(
        CustomerSnapshot.objects.filter(month=previous, churn_band="high").values_list("customer_id", flat=True)
    )
    notes: list[Note] = []
    risky = CustomerSnapshot.objects.filter(
        month=month, tier__in=IMPORTANT_TIERS, churn_band="high", customer__account_manager__isnull=False
    ).values_list("customer_id", "customer__name", "customer__account_manager_id", "tier", "churn_risk")
    for customer_id, name, manager, tier, risk in risky.iterator(chunk_size=2000):
        if customer_id in was_high:
            continue
        notes.append(
            Note(
                manager,
                _("%(tier)s 客户 %(name)s 流失风险升高（%(risk).0f%%）")
                % {"tier": tier, "name": name, "risk": (risk or 0) * 100},
                _("%(month)s 月度评分进入高风险，请尽快拜访。") % {"month": f"{month:%Y-%m}"},
                reverse("customers:detail", args=[customer_id]),
                f"risk:{month:%Y-%m}:{customer_id}",
            )
        )
    down = TierChange.objects.filter(
        month=month, from_tier__in=IMPORTANT_TIERS, customer__account_manager__isnull=False
    ).values_list("customer_id", "customer__name", "customer__account_manager_id", "from_tier", "to_tier")
    for customer_id, name, manager, before, after in down.iterator(chunk_size=2000):
        if _RANK.get(after or "", 9) <= _RANK[before]:
            continue
        notes.append(
            Note(
                manager,
                _("客户 %(name)s 由 %(before)s 降为 %(after)s")
                % {"name": name, "before": before, "after": after or "-"},
                _("%(month)s 月度评分降级，请查看原因并安排维系。") % {"month": f"{month:%Y-%m}"},
                reverse("customers:detail", args=[customer_id]),
                f"downgrade:{month:%Y-%m}:{customer_id}",
            )
        )
    return notify_each(Kind.CUSTOMER_RISK, notes)
