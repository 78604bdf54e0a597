"""The back office answers people who are not signed in, or not staff, with its login page or a
refusal, never with a server error; the app starts with DEBUG off unless asked."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/customers/customer/", "/admin/axes/"])
def test_the_back_office_sends_an_anonymous_visitor_to_log_in(path: str) -> None:
    answer = Client().get(path)
    assert answer.status_code in (200, 302), answer.status_code
    if answer.status_code == 302:
        assert "/admin/login/" in answer["Location"]


def test_the_back_office_login_page_renders_for_a_signed_in_account_manager(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.am)
    assert client.get("/admin/login/").status_code in (200, 302)


def test_debug_is_off_unless_asked_for() -> None:
    """The base settings (what gunicorn uses without production.py) leave debug pages off; the test
    suite forces DEBUG off itself, so ask a fresh interpreter."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ZHENGQI_DEBUG"}
    read = [sys.executable, "-c", "import config.settings.base as s; print(s.DEBUG)"]
    assert subprocess.run(read, env=env, capture_output=True, text=True, check=True).stdout.strip() == "False"
    env["ZHENGQI_DEBUG"] = "1"
    assert subprocess.run(read, env=env, capture_output=True, text=True, check=True).stdout.strip() == "True"
