"""The main menu is rendered once per role, staff flag and language in each process (issue 25): a user
sees their own role's menu in their own language, whoever's menu was rendered before in the process."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.matrix import role_of
from zhengqi.accounts.menu import menu_for

ROLES = ["admin", "planner", "city_manager", "district_manager", "am"]


def menu_links(html: str) -> list[str]:
    menu = html.split('data-testid="menu"', 1)[1].split("\n    </ul>", 1)[0]
    return re.findall(r'href="([^"#]+)"', menu)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(["zh-hans", "en"])), min_size=1, max_size=6))
def test_each_user_sees_their_roles_menu_in_their_language(cast: Cast, visits: list[tuple[str, str]]) -> None:
    for who, language in visits:
        user = getattr(cast, who)
        client = Client()
        client.force_login(user)
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        html = client.get(reverse("notifications:list")).content.decode()
        want = [link.url for _group, links in menu_for(user) for link in links]
        shown = [href for href in menu_links(html) if href != reverse("admin:index")]
        assert shown == want, (who, role_of(user), language)
        menu = html.split('data-testid="menu"', 1)[1].split("\n    </ul>", 1)[0]
        assert ("工作台" in menu) == (language == "zh-hans") and ("Workbench" in menu) == (language == "en"), language
