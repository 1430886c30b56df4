"""A chart as a reader of a paper sees it: the static SVG and a short, readable table.

The page's chart and the paper's are one definition: both are drawn from the same `Chart`
(reports/charts/); the paper's SVG by pcc_dashboard/svg.py. The paper's table keeps
at most 6 columns and the latest 13 months or 8 quarters, in words and the measure's own units
(thousands separators, 1 decimal for rates and percentages, 2 for MSG rates per 1,000); the full
series stays in the CSV downloads and on the measure page.
"""

from __future__ import annotations

import datetime as dt

from django.utils.safestring import mark_safe

from pcc_dashboard.svg import figure_svg
from reports.analysis.status import format_value
from reports.charts.base import Chart
from reports.charts.words import period_name

PAPER_PERIODS = 13  # months: a year and the same month the year before
PAPER_QUARTERS = 8  # quarters: two years


def _periods_kept(rows: list) -> int:
    """How many of a table's latest periods the paper keeps: 13 months, or 8 of a longer period."""
    if not rows or not rows[-1][0] or not rows[-1][1]:
        return PAPER_PERIODS
    start, end = (dt.date.fromisoformat(str(v)[:10]) for v in rows[-1][:2])
    return PAPER_PERIODS if (end - start).days <= 31 else PAPER_QUARTERS


def _point(row: list) -> dict:
    return {"period_start": row[0], "period_end": row[1]}


def _number(value, unit: str) -> str:
    return "–" if value is None else format_value(value, unit).removesuffix(" per 1,000")


def _trend_rows(rows: list, unit: str) -> tuple[list[str], list[list[str]]]:
    # fig_trend's table (reports/charts/trend.py): start, end, value, mean, lower, upper, lower 2-sigma, upper 2-sigma,
    # variation (words), rules (words), provisional.
    header = ["Period", "Value", "Mean", "Process limits", "Variation"]
    out = []
    for row in rows:
        variation = row[8]
        limits = "–" if row[4] is None or row[5] is None else f"{_number(row[4], unit)} to {_number(row[5], unit)}"
        if row[10] == "yes" and limits != "–":
            limits += " (provisional)"
        out.append([period_name(_point(row)), _number(row[2], unit), _number(row[3], unit), limits, variation])
    return header, out


def _survey_rows(rows: list) -> tuple[list[str], list[list[str]]]:
    header = ["Period", "Percentage", "Respondents", "95% confidence interval"]
    out = [
        [
            period_name(_point(r)),
            format_value(r[2], "percentage"),
            f"{r[3]:,}" if r[3] is not None else "–",
            "–" if r[4] is None else f"{format_value(r[4], 'percentage')} to {format_value(r[5], 'percentage')}",
        ]
        for r in rows
    ]
    return header, out


def _savings_rows(rows: list) -> tuple[list[str], list[list[str]]]:
    # A fourth column (share of the office's challenge) only when the plan gives the measure one.
    share = any(len(r) > 3 for r in rows)
    header = ["Period", "Cumulative savings", *(["Share of the challenge"] if share else [])]
    return header, [
        [period_name(_point(r)), format_value(r[2], "pounds"), *([f"{r[3]:.1f}%"] if share else [])] for r in rows
    ]


def _msg_rows(rows: list) -> tuple[list[str], list[list[str]]]:
    # fig_msg's table (reports/charts/msg.py): rank, force, area code, count, population, mid-year, rate, position.
    header = ["Rank", "Force", "Rate per 1,000", "Crimes", "Population", "Position"]
    out = [
        [
            str(r[0]) if r[0] is not None else "–",
            r[1],
            "–" if r[6] is None else f"{r[6]:,.2f}",
            "–" if r[3] is None else f"{r[3]:,.0f}",
            "–" if r[4] is None else f"{r[4]:,.0f}",
            r[7] or "",
        ]
        for r in rows
    ]
    return header, out


def _why(rows: list) -> str:
    """Which SPC rules made the latest period special cause, in words ("" for common cause)."""
    last = rows[-1] if rows else None
    if not last or not last[9] or not str(last[8]).startswith("Special cause"):
        return ""
    return f"{period_name(_point(last))}: {last[8].lower()}, from {last[9]}."


def paper_chart(chart: Chart, *, unit: str) -> dict:
    """{"chart", "svg" (safe markup), "header", "rows", "cut", "why", "on_paper"} for one chart of a report.

    unit: the measure's unit (count, rate_per_1000, percentage, pounds). Periods are cut to the
    latest 13 months or 8 longer periods; "cut" says how many were left out (0 when none); "why" names the SPC
    rules behind the latest period's special cause, in words. "on_paper" is False for a table the
    paper leaves to the screen and the CSV (the Most Similar Group's: its chart labels every rate).
    """
    kind = chart.id.split("-")[0]
    rows = chart.table_rows
    cut = 0
    kept = _periods_kept(rows) if kind in ("trend", "survey", "savings") else len(rows)
    if len(rows) > kept:
        cut = len(rows) - kept
        rows = rows[-kept:]
    if kind == "trend":
        header, body = _trend_rows(rows, unit)
    elif kind == "survey":
        header, body = _survey_rows(rows)
    elif kind == "savings":
        header, body = _savings_rows(rows)
    elif kind == "msg":
        header, body = _msg_rows(rows)
    else:  # small multiples: the summary names each area's latest figure; no table on paper
        header, body = [], []
    # The SVG's <title> is the chart's text alternative (the tagged PDF's Figure /Alt): its title and
    # summary. svg.figure_svg escapes every text it writes, so its markup is safe to place in the page.
    alt = f"{chart.title}. {chart.summary}" if chart.summary else chart.title
    svg = mark_safe(figure_svg(chart.figure, title=alt))  # noqa: S308  # nosec B308 B703
    why = _why(rows) if kind == "trend" else ""
    return {
        "chart": chart,
        "svg": svg,
        "header": header,
        "rows": body,
        "cut": cut,
        "why": why,
        "on_paper": kind != "msg",
    }
