"""Tests for returns.parsing_fast: the column-at-a-time path gives exactly the row-at-a-time results."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns import parsing_fast
from returns.parsing import TEMPLATE_COLUMNS, _parse, parse_upload
from returns.tests.test_parsing import BLABY, FORCE, MEASURES, UPLOADS, make_context


def both(raw: bytes, context):
    return _parse(raw, context=context, fast=True), _parse(raw, context=context, fast=False)


def assert_same(fast, slow) -> None:
    """Same problems in the same order, same rows with the same dtypes and Python types."""
    assert fast.problems == slow.problems
    assert (fast.rows_read, fast.encoding, fast.file_type) == (slow.rows_read, slow.encoding, slow.file_type)
    assert list(fast.rows.columns) == list(slow.rows.columns)
    assert list(fast.rows.dtypes) == list(slow.rows.dtypes)
    fast_rows = list(fast.rows.itertuples(index=False, name=None))
    slow_rows = list(slow.rows.itertuples(index=False, name=None))
    assert fast_rows == slow_rows
    assert [tuple(map(type, r)) for r in fast_rows] == [tuple(map(type, r)) for r in slow_rows]


EXPECTED = {
    ("all_crime", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    ("revenue_savings", FORCE, date(2014, 4, 1), date(2014, 6, 30)),
    ("burglary_dwelling", BLABY, date(2014, 4, 1), date(2014, 4, 30)),
}


@pytest.mark.parametrize("path", sorted(UPLOADS.glob("*.csv")), ids=lambda p: p.name)
@pytest.mark.parametrize("changes", [{}, {"expected": EXPECTED}, {"max_rows": 2}], ids=["plain", "expected", "cap"])
def test_fast_path_matches_row_path_on_hostile_corpus(path, changes):
    fast, slow = both(path.read_bytes(), make_context(path.name, **changes))
    assert_same(fast, slow)


def test_fast_path_used_by_parse_upload_matches_on_valid_file():
    raw = (UPLOADS / "valid.csv").read_bytes()
    assert_same(parse_upload(raw, context=make_context("valid.csv")), _parse(raw, context=make_context(), fast=False))


def test_fast_path_duplicates_across_chunks_name_first_row(monkeypatch):
    monkeypatch.setattr(parsing_fast, "CHUNK_ROWS", 3)
    lines = [",".join(TEMPLATE_COLUMNS)]
    lines += [f"all_crime,{FORCE},2014-04-01,2014-06-30,{i},,,," for i in range(5)]
    lines += [f"all_crime,{FORCE},2014-04-01,2014-06-3x,1,,,,", f"all_crime,{FORCE},2014-04-01,2014-06-3x ,2,,,,"]
    fast, slow = both("\n".join(lines).encode(), make_context())
    assert_same(fast, slow)
    assert [(p.row, p.message) for p in fast.problems][:2] == [
        (3, "duplicate row: the same measure, area and period as row 2"),
        (4, "duplicate row: the same measure, area and period as row 2"),
    ]


# Cells that sit on the edge of a rule: each must be decided exactly as the row checker does.
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
def test_fast_path_matches_row_path_on_nearly_valid_csv(rows, mutations, cut, chunk, expected, eol):
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
    original = parsing_fast.CHUNK_ROWS
    parsing_fast.CHUNK_ROWS = chunk
    try:
        fast, slow = both(out.getvalue().encode("utf-8"), context)
    finally:
        parsing_fast.CHUNK_ROWS = original
    assert_same(fast, slow)


@settings(max_examples=100, deadline=None)
@given(
    columns=st.permutations(list(TEMPLATE_COLUMNS)),
    drop=st.integers(0, 4),
    rows=st.lists(valid_row, min_size=1, max_size=5),
)
def test_fast_path_matches_with_columns_reordered_or_left_out(columns, drop, rows):
    kept = [c for c in columns if c in TEMPLATE_COLUMNS[:5]] + [c for c in columns if c not in TEMPLATE_COLUMNS[:5]]
    kept = kept[: len(kept) - drop]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(kept)
    for row in rows:
        values = dict(zip(TEMPLATE_COLUMNS, row))
        writer.writerow([values[c] for c in kept])
    fast, slow = both(out.getvalue().encode("utf-8"), replace(make_context(), max_rows=10))
    assert_same(fast, slow)
