"""API tokens: made on a page by a logged-in user and shown once, kept only as a digest; a token acts
as its user (same role, same scope) without CSRF; it stops working when it expires, is revoked or its
user is deactivated; it cannot make another token; the audit trail shows tokens made and revoked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.accounts.models import ApiToken, User
from zhengqi.accounts.tokens import token_create
from zhengqi.customers.models import Customer

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"}, enforce_csrf_checks=True)


def test_a_token_made_on_the_page_is_shown_once_and_kept_only_as_a_digest(cast: Cast) -> None:
    page = logged_in(cast.am)
    made = page.post("/tokens/", {"name": "报表同步脚本", "days": "30"}, follow=True)
    assert made.status_code == 200 and made.redirect_chain == [("/tokens/", 302)]  # a reload makes no second
    key = re.search(r'data-testid="new-token-key">(zq_[\w-]+)<', made.content.decode())
    assert key is not None
    token = ApiToken.objects.get()
    assert token.user == cast.am and token.name == "报表同步脚本"
    assert key.group(1) not in {token.digest, token.prefix} and token.digest != key.group(1)
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)
    again = page.get("/tokens/").content.decode()
    assert key.group(1) not in again and token.prefix in again  # never shown again

    listed = bearer(key.group(1)).get("/api/tokens").json()
    assert listed["count"] == 1 and listed["items"][0]["state"] == "active"
    assert "key" not in listed["items"][0]


def test_a_token_acts_as_its_user_with_the_same_scope_and_without_csrf(cast: Cast) -> None:
    _token, key = token_create(by=cast.am, name="同步")
    api = bearer(key)
    theirs = api.get("/api/customers?page_size=1000").json()
    ids = {c["id"] for c in theirs["items"]}
    assert ids == set(Customer.objects.filter(account_manager=cast.am).values_list("pk", flat=True))
    other = cast.customer_of_other_am()
    assert api.get(f"/api/customers/{other.pk}").status_code == 404  # another manager's customer
    assert api.get("/api/audit").status_code == 404  # not an account manager's operation

    customer = Customer.objects.filter(account_manager=cast.am, key_persons__isnull=False).first()
    assert customer is not None
    wrote = api.post(
        f"/api/customers/{customer.pk}/interactions",
        {"date": "2026-11-20", "summary": "电话回访"},
        content_type="application/json",
    )
    assert wrote.status_code == 201  # a write without a CSRF token: a header is not sent by a browser
    assert api.post(f"/api/customers/{customer.pk}/key-persons/reveal").status_code == 200
    reveals = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert reveals.count() == customer.key_persons.count()  # one entry per person shown
    assert {e.actor for e in reveals} == {cast.am}  # the log names who called with the token

    ApiToken.objects.update(last_used_at=None)
    api.get("/api/tokens")
    assert ApiToken.objects.get().last_used_at is not None


def test_expired_revoked_unknown_or_deactivated_tokens_get_401(cast: Cast) -> None:
    token, key = token_create(by=cast.am, name="同步", days=1)
    assert bearer(key).get("/api/tasks").status_code == 200
    for broken in ("zq_nothing", key + "x", "", "不是令牌", "x" * 5000):
        assert bearer(broken).get("/api/tasks").status_code == 401

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(key).get("/api/tasks").status_code == 401

    token2, key2 = token_create(by=cast.am, name="第二个")
    cast.am.is_active = False
    cast.am.save(update_fields=["is_active"])
    assert bearer(key2).get("/api/tasks").status_code == 401
    cast.am.is_active = True
    cast.am.save(update_fields=["is_active"])
    assert bearer(key2).get("/api/tasks").status_code == 200

    revoked = logged_in(cast.am).delete(f"/api/tokens/{token2.pk}")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert bearer(key2).get("/api/tasks").status_code == 401
    assert logged_in(cast.am).delete(f"/api/tokens/{token2.pk}").status_code == 200  # twice is harmless


def test_a_token_cannot_make_another_token(cast: Cast) -> None:
    _token, key = token_create(by=cast.city_manager, name="同步")
    answer = bearer(key).post("/api/tokens", {"name": "更长的令牌", "days": 365}, content_type="application/json")
    assert answer.status_code == 403 and "令牌不能用来创建新令牌" in answer.json()["detail"]
    assert ApiToken.objects.count() == 1


def test_bad_input_is_refused_in_chinese_and_writes_nothing(cast: Cast) -> None:
    api = logged_in(cast.am)
    for body, words in (
        ({"name": "", "days": 30}, "请填写令牌用途"),
        ({"name": "脚本", "days": 0}, "有效期应为 1 至"),
        ({"name": "脚本", "days": settings.ZHENGQI_API_TOKEN_MAX_DAYS + 1}, "有效期应为 1 至"),
    ):
        answer = api.post("/api/tokens", body, content_type="application/json")
        assert answer.status_code == 422 and words in answer.json()["detail"], answer.content
    page = api.post("/tokens/", {"name": "脚本", "days": "很多"})
    assert page.status_code == 400 and "有效期应为 1 至" in page.content.decode()
    assert ApiToken.objects.count() == 0
    for n in range(10):
        token_create(by=cast.am, name=f"脚本{n}")
    tenth = api.post("/api/tokens", {"name": "再来一个"}, content_type="application/json")
    assert tenth.status_code == 422 and "最多 10 个有效令牌" in tenth.json()["detail"]


def test_only_the_owner_or_the_admin_revokes_and_the_audit_shows_both(cast: Cast) -> None:
    token, key = token_create(by=cast.am, name="同步")
    for stranger in (cast.other_am, cast.city_manager, cast.planner, cast.partner):
        assert logged_in(stranger).delete(f"/api/tokens/{token.pk}").status_code == 404
        assert logged_in(stranger).post(f"/tokens/{token.pk}/revoke/").status_code == 404
        assert logged_in(stranger).get("/api/tokens").json()["count"] == 0
    token.refresh_from_db()
    assert token.revoked_at is None

    admin = logged_in(cast.admin)
    assert admin.get("/api/tokens").json()["count"] == 1  # the admin sees everyone's
    page = admin.post(f"/tokens/{token.pk}/revoke/", follow=True).content.decode()
    assert "已吊销" in page
    token.refresh_from_db()
    assert token.revoked_by == cast.admin
    assert bearer(key).get("/api/tasks").status_code == 401

    trail = admin.get("/api/audit?kind=token").json()["items"]
    assert [(e["username"], e["what"][:4]) for e in trail] == [("admin", "吊销令牌"), ("am", "创建令牌")]
    assert "属于 am" in trail[0]["detail"]


def test_sessions_end_with_the_working_day_and_the_browser(cast: Cast) -> None:
    client = logged_in(cast.am)
    assert client.session.get_expiry_age() <= 8 * 3600
    assert client.session.get_expire_at_browser_close()


def test_the_back_office_lists_tokens_without_their_digest_and_revokes(cast: Cast) -> None:
    token, _key = token_create(by=cast.am, name="同步")
    admin = logged_in(cast.admin)
    page = admin.get("/admin/accounts/apitoken/")
    assert page.status_code == 200 and token.prefix in page.content.decode()
    assert token.digest not in admin.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    admin.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_by == cast.admin
