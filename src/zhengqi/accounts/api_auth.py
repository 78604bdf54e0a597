"""How the REST API knows who calls it — the browser's session (with CSRF on writes) or an API
token (``Authorization: Bearer zq_…``) — and the role matrix applied to every operation before it
runs: a role the matrix does not list for the operation gets 404, as for one that does not exist."""

from __future__ import annotations

import contextlib
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from . import matrix
from .models import User
from .tokens import token_user


def _admit(request: HttpRequest, user: User) -> User:
    matrix.require(user, matrix.api_route(request))
    return user


class TokenAccess(HttpBearer):
    """An API token acts as its user: same role, same scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_user(token.strip())
        if found is None:
            return None
        user, api_token = found
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]  # the token used is kept on the request for the audit trail
        _set_audit_actor(user)
        return _admit(request, user)


class SessionAccess(SessionAuth):
    """The logged-in browser's session; writes need the CSRF token, as for the pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        return _admit(request, user)  # type: ignore[arg-type]  # an authenticated User at this point


def _set_audit_actor(user: User) -> None:
    """django-auditlog took the actor from the session before the token was read: put the token's
    user in its place, so that history and reveals name who called."""
    from auditlog.context import auditlog_value

    with contextlib.suppress(LookupError):
        auditlog_value.get()["actor"] = user


def via_token(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is not None
