"""Cell text to typed values, a column at a time: numbers and dates as a return writes them.

Pure module: no Django. Each function takes a column of cell texts (control characters already
removed) and gives arrays the rules in `returns.rules` test as masks. What is accepted:

- numbers: plain decimal notation only, an optional sign, digits with optional well-formed
  thousands separators and an optional fraction ("1,234.5"). No exponents, so "1e9999", "NaN"
  and "inf" never parse; nothing goes through float before it is known to be such a number;
- dates: ISO (2014-03-31) or UK day first (31/03/2014, 1/4/2014), see `parse_date`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

# Far beyond any real figure (largest plausible is a force's annual spend in pounds); stops
# absurd numbers such as "9" * 5000 from turning into inf when converted to float.
MAX_ABS_VALUE = Decimal(10) ** 15
EARLIEST_YEAR = 2000
DATE_FORMS = "write dates as 2014-03-31 (YYYY-MM-DD) or 31/03/2014 (DD/MM/YYYY, day first)"

_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
# The common case, decided for a whole column at once: ASCII digits, at most 15 of them (so below
# MAX_ABS_VALUE), an optional fraction. Any other cell is read by `number` one at a time.
_PLAIN_RE = re.compile(r"[0-9]{1,15}(?:\.[0-9]+)?")
_NOT_DIGIT_RE = re.compile(r"[^0-9\n]")
_SIXTEEN_DIGITS_RE = re.compile(r"[0-9]{16}")
_SPACE_RE = re.compile(r"\s")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_FIRST_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

# What a number cell is, in the order its problems are reported (one per cell).
OK, BLANK, DECIMAL_COMMA, NOT_NUMBER, TOO_LARGE, NEGATIVE, NOT_WHOLE = range(7)


def flags(test: Callable[[str], object], texts: Sequence[str]) -> np.ndarray:
    """[bool(test(t)) for t in texts] as a boolean array."""
    return np.fromiter(map(bool, map(test, texts)), dtype=bool, count=len(texts))


def objects(values: Sequence) -> np.ndarray:
    """values as a 1-D object array (np.asarray would look inside every string for a sequence); an
    object array is returned as it is."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    return np.fromiter(values, dtype=object, count=len(values))


def stripped(column: Sequence[str]) -> list[str]:
    """[cell.strip() for cell in column]; one scan of the column first, as most hold no white space."""
    if _SPACE_RE.search("".join(column)):
        return list(map(str.strip, column))
    return list(column)


def factorized(column: Sequence[str], clean: Callable[[str], object]) -> tuple[np.ndarray, list]:
    """(codes, distinct): clean(cell) == distinct[codes[i]] for each cell i; clean runs once per distinct cell."""
    values = column if isinstance(column, np.ndarray) else objects(column)
    codes, uniques = pd.factorize(values)
    cleaned = [clean(u) for u in uniques.tolist()]
    index: dict = {}
    remap = np.asarray([index.setdefault(c, len(index)) for c in cleaned] + [0], dtype=np.int64)[:-1]
    return remap[codes] if len(codes) else codes.astype(np.int64), list(index)


def decimals(number_text: str) -> int:
    """How many significant decimal places a plain number has ("12.50" → 1, "12.0" → 0)."""
    return len(number_text.partition(".")[2].rstrip("0"))


def number(text: str, *, semicolon: bool = False, whole: bool = False) -> tuple[int, Decimal | None]:
    """(status, value) for one cell: OK with a non-negative Decimal, or the first thing wrong with it.

    semicolon: the file is semicolon-separated, where a comma may be a decimal comma (refused).
    whole: a fractional part is refused (12.0 is whole; 12.5 is not).
    """
    s = text.strip()
    if not s:
        return BLANK, None
    if "," in s and semicolon:
        return DECIMAL_COMMA, None
    if not _NUMBER_RE.fullmatch(s):
        return NOT_NUMBER, None
    s = s.replace(",", "")
    value = Decimal(s)
    if abs(value) > MAX_ABS_VALUE:
        return TOO_LARGE, None
    if value < 0:
        return NEGATIVE, None
    if whole and decimals(s):
        return NOT_WHOLE, None
    return OK, value


@dataclass
class Numbers:
    """A number column: status (OK, BLANK, …), float value (NaN unless OK), significant decimal places."""

    text: list[str]
    status: np.ndarray
    value: np.ndarray
    places: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK

    def decimal(self, i: int) -> Decimal:
        """Cell i (status OK) as the exact Decimal written."""
        return Decimal(self.text[i].replace(",", ""))


def numbers(column: Sequence[str], *, semicolon: bool = False, whole: bool = False) -> Numbers:
    """Every cell of a column read as `number` would, plain digit columns in one pass."""
    text = stripped(column)
    n = len(text)
    status = np.full(n, OK, dtype=np.int8)
    value = np.full(n, np.nan)
    places = np.zeros(n, dtype=np.int64)
    if n and _all_whole(text):
        value[:] = np.asarray(text, dtype=np.float64)
        return Numbers(text, status, value, places)
    if n and not text[0] and not "".join(text):  # an optional column left empty
        status[:] = BLANK
        return Numbers(text, status, value, places)
    blank = ~flags(bool, text)
    status[blank] = BLANK
    if blank.all():
        return Numbers(text, status, value, places)
    plain = np.zeros(n, dtype=bool)
    filled = np.flatnonzero(~blank)
    plain[filled] = flags(_PLAIN_RE.fullmatch, [text[i] for i in filled] if len(filled) < n else text)
    if whole:
        plain &= ~flags(_fraction, text)
    at = np.flatnonzero(plain)
    if len(at):
        chosen = [text[i] for i in at]
        value[at] = np.asarray(chosen, dtype=np.float64)
        places[at] = [decimals(t) if "." in t else 0 for t in chosen]
    for i in np.flatnonzero(~blank & ~plain).tolist():
        status[i], exact = number(text[i], semicolon=semicolon, whole=whole)
        if exact is not None:
            value[i] = float(exact)
            places[i] = decimals(text[i].replace(",", ""))
    return Numbers(text, status, value, places)


def _all_whole(text: list[str]) -> bool:
    """Every cell is 1 to 15 ASCII digits (checked on the joined column, no cell at a time)."""
    joined = "\n".join(text)
    return not (
        _NOT_DIGIT_RE.search(joined)
        or not text[0]
        or not text[-1]
        or "\n\n" in joined
        or _SIXTEEN_DIGITS_RE.search(joined)
    )


def _fraction(text: str) -> bool:
    return "." in text and bool(decimals(text))


# -- dates ------------------------------------------------------------------------------------


def parse_date(text: str, *, period_start: date, period_end: date, day_first: bool = False) -> date | str:
    """A date from ISO text (2014-03-31) or UK day-first text (31/03/2014, 1/4/2014); else the message.

    Day-first is how Excel saves a CSV in the UK. A slash date whose month-first reading is
    also a real date inside the return period (04/05/2014 in April–June) could be either, so it
    is refused as ambiguous unless day_first says the row is known to be written day first (its
    other date, e.g. 31/05/2014, can only be read that way). When the month-first reading falls
    outside the period (01/04/2014 in April–June can only be 1 April) the day-first reading
    stands. Dates before EARLIEST_YEAR are refused. Whether the date lies inside the period is
    the caller's check.
    """
    s = text.strip()
    if not s:
        return f"date required; {DATE_FORMS}"
    if _DATE_RE.fullmatch(s):
        try:
            day = date.fromisoformat(s)
        except ValueError:
            return f"{s} is not a real date; {DATE_FORMS}"
    elif match := _DAY_FIRST_RE.fullmatch(s):
        d, m, y = map(int, match.groups())
        try:
            day = date(y, m, d)
        except ValueError:
            return f"{s} is not a real date when read day first (DD/MM/YYYY); {DATE_FORMS}"
        if d != m and d <= 12 and not day_first:
            other = date(y, d, m)
            if period_start <= other <= period_end:
                return (
                    f"{s} is ambiguous: it could be {day:%-d %B %Y} or {other:%-d %B %Y}; write it as "
                    f"{day.isoformat()} or {other.isoformat()} (YYYY-MM-DD)"
                )
    else:
        return f"not a date; {DATE_FORMS}"
    if day.year < EARLIEST_YEAR:
        return f"dates before {EARLIEST_YEAR} are not accepted"
    return day


def only_day_first(text: str) -> bool:
    """True for a slash date that is real only when read day first (31/03/2014: no 31st month)."""
    match = _DAY_FIRST_RE.fullmatch(text.strip())
    if not match or int(match.group(1)) <= 12:
        return False
    try:
        date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return False
    return True


@dataclass
class Periods:
    """A row's two dates, read together (one settles whether the other is written day first).

    pair[i] indexes the distinct (start text, end text) pairs; start[k] and end[k] are the
    parse_date results (a date, or the message saying why not) of distinct pair k.
    """

    pair: np.ndarray
    start: list
    end: list
    start_text: list[str]
    end_text: list[str]

    def key_parts(self, which: str) -> list:
        """Each distinct pair's start or end as a duplicate key part: the date, else the stripped text."""
        parsed, texts = (self.start, self.start_text) if which == "start" else (self.end, self.end_text)
        return [d if isinstance(d, date) else t.strip() for d, t in zip(parsed, texts, strict=True)]

    def ordinals(self, which: list) -> np.ndarray:
        """Each row's date as an ordinal, -1 where it is not a date."""
        days = np.asarray([d.toordinal() if isinstance(d, date) else -1 for d in which] + [0], dtype=np.int64)
        return days[:-1][self.pair]


def periods(starts: Sequence[str], ends: Sequence[str], *, period_start: date, period_end: date) -> Periods:
    """parse_date of each row's start and end, once per distinct pair of texts."""
    s_codes, s_uniques = pd.factorize(starts if isinstance(starts, np.ndarray) else objects(starts))
    e_codes, e_uniques = pd.factorize(ends if isinstance(ends, np.ndarray) else objects(ends))
    pair, combos = pd.factorize(s_codes.astype(np.int64) * max(len(e_uniques), 1) + e_codes)
    width = max(len(e_uniques), 1)
    start_text = [s_uniques[combo // width] for combo in combos.tolist()]
    end_text = [e_uniques[combo % width] for combo in combos.tolist()]
    window = {"period_start": period_start, "period_end": period_end}
    start = [parse_date(s, day_first=only_day_first(e), **window) for s, e in zip(start_text, end_text, strict=True)]
    end = [parse_date(e, day_first=only_day_first(s), **window) for s, e in zip(start_text, end_text, strict=True)]
    return Periods(pair.astype(np.int64), start, end, start_text, end_text)


def interned(table: dict, values: Iterable) -> np.ndarray:
    """Small-int ids for values, shared across calls through table (value → id)."""
    return np.asarray([table.setdefault(v, len(table)) for v in values] + [0], dtype=np.int64)[:-1]
