"""Who may read the dashboards and the report: the staff who see customers (each within their
scope), as the role matrix says."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.models import User


def require_reader(user: User) -> User:
    if not (user.is_authenticated and user.is_active and matrix.role_of(user) in matrix.STAFF):
        raise Http404(_("页面不存在或无权查看。"))
    return user
