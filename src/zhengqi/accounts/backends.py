"""Authentication backend: Django's, loading the user's region with the user, since every page
and every access check needs it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import User


class RegionModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]  # ModelBackend's stub says AbstractBaseUser; ours returns the project's User
        user = User.objects.select_related("region").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
