"""The model registry in the lake: each trained churn model with its training windows, features,
parameters, library versions and backtest metrics; one of them active.

Layout: ``models/churn/<version>/model.json`` (the trees in LightGBM's text format inside it, no
pickle: a model file is data, never code) and ``models/churn/ACTIVE`` (the active version).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import uuid
from collections.abc import Callable
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from zhengqi.engine.lake import Lake

from .bundle import ChurnModels, History, backtest, fit

VERSION = re.compile(r"^[0-9A-Za-z_-]{1,80}$")


class UnknownVersion(LookupError):
    """No such model version in the registry (the message is for the user, Chinese first)."""


def _root(lake: Lake) -> Path:
    return lake.root / "models" / "churn"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{name: package_version(name) for name in ("lightgbm", "scikit-learn", "numpy", "pandas", "duckdb")},
    }


def _clean(value: Any) -> Any:
    """JSON without NaN (a metric that cannot be computed is null)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def save(lake: Lake, models: ChurnModels, *, activate: bool = False) -> str:
    created = dt.datetime.now(dt.UTC)
    version = f"{models.meta.get('as_of', 'model')}-{created:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:4]}"
    models.meta = {
        **_clean(models.meta),
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "customer_params": models.customer.state()["params"],
        "customer_selection": models.customer.selection_,  # the inner selection: each setting tried, its AUC
        "customer_setting": models.customer.chosen_,
        "member_params": models.member[0].state()["params"],
    }
    folder = _root(lake) / version
    folder.mkdir(parents=True)
    _write_atomic(folder / "model.json", json.dumps(models.state(), ensure_ascii=False))
    _write_atomic(folder / "card.json", json.dumps(models.meta, ensure_ascii=False, indent=1))
    if activate or active_version(lake) is None:
        set_active(lake, version)
    return version


def versions(lake: Lake) -> list[dict[str, Any]]:
    """Every saved version's card (metadata and metrics), newest first."""
    root = _root(lake)
    cards = []
    for card in root.glob("*/card.json") if root.exists() else []:
        cards.append(json.loads(card.read_text(encoding="utf-8")))
    return sorted(cards, key=lambda c: c.get("created_at", ""), reverse=True)


def card(lake: Lake, version: str) -> dict[str, Any]:
    path = _folder(lake, version) / "card.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _folder(lake: Lake, version: str) -> Path:
    folder = _root(lake) / version
    if not VERSION.match(version) or not (folder / "model.json").exists():
        raise UnknownVersion(f"没有流失模型版本“{version}”。No churn model version {version!r}.")
    return folder


def load(lake: Lake, version: str) -> ChurnModels:
    state = json.loads((_folder(lake, version) / "model.json").read_text(encoding="utf-8"))
    return ChurnModels.from_state(state)


def active_version(lake: Lake) -> str | None:
    pointer = _root(lake) / "ACTIVE"
    if not pointer.exists():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    return version if (_root(lake) / version / "model.json").exists() else None


def set_active(lake: Lake, version: str) -> None:
    _folder(lake, version)  # refuses an unknown version
    _write_atomic(_root(lake) / "ACTIVE", version)


def active(lake: Lake) -> ChurnModels | None:
    version = active_version(lake)
    return load(lake, version) if version else None


def train(
    lake: Lake,
    *,
    periods: int = 6,
    activate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Backtest over the last ``periods`` months (0: none), then fit on everything the lake
    knows, and save. Returns the new version."""
    history = History(lake)
    summary = backtest(history, periods=periods, progress=progress).summary() if periods > 0 else None
    models = fit(history, history.last, progress=progress)
    models.meta["backtest"] = summary
    return save(lake, models, activate=activate)
