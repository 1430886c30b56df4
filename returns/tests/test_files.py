"""Tests for returns.files: CSV bytes to rows of cells (encodings, line endings, separators) and the size
bounds, hostile files refused within a memory and CPU-time budget.

Before the bounds, a CSV of two million one-character lines took 48 s and 5.4 GB to parse.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns.parsing import TEMPLATE_COLUMNS, parse_upload
from returns.tests.parse_support import BLABY, FORCE, HEADER, make_context, parse_fixture, parse_in_budget, parse_text
from returns.tests.resaved_returns import CONTEXT, DATE_STYLES, as_csv, figures, valid_rows


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


# -- size bounds ----------------------------------------------------------------------------


def test_csv_of_two_million_one_character_lines_refused_in_budget(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_bytes((HEADER + "\n" + "x\n" * 2_100_000).encode())
    assert path.stat().st_size < 5 * 1024 * 1024
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "lines.csv has more than 2,000,000 rows, the limit (blank rows count); delete the empty rows at "
            "the end, or split the return into smaller files",
        ]
    ]


def test_csv_of_blank_lines_counts_them(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(
        (HEADER + "\n" + ",,,,,,,,\n" * 1_999_999 + f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n").encode()
    )
    errors = parse_in_budget(path)
    assert errors == [
        [
            None,
            None,
            "blank.csv has more than 2,000,000 rows, the limit (blank rows count); delete the empty rows at "
            "the end, or split the return into smaller files",
        ]
    ]


def test_hundred_thousand_column_csv_refused_with_one_short_message():
    header = HEADER + "," + ",".join(f"x{i}" for i in range(100_000 - 9))
    result = parse_text(header + "\n" + f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n")
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (
            None,
            None,
            "return.csv: row 1 has 100,000 columns; the limit is 100 (the template has 9); delete the columns "
            "after the template's last column",
        )
    ]


def test_row_bound_counts_blank_rows_and_names_the_file():
    rows = f"all_crime,{FORCE},2014-04-01,2014-06-30,1,,,,\n\n\n\n"
    result = parse_text(f"{HEADER}\n{rows}", max_rows=3)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 3 rows, the limit (blank rows count); delete the empty rows at the end, "
        "or split the return into smaller files"
    ]


def test_cell_bound_stops_reading():
    rows = "".join(
        f"{m},{a},2014-04-01,2014-06-30,1,,,,\n" for m in ("all_crime", "burglary_dwelling") for a in (FORCE, BLABY)
    )
    result = parse_text(f"{HEADER}\n{rows}", max_cells=30)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 30 cells, the limit; delete unused rows and columns, or split the return "
        "into smaller files"
    ]


# -- re-saved any way, the same figures -----------------------------------------------------

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=valid_rows(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]),
    separator=st.sampled_from([",", ";", "\t"]),
    dates=st.sampled_from(sorted(DATE_STYLES)),
    eol=st.sampled_from(["\r\n", "\n"]),
)
def test_csv_resaved_any_way_gives_the_same_figures(rows, encoding, separator, dates, eol):
    raw = as_csv(rows, encoding=encoding, separator=separator, dates=dates, eol=eol)
    result = parse_upload(raw, context=replace(CONTEXT, file_name="r.csv"))
    assert result.ok, result.errors
    assert figures(result.rows) == figures(rows)
