"""Tests for returns.exports: formula-safe cells, CSV/XLSX output and the return template."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns.exports import (
    csv_bytes,
    safe_cell,
    template_csv,
    template_xlsx,
    xlsx_bytes,
)
from returns.files import FORMULA_TRIGGERS
from returns.parsing import TEMPLATE_COLUMNS, MeasureRule, UploadContext, parse_upload

FORCE, BLABY = "E23000021", "E07000129"


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_safe_cell_escapes_formula_text():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\0x"]:
        assert safe_cell(text) == "'" + text


def test_safe_cell_leaves_numbers_and_plain_text():
    assert safe_cell(-5) == -5
    assert safe_cell(-2.5) == -2.5
    assert safe_cell(Decimal("-1.5")) == Decimal("-1.5")
    assert safe_cell(None) is None
    assert safe_cell("Blaby") == "Blaby"
    assert safe_cell("") == ""


def test_csv_bytes_bom_crlf_preamble_and_escaping():
    data = csv_bytes(
        ["measure", "value", "note"],
        [
            ["all_crime", -3, "=HYPERLINK(1)"],
            ["x", 1.5, None],
            ["d", date(2014, 4, 1), "a\nb"],
        ],
        preamble=["# Data as at 31 May 2014 · digest 3f2a"],
    )
    assert data.startswith(b"\xef\xbb\xbf# Data as at 31 May 2014 \xc2\xb7 digest 3f2a\r\n")
    rows = read_csv(data)
    assert rows[1] == ["measure", "value", "note"]
    assert rows[2] == ["all_crime", "-3", "'=HYPERLINK(1)"]
    assert rows[3] == ["x", "1.5", ""]
    assert rows[4] == ["d", "2014-04-01", "a\nb"]


def test_xlsx_bytes_sheets_preamble_and_numbers_kept():
    data = xlsx_bytes(
        [("Trend: all/crime", ["a", "b"], [[-5, "-5"], ["@x", date(2014, 4, 1)]])],
        preamble=["# Snapshot May 2014"],
    )
    sheets = read_xlsx(data)
    assert list(sheets) == ["Trend  all crime"]
    rows = sheets["Trend  all crime"]
    assert rows[0][0] == "# Snapshot May 2014"
    assert rows[1] == ("a", "b")
    assert rows[2] == (-5, "'-5")
    assert rows[3][0] == "'@x"


def test_xlsx_bytes_strips_illegal_characters_before_escaping():
    rows = read_xlsx(xlsx_bytes([("S", ["h"], [["\x01=1+1"]])]))["S"]
    assert rows[1] == ("'=1+1",)


any_cell = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["=1", "+1", "-1", "@A", "\t=1", "\r=1", "\x00=1", "\x01=1", "\x01\t=1"]),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.none(),
)
table = st.lists(st.lists(any_cell, min_size=1, max_size=4), max_size=6)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# White space and the invisible characters spreadsheets skip before reading a formula.
INVISIBLE = " \u00a0\u2000\u2003\u3000\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"


def starts_with_trigger(cell: object) -> bool:
    """True for text that a spreadsheet would run; a written-out number like "-1" is data."""
    if not isinstance(cell, str) or not cell.lstrip(INVISIBLE).startswith(FORMULA_TRIGGERS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


@SETTINGS
@given(header=st.lists(st.text(max_size=10), min_size=1, max_size=4), rows=table)
def test_no_csv_cell_starts_with_formula_trigger(header, rows):
    for row in read_csv(csv_bytes(header, rows, preamble=["=preamble"])):
        assert not any(starts_with_trigger(cell) for cell in row)


@SETTINGS
@given(header=st.lists(st.text(max_size=10), min_size=1, max_size=4), rows=table)
def test_no_xlsx_cell_starts_with_formula_trigger(header, rows):
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([("Data", header, rows)])))
    for row in wb.worksheets[0].iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            assert not starts_with_trigger(cell.value)


# -- template round trip -----------------------------------------------------------------

EXPECTED = [
    ("all_crime", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    ("all_crime", BLABY, date(2014, 4, 1), date(2014, 6, 30)),
    ("revenue_savings", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
]


def template_context(file_name: str) -> UploadContext:
    return UploadContext(
        file_name=file_name,
        measures={
            "all_crime": MeasureRule("all_crime", "count", False),
            "revenue_savings": MeasureRule("revenue_savings", "pounds", False),
            "victim_satisfaction": MeasureRule("victim_satisfaction", "percentage", True),
        },
        known_areas={FORCE, BLABY},
        allowed={(m, a) for m, a, _, _ in EXPECTED} | {("victim_satisfaction", FORCE)},
        period_start=date(2014, 4, 1),
        period_end=date(2014, 6, 30),
        expected=set(EXPECTED),
    )


def test_template_csv_has_header_and_blank_values():
    rows = read_csv(template_csv(EXPECTED))
    assert rows[0] == list(TEMPLATE_COLUMNS)
    assert rows[1] == [
        "all_crime",
        FORCE,
        "2014-04-01",
        "2014-06-30",
        "",
        "",
        "",
        "",
        "",
    ]


def test_template_csv_round_trip_only_value_required_errors():
    result = parse_upload(template_csv(EXPECTED), context=template_context("t.csv"))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "value"),
        (3, "value"),
        (4, "value"),
    ]
    assert all(p.message == "value required" for p in result.problems)


def test_template_xlsx_round_trip_only_value_required_errors():
    data = template_xlsx(EXPECTED, narrative_priorities=[(10, "Reduce all crime"), (18, "=savings")])
    sheets = read_xlsx(data)
    assert list(sheets) == ["Return", "Narrative"]
    assert sheets["Narrative"][0] == (
        "priority_number",
        "priority_title",
        "work_undertaken",
    )
    assert sheets["Narrative"][2][:2] == (18, "'=savings")
    result = parse_upload(data, context=template_context("t.xlsx"))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "value"),
        (3, "value"),
        (4, "value"),
    ]
    assert all(p.message == "value required" for p in result.problems)
    assert result.narrative == {}


def test_template_survey_row_also_asks_for_respondents():
    row = ("victim_satisfaction", FORCE, date(2014, 4, 1), date(2014, 6, 30))
    result = parse_upload(template_csv([row]), context=template_context("t.csv"))
    assert [(p.column, p.message[:19]) for p in result.errors] == [
        ("value", "value required"),
        ("respondents", "respondents require"),
    ]


@pytest.mark.parametrize(
    "text", [" =1+1", "  @SUM(A1)", "\u200b=HYPERLINK(1)", "\ufeff+1+1", "\u00a0-2+3", "\u2060=1", "\u200d\u200b =1"]
)
def test_formula_after_space_zero_width_space_or_bom_is_escaped(text):
    assert safe_cell(text) == "'" + text
    assert read_csv(csv_bytes(["h"], [[text]]))[1] == ["'" + text]


@pytest.mark.parametrize("text", ["plain", "a=b", " 12", "\u200bword"])
def test_text_without_a_formula_is_unchanged(text):
    assert safe_cell(text) == text
