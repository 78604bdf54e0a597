"""Schemathesis against the API's own OpenAPI schema, in process (WSGI): every operation, with
generated valid and invalid input, as the provincial admin (who may reach the most, by session
with CSRF) and as an account manager (by API token, who is refused much of it). No answer may be a
server error, every answer must match the schema it declares (body and content type), and every
refusal (4xx) must say why in a sentence, in Chinese.

A few operations are left out because one call runs a long job (a month run, a PDF, an Excel
import); they have their own tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tests.conftest import Cast
from zhengqi.accounts.tokens import token_create
from zhengqi.api import api

LONG_JOBS = [
    ("POST", "/api/runs"),
    ("GET", "/api/insight/report/file"),
    ("POST", "/api/imports"),
    ("POST", "/api/churn/models/{version}/activate"),
    ("GET", "/api/statements/{statement_id}/file"),
]

raw = json.loads(json.dumps(api.get_openapi_schema()))
schema = schemathesis.openapi.from_dict(raw)
schema.app = application
for method, path in LONG_JOBS:
    schema = schema.exclude(method=method, path=path)

CJK = re.compile(r"[\u4e00-\u9fff]")


def refusal_says_why(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A 4xx answer is JSON with a ``detail`` sentence in Chinese (not pydantic's list, not "Not Found").
    A method the path does not have answers 405 with the ``Allow`` header, as HTTP says."""
    if response.status_code == 405:
        assert response.headers.get("allow") or response.headers.get("Allow"), "405 without Allow"
    elif 400 <= response.status_code < 500:
        assert response.content, (
            f"{response.status_code} with an empty body: {case.method} {case.path} {response.headers}"
        )
        body = json.loads(response.content)
        detail = body.get("detail") if isinstance(body, dict) else None
        assert isinstance(detail, str) and CJK.search(detail), f"{response.status_code} without a reason: {body!r}"
    return None


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    refusal_says_why,
]


TOKEN = "t" * 32  # the CSRF cookie and header must agree (Ninja checks CSRF for session auth)


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Calls go to the WSGI application itself, which closes the database connection after each
    request; inside a test's transaction it must stay open (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_session(cast: Cast, in_test_transaction: None) -> dict[str, str]:
    client = Client()
    client.force_login(cast.admin)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": TOKEN}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI passes or fails for the code, not the dice
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_within_its_schema(case: schemathesis.Case, admin_session: dict[str, str]) -> None:
    response = case.call(cookies=admin_session, headers={"X-CSRFToken": TOKEN})
    case.validate_response(response, checks=CHECKS)


@pytest.fixture
def am_token(cast: Cast, in_test_transaction: None) -> str:
    return token_create(by=cast.am, name="schemathesis")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_an_account_manager_with_a_token_is_answered_within_the_schema(case: schemathesis.Case, am_token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {am_token}"})
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
def test_an_absurd_page_number_is_refused_not_a_server_error(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    for path in ("/api/customers", "/api/tasks", "/api/insight/customers", "/api/audit"):
        response = client.get(path, {"page": 121645100408832001})
        assert response.status_code == 422, path


@pytest.mark.django_db
def test_a_nul_character_is_refused_in_chinese_on_every_database(cast: Cast) -> None:
    """PostgreSQL cannot store U+0000 (SQLite can): the API refuses it before any query runs."""
    client = Client()
    client.force_login(cast.admin)
    body = {"code": "DL9", "name": "甲", "kinds": ["service"], "region": "X", "contract_start": "2026-01-01"}
    body |= {"contract_end": "2026-12-31", "products": ["ok", "bad\u0000"]}
    response = client.post("/api/partners", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == "输入有误：body.products.1 含有不允许的空字符（\\u0000）。"
    response = client.get("/api/customers", {"q": "a\u0000b"})
    assert response.status_code == 422
    assert "query.q" in response.json()["detail"]


def test_every_schema_has_its_own_name() -> None:
    """OpenAPI names a schema by its class name: a second class of the same name in another router
    silently replaces the first in /api/docs."""
    from ninja import Schema

    def walk(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    ours = {c for c in walk(Schema) if c.__module__.startswith("zhengqi.")}
    names = [c.__name__ for c in ours]
    assert sorted({n for n in names if names.count(n) > 1}) == []
