"""Real-world files through the real upload view: the right figure stored, or a refusal
naming file, row, column and the fix with nothing written."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from pcc_dashboard.roles import COORDINATOR
from returns.models import AuditEvent, Observation, Return
from returns.parsing import TEMPLATE_COLUMNS
from returns.reference import period_for
from returns.tests.test_views import Q1, post_upload

pytestmark = pytest.mark.django_db

FORCE = "E23000021"
HEADER = list(TEMPLATE_COLUMNS)
Q4 = "2014-01-01:2014-03-31"


@pytest.fixture
def coordinator(client_for, plan):
    period_for(start=date(2014, 4, 1), end=date(2014, 6, 30))
    period_for(start=date(2014, 1, 1), end=date(2014, 3, 31))
    return client_for(COORDINATOR)


def stored(client, name: str, content: bytes, period: str = Q1) -> dict[tuple, tuple]:
    """Upload; it must be stored. (measure, area, start, end) → (value, numerator, denominator, respondents)."""
    response = post_upload(client, name, content, period=period)
    assert response.status_code == 302, _errors(response)
    ret = Return.objects.latest("uploaded_at")
    return {
        (o.measure.code, o.area.code, o.period_start, o.period_end): (
            o.value,
            o.numerator,
            o.denominator,
            o.respondents,
        )
        for o in Observation.objects.filter(source_return=ret).select_related("measure", "area")
    }


def refused(client, name: str, content: bytes, period: str = Q1) -> list[tuple]:
    """Upload; it must be refused with nothing written. The errors as (file, row, column, message)."""
    response = post_upload(client, name, content, period=period)
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    assert Return.objects.count() == 0 and Observation.objects.count() == 0
    event = AuditEvent.objects.get(action="upload_failed")
    return [
        (p["file"], p["row"], p["column"], p["message"]) for p in event.details["problems"] if p["severity"] == "error"
    ]


def _errors(response) -> str:
    outcome = response.context and response.context.get("outcome")
    return str(outcome.problems if outcome else response.content[:2000])


def csv_text(rows: list[list[object]], sep: str = ",") -> str:
    return "\r\n".join(sep.join("" if v is None else str(v) for v in row) for row in [HEADER, *rows]) + "\r\n"


def workbook(sheets: list[tuple[str, list[list[object]], str]], active: int = 0, edit=None) -> bytes:
    """sheets: (title, rows without header, state); edit(ws) may change a sheet before saving."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        ws.append(HEADER)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
        if edit:
            edit(ws)
    wb.active = active
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


APRIL = ["all_crime", FORCE, "2014-04-01", "2014-04-30", 120, None, None, None, None]
KEY = ("all_crime", FORCE, date(2014, 4, 1), date(2014, 4, 30))


# -- case 6: Excel traps -------------------------------------------------------------------------


def test_hidden_first_sheet_is_not_read(coordinator):
    stale = ["all_crime", FORCE, "2014-04-01", "2014-04-30", 999, None, None, None, None]
    raw = workbook([("Old", [stale], "hidden"), ("Return", [APRIL], "visible")], active=1)
    assert stored(coordinator, "r.xlsx", raw) == {KEY: (120.0, None, None, None)}
    assert not any("read sheet" in w["message"] for w in Return.objects.get().warnings)


def test_without_a_return_sheet_the_active_sheet_is_read_and_named(coordinator):
    stale = ["all_crime", FORCE, "2014-04-01", "2014-04-30", 999, None, None, None, None]
    raw = workbook(
        [("Sheet1", [stale], "hidden"), ("Notes", [stale], "visible"), ("Data", [APRIL], "visible")], active=2
    )
    assert stored(coordinator, "r.xlsx", raw) == {KEY: (120.0, None, None, None)}
    warnings = [w["message"] for w in Return.objects.get().warnings]
    assert "read sheet 'Data', the active sheet: the workbook has no visible sheet called 'Return'" in warnings
    page = coordinator.get(reverse("return_detail", args=[Return.objects.get().pk])).content.decode()
    assert "read sheet &#x27;Data&#x27;, the active sheet" in page


def test_only_hidden_sheets_refused_with_the_fix(coordinator):
    raw = workbook([("Return", [APRIL], "hidden"), ("Narrative", [], "visible")], active=1)
    assert refused(coordinator, "r.xlsx", raw) == [
        (
            "r.xlsx",
            None,
            None,
            "the workbook has no visible data sheet; unhide the sheet called 'Return' (right-click a sheet tab, "
            "Unhide), save and upload again",
        )
    ]


def test_percentage_formatted_cell_read_as_the_percentage_shown(coordinator):
    row = ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", 0.854, 854, 1000, 1000, None]

    def percent(ws):
        ws["E2"].number_format = "0.0%"

    got = stored(coordinator, "r.xlsx", workbook([("Return", [row], "visible")], edit=percent))
    assert got == {("victim_satisfaction", FORCE, date(2014, 4, 1), date(2014, 6, 30)): (85.4, 854.0, 1000.0, 1000)}


def test_formula_without_saved_result_named_with_the_fix(coordinator):
    # openpyxl saves formulas without a result, as many programs other than Excel do.
    row = ["all_crime", FORCE, "2014-04-01", "2014-04-30", "=SUM(100,20)", None, None, None, None]
    assert refused(coordinator, "calc.xlsx", workbook([("Return", [row], "visible")])) == [
        (
            "calc.xlsx",
            2,
            "value",
            "cell E2 has a formula but no saved result (the file was saved by a program that does not calculate); "
            "open it in Excel, let it calculate, save and upload again",
        )
    ]


# -- case 7: encodings and separators ---------------------------------------------------------------


def test_utf16_unicode_text_renamed_csv_is_read(coordinator):
    rows = [APRIL[:8] + ["£2m – côte"]]
    raw = csv_text(rows, sep="\t").encode("utf-16")  # Excel "Unicode Text": UTF-16 LE with BOM, tabs
    assert raw.startswith(b"\xff\xfe")
    assert stored(coordinator, "unicode.csv", raw) == {KEY: (120.0, None, None, None)}
    assert Observation.objects.get().comment == "£2m – côte"
    assert Return.objects.get().summary["encoding"] == "utf-16"


def test_semicolon_separated_csv_is_read(coordinator):
    row = ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "85.4", "854", "1000", "1000", "a, b"]
    got = stored(coordinator, "semi.csv", csv_text([row], sep=";").encode())
    assert got == {("victim_satisfaction", FORCE, date(2014, 4, 1), date(2014, 6, 30)): (85.4, 854.0, 1000.0, 1000)}


def test_semicolon_csv_with_a_decimal_comma_refused(coordinator):
    row = ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "85,4", "854", "1000", "1000", ""]
    assert refused(coordinator, "semi.csv", csv_text([row], sep=";").encode()) == [
        (
            "semi.csv",
            2,
            "value",
            "in a semicolon-separated file a comma may be a decimal comma; write the number with no thousands "
            "separator and a full stop for decimals (e.g. 1234.5)",
        )
    ]


# -- case 8: UK dates -----------------------------------------------------------------------------


def test_uk_day_first_dates_accepted(coordinator):
    rows = [
        ["all_crime", FORCE, "01/03/2014", "31/03/2014", 7, None, None, None, None],
        ["all_crime", FORCE, "1/2/2014", "28/02/2014", 8, None, None, None, None],
        ["marac_referrals", FORCE, "01/01/2014", "31/03/2014", 9, None, None, None, None],
    ]
    got = stored(coordinator, "uk.csv", csv_text(rows).encode(), period=Q4)
    assert got == {
        ("all_crime", FORCE, date(2014, 3, 1), date(2014, 3, 31)): (7.0, None, None, None),
        ("all_crime", FORCE, date(2014, 2, 1), date(2014, 2, 28)): (8.0, None, None, None),
        ("marac_referrals", FORCE, date(2014, 1, 1), date(2014, 3, 31)): (9.0, None, None, None),
    }


def test_ambiguous_and_impossible_dates_refused_with_the_accepted_forms(coordinator):
    rows = [
        ["all_crime", FORCE, "01/02/2014", "01/03/2014", 7, None, None, None, None],
        ["burglary_dwelling", FORCE, "01/02/2014", "30/02/2014", 7, None, None, None, None],
    ]
    forms = "write dates as 2014-03-31 (YYYY-MM-DD) or 31/03/2014 (DD/MM/YYYY, day first)"
    feb = "01/02/2014 is ambiguous: it could be 1 February 2014 or 2 January 2014; write it as 2014-02-01 or 2014-01-02 (YYYY-MM-DD)"
    assert refused(coordinator, "uk.csv", csv_text(rows).encode(), period=Q4) == [
        ("uk.csv", 2, "period_start", feb),
        (
            "uk.csv",
            2,
            "period_end",
            "01/03/2014 is ambiguous: it could be 1 March 2014 or 3 January 2014; write it as 2014-03-01 or "
            "2014-01-03 (YYYY-MM-DD)",
        ),
        ("uk.csv", 3, "period_start", feb),
        ("uk.csv", 3, "period_end", f"30/02/2014 is not a real date when read day first (DD/MM/YYYY); {forms}"),
    ]


def test_month_first_date_refused(coordinator):
    row = ["all_crime", FORCE, "03/01/2014", "03/31/2014", 7, None, None, None, None]
    errors = refused(coordinator, "us.csv", csv_text([row]).encode(), period=Q4)
    assert [(e[1], e[2]) for e in errors] == [(2, "period_start"), (2, "period_end")]
    assert errors[1][3].startswith("03/31/2014 is not a real date when read day first (DD/MM/YYYY)")


# -- case 9: numbers that disagree with themselves ---------------------------------------------------


def test_value_inconsistent_with_numerator_and_denominator_refused(coordinator):
    row = ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "33.3", "19", '"1,234"', "1234", ""]
    assert refused(coordinator, "r.csv", csv_text([row]).encode()) == [
        (
            "r.csv",
            2,
            "value",
            "value 33.3 does not match numerator ÷ denominator: 19 ÷ 1234 × 100 = 1.54; they must agree to within "
            "0.1 (one unit in the value's last decimal place): correct the value, numerator or denominator",
        )
    ]


def test_value_within_a_unit_of_its_last_place_accepted(coordinator):
    row = ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "33", "1", "3", "3", ""]
    assert stored(coordinator, "r.csv", csv_text([row]).encode())


def test_preview_shows_changed_numerator_denominator_respondents_and_tenfold_jump(coordinator):
    v1 = [
        ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "85.4", "854", "1000", "1000", ""],
        ["marac_referrals", FORCE, "2014-04-01", "2014-06-30", "6", "", "", "", ""],
    ]
    stored(coordinator, "v1.csv", csv_text(v1).encode())
    coordinator.post(reverse("return_accept", args=[Return.objects.get().pk]))
    v2 = [
        ["victim_satisfaction", FORCE, "2014-04-01", "2014-06-30", "85.4", "855", "1001", "1001", ""],
        ["marac_referrals", FORCE, "2014-04-01", "2014-06-30", '"1,234"', "", "", "", ""],
    ]
    stored(coordinator, "v2.csv", csv_text(v2).encode())
    page = coordinator.get(reverse("return_detail", args=[Return.objects.get(version=2).pk])).content.decode()
    table = page[page.index('id="diff-rows"') :]
    for figure, before, after in (
        ("Numerator", "854", "855"),  # whole numbers as people write them
        ("Denominator", "1,000", "1,001"),
        ("Respondents", "1,000", "1,001"),
    ):
        assert f"{figure}</td>" in table
        assert f">{before}</td>" in table and f">{after}</td>" in table
    assert "1 value changed tenfold or more against the previous accepted value" in page
    assert "The value changed tenfold or more: 1,234 against 6 in the current accepted version." in page


def test_jump_against_the_previous_period_warned(coordinator):
    march = ["marac_referrals", FORCE, "2014-01-01", "2014-03-31", "6", "", "", "", ""]
    stored(coordinator, "q4.csv", csv_text([march]).encode(), period=Q4)
    coordinator.post(reverse("return_accept", args=[Return.objects.get().pk]))
    june = ["marac_referrals", FORCE, "2014-04-01", "2014-06-30", "80", "", "", "", ""]
    stored(coordinator, "q1.csv", csv_text([june]).encode())
    ret = Return.objects.get(period__start=date(2014, 4, 1))
    page = coordinator.get(reverse("return_detail", args=[ret.pk])).content.decode()
    assert "80 against 6 accepted for Q4 2013/14 (January to March 2014)" in page


# -- case 11: a row's period matches the measure's frequency -------------------------------------------


def test_monthly_and_one_day_rows_in_a_quarterly_return_refused(coordinator):
    rows = [
        ["marac_referrals", FORCE, "2014-04-01", "2014-04-30", "6", "", "", "", ""],
        ["all_crime", FORCE, "2014-04-01", "2014-04-01", "6", "", "", "", ""],
    ]
    assert refused(coordinator, "r.csv", csv_text(rows).encode()) == [
        (
            "r.csv",
            2,
            "period_end",
            "High-risk domestic abuse cases referred to MARAC is reported quarterly in Leicestershire Police's agreed data set, so each row's period "
            "must be a financial quarter (2014-04-01 to 2014-06-30)",
        ),
        (
            "r.csv",
            3,
            "period_end",
            "All crime is reported monthly in Leicestershire Police's agreed data set, so each row's period must be "
            "a calendar month (2014-04-01 to 2014-04-30)",
        ),
    ]


def test_monthly_rows_of_a_monthly_measure_in_a_quarterly_return_stored(coordinator):
    rows = [APRIL, ["all_crime", FORCE, "2014-05-01", "2014-05-31", 130, None, None, None, None]]
    assert len(stored(coordinator, "r.csv", csv_text(rows).encode())) == 2


# -- originals with live formulas or links to other workbooks ---------------------------


def _with_saved_formula_and_link(raw: bytes) -> bytes:
    """The workbook with E2 a formula whose saved result is 120, and a link to another workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="E2"[^>]*>.*?</c>', b'<c r="E2"><f>[1]Sheet1!A1*120</f><v>120</v></c>', data)
            dst.writestr(info.filename, data)
        dst.writestr(
            "xl/externalLinks/externalLink1.xml",
            '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        )
    return out.getvalue()


def test_formulas_and_links_warned_on_preview_and_download_serves_original(coordinator):
    raw = _with_saved_formula_and_link(workbook([("Return", [APRIL], "visible")]))
    assert stored(coordinator, "linked.xlsx", raw) == {KEY: (120.0, None, None, None)}
    ret = Return.objects.get()
    messages = [w["message"] for w in ret.warnings]
    assert (
        "the workbook has 1 formula cell(s): the figures read are the results it last saved, and Excel may "
        "recalculate them when the original is opened"
    ) in messages
    assert (
        "the workbook links to 1 other workbook(s): when the original is opened, choose not to update links; "
        "the figures stored are the values as uploaded"
    ) in messages
    page = coordinator.get(reverse("return_detail", args=[ret.pk])).content.decode()
    warning = page[page.index('id="original-warning"') :][:900]
    assert "holds 1 formula cell and links to 1 other workbook." in warning
    download = coordinator.get(reverse("return_original", args=[ret.pk]))
    assert b"".join(download.streaming_content) == raw


def test_csv_comment_that_could_run_as_formula_warned(coordinator):
    row = APRIL[:8] + ["\u200b=HYPERLINK(1)"]
    stored(coordinator, "r.csv", csv_text([row]).encode())
    ret = Return.objects.get()
    assert ret.summary["formula_like_cells"] == 1
    page = coordinator.get(reverse("return_detail", args=[ret.pk])).content.decode()
    assert "1 comment that could run as formula." in page


def test_hundred_thousand_column_csv_gives_a_short_page(coordinator):
    header = ",".join([*HEADER, *(f"x{i}" for i in range(100_000 - len(HEADER)))])
    raw = (header + "\r\n" + ",".join(str(v) for v in APRIL[:5]) + ",,,,\r\n").encode()
    response = post_upload(coordinator, "wide.csv", raw)
    assert len(response.content) < 60_000
    event = AuditEvent.objects.get(action="upload_failed")
    assert [p["message"] for p in event.details["problems"]] == [
        "wide.csv: row 1 has 100,000 columns; the limit is 100 (the template has 9); delete the columns after "
        "the template's last column"
    ]
    assert Return.objects.count() == 0
