"""At 320 CSS px (WCAG 1.4.10 reflow): the Panel report's digest wraps, the banners sit in landmarks,
and a failed upload puts focus on the error summary. Every page a role reaches by links is
checked at 320 px by the walk in test_every_page.py."""

import pytest

from pcc_dashboard.tests.browser.test_pages import found  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

_WIDTH = "() => document.documentElement.scrollWidth"


def test_panel_report_with_its_digest_reflows_at_320px(page_as, site, found):  # noqa: F811
    tab = page_as("panel")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(f"/meetings/{found['panel_meeting']}/report/"))
    digest = tab.locator("main p", has_text="snapshot digest").locator(".app-snapshot-banner__digest")
    assert len(digest.inner_text().strip()) == 64
    assert tab.evaluate(_WIDTH) <= NARROW["width"]


def test_landmarks_hold_the_banners_and_the_selector(page_as, site, found):  # noqa: F811
    tab = page_as("coordinator")
    tab.goto(site.url(f"/snapshots/{found['as_of']}/"))
    outside = tab.evaluate(
        """() => ['.govuk-phase-banner', '.app-snapshot-banner', '.app-snapshot-selector']
            .filter(sel => document.querySelector(sel))
            .filter(sel => !document.querySelector(sel).closest('header, main, footer, nav, [role=region]'))"""
    )
    assert tab.locator(".app-snapshot-banner").count() == 1
    assert outside == []


def test_failed_upload_focuses_error_summary_at_320px(page_as, site, axe_check):
    tab = page_as("csp_submitter")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url("/returns/upload/"))
    tab.set_input_files(
        "input[type=file]",
        files=[{"name": "not-a-return.csv", "mimeType": "text/csv", "buffer": b"this,is\nnot,a return\n"}],
    )
    tab.get_by_role("button", name="Upload and check").click()
    tab.wait_for_selector(".govuk-error-summary", timeout=30000)
    # A CSS :focus selector, not wait_for_function: the site's CSP forbids the eval that would need.
    tab.locator(".govuk-error-summary:focus").wait_for(timeout=10000)
    assert "There is a problem with not-a-return.csv" in tab.inner_text(":focus")
    assert "Nothing has been saved" in tab.inner_text(":focus")
    # The service navigation is started too: collapsed behind its Menu button at this width.
    assert tab.locator(".govuk-service-navigation__toggle").is_visible()
    assert not tab.locator("#navigation").is_visible()
    assert tab.evaluate(_WIDTH) <= NARROW["width"]
    axe_check(tab)
