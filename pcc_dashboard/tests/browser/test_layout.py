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


# Issue 18: the PDG's outcomes, a meeting's pack and the Panel report; wide tables scroll inside
# their own region, so the page itself never does.
PAPERS = [
    ("pdg", "/snapshots/2014-11-30/outcomes/?crime_group=Theft+offences"),
    ("panel", "/meetings/{panel}/"),
    ("panel", "/meetings/{panel}/report/"),
]


def _panel_meeting_path(site, path: str) -> str:
    if "{panel}" not in path:
        return path
    out = site.manage(
        "shell",
        "-c",
        "from reports.models import Meeting; print('ID=%s' % Meeting.objects.get(board__is_panel=True, date='2014-12-03').pk)",
    )
    return path.format(panel=out.split("ID=", 1)[1].strip())


@pytest.mark.parametrize(("role", "path"), PAPERS)
def test_papers_do_not_scroll_sideways_at_320px(page_as, site, role, path):
    if not site.has_demo:
        pytest.skip("needs the demo's snapshots and meetings")
    tab = page_as(role)
    tab.set_viewport_size(NARROW)
    tab.goto(site.url(_panel_meeting_path(site, path)))
    size = _overflow(tab)
    assert size["scroll"] <= size["client"], f"{path} is {size['scroll']}px wide in a {size['client']}px window"
