"""At 320 CSS px (WCAG 1.4.10 reflow): the Panel report's digest wraps, the banners sit in landmarks,
a failed upload puts focus on the error summary, and wide tables keep their caption and each row's
name in view while they scroll. Every page a role reaches by links is checked at 320 px by the walk
in test_every_page.py."""

import pytest

from pcc_dashboard.tests.browser.test_every_page import TABLE_NAMES_OUT_OF_VIEW
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


# The tables a fresh-eyes walk at 320 px found cut off: a wide tracker, a data lead's own returns, a
# meeting's "at a glance" cover and the crime outcomes tables.
_WIDE_TABLES = {
    "coordinator": ["/returns/tracker/", "/meetings/{pdg_meeting}/", "/snapshots/{as_of}/outcomes/"],
    "csp_submitter": ["/returns/"],
}

# Cells narrower than 100 CSS px whose text wraps to more than three lines: a column shrunk to its
# longest word, which is what made rows very tall.
_SQUEEZED = """els => els.flatMap(el => [...el.querySelectorAll('tbody td, tbody th')]).filter(c => {
    const range = document.createRange();
    range.selectNodeContents(c);
    return c.getBoundingClientRect().width < 100
      && range.getBoundingClientRect().height > 3 * parseFloat(getComputedStyle(c).lineHeight);
  }).slice(0, 3).map(c => 'squeezed to ' + Math.round(c.getBoundingClientRect().width) + 'px: "'
    + c.innerText.trim().slice(0, 40) + '"')"""


@pytest.mark.parametrize("role", sorted(_WIDE_TABLES))
def test_wide_tables_keep_caption_and_row_names_in_view_at_320px(page_as, site, found, role):  # noqa: F811
    tab = page_as(role)
    tab.set_viewport_size(NARROW)
    problems = []
    for path in (p.format(**found) for p in _WIDE_TABLES[role]):
        tab.goto(site.url(path))
        wraps = tab.locator("main .app-table-wrap")
        scrolling = wraps.evaluate_all("els => els.filter(el => el.scrollWidth > el.clientWidth + 1).length")
        assert scrolling, f"{path}: no table scrolls sideways at 320px, so this test checks nothing there"
        problems += [f"{path}: {p}" for p in tab.evaluate(TABLE_NAMES_OUT_OF_VIEW)]
        problems += [f"{path}: {p}" for p in wraps.evaluate_all(_SQUEEZED)]
    assert tab.evaluate(_WIDTH) <= NARROW["width"]
    assert not problems, "\n".join(problems)
