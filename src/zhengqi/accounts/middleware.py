"""The role matrix applied to every page before its view runs (``zhengqi.accounts.matrix.PAGES``).

A visitor who is not logged in is sent to the login page; a user whose role the matrix does not
list for the page gets 404, as for a page that does not exist. A named page the matrix does not
know is refused to everyone, so a new page is closed until someone decides who may use it. The
API is checked the same way by its authentication (``zhengqi.accounts.api_auth``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from . import matrix


class RoleMatrixMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        route = matrix.page_route(request)
        if route is None:
            return None
        entry = matrix.PAGES.get(route)
        if entry is not None and "*" in entry.allow:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        matrix.require(request.user, route)  # type: ignore[arg-type]  # Http404 for a role not listed
        return None
