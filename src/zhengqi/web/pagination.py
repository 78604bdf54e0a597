"""The API's page-number pagination, with a bound on the page number: an absurd page (found by
schemathesis: page=121645100408832001) must be a 422, not an OFFSET the database cannot hold."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)
