"""Formula-safe CSV and XLSX exports, and the blank return template (ASVS 1.2.10).

Pure module: no Django. Every text cell goes through `safe_cell`, so a value a partner typed
such as "=HYPERLINK(...)" opens in Excel as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from returns.files import formula_like

_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def safe_cell(value: object) -> object:
    """Prefix text a spreadsheet could run as a formula with an apostrophe; other values unchanged.

    The rule is returns.files.formula_like: = + - @ tab CR LF or NUL first, after any white
    space, zero-width space, byte-order mark or other invisible character. Only strings are
    escaped: a real negative number (int, float, Decimal) stays a number.
    """
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return safe_cell(value)  # type: ignore[return-value]
    return str(value)


def csv_bytes(header: list[str], rows: Iterable[Sequence], *, preamble: list[str] | None = None) -> bytes:
    """CSV as UTF-8 with a BOM (so Excel reads it as UTF-8) and CRLF line ends.

    preamble lines (e.g. "# Data as at 31 May 2014 · digest 3f2a…") come first, one cell each,
    then the header, then rows. Dates are written ISO (YYYY-MM-DD), None as an empty cell.
    """
    out = io.StringIO(newline="")
    # QUOTE_MINIMAL with a CRLF terminator quotes any cell holding \r or \n, so a stray line
    # break inside text cannot split a row when the file is read back.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for line in preamble or ():
        writer.writerow([_csv_text(line)])
    writer.writerow([_csv_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_value(value: object) -> object:
    if isinstance(value, str):
        # Strip characters XML cannot hold first, so that e.g. "\x01=1" cannot become "=1"
        # after cleaning and slip past safe_cell.
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, (int, float, date, datetime)) or value is None:
        return value
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _sheet_title(title: str, used: set[str]) -> str:
    base = (title.translate(_BAD_SHEET_CHARS).strip().strip("'") or "Sheet")[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def xlsx_bytes(
    sheets: list[tuple[str, list[str], list[Sequence]]],
    *,
    preamble: list[str] | None = None,
) -> bytes:
    """An .xlsx workbook: one sheet per (title, header, rows), each cell through safe_cell.

    preamble lines are written at the top of every sheet, one cell each, before the header.
    Titles are cleaned to Excel's rules (31 characters, no []:*?/\\).
    """
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        ws = wb.create_sheet(_sheet_title(title, used))
        for line in preamble or ():
            ws.append([_xlsx_value(line)])
        ws.append([_xlsx_value(h) for h in header])
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
    if not sheets:
        wb.create_sheet("Sheet")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _template_rows(rows: Iterable[Sequence]) -> list[list[object]]:
    """Expected rows (measure_code, area_code, period_start, period_end, …) padded to the template.

    Dates become ISO text so the template reads the same in every locale's Excel.
    """
    from returns.parsing import TEMPLATE_COLUMNS  # parsing imports this module

    width = len(TEMPLATE_COLUMNS)
    out = []
    for row in rows:
        cells = [v.isoformat() if isinstance(v, date) else v for v in list(row)[:width]]
        out.append(cells + [""] * (width - len(cells)))
    return out


def template_csv(rows: Iterable[Sequence]) -> bytes:
    """The return template as CSV: TEMPLATE_COLUMNS header, expected rows with blank values.

    Each row is (measure_code, area_code, period_start, period_end), dates as date or ISO text;
    any further items fill value, numerator, denominator, respondents, comment in order.
    """
    from returns.parsing import TEMPLATE_COLUMNS

    return csv_bytes(list(TEMPLATE_COLUMNS), _template_rows(rows))


def template_xlsx(rows: Iterable[Sequence], *, narrative_priorities: Sequence[tuple[int, str]] = ()) -> bytes:
    """The return template as XLSX: sheet "Return" as template_csv, plus sheet "Narrative".

    Narrative columns: priority_number, priority_title, work_undertaken (left blank for the
    submitter), one row per (number, title) in narrative_priorities.
    """
    from returns.parsing import NARRATIVE_COLUMNS, NARRATIVE_SHEET, TEMPLATE_COLUMNS

    narrative = [[number, title, ""] for number, title in narrative_priorities]
    return xlsx_bytes(
        [
            ("Return", list(TEMPLATE_COLUMNS), _template_rows(rows)),
            (NARRATIVE_SHEET, list(NARRATIVE_COLUMNS), narrative),
        ]
    )
