"""Thematic Panel report: theme rotation, content from the snapshot, determinism, PDF."""

import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcc_dashboard.roles import COORDINATOR, PANEL, PDG
from priorities.models import Measure, Theme
from reports.models import Board, Commentary, Meeting
from reports.report_pages import panel_theme
from reports.tests.factories import snapshot_make
from reports.tests.paper import last_page_remainders


@pytest.fixture
def panel_board(plan):
    return Board.objects.create(
        name="Police and Crime Panel", slug="panel", audience_role=PANEL, frequency="Quarterly", is_panel=True
    )


@pytest.fixture
def meeting(panel_board):
    """A Panel meeting on 9 June 2014 (sees 31 May 2014) whose theme is Safer Communities."""
    return Meeting.objects.create(board=panel_board, date=date(2014, 6, 9), theme_override=Theme.objects.get(number=3))


@pytest.fixture
def snapshot(plan):
    return snapshot_make(as_of=date(2014, 5, 31), published=False)


def test_theme_rotates_by_panel_meeting_order(panel_board, settings):
    settings.PANEL_THEME_ROTATION = [2, 4, 1, 3]
    other = Board.objects.create(name="PDG", slug="pdg", audience_role=PDG, frequency="Monthly")
    Meeting.objects.create(board=other, date=date(2014, 1, 5))  # not a Panel meeting: not counted
    meetings = [Meeting.objects.create(board=panel_board, date=date(2014, m, 10)) for m in (2, 4, 6, 8, 10)]
    assert [panel_theme(m).number for m in meetings] == [2, 4, 1, 3, 2]


def test_theme_override_wins(panel_board):
    meeting = Meeting.objects.create(
        board=panel_board, date=date(2014, 2, 10), theme_override=Theme.objects.get(number=4)
    )
    assert panel_theme(meeting).number == 4


def test_report_shows_theme_from_meeting_snapshot(client_for, meeting, snapshot):
    Commentary.objects.create(
        snapshot=snapshot, theme=Theme.objects.get(number=3), text="Burglary fell after Operation X."
    )
    Commentary.objects.create(
        snapshot=snapshot, measure=Measure.objects.get(code="all_crime"), text="All crime context."
    )
    response = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Making Communities and Neighbourhoods Safer" in html
    assert "Data as at 31 May 2014" in html
    assert snapshot.digest in html
    for title in ("All crime", "Burglary dwelling"):
        assert title.lower() in html.lower()
    assert "All crime: figures to May 2014 show common cause variation." in html
    assert "Burglary fell after Operation X." in html and "All crime context." in html
    assert "Partnership work on SP10 this quarter." in html
    assert "Partnership work on SP5 this quarter." not in html  # another theme's narrative
    assert "Data quality caveats" in html
    assert "Most Similar Group" in html
    assert f'@bottom-left {{ content: "Data as at 31 May 2014 · digest {snapshot.digest[:16]}"' in html


def test_report_hides_restricted_measures_from_panel(client_for, panel_board, snapshot):
    meeting = Meeting.objects.create(
        board=panel_board, date=date(2014, 6, 9), theme_override=Theme.objects.get(number=4)
    )
    title = Measure.objects.get(code="marac_referrals").title
    assert title not in client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode()
    # A paper is made for its audience: the co-ordinator's copy is the Panel's.
    assert title not in client_for(COORDINATOR).get(f"/meetings/{meeting.pk}/report/").content.decode()


def test_report_says_when_snapshot_not_frozen(client_for, meeting):
    response = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/")
    assert response.status_code == 200
    assert "has not been frozen yet" in response.content.decode()


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_report_is_deterministic(client_for, meeting, snapshot):
    client = client_for(COORDINATOR)
    first = client.get(f"/meetings/{meeting.pk}/report/").content.decode()
    second = client.get(f"/meetings/{meeting.pk}/report/").content.decode()
    assert _without_csrf(first) == _without_csrf(second)


def test_report_permissions(client, client_for, meeting, snapshot):
    url = f"/meetings/{meeting.pk}/report/"
    assert client.get(url).status_code == 302
    assert client_for(PDG).get(url).status_code == 403
    other = Board.objects.create(
        name="Strategic Assurance Board", slug="sab", audience_role=COORDINATOR, frequency="Monthly"
    )
    not_panel = Meeting.objects.create(board=other, date=date(2014, 6, 9))
    assert client_for(COORDINATOR).get(f"/meetings/{not_panel.pk}/report/").status_code == 404


def test_report_query_count_bounded(client_for, meeting, snapshot):
    client = client_for(PANEL)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/meetings/{meeting.pk}/report/").status_code == 200
    assert len(queries) <= 20, [q["sql"] for q in queries]


def test_report_pdf_downloads_with_theme_measures(client_for, meeting, snapshot, monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    import reports.pdf

    asked, fetch = [], reports.pdf.static_file
    monkeypatch.setattr(reports.pdf, "static_file", lambda url: asked.append(url) or fetch(url))
    response = client_for(PANEL).get(f"/meetings/{meeting.pk}/report.pdf")
    assert response.status_code == 200
    assert asked == ["http://pdf.invalid/static/css/print.css"]  # not the screen stylesheet
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    text = " ".join(" ".join(pages).split())
    for code in ("all_crime", "burglary_dwelling", "violence_with_injury"):
        assert Measure.objects.get(code=code).title in text
    # The snapshot and digest on every page (running footer).
    assert all(f"digest {snapshot.digest[:16]}" in " ".join(page.split()) for page in pages)


def test_report_pdf_permission(client_for, meeting, snapshot):
    assert client_for(PDG).get(f"/meetings/{meeting.pk}/report.pdf").status_code == 403


def test_report_links_the_coordinator_to_the_context_forms(make_user, meeting, snapshot):
    from django.test import Client

    url = f"/meetings/{meeting.pk}/report/"
    theme_form = reverse("commentary_theme", args=["2014-05-31", 3])
    measure_form = reverse("commentary_measure", args=["2014-05-31", "all_crime"])
    coordinator, panel = Client(), Client()
    coordinator.force_login(make_user(COORDINATOR))
    panel.force_login(make_user(PANEL))
    page = coordinator.get(url).text
    assert theme_form in page and measure_form in page and "Write the context for this theme" in page
    assert theme_form not in panel.get(url).text and measure_form not in panel.get(url).text


def test_report_and_measure_page_give_the_one_msg_verdict(client_for, meeting, snapshot):
    """The frozen verdict (above the average, inside the band: similar) reads the
    same in the Panel report, the measure page's summary list, the MSG chart summary and its table."""
    verdict = "above the group average but inside the band, so in line with similar forces"
    report = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode()
    page = client_for(COORDINATOR).get(reverse("measure_detail", args=["2014-05-31", "all_crime"])).content.decode()
    assert verdict in report
    assert verdict[0].upper() + verdict[1:] in page  # the summary list row
    assert f"(1 = lowest rate): {verdict}." in page  # the chart summary
    assert '<td class="govuk-table__cell">above the group average but inside the band</td>' in page
    for html in (report, page):
        assert "above the band" not in html and "compared with peers" not in html


def _cover_rows(html: str) -> dict[str, str]:
    """The cover table as {measure title: the row's text}, as a reader sees it."""
    table = html[html.index('id="cover-heading"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for row in table.split("<tr")[2:]:
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.split(r"<t[hd]\b", row)[1:]]
        cells = [c.removeprefix('scope="row" ').split(">", 1)[-1].strip() for c in cells]
        rows[cells[0]] = " | ".join(cells[1:])
    return rows


@pytest.fixture
def changed_since_march(panel_board):
    """The Panel met on 12 March 2014 (data to February); by May burglary shows special cause of concern."""
    Meeting.objects.create(board=panel_board, date=date(2014, 3, 12))
    snapshot_make(as_of=date(2014, 2, 28))

    def burglary_concern(made):
        if made["measure"]["code"] == "burglary_dwelling":
            made["status"] = {**made["status"], "variation": "concern", "tone": "concern"}
            last = made["trend"]["points"][-1]
            last["value"] = (last.get("mean") or 0) + 1000  # high: the icon reads H

    return snapshot_make(as_of=date(2014, 5, 31), payload_hook=burglary_concern)


def test_report_cover_lists_every_measure_with_variation_msg_and_change(client_for, meeting, changed_since_march):
    html = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode()
    rows = _cover_rows(html)
    theme_titles = set(
        Measure.objects.filter(priorities__theme__number=3, restricted=False).values_list("title", flat=True)
    )
    assert set(rows) == theme_titles
    burglary = rows["Burglary dwelling"]
    assert "Concern" in burglary and "Changed: was common cause variation, in line with similar forces" in burglary
    assert ">H</text>" in html  # the MDC icon's letter; the word beside it says what it means
    crime = rows["All crime"]
    assert "Common cause variation" in crime and "No change" in crime
    assert "Above the group average but inside the band, so in line with similar forces" in crime
    assert "All crime: figures to May 2014 show common cause variation." in crime
    assert "compares with the data the board saw on 12 March 2014" in html


def test_report_cover_exceptions_only(client_for, meeting, changed_since_march):
    html = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/", {"show": "exceptions"}).content.decode()
    assert list(_cover_rows(html)) == ["Burglary dwelling"]
    assert "1 of 5 measures shows special cause variation or a changed status." in html
    assert "Show every measure" in html


def test_meeting_pack_cover_and_exceptions(client_for, meeting, changed_since_march):
    url = reverse("meeting_detail", args=[meeting.pk])
    every = _cover_rows(client_for(PANEL).get(url).content.decode())
    assert "All crime" in every and "Changed: was common cause variation" in every["Burglary dwelling"]
    exceptions = _cover_rows(client_for(PANEL).get(url, {"show": "exceptions"}).content.decode())
    assert list(exceptions) == ["Burglary dwelling"]


def _pdf_pages(client, meeting) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    response = client.get(f"/meetings/{meeting.pk}/report.pdf")
    assert response.status_code == 200
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(response.content)).pages]


def test_report_pdf_reads_as_a_paper(client_for, meeting, snapshot):
    """A cover that lists every measure, a chart for every measure, words not codes, short figures."""
    pages = _pdf_pages(client_for(PANEL), meeting)
    text = " ".join(pages)
    titles = list(
        Measure.objects.filter(priorities__theme__number=3, restricted=False).values_list("title", flat=True)
    )
    # The cover, on page 1: every measure of the theme with its variation and MSG position.
    for title in titles:
        assert title in pages[0], title
    assert pages[0].count("Common cause variation") == len(titles)
    assert "Above the group average but inside the band, so in line with similar forces" in pages[0]
    # A chart (drawn on the server as SVG, its axis titles are text) for every measure with figures.
    assert text.count("Period ending") == len(titles)  # the trend chart's x axis
    assert text.count("Rate per 1,000 population") >= len(titles)  # the MSG chart's x axis
    # People's words: no stored codes, no GSS area codes, no four-decimal figures.
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.search(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"\bE\d{8}\b", text)
    assert not re.search(r"\d\.\d{4}", text), re.search(r".{30}\d\.\d{4}.{10}", text)


def test_report_pdf_is_the_same_for_the_same_snapshot(client_for, meeting, snapshot):
    client = client_for(PANEL)
    assert _pdf_pages(client, meeting) == _pdf_pages(client, meeting)


def test_report_tables_are_short_and_in_words(client_for, meeting, snapshot):
    html = client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode()
    tables = re.findall(r'<table class="govuk-table app-chart__table">(.*?)</table>', html, re.S)
    assert tables
    for table in tables:
        head, body = table.split("</thead>")
        assert len(re.findall(r"<th\b", head)) <= 6
        assert body.count("<tr") <= 13


def test_narratives_latest_quarter_first_and_identical_words_once():
    from reports.report_pages import narrative_groups

    words = "Joint patrols in the town centre continued."
    items = [
        {"submitter": "Blaby CSP", "period_start": "2014-01-01", "period_end": "2014-03-31", "text": words},
        {"submitter": "Blaby CSP", "period_start": "2014-04-01", "period_end": "2014-06-30", "text": words},
        {"submitter": "Melton CSP", "period_start": "2014-04-01", "period_end": "2014-06-30", "text": words},
        {"submitter": "Melton CSP", "period_start": "2014-01-01", "period_end": "2014-03-31", "text": "Other."},
    ]
    groups = narrative_groups(items)
    assert [g["period"] for g in groups] == ["April to June 2014", "January to March 2014"]
    [latest] = groups[0]["entries"]
    assert latest["submitters"] == ["Blaby CSP", "Melton CSP"]
    assert latest["periods"] == ["April to June 2014", "January to March 2014"]
    assert [e["text"] for e in groups[1]["entries"]] == ["Other."]


def test_report_exceptions_paper_keeps_only_the_exceptions(client_for, meeting, changed_since_march):
    client = client_for(PANEL)
    page = client.get(f"/meetings/{meeting.pk}/report/", {"show": "exceptions"}).content.decode()
    # The page links its own PDF, and the full report's page links the exceptions.
    assert f'href="/meetings/{meeting.pk}/report.pdf?show=exceptions"' in page
    assert "Download the exceptions as a PDF" in page
    full = client.get(f"/meetings/{meeting.pk}/report/").content.decode()
    assert f'href="/meetings/{meeting.pk}/report/?show=exceptions"' in full
    # Only burglary (special cause of concern, changed since March) and its priority.
    assert page.count('class="app-report-measure"') == 1
    assert 'id="sp11"' in page and 'id="sp10"' not in page
    response = client.get(f"/meetings/{meeting.pk}/report.pdf", {"show": "exceptions"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-exceptions.pdf"')
    pypdf = pytest.importorskip("pypdf")
    pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(response.content)).pages]
    text = " ".join(pages)
    assert "Exceptions: measures with special cause variation or a changed status" in pages[0]
    assert "1 of 5 measures shows special cause variation or a changed status." in text
    assert "Burglary dwelling: trend with process limits" in text
    for other in ("All crime: trend", "Violence against the person with injury: trend"):
        assert other not in text
    assert len(pages) <= 3


def test_report_exceptions_pdf_last_page_always_has_some_of_the_report(client_for, meeting, changed_since_march,
                                                                        monkeypatch):  # fmt: skip
    """The closing licence line never stands alone on the last page, wherever the last break falls."""
    pytest.importorskip("pypdf")
    import reports.views.panel as views

    rendered = []
    monkeypatch.setattr(views, "html_to_pdf", lambda html: rendered.append(html) or b"%PDF")
    client_for(PANEL).get(f"/meetings/{meeting.pk}/report.pdf", {"show": "exceptions"})
    closing = [
        "Figures are as frozen at the snapshot; a later correction appears only in a later snapshot. "
        "Contains public sector information licensed under the Open Government Licence v3.0."
    ]
    remainders = last_page_remainders(rendered[0], closing=closing)
    assert all(remainders.values()), remainders


def _caveats_section(html: str) -> str:
    return html[html.index('id="caveats-heading"') : html.index("app-report-end")]


def test_report_exceptions_caveats_name_only_the_measures_shown(client_for, meeting, changed_since_march):
    Measure.objects.filter(code="all_crime").update(caveats="All crime excludes fraud.", caveats_from=None)
    Measure.objects.filter(code="burglary_dwelling").update(caveats="Burglary counts homes.", caveats_from=None)
    client = client_for(PANEL)
    caveats = _caveats_section(client.get(f"/meetings/{meeting.pk}/report/", {"show": "exceptions"}).content.decode())
    assert "Burglary counts homes." in caveats
    assert "All crime excludes fraud." not in caveats
    full = _caveats_section(client.get(f"/meetings/{meeting.pk}/report/").content.decode())
    assert "All crime excludes fraud." in full and "Burglary counts homes." in full


def test_report_leaves_out_a_caveat_dated_after_its_snapshot(client_for, meeting, snapshot):
    """The plan dates burglary's series-break caveat April 2017: a May 2014 report never shows it."""
    burglary = Measure.objects.get(code="burglary_dwelling")
    assert burglary.caveats_from == date(2017, 4, 1)
    caveats = _caveats_section(client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode())
    assert "residential burglary" not in caveats
    Measure.objects.filter(pk=burglary.pk).update(caveats_from=date(2014, 5, 1))
    caveats = _caveats_section(client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode())
    assert "residential burglary" in caveats
    Measure.objects.filter(pk=burglary.pk).update(caveats_from=None)  # a general caveat shows in every snapshot
    caveats = _caveats_section(client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode())
    assert "residential burglary" in caveats


def test_report_gives_each_caveat_text_once(client_for, meeting, snapshot):
    Measure.objects.filter(code="all_crime").update(caveats="Recorded by  the force.\n")
    Measure.objects.filter(code="burglary_dwelling").update(caveats="Recorded by the\nforce.", caveats_from=None)
    caveats = _caveats_section(client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode())
    assert caveats.count("Recorded by the force.") == 1
    assert "All crime, Burglary dwelling:" in caveats


def test_under_reported_measures_have_the_under_reporting_caveat_once(plan):
    """The paper adds the under-reporting note to every under-reported measure: its own caveat never repeats it."""
    for measure in Measure.objects.filter(under_reported=True):
        assert not measure.caveats.lower().startswith("under-reported"), measure.code


def test_report_pdf_cover_table_fits_the_printable_width(client_for, meeting, changed_since_march, monkeypatch):
    """The cover's status column once ran 8 mm into the right margin (its cells' padding came on top
    of their widths): no text of the paper may pass the right margin."""
    pytest.importorskip("weasyprint")
    import reports.views.panel as views
    from reports.tests.paper import text_past_right_margin

    rendered = []
    monkeypatch.setattr(views, "html_to_pdf", lambda html: rendered.append(html) or b"%PDF")
    client_for(PANEL).get(f"/meetings/{meeting.pk}/report.pdf")
    assert text_past_right_margin(rendered[0]) == []
