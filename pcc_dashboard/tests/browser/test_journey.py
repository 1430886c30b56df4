"""The co-ordinator's whole returns journey in a real browser, from template to two accepted versions."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


# The quarter after the demo's data (make run's seed_demo --to 2015-03): offered for upload, nothing in it yet.
NEXT_QUARTER = (date(2015, 4, 1), date(2015, 6, 30))


def filled(template: str, *, count: str, broken: bool = False) -> bytes:
    """The template with every row filled in (counts = `count`, percentages 25 of 100 people)."""
    rows = list(csv.DictReader(io.StringIO(template.lstrip("\ufeff"))))
    assert rows, "the template has no rows to fill"
    for row in rows:
        if "rate" in row["measure_code"]:
            row.update(value="25", numerator="25", denominator="100", respondents="100")
        else:
            row["value"] = count
    if broken:
        rows[0]["value"] = "fourteen"
        rows[1]["area_code"] = "E99999999"
        rows[2].update(numerator="150", denominator="100", value="150")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _upload(tab, history_url: str, name: str, body: bytes) -> None:
    tab.goto(history_url)
    tab.get_by_role("link", name="Upload a return for this period").click()
    tab.wait_for_load_state()
    tab.set_input_files("input[type=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": body}])
    tab.get_by_role("button", name="Upload and check").click()


def test_coordinator_returns_journey(page_as, site, axe_check):
    code = site.users["csp_submitter"]["submitter"]
    start, end = NEXT_QUARTER
    history_url = site.url(f"/returns/{code}/{start}/{end}/")
    tab = page_as("coordinator")

    # 1. Download the template from the period's history page.
    axe_check(tab, history_url)
    with tab.expect_download() as download_info:
        tab.get_by_role("link", name="CSV", exact=True).click()
    template = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert template.lstrip("\ufeff").startswith("measure_code,area_code,period_start,period_end,value")

    # 2. A broken copy: every problem is listed, nothing is saved.
    _upload(tab, history_url, "broken.csv", filled(template, count="14", broken=True))
    summary = tab.wait_for_selector(".govuk-error-summary", timeout=30000).inner_text()
    assert "There is a problem with broken.csv" in summary
    assert "Nothing has been saved" in summary
    problems = tab.inner_text("#problems")
    for expected in ["fourteen", "E99999999", "numerator is larger than the denominator"]:
        assert expected in problems or expected in summary, f"{expected!r} not reported:\n{problems}"
    axe_check(tab)

    # 3. The fixed file: preview of what changes, then accept.
    _upload(tab, history_url, "fixed.csv", filled(template, count="14"))
    tab.wait_for_selector("text=Version 1 uploaded", timeout=30000)
    assert "What this version changes" in tab.inner_text("main")
    axe_check(tab)
    tab.get_by_role("button", name="Accept version 1").click()
    tab.wait_for_selector("text=Version 1 accepted", timeout=30000)

    # 4. A corrected version: the preview shows the change, and it is accepted too.
    _upload(tab, history_url, "corrected.csv", filled(template, count="15"))
    tab.wait_for_selector("text=Version 2 uploaded", timeout=30000)
    changes = tab.inner_text("main")
    assert "14" in changes and "15" in changes
    tab.get_by_role("button", name="Accept version 2").click()
    tab.wait_for_selector("text=Version 2 accepted", timeout=30000)

    # 5. Both versions are in the history.
    tab.goto(history_url)
    history = tab.inner_text("main")
    assert "Version 1" in history and "Version 2" in history
    axe_check(tab)
