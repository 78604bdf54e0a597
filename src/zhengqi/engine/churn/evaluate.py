"""Validating a churn model on any labelled table: the same training and reporting code the
product uses on its own lake, applied to a CSV or Parquet file (how the machinery is checked on
real data: ``zhengqi model evaluate``).

With a time column the validation is time-based — each period is predicted by a model trained on
the periods before it, never on a random split across time; without one, stratified k-fold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .model import ChurnClassifier, setting_label

POSITIVE = {"1", "1.0", "yes", "y", "true", "t", "是", "流失", "churn", "churned"}
NEGATIVE = {"0", "0.0", "-1", "-1.0", "no", "n", "false", "f", "否", "在网", "stay", "retained"}  # -1/1: Orange's


class TableError(ValueError):
    """The table cannot be evaluated; the message says why (Chinese first)."""


def top_decile_lift(y: NDArray[Any], p: NDArray[Any]) -> float:
    """Churn rate among the 10 % highest scores ÷ the overall churn rate."""
    n = max(1, round(len(p) * 0.1))
    top = np.argsort(-p, kind="stable")[:n]
    base = float(np.mean(y))
    return float(np.mean(y[top]) / base) if base > 0 else float("nan")


@dataclass
class Metrics:
    rows: int
    positives: int
    roc_auc: float
    pr_auc: float
    lift: float
    brier: float

    @classmethod
    def of(cls, y: NDArray[Any], p: NDArray[Any]) -> Metrics:
        """The four measures of a scored window (ROC and PR AUC are NaN with one class only)."""
        both = len(set(y.tolist())) == 2
        return cls(
            rows=len(y),
            positives=int(y.sum()),
            roc_auc=float(roc_auc_score(y, p)) if both else math.nan,
            pr_auc=float(average_precision_score(y, p)) if both else math.nan,
            lift=top_decile_lift(y, p),
            brier=float(brier_score_loss(y, p)),
        )


@dataclass
class FoldResult(Metrics):
    name: str
    baseline_roc_auc: float
    chosen: str = ""  # the setting the inner selection chose on this fold's training rows
    calibration_error: float = math.nan  # rows-weighted |predicted − observed| over the fold's tenths of risk


def calibration_error(curve: list[tuple[float, float, int]]) -> float:
    """How far a reliability curve is from the diagonal: rows-weighted mean |predicted − observed|."""
    rows = sum(n for _m, _o, n in curve)
    return sum(abs(m - o) * n for m, o, n in curve) / rows if rows else math.nan


def reliability(y: NDArray[Any], p: NDArray[Any], bins: int = 10) -> list[tuple[float, float, int]]:
    """Calibration by tenths of the predicted risk: (mean predicted, observed rate, rows) per
    non-empty tenth — a calibrated model's two numbers agree."""
    edges = np.clip((np.asarray(p) * bins).astype(int), 0, bins - 1)
    return [
        (float(np.mean(p[edges == b])), float(np.mean(y[edges == b])), int((edges == b).sum()))
        for b in range(bins)
        if (edges == b).any()
    ]


@dataclass
class Report:
    rows: int
    features: list[str]
    categorical: list[str]
    positive_rate: float
    method: str
    folds: list[FoldResult] = field(default_factory=list)
    importances: pd.Series | None = None
    notes: list[str] = field(default_factory=list)  # columns left out, and why
    calibration: list[tuple[float, float, int]] = field(default_factory=list)  # over all folds' predictions

    def mean(self, metric: str) -> float:
        return float(np.mean([getattr(f, metric) for f in self.folds]))

    def std(self, metric: str) -> float:
        return float(np.std([getattr(f, metric) for f in self.folds]))

    def as_text(self) -> str:
        lines = [
            f"数据 rows: {self.rows:,}，特征 features: {len(self.features)}"
            f"（类别型 categorical: {len(self.categorical)}），正例占比 positive rate: {self.positive_rate:.2%}",
            f"验证方式 validation: {self.method}",
            *self.notes,
            "",
            f"{'fold':<14}{'rows':>7}{'churn':>7}{'ROC AUC':>9}{'PR AUC':>8}{'lift@10%':>9}{'Brier':>8}{'ECE':>7}"
            f"{'LR AUC':>8}",
        ]
        for f in self.folds:
            lines.append(
                f"{f.name:<14}{f.rows:>7}{f.positives:>7}{f.roc_auc:>9.4f}{f.pr_auc:>8.4f}{f.lift:>9.2f}"
                f"{f.brier:>8.4f}{f.calibration_error:>7.3f}{f.baseline_roc_auc:>8.4f}"
            )
        lines.append(
            f"{'mean ± std':<14}{'':>14}{self.mean('roc_auc'):>9.4f}{self.mean('pr_auc'):>8.4f}"
            f"{self.mean('lift'):>9.2f}{self.mean('brier'):>8.4f}{self.mean('calibration_error'):>7.3f}"
            f"{self.mean('baseline_roc_auc'):>8.4f}"
        )
        lines.append(f"ROC AUC = {self.mean('roc_auc'):.4f} ± {self.std('roc_auc'):.4f}"
                     f"（逻辑回归基线 logistic-regression baseline {self.mean('baseline_roc_auc'):.4f}）")  # fmt: skip
        if self.importances is not None:
            top = ", ".join(f"{k} {v:.0f}" for k, v in self.importances.head(8).items())
            lines.append(f"最重要的特征 top features (gain): {top}")
        chosen = "；".join(f"{f.name} {f.chosen}" for f in self.folds if f.chosen)
        if chosen:
            lines.append(f"每折内部选择的设置 setting chosen by inner cross-validation: {chosen}")
        if self.calibration:
            lines += [
                "",
                "校准 calibration (all folds; ECE = 各折预测与实际之差的加权平均 per fold above)",
                f"{'':<14}预测 predicted   实际 observed   rows",
            ]
            lines += [f"{'':<14}{m:>14.3f}{o:>15.3f}{n:>7}" for m, o, n in self.calibration]
        return "\n".join(lines)


def read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise TableError(f"文件不存在：{path}")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "gb18030"
        return pd.read_csv(path, encoding=encoding, na_values=["", " "], keep_default_na=True)
    raise TableError(f"不支持的文件类型“{path.suffix}”：请使用 CSV 或 Parquet。")


def labels_of(column: pd.Series) -> NDArray[Any]:
    values = column.astype("string").str.strip().str.lower()
    if values.isna().any():
        raise TableError(f"标签列“{column.name}”有 {int(values.isna().sum())} 个空值。")
    seen = set(values.unique())
    if not seen <= POSITIVE | NEGATIVE:
        raise TableError(f"标签列“{column.name}”应为 0/1、Yes/No 或 是/否，实际有：{'、'.join(sorted(seen)[:5])}。")
    y = values.isin(POSITIVE).to_numpy().astype(int)
    if y.min() == y.max():
        raise TableError(f"标签列“{column.name}”只有一类取值，无法训练。")
    return np.asarray(y)


# Cells an export writes for "no value": read as missing in every column, whatever its type.
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a", "(null)", "空", "无"}


DATE_LIKE = r"^\d{4}([-/.]\d{1,2}([-/.]\d{1,2})?|年\d{1,2}月(\d{1,2}日)?)([ T]\d{1,2}:\d{2}(:\d{2})?)?$"


def _days_before_last(column: pd.Series) -> pd.Series | None:
    """A date column (a datetime type, or text that is ≥ 98 % dates like 2024-01-05, 2024/1/5,
    2024年1月5日, 2024-01) as the days before its latest date — an age a tree can split; None if
    the column is not dates."""
    if pd.api.types.is_datetime64_any_dtype(column):
        when = pd.to_datetime(column, errors="coerce")
    elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    else:
        text = column.astype("string").str.strip()
        text = text.where(~text.str.lower().isin(MISSING))
        present = text.dropna()
        if present.empty or present.str.fullmatch(DATE_LIKE).mean() < 0.98:
            return None
        cleaned = (
            text.str.replace("年", "-")
            .str.replace("月", "-")
            .str.replace("日", "")
            .str.replace(r"[/.]", "-", regex=True)
        )
        when = pd.to_datetime(cleaned, errors="coerce", format="mixed")
        if when.notna().sum() < 0.98 * len(present):
            return None
    if when.dt.tz is not None:
        when = when.dt.tz_localize(None)
    return ((when.max() - when).dt.total_seconds() / 86400.0).astype("float64")


def prepare(
    frame: pd.DataFrame, label: str, id_column: str | None, time_column: str | None, notes: list[str] | None = None
) -> tuple[pd.DataFrame, NDArray[Any]]:
    """The table's features and 0/1 labels. Missing-value spellings become missing; text that is
    really numbers becomes numbers; columns that cannot inform a model (all blank, one value, or a
    different value on every row, like an id) are left out, each with a note."""
    for name in (label, id_column, time_column):
        if name and name not in frame.columns:
            raise TableError(f"表中没有列“{name}”。现有列：{'、'.join(map(str, frame.columns[:30]))}")
    y = labels_of(frame[label])
    X = frame.drop(columns=[c for c in (label, id_column, time_column) if c])
    X.columns = [str(c) for c in X.columns]
    if X.columns.duplicated().any():
        raise TableError("表中有重名的列：" + "、".join(sorted(set(X.columns[X.columns.duplicated()]))) + "。")
    notes = notes if notes is not None else []
    for c in list(X.columns):
        column = X[c]
        if pd.api.types.is_bool_dtype(column):
            X[c] = column.astype("float64")
            continue
        days = _days_before_last(column)
        if days is not None:
            X[c] = days
            if days.notna().any():
                notes.append(
                    f"列“{c}”是日期，按距表中最晚日期的天数使用 (date column used as days before the latest date)。"
                )
        elif not pd.api.types.is_numeric_dtype(column):
            text = column.astype("string").str.strip()
            text = text.where(~text.str.lower().isin(MISSING))
            # Text that is really numbers (e.g. a column with a few blanks) is read as numbers.
            numbers = pd.to_numeric(text, errors="coerce")
            if text.notna().any() and numbers.notna().sum() >= 0.98 * text.notna().sum():
                X[c] = numbers.astype("float64")
            else:
                X[c] = text.astype(object).where(text.notna(), None)
        else:
            X[c] = pd.to_numeric(column, errors="coerce").astype("float64")
        kept = X[c].dropna()
        if kept.empty:
            notes.append(f"列“{c}”全部为空，未使用。")
        elif kept.nunique() == 1:
            notes.append(f"列“{c}”只有一个取值，未使用。")
        elif not pd.api.types.is_numeric_dtype(X[c]) and kept.nunique() == len(X) and len(X) >= 20:
            notes.append(f"列“{c}”每行都不同（像编号），未使用。")
        else:
            continue
        X = X.drop(columns=[c])
    if X.shape[1] == 0:
        raise TableError("除标签外没有可用的列（都为空、只有一个取值或像编号）。")
    return X, y


def _baseline(X: pd.DataFrame, y: NDArray[Any], train: NDArray[Any], test: NDArray[Any]) -> NDArray[Any]:
    """Untuned logistic regression on the table's own columns (one-hot categories, scaled
    numbers): the bar to beat. A missing category is a category of its own."""
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    nums = [c for c in X.columns if c not in cats]
    prep = ColumnTransformer(
        [
            ("c", OneHotEncoder(handle_unknown="ignore", min_frequency=5), cats),
            ("n", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
        ]
    )
    model = make_pipeline(prep, LogisticRegression(max_iter=2000))
    Xs = X.copy()
    for c in cats:  # plain Python strings, a missing one as its own word (no pd.NA for the encoders)
        Xs[c] = np.where(X[c].isna(), "（空）", X[c].astype(str)).astype(object)
    model.fit(Xs.iloc[train], y[train])
    return np.asarray(model.predict_proba(Xs.iloc[test])[:, 1])


def evaluate(
    frame: pd.DataFrame,
    *,
    label: str,
    id_column: str | None = None,
    time_column: str | None = None,
    folds: int = 5,
    periods: int = 6,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    notes: list[str] = []
    X, y = prepare(frame, label, id_column, time_column, notes)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if time_column:
        times = frame[time_column]
        order = sorted(times.dropna().unique())
        if len(order) < 2:
            raise TableError(f"时间列“{time_column}”只有 {len(order)} 个取值，无法按时间验证。")
        tests = order[-min(periods, len(order) - 1) :]
        splits = [
            (f"{time_column}={t}", np.flatnonzero((times < t).to_numpy()), np.flatnonzero((times == t).to_numpy()))
            for t in tests
        ]
        method = f"按时间滚动回测 rolling backtest over the last {len(tests)} periods of “{time_column}”"
    else:
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = [(f"fold {i + 1}", tr, te) for i, (tr, te) in enumerate(skf.split(X, y))]
        method = f"{folds} 折分层交叉验证 {folds}-fold stratified cross-validation (seed {seed})"
    report = Report(len(X), list(map(str, X.columns)), categorical, float(y.mean()), method, notes=notes)
    scored: list[tuple[NDArray[Any], NDArray[Any]]] = []
    for name, train, test in splits:
        if progress:
            progress(name)
        if len(set(y[train])) < 2 or len(set(y[test])) < 2:
            continue
        model = ChurnClassifier(random_state=seed, n_jobs=0).fit(X.iloc[train], y[train])
        p = model.predict_proba(X.iloc[test])[:, 1]
        report.folds.append(
            FoldResult(
                **vars(Metrics.of(y[test], p)),
                name=name,
                baseline_roc_auc=float(roc_auc_score(y[test], _baseline(X, y, train, test))),
                chosen=setting_label(model.chosen_),
                calibration_error=calibration_error(reliability(y[test], p)),
            )
        )
        scored.append((y[test], p))
        report.importances = model.feature_importances() if report.importances is None else report.importances
    if not report.folds:
        raise TableError("没有一个验证窗口同时含有正例和反例，无法评估。")
    report.calibration = reliability(np.concatenate([t for t, _p in scored]), np.concatenate([q for _t, q in scored]))
    return report
