"""Bytes to rows of cells for an uploaded return: text encodings, separators, size bounds, XLSX sheets.

Pure module: no Django. Each function either returns what it read or raises `FileRefused` with
the sentence the uploader sees; `returns.parsing` turns that into a file-level problem.

The bounds (issue 13): a return is refused at the first bound it passes, before and while it is
read, so a small hostile file cannot make the reader pad, copy or collect without limit.
Before: a CSV's line breaks are counted, and an XLSX sheet's XML is scanned for rows, cells and
cells per row, before a cell is parsed. While: every row read (blank rows too) and every cell
(an XLSX row as wide as its last cell) is counted.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

# Separators a return may use: comma (the template), semicolon (Excel where the list separator is
# ";") and tab (Excel's "Unicode Text"). The one that finds most template columns in row 1 wins.
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
TEMPLATE_SHEET = "Return"
# Characters Excel and other readers skip at the start of a cell before deciding it is a formula:
# white space and the invisible format characters (zero-width space U+200B, BOM U+FEFF, …).
_INVISIBLE_RE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]*")
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")

# An XLSX sheet's XML: the start of a row element and of a cell element (with any namespace
# prefix). Text can never hold "<" unescaped, so these only find tags.
_ROW_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_FORMULA_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_SCAN_CHUNK = 1 << 20


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
        raise FileRefused(_too_many_rows(name, bounds))


def _too_many_rows(name: str, bounds: Bounds) -> str:
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
            raise FileRefused(_too_many_rows(name, bounds))
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


# -- XLSX ---------------------------------------------------------------------------------------


@dataclass
class SheetScan:
    """What a sheet's XML holds, counted before it is parsed."""

    rows: int = 0
    cells: int = 0
    formulas: int = 0


def xlsx_scan_sheet(archive: zipfile.ZipFile, part: str, *, name: str, sheet: str, bounds: Bounds) -> SheetScan:
    """Count rows, cells and formulas in a worksheet part, refusing it at the first bound passed.

    A row with more cell elements than bounds.columns is refused here, before openpyxl would
    build every one of them. Reads the part in 1 MB pieces (its size is already bounded by the
    zip checks).
    """
    scan = SheetScan()
    in_row = 0
    carry = b""
    where = f"{name} (sheet {sheet!r})"
    with archive.open(part) as stream:
        while True:
            piece = stream.read(_SCAN_CHUNK)
            data = carry + piece
            cut = data.rfind(b"<") if piece else -1
            if 0 <= cut and len(data) - cut < 256:
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            segments = _ROW_TAG_RE.split(data)
            scan.formulas += len(_FORMULA_TAG_RE.findall(data))
            for i, segment in enumerate(segments):
                if i:
                    in_row = 0
                    scan.rows += 1
                    if scan.rows > bounds.rows:
                        raise FileRefused(_too_many_rows(where, bounds))
                found = len(_CELL_TAG_RE.findall(segment))
                in_row += found
                scan.cells += found
                if in_row > bounds.columns:
                    raise FileRefused(
                        f"{where}: row {scan.rows} has more than {bounds.columns} cells, the limit (the "
                        "template has 9); delete the columns after the template's last column"
                    )
            if scan.cells > bounds.cells:
                raise FileRefused(
                    f"{where} has more than {bounds.cells:,} cells, the limit; delete unused rows and "
                    "columns, or split the return into smaller files"
                )
            if not piece:
                return scan


def xlsx_external_links(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's links to other workbooks (parts under xl/externalLinks/), by part name."""
    return sorted(n for n in archive.namelist() if n.startswith("xl/externalLinks/") and n.endswith(".xml"))


def xlsx_data_sheet(workbook, narrative: str) -> tuple[object, str | None]:
    """(sheet, note): the visible sheet named as the template names it, else the active sheet.

    note is None for the template's sheet, else a sentence saying which sheet was read. Hidden
    and very hidden sheets are never read. Raises FileRefused when no visible data sheet exists.
    """
    visible = [
        ws
        for ws in workbook.worksheets
        if ws.sheet_state == "visible" and ws.title.strip().lower() != narrative.lower()
    ]
    for ws in visible:
        if ws.title.strip().lower() == TEMPLATE_SHEET.lower():
            return ws, None
    if not visible:
        raise FileRefused(
            f"the workbook has no visible data sheet; unhide the sheet called {TEMPLATE_SHEET!r} "
            "(right-click a sheet tab, Unhide), save and upload again"
        )
    active = workbook.active
    ws = active if active in visible else visible[0]
    why = "the active sheet" if ws is active else "the first visible sheet"
    return ws, (f"read sheet {ws.title!r}, {why}: the workbook has no visible sheet called {TEMPLATE_SHEET!r}")


_QUOTED_RE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def is_percent_format(number_format: str) -> bool:
    """True when Excel shows the cell's number multiplied by 100 (an unquoted % in its format)."""
    return "%" in _QUOTED_RE.sub("", number_format or "")


def percent_text(value: float | int) -> str:
    """The percentage Excel shows for a %-formatted number, as plain decimal text (0.854 → "85.4").

    Goes through the shortest decimal text of the float, so 0.853 gives 85.3, never 85.30000000000001.
    """
    shown = (Decimal(repr(float(value))) * 100).normalize()
    return format(shown, "f")
