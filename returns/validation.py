"""Check a return's rows against `returns.rules.RULES`, a chunk of rows at a time, CSV and XLSX alike.

Pure module: no Django. Input: rows of cell texts (header first) as `returns.files` and
`returns.workbook` read them. Output: the valid rows as a frame (template.ROW_COLUMNS) and every
problem, added to a `Problems` in row order so the problem limit stops at the same row whatever
the chunk size. Duplicate keys (measure, area, period) are compared once, for the whole file,
after the last chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import islice

import numpy as np
import pandas as pd

from returns.periods import period_label
from returns.problems import Problems, StopReading
from returns.rules import RULES, Cells
from returns.template import REQUIRED_COLUMNS, ROW_COLUMNS, TEMPLATE_COLUMNS, UploadContext
from returns.values import flags, interned, objects

# Rows checked together; bounds the memory held as Python strings at any one time.
CHUNK_ROWS = 50_000
CONTROL_RE = re.compile(r"[\x00-\x1f]")
KEY_COLUMNS = ["row", "measure", "area", "start", "end"]
_RANK = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}
_WIDTH, _CONTROL = -2, -1  # problems that are not rules of the table, ordered before them


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in ROW_COLUMNS})


class Validation:
    """One upload's rows: the header, then each chunk's problems and valid rows, then duplicates.

    fixed_width: the rows come from a spreadsheet, where a row cannot be cut short (missing
    cells are blank) and blank cells past the header's width are not cells.
    """

    def __init__(self, ctx: UploadContext, problems: Problems, *, semicolon: bool, fixed_width: bool) -> None:
        self.ctx = ctx
        self.problems = problems
        self.semicolon = semicolon
        self.fixed_width = fixed_width
        self.columns_at: list[int | None] = []
        self.width = 0
        self.controls = True  # whether a cell may hold a control character
        self.rows_read = 0
        self.row_number = 1
        self.frames: list[pd.DataFrame] = []
        self.keys: list[np.ndarray] = []
        # Duplicate-key parts as small ints; a period part is a date, or the stripped text when it
        # is not a date, so the two never compare equal.
        self.parts: tuple[dict, dict, dict] = ({}, {}, {})

    # -- header ---------------------------------------------------------------------------
    def header(self, iterator: Iterator[list[str]]) -> None:
        """Read row 1: the file column of each TEMPLATE_COLUMNS name, and the row width."""
        p = self.problems
        header = next(iterator, None)
        if header is None:
            p.stop("the file is empty; it needs the header row and at least one data row")
        if not any(c.strip() for c in header):
            p.stop("row 1 must be the header: " + ", ".join(TEMPLATE_COLUMNS))
        # A BOM inside an XLSX cell, or left after a cp1252 decode.
        header = [header[0].removeprefix("\ufeff"), *header[1:]]
        columns: dict[str, int] = {}
        for i, cell in enumerate(header):
            name = cell.strip().lower()
            if not name:
                continue
            if CONTROL_RE.search(name):
                p.add(1, None, cell, "the header contains control characters")
            elif name in columns:
                p.add(1, name, cell, f"column {name!r} appears twice in the header")
            else:
                columns[name] = i
                if name not in TEMPLATE_COLUMNS:
                    p.warn(1, name, cell, f"unknown column {name!r} is ignored")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        for name in missing:
            p.add(1, name, "", f"required column {name!r} is missing from the header (row 1)")
        if missing:
            raise StopReading
        self.columns_at = [columns.get(name) for name in TEMPLATE_COLUMNS]
        self.width = len(header)

    # -- rows -----------------------------------------------------------------------------
    def run(self, rows: Iterable[list[str]]) -> None:
        """Check every row. A reading error (a bound passed) is raised after the rows before it are checked."""
        iterator = iter(rows)
        self.header(iterator)
        failed: list[Exception] = []

        def guarded() -> Iterator[list[str]]:
            try:
                yield from iterator
            except Exception as exc:  # noqa: BLE001 - re-raised below, after the rows before it
                failed.append(exc)

        source = guarded()
        while True:
            chunk = list(islice(source, CHUNK_ROWS))
            if chunk:
                self.chunk(*self._rows_table(chunk))
            if failed:
                self.duplicates()
                raise failed[0]
            if len(chunk) < CHUNK_ROWS:
                break
        self._finish()

    def run_columns(self, header: list[str], chunks: Iterable[np.ndarray], *, controls: bool = True) -> None:
        """Check a file already split into rows as wide as its header (returns.files.csv_plain_columns).

        chunks: each the cells as an array of shape (columns, rows), header order; the same problems as run.
        controls: False when no cell holds a control character (the cells are then not searched).
        """
        self.controls = controls
        self.header(iter([header]))
        for table in chunks:
            n = len(table[0])
            self.chunk(table, np.full(n, len(table), dtype=np.int64), lambda i, table=table: table[:, i].tolist())
        self._finish()

    def _finish(self) -> None:
        if self.rows_read == 0:
            self.problems.add(None, None, "", "the file has a header but no data rows")
        keys = self.duplicates()
        if self.ctx.expected:
            self.expected_warnings(keys)

    def _fit(self, cells: list[str]) -> list[str]:
        """A spreadsheet row at the header's width: padded with blanks, blank cells past it dropped."""
        width = self.width
        if len(cells) < width:
            return [*cells, *[""] * (width - len(cells))]
        while len(cells) > width and not cells[-1].strip():
            cells = cells[:-1]
        return cells

    def _rows_table(self, chunk: list[list[str]]) -> tuple[list[Sequence[str]], np.ndarray, Callable]:
        """A chunk of rows as columns (padded to the header's width); each row's width; row i as read."""
        width = self.width
        if self.fixed_width:
            chunk = [self._fit(cells) for cells in chunk]
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        padded = chunk if (lengths >= width).all() else [[*c, *[""] * (width - len(c))] for c in chunk]
        return list(zip(*padded, strict=False)), lengths, chunk.__getitem__

    def _columns(
        self, table: list[Sequence[str]], lengths: np.ndarray, row: Callable[[int], Sequence[str]]
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """The chunk's data rows (blank rows dropped) as columns; their row numbers and widths."""
        n, first = len(lengths), self.row_number + 1
        blank = ("",) * n
        columns = {
            name: objects(table[j] if j is not None else blank)
            for name, j in zip(TEMPLATE_COLUMNS, self.columns_at, strict=True)
        }
        # A blank row (Excel's trailing empty lines) is not data; only a row with no measure code can be one.
        data = flags(str.strip, columns["measure_code"])
        for i in np.flatnonzero(~data).tolist():
            data[i] = any(cell.strip() for cell in row(i))
        numbers = first + np.arange(n)
        if not data.all():
            columns = {name: column[data] for name, column in columns.items()}
            numbers, lengths = numbers[data], lengths[data]
        return columns, numbers, lengths

    def chunk(self, table: list[Sequence[str]], lengths: np.ndarray, row: Callable[[int], Sequence[str]]) -> None:
        """Check one chunk: add its problems in row order, keep its valid rows and its keys.

        table: the chunk as columns of cells in file order; lengths: each row's width as read;
        row(i): row i's cells as read (blank-row test).
        """
        if not len(lengths):
            return
        chunk_rows = len(lengths)
        columns, numbers, lengths = self._columns(table, lengths, row)
        self.row_number += chunk_rows
        self.rows_read += len(numbers)
        if not len(numbers):
            return
        found: list[tuple[np.ndarray, int, int, str]] = []  # (positions, column rank, rule order, column)
        short = np.flatnonzero(lengths != self.width)
        found.append((short, -1, _WIDTH, ""))
        controls: dict[str, dict[int, str]] = {}  # column → row position → the cell as written
        for name in TEMPLATE_COLUMNS:
            column = columns[name]
            if self.controls and CONTROL_RE.search("".join(column)):
                at = np.flatnonzero([bool(CONTROL_RE.search(cell)) for cell in column])
                controls[name] = dict(zip(at.tolist(), column[at].tolist(), strict=True))
                found.append((at, _RANK[name], _CONTROL, name))
                # Go on checking the cells as if the control characters were not there.
                columns[name] = objects([CONTROL_RE.sub("", cell) for cell in column])
        cells = Cells(columns, self.ctx, semicolon=self.semicolon)
        for order, rule in enumerate(RULES):
            found.append((np.flatnonzero(rule.fails(cells)), _RANK[rule.column], order, rule.column))
        failed = self._report(found, cells, numbers, lengths, controls)
        valid = ~failed & (lengths == self.width)
        self.frames.append(_valid_frame(cells, np.flatnonzero(valid), numbers))
        self._keep_keys(cells, numbers)

    def _report(
        self, found: list, cells: Cells, numbers: np.ndarray, lengths: np.ndarray, controls: dict[str, dict[int, str]]
    ) -> np.ndarray:
        """Add the chunk's problems in row order, then column, then rule; which rows have any."""
        positions = np.concatenate([at for at, *_ in found]).astype(np.int64)
        ranks = np.concatenate([np.full(len(at), rank) for at, rank, *_ in found])
        orders = np.concatenate([np.full(len(at), order) for at, _, order, _ in found])
        failed = np.zeros(len(numbers), dtype=bool)
        failed[positions] = True
        for k in np.lexsort((orders, ranks, positions)).tolist():
            i, order = int(positions[k]), int(orders[k])
            row = int(numbers[i])
            if order == _WIDTH:
                n, width = int(lengths[i]), self.width
                why = "; the file may have been cut short" if n < width else "; is a comma missing quotes?"
                self.problems.add(row, None, "", f"row has {n} cells but the header has {width}{why}")
            elif order == _CONTROL:
                name = TEMPLATE_COLUMNS[int(ranks[k])]
                cell = controls[name][i]
                what = "a NUL byte" if "\x00" in cell else "a control character (tab, line break or similar)"
                self.problems.add(row, name, cell, f"contains {what}; only plain text is allowed")
            else:
                rule = RULES[order]
                value = rule.shown(cells, i) if rule.shown else cells.text[rule.column][i]
                self.problems.add(row, rule.column, value, rule.say(cells, i))
        return failed

    # -- duplicates and expected rows ---------------------------------------------------------
    def _keep_keys(self, cells: Cells, numbers: np.ndarray) -> None:
        """Each row's (measure, area, start, end) as interned ids, for rows with a measure and an area."""
        keyed = np.flatnonzero(~cells.measure_blank & ~cells.area_blank)
        if not len(keyed):
            return
        measures, areas, periods = self.parts
        (m_codes, m_names), (a_codes, a_names) = cells.codes("measure"), cells.codes("area")
        pair = cells.periods.pair[keyed]
        keys = np.empty((len(keyed), 5), dtype=np.int64)
        keys[:, 0] = numbers[keyed]
        keys[:, 1] = interned(measures, m_names)[m_codes[keyed]]
        keys[:, 2] = interned(areas, a_names)[a_codes[keyed]]
        keys[:, 3] = interned(periods, cells.periods.key_parts("start"))[pair]
        keys[:, 4] = interned(periods, cells.periods.key_parts("end"))[pair]
        self.keys.append(keys)

    def duplicates(self) -> np.ndarray:
        """Report every repeat of an earlier row's key, naming that row; every row's key (KEY_COLUMNS)."""
        keys = np.concatenate(self.keys) if self.keys else np.zeros((0, 5), dtype=np.int64)
        repeated = _repeated(keys, [len(table) for table in self.parts])
        if not repeated.any():
            return keys
        frame = pd.DataFrame(keys, columns=KEY_COLUMNS)
        first = frame.groupby(KEY_COLUMNS[1:], sort=False)["row"].transform("min").to_numpy()
        names = [list(table) for table in self.parts]
        for (row, m, a, s, e), first_row in zip(keys[repeated].tolist(), first[repeated].tolist(), strict=True):
            parts = (names[0][m], names[1][a], names[2][s], names[2][e])
            self.problems.add(
                row,
                None,
                " ".join(str(part) for part in parts),
                f"duplicate row: the same measure, area and period as row {first_row}",
            )
        gone = keys[repeated, 0]
        self.frames = [f[~f["source_row"].isin(gone)] for f in self.frames]
        return keys

    def expected_warnings(self, keys: np.ndarray) -> None:
        """A warning for each expected (measure, area, start, end) row the file does not have."""
        keys = pd.DataFrame(keys, columns=KEY_COLUMNS)
        measures, areas, periods = self.parts
        wanted = [
            (m, a, s, e, measures[m], areas[a], periods[s], periods[e])
            for m, a, s, e in self.ctx.expected or ()
            if m in measures and a in areas and s in periods and e in periods
        ]
        present: set[tuple] = set()
        if wanted:
            frame = pd.DataFrame(wanted, columns=["m", "a", "s", "e", *KEY_COLUMNS[1:]])
            found = frame.merge(keys[KEY_COLUMNS[1:]].drop_duplicates(), on=KEY_COLUMNS[1:])
            present = set(found[["m", "a", "s", "e"]].itertuples(index=False, name=None))
        for m, a, ps, pe in sorted(self.ctx.expected - present):
            self.problems.warn(
                None,
                None,
                None,
                f"no row for {self.ctx.measure_named(m)}, {self.ctx.area_named(a)}, {period_label(ps, pe)} "
                "(expected in this return): add the row",
            )

    def rows(self) -> pd.DataFrame:
        """The valid rows (ROW_COLUMNS) in file order; value float, source_row int."""
        frames = [f for f in self.frames if len(f)]
        if not frames:
            return empty_rows()
        rows = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        rows["value"] = rows["value"].astype(float)
        rows["source_row"] = rows["source_row"].astype(int)
        return rows


def _repeated(keys: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Rows whose (measure, area, start, end) ids (keys[:, 1:]) an earlier row has; sizes: measures,
    areas and period parts known. The ids are packed into one integer when they fit."""
    measures, areas, periods = sizes
    if measures * areas * periods * periods >= 2**62:
        return pd.DataFrame(keys[:, 1:]).duplicated().to_numpy()
    packed = ((keys[:, 1] * areas + keys[:, 2]) * periods + keys[:, 3]) * periods + keys[:, 4]
    return pd.Series(packed).duplicated().to_numpy()


def _objects(values: np.ndarray, present: np.ndarray, kind=float) -> np.ndarray:
    """Python numbers where present, None elsewhere (unknown is never 0)."""
    out = np.full(len(values), None, dtype=object)
    if present.any():
        out[present] = values[present].astype(np.int64 if kind is int else np.float64).astype(object)
    return out


def _valid_frame(cells: Cells, sel: np.ndarray, numbers: np.ndarray) -> pd.DataFrame:
    m_codes, m_names = cells.codes("measure")
    a_codes, a_names = cells.codes("area")
    pair = cells.periods.pair[sel]

    def dates(parsed: list) -> np.ndarray:
        return np.asarray([*(d if isinstance(d, date) else None for d in parsed), None], dtype=object)[:-1][pair]

    num, den, resp = cells.numerator, cells.denominator, cells.respondents
    comment = cells.text["comment"][sel]
    return pd.DataFrame(
        {
            "measure_code": np.asarray([*m_names, ""], dtype=object)[:-1][m_codes[sel]],
            "area_code": np.asarray([*a_names, ""], dtype=object)[:-1][a_codes[sel]],
            "period_start": dates(cells.periods.start),
            "period_end": dates(cells.periods.end),
            "value": cells.value.value[sel],
            "numerator": _objects(num.value[sel], num.ok[sel]),
            "denominator": _objects(den.value[sel], den.ok[sel]),
            "respondents": _objects(resp.value[sel], resp.ok[sel], int),
            "comment": objects(list(map(str.strip, comment))),
            "source_row": numbers[sel],
        },
        columns=list(ROW_COLUMNS),
        dtype=object,
    )
