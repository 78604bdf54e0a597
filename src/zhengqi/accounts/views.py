"""Where each role starts its day."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Account managers open on their workbench; everyone else on the customer list."""
    user: User = request.user  # type: ignore[assignment]
    return redirect("marketing:workbench" if user.role == User.Role.ACCOUNT_MANAGER else "customers:list")
