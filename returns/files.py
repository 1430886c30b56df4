"""Bytes to rows of cells for an uploaded CSV return: text encodings, separators, size bounds.

Pure module: no Django. Each function either returns what it read or raises `FileRefused` with
the sentence the uploader sees; `returns.parsing` turns that into a file-level problem. XLSX
workbooks are read by `returns.workbook`, with the same bounds.

The bounds: a return is refused at the first bound it passes, before and while it is
read, so a small hostile file cannot make the reader pad, copy or collect without limit.
Before: a CSV's line breaks are counted, and an XLSX sheet's XML is scanned for rows, cells and
cells per row, before a cell is parsed. While: every row read (blank rows too) and every cell
(an XLSX row as wide as its last cell) is counted.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

# Separators a return may use: comma (the template), semicolon (Excel where the list separator is
# ";") and tab (Excel's "Unicode Text"). The one that finds most template columns in row 1 wins.
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
# Characters Excel and other readers skip at the start of a cell before deciding it is a formula:
# white space and the invisible format characters (zero-width space U+200B, BOM U+FEFF, …).
_INVISIBLE_RE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*")
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_CONTROL_BYTES = bytes(range(32))



class FileRefused(Exception):
    """The file cannot be read as a return; str(exc) is the whole message for the uploader."""


@dataclass(frozen=True)
class Bounds:
    """The most a return may hold. rows counts every row, the header and blank rows included."""

    rows: int
    columns: int
    cells: int


def formula_like(text: str) -> bool:
    """True when a spreadsheet could run the text as a formula (OWASP CSV injection, ASVS 1.2.10).

    That is: it starts with = + - @ tab, CR, LF or NUL, after any white space and invisible
    characters (zero-width space, byte-order mark, soft hyphen, direction marks), which Excel
    and LibreOffice skip.
    """
    return text.startswith(FORMULA_TRIGGERS) or text[_INVISIBLE_RE.match(text).end() :].startswith(FORMULA_TRIGGERS)


# -- CSV ----------------------------------------------------------------------------------------


def csv_decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding) for CSV bytes: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text",
    with a BOM, or without one when every other byte of the start is NUL), else Windows-1252.

    Raises FileRefused when none fits.
    """
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif _looks_utf16(raw[:200], odd=True):
        candidates = ("utf-16-le",)
    elif _looks_utf16(raw[:200], odd=False):
        candidates = ("utf-16-be",)
    else:
        candidates = ("utf-8", "cp1252")
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        "the file is not UTF-8, UTF-16 or Windows-1252 text; save it from Excel as 'CSV UTF-8 (Comma delimited)'"
    )


def _looks_utf16(start: bytes, *, odd: bool) -> bool:
    """Nearly every byte at odd (UTF-16 LE) or even (BE) positions NUL, nearly none at the others.

    That is ASCII text (the template's header) in UTF-16; a stray NUL in a UTF-8 file is not.
    """
    if len(start) < 8:
        return False
    zeros, others = (start[1::2], start[0::2]) if odd else (start[0::2], start[1::2])
    return zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.1 * len(others)


def csv_separator(text: str, template_columns: Sequence[str]) -> str:
    """The separator of row 1 that splits it into the most template column names (comma on a tie)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].split("\r", 1)[0]
    wanted = set(template_columns)

    def found(sep: str) -> int:
        return sum(cell.strip().strip('"').strip().lower() in wanted for cell in first.split(sep))

    return max(SEPARATORS, key=lambda sep: (found(sep), sep == ","))


def csv_line_check(text: str, name: str, bounds: Bounds) -> None:
    """Before reading: refuse a CSV with more lines than bounds.rows (each line break is a row)."""
    lines = max(text.count("\n"), text.count("\r"))
    if lines > bounds.rows:
        raise FileRefused(too_many_rows(name, bounds))


def csv_plain_lines(text: str, separator: str, bounds: Bounds) -> list[str] | None:
    """The CSV's lines when csv.reader would read each one as line.split(separator); else None.

    That is when the text has no quote, carriage return or NUL, every line has the same number
    of cells (two or more), no line is longer than csv.field_size_limit() and the file is within
    every bound. Any other file is read by csv.reader (`bounded_rows`), which also says which
    bound it passes. Output: the header line first; no trailing empty line.
    """
    if '"' in text or "\r" in text or "\0" in text:
        return None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the line break ending the last row
    if not lines:
        return None
    separators = lines[0].count(separator)
    width = separators + 1
    if (
        width < 2
        or width > bounds.columns
        or len(lines) > bounds.rows
        or len(lines) * width > bounds.cells
        or max(map(len, lines)) > csv.field_size_limit()
        or set(map(str.count, lines, repeat(separator))) != {separators}
    ):
        return None
    return lines


def csv_plain_controls(text: str, separator: str) -> bool:
    """Whether a cell of a plain CSV (csv_plain_lines) holds a control character (U+0000 to U+001F).

    Counted on the UTF-8 bytes, where such a character is one byte below 0x20 and nothing else is:
    any beyond the line breaks (and the separators, when it is a tab) is in a cell.
    """
    data = text.encode("utf-8", "surrogatepass")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return controls > text.count("\n") + (text.count(separator) if separator < " " else 0)


def csv_plain_columns(lines: list[str], separator: str, size: int) -> Iterator[np.ndarray]:
    """The data lines of csv_plain_lines, size lines at a time, each chunk as columns of cells.

    Output: per chunk an object array of shape (columns, rows); row i of the chunk is [:, i].
    """
    width = lines[0].count(separator) + 1
    for start in range(1, len(lines), size):
        cells = separator.join(lines[start : start + size]).split(separator)
        yield np.array(cells, dtype=object).reshape(-1, width).T.copy()


def too_many_rows(name: str, bounds: Bounds) -> str:
    return (
        f"{name} has more than {bounds.rows:,} rows, the limit (blank rows count); delete the empty rows "
        "at the end, or split the return into smaller files"
    )


# -- rows of either kind --------------------------------------------------------------------------


def _no_text(cell: object) -> bool:
    return cell is None or cell == ""


def bounded_rows(
    rows: Iterable[Sequence], *, name: str, bounds: Bounds, blank: Callable[[object], bool] = _no_text
) -> Iterator[Sequence]:
    """The rows as read, each cut to its last non-empty cell when wider than bounds.columns.

    Raises FileRefused at the first row past bounds.rows, the first with a non-empty cell past
    bounds.columns, or once the cells read (each row's full width, padding included) pass bounds.cells.
    """
    cells = 0
    for number, row in enumerate(rows, start=1):
        if number > bounds.rows:
            raise FileRefused(too_many_rows(name, bounds))
        width = len(row)
        cells += width
        if cells > bounds.cells:
            raise FileRefused(
                f"{name} has more than {bounds.cells:,} cells, the limit; delete unused rows and columns, "
                "or split the return into smaller files"
            )
        if width > bounds.columns:
            tail = row[bounds.columns :]
            if not all(map(blank, tail)):
                used = max(i for i, cell in enumerate(row) if not blank(cell)) + 1
                raise FileRefused(
                    f"{name}: row {number} has {used:,} columns; the limit is {bounds.columns} (the template "
                    "has 9); delete the columns after the template's last column"
                )
            row = row[: bounds.columns]
        yield row
