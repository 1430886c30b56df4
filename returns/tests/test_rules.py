"""Tests for returns.rules: the table of rules, and that a rule added to it is all a new check needs."""

from __future__ import annotations

import io

import openpyxl

from returns import validation
from returns.parsing import parse_upload
from returns.rules import RULES, Rule
from returns.template import TEMPLATE_COLUMNS
from returns.tests.test_parsing import FORCE, HEADER, make_context


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
