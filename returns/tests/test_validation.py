"""Tests for returns.validation: the rules applied a chunk at a time give the same answer whatever the
chunk size (one row at a time included), and for the same cells in a CSV or an XLSX workbook."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns import validation
from returns.parsing import TEMPLATE_COLUMNS, MeasureRule, parse_upload
from returns.tests.parse_support import (
    BLABY,
    FORCE,
    HEADER,
    MEASURES,
    UPLOADS,
    make_context,
    parse_fixture,
    parse_text,
    where,
)


def parse_in_chunks(raw: bytes, context, chunk: int):
    original = validation.CHUNK_ROWS
    validation.CHUNK_ROWS = chunk
    try:
        return parse_upload(raw, context=context)
    finally:
        validation.CHUNK_ROWS = original


def both(raw: bytes, context):
    """The file checked in chunks as parse_upload does, and one row at a time."""
    return parse_upload(raw, context=context), parse_in_chunks(raw, context, 1)


def assert_same(one, other, *, same_file: bool = True) -> None:
    """Same problems in the same order, same rows with the same dtypes and Python types."""
    if same_file:
        assert one.problems == other.problems
        assert (one.encoding, one.file_type) == (other.encoding, other.file_type)
    assert one.rows_read == other.rows_read
    assert list(one.rows.columns) == list(other.rows.columns)
    assert list(one.rows.dtypes) == list(other.rows.dtypes)
    one_rows = list(one.rows.itertuples(index=False, name=None))
    other_rows = list(other.rows.itertuples(index=False, name=None))
    assert one_rows == other_rows
    assert [tuple(map(type, r)) for r in one_rows] == [tuple(map(type, r)) for r in other_rows]


EXPECTED = {
    ("all_crime", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    ("revenue_savings", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    ("burglary_dwelling", BLABY, date(2014, 4, 1), date(2014, 4, 30)),
}


@pytest.mark.parametrize("path", sorted(UPLOADS.glob("*.csv")), ids=lambda p: p.name)
@pytest.mark.parametrize("changes", [{}, {"expected": EXPECTED}, {"max_rows": 2}], ids=["plain", "expected", "cap"])
def test_chunks_match_one_row_at_a_time_on_hostile_corpus(path, changes):
    one, other = both(path.read_bytes(), make_context(path.name, **changes))
    assert_same(one, other)


def test_valid_file_same_in_chunks_and_row_at_a_time():
    raw = (UPLOADS / "valid.csv").read_bytes()
    chunked, single = both(raw, make_context("valid.csv"))
    assert_same(chunked, single)
    assert chunked.ok and len(chunked.rows) == 5


def test_duplicates_across_chunks_name_first_row(monkeypatch):
    monkeypatch.setattr(validation, "CHUNK_ROWS", 3)
    lines = [",".join(TEMPLATE_COLUMNS)]
    lines += [f"all_crime,{FORCE},2014-04-01,2014-06-30,{i},,,," for i in range(5)]
    lines += [f"all_crime,{FORCE},2014-04-01,2014-06-3x,1,,,,", f"all_crime,{FORCE},2014-04-01,2014-06-3x ,2,,,,"]
    one, other = both("\n".join(lines).encode(), make_context())
    assert_same(one, other)
    assert [(p.row, p.message) for p in one.problems][:2] == [
        (3, "duplicate row: the same measure, area and period as row 2"),
        (4, "duplicate row: the same measure, area and period as row 2"),
    ]


# Cells that sit on the edge of a rule: each must be decided the same in any chunk and in a workbook.
edge_cells = st.sampled_from(
    [
        "",
        " ",
        "0",
        "00",
        "-0",
        "+5",
        "1,234",
        "1,23",
        "12.0",
        "12.50",
        "12.505",
        "100",
        "100.0",
        "100.0001",
        "99.9999999999999999",
        "1000000000000000",
        "999999999999999",
        "1e3",
        "nan",
        "٣",
        " 7 ",
        "2014-04-01",
        " 2014-04-01",
        "2014-4-01",
        "2014-02-30",
        "1999-04-01",
        "2014-07-01",
        "ALL_CRIME",
        " all_crime ",
        "e23000021",
        "E99999999",
        "victim_satisfaction",
        "revenue_savings",
        "a\tb",
        "\\N",
        "x" * 2001,
    ]
)
valid_row = st.tuples(
    st.sampled_from(sorted(MEASURES)),
    st.sampled_from([FORCE, BLABY]),
    st.sampled_from(["2014-04-01", "2014-05-01"]),
    st.sampled_from(["2014-05-31", "2014-06-30"]),
    st.sampled_from(["0", "3", "40", "85.4", "100", "1250000.5", "12.25"]),
    st.sampled_from(["", "3", "10", "40"]),
    st.sampled_from(["", "10", "40", "3"]),
    st.sampled_from(["", "0", "40", "1000"]),
    st.text(alphabet="abc £–ô,\"'=+-@ ", max_size=12),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(valid_row, max_size=12),
    mutations=st.lists(
        st.tuples(st.integers(0, 11), st.integers(0, 8), st.one_of(edge_cells, st.text(max_size=6))), max_size=6
    ),
    cut=st.lists(st.integers(0, 11), max_size=2),
    chunk=st.sampled_from([1, 2, 5, 50_000]),
    expected=st.booleans(),
    eol=st.sampled_from(["\n", "\r\n"]),
)
def test_chunks_match_one_row_at_a_time_on_nearly_valid_csv(rows, mutations, cut, chunk, expected, eol):
    table = [list(r) for r in rows]
    for r, c, text in mutations:
        if table:
            table[r % len(table)][c] = text
    for r in cut:
        if table:
            del table[r % len(table)][-1]  # a short row
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=eol).writerows([list(TEMPLATE_COLUMNS), *table, []])
    context = make_context(expected=EXPECTED if expected else None)
    raw = out.getvalue().encode("utf-8")
    assert_same(parse_in_chunks(raw, context, chunk), parse_in_chunks(raw, context, 1))


@settings(max_examples=100, deadline=None)
@given(
    columns=st.permutations(list(TEMPLATE_COLUMNS)),
    drop=st.integers(0, 4),
    rows=st.lists(valid_row, min_size=1, max_size=5),
)
def test_chunks_match_with_columns_reordered_or_left_out(columns, drop, rows):
    kept = [c for c in columns if c in TEMPLATE_COLUMNS[:5]] + [c for c in columns if c not in TEMPLATE_COLUMNS[:5]]
    kept = kept[: len(kept) - drop]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(kept)
    for row in rows:
        values = dict(zip(TEMPLATE_COLUMNS, row))
        writer.writerow([values[c] for c in kept])
    one, other = both(out.getvalue().encode("utf-8"), replace(make_context(), max_rows=10))
    assert_same(one, other)


def _as_workbook(table: list[list[str]]) -> bytes:
    """The cells as text cells of a workbook's Return sheet, as a spreadsheet saving the CSV would hold them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    for row in [list(TEMPLATE_COLUMNS), *table]:
        ws.append([cell or None for cell in row])
        for cell in ws[ws.max_row]:
            if cell.value is not None:
                cell.data_type = "s"  # text, as typed; "=x" stays text
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _reported(result) -> list[tuple]:
    return [(p.row, p.column, p.value, p.message, p.severity) for p in result.problems]


xlsx_safe_cells = st.one_of(edge_cells, st.text(alphabet="0123456789.,+- abcE/", max_size=6))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(valid_row, min_size=1, max_size=8),
    mutations=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 8), xlsx_safe_cells), max_size=6),
)
def test_same_cells_in_csv_and_xlsx_give_the_same_problems_and_rows(rows, mutations):
    table = [list(r) for r in rows]
    for r, c, text in mutations:
        table[r % len(table)][c] = text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([list(TEMPLATE_COLUMNS), *table])
    from_csv = parse_upload(out.getvalue().encode("utf-8"), context=make_context("r.csv"))
    from_xlsx = parse_upload(_as_workbook(table), context=make_context("r.xlsx"))
    assert _reported(from_xlsx) == _reported(from_csv)
    assert_same(from_xlsx, from_csv, same_file=False)


# Hand-worked: what a count, a percentage and a pounds value cell on the edge of a rule gives.
@pytest.mark.parametrize(
    ("measure", "value", "outcome"),
    [
        ("all_crime", "+5", 5.0),
        ("all_crime", " 1,234 ", 1234.0),
        ("all_crime", "٣", 3.0),
        ("all_crime", "12.0", 12.0),
        ("all_crime", "1000000000000000", 1e15),
        ("all_crime", "1000000000000001", "number is too large"),
        ("all_crime", "1,23", "not a number (write digits, e.g. 1234 or 1,234.5)"),
        ("all_crime", "-0", 0.0),
        ("all_crime", "12.50", "a count must be a whole number"),
        ("victim_satisfaction", "100.0", 100.0),
        ("victim_satisfaction", "100.0000000000000001", "a percentage must be between 0 and 100"),
        ("victim_satisfaction", "99.9999999999999999", 100.0),
        ("revenue_savings", "12.500", 12.5),
        ("revenue_savings", "12.505", "pounds may have at most 2 decimal places"),
    ],
)
def test_value_cells_on_the_edge_of_a_rule(measure, value, outcome):
    respondents = "40" if measure == "victim_satisfaction" else ""
    text = f"{','.join(TEMPLATE_COLUMNS)}\n{measure},{FORCE},2014-04-01,2014-06-30,\"{value}\",,,{respondents},\n"
    result = parse_upload(text.encode(), context=make_context())
    if isinstance(outcome, float):
        assert result.ok, result.problems
        assert list(result.rows.value) == [outcome]
    else:
        assert [(p.row, p.column, p.message) for p in result.problems] == [(2, "value", outcome)]


# -- header, rows and cells as an upload meets them -----------------------------------------


def test_duplicate_rows_name_the_first_row():
    assert where(parse_fixture("duplicate_rows.csv")) == [
        (4, None, "duplicate row: the same measure, area and period as row 2")
    ]


def test_missing_column_named():
    result = parse_fixture("missing_column.csv")
    assert [(p.row, p.column) for p in result.errors] == [(1, "value")]
    assert "'value' is missing" in result.errors[0].message


def test_missing_columns_each_named():
    result = parse_text("measure_code,period_start\nall_crime,2014-04-01\n")
    assert [p.column for p in result.errors] == ["area_code", "period_end", "value"]


def test_header_case_and_spaces_ignored_and_extra_column_warned():
    header = " Measure_Code ,AREA_CODE,period_start,period_end,Value,notes"
    result = parse_text(f"{header}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,hi\n")
    assert result.ok and len(result.rows) == 1
    assert [(p.row, p.column, p.severity) for p in result.warnings] == [(1, "notes", "warning")]


def test_truncated_upload_rejected():
    result = parse_fixture("truncated.csv")
    assert not result.ok
    assert (4, None) in [(p.row, p.column) for p in result.errors]
    assert any("cut short" in p.message for p in result.errors)


def test_nul_bytes_rejected_naming_row_and_column():
    result = parse_fixture("nul_bytes.csv")
    assert [(p.row, p.column) for p in result.errors] == [(3, "comment")]
    assert "NUL" in result.errors[0].message
    assert "\x00" not in result.errors[0].value


@pytest.mark.parametrize("cell", ['"a\tb"', '"line\nbreak"', '"cr\rhere"'])
def test_control_characters_in_text_cells_rejected(cell):
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,{cell}\n"
    assert [(p.row, p.column) for p in parse_text(text).errors] == [(2, "comment")]


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


def test_missing_expected_row_warning_names_measure_area_and_period_in_words():
    from datetime import date

    from returns.tests.parse_support import FORCE, HEADER, parse_text

    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,10,,,,\n"
    expected = {
        ("all_crime", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
        ("burglary_dwelling", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    }
    result = parse_text(
        text,
        expected=expected,
        measure_titles={"burglary_dwelling": "Burglary of a dwelling"},
        area_names={FORCE: "Leicestershire"},
    )
    assert [p.message for p in result.warnings] == [
        f"no row for Burglary of a dwelling, Leicestershire ({FORCE}), Q1 2014/15 (April to June 2014) "
        "(expected in this return): add the row"
    ]
    assert [p.value for p in result.warnings] == [""]  # the message names the row; no internal key
