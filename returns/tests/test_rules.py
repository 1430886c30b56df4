"""Tests for returns.rules: the table of rules, and that a rule added to it is all a new check needs."""

from __future__ import annotations

import io

import openpyxl
import pytest

from returns import validation
from returns.parsing import parse_upload
from returns.rules import RULES, Rule
from returns.template import TEMPLATE_COLUMNS
from returns.tests.parse_support import BLABY, FORCE, HEADER, make_context, parse_fixture, parse_text, where


def test_every_rule_reports_a_template_column_with_a_message():
    assert {rule.column for rule in RULES} == set(TEMPLATE_COLUMNS)
    assert all(rule.message for rule in RULES)


def test_a_new_rule_is_one_entry_reported_for_csv_and_xlsx_naming_row_and_column(monkeypatch):
    over_a_million = Rule(
        "value",
        lambda c: c.value.ok & (c.value.value > 1_000_000),
        lambda c, i: f"{c.measure(i)} over a million; check the figure",
    )
    monkeypatch.setattr(validation, "RULES", (*RULES, over_a_million))
    rows = [
        ["all_crime", FORCE, "2014-04-01", "2014-06-30", "5"],
        ["burglary_dwelling", FORCE, "2014-04-01", "2014-06-30", "2000000"],
    ]
    text = HEADER + "\n" + "\n".join(",".join(r) + ",,,," for r in rows) + "\n"
    wb = openpyxl.Workbook()
    wb.active.title = "Return"
    wb.active.append(list(TEMPLATE_COLUMNS))
    for row in rows:
        wb.active.append([*row[:4], int(row[4])])
    out = io.BytesIO()
    wb.save(out)
    for name, raw in (("r.csv", text.encode()), ("r.xlsx", out.getvalue())):
        result = parse_upload(raw, context=make_context(name))
        assert [(p.file, p.row, p.column, p.value, p.message) for p in result.problems] == [
            (name, 3, "value", "2000000", "burglary_dwelling over a million; check the figure")
        ]
        assert result.rows.empty or list(result.rows.source_row) == [2]


# -- rules as an upload meets them ----------------------------------------------------------


def test_negative_count_rejected():
    assert where(parse_fixture("negative.csv")) == [(2, "value", "must not be negative")]


def test_area_outside_agreed_data_set_named_in_words_with_the_fix():
    text = f"{HEADER}\nrevenue_savings,{BLABY},2014-04-01,2014-06-30,10,,,,\n"
    words = {
        "measure_titles": {"revenue_savings": "Revenue savings"},
        "area_names": {BLABY: "Blaby", FORCE: "Leicestershire"},
        "area_owners": {BLABY: "Blaby CSP"},
    }
    assert where(parse_text(text, **words)) == [
        (
            2,
            "area_code",
            f"Blaby ({BLABY}) is not in Leicestershire Police's agreed data set for Revenue savings: this return "
            f"is for Leicestershire ({FORCE}): use that code, or upload Blaby CSP's figures as Blaby CSP's return",
        )
    ]


def test_area_outside_agreed_data_set_without_an_owner_says_to_remove_the_row():
    text = f"{HEADER}\nrevenue_savings,{BLABY},2014-04-01,2014-06-30,10,,,,\n"
    [(_, _, message)] = where(parse_text(text))
    assert message == (
        f"{BLABY} is not in Leicestershire Police's agreed data set for revenue_savings: this return is for "
        f"{FORCE}: use that code, or remove the row"
    )


def test_survey_measure_without_respondents_names_the_measure_by_title():
    text = f"{HEADER}\nvictim_satisfaction,{FORCE},2014-04-01,2014-06-30,85,,,,\n"
    result = parse_text(text, measure_titles={"victim_satisfaction": "Victim satisfaction"})
    assert (2, "respondents", "respondents required for the survey measure Victim satisfaction") in where(result)


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
        (
            2,
            "period_start",
            "2014-03-15 is outside the return period, Q1 2014/15 (April to June 2014): dates must be from "
            "2014-04-01 to 2014-06-30",
        ),
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


def test_comment_length_limit():
    text = f"{HEADER}\nall_crime,{FORCE},2014-04-01,2014-06-30,1,,,,{'x' * 2001}\n"
    assert where(parse_text(text))[0][:2] == (2, "comment")


def test_an_unknown_area_code_names_the_measure_and_the_areas_this_return_is_for():
    from returns.tests.parse_support import FORCE, HEADER, parse_text

    result = parse_text(
        f"{HEADER}\nvictim_satisfaction,E22000999,2014-04-01,2014-06-30,80,,,120,\n",
        measure_titles={"victim_satisfaction": "Victim satisfaction"},
        area_names={FORCE: "Leicestershire"},
    )
    assert [(p.row, p.column, p.message) for p in result.errors] == [
        (
            2,
            "area_code",
            f"unknown area code 'E22000999' for Victim satisfaction: this return is for Leicestershire ({FORCE}): "
            "use that code",
        )
    ]
