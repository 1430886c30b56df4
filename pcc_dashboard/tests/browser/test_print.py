"""The browser's print of the Panel report is the server's PDF: the cover on page 1, the same sections and charts."""

import io
import re

import pytest

pytestmark = pytest.mark.browser
pypdf = pytest.importorskip("pypdf")


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _panel_meeting(site) -> str:
    out = site.manage(
        "shell",
        "-c",
        "from reports.models import Meeting; print('ID=%s' % Meeting.objects.get(board__is_panel=True, date='2014-12-03').pk)",
    )
    return out.split("ID=", 1)[1].strip()


def test_browser_print_of_the_panel_report_matches_the_server_pdf(page_as, site):
    if not site.has_demo:
        pytest.skip("needs the demo's snapshots and meetings")
    meeting = _panel_meeting(site)
    tab = page_as("panel")
    tab.set_default_timeout(180_000)
    tab.goto(site.url(f"/meetings/{meeting}/report/"))
    headings = tab.eval_on_selector_all(
        "main h1, main h2, main h3, main h4", "els => els.filter(e => e.offsetParent !== null).map(e => e.innerText)"
    )
    printed = _pages(tab.pdf(format="A4"))
    served = _pages(tab.request.get(site.url(f"/meetings/{meeting}/report.pdf"), timeout=180_000).body())

    # The cover starts on page 1 in both.
    for pages in (printed, served):
        assert "At a glance: the status of every measure" in pages[0]
    printed_text, served_text = " ".join(printed), " ".join(served)
    # The same sections, measures and chart titles, in the same order.
    words = [" ".join(h.split()) for h in headings]
    assert len(words) > 10
    for text in (printed_text, served_text):
        found = [text.find(w) for w in words]
        assert -1 not in found, [w for w, f in zip(words, found) if f == -1]
    # The same charts (their axis titles are text in both) and tables.
    for marker in ("Period ending", "Rate per 1,000 population", "Figures for the latest"):
        assert printed_text.count(marker) == served_text.count(marker) > 0, marker
    # Nothing interactive on paper.
    assert "Download this report" not in printed_text and "Show exceptions only" not in printed_text
    assert len(printed) <= len(served) + 3, (len(printed), len(served))
    assert not re.search(r"\d\.\d{4}", printed_text)
