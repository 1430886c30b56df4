"""axe-core (WCAG 2.2 AA) finds no violations on each page, for the role that can see it."""

import pytest

from pcc_dashboard.tests.browser.test_layout import PAPERS, _panel_meeting_path

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/accounts/sign-in/", "/public/", "/accessibility/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(page, site, axe_check, path):
    axe_check(page, site.url(path))


def test_not_found_page_has_no_axe_violations(page, site, axe_check):
    response = page.goto(site.url("/no-such-page/"))
    assert response.status == 404
    assert "Page not found" in page.inner_text("h1")
    axe_check(page)


def test_sign_in_error_state_has_no_axe_violations(page, site, axe_check):
    page.goto(site.url("/accounts/sign-in/"))
    page.fill("#id_username", "nobody-here")
    page.fill("#id_password", "not the password at all")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    axe_check(page)


@pytest.mark.parametrize("role", ["coordinator", "csp_submitter", "police_submitter", "panel", "pdg"])
def test_home_page_signed_in_has_no_axe_violations(page_as, site, axe_check, role):
    axe_check(page_as(role), site.url("/"))


@pytest.mark.parametrize(("role", "path"), PAPERS)
def test_papers_have_no_axe_violations(page_as, site, axe_check, role, path):
    """Issue 18: the PDG's outcomes, a meeting's pack with its cover, and the Panel report."""
    if not site.has_demo:
        pytest.skip("needs the demo's snapshots and meetings")
    axe_check(page_as(role), site.url(_panel_meeting_path(site, path)))
