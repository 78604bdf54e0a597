"""The pager's links keep every filter of the page they are on (the query string), whatever the view
passed: only the page number changes."""

from __future__ import annotations

from typing import Any

from django import template

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
