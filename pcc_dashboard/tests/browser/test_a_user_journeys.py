"""The users' journeys on the data `make run` builds, in a real browser, each page at 1,280 and 320 px.

The suite's site is set up with the Makefile's commands in the Makefile's order (conftest.py). The
demo's last quarter (January to March 2015) is partly in: Blaby's return is missing. A CSP lead
sends it, truthfully (re-offending rates with a numerator and a denominator, no respondents); the
co-ordinator finds it by state in the tracker, accepts it, freezes April 2015 after confirming,
opens the next Panel meeting (20 May 2015, data as at 30 April 2015) and follows it to the thematic
report and its PDF; a PDG attendee follows a PDG meeting to the crime outcomes.

The file name makes it the first browser test to change data (pytest runs files in name order and
the browser suite runs without random order): it walks the demo exactly as `make run` leaves it,
before other tests send returns for later periods and so move the working date.
"""

import csv
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

QUARTER = ("2015-01-01", "2015-03-31")
WIDTHS = (1280, 320)


def _at_both_widths(tab, axe_check) -> None:
    """axe-core finds nothing at desktop width and at 320 px (WCAG 1.4.10 reflow), then back."""
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        axe_check(tab)
    tab.set_viewport_size({"width": WIDTHS[0], "height": 900})


def _truthful(template: str) -> bytes:
    """Every row of the template filled as a partnership would: counts, and rates from their parts."""
    rows = list(csv.DictReader(io.StringIO(template.lstrip("\ufeff"))))
    assert rows, "the template has no rows to fill"
    parts = {"adult_reoffending_rate": (31, 124), "youth_reoffending_rate": (9, 27)}
    for row in rows:
        if row["measure_code"] in parts:
            numerator, denominator = parts[row["measure_code"]]
            row.update(
                value=f"{100 * numerator / denominator:.1f}", numerator=str(numerator), denominator=str(denominator)
            )
        else:
            row["value"] = "11"
        assert row["respondents"] == ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_csp_lead_then_coordinator_then_panel_report_then_pdg(page_as, site, axe_check):
    if not site.has_demo:
        pytest.skip("needs make run's demo data")
    code = site.users["csp_submitter"]["submitter"]
    assert code == "csp-blaby"

    # The CSP lead: their returns page shows the missing quarter with its due date.
    lead = page_as("csp_submitter")
    lead.goto(site.url("/"))
    lead.get_by_role("link", name="Returns", exact=True).first.click()
    lead.wait_for_load_state()
    row = lead.locator("tr", has_text="Q4 2014/15")
    assert "Missing" in row.inner_text() and "14 April 2015" in row.inner_text()
    _at_both_widths(lead, axe_check)
    with lead.expect_download() as download:
        row.locator(f"a[href$='/{QUARTER[0]}/{QUARTER[1]}/template.csv']").click()
    template = Path(download.value.path()).read_text(encoding="utf-8")

    lead.get_by_role("button", name="Upload a return").click()
    lead.wait_for_load_state()
    lead.select_option("select[name=period]", f"{QUARTER[0]}:{QUARTER[1]}")
    lead.set_input_files(
        "input[type=file]", files=[{"name": "blaby-q4.csv", "mimeType": "text/csv", "buffer": _truthful(template)}]
    )
    lead.get_by_role("button", name="Upload and check").click()
    lead.wait_for_selector("text=Version 1 uploaded", timeout=60000)
    assert "awaiting decision" in lead.inner_text("main").lower()
    _at_both_widths(lead, axe_check)
    lead.goto(site.url("/returns/"))
    row = lead.locator("tr", has_text="Q4 2014/15").first
    assert "Awaiting decision" in row.inner_text() and "14 April 2015" in row.inner_text()

    # The co-ordinator finds it by state in the tracker and accepts it.
    office = page_as("coordinator")
    office.goto(site.url("/"))
    office.get_by_role("link", name="Tracker", exact=True).click()
    office.wait_for_load_state()
    office.select_option("#filter-state", "awaiting_decision")
    office.get_by_role("button", name="Show returns").click()
    office.wait_for_load_state()
    _at_both_widths(office, axe_check)
    blaby = office.locator("tr", has_text="Blaby")
    assert "Awaiting decision" in blaby.inner_text() and "Late" in blaby.inner_text()
    blaby.get_by_role("link", name=re.compile(r"^Version 1")).click()
    office.wait_for_load_state()
    _at_both_widths(office, axe_check)
    office.get_by_role("button", name="Accept version 1").click()
    office.wait_for_selector("text=Version 1 accepted", timeout=60000)
    assert "This version is the current accepted data" in office.inner_text("main")

    # It freezes April 2015, after a confirmation that says what will happen.
    office.get_by_role("link", name="Snapshots", exact=True).click()
    office.wait_for_load_state()
    office.select_option("select[name=as_of]", "2015-04-30")
    office.get_by_role("button", name="Freeze this month").click()
    office.wait_for_load_state()
    confirmation = office.inner_text("main")
    assert "Freeze data as at 30 April 2015?" in confirmation and "cannot be changed or undone" in confirmation
    _at_both_widths(office, axe_check)
    office.get_by_role("button", name="Freeze data as at 30 April 2015").click()
    office.wait_for_selector("text=Froze data as at 30 April 2015", timeout=180000)

    # The next Panel meeting leads to its thematic report and the PDF.
    office.get_by_role("link", name="Meetings", exact=True).click()
    office.wait_for_load_state()
    panel = office.locator("section", has=office.get_by_role("heading", name="Police and Crime Panel"))
    upcoming = panel.locator("table", has_text="Upcoming meetings")
    assert "20 May 2015" in upcoming.inner_text()
    upcoming.get_by_role("link", name="20 May 2015").click()
    office.wait_for_load_state()
    _at_both_widths(office, axe_check)
    office.get_by_role("link", name="Thematic report for this meeting").click()
    office.wait_for_load_state()
    assert "30 April 2015" in office.inner_text("body")
    _at_both_widths(office, axe_check)
    office.go_back()
    with office.expect_download() as download:
        office.get_by_role("link", name=re.compile("^PDF")).click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    # A PDG attendee follows the PDG's meeting to the crime outcomes for its snapshot.
    pdg = page_as("pdg")
    pdg.goto(site.url("/"))
    pdg.get_by_role("link", name="Meetings", exact=True).click()
    pdg.wait_for_load_state()
    group = pdg.locator("section", has=pdg.get_by_role("heading", name="Performance Delivery Group"))
    group.get_by_role("link", name="15 April 2015").click()
    pdg.wait_for_load_state()
    _at_both_widths(pdg, axe_check)
    pdg.get_by_role("link", name="Crime outcomes and audit findings for this meeting").click()
    pdg.wait_for_load_state()
    assert "31 March 2015" in pdg.inner_text("body")
    _at_both_widths(pdg, axe_check)
