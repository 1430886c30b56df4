"""Charts match their downloads, and the Panel report and its PDF reach only the roles entitled to them.

Every page a role reaches by links is checked with axe-core by the walk in test_every_page.py."""

import csv
import datetime as dt
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
    """Equal text, the same date (in words on the page, ISO in the CSV), or equal numbers once the
    page's formatting (1,234 / 12.5% / £8m) is removed."""
    shown, downloaded = shown.strip(), downloaded.strip()
    if shown == downloaded:
        return True
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", downloaded):
        return shown == f"{dt.date.fromisoformat(downloaded):%-d %B %Y}"
    try:
        a, b = (float(re.sub(r"[,%£\s]", "", cell)) for cell in (shown, downloaded))
    except ValueError:
        return False
    return a == pytest.approx(b, rel=0.01, abs=0.051)


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
