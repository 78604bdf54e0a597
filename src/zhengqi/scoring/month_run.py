"""The month run as the web app sees it: the run record and the write-back of results
(snapshots, tier moves, alerts) to the web database."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import traceback
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.qualification import check_after_month_run
from zhengqi.customers.registrations import GROUP_PROOF_CODE, registration_proofs
from zhengqi.customers.versions import data_changed
from zhengqi.db import insert_rows, insert_table, refresh_statistics
from zhengqi.engine.churn import registry as churn_registry
from zhengqi.engine.churn.bundle import ROLL_UP
from zhengqi.engine.json_rows import json_rows
from zhengqi.engine.lake import Backend, Lake
from zhengqi.engine.pipeline import MonthResult, run_month
from zhengqi.engine.rules.builtin import RuleSpec
from zhengqi.engine.rules.language import parse
from zhengqi.engine.staging.months import month_idx, month_of
from zhengqi.engine.value.tiers import VIP_TIERS
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import Note, notify_each
from zhengqi.support.tiers import record_tier_moves

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
        counts["unqualified_customers"] = check_after_month_run(month)  # 任职资格, re-checked
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


NOT_FEATURES = ("customer_code", "month_idx")


class ByCustomer(Mapping[str, "Row"]):
    """A result table's rows by customer code, read by column: ``rows[code].get(name)`` converts
    only the columns asked for (every value of a province's features as Python objects took over a
    second of the write-back)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.index = {str(code): i for i, code in enumerate(table.column("customer_code").to_pylist())}
        self.columns: dict[str, list[Any] | None] = {}

    def column(self, name: str) -> list[Any] | None:
        if name not in self.columns:
            found = name in self.table.column_names
            self.columns[name] = self.table.column(name).to_pylist() if found else None
        return self.columns[name]

    def __getitem__(self, code: str) -> Row:
        return Row(self, self.index[code])

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


class Row(Mapping[str, Any]):
    """One customer's row of a :class:`ByCustomer` table."""

    __slots__ = ("at", "rows")

    def __init__(self, rows: ByCustomer, at: int) -> None:
        self.rows, self.at = rows, at

    def __getitem__(self, name: str) -> Any:
        column = self.rows.column(name)
        if column is None:
            raise KeyError(name)
        return column[self.at]

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows.table.column_names)

    def __len__(self) -> int:
        return self.rows.table.num_columns


SNAPSHOT_COLUMNS = (
    "customer_id",
    "month",
    "value_score",
    "tier",
    "tier_prev",
    "tier_reason",
    "axis_revenue",
    "axis_new_business",
    "potential_score",
    "retention_flag",
    "breakdown",
    "features",
    "churn_risk",
    "churn_band",
    "churn_reasons",
)
ZERO = Decimal(0)
CENTS = pa.decimal128(18, 2)


def _json_ready(table: pa.Table) -> pa.Table:
    """The features with every number a JSON number: columns other than integers, floats, text and
    booleans (decimals) as floats, so that rows go to the snapshot's JSON as they are read."""
    plain = (pa.types.is_integer, pa.types.is_floating, pa.types.is_string, pa.types.is_boolean)
    for i, column in enumerate(table.schema):
        if not any(test(column.type) for test in plain):
            table = table.set_column(i, column.name, table.column(i).cast(pa.float64()))
    return table


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(round(float(value), 2)))


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | bool) else float(value)


@transaction.atomic
def write_back(result: MonthResult, *, rules: list[RuleSpec]) -> dict[str, int]:
    """Replace the month's snapshots and tier moves; move alerts on by one month. Re-running the
    same month gives the same rows (nothing duplicated)."""
    assert result.features is not None and result.value is not None and result.hits is not None
    month = result.month
    ids = dict(Customer.objects.values_list("code", "pk"))
    table = _json_ready(result.features)
    features = ByCustomer(table)
    value_rows = result.value.to_pylist()
    churn = {row["customer_code"]: row for row in result.churn.to_pylist()} if result.churn is not None else {}
    # Churn is the risk of losing a customer in service: prospects and customers already lost get no
    # score (they filled the report's top-risk list and showed a banner their alert contradicted).
    status = features.column("status") or []
    churn = {code: row for code, row in churn.items() if code in features and status[features.index[code]] == "active"}
    # Each customer's features as JSON, the members' roll-up of those with a churn score beside them.
    codes = table.column("customer_code").to_pylist()
    with_roll_up = table.drop_columns([name for name in ROLL_UP if name in table.column_names])
    for name in ROLL_UP:
        with_roll_up = with_roll_up.append_column(
            name, pa.array([_jsonable(churn[c][name]) if c in churn else None for c in codes], pa.float64())
        )
    texts = json_rows(with_roll_up, key="customer_code", leave_out=NOT_FEATURES, only_if_set=ROLL_UP)

    CustomerSnapshot.objects.filter(month=month).delete()
    TierChange.objects.filter(month=month).delete()
    # Rows of values, not model instances: a province writes 40,000 snapshots of ~100 columns a
    # month. Built a column at a time: numbers are converted by Arrow, not value by value in Python.
    snapshots = _snapshot_table(result.value, features, texts, churn, ids, month)
    changes = [
        TierChange(
            customer_id=ids[row["customer_code"]],
            month=month,
            from_tier=row["tier_prev"],
            to_tier=row["tier"],
            value_score=_dec(row["value_score"]),
        )
        for row in value_rows
        if row["customer_code"] in ids and row["tier"] and row["tier_prev"] and row["tier"] != row["tier_prev"]
    ]
    # The values that made each rule fire: the features its expression reads. Worked out while the
    # database stores the snapshots (no query in it).
    reads = {r.code: parse(r.expression).features for r in rules}
    value_by_code = {row["customer_code"]: row for row in value_rows}
    hits: list[tuple[str, str, str, str, dict[str, Any]]] = []
    churn_hits: list[tuple[str, str, str, str, dict[str, Any]]] = []

    rule_hits = result.hits

    def gather_hits() -> None:
        empty: dict[str, Any] = {}
        for h in rule_hits.to_pylist():
            code = h["customer_code"]
            measured, scored = features[code], value_by_code.get(code, empty)  # the score's names first
            evidence = {
                name: _jsonable(scored[name] if name in scored else measured.get(name))
                for name in reads.get(h["rule_code"], [])
            }
            hits.append((code, h["rule_code"], h["family"], h["severity"], evidence))
        for row in value_rows:
            if row["downgrade"] and row["tier_prev"] in VIP_TIERS:
                evidence = {"tier_prev": row["tier_prev"], "tier": row["tier"], "value_score": row["value_score"]}
                hits.append((row["customer_code"], DOWNGRADE_CODE, "retain", "high", evidence))
        churn_hits.extend(_churn_hits(churn, value_by_code))
        hits.extend(churn_hits)

    insert_table(CustomerSnapshot, snapshots, meanwhile=gather_hits)
    insert_rows(TierChange, changes)

    # The latest month run decides the customer's current tier and score.
    latest = CustomerSnapshot.objects.order_by("-month").values_list("month", flat=True).first()
    if latest == month:
        # A tier that moves changes the customer's service entitlements from tomorrow (分层服务).
        moves = (
            CustomerSnapshot.objects.filter(month=month)
            .exclude(tier=F("customer__tier"))
            .values_list("customer_id", "customer__tier", "tier")
        )
        record_tier_moves(moves.iterator(chunk_size=2000))
        _customers_take_snapshot(month)
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
    # The customers' statistics are left to autovacuum: only their tier and score moved, by a few
    # per cent of rows a month, which changes no plan (analysing them took 0.2 s of each run).
    refresh_statistics(CustomerSnapshot, TierChange, Alert)
    return {
        "snapshots": snapshots.num_rows,
        "tier_changes": len(changes),
        "hits": len(hits) - len(churn_hits),
        "churn_hits": len(churn_hits),
        "alerts_opened": opened,
    }


def _snapshot_table(
    value: pa.Table,
    features: ByCustomer,
    texts: dict[str, str],
    churn: dict[str, dict[str, Any]],
    ids: dict[str, int],
    month: dt.date,
) -> pa.Table:
    """The month's snapshot rows as an Arrow table with the columns ``SNAPSHOT_COLUMNS``,
    ``MONEY_MEASURES`` and ``COUNT_MEASURES`` (JSON as text), of the scored customers the database
    knows: numbers stay in Arrow, not a Python object each, down to the database's COPY."""
    codes = [str(c) for c in value.column("customer_code").to_pylist()]
    keep = pa.array([c in ids for c in codes])
    value = value.filter(keep)
    codes = [c for c in codes if c in ids]
    rows = len(codes)
    # The features' rows in the order of the scores' rows.
    measured = features.table.take(pa.array([features.index[c] for c in codes], pa.int64()))

    def money(column: pa.ChunkedArray | None, *, zero: bool = False) -> pa.Array | pa.ChunkedArray:
        """Yuan as decimals to the cent (Arrow rounds as ``round(x, 2)`` does), 0 for none with ``zero``."""
        if column is None:
            return pa.array([ZERO if zero else None] * rows, CENTS)
        if zero:
            column = pc.fill_null(column, 0)
        return pc.cast(pc.cast(column, pa.float64()), CENTS, safe=False)

    def count(name: str) -> pa.Array | pa.ChunkedArray:
        if name not in measured.column_names:
            return pa.array([0] * rows, pa.int64())
        return pc.cast(pc.fill_null(measured.column(name), 0), pa.int64(), safe=False)

    def text(name: str) -> pa.ChunkedArray:
        return pc.fill_null(pc.cast(value.column(name), pa.string()), "")

    factors = [c for c in value.column_names if c.startswith("f_")]
    factor_values = [value.column(c).to_pylist() for c in factors]
    names = [c.removeprefix("f_") for c in factors]
    breakdown = (
        [
            json.dumps({n: v for n, v in zip(names, row, strict=True) if v is not None}, ensure_ascii=False)
            for row in zip(*factor_values, strict=True)
        ]
        if factors
        else ["{}"] * rows
    )
    risks = [churn.get(c) for c in codes]
    columns: dict[str, Any] = {
        "customer_id": pa.array([ids[c] for c in codes], pa.int64()),
        "month": pa.array([month] * rows, pa.date32()),
        "value_score": money(value.column("value_score")),
        "tier": text("tier"),
        "tier_prev": text("tier_prev"),
        "tier_reason": text("tier_reason"),
        "axis_revenue": money(value.column("axis_revenue")),
        "axis_new_business": money(value.column("axis_new_business")),
        "potential_score": money(value.column("potential_score")),
        "retention_flag": pc.fill_null(pc.cast(value.column("retention_flag"), pa.bool_()), False),
        "breakdown": pa.array(breakdown, pa.string()),
        "features": pa.array([texts[c] for c in codes], pa.string()),
        "churn_risk": pa.array([None if r is None else r["churn_risk"] for r in risks], pa.float64()),
        "churn_band": pa.array(["" if r is None else r["churn_band"] or "" for r in risks], pa.string()),
        "churn_reasons": pa.array(
            ["[]" if r is None else json.dumps(list(r["reasons"] or []), ensure_ascii=False) for r in risks],
            pa.string(),
        ),
    }
    for name in MONEY_MEASURES:
        columns[name] = money(measured.column(name) if name in measured.column_names else None, zero=True)
    for name in COUNT_MEASURES:
        columns[name] = count(name)
    assert tuple(columns) == (*SNAPSHOT_COLUMNS, *MONEY_MEASURES, *COUNT_MEASURES)
    return pa.table(columns)


def _customers_take_snapshot(month: dt.date) -> None:
    """Each customer's current tier and value score from its snapshot of ``month``, as one set-based
    UPDATE … FROM (a hash join; PostgreSQL and SQLite ≥ 3.33), of the customers whose tier or score
    moved (a row-by-row ``bulk_update`` of tens of thousands was the slowest part of a province's
    write-back, and a correlated subquery per column the next slowest)."""
    q = connection.ops.quote_name
    customers, snapshots = q(Customer._meta.db_table), q(CustomerSnapshot._meta.db_table)

    def moved(a: str, b: str) -> str:  # null-safe "differs", in SQL both databases speak
        return f"({a} <> {b} OR ({a} IS NULL) <> ({b} IS NULL))"

    c_tier, c_score = f"{customers}.{q('tier')}", f"{customers}.{q('value_score')}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {customers} SET {q('tier')} = s.{q('tier')}, {q('value_score')} = s.{q('value_score')} "  # noqa: S608  # nosec B608  # names quoted by Django, the month a parameter
            f"FROM {snapshots} AS s WHERE s.{q('customer_id')} = {customers}.{q('id')} AND s.{q('month')} = %s "
            f"AND ({moved(c_tier, 's.' + q('tier'))} OR {moved(c_score, 's.' + q('value_score'))})",
            [month],
        )


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
    # Worked out in memory and written as the difference: the alerts the run touches, each as it
    # stood after ``prev`` (a later month's last or resolved month undone), then as it stands after
    # this month. A re-run of a month writes next to nothing; a first run moves the continuing
    # alerts on in a few set-based UPDATEs (undoing and redoing every alert in the database took
    # most of a province's re-run).
    OPEN, RESOLVED = Alert.Status.OPEN, Alert.Status.RESOLVED
    rows = ours.filter(Q(status=OPEN) | Q(last_month__gte=month) | Q(resolved_month__gte=month)).values_list(
        "pk", "customer_id", "rule_code", "first_month", "last_month", "status", "resolved_month"
    )
    now: dict[int, tuple[dt.date, str, dt.date | None]] = {}  # as stored
    after: dict[int, tuple[dt.date, str, dt.date | None]] = {}  # as this run leaves it
    open_before: list[tuple[dt.date, dt.date, int, tuple[int, str]]] = []
    for pk, customer_id, rule_code, first, last, status, resolved in rows.order_by().iterator(chunk_size=5000):
        now[pk] = (last, status, resolved)
        undone_last = prev if last >= month else last
        undone = (
            (undone_last, OPEN, None) if resolved is not None and resolved >= month else (undone_last, status, resolved)
        )
        after[pk] = undone
        if undone[1] == OPEN:
            open_before.append((undone_last, first, pk, (customer_id, rule_code)))
    continuing: dict[tuple[int, str], int] = {}
    # The latest episode of a rule continues; two open for one rule (left by earlier versions): the
    # older is resolved.
    for last, _first, pk, key in sorted(open_before, key=lambda a: (a[0], a[1]), reverse=True):
        if key in continuing:
            after[pk] = (last, RESOLVED, month)
        else:
            continuing[key] = pk
    fired: set[tuple[int, str]] = set()
    new: list[tuple[Any, ...]] = []  # rows of NEW_ALERT_COLUMNS
    for code, rule_code, family, severity, evidence in hits:
        key = (ids[code], rule_code)
        fired.add(key)
        going_on = continuing.get(key)
        if going_on is not None:
            after[going_on] = (month, OPEN, None)  # still firing: the same alert; current values are in the snapshot
        else:
            new.append((key[0], rule_code, names.get(rule_code, rule_code), family, severity, month, month, evidence))
    for key, pk in continuing.items():
        if key not in fired:
            after[pk] = (after[pk][0], RESOLVED, month)
    changed: dict[tuple[dt.date, str, dt.date | None], list[int]] = {}
    for pk, state in after.items():
        if now[pk] != state:
            changed.setdefault(state, []).append(pk)
    for (last, status, resolved), pks in changed.items():
        for start in range(0, len(pks), 5000):
            Alert.objects.filter(pk__in=pks[start : start + 5000]).update(
                last_month=last, status=status, resolved_month=resolved
            )
    columns: list[tuple[Any, ...]] = list(zip(*new, strict=True)) if new else [() for _c in NEW_ALERT_COLUMNS]
    types = (pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(), pa.date32(), pa.date32())
    arrays = [pa.array(values, kind) for values, kind in zip(columns[:-1], types, strict=True)]
    arrays.append(pa.array([json.dumps(e, ensure_ascii=False) for e in columns[-1]], pa.string()))
    insert_table(Alert, pa.table(dict(zip(NEW_ALERT_COLUMNS, arrays, strict=True))))
    return len(new)


NEW_ALERT_COLUMNS = (
    "customer_id",
    "rule_code",
    "rule_name",
    "family",
    "severity",
    "first_month",
    "last_month",
    "evidence",
)


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
