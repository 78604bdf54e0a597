"""API tokens: made by a logged-in user for a script or another system, shown once, kept only as a
digest; each expires (at most ``ZHENGQI_API_TOKEN_MAX_DAYS`` days) and can be revoked at once by
its owner or the provincial admin. A token acts as its user — same role, same scope — and stops
working when the user is deactivated.

A token cannot make another token: a leaked key must not be able to outlive its expiry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, User

PREFIX = "zq_"
DEFAULT_DAYS = 90
MAX_ACTIVE = 10  # per user
USE_RECORDED_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often


def max_days() -> int:
    return int(getattr(settings, "ZHENGQI_API_TOKEN_MAX_DAYS", 365))


def digest(key: str) -> str:
    """SHA-256 is enough: a key has 256 random bits, nothing to guess by brute force."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_admin(user: User) -> bool:
    return user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN


def tokens_visible(user: User) -> QuerySet[ApiToken]:
    """A user's own tokens; the provincial admin's view is everyone's."""
    qs = ApiToken.objects.select_related("user", "revoked_by")
    return qs if is_admin(user) else qs.filter(user=user)


def token_create(*, by: User, name: str, days: int | None = None, via_token: bool = False) -> tuple[ApiToken, str]:
    """A new token of ``by``'s and its key (to be shown once). Refused input writes nothing."""
    if via_token:
        raise PermissionDenied(_("API 令牌不能用来创建新令牌：请登录后在“API 令牌”页面创建。"))
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("请填写令牌用途，例如“报表同步脚本”。")
    elif len(name) > 100:
        errors["name"] = _("令牌用途不能超过 100 个字。")
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= max_days():
        errors["days"] = _("有效期应为 1 至 %(max)d 天。") % {"max": max_days()}
    now = timezone.now()
    active = ApiToken.objects.filter(user=by, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE:
        errors["name"] = _("每个用户最多 %(n)d 个有效令牌：请先吊销不用的令牌。") % {"n": MAX_ACTIVE}
    if errors:
        raise ValidationError(errors)
    key = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=by, name=name, prefix=key[:10], digest=digest(key), expires_at=now + dt.timedelta(days=days)
    )
    return token, key


def token_revoke(*, by: User, token_id: int) -> ApiToken:
    """Revoke one token: its owner's or, for the provincial admin, anyone's. Revoking twice is harmless;
    a token the user may not see is "not found"."""
    token = tokens_visible(by).filter(pk=token_id).first()
    if token is None:
        raise Http404(_("令牌不存在或无权查看。"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def token_user(key: str) -> tuple[User, ApiToken] | None:
    """The active user a key belongs to, if the key is known, unrevoked and unexpired."""
    if not key.startswith(PREFIX) or len(key) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest(key)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token
