"""Dates for the demo: office hours, due dates and working days, so demo events fall on plausible days."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from returns.periods import due_date


def office_time(day: date, hour: int) -> datetime:
    """A plausible office time on a demo day: `hour` o'clock (local time zone), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def return_due(end: date) -> date:
    """The day a return for a period ending `end` is due (RETURN_DUE_WORKING_DAYS working days after)."""
    return due_date(end, settings.RETURN_DUE_WORKING_DAYS)


def working_days_before(day: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) before `day`."""
    while days > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day
