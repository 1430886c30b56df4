"""Tests for returns.workbook: XLSX bytes to rows of cells behind the zip and XML defences, the sheet
read (hidden sheets never), and the size bounds, hostile workbooks refused within a memory and CPU-time budget.

Before the bounds, a 10 kB workbook declaring the whole sheet took about 8 minutes of CPU.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns.parsing import TEMPLATE_COLUMNS, parse_upload
from returns.tests.parse_support import FORCE, UPLOADS, make_context, parse_fixture, parse_in_budget
from returns.tests.resaved_returns import CONTEXT, DATE_STYLES, as_xlsx, figures, valid_rows


def test_openpyxl_uses_defusedxml():
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.parametrize("name", ["billion_laughs.xlsx", "xxe.xlsx"])
def test_xml_entity_attacks_rejected_clearly(name):
    result = parse_fixture(name)
    assert len(result.errors) == 1
    assert "XML entity declarations" in result.errors[0].message


def test_zipbomb_rejected_before_openpyxl(monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not open a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    raw = (UPLOADS / "zipbomb.xlsx").read_bytes()
    assert len(raw) <= 1024 * 1024
    result = parse_upload(raw, context=make_context("zipbomb.xlsx"))
    assert len(result.errors) == 1 and "expands to" in result.errors[0].message
    assert "too large" in result.errors[0].message


def test_zip_ratio_limit_rejects_small_but_dense_part():
    raw = (UPLOADS / "zipbomb.xlsx").read_bytes()
    result = parse_upload(raw, context=make_context("zipbomb.xlsx", max_zip_uncompressed=10**12))
    assert "compressed more than 100 times" in result.errors[0].message


def test_zip_entry_count_limit():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(5):
            z.writestr(f"part{i}.xml", "x")
    result = parse_upload(out.getvalue(), context=make_context("many.xlsx", max_zip_entries=3))
    assert "5 parts" in result.errors[0].message


# -- which sheets are read ------------------------------------------------------------------


def _workbook(sheets: list[tuple[str, list[list[object]], str]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        ws.sheet_state = state
    wb.active = [s[2] for s in sheets].index("visible")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_very_hidden_sheet_named_return_is_not_read():
    secret = [list(TEMPLATE_COLUMNS), ["all_crime", FORCE, "2014-04-01", "2014-06-30", 999]]
    shown = [list(TEMPLATE_COLUMNS), ["all_crime", FORCE, "2014-04-01", "2014-06-30", 5]]
    raw = _workbook([("Return", secret, "veryHidden"), ("Sheet2", shown, "visible")])
    result = parse_upload(raw, context=make_context("r.xlsx"))
    assert list(result.rows.value) == [5.0]
    assert result.sheet == "Sheet2"
    assert [p.message for p in result.warnings] == [
        "read sheet 'Sheet2', the active sheet: the workbook has no visible sheet called 'Return'"
    ]


def test_hidden_narrative_sheet_is_not_read_and_said():
    data = [list(TEMPLATE_COLUMNS), ["all_crime", FORCE, "2014-04-01", "2014-06-30", 5]]
    words = [["priority_number", "priority_title", "work_undertaken"], [10, "x", "secret words"]]
    raw = _workbook([("Return", data, "visible"), ("Narrative", words, "hidden")])
    result = parse_upload(raw, context=make_context("r.xlsx"))
    assert result.ok and result.narrative == {}
    assert [p.message for p in result.warnings] == [
        "the Narrative sheet is hidden and was not read; unhide it to send the narrative"
    ]


# -- size bounds ----------------------------------------------------------------------------


def _xlsx_with_sheet_xml(edit) -> bytes:
    """A template workbook (header and one valid row) whose first sheet's XML is passed through edit."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    ws.append(list(TEMPLATE_COLUMNS))
    ws.append(["all_crime", FORCE, "2014-04-01", "2014-06-30", 5, None, None, None, None])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


def _declare_whole_sheet(xml: str, last_cell: str) -> str:
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
    row = re.match(r"[A-Z]+(\d+)", last_cell).group(1)
    cell = f'<row r="{row}"><c r="{last_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace("</sheetData>", cell + "</sheetData>")


def test_xlsx_declaring_whole_sheet_with_last_cell_refused_in_budget(tmp_path):
    path = tmp_path / "tiny.xlsx"
    path.write_bytes(_xlsx_with_sheet_xml(lambda xml: _declare_whole_sheet(xml, "XFD1048576")))
    assert path.stat().st_size < 10_000
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "tiny.xlsx: row 1048576 has 16,384 columns; the limit is 100 (the template has 9); "
            "delete the columns after the template's last column",
        ]
    ]


def test_xlsx_declaring_whole_sheet_is_not_padded(tmp_path):
    """One stray cell in column A of the last row: read as one bad row, not a million padded ones."""
    path = tmp_path / "stray.xlsx"
    path.write_bytes(_xlsx_with_sheet_xml(lambda xml: _declare_whole_sheet(xml, "A1048576")))
    errors = parse_in_budget(path)
    assert errors[0] == [
        1048576,
        "measure_code",
        "unknown measure code 'x': use a measure_code from the return template",
    ]
    assert {e[0] for e in errors} == {1048576}


def test_row_bound_while_reading_xlsx():
    raw = _xlsx_with_sheet_xml(lambda xml: xml)
    result = parse_upload(raw, context=make_context("r.xlsx", max_rows=1))
    assert [p.message for p in result.errors] == [
        "r.xlsx (sheet 'Return') has more than 1 rows, the limit (blank rows count); delete the empty rows at "
        "the end, or split the return into smaller files"
    ]


def test_xlsx_row_with_too_many_cells_refused_before_parsing(monkeypatch):
    wide = "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}3"><v>1</v></c>' for i in range(1, 200))
    raw = _xlsx_with_sheet_xml(lambda xml: xml.replace("</sheetData>", f'<row r="3">{wide}</row></sheetData>'))

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not parse an over-wide row")

    from openpyxl.worksheet import _reader

    monkeypatch.setattr(_reader.WorkSheetParser, "parse", refuse)
    result = parse_upload(raw, context=make_context("wide.xlsx"))
    assert [p.message for p in result.errors] == [
        "wide.xlsx (sheet 'Return'): row 3 has more than 100 cells, the limit (the template has 9); delete the "
        "columns after the template's last column"
    ]


@pytest.mark.parametrize("blank_cells", [0, 50])
def test_styled_empty_cells_past_the_bound_are_not_columns(blank_cells):
    """Empty cells far to the right (formatting) are not counted as columns used."""
    empty = "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}2" s="0"/>' for i in range(200, 200 + blank_cells))
    raw = _xlsx_with_sheet_xml(lambda xml: xml.replace("</row></sheetData>", f"{empty}</row></sheetData>"))
    result = parse_upload(raw, context=make_context("styled.xlsx"))
    assert result.ok, result.problems
    assert list(result.rows.value) == [5.0]


# -- re-saved any way, the same figures -----------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=valid_rows(),
    layout=st.sampled_from(["template", "hidden first", "active sheet"]),
    dates=st.sampled_from(["cells", *sorted(DATE_STYLES)]),
    percent=st.booleans(),
)
def test_xlsx_resaved_any_way_gives_the_same_figures(rows, layout, dates, percent):
    raw = as_xlsx(rows, layout=layout, dates=dates, percent=percent)
    result = parse_upload(raw, context=replace(CONTEXT, file_name="r.xlsx"))
    assert result.ok, result.errors
    assert figures(result.rows) == figures(rows)
