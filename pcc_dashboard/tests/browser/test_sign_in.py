"""Signing in and out through the real pages, for every role."""

import pytest

from pcc_dashboard.tests.browser.conftest import PASSWORD, ROLES, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ROLES)
def test_sign_in_as_each_role_shows_who_is_signed_in(page, site, role):
    sign_in(page, site, role)
    banner = page.inner_text(".govuk-phase-banner")
    assert site.users[role]["username"] in banner
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_sign_in_with_wrong_password_shows_error_summary(page, site):
    page.goto(site.url("/accounts/sign-in/"))
    page.fill("#id_username", site.users["panel"]["username"])
    page.fill("#id_password", PASSWORD + "-wrong")
    page.click("main button[type=submit]")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter a correct username and password" in summary.inner_text()
    assert "Signed in as" not in page.inner_text("body")


def test_sign_out_returns_to_public_view(page, site):
    sign_in(page, site, "pdg")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert "You are viewing published information" in page.inner_text(".govuk-phase-banner")
