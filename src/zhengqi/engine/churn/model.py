"""A churn classifier that follows the scikit-learn estimator contract, trained with LightGBM, that
decides its own settings from the data.

One procedure for every table — no per-table tuning:

1. The training rows are split into stratified folds (three; two from ``LARGE_ROWS`` on). Settings
   along a fixed regularisation path (``CANDIDATES``: fine trees like scikit-learn's
   HistGradientBoosting defaults, medium, and shallow strongly regularised trees for small noisy
   tables) are each trained on every fold's other rows, their rounds stopped early on the fold
   itself; the walk along the path (``_walk``) stops where the out-of-fold ROC AUC peaks.
2. Pairwise ratios of the winner's most important amounts (charge per month of tenure and the like:
   relations a tree finds only with many splits) are tried the same way and kept only when they
   raise the out-of-fold AUC.
3. The model is the winner's fold models, their log-odds averaged (a cross-validation bag: every
   row was used, and no refit on a guessed number of rounds).

Given ``params`` there is no search: one model, its rounds stopped early on a fifth of the rows
(the member model, trained on millions of rows and scored on millions every month).

Text columns are categorical: a level seen in fewer than ``RARE_ROWS`` training rows joins one
"rare" level (so do levels never seen in training); a text column with many levels also gets its
level's training frequency as a number. ``selection_`` records what was tried and what was chosen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.utils.validation import check_is_fitted

# The settings tried on every table, finest first (a tie keeps the first).
CANDIDATES: dict[str, dict[str, Any]] = {
    "fine": {"learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20, "reg_lambda": 0.0},
    "medium": {
        "learning_rate": 0.1,
        "num_leaves": 15,
        "min_child_samples": 40,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.7,
        "reg_lambda": 1.0,
    },
    "coarse": {
        "learning_rate": 0.1,
        "num_leaves": 4,
        "min_child_samples": 80,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.6,
        "reg_lambda": 10.0,
        "extra_trees": True,
    },
}
CANDIDATE_LABELS = {"fine": "细 fine", "medium": "中 medium", "coarse": "粗 coarse", "given": "指定 given"}


def setting_label(code: str) -> str:
    """``coarse+ratios`` → ``粗 coarse + 比值 ratios``: how a setting is named to people."""
    name, _, ratios = code.partition("+")
    return CANDIDATE_LABELS.get(name, name) + (" + 比值 ratios" if ratios else "")


LARGE_ROWS = 20_000
CHECK_EVERY = 5  # rounds between looks at the checking rows' log-loss
RARE = "（少见）"
RARE_ROWS = 10  # a level in fewer training rows is "rare"
FREQUENCY_LEVELS = 32  # a text column with more levels also gets its level's frequency
FREQUENCY = "·频数"  # suffix of a frequency column
RATIO_SOURCES = 4  # ratios among the winner's most important continuous columns: at most 4 × 3 of them


def _sigmoid(x: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(1 / (1 + np.exp(-x)))


def _walk(names: list[str], score: Callable[[str], float]) -> None:
    """Score settings along a regularisation path (fine → coarse), as few as it takes: from the
    middle towards the coarse end while the score improves; if the first step there does not
    improve, towards the fine end instead. (The out-of-fold AUC along such a path rises to one peak
    and falls.)"""
    middle = len(names) // 2
    best = score(names[middle])
    for direction in (names[middle + 1 :], names[:middle][::-1]):
        moved = False
        for name in direction:
            value = score(name)
            if value <= best:
                break
            best, moved = value, True
        if moved:
            return


def _record(setting: str, auc: float, models: list[lgb.Booster]) -> dict[str, Any]:
    return {"setting": setting, "auc": round(auc, 4), "rounds": [m.current_iteration() for m in models]}


class ChurnClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # scikit-learn ships no type hints: its bases are Any
    """``fit(X, y)`` with a DataFrame and 0/1 labels; ``predict_proba(X)``; ``contributions(X)``.

    ``params`` fixes the LightGBM settings (no search over ``CANDIDATES``); ``ratios`` allows the
    ratio step (its features are not catalogue features, so a model whose reasons are shown to users
    leaves it off); ``refit`` replaces the bag by one model trained on every row (half or a third of
    the cost of scoring and explaining: the month run's customer model)."""

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        ratios: bool = True,
        refit: bool = False,
        inner_folds: int | None = None,
        max_rounds: int = 2000,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.params = params
        self.ratios = ratios
        self.refit = refit
        self.inner_folds = inner_folds
        self.max_rounds = max_rounds
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ the frame the trees see

    def _threads(self) -> int:
        return self.n_jobs if self.n_jobs > 0 else os.cpu_count() or 1

    def _matrix(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """The numbers the trees see, a column per name of ``_seen()``: a text column as its level's
        code (missing: NaN), its level's frequency where it has many levels, then the ratios."""
        frame = pd.DataFrame(X)
        out: dict[str, NDArray[np.float64]] = {}
        for name in self.columns_:
            if name in self.categories_:
                categories = self.categories_[name]
                text = frame[name].astype("string")
                known = text.isin(categories)
                # Rare in training, or never seen: the rare level (missing where training had no rare level).
                text = text.where(known | text.isna(), RARE) if RARE in categories else text.where(known)
                codes = pd.Categorical(text, categories=categories).codes
                out[name] = np.where(codes < 0, np.nan, codes).astype("float64")
                if name in self.counts_:
                    counts = pd.Series(self.counts_[name], dtype="float64")
                    frequency = frame[name].astype("string").map(counts).fillna(0)
                    out[name + FREQUENCY] = frequency.to_numpy(dtype="float64", na_value=0.0)
            elif pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name]):
                out[name] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
            else:
                number = pd.to_numeric(frame[name], errors="coerce").astype("float64")
                out[name] = number.to_numpy(dtype="float64", na_value=np.nan)
        return self._with_ratios(np.column_stack(list(out.values())))

    def _with_ratios(self, base: NDArray[np.float64]) -> NDArray[np.float64]:
        """The base columns and, after them, the ratios."""
        if not self.ratios_:
            return base
        where = {name: i for i, name in enumerate(self._seen()[: base.shape[1]])}
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = [
                np.where(base[:, where[b]] != 0, base[:, where[a]] / base[:, where[b]], np.nan) for a, b in self.ratios_
            ]
        return np.column_stack([base, *ratios])

    def _categorical(self) -> list[int]:
        return [i for i, name in enumerate(self._seen()) if name in self.categories_]

    def _dataset(self, data: NDArray[Any], labels: NDArray[Any]) -> lgb.Dataset:
        return lgb.Dataset(
            data, labels, categorical_feature=self._categorical(), params={"feature_pre_filter": False, "verbose": -1},
        ).construct()  # fmt: skip

    def _seen(self) -> list[str]:
        """The names of the columns ``_matrix`` makes, in its order."""
        names = []
        for name in self.columns_:
            names.append(name)
            if name in self.counts_:
                names.append(name + FREQUENCY)
        return names + [f"{a}/{b}" for a, b in self.ratios_]

    def _learn_columns(self, frame: pd.DataFrame) -> None:
        self.columns_ = [str(c) for c in frame.columns]
        self.categories_: dict[str, list[str]] = {}
        self.counts_: dict[str, dict[str, int]] = {}
        self.ratios_: list[tuple[str, str]] = []
        for c in self.columns_:
            column = frame[c]
            if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
                continue
            counts = column.dropna().astype("string").value_counts()
            common = sorted(str(v) for v in counts.index[counts >= RARE_ROWS])
            self.categories_[c] = [*common, RARE] if (counts < RARE_ROWS).any() else common
            if len(counts) > FREQUENCY_LEVELS:
                self.counts_[c] = {str(k): int(v) for k, v in counts.items()}

    # ------------------------------------------------------------------ fitting

    def _settings(self, name: str, rows: int) -> dict[str, Any]:
        chosen = dict(self.params or {}) if name == "given" else dict(CANDIDATES[name])
        # On a small table a leaf may not need more than a twentieth of its rows.
        leaf = min(int(chosen.get("min_child_samples", 20)), max(5, rows // 20))
        return {
            "objective": "binary",
            **chosen,
            "min_child_samples": leaf,
            "min_data_per_group": min(100, max(leaf, 10)),
            "cat_smooth": 10.0,
            "feature_pre_filter": False,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }

    def _train(
        self, settings: dict[str, Any], fit: lgb.Dataset, check: lgb.Dataset | None, threads: int, rounds: int
    ) -> lgb.Booster:
        """Boost up to ``rounds``; with ``check``, stop once its log-loss has not improved for a
        patience of rounds (looked at every ``CHECK_EVERY`` rounds) and keep the best rounds only."""
        booster = lgb.Booster({**settings, "metric": "binary_logloss", "num_threads": threads}, fit)
        if check is None:
            for _ in range(rounds):
                booster.update()
            return booster
        booster.add_valid(check, "check")
        patience = max(20, int(2 / float(settings.get("learning_rate", 0.1))))
        best, best_round = math.inf, 0
        for done in range(1, rounds + 1):
            if booster.update():  # no split left to make
                break
            if done % CHECK_EVERY == 0:
                loss = float(booster.eval_valid()[0][2])
                if loss < best:
                    best, best_round = loss, done
                elif done - best_round >= patience:
                    break
        while booster.current_iteration() > max(best_round, 1):
            booster.rollback_one_iter()
        booster.best_iteration = booster.current_iteration()
        return booster

    def _fold_data(
        self, everything: lgb.Dataset, folds: list[tuple[NDArray[Any], NDArray[Any]]]
    ) -> list[tuple[lgb.Dataset, lgb.Dataset, NDArray[Any]]]:
        """Each fold's training and checking rows of data binned once for every setting tried."""
        return [
            (everything.subset(fit.tolist()).construct(), everything.subset(check.tolist()).construct(), check)
            for fit, check in folds
        ]

    def _cross_fit(
        self,
        data: NDArray[Any],
        labels: NDArray[Any],
        binned: list[tuple[lgb.Dataset, lgb.Dataset, NDArray[Any]]],
        name: str,
    ) -> tuple[float, list[lgb.Booster]]:
        """A setting fitted on every fold's other rows: its out-of-fold AUC and its fold models.
        One thread per fold, even beyond the cores, so that no fold waits for another."""
        per_model = max(1, self._threads() // len(binned))
        fit_rows = len(labels) - len(binned[0][2])

        def one_fold(fold: tuple[lgb.Dataset, lgb.Dataset, NDArray[Any]]) -> tuple[lgb.Booster, NDArray[Any]]:
            fitting, check, check_rows = fold
            booster = self._train(self._settings(name, fit_rows), fitting, check, per_model, self.max_rounds)
            return booster, np.asarray(booster.predict(data[check_rows], raw_score=True, num_threads=per_model))

        with ThreadPoolExecutor(max_workers=len(binned)) as pool:
            fitted = list(pool.map(one_fold, binned))
        rows = np.concatenate([check_rows for _fitting, _check, check_rows in binned])
        raw = np.concatenate([scores for _booster, scores in fitted])
        return float(roc_auc_score(labels[rows], raw)), [booster for booster, _scores in fitted]

    def _inner_folds(self, labels: NDArray[Any], k: int, groups: Any) -> list[tuple[NDArray[Any], NDArray[Any]]]:
        """``k`` stratified folds (one: a fifth held out). With ``groups`` (e.g. a customer's rows in
        several months) a group's rows stay in one fold: a model must not be checked on rows of a
        customer it was trained on."""
        rows = np.arange(len(labels))
        if groups is not None and len(set(np.asarray(groups).tolist())) >= max(k, 5):
            splitter = StratifiedGroupKFold(
                n_splits=max(k, 2) if k >= 2 else 5, shuffle=True, random_state=self.random_state
            )
            folds = list(splitter.split(rows, labels, np.asarray(groups)))
            return folds if k >= 2 else folds[:1]
        if k >= 2:
            return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state).split(rows, labels))
        fit, check = train_test_split(rows, test_size=0.2, stratify=labels, random_state=self.random_state)
        return [(fit, check)]

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> ChurnClassifier:
        """Fit on ``X`` and 0/1 labels ``y``; ``groups`` keeps a group's rows in one inner fold."""
        frame = pd.DataFrame(X)
        labels = np.asarray(y).astype(int)
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self._learn_columns(frame)
        data = self._matrix(frame)
        names = ["given"] if self.params is not None else list(CANDIDATES)
        smaller = int(np.bincount(labels, minlength=2).min())
        # A search: three folds, two from LARGE_ROWS on (half the rows already make a full model).
        # Given settings: one model, its rounds stopped early on a fifth of the rows.
        default = 1 if self.params is not None else 2 if len(labels) >= LARGE_ROWS else 3
        k = min(self.inner_folds or default, smaller)
        self.selection_: list[dict[str, Any]] = []
        if smaller < 2:  # too few of a class to validate: the middle setting, a fixed number of rounds
            self.chosen_ = names[len(names) // 2]
            settings = self._settings(self.chosen_, len(labels))
            self.boosters_ = [self._train(settings, self._dataset(data, labels), None, self._threads(), 100)]
            return self
        folds = self._inner_folds(labels, k, groups)
        everything = self._dataset(data, labels)
        binned = self._fold_data(everything, folds)
        tried: dict[str, tuple[float, list[lgb.Booster]]] = {}
        _walk(names, lambda n: tried.setdefault(n, self._cross_fit(data, labels, binned, n))[0])
        names = list(tried)
        self.chosen_ = max(names, key=lambda n: tried[n][0])  # max keeps the first of a tie
        auc, boosters = tried[self.chosen_]
        self.selection_ = [_record(n, *tried[n]) for n in names]
        if self.ratios:
            sources = self._ratio_sources(boosters, data)
            if len(sources) >= 2:
                self.ratios_ = [(a, b) for a in sources for b in sources if a != b]
                richer = self._with_ratios(data)
                binned = self._fold_data(self._dataset(richer, labels), folds)
                with_ratios = self._cross_fit(richer, labels, binned, self.chosen_)
                self.selection_.append(_record(f"{self.chosen_}+ratios", *with_ratios))
                if with_ratios[0] > auc:
                    boosters = with_ratios[1]
                    self.chosen_ += "+ratios"
                else:
                    self.ratios_ = []
        if self.refit and k >= 2:
            # One model on every row, its rounds the folds' scaled by how many more rows it has.
            rounds = round(np.mean([b.current_iteration() for b in boosters]) * k / (k - 1))
            final = self._with_ratios(data) if self.ratios_ else data
            settings = self._settings(self.chosen_.removesuffix("+ratios"), len(labels))
            boosters = [self._train(settings, self._dataset(final, labels), None, self._threads(), max(1, rounds))]
        self.boosters_ = boosters
        return self

    def _ratio_sources(self, boosters: list[lgb.Booster], data: NDArray[np.float64]) -> list[str]:
        """The winner's most important continuous columns (more than two values: not a flag)."""
        seen = self._seen()
        gains = pd.Series(sum(b.feature_importance(importance_type="gain") for b in boosters), index=seen)

        def continuous(column: NDArray[np.float64]) -> bool:
            values = column[~np.isnan(column)]
            return len(values) > 0 and bool(((values != values.min()) & (values != values.max())).any())

        continuous_columns = [
            c for i, c in enumerate(seen) if c in self.columns_ and c not in self.categories_ and continuous(data[:, i])
        ]
        ranked = gains.reindex(continuous_columns).fillna(0).sort_values(ascending=False, kind="stable")
        return [str(c) for c, g in ranked.items() if g > 0][:RATIO_SOURCES]

    # ------------------------------------------------------------------ using a fitted model

    def selection_summary(self) -> str:
        """What was tried and chosen, in a line (the model card and the benchmark print it)."""
        check_is_fitted(self, "boosters_")
        tried = "，".join(f"{setting_label(s['setting'])} {s['auc']:.4f}" for s in self.selection_)
        return f"选用 {setting_label(self.chosen_)}" + (f"（内部交叉验证 AUC：{tried}）" if tried else "")

    def state(self) -> dict[str, Any]:
        """What a saved model needs (JSON-safe; the trees in LightGBM's own text format)."""
        check_is_fitted(self, "boosters_")
        return {
            "boosters": [b.model_to_string() for b in self.boosters_],
            "columns": self.columns_,
            "categories": self.categories_,
            "counts": self.counts_,
            "ratios": [list(r) for r in self.ratios_],
            "chosen": self.chosen_,
            "selection": self.selection_,
            "params": self._settings(self.chosen_.removesuffix("+ratios"), 10**6) if self.params is None
            else self._settings("given", 10**6),
        }  # fmt: skip

    @classmethod
    def from_state(cls, state: dict[str, Any], *, n_jobs: int = 0) -> ChurnClassifier:
        """A saved model (also one saved before the inner selection: one booster, no derived
        columns); it predicts on ``n_jobs`` threads (0: all cores)."""
        model = cls(n_jobs=n_jobs)
        model.classes_ = np.array([0, 1])
        columns = state.get("columns", state.get("features", []))
        model.columns_ = [str(c) for c in columns]
        model.feature_names_in_ = np.array(model.columns_, dtype=object)
        model.categories_ = {k: list(v) for k, v in state["categories"].items()}
        model.counts_ = {k: dict(v) for k, v in state.get("counts", {}).items()}
        model.ratios_ = [(str(a), str(b)) for a, b in state.get("ratios", [])]
        model.chosen_ = str(state.get("chosen", "given"))
        model.selection_ = list(state.get("selection", []))
        boosters = state.get("boosters") or [state["booster"]]
        model.boosters_ = [lgb.Booster(model_str=b) for b in boosters]
        return model

    def _raw(self, X: pd.DataFrame, **options: Any) -> NDArray[Any]:
        data = self._matrix(X)
        return np.asarray(
            np.mean([b.predict(data, num_threads=self._threads(), **options) for b in self.boosters_], axis=0)
        )

    def predict_proba(self, X: pd.DataFrame) -> NDArray[Any]:
        check_is_fitted(self, "boosters_")
        p = _sigmoid(self._raw(X, raw_score=True))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _to_inputs(self) -> dict[str, list[tuple[str, float]]]:
        """Each column the trees see → the input columns it comes from, with shares."""
        sources: dict[str, list[tuple[str, float]]] = {c: [(c, 1.0)] for c in self.columns_}
        for c in self.counts_:
            sources[c + FREQUENCY] = [(c, 1.0)]
        for a, b in self.ratios_:
            sources[f"{a}/{b}"] = [(a, 0.5), (b, 0.5)]
        return sources

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each input column's contribution to each row's log-odds (LightGBM's ``pred_contrib``,
        averaged over the bag; a derived column's share goes back to the columns it is made of):
        the raw material of the reasons shown to users."""
        check_is_fitted(self, "boosters_")
        raw = self._raw(X, pred_contrib=True)
        seen = self._seen()
        out = pd.DataFrame(0.0, columns=self.columns_, index=pd.DataFrame(X).index)
        sources = self._to_inputs()
        for j, name in enumerate(seen):
            for column, share in sources.get(name, [(name, 1.0)]):
                out[column] += share * raw[:, j]
        return out

    def feature_importances(self) -> pd.Series:
        """Total gain per input column (derived columns counted to their sources)."""
        check_is_fitted(self, "boosters_")
        gains = pd.Series(0.0, index=self.columns_)
        sources = self._to_inputs()
        for b in self.boosters_:
            for name, gain in zip(self._seen(), b.feature_importance(importance_type="gain"), strict=True):
                for column, share in sources.get(name, [(name, 1.0)]):
                    gains[column] += share * float(gain)
        return gains.sort_values(ascending=False)
