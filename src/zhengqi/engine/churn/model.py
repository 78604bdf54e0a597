"""A churn classifier that follows the scikit-learn estimator contract, trained with LightGBM.

Small and noisy tables (thousands of rows) are the norm for group customers, so the defaults are
strongly regularised (shallow trees, many rows per leaf, a slow learning rate, randomised split
points); the number of boosting rounds is chosen by early stopping on a held-out part of the
training data and the model refitted on all of it. Non-numeric columns are categorical: their
categories are learned at ``fit`` and a category never seen reads as missing.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.01,
    "num_leaves": 4,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.6,
    "reg_lambda": 10.0,
    "max_cat_to_onehot": 16,
    "extra_trees": True,
}


class ChurnClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # scikit-learn ships no type hints: its bases are Any
    """``fit(X, y)`` with a DataFrame and 0/1 labels; ``predict_proba(X)``; ``contributions(X)``."""

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        max_rounds: int = 5000,
        patience: int = 200,
        validation_share: float = 0.2,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.params = params
        self.max_rounds = max_rounds
        self.patience = patience
        self.validation_share = validation_share
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _lgb_params(self) -> dict[str, Any]:
        return {
            **DEFAULT_PARAMS,
            **(self.params or {}),
            "random_state": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "n_jobs": self.n_jobs,
            "verbose": -1,
        }

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = pd.DataFrame(X).copy()
        for name, categories in self.categories_.items():
            values = frame[name].astype("string")
            values = values.where(values.isin(categories))  # a category never seen in training: missing
            frame[name] = pd.Categorical(values, categories=categories)
        return frame[self.feature_names_in_]

    def fit(self, X: pd.DataFrame, y: Any) -> ChurnClassifier:
        frame = pd.DataFrame(X)
        labels = np.asarray(y).astype(int)
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(frame.columns, dtype=object)
        self.categories_ = {
            str(c): sorted(frame[c].dropna().astype("string").unique().tolist())
            for c in frame.columns
            if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        }
        data = self._frame(frame)
        params = self._lgb_params()
        stratify = labels if min(np.bincount(labels, minlength=2)) >= 2 else None
        fit_rows, check_rows = train_test_split(
            np.arange(len(labels)), test_size=self.validation_share, stratify=stratify, random_state=self.random_state
        )
        probe = lgb.LGBMClassifier(**params, n_estimators=self.max_rounds)
        probe.fit(
            data.iloc[fit_rows],
            labels[fit_rows],
            eval_X=(data.iloc[check_rows],),
            eval_y=(labels[check_rows],),
            eval_metric="auc",
            callbacks=[lgb.early_stopping(self.patience, verbose=False)],
        )
        # Refit on everything with a quarter more rounds: there is a quarter more data.
        self.n_rounds_ = max(10, int((probe.best_iteration_ or self.max_rounds) * 1.25))
        self.booster_ = lgb.LGBMClassifier(**params, n_estimators=self.n_rounds_).fit(data, labels).booster_
        return self

    def state(self) -> dict[str, Any]:
        """What a saved model needs (JSON-safe; the trees in LightGBM's own text format)."""
        check_is_fitted(self, "booster_")
        return {
            "booster": self.booster_.model_to_string(),
            "features": [str(c) for c in self.feature_names_in_],
            "categories": self.categories_,
            "rounds": int(self.n_rounds_),
            "params": self._lgb_params(),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], *, n_jobs: int = 0) -> ChurnClassifier:
        """A saved model; it predicts on ``n_jobs`` threads (0: all cores)."""
        model = cls(n_jobs=n_jobs)
        model.classes_ = np.array([0, 1])
        model.feature_names_in_ = np.array(state["features"], dtype=object)
        model.categories_ = {k: list(v) for k, v in state["categories"].items()}
        model.n_rounds_ = int(state["rounds"])
        model.booster_ = lgb.Booster(model_str=state["booster"])
        return model

    def predict_proba(self, X: pd.DataFrame) -> NDArray[Any]:
        check_is_fitted(self, "booster_")
        p = np.asarray(self.booster_.predict(self._frame(X), num_threads=self.n_jobs))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> NDArray[Any]:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to each row's log-odds (LightGBM's ``pred_contrib``): the
        raw material of the reasons shown to users."""
        check_is_fitted(self, "booster_")
        raw = np.asarray(self.booster_.predict(self._frame(X), pred_contrib=True, num_threads=self.n_jobs))
        return pd.DataFrame(raw[:, :-1], columns=list(self.feature_names_in_), index=pd.DataFrame(X).index)

    def feature_importances(self) -> pd.Series:
        check_is_fitted(self, "booster_")
        gains = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(gains, index=list(self.feature_names_in_)).sort_values(ascending=False)
