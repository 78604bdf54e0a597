"""The fast picker writes the same HTML as Django's own ``<select>`` (issue 25): for any options —
names with markup, groups, numbers, the empty choice — any value chosen and any attributes."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from hypothesis import given
from hypothesis import strategies as st

from zhengqi.web.forms import FastSelect

text = st.text(alphabet=st.sampled_from(list("ab<>&\"' 中文")), max_size=6)
values = st.one_of(st.integers(-3, 300), text)
options = st.lists(st.tuples(values, text), max_size=8)
choices = st.lists(st.one_of(st.tuples(values, text), st.tuples(text.filter(bool), options)), max_size=6)
attrs = st.dictionaries(
    st.sampled_from(["id", "class", "data-x", "required", "disabled", "aria-label"]),
    st.one_of(text, st.booleans()),
    max_size=4,
)


def squeeze(html: str) -> str:
    """Django's template puts newlines and indentation between the tags; nothing else differs."""
    return re.sub(r">\s+<", "><", html.strip())


@given(choices=choices, value=st.one_of(st.none(), values, st.lists(values, max_size=2)), attrs=attrs)
def test_the_same_html_as_djangos_select(choices: list[Any], value: Any, attrs: dict[str, Any]) -> None:
    django_html = forms.Select(choices=choices).render("picker", value, dict(attrs))
    ours = FastSelect(choices=choices).render("picker", value, dict(attrs))
    assert squeeze(ours) == squeeze(django_html)
