"""Who may read the dashboards and the report: staff who see customers (each within their scope)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User

READERS = (
    User.Role.PROVINCIAL_ADMIN,
    User.Role.REGIONAL_MANAGER,
    User.Role.MARKETING_PLANNER,
    User.Role.ACCOUNT_MANAGER,
)


def require_reader(user: User) -> User:
    if not (user.is_authenticated and (user.is_superuser or user.role in READERS)):
        raise Http404(_("页面不存在或无权查看。"))
    return user
