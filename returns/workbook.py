"""Bytes to rows of cells for an uploaded XLSX return, behind the zip and XML defences.

Pure module: no Django. Before openpyxl sees a workbook, `check_zip` refuses archives that would
expand without limit (nothing in openpyxl limits decompression), and `xlsx_scan_sheet` counts a
sheet's rows and cells in its XML against the bounds. openpyxl reads XML through defusedxml, so
entity declarations (billion laughs, external entities) fail, and `entity_attack` says so.
Functions raise `FileRefused` with the sentence the uploader sees.
"""

from __future__ import annotations

import functools
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl.utils import get_column_letter

from returns.files import Bounds, FileRefused, bounded_rows, too_many_rows
from returns.problems import Problems, human_size
from returns.template import TEMPLATE_COLUMNS, UploadContext

TEMPLATE_SHEET = "Return"
# An XLSX sheet's XML: the start of a row element and of a cell element (with any namespace
# prefix). Text can never hold "<" unescaped, so these only find tags.
_ROW_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_FORMULA_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_SCAN_CHUNK = 1 << 20


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
                        raise FileRefused(too_many_rows(where, bounds))
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


def check_zip(raw: bytes, ctx: UploadContext) -> None:
    """Refuse an archive with too many parts, too large when expanded, or any part compressed as a zip bomb is.

    Sizes in the zip directory are claimed by the file, but zipfile stops reading an entry at its
    claimed size, so a lie cannot make openpyxl read more than is checked here.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except Exception as exc:  # noqa: BLE001 - zipfile raises several types for damaged archives
        raise FileRefused("the .xlsx file is damaged (not a readable zip archive); save it again from Excel") from exc
    if len(infos) > ctx.max_zip_entries:
        raise FileRefused(
            f"the .xlsx file holds {len(infos)} parts, more than the {ctx.max_zip_entries} a return workbook needs"
        )
    total = sum(i.file_size for i in infos)
    if total > ctx.max_zip_uncompressed:
        raise FileRefused(
            f"the file expands to {human_size(total)} which is too large (limit {human_size(ctx.max_zip_uncompressed)})"
        )
    for info in infos:
        if info.file_size and (info.compress_size == 0 or info.file_size / info.compress_size > ctx.max_zip_ratio):
            raise FileRefused(
                f"the file expands to {human_size(total)} which is too large: part {info.filename!r} is compressed "
                f"more than {ctx.max_zip_ratio} times, as in a zip bomb"
            )


def entity_attack(exc: BaseException | None) -> bool:
    """True when an openpyxl failure (or its cause) is defusedxml refusing entity declarations."""
    seen = 0
    while exc is not None and seen < 10:
        name = type(exc).__name__
        if "Entities" in name or "DTDForbidden" in name or "ExternalReference" in name:
            return True
        if "entit" in str(exc).lower() or "DTD" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def xlsx_text(value: object) -> str:
    """A cell value from openpyxl as the text a CSV would hold (dates as ISO, 12.0 as 12)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _blank_cell(cell) -> bool:
    return cell.value is None or cell.value == ""


@functools.lru_cache(maxsize=256)
def _percent(number_format: str) -> bool:
    return is_percent_format(number_format)


def sheet_rows(ws, unsaved: dict[tuple[int, int], str], *, name: str, bounds: Bounds) -> Iterator[list[str]]:
    """A sheet's rows as lists of text, the way a CSV would hold them, within the bounds.

    The sheet's XML must have been counted first (xlsx_scan_sheet). Its declared dimension is
    ignored, so a sheet claiming A1:XFD1048576 is not padded to it. A %-formatted number is the
    percentage Excel shows. A formula cell with no saved result becomes "" and its place is
    marked "unsaved" in unsaved (filled by formula_cells) for report_unsaved.
    """
    ws.reset_dimensions()
    rows = bounded_rows(ws.iter_rows(), name=name, bounds=bounds, blank=_blank_cell)
    for row_number, row in enumerate(rows, start=1):
        cells = []
        for column, cell in enumerate(row):
            value = cell.value
            if value is None and (row_number, column) in unsaved:
                unsaved[row_number, column] = "unsaved"
            if isinstance(value, (int, float)) and not isinstance(value, bool) and _percent(cell.number_format):
                cells.append(percent_text(value))
            else:
                cells.append(xlsx_text(value))
        yield cells


def formula_cells(raw: bytes, title: str, *, name: str, bounds: Bounds) -> dict[tuple[int, int], str]:
    """(row, column index) → "formula" for each formula cell of the sheet called title.

    openpyxl with data_only=True gives a formula's saved result, or None when none was saved;
    only a second read without data_only says the cell holds a formula.
    """
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    try:
        sheet = wb[title]
        sheet.reset_dimensions()
        rows = bounded_rows(sheet.iter_rows(), name=name, bounds=bounds, blank=_blank_cell)
        return {(r, c): "formula" for r, row in enumerate(rows, start=1) for c, cell in enumerate(row) if cell.data_type == "f"}
    finally:
        wb.close()


def report_unsaved(unsaved: dict[tuple[int, int], str], columns_at: list[int | None], problems: Problems) -> None:
    """Name each template cell that held a formula with no saved result, in place of "value required"."""
    columns = {i: name for name, i in zip(TEMPLATE_COLUMNS, columns_at, strict=True) if i is not None}
    for (row, column), state in sorted(unsaved.items()):
        if state != "unsaved" or row == 1 or column not in columns:
            continue
        name = columns[column]
        message = (
            f"cell {get_column_letter(column + 1)}{row} has a formula but no saved result (the file was saved by a "
            "program that does not calculate); open it in Excel, let it calculate, save and upload again"
        )
        found = [p for p in problems.found if p.row == row and p.column == name]
        if found:
            found[0].message = message
        else:
            problems.add(row, name, "", message)
