"""Login protection: failed logins lock the account for the configured time (django-axes), strong
passwords, the Content-Security-Policy header, and production refusing a default secret."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from zhengqi.accounts.models import User
from zhengqi.demo.load import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def try_login(client: Client, username: str, password: str, address: str) -> int:
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
    return response.status_code


def test_ten_failed_logins_lock_that_account_from_that_address_for_the_configured_time() -> None:
    assert settings.AXES_FAILURE_LIMIT == 10
    client = Client()
    for _ in range(9):
        assert try_login(client, "am", "wrong-password", "10.0.2.1") == 200  # the form again, with an error
    assert try_login(client, "am", DEMO_PASSWORD, "10.0.2.1") == 302
    client.logout()
    # A success resets the count: ten failures in a row are needed again.
    for _ in range(9):
        assert try_login(client, "am", "wrong-password", "10.0.2.1") == 200
    assert try_login(client, "am", "wrong-password", "10.0.2.1") == 429  # the tenth
    locked = client.post("/login/", {"username": "am", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert locked.status_code == 429
    assert "账号已被锁定" in locked.content.decode()
    # The same account from another desk, and other accounts from the same address, still log in.
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.3.1") == 302
    assert try_login(Client(), "planner", DEMO_PASSWORD, "10.0.2.1") == 302
    # After the configured time the account opens again.
    later = settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - later)
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.2.1") == 302


def test_one_typo_on_each_of_many_accounts_behind_a_proxy_locks_nobody_else() -> None:
    """The outside test: ten accounts mistyped once each from the proxy's address locked the site."""
    for k in range(12):
        try_login(Client(), f"nobody{k}", "wrong-password", "10.9.9.9")
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.9.9.9") == 302


def test_behind_a_configured_proxy_each_client_is_counted_by_its_own_address() -> None:
    from django.test import override_settings

    def attempt(password: str, client_address: str) -> int:
        return (
            Client()
            .post(
                "/login/",
                {"username": "am", "password": password},
                REMOTE_ADDR="10.1.1.1",  # the proxy
                HTTP_X_FORWARDED_FOR=f"{client_address}, 10.1.1.1",
            )
            .status_code
        )

    with override_settings(
        AXES_IPWARE_PROXY_COUNT=1, AXES_IPWARE_META_PRECEDENCE_ORDER=("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    ):
        for _ in range(10):
            attempt("wrong", "172.16.0.5")
        assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"172.16.0.5"}
        assert attempt(DEMO_PASSWORD, "172.16.0.5") == 429
        assert attempt(DEMO_PASSWORD, "172.16.0.6") == 302


def test_failed_logins_stay_in_the_audit_trail_after_a_successful_one() -> None:
    from zhengqi.accounts.audit import audit_events

    for _ in range(3):
        try_login(Client(), "am", "wrong-password", "10.0.6.1")
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.6.1") == 302  # resets the lockout counters
    failures = [e for e in audit_events(kind="login_failure") if e.username == "am"]
    assert len(failures) == 3


def test_the_provincial_admin_unlocks_an_account_in_the_back_office() -> None:
    for _ in range(10):
        try_login(Client(), "am", "wrong-password", "10.0.7.1")
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.7.1") == 429
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    attempt = AccessAttempt.objects.get(username="am")
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.7.1") == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short@1", "密码太短"),
        ("abcdefghijk", "3 类"),
        ("1234567890123", "只包含数字"),
        ("password123", "太常见"),
    ],
)
def test_weak_passwords_are_refused(password: str, message: str) -> None:
    user = User(username="wang.fang", display_name="王芳")
    with pytest.raises(ValidationError) as err:
        validate_password(password, user)
    assert message in " ".join(err.value.messages)


def test_a_strong_password_is_accepted() -> None:
    validate_password(DEMO_PASSWORD, User(username="someone"))
    validate_password("集团客户Manager-2026", User(username="someone"))


def test_pages_carry_a_content_security_policy() -> None:
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    scripts = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts


@pytest.mark.parametrize("secret", ["", "short", None])
def test_production_refuses_to_start_without_a_real_secret(secret: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ZHENGQI_SECRET_KEY"}
    if secret is not None:
        env["ZHENGQI_SECRET_KEY"] = secret
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "ZHENGQI_SECRET_KEY" in done.stderr
