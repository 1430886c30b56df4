"""Calendar rules for return periods, due dates and month ends (pure; no Django)."""

import calendar
from datetime import date, timedelta


def month_end(day: date) -> date:
    """The last day of the month that `day` falls in."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: date) -> bool:
    return day == month_end(day)


def previous_month_end(day: date) -> date:
    """The last day of the month before `day`'s month (a meeting on 9 June 2014 → 31 May 2014)."""
    return day.replace(day=1) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """First of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), month_end(day)


def financial_quarter(day: date) -> tuple[date, date]:
    """The financial-year quarter containing `day` (Q1 = April–June)."""
    fy_start_year = day.year if day.month >= 4 else day.year - 1
    start = add_months(date(fy_start_year, 4, 1), ((day.month - 4) % 12) // 3 * 3)
    return start, month_end(add_months(start, 2))


def financial_year_label(day: date) -> str:
    start_year = day.year if day.month >= 4 else day.year - 1
    return f"{start_year}/{str(start_year + 1)[-2:]}"


def period_label(start: date, end: date) -> str:
    """'May 2014', 'Q1 2014/15 (April to June 2014)' or 'April 2014 to March 2015'."""
    if start.day == 1 and end == month_end(start):
        return start.strftime("%B %Y")
    if (start, end) == financial_quarter(start):
        quarter = ((start.month - 4) % 12) // 3 + 1
        return f"Q{quarter} {financial_year_label(start)} ({start:%B} to {end:%B %Y})"
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"


def add_working_days(day: date, working_days: int) -> date:
    """`day` plus this many weekdays (bank holidays are not modelled)."""
    current = day
    remaining = working_days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def due_date(period_end: date, working_days: int) -> date:
    """A return is due `working_days` working days after its period ends."""
    return add_working_days(period_end, working_days)


def months_between(start: date, end: date) -> int:
    """Whole months spanned by a period from a first-of-month to a month end."""
    return (end.year - start.year) * 12 + end.month - start.month + 1
