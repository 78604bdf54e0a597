"""The pager's links keep every filter of the page they are on (the query string), whatever the view
passed: only the page number changes."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: Any, number: int) -> str:
    """``page=<number>`` with the request's other parameters, url-encoded."""
    query = context["request"].GET.copy()
    query["page"] = str(number)
    return str(query.urlencode())


@register.simple_tag(takes_context=True)
def main_menu(context: Any) -> list[Any]:
    """The main menu's groups for the user of the page (see zhengqi.accounts.menu)."""
    from zhengqi.accounts.menu import menu_for

    user = context["request"].user
    return menu_for(user) if user.is_authenticated else []


@register.simple_tag(takes_context=True)
def main_menu_html(context: Any) -> str:
    """The main menu of the page's user, rendered once per role, staff flag and language in each
    process (it depends on nothing else, and every page shows it: issue 25)."""
    from zhengqi.accounts.matrix import role_of

    user = context["request"].user
    if not user.is_authenticated:
        return ""
    return _menu_html(role_of(user), bool(user.is_staff), get_language())


@functools.lru_cache(maxsize=128)
def _menu_html(role: str, staff: bool, language: str) -> SafeString:
    from zhengqi.accounts.menu import menu_for_role

    return mark_safe(render_to_string("accounts/_menu.html", {"zq_menu": menu_for_role(role), "staff": staff}))  # noqa: S308  # nosec B308 B703  # our own template, escaped there
