"""Where each role starts its day."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .models import User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Account managers open on their workbench; other staff on the customer list; partners and
    department users, whose pages come with the partner channel and the service desk, on a page
    that says so."""
    user: User = request.user  # type: ignore[assignment]
    if user.role in (User.Role.PARTNER, User.Role.DEPARTMENT) and not user.is_superuser:
        return render(request, "accounts/no_pages.html")
    return redirect("marketing:workbench" if user.role == User.Role.ACCOUNT_MANAGER else "customers:list")
