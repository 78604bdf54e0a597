"""The churn-model panel: Zhengqi's model against scikit-learn's ``HistGradientBoostingClassifier()``
with default settings and the logistic-regression baseline, on every public table in
``../shared/datasets`` and on synthetic stress tables, side by side in one process with the same folds.

    .venv/bin/python bench/churn_panel.py                 # every table, prints a Markdown table
    .venv/bin/python bench/churn_panel.py --only wide     # tables whose name contains "wide"

Every model reads the same prepared table (``evaluate.prepare``: missing spellings, numbers in text,
useless columns left out). HistGB gets text columns as pandas categories (``categorical_features=
"from_dtype"``); a text column with more levels than its 255 bins becomes ordinal codes — what a user
of the defaults would do. Measures per table: ROC AUC, PR AUC, lift@10 %, Brier (means over folds),
wall time of all folds, and peak memory above the start of each model's run (Linux's peak-RSS reset).
Issue 21's bar: Zhengqi ≥ HistGB's ROC AUC on every table, ≤ 3× its wall time, the 50k × 60 table's
5 folds within 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from zhengqi.engine.churn.evaluate import Metrics, _baseline, prepare, read_table  # noqa: E402
from zhengqi.engine.churn.model import ChurnClassifier  # noqa: E402

Split = tuple[NDArray[Any], NDArray[Any]]


def datasets() -> Path:
    candidates = [os.environ.get("ZHENGQI_DATASETS"), ROOT.parent / "shared" / "datasets", "/work/shared/datasets"]
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), ROOT.parent / "shared" / "datasets")


@dataclass
class Table:
    name: str
    X: pd.DataFrame
    y: NDArray[Any]
    splits: list[Split]
    how: str


def kfold(X: pd.DataFrame, y: NDArray[Any], folds: int = 5) -> list[Split]:
    return list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(X, y))


def public_tables() -> Iterator[Table]:
    root = datasets()
    telco = root / "ibm_telco_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    if telco.exists():
        X, y = prepare(read_table(telco), "Churn", "customerID", None)
        yield Table("IBM Telco (7,043)", X, y, kfold(X, y), "5-fold")
    orange = root / "orange_telecom_churn"
    if (orange / "churn-bigml-80.csv").exists():
        X, y = prepare(read_table(orange / "churn-bigml-80.csv"), "Churn", None, None)
        yield Table("Orange 80 % (2,661)", X, y, kfold(X, y), "5-fold")
        both = pd.concat([read_table(orange / "churn-bigml-80.csv"), read_table(orange / "churn-bigml-20.csv")])
        X, y = prepare(both.reset_index(drop=True), "Churn", None, None)
        n80 = 2661
        yield Table("Orange 80 → 20 (667)", X, y, [(np.arange(n80), np.arange(n80, len(y)))], "hold-out")


def _sigmoid(x: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(1 / (1 + np.exp(-x)))


def wide(n: int = 50_000, numeric: int = 52, seed: int = 7) -> pd.DataFrame:
    """A subscriber table like an operator's export: amounts with heavy tails and blanks, counts,
    flags, a few text columns (3, 12, ~300 and ~3,000 levels), a date; churn ≈ 7 % from thresholds,
    interactions and the levels of the big text columns."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for i in range(numeric):
        kind = i % 4
        if kind == 0:
            v = rng.lognormal(4, 1.2, n)
        elif kind == 1:
            v = rng.poisson(rng.uniform(0.5, 6), n).astype(float)
        elif kind == 2:
            v = rng.normal(0, 1, n)
        else:
            v = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(float)
        blank = rng.random(n) < rng.choice([0, 0, 0.05, 0.3, 0.6])
        cols[f"x{i:02d}"] = np.where(blank, np.nan, v)
    plan = rng.choice(["月付", "年付", "两年"], n, p=[0.5, 0.3, 0.2])
    city = rng.choice([f"城市{i}" for i in range(12)], n)
    district_effect = rng.normal(0, 0.8, 300)
    district = rng.zipf(1.3, n) % 300
    handset_effect = rng.normal(0, 0.6, 3000)
    handset = rng.integers(0, 3000, n)
    x = {k: np.nan_to_num(v) for k, v in cols.items()}
    logit = (
        -3.4
        + 1.2 * (plan == "月付")
        + 0.9 * (x["x01"] > 4) * (plan != "两年")
        + 0.6 * np.tanh(x["x02"] * x["x06"])
        - 0.5 * np.log1p(x["x00"]) / 4
        + 0.7 * (x["x04"] > 300) * (x["x08"] < 80)
        + 0.8 * x["x03"] * (x["x05"] > 3)
        + 0.4 * np.sin(x["x10"] * 2)
        + district_effect[district]
        + handset_effect[handset]
        + 0.3 * (city == "城市3")
    )
    y = rng.random(n) < _sigmoid(logit)
    frame = pd.DataFrame(cols)
    frame["套餐"] = np.where(rng.random(n) < 0.03, "", plan)
    frame["城市"] = city
    frame["区县"] = [f"区县{d:03d}" for d in district]
    frame["终端型号"] = np.where(rng.random(n) < 0.1, "NULL", pd.Series(handset).map(lambda h: f"HS-{h:04d}"))
    start = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")
    frame["入网日期"] = start.strftime("%Y-%m-%d")
    frame["是否流失"] = np.where(y, "是", "否")
    return frame


def small_categorical(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """Few rows, the signal in one 3-level text column with blanks (where strong regularisation fails)."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["A", "B", "C"], n)
    p = np.select([plan == "A", plan == "B"], [0.12, 0.3], 0.5)
    churn = rng.random(n) < p
    return pd.DataFrame(
        {
            "plan": np.where(rng.random(n) < 0.1, "", plan),
            "n1": rng.normal(size=n),
            "n2": rng.poisson(2, n),
            "churn": churn.astype(int),
        }
    )


def ratio_table(n: int = 6000, seed: int = 5) -> pd.DataFrame:
    """Amounts whose relation carries the signal (monthly charge vs total paid, as in IBM's table)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    monthly = rng.uniform(20, 120, n)
    total = tenure * monthly * rng.uniform(0.7, 1.1, n)
    calls = rng.poisson(3, n)
    logit = -1.5 + 2.5 * (total / (tenure * monthly) < 0.8) + 0.02 * (monthly - 70) - 0.03 * tenure + 0.2 * calls
    churn = rng.random(n) < _sigmoid(logit)
    return pd.DataFrame({"tenure": tenure, "monthly": monthly, "total": total, "calls": calls, "churn": churn})


def synthetic_tables(quick: bool) -> Iterator[Table]:
    for name, frame, label in (
        ("synthetic wide 50k × 57", wide(10_000 if quick else 50_000), "是否流失"),
        ("synthetic small categorical (600)", small_categorical(), "churn"),
        ("synthetic ratio signal (6,000)", ratio_table(), "churn"),
    ):
        X, y = prepare(frame, label, None, None)
        yield Table(name, X, y, kfold(X, y), "5-fold")


class PeakMemory:
    """Peak resident memory above the start of a block (Linux: /proc/self/clear_refs resets the peak)."""

    @staticmethod
    def _status(key: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])  # kB
        return 0

    def __enter__(self) -> PeakMemory:
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self.start = self._status("VmRSS:")
        return self

    def __exit__(self, *exc: object) -> None:
        self.mib = max(0, self._status("VmHWM:") - self.start) / 1024


def histgb(X: pd.DataFrame, y: NDArray[Any], train: NDArray[Any], test: NDArray[Any]) -> NDArray[Any]:
    data = X.copy()
    for c in data.columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            levels = sorted(map(str, data[c].iloc[train].dropna().unique()))
            codes = pd.Categorical(data[c].where(data[c].isin(levels)), categories=levels)
            data[c] = codes if len(levels) <= 255 else np.where(codes.codes < 0, np.nan, codes.codes)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(data.iloc[train], y[train])
    return np.asarray(model.predict_proba(data.iloc[test])[:, 1])


def zhengqi(X: pd.DataFrame, y: NDArray[Any], train: NDArray[Any], test: NDArray[Any]) -> NDArray[Any]:
    model = ChurnClassifier(random_state=0, n_jobs=2).fit(X.iloc[train], y[train])
    zhengqi.last = model  # type: ignore[attr-defined]  # the last fitted model, for its selection
    return np.asarray(model.predict_proba(X.iloc[test])[:, 1])


MODELS: dict[str, Callable[[pd.DataFrame, NDArray[Any], NDArray[Any], NDArray[Any]], NDArray[Any]]] = {
    "Zhengqi": zhengqi,
    "HistGB defaults": histgb,
    "logistic regression": _baseline,
}


def run(table: Table) -> list[dict[str, Any]]:
    rows = []
    for name, fit_predict in MODELS.items():
        metrics = []
        with PeakMemory() as memory:
            started = time.perf_counter()
            for train, test in table.splits:
                p = fit_predict(table.X, table.y, train, test)
                metrics.append(Metrics.of(table.y[test], p))
            wall = time.perf_counter() - started
        row = {"table": table.name, "model": name, "wall_s": wall, "peak_mib": memory.mib}
        for m in ("roc_auc", "pr_auc", "lift", "brier"):
            row[m] = float(np.mean([getattr(x, m) for x in metrics]))
        if name == "Zhengqi":
            row["chosen"] = zhengqi.last.selection_summary()  # type: ignore[attr-defined]  # set by zhengqi() above
        rows.append(row)
        print(f"  {name:<20} AUC {row['roc_auc']:.4f}  {wall:6.1f} s  {memory.mib:6.0f} MiB", flush=True)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| table | model | ROC AUC | PR AUC | lift@10 % | Brier | wall time (all folds) | peak memory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['model']} | {r['roc_auc']:.4f} | {r['pr_auc']:.4f} | {r['lift']:.2f} | "
            f"{r['brier']:.4f} | {r['wall_s']:.1f} s | {r['peak_mib']:.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only tables whose name contains this text")
    parser.add_argument("--quick", action="store_true", help="the wide table at 10k rows")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    verdicts = []
    for table in (*public_tables(), *synthetic_tables(args.quick)):
        if args.only.lower() not in table.name.lower():
            continue
        print(f"{table.name}: {len(table.y):,} rows × {table.X.shape[1]} columns, {table.how}", flush=True)
        result = run(table)
        rows += result
        ours, theirs = result[0], result[1]
        verdicts.append(
            f"- {table.name}: AUC {ours['roc_auc']:.4f} vs {theirs['roc_auc']:.4f} "
            f"({'≥' if ours['roc_auc'] >= theirs['roc_auc'] else '<'} HistGB), "
            f"time {ours['wall_s'] / theirs['wall_s']:.1f}× HistGB; chosen: {ours['chosen']}"
        )
    print()
    print(markdown(rows))
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
