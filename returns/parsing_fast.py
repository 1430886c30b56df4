"""Column-at-a-time validation of a CSV return: the fast path of returns.parsing.

A row that passes every check here would pass every check of `_RowChecker.row` with the same
parsed values (the checks are the same rules, written more strictly: anything unusual, such as
a sign, a thousands separator or 100.5%, is left to the row checker). Every other row goes
through `_RowChecker.row` itself, so the problems reported are word for word the same.
Duplicate keys are compared once for the whole file at the end. Pure module: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import islice

import numpy as np
import pandas as pd

from returns.parsing import (
    _CONTROL_RE,
    MAX_COMMENT_CHARS,
    RATIO_SCALES,
    ROW_COLUMNS,
    TEMPLATE_COLUMNS,
    UploadContext,
    _Parser,
    _RowChecker,
    parse_date,
    period_fits,
)

# Rows checked together; bounds the memory held as Python strings at any one time.
CHUNK_ROWS = 50_000
# ASCII digits only (re's \d also takes other scripts' digits, which the row checker handles).
# At most 15 integer digits keeps every number below MAX_ABS_VALUE (10**15).
_WHOLE_RE = re.compile(r"[0-9]{1,15}")
_PLAIN_RE = re.compile(r"[0-9]{1,15}(?:\.[0-9]+)?")
_POUNDS_RE = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,2})?")
_HUNDRED_RE = re.compile(r"100(?:\.0+)?")
KEY_COLUMNS = ["row", "measure", "area", "start", "end"]
# What str.strip removes is white space to str.isspace, which is what \s matches in a str pattern.
_SPACE_RE = re.compile(r"\s")


def validate_rows_fast(parser: _Parser, rows: Iterable[list[str]]) -> None:
    """What `_Parser._validate_rows` does for a CSV, with the same problems and valid rows.

    rows are bounded by the caller (returns.files.bounded_rows): a bound passed is raised after
    the rows before it are checked, as the row-at-a-time path does. Below the problem limit
    (UploadContext.max_problems) the problems are the same; past it each path stops at its own
    10,000th problem.
    """
    iterator: Iterator[list[str]] = iter(rows)
    idx, width = parser._start(iterator)
    state = _FastState(parser, idx, width)
    failed: list[Exception] = []

    def guarded() -> Iterator[list[str]]:
        try:
            yield from iterator
        except Exception as exc:  # noqa: BLE001 - re-raised below, after the rows before it
            failed.append(exc)

    source = guarded()
    while True:
        chunk = list(islice(source, CHUNK_ROWS))
        state.chunk(chunk)
        if failed:
            # The csv module gave up part-way (e.g. a huge cell): keep what the row-at-a-time
            # path would have found in the rows before it, then let parse_upload report it.
            state.duplicates()
            raise failed[0]
        if len(chunk) < CHUNK_ROWS:
            break
    if parser.rows_read == 0:
        parser.file_problem("the file has a header but no data rows")
    keys = state.duplicates()
    if parser.ctx.expected:
        parser.expected_warnings(state.present(keys))


def _flags(test: Callable[[str], object], texts: list[str]) -> np.ndarray:
    return np.fromiter(map(bool, map(test, texts)), dtype=bool, count=len(texts))


def _factorized(column: Iterable[str], clean: Callable[[str], str]) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of [clean(x) for x in column], cleaning each distinct cell once, not every cell.

    The distinct cleaned values come out in order of first appearance, as factorizing the cleaned
    column would give.
    """
    codes, uniques = pd.factorize(np.asarray(column, dtype=object))
    cleaned, names = pd.factorize(np.asarray([clean(u) for u in uniques] + [""], dtype=object)[:-1])
    return cleaned[codes], names


def _stripped(column: tuple[str, ...], joined: str) -> list[str]:
    """[cell.strip() for cell in column]; the cells as they are when none holds any white space."""
    return list(map(str.strip, column)) if _SPACE_RE.search(joined) else list(column)


def _floats(texts: list[str], mask: np.ndarray) -> np.ndarray:
    """float(text) where mask holds (the same float Decimal(text) gives), NaN elsewhere."""
    out = np.full(len(texts), np.nan)
    if mask.all():
        out[:] = list(map(float, texts))
    elif mask.any():
        out[mask] = list(map(float, np.asarray(texts, dtype=object)[mask]))
    return out


def _as_objects(numbers: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Python numbers where present, None elsewhere (as the row checker's tuples hold them)."""
    out = np.full(len(numbers), None, dtype=object)
    out[present] = numbers[present].astype(object)
    return out


def _blank(cells: list[str]) -> bool:
    return not any(cells) or not any(c.strip() for c in cells)


class _FastState:
    """One CSV's fast validation: interned key parts and the keys of every row so far."""

    def __init__(self, parser: _Parser, idx: list[int | None], width: int) -> None:
        self.p = parser
        self.ctx: UploadContext = parser.ctx
        self.idx = idx
        self.width = width
        self.check = _RowChecker(parser.ctx, parser)
        self.row_number = 1
        # Duplicate-key parts as small ints: a period part is a date, or the stripped text
        # when it is not a date (the row checker's key), so the two never compare equal.
        self.parts: tuple[dict, dict, dict] = ({}, {}, {})
        self.keys: list[np.ndarray] = []

    def _ids(self, table: dict, values: Iterable) -> np.ndarray:
        out = []
        for value in values:
            i = table.get(value)
            if i is None:
                i = table[value] = len(table)
            out.append(i)
        return np.asarray(out, dtype=np.int64)

    def _dates(self, column: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes into the distinct stripped texts, their dates (None when not accepted) and ordinals."""
        ctx = self.ctx
        codes, uniques = _factorized(column, str.strip)
        parsed: list[date | None] = []
        for text in uniques:
            day = parse_date(text, period_start=ctx.period_start, period_end=ctx.period_end)
            parsed.append(day if isinstance(day, date) and ctx.period_start <= day <= ctx.period_end else None)
        days = np.asarray(parsed + [None], dtype=object)[:-1]
        ordinals = np.asarray([d.toordinal() if d is not None else -1 for d in parsed], dtype=np.int64)
        return codes, days, ordinals

    def chunk(self, chunk: list[list[str]]) -> None:
        if not chunk:
            return
        p, width = self.p, self.width
        first_row = self.row_number + 1
        self.row_number += len(chunk)
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        full = np.flatnonzero(lengths == width)
        rows = chunk if len(full) == len(chunk) else [chunk[i] for i in full]
        ok, frame, keys = self._check(rows)
        ok_at = full[ok]
        slow = np.ones(len(chunk), dtype=bool)
        slow[ok_at] = False
        data_rows = [i for i in np.flatnonzero(slow).tolist() if not _blank(chunk[i])]
        p.rows_read += len(ok_at) + len(data_rows)
        if len(ok_at):
            frame["source_row"] = first_row + ok_at
            p.valid_frames.append(frame)
            keys[:, 0] = first_row + ok_at
            self.keys.append(keys)
        slow_keys = []
        measures, areas, periods = self.parts
        for i in data_rows:
            # The loop body of _Parser._validate_rows for a CSV row, duplicates aside.
            row_number, cells = first_row + i, chunk[i]
            n = len(cells)
            if n != width:
                p.add(
                    row_number,
                    None,
                    "",
                    f"row has {n} cells but the header has {width}"
                    + ("; the file may have been cut short" if n < width else "; is a comma missing quotes?"),
                )
            values = [cells[j] if j is not None and j < n else "" for j in self.idx]
            key = self.check.row(row_number, values)
            if key is not None:
                slow_keys.append(
                    [row_number, *(self._ids(t, [v])[0] for t, v in zip((measures, areas, periods, periods), key))]
                )
            if self.check.ok and n == width:
                p.valid.append((*self.check.parsed, row_number))
        if slow_keys:
            self.keys.append(np.asarray(slow_keys, dtype=np.int64))

    def _check(self, rows: list[list[str]]) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
        """Which full-width rows pass every row check; their parsed values and key parts."""
        ctx, n = self.ctx, len(rows)
        if n == 0:
            return np.zeros(0, dtype=bool), pd.DataFrame(), np.zeros((0, 5), dtype=np.int64)
        columns = list(zip(*rows))
        blank = ("",) * n
        raw = {name: (columns[i] if i is not None else blank) for name, i in zip(TEMPLATE_COLUMNS, self.idx)}
        ok = np.ones(n, dtype=bool)
        joined = {}
        for name in TEMPLATE_COLUMNS:
            # One scan of the whole column; cell by cell only when something is there.
            joined[name] = ",".join(raw[name])
            if _CONTROL_RE.search(joined[name]):
                ok &= ~_flags(_CONTROL_RE.search, raw[name])

        m_codes, m_names = _factorized(raw["measure_code"], lambda cell: cell.strip().lower())
        rules = [ctx.measures.get(m) if m else None for m in m_names]
        ok &= np.asarray([r is not None for r in rules], dtype=bool)[m_codes]
        aliases = ctx.area_aliases
        a_codes, a_names = _factorized(
            raw["area_code"], lambda cell: aliases.get(cell.strip().upper(), cell.strip().upper())
        )
        ok &= np.asarray([bool(a) and a in ctx.known_areas for a in a_names], dtype=bool)[a_codes]
        pair_codes, pairs = pd.factorize(m_codes * len(a_names) + a_codes)
        pair_ok = [(m_names[q // len(a_names)], a_names[q % len(a_names)]) in ctx.allowed for q in pairs]
        ok &= np.asarray(pair_ok, dtype=bool)[pair_codes]

        s_codes, s_days, s_ord = self._dates(raw["period_start"])
        e_codes, e_days, e_ord = self._dates(raw["period_end"])
        start, end = s_ord[s_codes], e_ord[e_codes]
        ok &= (start >= 0) & (end >= 0) & (start <= end)
        if ctx.frequencies is not None:
            # period_fits once for each distinct (measure, area, start, end).
            combo = (pair_codes * len(s_days) + s_codes) * len(e_days) + e_codes
            combo_codes, combos = pd.factorize(combo)
            fits = []
            for c in combos.tolist():
                q, rest = divmod(c, len(s_days) * len(e_days))
                ps, pe = s_days[rest // len(e_days)], e_days[rest % len(e_days)]
                pair = pairs[q]
                frequencies = ctx.frequencies.get((m_names[pair // len(a_names)], a_names[pair % len(a_names)]))
                fits.append(ps is None or pe is None or not frequencies or period_fits(frequencies, ps, pe))
            ok &= np.asarray(fits, dtype=bool)[combo_codes]

        units = np.asarray([r.unit if r is not None else "" for r in rules] + [""], dtype=object)[:-1][m_codes]
        value_text = _stripped(raw["value"], joined["value"])
        plain = _flags(_PLAIN_RE.fullmatch, value_text)
        whole = _flags(_WHOLE_RE.fullmatch, value_text)
        ok &= plain & ((units != "count") | whole)
        pounds = units == "pounds"
        if pounds.any():
            ok[pounds] &= _flags(_POUNDS_RE.fullmatch, np.asarray(value_text, dtype=object)[pounds].tolist())
        value = _floats(value_text, plain)
        percent = units == "percentage"
        if percent.any():
            hundred = _flags(_HUNDRED_RE.fullmatch, value_text)
            ok &= ~percent | (value < 100) | hundred

        num_text, num_there, num = self._optional(raw["numerator"], joined["numerator"], ok)
        den_text, den_there, den = self._optional(raw["denominator"], joined["denominator"], ok)
        both = num_there & den_there
        if both.any():
            # Floats keep the order of the decimals they round (never the reverse), so
            # num < den, or identical text, means the numerator is not larger.
            same = np.asarray(num_text, dtype=object) == np.asarray(den_text, dtype=object)
            ok &= ~both | (num < den) | same
            # Whether a ratio's value agrees with them is _RowChecker._consistent's rule: those rows go there.
            ok &= ~(both & np.isin(units, list(RATIO_SCALES)))
        ratio = np.asarray([r is not None and r.needs_ratio for r in rules], dtype=bool)[m_codes]
        ok &= ~ratio | both

        resp_text = _stripped(raw["respondents"], joined["respondents"])
        resp_there = np.fromiter(map(bool, resp_text), dtype=bool, count=n)
        needed = np.asarray(
            [r is not None and r.needs_respondents for r in rules], dtype=bool
        )[m_codes]
        resp_whole = _flags(_WHOLE_RE.fullmatch, resp_text) & resp_there
        ok &= np.where(resp_there, resp_whole, ~needed)
        respondents = np.zeros(n, dtype=np.int64)
        if resp_whole.any():
            respondents[resp_whole] = list(map(int, np.asarray(resp_text, dtype=object)[resp_whole]))
        ok &= ~(needed & resp_whole & (respondents == 0))

        comment = raw["comment"]
        ok &= np.fromiter(map(len, comment), dtype=np.int64, count=n) <= MAX_COMMENT_CHARS

        sel = np.flatnonzero(ok)
        measures, areas, periods = self.parts
        m_ids = self._ids(measures, m_names)
        a_ids = self._ids(areas, a_names)
        s_ids = self._ids(periods, s_days.tolist())
        e_ids = self._ids(periods, e_days.tolist())
        keys = np.zeros((len(sel), 5), dtype=np.int64)
        if len(sel):
            keys[:, 1] = m_ids[m_codes[sel]]
            keys[:, 2] = a_ids[a_codes[sel]]
            keys[:, 3] = s_ids[s_codes[sel]]
            keys[:, 4] = e_ids[e_codes[sel]]
        frame = pd.DataFrame(
            {
                "measure_code": m_names[m_codes[sel]],
                "area_code": a_names[a_codes[sel]],
                "period_start": s_days[s_codes[sel]],
                "period_end": e_days[e_codes[sel]],
                "value": value[sel],
                "numerator": _as_objects(num[sel], num_there[sel]),
                "denominator": _as_objects(den[sel], den_there[sel]),
                "respondents": _as_objects(respondents[sel], resp_there[sel]),
                "comment": np.asarray(
                    list(map(str.strip, np.asarray(comment, dtype=object)[sel])) + [""], dtype=object
                )[:-1],
                "source_row": np.zeros(len(sel), dtype=np.int64),
            },
            columns=list(ROW_COLUMNS),
            # Object columns as the row checker's frame has them (pandas would infer strings).
            dtype=object,
        )
        return ok, frame, keys

    def _optional(
        self, column: tuple[str, ...], joined: str, ok: np.ndarray
    ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A numerator or denominator column: stripped text, which rows have one, floats; marks bad rows."""
        text = _stripped(column, joined)
        there = np.fromiter(map(bool, text), dtype=bool, count=len(text))
        good = there & _flags(_PLAIN_RE.fullmatch, text)
        ok &= ~there | good
        return text, there, _floats(text, good)

    def duplicates(self) -> pd.DataFrame:
        """Report every repeat of an earlier row's key, naming that row; returns every row's key."""
        p = self.p
        keys = pd.DataFrame(
            np.concatenate(self.keys) if self.keys else np.zeros((0, 5), dtype=np.int64), columns=KEY_COLUMNS
        )
        if keys.empty:
            return keys
        first = keys.groupby(KEY_COLUMNS[1:], sort=False)["row"].transform("min").to_numpy()
        repeats = keys[first != keys["row"].to_numpy()].assign(first=first[first != keys["row"].to_numpy()])
        if repeats.empty:
            return keys
        names = [list(table) for table in self.parts]
        for row, m, a, s, e, first_row in repeats.itertuples(index=False, name=None):
            parts = (names[0][m], names[1][a], names[2][s], names[2][e])
            p.add(
                row,
                None,
                " ".join(str(part) for part in parts),
                f"duplicate row: the same measure, area and period as row {first_row}",
            )
        repeated = set(repeats["row"].tolist())
        p.valid = [v for v in p.valid if v[-1] not in repeated]
        p.valid_frames = [f[~f["source_row"].isin(repeated)] for f in p.valid_frames]
        return keys

    def present(self, keys: pd.DataFrame) -> set[tuple]:
        """The (measure, area, start, end) keys whose periods are both dates, as the parser's warnings want."""
        ctx = self.ctx
        measures, areas, periods = self.parts
        wanted = [
            (m, a, s, e, measures[m], areas[a], periods[s], periods[e])
            for m, a, s, e in ctx.expected or ()
            if m in measures and a in areas and s in periods and e in periods
        ]
        if not wanted:
            return set()
        frame = pd.DataFrame(wanted, columns=["m", "a", "s", "e", *KEY_COLUMNS[1:]])
        found = frame.merge(keys[KEY_COLUMNS[1:]].drop_duplicates(), on=KEY_COLUMNS[1:])
        return {(m, a, s, e) for m, a, s, e in found[["m", "a", "s", "e"]].itertuples(index=False, name=None)}
