"""Valid returns for round-trip tests: any valid return, re-saved through each supported encoding, separator,
date style, and as XLSX (visible and hidden sheets, percentage formats), gives the same figures.

`valid_rows` draws the rows, `as_csv` and `as_xlsx` save them, `figures` is what a return stores.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import openpyxl
from hypothesis import strategies as st

from returns.parsing import TEMPLATE_COLUMNS, MeasureRule
from returns.tests.parse_support import BLABY, FORCE, make_context

START, END = date(2014, 1, 1), date(2014, 3, 31)  # Q4 2013/14: day-first and month-first readings overlap
MONTHS = [
    (date(2014, 1, 1), date(2014, 1, 31)),
    (date(2014, 2, 1), date(2014, 2, 28)),
    (date(2014, 3, 1), date(2014, 3, 31)),
]
MEASURES = {
    "all_crime": MeasureRule("all_crime", "count", False),
    "victim_satisfaction": MeasureRule("victim_satisfaction", "percentage", True),
    "reoffending_rate": MeasureRule("reoffending_rate", "rate_per_1000", False),
    "revenue_savings": MeasureRule("revenue_savings", "pounds", False),
}
FREQUENCIES = {
    ("all_crime", FORCE): frozenset({"monthly"}),
    ("all_crime", BLABY): frozenset({"monthly"}),
    ("victim_satisfaction", FORCE): frozenset({"quarterly"}),
    ("reoffending_rate", BLABY): frozenset({"quarterly"}),
    ("revenue_savings", FORCE): frozenset({"quarterly"}),
}
CONTEXT = replace(
    make_context(),
    measures=MEASURES,
    allowed=set(FREQUENCIES),
    frequencies=FREQUENCIES,
    period_start=START,
    period_end=END,
)

comment = st.text(alphabet="abc xyz'\",;=+-@£–ô", max_size=12).map(str.strip)


@st.composite
def valid_rows(draw) -> list[dict]:
    """Rows of a valid return: value, numerator, denominator, respondents as the text a person types."""
    rows = []
    for area in draw(st.sets(st.sampled_from([FORCE, BLABY]), min_size=1)):
        for start, end in draw(st.sets(st.sampled_from(MONTHS), min_size=1)):
            value = str(draw(st.integers(0, 10**6)))
            rows.append(dict(measure="all_crime", area=area, start=start, end=end, value=value, comment=draw(comment)))
    if draw(st.booleans()):
        n = draw(st.integers(1, 5000))
        k = draw(st.integers(0, n))
        value = str(round(Decimal(100 * k) / n, 1))
        rows.append(
            dict(
                measure="victim_satisfaction",
                area=FORCE,
                start=START,
                end=END,
                value=value,
                numerator=str(k),
                denominator=str(n),
                respondents=str(n),
                percent=True,
                comment=draw(comment),
            )
        )
    if draw(st.booleans()):
        n = draw(st.integers(1, 10**6))
        k = draw(st.integers(0, n))
        value = str(round(Decimal(1000 * k) / n, 2))
        rows.append(
            dict(
                measure="reoffending_rate",
                area=BLABY,
                start=START,
                end=END,
                value=value,
                numerator=str(k),
                denominator=str(n),
                comment=draw(comment),
            )
        )
    if draw(st.booleans()):
        pence = draw(st.integers(0, 10**11))
        rows.append(
            dict(
                measure="revenue_savings",
                area=FORCE,
                start=START,
                end=END,
                value=f"{pence / 100:.2f}",
                comment=draw(comment),
            )
        )
    return rows


def figures(rows) -> set[tuple]:
    """What a return stores, from the generator's rows (expected) or a parse's rows frame (got)."""
    if isinstance(rows, list):
        return {
            (
                r["measure"],
                r["area"],
                r["start"],
                r["end"],
                float(r["value"]),
                float(r["numerator"]) if "numerator" in r else None,
                float(r["denominator"]) if "denominator" in r else None,
                int(r["respondents"]) if "respondents" in r else None,
                r["comment"],
            )
            for r in rows
        }
    return {
        (
            r.measure_code,
            r.area_code,
            r.period_start,
            r.period_end,
            r.value,
            r.numerator,
            r.denominator,
            r.respondents,
            r.comment,
        )
        for r in rows.itertuples()
    }


DATE_STYLES = {
    "iso": date.isoformat,
    "uk": lambda d: d.strftime("%d/%m/%Y"),
    "uk-short": lambda d: f"{d.day}/{d.month}/{d.year}",
}


def as_csv(rows, *, encoding: str, separator: str, dates: str, eol: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator, lineterminator=eol)
    writer.writerow(TEMPLATE_COLUMNS)
    show = DATE_STYLES[dates]
    for r in rows:
        writer.writerow(
            [
                r["measure"],
                r["area"],
                show(r["start"]),
                show(r["end"]),
                r["value"],
                r.get("numerator", ""),
                r.get("denominator", ""),
                r.get("respondents", ""),
                r["comment"],
            ]
        )
    return out.getvalue().encode(encoding)


def as_xlsx(rows, *, layout: str, dates: str, percent: bool) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if layout == "hidden first":
        junk = wb.create_sheet("Old")
        junk.append(list(TEMPLATE_COLUMNS))
        junk.append(["all_crime", FORCE, "2014-01-01", "2014-01-31", 999999])
        junk.sheet_state = "hidden"
    ws = wb.create_sheet("Data" if layout == "active sheet" else "Return")
    ws.append(list(TEMPLATE_COLUMNS))
    for r in rows:
        start, end = (
            (r["start"], r["end"])
            if dates == "cells"
            else (DATE_STYLES[dates](r["start"]), DATE_STYLES[dates](r["end"]))
        )
        value: object = int(r["value"]) if r["measure"] == "all_crime" else float(Decimal(r["value"]))
        shown_as_percent = percent and r.get("percent")
        if shown_as_percent:
            value = float(Decimal(r["value"]) / 100)  # what Excel keeps when 85.4% is typed
        ws.append(
            [
                r["measure"],
                r["area"],
                start,
                end,
                value,
                int(r["numerator"]) if "numerator" in r else None,
                int(r["denominator"]) if "denominator" in r else None,
                int(r["respondents"]) if "respondents" in r else None,
                r["comment"] or None,
            ]
        )
        if shown_as_percent:
            ws.cell(row=ws.max_row, column=5).number_format = "0.0%"
        ws.cell(row=ws.max_row, column=9).data_type = "s"  # a comment typed as "=x" is text, not a formula
    wb.active = len(wb.worksheets) - 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
