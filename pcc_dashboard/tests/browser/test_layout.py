"""Reflow (WCAG 1.4.10): at 320 CSS px wide, text pages do not scroll sideways."""

import pytest

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 800}
TEXT_PAGES = ["/", "/accounts/sign-in/", "/public/", "/accessibility/", "/no-such-page/"]


def _overflow(page) -> dict:
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )


@pytest.mark.parametrize("path", TEXT_PAGES)
def test_text_page_does_not_scroll_sideways_at_320px(page, site, path):
    page.set_viewport_size(NARROW)
    page.goto(site.url(path))
    size = _overflow(page)
    assert size["scroll"] <= size["client"], f"{path} is {size['scroll']}px wide in a {size['client']}px window"


def test_signed_in_home_page_does_not_scroll_sideways_at_320px(page_as, site):
    tab = page_as("coordinator")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url("/"))
    size = _overflow(tab)
    assert size["scroll"] <= size["client"]
