"""Tests for returns.problems: the problem report, its order, its limit and its CSV."""

from __future__ import annotations

import re

import pytest

from returns.parsing import Problem, problems_csv
from returns.problems import lookalike_note
from returns.tests.parse_support import FORCE, HEADER, parse_in_budget, parse_text


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


def test_csv_of_bad_lines_under_the_row_bound_stops_at_the_problem_bound(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes((HEADER + "\n" + "x\n" * 1_900_000).encode())
    errors = parse_in_budget(path)
    assert len(errors) == 10_001
    assert errors[0][0] is None
    assert re.fullmatch(
        r"junk\.csv: reading stopped at row [\d,]+ after 10,000 problems, the limit; fix the problems listed "
        r"and upload the file again",
        errors[0][2],
    )


def test_bound_passed_just_after_the_problem_limit_is_still_reported():
    rows = "".join(f"nope{i},{FORCE},2014-04-01,2014-06-30,1,,,,\n" for i in range(4))
    result = parse_text(f"{HEADER}\n{rows}", max_problems=3, max_cells=40)
    assert [p.message for p in result.errors] == [
        "return.csv has more than 40 cells, the limit; delete unused rows and columns, or split the return into "
        "smaller files",
        *[f"unknown measure code 'nope{i}': use a measure_code from the return template" for i in range(3)],
    ]


@pytest.mark.parametrize(
    ("column", "value", "note"),
    [
        ("value", "1O", "\u201c1O\u201d contains the letter O (not the digit 0)"),
        (
            "numerator",
            "l,2O4",
            "\u201cl,2O4\u201d contains the letter O (not the digit 0) and the letter l (not the digit 1)",
        ),
        ("value", "null", ""),  # a word, not a mistyped number
        ("comment", "1O", ""),  # not a number cell
        ("value", "10", ""),
    ],
)
def test_lookalike_note_names_letters_that_pass_for_digits(column, value, note):
    assert lookalike_note(column, value) == note


def test_letter_o_in_a_number_cell_is_named_in_the_message_and_the_report():
    result = parse_text(f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1O,,,,\n")
    [problem] = result.errors
    assert problem.message.endswith(": \u201c1O\u201d contains the letter O (not the digit 0)")
    assert "contains the letter O" in problems_csv(result.problems).decode("utf-8-sig")
