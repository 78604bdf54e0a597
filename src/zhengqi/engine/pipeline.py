"""``run_month``: wire the steps of a month run, nothing else.

features → value (scores, tiers) → rules (hits) → churn (risk and reasons, when a model is
active). Each step's result is computed by the engine (DuckDB or Spark), materialised as Arrow
and written to the lake under one run folder; the month's ``CURRENT`` pointer is switched only
when every step succeeded, so a run that fails half-way leaves the previous results of that
month in force.

Lake layout: ``results/month=YYYY-MM/run=<id>/{features,value,hits,churn}.parquet`` and
``results/month=YYYY-MM/CURRENT`` (the id of the run in force).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from .churn.bundle import ChurnModels
from .churn.bundle import score as churn_score
from .features import monthly
from .lake import Backend, Lake, month_key
from .rules.builtin import RuleSpec
from .rules.language import Rule, parse
from .sources import staged_sources
from .staging.months import month_idx, month_of
from .value.model import ValueModel, score


@dataclass
class StepReport:
    name: str
    seconds: float
    rows: int


@dataclass
class MonthResult:
    month: dt.date
    run_id: str
    backend: str
    steps: list[StepReport] = field(default_factory=list)
    features: pa.Table | None = None
    value: pa.Table | None = None
    hits: pa.Table | None = None
    churn: pa.Table | None = None
    churn_model: str | None = None


def results_dir(lake: Lake, month: dt.date) -> Path:
    return lake.root / "results" / f"month={month_key(month)}"


def current_run(lake: Lake, month: dt.date) -> Path | None:
    pointer = results_dir(lake, month) / "CURRENT"
    if not pointer.exists():
        return None
    return results_dir(lake, month) / f"run={pointer.read_text().strip()}"


def read_result(lake: Lake, month: dt.date, name: str) -> pa.Table | None:
    run = current_run(lake, month)
    if run is None or not (run / f"{name}.parquet").exists():
        return None
    return pq.read_table(run / f"{name}.parquet")


def run_month(
    lake: Lake,
    month: dt.date,
    *,
    model: ValueModel,
    rules: Sequence[RuleSpec],
    backend: Backend = "duckdb",
    churn: ChurnModels | None = None,
    churn_capacity: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> MonthResult:
    """Compute and publish the month's features, scores, tiers and rule hits, and with a churn
    model each customer's churn risk and its reasons."""
    month = month_of(month_idx(month))
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder = results_dir(lake, month) / f"run={run_id}"
    folder.mkdir(parents=True)
    result = MonthResult(month=month, run_id=run_id, backend=backend)
    compiled = [(r, parse(r.expression)) for r in rules]  # refuse a bad rule before any work
    try:
        con = lake.connect(backend)
        src = staged_sources(con)

        def step(name: str, make: Callable[[], ir.Table | pa.Table]) -> pa.Table:
            started = time.perf_counter()
            made = make()
            table = made if isinstance(made, pa.Table) else _materialise(made)
            pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
            result.steps.append(StepReport(name, time.perf_counter() - started, table.num_rows))
            if progress:
                progress(name)
            return table

        result.features = step("features", lambda: monthly.build(src, month))
        # Later steps read the materialised features from the same engine, not the lineage again.
        features = con.read_parquet(str(folder / "features.parquet"), table_name="run_features")
        previous_run = current_run(lake, month_of(month_idx(month) - 1))
        prev_expr = None
        if previous_run is not None and (previous_run / "value.parquet").exists():
            prev_expr = con.read_parquet(str(previous_run / "value.parquet"), table_name="run_previous")
        result.value = step("value", lambda: score(features, model, prev_expr))
        value = con.read_parquet(str(folder / "value.parquet"), table_name="run_value")
        result.hits = step("hits", lambda: _hits(features, value, compiled))
        if churn is not None:
            # Scoring reads the materialised features; member features come from the same engine.
            features_table = result.features
            result.churn = step(
                "churn", lambda: churn_score(churn, con, month, features_table, capacity=churn_capacity)
            )
            result.churn_model = str(churn.meta.get("version", ""))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _publish(lake, month, run_id)
    return result


def _materialise(expr: ir.Table) -> pa.Table:
    table = expr.to_pyarrow()
    return table.sort_by(
        [("customer_code", "ascending")] + ([("rule_code", "ascending")] if "rule_code" in table.column_names else [])
    )


def _hits(features: ir.Table, value: ir.Table, compiled: Sequence[tuple[RuleSpec, Rule]]) -> ir.Table:
    """One row per (customer, rule) that fired. The values that made it fire are the features the
    rule reads (``Rule.features``), looked up in the features table by whoever shows them."""
    scored = value.select("customer_code", "value_score", "tier", "tier_prev", "potential_score")
    wide = features.left_join(scored, "customer_code").drop("customer_code_right")
    parts = [
        wide.filter(rule.compile(wide)).select(
            "customer_code",
            "month_idx",
            rule_code=ibis.literal(spec.code),
            family=ibis.literal(spec.family),
            severity=ibis.literal(spec.severity),
        )
        for spec, rule in compiled
    ]
    if not parts:
        empty = features.select("customer_code", "month_idx").limit(0)
        return empty.mutate(rule_code=ibis.literal(""), family=ibis.literal(""), severity=ibis.literal(""))
    return ibis.union(*parts)


def _publish(lake: Lake, month: dt.date, run_id: str) -> None:
    base = results_dir(lake, month)
    tmp = base / f".CURRENT.{run_id}.tmp"
    tmp.write_text(run_id)
    os.replace(tmp, base / "CURRENT")
    for old in base.glob("run=*"):  # earlier runs of the month are no longer readable by anyone
        if old.name != f"run={run_id}":
            shutil.rmtree(old, ignore_errors=True)
