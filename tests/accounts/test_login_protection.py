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


def test_ten_failed_logins_lock_the_account_for_the_configured_time() -> None:
    assert settings.AXES_FAILURE_LIMIT == 10
    client = Client()
    # Nine failures, each from another address: still allowed, and the right password works.
    for k in range(9):
        assert try_login(client, "am", "wrong-password", f"10.0.0.{k}") == 200  # the form again, with an error
    assert try_login(client, "am", DEMO_PASSWORD, "10.0.1.1") == 302
    client.logout()
    # A success resets the count: ten failures in a row are needed again.
    for k in range(9):
        assert try_login(client, "am", "wrong-password", f"10.0.2.{k}") == 200
    assert try_login(client, "am", "wrong-password", "10.0.2.9") == 429  # the tenth
    locked = client.post("/login/", {"username": "am", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.0.3.1")
    assert locked.status_code == 429
    assert "账号已被锁定" in locked.content.decode()
    # Another account is not locked.
    assert try_login(Client(), "planner", DEMO_PASSWORD, "10.0.4.1") == 302
    # After the configured time the account opens again.
    later = settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - later)
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.0.5.1") == 302


def test_ten_failures_from_one_address_lock_that_address() -> None:
    client = Client()
    for k in range(10):
        try_login(client, f"nobody{k}", "wrong-password", "10.9.9.9")
    assert try_login(client, "am", DEMO_PASSWORD, "10.9.9.9") == 429
    assert try_login(Client(), "am", DEMO_PASSWORD, "10.9.9.10") == 302


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
