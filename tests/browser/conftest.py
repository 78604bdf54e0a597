"""Playwright driving Debian's chromium (never a downloaded browser) against the live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed: apt-get install chromium (see README)"
        if os.environ.get("ZHENGQI_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    # The smallest screen the pages are made for: a 1366×768 laptop.
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    yield page
    context.close()


def go_to(page: object, group: str, item: str) -> None:
    """Open a page from the main menu: its group (工作台, 客户, 营销, 洞察, 渠道, 服务, 管理), then the item."""
    menu = page.get_by_test_id("menu")  # type: ignore[attr-defined]
    menu.get_by_role("button", name=group, exact=True).click()
    menu.get_by_role("link", name=item, exact=True).click()
