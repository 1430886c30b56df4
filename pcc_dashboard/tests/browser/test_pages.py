"""Every page, for a role that can see it: axe-core finds nothing, and charts match their downloads."""

import csv
import io
import json
import re

import pytest

pytestmark = pytest.mark.browser

# What the seeded database holds, found once: the latest snapshot, a measure with a chart, a Panel
# meeting and a PDG meeting that have frozen snapshots by their date, and a CSP return period.
_DISCOVER = """
import json
from datetime import date
from reports.models import Meeting, Snapshot
from returns.models import Return
latest = Snapshot.objects.order_by("-as_of").first()
def meeting(**kw):
    m = Meeting.objects.filter(date__gt=Snapshot.objects.order_by("as_of").first().as_of, date__lte=date(2015, 4, 30), **kw).order_by("-date").first()
    return m.pk if m else None
ret = Return.objects.filter(submitter__kind="csp").select_related("submitter", "period").order_by("-period__end").first()
print("FOUND=" + json.dumps({
    "as_of": latest.as_of.isoformat() if latest else None,
    "panel_meeting": meeting(board__is_panel=True),
    "pdg_meeting": meeting(board__audience_role="pdg"),
    "csp_history": f"/returns/{ret.submitter.code}/{ret.period.start}/{ret.period.end}/" if ret else None,
}))
"""


@pytest.fixture(scope="module")
def found(site):
    if not site.has_demo:
        pytest.skip("seed_demo is not available, so there are no snapshots or meetings to show")
    return json.loads(site.manage("shell", "-c", _DISCOVER).split("FOUND=", 1)[1])


def _measure_with_chart(page, site, as_of: str) -> str:
    """The first measure page linked from the overview with a chart that has figures."""
    page.goto(site.url(f"/snapshots/{as_of}/"))
    links = page.eval_on_selector_all(
        "main a[href*='/measures/']", "els => [...new Set(els.map(e => e.getAttribute('href')))]"
    )
    for href in links:
        page.goto(site.url(href))
        if page.locator(".app-chart:has(table tbody tr)").count():
            return href
    raise AssertionError("no measure page with a chart is linked from the overview")


def _same_cell(shown: str, downloaded: str) -> bool:
    """Equal text, or equal numbers once the page's formatting (1,234 / 12.5% / £8m) is removed."""
    shown, downloaded = shown.strip(), downloaded.strip()
    if shown == downloaded:
        return True
    try:
        a, b = (float(re.sub(r"[,%£\s]", "", cell)) for cell in (shown, downloaded))
    except ValueError:
        return False
    return a == pytest.approx(b, rel=0.01, abs=0.051)


@pytest.mark.parametrize("role", ["coordinator", "panel", "pdg"])
def test_snapshot_overview_has_no_axe_violations(page_as, site, axe_check, found, role):
    axe_check(page_as(role), site.url(f"/snapshots/{found['as_of']}/"))


def test_snapshot_list_and_meetings_have_no_axe_violations(page_as, site, axe_check, found):
    tab = page_as("coordinator")
    for path in ["/snapshots/", "/meetings/"]:
        axe_check(tab, site.url(path))


def test_measure_page_draws_chart_and_table_matches_csv(page_as, site, axe_check, found):
    tab = page_as("coordinator")
    href = _measure_with_chart(tab, site, found["as_of"])
    tab.wait_for_selector(".app-chart[data-chart-drawn] .js-plotly-plot", timeout=20000)
    axe_check(tab)
    chart = tab.locator(".app-chart:has(table tbody tr)").first
    assert chart.locator(".js-plotly-plot .main-svg").count() > 0, "plotly did not draw the chart"
    # The table sits in a closed "Show as table" details element, so read text content, not rendered text.
    header = [cell.strip() for cell in chart.locator("table thead th").all_text_contents()]
    rows = [row.locator("th, td").all_text_contents() for row in chart.locator("table tbody tr").all()]
    assert rows, "the chart has no data table"
    csv_href = chart.locator("a", has_text="CSV").get_attribute("href")
    response = tab.request.get(site.url(csv_href))
    assert response.status == 200, href
    assert "text/csv" in response.headers["content-type"]
    records = list(csv.reader(io.StringIO(response.text())))
    # The CSV may open with a preamble naming the snapshot; the table's header row starts the data.
    starts = [i for i, record in enumerate(records) if [c.strip() for c in record[: len(header)]] == header]
    assert starts, f"the CSV has no row matching the table header {header}"
    data = [record for record in records[starts[0] + 1 :] if any(cell.strip() for cell in record)]
    assert len(data) == len(rows), f"table has {len(rows)} rows, CSV has {len(data)}"

    for shown, downloaded in zip(rows, data, strict=True):
        for a, b in zip(shown, downloaded, strict=False):
            assert _same_cell(a, b), f"table row {shown} differs from CSV row {downloaded}"


def test_meeting_pack_has_no_axe_violations(page_as, site, axe_check, found):
    if not found["pdg_meeting"]:
        pytest.skip("no PDG meeting in the demo data")
    tab = page_as("pdg")
    axe_check(tab, site.url(f"/meetings/{found['pdg_meeting']}/"))
    assert "Meeting on" in tab.inner_text("h1")


def test_panel_report_and_its_pdf(page_as, site, axe_check, found):
    assert found["panel_meeting"], "the demo data has no Panel meeting"
    tab = page_as("panel")
    axe_check(tab, site.url(f"/meetings/{found['panel_meeting']}/report/"))
    assert "Thematic report" in tab.inner_text("h1")
    with tab.expect_download() as download_info:
        tab.get_by_role("link", name="Download this report as a PDF").click()
    pdf = download_info.value
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert pdf.suggested_filename.endswith(".pdf")


def test_panel_report_refused_to_pdg(page_as, site, found):
    response = page_as("pdg").goto(site.url(f"/meetings/{found['panel_meeting']}/report/"))
    assert response.status == 403


def test_pdg_outcomes_has_no_axe_violations(page_as, site, axe_check, found):
    tab = page_as("pdg")
    axe_check(tab, site.url(f"/snapshots/{found['as_of']}/outcomes/"))


def test_public_page_for_anonymous_visitor(page, site, axe_check, found):
    axe_check(page, site.url("/public/"))


@pytest.mark.parametrize("path", ["/returns/tracker/", "/returns/audit/", "/returns/", "/returns/upload/"])
def test_coordinator_returns_pages_have_no_axe_violations(page_as, site, axe_check, found, path):
    axe_check(page_as("coordinator"), site.url(path))


def test_return_history_has_no_axe_violations(page_as, site, axe_check, found):
    if not found["csp_history"]:
        pytest.skip("no CSP return in the demo data")
    axe_check(page_as("coordinator"), site.url(found["csp_history"]))


def test_csp_lead_returns_page_has_no_axe_violations(page_as, site, axe_check, found):
    axe_check(page_as("csp_submitter"), site.url("/returns/"))


def test_upload_error_state_has_no_axe_violations(page_as, site, axe_check, found):
    tab = page_as("csp_submitter")
    tab.goto(site.url("/returns/upload/"))
    tab.set_input_files(
        "input[type=file]",
        files=[{"name": "not-a-return.csv", "mimeType": "text/csv", "buffer": b"this,is\nnot,a return\n"}],
    )
    tab.get_by_role("button", name="Upload and check").click()
    # upload.js sends the form with XMLHttpRequest and writes the answer into the page.
    summary = tab.wait_for_selector(".govuk-error-summary", timeout=30000)
    assert "There is a problem with not-a-return.csv" in summary.inner_text()
    assert "Nothing has been saved" in summary.inner_text()
    axe_check(tab)
