"""At 320 CSS px (WCAG 1.4.10 reflow): no page scrolls sideways, wide tables scroll in a focusable
labelled region, chart text stays inside its chart, and a failed upload puts focus on the error summary."""

import pytest

from pcc_dashboard.tests.browser.test_pages import _measure_with_chart, found  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

# Pages each role sees, found from the seeded data ({as_of}, {panel}, {pdg} filled in per test).
COORDINATOR_PAGES = [
    "/snapshots/",
    "/meetings/",
    "/meetings/{panel}/",
    "/meetings/{pdg}/",
    "/snapshots/{as_of}/",
    "/returns/",
    "/returns/tracker/",
    "/returns/audit/",
    "/returns/upload/",
]

_WIDTH = "() => document.documentElement.scrollWidth"
# For the failure message: the innermost elements that stick out past the window's right edge.
_WIDE = """() => [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > 321
  && ![...el.children].some(c => c.getBoundingClientRect().right > 321) && !el.closest('.app-table-wrap'))
  .slice(0, 5).map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40))"""

# Every table sits in a scrolling region that takes focus and has a name.
_TABLES_OUTSIDE_REGIONS = """() => [...document.querySelectorAll('main table')].filter(t => {
  const wrap = t.closest('.app-table-wrap');
  return !wrap || wrap.getAttribute('tabindex') !== '0' || wrap.getAttribute('role') !== 'region'
    || !wrap.getAttribute('aria-label');
}).map(t => (t.caption ? t.caption.textContent : t.outerHTML.slice(0, 80)).trim())"""

# Text a chart draws that lies outside its SVG (axis titles, tick labels, legend, value labels).
_CHART_TEXT_OUTSIDE = """() => {
  const out = [];
  for (const plot of document.querySelectorAll('.app-chart .js-plotly-plot')) {
    const svgs = plot.querySelectorAll('svg.main-svg');
    const box = svgs[0].getBoundingClientRect();
    for (const svg of svgs) for (const text of svg.querySelectorAll('text')) {
      const r = text.getBoundingClientRect();
      if (!text.textContent.trim() || r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        out.push(text.textContent.trim() + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round));
      }
    }
  }
  return out;
}"""

# The legend's box overlapping an axis title or tick label.
_LEGEND_OVERLAPS = """() => {
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const out = [];
  for (const plot of document.querySelectorAll('.app-chart .js-plotly-plot')) {
    const legend = plot.querySelector('.legend .bg');
    if (!legend) continue;
    const l = legend.getBoundingClientRect();
    for (const text of plot.querySelectorAll('.xtitle, .ytitle, .xtick text, .ytick text')) {
      if (hit(l, text.getBoundingClientRect())) out.push(text.textContent.trim());
    }
  }
  return out;
}"""


def _fill(path: str, found: dict) -> str:  # noqa: F811 - `found` is the fixture's value here
    return path.format(as_of=found["as_of"], panel=found["panel_meeting"], pdg=found["pdg_meeting"])


def assert_reflows(tab, what: str) -> None:
    width = tab.evaluate(_WIDTH)
    assert width <= NARROW["width"], (
        f"{what} is {width}px wide at 320px: the page scrolls sideways: {tab.evaluate(_WIDE)}"
    )
    assert tab.evaluate(_TABLES_OUTSIDE_REGIONS) == [], f"{what} has a table outside a focusable labelled region"


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_coordinator_page_reflows_at_320px(page_as, site, found, path):  # noqa: F811
    tab = page_as("coordinator")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(_fill(path, found)))
    assert_reflows(tab, path)


def test_changes_since_previous_meeting_reflow_at_320px(page_as, site, found, axe_check):  # noqa: F811
    tab = page_as("coordinator")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(_fill("/meetings/{panel}/", found)))
    tab.get_by_role("link", name="Changes since the previous meeting of this board").click()
    tab.wait_for_load_state()
    assert "What changed" in tab.inner_text("h1")
    assert_reflows(tab, tab.url)
    axe_check(tab)


def test_panel_report_with_its_digest_reflows_at_320px(page_as, site, found):  # noqa: F811
    tab = page_as("panel")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(_fill("/meetings/{panel}/report/", found)))
    digest = tab.locator("main p", has_text="snapshot digest").locator(".app-snapshot-banner__digest")
    assert len(digest.inner_text().strip()) == 64
    assert tab.evaluate(_WIDTH) <= NARROW["width"]


def test_snapshot_publish_buttons_reachable_at_320px(page_as, site, found):  # noqa: F811
    tab = page_as("coordinator")
    tab.set_viewport_size(NARROW)
    tab.goto(site.url("/snapshots/"))
    region = tab.locator(".app-table-wrap", has=tab.locator("table")).first
    region.focus()
    assert tab.evaluate("document.activeElement.getAttribute('role')") == "region"
    # The focus ring is the GOV.UK pair: a black outline with the yellow around it, never yellow alone.
    ring = tab.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, s.boxShadow]; })()"
    )
    assert ring[0] == "solid" and ring[1] == "rgb(11, 12, 12)" and "rgb(255, 221, 0)" in ring[2], ring


def test_measure_page_charts_fit_at_320px(page_as, site, found, axe_check):  # noqa: F811
    tab = page_as("coordinator")
    href = _measure_with_chart(tab, site, found["as_of"])
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(href))
    tab.wait_for_selector(".app-chart[data-chart-drawn] .js-plotly-plot", timeout=20000)
    tab.wait_for_timeout(500)  # responsive charts redraw once to the container's width
    assert_reflows(tab, href)
    assert tab.evaluate(_CHART_TEXT_OUTSIDE) == [], href
    assert tab.evaluate(_LEGEND_OVERLAPS) == [], href
    axe_check(tab)


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


def test_failed_upload_focuses_error_summary_at_320px(page_as, site, found, axe_check):  # noqa: F811
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
    # The service navigation is started too: collapsed behind its Menu button at this width.
    assert tab.locator(".govuk-service-navigation__toggle").is_visible()
    assert not tab.locator("#navigation").is_visible()
    assert_reflows(tab, "the failed upload")
    axe_check(tab)
