"""How the report's and dashboards' numbers read: 万元 with two decimals, percentages, PP."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def cell(value: Any, fmt: str) -> str:
    if value is None:
        return "—"
    if fmt == "text":
        return str(value)
    if fmt in ("wan", "yuan"):
        return f"{float(value):,.2f}"
    if fmt == "pct":
        return f"{float(value) * 100:.1f}%"
    if fmt == "pp":
        return f"{float(value):+.1f}"
    if fmt == "int":
        return f"{int(value):,}"
    if fmt == "hours":
        return f"{float(value):,.1f}"
    return str(value)


@register.filter
def numeric(fmt: str) -> bool:
    return fmt != "text"


@register.filter
def item(values: Any, index: int) -> Any:
    try:
        return values[index]
    except (IndexError, KeyError, TypeError):
        return None


@register.filter
def urlencode_dict(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


@register.filter
def json_chart(chart: Any, key: str) -> str:
    """The chart as a ``<script type="application/json">`` the page's charts.js reads."""
    from dataclasses import asdict

    from django.utils.html import json_script

    return json_script(asdict(chart), f"chart-{key}")
