"""The bell on every page: the user's unread notifications (one indexed COUNT, only when logged in)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def bell(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .services import unread_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
