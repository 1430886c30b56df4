"""Template filters in words: `{{ event.action|words:"audit" }}` shows pcc_dashboard.vocabulary's words for a code;
`{{ row.period_start|day }}` shows a date (a date or an ISO string, as payloads hold them) as "1 April 2014".

A built-in template library (settings.TEMPLATES), so every template can use it without {% load %}.
"""

import datetime as dt
import re

from django import template

from pcc_dashboard import vocabulary

register = template.Library()

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")


@register.filter
def words(code, kind: str) -> str:
    """The words for `code` of vocabulary kind `kind` ("audit", "variation", "rule", …)."""
    if kind == "rule":
        return vocabulary.rules_label(code)
    return vocabulary.label(kind, code)


@register.filter
def day(value):
    """A date as a person reads it: "1 April 2014" from a date, a datetime or an ISO string
    ("2014-04-01"); "" for None or ""; any other text as it is. CSV and API files keep ISO dates."""
    return day_words(value)


def day_words(value):
    """ "1 April 2014" from a date, a datetime or an ISO date string ("2014-04-01", or a timestamp starting
    with one); "" for None or ""; anything else (a number, other text) is returned unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if not ISO_DAY.match(value):
            return value
        value = dt.date.fromisoformat(value[:10])
    if not isinstance(value, dt.date):
        return value
    return f"{value.day} {value:%B %Y}"
