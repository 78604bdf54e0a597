"""The API's page-number pagination, with a bound on the page number: an absurd page (found by
schemathesis: page=121645100408832001) must be a 422, not an OFFSET the database cannot hold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, overload

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=1000)


class Converted(Sequence[Any]):
    """A queryset whose rows are converted for the answer only when the paginator cuts its page:
    ``len`` asks the database to count, a slice reads and converts just that slice."""

    def __init__(self, qs: QuerySet[Any], convert: Callable[[Any], Any]) -> None:
        self.qs, self.convert = qs, convert

    def __len__(self) -> int:
        return self.qs.count()

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.convert(row) for row in self.qs[index]]
        return self.convert(self.qs[index])
