"""Tests for returns.values: cell text to numbers and dates, as a return writes them."""

from __future__ import annotations

import pytest

from returns.parsing import DATE_FORMS
from returns.tests.parse_support import FORCE, HEADER, parse_fixture, parse_text, where


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


@pytest.mark.parametrize("value", ['" 1,234 "', "1234.0", "0", "+5"])
def test_count_formats_accepted(value):
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,{value},,,,\n"
    assert parse_text(text).ok
