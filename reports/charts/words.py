"""The words charts share: snapshot labels, months, periods, spans and a measure's units."""

from __future__ import annotations

import datetime as dt
import math

from pcc_dashboard import vocabulary


def as_of_label(as_of) -> str:
    """'Data as at 31 May 2014' from a date or an ISO string."""
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    return f"Data as at {day.day} {day:%B %Y}"


def iso_day(as_of) -> str:
    """'2014-05-31' from a date or an ISO string (returned as it is)."""
    return as_of if isinstance(as_of, str) else as_of.isoformat()


def month_text(iso: str | None) -> str:
    """'May 2014' from an ISO date string; '' for None or ''."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day:%B %Y}"


def number_text(value) -> bool:
    """True when `value` is a finite int or float (not a bool): a figure a chart can draw and name."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def period_name(point: dict) -> str:
    """'September 2013' for a month, 'July to September 2013' for a longer period."""
    start, end = point.get("period_start"), point["period_end"]
    if not start or start[:7] == end[:7]:
        return month_text(end)
    first = dt.date.fromisoformat(start)
    year = "" if first.year == int(end[:4]) else f" {first.year}"
    return f"{first:%B}{year} to {month_text(end)}"


def count_span(count: int, noun: str, first: str, last: str) -> str:
    """'14 points from January 2013 to March 2014'; '1 point, March 2014'."""
    if count == 1:
        return f"1 {noun}, {month_text(last)}"
    return f"{count} {noun}s from {month_text(first)} to {month_text(last)}"


def months_between(first: str | None, last: str | None) -> str:
    """'January 2013 to December 2014' from two ISO dates; one month when both fall in it; '' without `first`."""
    if not first:
        return ""
    return month_text(first) if first[:7] == (last or first)[:7] else f"{month_text(first)} to {month_text(last)}"


def measure_units(measure: dict) -> str:
    """A measure payload's units in words: 'number per month' or 'number per quarter' for a count
    (by its frequency), otherwise the unit's vocabulary label in lower case without '(%)'."""
    unit = measure.get("unit", "count")
    if unit == "count":
        return "number per month" if measure.get("frequency") == "monthly" else "number per quarter"
    return vocabulary.label("unit", unit).lower().replace("(%)", "").strip()
