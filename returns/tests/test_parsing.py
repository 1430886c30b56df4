"""Tests for returns.parsing, the entry point: whole uploads parsed end to end, never raising."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns.parsing import ROW_COLUMNS, TEMPLATE_COLUMNS, parse_upload
from returns.tests.parse_support import BLABY, FORCE, HEADER, MEASURES, UPLOADS, make_context, parse_fixture, parse_text


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


def test_csv_renamed_xlsx_rejected_by_magic_bytes():
    result = parse_fixture("not_really.xlsx")
    assert len(result.errors) == 1 and "not an Excel workbook" in result.errors[0].message


def test_xlsx_named_csv_rejected():
    raw = (UPLOADS / "valid.xlsx").read_bytes()
    result = parse_upload(raw, context=make_context("return.csv"))
    assert len(result.errors) == 1 and "rename it to .xlsx" in result.errors[0].message


def test_oversize_file_rejected_before_parsing():
    result = parse_upload(b"x" * 101, context=make_context(max_bytes=100))
    assert len(result.problems) == 1 and "larger than" in result.problems[0].message


# -- every problem, not just the first ------------------------------------------------------


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


# -- properties -----------------------------------------------------------------------------

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
