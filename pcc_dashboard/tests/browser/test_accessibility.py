"""Page states that no link reaches, which the walk over every page (test_every_page.py) cannot
find: axe-core (WCAG 2.2 AA and best-practice) finds nothing on them, and they reflow at 320 px."""

import pytest

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}


def test_not_found_page_has_no_axe_violations_and_reflows(page, site, axe_check):
    response = page.goto(site.url("/no-such-page/"))
    assert response.status == 404
    assert "Page not found" in page.inner_text("h1")
    axe_check(page)
    page.set_viewport_size(NARROW)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]


def test_sign_in_error_state_has_no_axe_violations(page, site, axe_check):
    page.goto(site.url("/accounts/sign-in/"))
    page.fill("#id_username", "nobody-here")
    page.fill("#id_password", "not the password at all")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    axe_check(page)
