"""Tests for returns.parsing: the hostile corpus, every-problem reporting and round trips."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns.parsing import (
    DATE_FORMS,
    REQUIRED_COLUMNS,
    ROW_COLUMNS,
    TEMPLATE_COLUMNS,
    MeasureRule,
    Problem,
    UploadContext,
    parse_upload,
    problems_csv,
)

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
FORCE, BLABY = "E23000021", "E07000129"
MEASURES = {
    "all_crime": MeasureRule("all_crime", "count", False),
    "burglary_dwelling": MeasureRule("burglary_dwelling", "count", False),
    "victim_satisfaction": MeasureRule("victim_satisfaction", "percentage", True),
    "revenue_savings": MeasureRule("revenue_savings", "pounds", False),
}
ALLOWED = {
    ("all_crime", FORCE),
    ("all_crime", BLABY),
    ("burglary_dwelling", FORCE),
    ("burglary_dwelling", BLABY),
    ("victim_satisfaction", FORCE),
    ("revenue_savings", FORCE),
}
HEADER = ",".join(TEMPLATE_COLUMNS)


def make_context(file_name: str = "return.csv", **changes) -> UploadContext:
    context = UploadContext(
        file_name=file_name,
        measures=MEASURES,
        known_areas={FORCE, BLABY},
        allowed=ALLOWED,
        period_start=date(2014, 4, 1),
        period_end=date(2014, 6, 30),
        submitter="Leicestershire Police",
    )
    return replace(context, **changes)


def parse_fixture(name: str, **changes):
    return parse_upload((UPLOADS / name).read_bytes(), context=make_context(name, **changes))


def parse_text(text: str, **changes):
    return parse_upload(text.encode("utf-8"), context=make_context(**changes))


def where(result) -> list[tuple]:
    """(row, column, message start) of each problem, for compact assertions."""
    return [(p.row, p.column, p.message) for p in result.problems]


def test_openpyxl_uses_defusedxml():
    assert openpyxl.DEFUSEDXML is True


# -- the corpus -------------------------------------------------------------------------


def test_valid_csv_accepted_with_typed_rows():
    result = parse_fixture("valid.csv")
    assert result.ok and result.problems == []
    assert result.encoding == "utf-8" and result.file_type == "csv"
    rows = result.rows
    assert list(rows.columns) == list(ROW_COLUMNS)
    assert len(rows) == 5
    first = rows.iloc[0]
    assert first.measure_code == "all_crime" and first.area_code == FORCE
    assert first.period_start == date(2014, 5, 1) and first.period_end == date(2014, 5, 31)
    assert first.value == 20213.0 and first.source_row == 2
    assert first.numerator is None and first.respondents is None
    survey = rows[rows.measure_code == "victim_satisfaction"].iloc[0]
    assert survey.value == 85.4 and survey.numerator == 854.0 and survey.respondents == 1000
    assert rows[rows.measure_code == "revenue_savings"].iloc[0].value == 1250000.5


def test_valid_xlsx_accepted_with_narrative():
    result = parse_fixture("valid.xlsx")
    assert result.ok, result.problems
    assert result.file_type == "xlsx" and result.encoding is None
    assert len(result.rows) == 3
    assert result.rows.iloc[0].value == 20213.0
    assert result.rows.iloc[0].period_start == date(2014, 4, 1)
    assert set(result.narrative) == {10, 18}
    assert "Blaby" in result.narrative[10]


def test_bom_csv_header_matches():
    result = parse_fixture("bom.csv")
    assert result.ok and result.encoding == "utf-8-sig" and len(result.rows) == 2


def test_cp1252_csv_decoded_without_mojibake():
    result = parse_fixture("cp1252.csv")
    assert result.ok and result.encoding == "cp1252"
    assert result.rows.iloc[0].comment == "£2m saved – côte"


def test_mixed_line_endings_read_every_row():
    result = parse_fixture("mixed_eol.csv")
    assert result.ok and list(result.rows.source_row) == [2, 3, 4]


def test_formula_text_kept_inert_and_escaped_in_report():
    result = parse_fixture("formula.csv")
    assert result.ok
    assert result.rows.iloc[0].comment.startswith("=cmd")


def test_duplicate_rows_name_the_first_row():
    assert where(parse_fixture("duplicate_rows.csv")) == [
        (4, None, "duplicate row: the same measure, area and period as row 2")
    ]


def test_missing_column_named():
    result = parse_fixture("missing_column.csv")
    assert [(p.row, p.column) for p in result.errors] == [(1, "value")]
    assert "'value' is missing" in result.errors[0].message


def test_negative_count_rejected():
    assert where(parse_fixture("negative.csv")) == [(2, "value", "must not be negative")]


def test_non_numeric_values_rejected_each_row():
    result = parse_fixture("non_numeric.csv")
    assert [(p.row, p.column, p.value) for p in result.errors] == [
        (2, "value", "five"),
        (3, "value", "1e9999"),
        (4, "value", "NaN"),
    ]
    assert all(p.message.startswith("not a number") for p in result.errors)


def test_bad_dates_rejected_each_row():
    assert where(parse_fixture("bad_dates.csv")) == [
        (2, "period_start", f"not a date; {DATE_FORMS}"),
        (3, "period_start", "dates before 2000 are not accepted"),
        (4, "period_end", f"31/02/2025 is not a real date when read day first (DD/MM/YYYY); {DATE_FORMS}"),
    ]


def test_nul_bytes_rejected_naming_row_and_column():
    result = parse_fixture("nul_bytes.csv")
    assert [(p.row, p.column) for p in result.errors] == [(3, "comment")]
    assert "NUL" in result.errors[0].message
    assert "\x00" not in result.errors[0].value


def test_truncated_upload_rejected():
    result = parse_fixture("truncated.csv")
    assert not result.ok
    assert (4, None) in [(p.row, p.column) for p in result.errors]
    assert any("cut short" in p.message for p in result.errors)


def test_csv_renamed_xlsx_rejected_by_magic_bytes():
    result = parse_fixture("not_really.xlsx")
    assert len(result.errors) == 1 and "not an Excel workbook" in result.errors[0].message


def test_xlsx_named_csv_rejected():
    raw = (UPLOADS / "valid.xlsx").read_bytes()
    result = parse_upload(raw, context=make_context("return.csv"))
    assert len(result.errors) == 1 and "rename it to .xlsx" in result.errors[0].message


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


def test_oversize_file_rejected_before_parsing():
    result = parse_upload(b"x" * 101, context=make_context(max_bytes=100))
    assert len(result.problems) == 1 and "larger than" in result.problems[0].message


# -- every problem, not just the first --------------------------------------------------


def test_three_different_errors_all_reported():
    text = (
        f"{HEADER}\n"
        f"all_crime,{FORCE},2014-04-01,2014-06-30,five,,,,\n"
        f"burglary_dwelling,E99999999,2014-04-01,2014-06-30,3,,,,\n"
        f"all_crime,{BLABY},2014-04-01,2014-07-31,4,,,,\n"
    )
    assert [(p.row, p.column) for p in parse_text(text).errors] == [
        (2, "value"),
        (3, "area_code"),
        (4, "period_end"),
    ]


def test_one_row_with_several_errors_reports_each():
    text = f"{HEADER}\nall_crim,{BLABY},2014-06-30,2014-04-01,1.5,7,3,x,ok\n"
    columns = [p.column for p in parse_text(text).errors]
    assert columns == ["measure_code", "period_end", "numerator", "respondents"]


def test_area_outside_agreed_data_set_named():
    text = f"{HEADER}\nrevenue_savings,{BLABY},2014-04-01,2014-06-30,10,,,,\n"
    assert where(parse_text(text)) == [
        (
            2,
            "area_code",
            f"area {BLABY} is not in Leicestershire Police's agreed data set for measure revenue_savings",
        )
    ]


def test_period_outside_return_window_rejected():
    # A whole other month: one error per row, saying which period the file is for and the fix.
    text = f"{HEADER}\nall_crime,{FORCE},2014-03-01,2014-03-31,10,,,,\n"
    assert [(p.row, p.column, p.message) for p in parse_text(text).errors] == [
        (
            2,
            "period_end",
            "This file is for March 2014 (rows give period ending 31 March 2014) but you chose Q1 2014/15: "
            "choose March 2014 or upload the Q1 2014/15 file",
        ),
    ]


def test_dates_outside_return_window_that_are_no_whole_period_name_the_window():
    text = f"{HEADER}\nall_crime,{FORCE},2014-03-15,2014-04-30,10,,,,\n"
    assert [(p.row, p.column, p.message) for p in parse_text(text).errors] == [
        (2, "period_start", "2014-03-15 is outside the return period 2014-04-01 to 2014-06-30"),
    ]


@pytest.mark.parametrize(
    ("measure", "value", "respondents", "message"),
    [
        ("all_crime", "12.5", "", "a count must be a whole number"),
        ("all_crime", "inf", "", "not a number"),
        ("all_crime", "", "", "value required"),
        (
            "victim_satisfaction",
            "100.5",
            "400",
            "a percentage must be between 0 and 100",
        ),
        ("victim_satisfaction", "85", "", "respondents required"),
        ("victim_satisfaction", "85", "0", "respondents must be more than 0"),
        ("victim_satisfaction", "85", "10.5", "respondents must be a whole number"),
        ("revenue_savings", "10.123", "", "pounds may have at most 2 decimal places"),
        ("revenue_savings", "-10", "", "must not be negative"),
        ("all_crime", "9" * 40, "", "number is too large"),
    ],
)
def test_value_rules_by_unit(measure, value, respondents, message):
    text = f"{HEADER}\n{measure},{FORCE},2014-04-01,2014-06-30,{value},,,{respondents},\n"
    errors = parse_text(text).errors
    assert len(errors) == 1 and errors[0].message.startswith(message)


@pytest.mark.parametrize("value", ['" 1,234 "', "1234.0", "0", "+5"])
def test_count_formats_accepted(value):
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,{value},,,,\n"
    assert parse_text(text).ok


@pytest.mark.parametrize("cell", ['"a\tb"', '"line\nbreak"', '"cr\rhere"'])
def test_control_characters_in_text_cells_rejected(cell):
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,{cell}\n"
    assert [(p.row, p.column) for p in parse_text(text).errors] == [(2, "comment")]


def test_comment_length_limit():
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,{'x' * 2001}\n"
    assert where(parse_text(text))[0][:2] == (2, "comment")


def test_header_case_and_spaces_ignored_and_extra_column_warned():
    header = " Measure_Code ,AREA_CODE,period_start,period_end,Value,notes"
    result = parse_text(f"{header}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,hi\n")
    assert result.ok and len(result.rows) == 1
    assert [(p.row, p.column, p.severity) for p in result.warnings] == [(1, "notes", "warning")]


def test_missing_columns_each_named():
    result = parse_text("measure_code,period_start\nall_crime,2014-04-01\n")
    assert [p.column for p in result.errors] == ["area_code", "period_end", "value"]


def test_expected_rows_missing_give_one_warning_each():
    expected = {
        ("all_crime", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
        ("all_crime", BLABY, date(2014, 4, 1), date(2014, 6, 30)),
        ("burglary_dwelling", BLABY, date(2014, 4, 1), date(2014, 6, 30)),
    }
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n"
    result = parse_text(text, expected=expected)
    assert result.ok
    assert len(result.warnings) == 2
    assert all(p.row is None and p.severity == "warning" for p in result.warnings)


def test_blank_lines_skipped_and_empty_files_rejected():
    text = f"{HEADER}\n\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n,,,,,,,,\n\n"
    result = parse_text(text)
    assert result.ok and list(result.rows.source_row) == [3]
    assert "empty" in parse_text("").errors[0].message
    assert "no data rows" in parse_text(f"{HEADER}\n").errors[0].message


def test_problems_sorted_by_row_then_column():
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,x,,,,\nnope,{FORCE},bad,2014-06-30,1,,,,\n"
    assert [(p.row, p.column) for p in parse_text(text).problems] == [
        (2, "value"),
        (3, "measure_code"),
        (3, "period_start"),
    ]


def test_problems_csv_is_formula_safe():
    data = problems_csv([Problem("f.csv", 2, "comment", "=1+1", "bad", "error")])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "file,row,column,value,message,severity"
    assert lines[1] == "f.csv,2,comment,'=1+1,bad,error"


def test_hundred_thousand_rows_validated_quickly():
    measures = {f"m{i}": MeasureRule(f"m{i}", "count", False) for i in range(1000)}
    areas = {f"E0{i:07d}" for i in range(100)}
    lines = [HEADER]
    lines += [f"m{i // 100},E0{i % 100:07d},2014-04-01,2014-06-30,{i},,,,fine" for i in range(100_000)]
    raw = ("\n".join(lines) + "\n").encode()
    context = make_context(
        measures=measures,
        known_areas=areas,
        allowed={(m, a) for m in measures for a in areas},
    )
    result = parse_upload(raw, context=context)
    assert result.ok and len(result.rows) == 100_000


# -- properties ---------------------------------------------------------------------------

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.binary(max_size=2000), name=st.sampled_from(["r.csv", "r.xlsx", "r.txt"]))
def test_arbitrary_bytes_never_raise(raw, name):
    result = parse_upload(raw, context=make_context(name))
    assert isinstance(result.problems, list)
    assert not result.ok or len(result.rows) > 0


@SETTINGS
@given(raw=st.binary(max_size=500))
def test_arbitrary_bytes_after_zip_magic_never_raise(raw):
    result = parse_upload(b"PK\x03\x04" + raw, context=make_context("r.xlsx"))
    assert not result.ok


cell_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
valid_row = st.tuples(
    st.sampled_from(sorted(MEASURES)),
    st.sampled_from([FORCE, BLABY]),
    st.sampled_from(["2014-04-01", "2014-05-01"]),
    st.sampled_from(["2014-05-31", "2014-06-30"]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(["", "3"]),
    st.sampled_from(["", "10"]),
    st.sampled_from(["", "40"]),
    st.text(alphabet="abc £–ô,\"'=+-@", max_size=20),
)


@SETTINGS
@given(
    rows=st.lists(valid_row, max_size=6),
    mutations=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 8), cell_text), max_size=4),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_nearly_valid_csv_never_raises(rows, mutations, eol):
    table = [list(r) for r in rows]
    for r, c, text in mutations:
        if table:
            table[r % len(table)][c] = text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=eol).writerows([list(TEMPLATE_COLUMNS), *table])
    result = parse_upload(out.getvalue().encode("utf-8"), context=make_context())
    assert len(result.rows) <= len(table)
    assert all(p.severity in {"error", "warning"} for p in result.problems)


unique_rows = st.lists(
    st.tuples(
        st.sampled_from(["all_crime", "burglary_dwelling"]),
        st.sampled_from([FORCE, BLABY]),
        st.sampled_from(
            [
                ("2014-04-01", "2014-04-30"),
                ("2014-05-01", "2014-05-31"),
                ("2014-04-01", "2014-06-30"),
            ]
        ),
        st.integers(min_value=0, max_value=10**7),
        # No é: cp1252 "é££" is also valid UTF-8, the ambiguity a preview exists for.
        st.text(alphabet="abcxyz £–ô'\",=+-@", max_size=15),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda r: (r[0], r[1], r[2]),
)


@SETTINGS
@given(
    rows=unique_rows,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_valid_rows_survive_encodings_and_line_endings(rows, encoding, eol):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=eol)
    writer.writerow(TEMPLATE_COLUMNS)
    for measure, area, (start, end), value, comment in rows:
        writer.writerow([measure, area, start, end, value, "", "", "", comment])
    result = parse_upload(out.getvalue().encode(encoding), context=make_context())
    assert result.ok, result.problems
    got = [
        (
            r.measure_code,
            r.area_code,
            (r.period_start.isoformat(), r.period_end.isoformat()),
            r.value,
            r.comment,
        )
        for r in result.rows.itertuples()
    ]
    assert got == [(m, a, p, float(v), c.strip()) for m, a, p, v, c in rows]


def test_required_columns_are_the_first_five():
    assert REQUIRED_COLUMNS == TEMPLATE_COLUMNS[:5]


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
