"""The plain CSV path (returns.files.csv_plain_lines): a file that needs no CSV parsing is split with
str.split, and must give exactly what csv.reader gives, rows, problems and messages alike.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import returns.parsing
from returns.files import Bounds, csv_plain_columns, csv_plain_lines
from returns.parsing import TEMPLATE_COLUMNS, parse_upload
from returns.tests.parse_support import BLABY, FORCE, UPLOADS, make_context

BOUNDS = Bounds(rows=1000, columns=50, cells=20_000)


def _reader_rows(text: str, separator: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=False, delimiter=separator))


def _both(raw: bytes, monkeypatch, **changes):
    """parse_upload as it runs, and with the plain path switched off (csv.reader for every CSV)."""
    context = make_context(**changes)
    plain = parse_upload(raw, context=context)
    with monkeypatch.context() as patch:
        patch.setattr(returns.parsing, "csv_plain_lines", lambda *args: None)
        read = parse_upload(raw, context=context)
    return plain, read


def _same(plain, read) -> None:
    pd.testing.assert_frame_equal(plain.rows, read.rows)
    assert plain.problems == read.problems
    assert (plain.rows_read, plain.encoding, plain.separator) == (read.rows_read, read.encoding, read.separator)


cell = st.text(alphabet=f"ab1.,;-/ \t\"\r\n\x00{FORCE[:3]}", max_size=6)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=6), sep=st.sampled_from(",;\t"))
def test_plain_lines_split_as_the_csv_module_reads(lines, sep):
    text = "\n".join(sep.join(cells) for cells in lines) + "\n"
    plain = csv_plain_lines(text, sep, BOUNDS)
    if plain is None:
        return
    width = plain[0].count(sep) + 1
    split = [plain[0].split(sep)]
    for table in csv_plain_columns(plain, sep, 2):
        split += [list(row) for row in zip(*table, strict=True)]
    assert all(len(row) == width for row in split)
    assert split == _reader_rows(text, sep)


def test_files_needing_the_csv_module_are_not_plain():
    header = ",".join(TEMPLATE_COLUMNS)
    assert csv_plain_lines(f'{header}\n"a",b,,,,,,,\n', ",", BOUNDS) is None  # quotes
    assert csv_plain_lines(f"{header}\r\na,b,,,,,,,\r\n", ",", BOUNDS) is None  # CR
    assert csv_plain_lines(f"{header}\na,b\n", ",", BOUNDS) is None  # a short row
    assert csv_plain_lines(f"{header}\n\na,b,,,,,,,\n", ",", BOUNDS) is None  # a blank line
    assert csv_plain_lines(f"{header}\n" + "a,b,,,,,,,\n" * 1000, ",", BOUNDS) is None  # rows bound
    assert csv_plain_lines(f"{header}\n" + "a,b,,,,,,,\n" * 3, ",", replace(BOUNDS, columns=8)) is None
    assert csv_plain_lines(f"{header}\n" + "a,b,,,,,,,\n" * 3, ",", replace(BOUNDS, cells=35)) is None
    long = "x" * (csv.field_size_limit() + 1)
    assert csv_plain_lines(f"{header}\n{long},,,,,,,,\n", ",", BOUNDS) is None
    assert csv_plain_lines(f"{header}\na,b,,,,,,,", ",", BOUNDS) == [header, "a,b,,,,,,,"]


@pytest.mark.parametrize("name", sorted(p.name for p in UPLOADS.glob("*.csv")))
def test_upload_corpus_reads_the_same_either_way(name, monkeypatch):
    _same(*_both((UPLOADS / name).read_bytes(), monkeypatch, file_name=name))


ROW_CELLS = {
    "measure_code": ["all_crime", "victim_satisfaction", "revenue_savings", "ALL_CRIME ", "", "nope"],
    "area_code": [FORCE, BLABY, FORCE.lower(), "", "E99"],
    "period_start": ["2014-04-01", "01/04/2014", "2014-05-01", "2014-02-30", "", "x"],
    "period_end": ["2014-06-30", "30/06/2014", "2014-05-31", "2014-04-30", ""],
    "value": ["12", "85.4", "1,234.5", "-3", "", "1e9", "100", "x", "\x01"],
    "numerator": ["", "854", "12"],
    "denominator": ["", "1000", "0"],
    "respondents": ["", "40", "2.5", "0"],
    "comment": ["", "=cmd", " note ", "\x07"],
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(*(st.sampled_from(ROW_CELLS[name]) for name in TEMPLATE_COLUMNS)), max_size=12),
    sep=st.sampled_from(",;\t"),
    order=st.permutations(list(TEMPLATE_COLUMNS)),
    max_problems=st.sampled_from([3, 200]),
)
def test_generated_returns_read_the_same_either_way(rows, sep, order, max_problems):
    lines = [sep.join(order)]
    for row in rows:
        cells = dict(zip(TEMPLATE_COLUMNS, row, strict=True))
        lines.append(sep.join(cells[name] for name in order))
    raw = ("\n".join(lines) + "\n").encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same(*_both(raw, monkeypatch, max_problems=max_problems))
