"""The rules a return's rows must pass: one ordered table, each rule a mask over a chunk of rows.

Pure module: no Django. `Cells` holds a chunk of rows as columns of text (control characters
already removed) and reads them into typed arrays once, each distinct text once where texts
repeat (codes, dates). A `Rule` names the column it reports, the cells it fails (a boolean
array, one entry per row) and the message for a failing cell. `RULES` is in the order problems
are reported within a column; a cell may fail several rules (a date outside the period and
after the end date), but a number cell fails at most one of its reading rules.

A new rule is one entry here (and one test): say which cells fail and what the uploader should do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

import numpy as np
import pandas as pd

from returns.periods import financial_quarter, month_bounds, period_label
from returns.template import MAX_COMMENT_CHARS, RATIO_SCALES, MeasureRule, UploadContext
from returns.values import (
    BLANK,
    DECIMAL_COMMA,
    NEGATIVE,
    NOT_NUMBER,
    NOT_WHOLE,
    OK,
    TOO_LARGE,
    Numbers,
    factorized,
    numbers,
    periods,
)


def period_fits(frequencies: Iterable[str], start: date, end: date) -> bool:
    """True when start–end is a calendar month ("monthly") or financial quarter ("quarterly") as allowed.

    frequencies: the measure's frequencies in the submitter's agreed data set (DataSetItem).
    """
    return ("monthly" in frequencies and (start, end) == month_bounds(start)) or (
        "quarterly" in frequencies and (start, end) == financial_quarter(start)
    )


def _per_row(values: list, codes: np.ndarray, dtype=object) -> np.ndarray:
    """values[codes[i]] for each row i, as an array."""
    return np.asarray([*values, values[0] if values else None], dtype=dtype)[:-1][codes]


class Cells:
    """A chunk of rows as columns, and what the rules need read from them (each once, when first asked).

    columns: TEMPLATE_COLUMNS name → the chunk's cells in that column ("" where a row has none).
    semicolon: the file is semicolon-separated (a comma in a number may be a decimal comma).
    """

    def __init__(self, columns: dict[str, Sequence[str]], ctx: UploadContext, *, semicolon: bool) -> None:
        self.text = columns
        self.ctx = ctx
        self.semicolon = semicolon
        self.n = len(columns["measure_code"])
        self._units: dict[str, np.ndarray] = {}

    # -- codes ----------------------------------------------------------------------------
    @cached_property
    def _measures(self) -> tuple[np.ndarray, list[str]]:
        return factorized(self.text["measure_code"], lambda cell: cell.strip().lower())

    @cached_property
    def _areas(self) -> tuple[np.ndarray, list[str]]:
        aliases = self.ctx.area_aliases  # a district's code reads as its CSP's
        return factorized(self.text["area_code"], lambda cell: aliases.get(cell.strip().upper(), cell.strip().upper()))

    @cached_property
    def rules(self) -> list[MeasureRule | None]:
        """The measure rule of each distinct measure code (None when unknown)."""
        return [self.ctx.measures.get(m) if m else None for m in self._measures[1]]

    def codes(self, which: str) -> tuple[np.ndarray, list[str]]:
        """("measure" or "area") each row's code into the distinct cleaned codes, and those codes."""
        return self._measures if which == "measure" else self._areas

    def measure(self, i: int) -> str:
        codes, names = self._measures
        return names[codes[i]]

    def area(self, i: int) -> str:
        codes, names = self._areas
        return names[codes[i]]

    def rule(self, i: int) -> MeasureRule | None:
        return self.rules[self._measures[0][i]]

    def _by_measure(self, attribute: Callable[[MeasureRule], object], dtype=bool) -> np.ndarray:
        values = [attribute(r) if r is not None else dtype() for r in self.rules]
        return _per_row(values, self._measures[0], dtype)

    @cached_property
    def measure_blank(self) -> np.ndarray:
        return _per_row([not m for m in self._measures[1]], self._measures[0], bool)

    @cached_property
    def known(self) -> np.ndarray:
        """Rows whose measure code is one the plan has."""
        return self._by_measure(lambda r: True)

    def unit(self, name: str) -> np.ndarray:
        """Rows whose measure is in the unit called name ("count", "percentage", …); a mask."""
        if name not in self._units:
            self._units[name] = self._by_measure(lambda r: r.unit == name)
        return self._units[name]

    @cached_property
    def area_blank(self) -> np.ndarray:
        return _per_row([not a for a in self._areas[1]], self._areas[0], bool)

    @cached_property
    def area_known(self) -> np.ndarray:
        return _per_row([bool(a) and a in self.ctx.known_areas for a in self._areas[1]], self._areas[0], bool)

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Each row's (measure, area) as a code into the distinct pairs."""
        (m_codes, m_names), (a_codes, a_names) = self._measures, self._areas
        width = max(len(a_names), 1)
        codes, uniques = pd.factorize(m_codes * width + a_codes)
        measures, areas = np.divmod(uniques, width)
        pairs = zip(map(m_names.__getitem__, measures.tolist()), map(a_names.__getitem__, areas.tolist()))
        return codes, list(pairs)

    @cached_property
    def allowed(self) -> np.ndarray:
        """Rows whose (measure, area) is in the submitter's agreed data set."""
        codes, pairs = self._pairs
        return _per_row([pair in self.ctx.allowed for pair in pairs], codes, bool)

    # -- dates ----------------------------------------------------------------------------
    @cached_property
    def periods(self):
        ctx = self.ctx
        return periods(
            self.text["period_start"], self.text["period_end"], period_start=ctx.period_start, period_end=ctx.period_end
        )

    @cached_property
    def start(self) -> np.ndarray:
        """Each row's period_start as a date ordinal, -1 where it is not a date."""
        return self.periods.ordinals(self.periods.start)

    @cached_property
    def end(self) -> np.ndarray:
        return self.periods.ordinals(self.periods.end)

    def parsed(self, column: str, i: int) -> date | str:
        """Row i's period_start or period_end: the date, or the message saying why it is not one."""
        p = self.periods
        return (p.start if column == "period_start" else p.end)[p.pair[i]]

    def outside(self, ordinals: np.ndarray) -> np.ndarray:
        first, last = self.ctx.period_start.toordinal(), self.ctx.period_end.toordinal()
        return (ordinals >= 0) & ((ordinals < first) | (ordinals > last))

    @cached_property
    def other_period(self) -> np.ndarray:
        """Rows whose dates make a whole month or financial quarter outside the one chosen."""
        p, chosen = self.periods, (self.ctx.period_start, self.ctx.period_end)
        other = [
            isinstance(s, date)
            and isinstance(e, date)
            and (s, e) != chosen
            and (s, e) in (month_bounds(s), financial_quarter(s))
            for s, e in zip(p.start, p.end, strict=True)
        ]
        return _per_row(other, p.pair, bool) & (self.outside(self.start) | self.outside(self.end))

    def other_period_message(self, i: int) -> str:
        """Which period the row is for, which was chosen, and the two ways to put it right."""
        start, end = self.parsed("period_start", i), self.parsed("period_end", i)
        theirs = period_label(start, end).split(" (")[0]
        chosen = period_label(self.ctx.period_start, self.ctx.period_end).split(" (")[0]
        return (
            f"This file is for {theirs} (rows give period ending {end:%-d %B %Y}) but you chose {chosen}: "
            f"choose {theirs} or upload the {chosen} file"
        )

    @cached_property
    def wrong_shape(self) -> np.ndarray:
        """Rows whose period is not a month or quarter as the agreed data set reports their measure."""
        ctx = self.ctx
        dated = (self.start >= 0) & (self.end >= 0) & self.known
        if ctx.frequencies is None or not dated.any():
            return np.zeros(self.n, dtype=bool)
        pair_codes, pairs = self._pairs
        combo, distinct = pd.factorize(pair_codes * len(self.periods.start) + self.periods.pair)
        fails = []
        for q in distinct.tolist():
            pair, k = divmod(q, len(self.periods.start))
            start, end = self.periods.start[k], self.periods.end[k]
            frequencies = ctx.frequencies.get(pairs[pair])
            dates = isinstance(start, date) and isinstance(end, date)
            fails.append(bool(dates and frequencies and not period_fits(frequencies, start, end)))
        return dated & _per_row(fails, combo, bool)

    def shape_message(self, i: int) -> str:
        measure, start = self.measure(i), self.parsed("period_start", i)
        frequencies = self.ctx.frequencies[(measure, self.area(i))]
        shapes = []
        if "monthly" in frequencies:
            ms, me = month_bounds(start)
            shapes.append(f"a calendar month ({ms.isoformat()} to {me.isoformat()})")
        if "quarterly" in frequencies:
            qs, qe = financial_quarter(start)
            shapes.append(f"a financial quarter ({qs.isoformat()} to {qe.isoformat()})")
        return (
            f"{self.ctx.measure_named(measure)} is reported {' and '.join(sorted(frequencies))} in {self.ctx.whose} agreed data set, so each "
            f"row's period must be {' or '.join(shapes)}"
        )

    # -- numbers --------------------------------------------------------------------------
    @cached_property
    def value(self) -> Numbers:
        return numbers(self.text["value"], semicolon=self.semicolon)

    @cached_property
    def numerator(self) -> Numbers:
        return numbers(self.text["numerator"], semicolon=self.semicolon)

    @cached_property
    def denominator(self) -> Numbers:
        return numbers(self.text["denominator"], semicolon=self.semicolon)

    @cached_property
    def respondents(self) -> Numbers:
        return numbers(self.text["respondents"], semicolon=self.semicolon, whole=True)

    def numbers(self, column: str) -> Numbers:
        return getattr(self, column)

    def _exact_where(self, rows: np.ndarray, test: Callable[[int], bool]) -> np.ndarray:
        """A mask true at the rows listed where test(row) holds (a Decimal comparison floats cannot settle)."""
        out = np.zeros(self.n, dtype=bool)
        for i in rows.tolist():
            out[i] = test(i)
        return out

    @cached_property
    def over_hundred(self) -> np.ndarray:
        """Percentage values over 100 (floats settle all but exactly 100.0, where the Decimal decides)."""
        v = self.value
        percent = v.ok & self.unit("percentage")
        tie = np.flatnonzero(percent & (v.value == 100))
        return (percent & (v.value > 100)) | self._exact_where(tie, lambda i: v.decimal(i) > 100)

    @cached_property
    def value_usable(self) -> np.ndarray:
        """A value that passed every rule of its own: the one a ratio is checked against."""
        v = self.value
        count_fraction = self.unit("count") & (v.places > 0)
        pounds_pence = self.unit("pounds") & (v.places > 2)
        return v.ok & ~count_fraction & ~self.over_hundred & ~pounds_pence

    @cached_property
    def larger(self) -> np.ndarray:
        """A numerator larger than its denominator (floats keep the order of the decimals they round)."""
        num, den = self.numerator, self.denominator
        both = num.ok & den.ok
        tie = np.flatnonzero(both & (num.value == den.value))
        return (both & (num.value > den.value)) | self._exact_where(tie, lambda i: num.decimal(i) > den.decimal(i))

    @cached_property
    def ratio_checks(self) -> tuple[np.ndarray, np.ndarray]:
        """(zero denominator, value disagreeing with numerator ÷ denominator × scale) for ratio rows."""
        ratio = np.logical_or.reduce([self.unit(name) for name in RATIO_SCALES])
        checked = ratio & self.known & self.value_usable & self.numerator.ok & self.denominator.ok & ~self.larger
        zero = checked & (self.denominator.value == 0)
        rows = np.flatnonzero(checked & ~zero)
        return zero, self._exact_where(rows, lambda i: (r := self.ratio(i))[0] > r[2])

    def ratio(self, i: int) -> tuple[Decimal, Decimal, Decimal, int]:
        """(|value − expected|, expected, tolerance, scale) for row i, in exact decimals.

        The value must equal numerator ÷ denominator × 100 (percentage) or × 1,000 (rate per
        1,000) to within one unit in its own last decimal place (85.4 → 0.1; 85 → 1), which
        allows for rounding and for cutting digits off.
        """
        scale = RATIO_SCALES[self.rule(i).unit]
        expected = self.numerator.decimal(i) / self.denominator.decimal(i) * scale
        tolerance = Decimal(1).scaleb(-int(self.value.places[i]))
        return abs(self.value.decimal(i) - expected), expected, tolerance, scale

    def ratio_message(self, i: int) -> str:
        _, expected, tolerance, scale = self.ratio(i)
        text = self.text["value"][i].strip()
        return (
            f"value {text} does not match numerator ÷ denominator: {self.numerator.decimal(i)} ÷ "
            f"{self.denominator.decimal(i)} × {scale:,} = {expected:.2f}; they must agree to within {tolerance} (one "
            "unit in the value's last decimal place): correct the value, numerator or denominator"
        )

    @cached_property
    def needs_respondents(self) -> np.ndarray:
        return self._by_measure(lambda r: r.needs_respondents)

    @cached_property
    def needs_ratio(self) -> np.ndarray:
        return self._by_measure(lambda r: r.needs_ratio)

    @cached_property
    def comment_length(self) -> np.ndarray:
        return np.fromiter(map(len, self.text["comment"]), dtype=np.int64, count=self.n)


@dataclass(frozen=True)
class Rule:
    """One check: the column it reports, the cells it fails, and the message for a failing cell.

    message is the text, or a function of the chunk and the row's index in it. shown gives the
    value the report shows (default: the cell as written).
    """

    column: str
    fails: Callable[[Cells], np.ndarray]
    message: str | Callable[[Cells, int], str]
    shown: Callable[[Cells, int], str] | None = None

    def say(self, cells: Cells, i: int) -> str:
        return self.message if isinstance(self.message, str) else self.message(cells, i)


NUMBER_MESSAGES = {
    DECIMAL_COMMA: "in a semicolon-separated file a comma may be a decimal comma; write the number with no thousands "
    "separator and a full stop for decimals (e.g. 1234.5)",
    NOT_NUMBER: "not a number (write digits, e.g. 1234 or 1,234.5)",
    TOO_LARGE: "number is too large",
    NEGATIVE: "must not be negative",
}


def _reading(column: str, *, whole: bool = False) -> tuple[Rule, ...]:
    """The rules of reading a number cell: one per way it can fail (blank cells aside)."""
    messages = {**NUMBER_MESSAGES, **({NOT_WHOLE: f"{column} must be a whole number"} if whole else {})}
    return tuple(
        Rule(column, lambda c, status=status: c.numbers(column).status == status, message)
        for status, message in messages.items()
    )


def _date_rules(column: str) -> tuple[Rule, ...]:
    ordinals = (lambda c: c.start) if column == "period_start" else (lambda c: c.end)
    return (
        Rule(column, lambda c: ordinals(c) < 0, lambda c, i: c.parsed(column, i)),
        Rule(
            column,
            lambda c: c.outside(ordinals(c)) & ~c.other_period,
            lambda c, i: (
                f"{c.parsed(column, i).isoformat()} is outside the return period, "
                f"{period_label(c.ctx.period_start, c.ctx.period_end)}: dates must be from "
                f"{c.ctx.period_start.isoformat()} to {c.ctx.period_end.isoformat()}"
            ),
        ),
    )


def _ratio_part_required(column: str) -> Rule:
    return Rule(
        column,
        lambda c: c.needs_ratio & (c.numbers(column).status == BLANK),
        lambda c, i: (
            f"{column} required: {c.ctx.measure_named(c.rule(i).code)} is worked out from a numerator and a denominator"
        ),
    )


RULES: tuple[Rule, ...] = (
    Rule("measure_code", lambda c: c.measure_blank, "measure_code required"),
    Rule(
        "measure_code",
        lambda c: ~c.measure_blank & ~c.known,
        lambda c, i: f"unknown measure code {c.measure(i)!r}: use a measure_code from the return template",
    ),
    Rule("area_code", lambda c: c.area_blank, "area_code required"),
    Rule(
        "area_code",
        lambda c: ~c.area_blank & ~c.area_known,
        lambda c, i: c.ctx.unknown_area_message(c.area(i), c.measure(i)),
    ),
    Rule(
        "area_code",
        lambda c: c.area_known & c.known & ~c.allowed,
        lambda c, i: c.ctx.wrong_area_message(c.area(i), c.measure(i)),
    ),
    *_date_rules("period_start"),
    *_date_rules("period_end"),
    # A whole other month or quarter: the file and the chosen period disagree, said once per row.
    Rule("period_end", lambda c: c.other_period, lambda c, i: c.other_period_message(i)),
    Rule(
        "period_end",
        lambda c: (c.start >= 0) & (c.end >= 0) & (c.start > c.end),
        lambda c, i: f"period_end is before period_start {c.parsed('period_start', i).isoformat()}",
    ),
    Rule("period_end", lambda c: c.wrong_shape, lambda c, i: c.shape_message(i)),
    Rule("value", lambda c: c.value.status == BLANK, "value required"),
    *_reading("value"),
    Rule("value", lambda c: c.value.ok & c.unit("count") & (c.value.places > 0), "a count must be a whole number"),
    Rule("value", lambda c: c.over_hundred, "a percentage must be between 0 and 100"),
    Rule(
        "value",
        lambda c: c.value.ok & c.unit("pounds") & (c.value.places > 2),
        "pounds may have at most 2 decimal places",
    ),
    Rule("value", lambda c: c.ratio_checks[1], lambda c, i: c.ratio_message(i)),
    *_reading("numerator"),
    Rule(
        "numerator",
        lambda c: c.larger,
        lambda c, i: f"numerator is larger than the denominator {c.text['denominator'][i].strip()}",
    ),
    _ratio_part_required("numerator"),
    *_reading("denominator"),
    Rule(
        "denominator",
        lambda c: c.ratio_checks[0],
        "denominator must be more than 0 when a numerator is given",
        shown=lambda c, i: "0",
    ),
    _ratio_part_required("denominator"),
    Rule(
        "respondents",
        lambda c: c.needs_respondents & (c.respondents.status == BLANK),
        lambda c, i: f"respondents required for the survey measure {c.ctx.measure_named(c.rule(i).code)}",
    ),
    *_reading("respondents", whole=True),
    Rule(
        "respondents",
        lambda c: c.needs_respondents & (c.respondents.status == OK) & (c.respondents.value == 0),
        "respondents must be more than 0 for a survey measure",
    ),
    Rule(
        "comment",
        lambda c: c.comment_length > MAX_COMMENT_CHARS,
        f"comment is longer than {MAX_COMMENT_CHARS:,} characters",
    ),
)
