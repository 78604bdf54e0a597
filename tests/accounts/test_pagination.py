"""Every paginated page's pager keeps the page's filters (the campaign's target list lost its
目标组/对照组 filter on page 2: duplicates and a wrong page count)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

params = st.dictionaries(
    st.sampled_from(["group", "q", "region", "tier", "status", "month", "sort", "kind"]),
    st.text(alphabet="abcAB+中文 &=?%/", min_size=1, max_size=8),
    max_size=4,
)


@given(params, st.integers(min_value=1, max_value=9))
def test_the_pager_keeps_every_filter_and_changes_only_the_page(filters: dict[str, str], number: int) -> None:
    request = RequestFactory().get("/anything/", {**filters, "page": str(number)})
    page = Paginator(list(range(100)), 10).get_page(number)
    html = render_to_string("_pagination.html", {"page": page}, request=request)
    links = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    assert len(links) == int(page.has_previous()) + int(page.has_next())
    for link in links:
        query = parse_qs(urlsplit(link.replace("&amp;", "&")).query, keep_blank_values=True)
        assert {k: v[0] for k, v in query.items() if k != "page"} == filters
        assert query["page"][0] in (str(number - 1), str(number + 1))
