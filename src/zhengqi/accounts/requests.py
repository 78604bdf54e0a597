"""The request a signed-in user makes. Every page and API operation but the login runs behind
authentication (the role matrix middleware, Ninja's auth), so ``request.user`` is a ``User``, never
``AnonymousUser``; annotating views with ``AuthedRequest`` says so once instead of a cast per view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from zhengqi.accounts.models import User


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is signed in (for type checking; no runtime difference)."""

    user: User  # type: ignore[assignment]  # narrows HttpRequest's User | AnonymousUser


def signed_in(request: HttpRequest) -> User:
    """The signed-in user of a request Django passes as a plain ``HttpRequest`` (the admin's
    hooks); an anonymous one never reaches these, and is refused if it does."""
    from zhengqi.accounts.models import User

    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
