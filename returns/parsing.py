"""Parse and validate an uploaded data return (CSV or XLSX), collecting every problem.

Pure module: no Django. `parse_upload` never raises for any input bytes; everything wrong
with a file comes back as a `Problem` naming the file, the spreadsheet row (header = row 1)
and the column, so the uploader can fix all of it in one go (DESIGN §6, QUALITY §3).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from openpyxl.utils import get_column_letter

from returns.exports import csv_bytes
from returns.files import (
    Bounds,
    FileRefused,
    bounded_rows,
    csv_decode,
    csv_line_check,
    csv_separator,
    formula_like,
    is_percent_format,
    percent_text,
    xlsx_data_sheet,
    xlsx_external_links,
    xlsx_scan_sheet,
)
from returns.periods import financial_quarter, month_bounds

TEMPLATE_COLUMNS: tuple[str, ...] = (
    "measure_code",
    "area_code",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "respondents",
    "comment",
)
# numerator, denominator, respondents and comment may be left out of the header; a
# percentage row then fails on its missing respondents, which names the column.
REQUIRED_COLUMNS: tuple[str, ...] = TEMPLATE_COLUMNS[:5]
NARRATIVE_SHEET = "Narrative"
NARRATIVE_COLUMNS: tuple[str, ...] = (
    "priority_number",
    "priority_title",
    "work_undertaken",
)
PROBLEM_COLUMNS: tuple[str, ...] = (
    "file",
    "row",
    "column",
    "value",
    "message",
    "severity",
)
ROW_COLUMNS: tuple[str, ...] = (*TEMPLATE_COLUMNS, "source_row")

UNITS = ("count", "rate_per_1000", "percentage", "pounds")
# value = numerator ÷ denominator × scale for the units that are ratios.
RATIO_SCALES = {"percentage": 100, "rate_per_1000": 1000}
MAX_COMMENT_CHARS = 2000
MAX_NARRATIVE_CHARS = 20000
# Far beyond any real figure (largest plausible is a force's annual spend in pounds); stops
# absurd numbers such as "9" * 5000 from turning into inf when converted to float.
MAX_ABS_VALUE = Decimal(10) ** 15
EARLIEST_YEAR = 2000

# Plain decimal notation only: optional sign, digits with optional well-formed thousands
# separators, optional fraction. No exponents, so "1e9999", "NaN" and "inf" never parse.
_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_FIRST_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_FORMS = "write dates as 2014-03-31 (YYYY-MM-DD) or 31/03/2014 (DD/MM/YYYY, day first)"
_CONTROL_RE = re.compile(r"[\x00-\x1f]")
_NARRATIVE_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class MeasureRule:
    """How one measure's value is checked. unit: count | rate_per_1000 | percentage | pounds.

    needs_respondents: a survey measure (the plan's kind "survey", R7); needs_ratio: a rate or
    percentage worked out from a numerator and a denominator (the plan's kind "ratio").
    """

    code: str
    unit: str
    needs_respondents: bool
    needs_ratio: bool = False


@dataclass
class UploadContext:
    """What an upload is checked against: the submitter's agreed data set and open period.

    allowed holds (measure_code, area_code) pairs; expected holds
    (measure_code, area_code, period_start, period_end) rows that should be present.
    """

    file_name: str
    measures: dict[str, MeasureRule]
    known_areas: set[str]
    allowed: set[tuple[str, str]]
    period_start: date
    period_end: date
    expected: set[tuple[str, str, date, date]] | None = None
    # (measure_code, area_code) → the frequencies ("monthly", "quarterly") the agreed data set
    # gives that line; None skips the period-shape check (issue 14 case 11).
    frequencies: dict[tuple[str, str], frozenset[str]] | None = None
    max_bytes: int = 20 * 1024 * 1024
    # Bounds (issue 13): every row counts (header and blank rows too); columns are a row's width to
    # its last non-empty cell; cells are every cell read, an XLSX row's padding included.
    max_rows: int = 2_000_000
    max_columns: int = 100
    max_cells: int = 20_000_000
    # Reading stops after this many errors: the uploader has enough to fix, and a file of junk
    # cannot make the report itself large.
    max_problems: int = 10_000
    max_zip_uncompressed: int = 50 * 1024 * 1024
    max_zip_entries: int = 200
    max_zip_ratio: int = 100
    submitter: str = ""
    # District (LAD) code → its CSP's code: a row naming a district is read as its CSP's row.
    area_aliases: dict[str, str] = field(default_factory=dict)


@dataclass
class Problem:
    """One thing wrong with an upload. row is the spreadsheet row (header = 1), None for the file."""

    file: str
    row: int | None
    column: str | None
    value: str
    message: str
    severity: str = "error"


@dataclass
class ParseResult:
    """Validated rows (ROW_COLUMNS), every problem found, and the XLSX narrative.

    rows holds only rows without errors: measure_code, area_code (str), period_start,
    period_end (datetime.date), value (float), numerator, denominator (float or None),
    respondents (int or None), comment (str, "" when blank), source_row (int).
    """

    rows: pd.DataFrame
    problems: list[Problem]
    narrative: dict[int, str] = field(default_factory=dict)
    file_type: str | None = None  # "csv" | "xlsx" | None when the type was not recognised
    encoding: str | None = None  # "utf-8" | "utf-8-sig" | "cp1252" for CSV; None for XLSX
    rows_read: int = 0  # data rows read (blank rows excluded)
    separator: str | None = None  # "," ";" or tab for CSV; None for XLSX
    sheet: str | None = None  # the XLSX sheet read
    formulas: int = 0  # XLSX formula cells in the sheets read
    external_links: list[str] = field(default_factory=list)  # XLSX links to other workbooks
    formula_like_cells: int = 0  # comments a spreadsheet could run as formulas (returns.files.formula_like)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Stop(Exception):
    """Raised inside the parser when a file-level problem means rows cannot be read."""


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in ROW_COLUMNS})


def _human_size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _show(value: object, limit: int = 80) -> str:
    """The offending value as text for a Problem, shortened and with control chars made visible."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.encode("unicode_escape").decode("ascii") if _CONTROL_RE.search(text) else text


def parse_upload(raw: bytes, *, context: UploadContext) -> ParseResult:
    """Parse and validate an uploaded return; never raises, every problem is returned.

    Input: the file's bytes (CSV or XLSX with the TEMPLATE_COLUMNS header). Output: a
    ParseResult whose rows has ROW_COLUMNS and whose problems are sorted by row then column.
    """
    return _parse(raw, context=context, fast=True)


def _parse(raw: bytes, *, context: UploadContext, fast: bool) -> ParseResult:
    """parse_upload; fast=False checks every CSV row one at a time (the reference the fast path
    is tested against)."""
    parser = _Parser(context, fast=fast)
    try:
        parser.run(raw)
    except _Stop:
        pass
    except FileRefused as exc:
        parser.ended(str(exc))
    except Exception as exc:  # noqa: BLE001 - the contract is "problems, never a 500"
        parser.ended(
            f"the file could not be read ({type(exc).__name__}); check it is a CSV or .xlsx "
            "saved from the return template"
        )
    return parser.result()


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


def _only_day_first(text: str) -> bool:
    """True for a slash date that is real only when read day first (31/03/2014: no 31st month)."""
    match = _DAY_FIRST_RE.fullmatch(text.strip())
    if not match or int(match.group(1)) <= 12:
        return False
    try:
        date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return False
    return True


def period_fits(frequencies: Iterable[str], start: date, end: date) -> bool:
    """True when start–end is a calendar month ("monthly") or financial quarter ("quarterly") as allowed.

    frequencies: the measure's frequencies in the submitter's agreed data set (DataSetItem, R8).
    """
    return ("monthly" in frequencies and (start, end) == month_bounds(start)) or (
        "quarterly" in frequencies and (start, end) == financial_quarter(start)
    )


def problems_csv(problems: Iterable[Problem]) -> bytes:
    """A validation report as CSV bytes: file,row,column,value,message,severity (formula-safe)."""
    rows = (
        (
            p.file,
            "" if p.row is None else p.row,
            p.column or "",
            p.value,
            p.message,
            p.severity,
        )
        for p in problems
    )
    return csv_bytes(list(PROBLEM_COLUMNS), rows)


class _Parser:
    """One upload's parse: holds the context, problems so far and the valid rows."""

    def __init__(self, context: UploadContext, *, fast: bool = True) -> None:
        self.ctx = context
        self.fast = fast
        self.name = context.file_name
        self.problems: list[Problem] = []
        self.valid: list[tuple] = []
        # The fast path's valid rows: frames of whole chunks, joined with self.valid in result().
        self.valid_frames: list[pd.DataFrame] = []
        self.narrative: dict[int, str] = {}
        self.file_type: str | None = None
        self.encoding: str | None = None
        self.separator: str | None = None
        self.sheet: str | None = None
        self.formulas = 0
        self.external_links: list[str] = []
        self.formula_like_cells = 0
        self.rows_read = 0
        self.error_count = 0
        self.columns_at: list[int | None] = []
        self.bounds = Bounds(rows=context.max_rows, columns=context.max_columns, cells=context.max_cells)

    # -- problems ------------------------------------------------------------------------
    def add(self, row: int | None, column: str | None, value: object, message: str) -> None:
        if self.error_count >= self.ctx.max_problems:
            self.problems.append(
                Problem(
                    self.name,
                    None,
                    None,
                    "",
                    f"{self.name}: reading stopped at row {row or 1:,} after {self.ctx.max_problems:,} "
                    "problems, the limit; fix the problems listed and upload the file again",
                )
            )
            raise _Stop
        self.error_count += 1
        self.problems.append(Problem(self.name, row, column, _show(value), message))

    def warn(self, row: int | None, column: str | None, value: object, message: str) -> None:
        self.problems.append(Problem(self.name, row, column, _show(value), message, "warning"))

    def file_problem(self, message: str) -> None:
        self.add(None, None, "", message)

    def ended(self, message: str) -> None:
        """The file-level problem that ended reading (outside the problem limit, which it may follow)."""
        self.problems.append(Problem(self.name, None, None, "", message))

    def stop(self, message: str) -> None:
        self.ended(message)
        raise _Stop

    def result(self) -> ParseResult:
        order = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}

        def key(p: Problem) -> tuple:
            return (
                p.row is not None,
                p.row or 0,
                order.get(p.column or "", -1 if p.column is None else 99),
            )

        frames = [f for f in self.valid_frames if len(f)]
        if self.valid:
            frames.append(pd.DataFrame(self.valid, columns=list(ROW_COLUMNS), dtype=object))
        if frames:
            rows = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            rows["value"] = rows["value"].astype(float)
            rows["source_row"] = rows["source_row"].astype(int)
            if len(frames) > 1:
                rows = rows.sort_values("source_row", kind="stable", ignore_index=True)
        else:
            rows = _empty_rows()
        if not self.errors_found():
            self._live_content_warnings(rows)
        problems = sorted(self.problems, key=key)
        return ParseResult(
            rows=rows,
            problems=problems,
            narrative=self.narrative,
            file_type=self.file_type,
            encoding=self.encoding,
            rows_read=self.rows_read,
            separator=self.separator,
            sheet=self.sheet,
            formulas=self.formulas,
            external_links=self.external_links,
            formula_like_cells=self.formula_like_cells,
        )

    def errors_found(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def _live_content_warnings(self, rows: pd.DataFrame) -> None:
        """Issue 13 item 12: say what in the original could run or reach out when it is opened.

        The figures stored are the values read; the original is kept and served back unchanged
        (its SHA-256 is the evidence of what was sent), so the preview and the download both warn.
        """
        comments = rows["comment"][rows["comment"] != ""]
        self.formula_like_cells = int(comments.map(formula_like).sum()) if len(comments) else 0
        if self.formulas:
            self.warn(
                None,
                None,
                "",
                f"the workbook has {self.formulas:,} formula cell(s): the figures read are the results it last "
                "saved, and Excel may recalculate them when the original is opened",
            )
        if self.external_links:
            self.warn(
                None,
                None,
                ", ".join(self.external_links[:5]),
                f"the workbook links to {len(self.external_links)} other workbook(s): when the original is opened, "
                "choose not to update links; the figures stored are the values as uploaded",
            )
        if self.formula_like_cells:
            self.warn(
                None,
                "comment",
                "",
                f"{self.formula_like_cells:,} comment(s) begin with = + - or @ and could run as formulas if the "
                "original is opened in a spreadsheet; exports from this product show them as text",
            )

    # -- file level ----------------------------------------------------------------------
    def run(self, raw: bytes) -> None:
        ctx = self.ctx
        if len(raw) > ctx.max_bytes:
            self.stop(
                f"the file is {_human_size(len(raw))}, larger than the {_human_size(ctx.max_bytes)} "
                "limit; split the return or remove unused sheets"
            )
        if not raw:
            self.stop("the file is empty")
        lower = self.name.lower()
        is_zip = raw.startswith(b"PK\x03\x04")
        if raw.startswith(b"\xd0\xcf\x11\xe0"):
            self.stop("this is an old Excel .xls workbook; save it as .xlsx or CSV and upload again")
        if is_zip and not lower.endswith(".xlsx"):
            self.stop(
                f"the file is named {self.name!r} but its contents are an Excel workbook (.xlsx); "
                "rename it to .xlsx or save it as CSV"
            )
        if not is_zip and lower.endswith(".xlsx"):
            self.stop(
                f"the file is named {self.name!r} but it is not an Excel workbook (it looks like "
                "text or CSV); save it from Excel as .xlsx, or rename it .csv"
            )
        if is_zip:
            self.file_type = "xlsx"
            self._check_zip(raw)
            self._read_xlsx(raw)
        elif lower.endswith(".csv"):
            self.file_type = "csv"
            self._read_csv(raw)
        else:
            self.stop(f"the file {self.name!r} must be a .csv or .xlsx file made from the template")

    def _check_zip(self, raw: bytes) -> None:
        # Before openpyxl sees anything: nothing in openpyxl limits decompression (QUALITY §3.1).
        # Sizes in the zip directory are claimed by the file, but zipfile stops reading an
        # entry at its claimed size, so a lie cannot make openpyxl read more than we checked.
        ctx = self.ctx
        try:
            infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
        except Exception:  # noqa: BLE001 - zipfile raises several types for damaged archives
            self.stop("the .xlsx file is damaged (not a readable zip archive); save it again from Excel")
        if len(infos) > ctx.max_zip_entries:
            self.stop(
                f"the .xlsx file holds {len(infos)} parts, more than the {ctx.max_zip_entries} a return workbook needs"
            )
        total = sum(i.file_size for i in infos)
        if total > ctx.max_zip_uncompressed:
            self.stop(
                f"the file expands to {_human_size(total)} which is too large "
                f"(limit {_human_size(ctx.max_zip_uncompressed)})"
            )
        for info in infos:
            if info.file_size and (info.compress_size == 0 or info.file_size / info.compress_size > ctx.max_zip_ratio):
                self.stop(
                    f"the file expands to {_human_size(total)} which is too large: part "
                    f"{info.filename!r} is compressed more than {ctx.max_zip_ratio} times, as in "
                    "a zip bomb"
                )

    def _read_xlsx(self, raw: bytes) -> None:
        import openpyxl  # openpyxl uses defusedxml when installed (openpyxl.DEFUSEDXML)

        wb = None
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            self.external_links = xlsx_external_links(archive)
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            ws, note = xlsx_data_sheet(wb, NARRATIVE_SHEET)
            self.sheet = ws.title
            if note:
                self.warn(None, None, ws.title, note)
            unsaved = self._formula_cells(raw, ws) if self._scan(archive, ws) else {}
            self._validate_rows(self._sheet_rows(ws, unsaved), fixed_width=True)
            self._report_unsaved(unsaved)
            narrative = [ws for ws in wb.worksheets if ws.title.strip().lower() == NARRATIVE_SHEET.lower()]
            if narrative and narrative[0].sheet_state != "visible":
                self.warn(
                    None,
                    None,
                    narrative[0].title,
                    f"the {NARRATIVE_SHEET} sheet is hidden and was not read; unhide it to send the narrative",
                )
            elif narrative:
                self._scan(archive, narrative[0])
                self._read_narrative(self._sheet_rows(narrative[0], {}))
        except (_Stop, FileRefused):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure inside openpyxl is a bad file
            if _is_entity_attack(exc):
                self.stop(
                    "the workbook contains XML entity declarations, which are not allowed (a "
                    "possible XML attack); save the return again from Excel and re-upload"
                )
            self.stop(
                f"the .xlsx workbook could not be read ({type(exc).__name__}); it may be damaged; "
                "save it again from Excel"
            )
        finally:
            if wb is not None:
                try:
                    wb.close()
                except Exception:  # noqa: BLE001, S110 - closing a broken archive
                    pass

    def _sheet_rows(self, ws, unsaved: dict[tuple[int, int], str]) -> Iterator[list[str]]:
        """A sheet's rows as lists of text, the way a CSV would hold them, within the bounds.

        The sheet's XML must have been counted first (_scan). Its declared dimension is ignored, so a sheet claiming A1:XFD1048576 is not padded to it. A %-formatted number
        is the percentage Excel shows. A formula cell with no saved result becomes "" and its
        place is kept in unsaved (filled by _formula_cells) for _report_unsaved.
        """
        ws.reset_dimensions()
        rows = bounded_rows(ws.iter_rows(), name=self.name, bounds=self.bounds, blank=_blank_cell)
        for row_number, row in enumerate(rows, start=1):
            cells = []
            for column, cell in enumerate(row):
                value = cell.value
                if value is None and (row_number, column) in unsaved:
                    unsaved[row_number, column] = "unsaved"
                if isinstance(value, (int, float)) and not isinstance(value, bool) and _percent(cell.number_format):
                    cells.append(percent_text(value))
                else:
                    cells.append(_xlsx_text(value))
            yield cells

    def _scan(self, archive: zipfile.ZipFile, ws) -> int:
        """Count the sheet's XML within the bounds before any cell is parsed; its formula count."""
        # ReadOnlyWorksheet keeps the sheet's part name in _worksheet_path (openpyxl 3.1).
        scan = xlsx_scan_sheet(archive, ws._worksheet_path, name=self.name, sheet=ws.title, bounds=self.bounds)
        self.formulas += scan.formulas
        return scan.formulas

    def _formula_cells(self, raw: bytes, ws) -> dict[tuple[int, int], str]:
        """(row, column index) → "formula" for each formula cell of the sheet, when it has any.

        openpyxl with data_only=True gives a formula's saved result, or None when none was
        saved; only a second read without data_only says the cell holds a formula.
        """
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        try:
            sheet = wb[ws.title]
            sheet.reset_dimensions()
            rows = bounded_rows(sheet.iter_rows(), name=self.name, bounds=self.bounds, blank=_blank_cell)
            return {
                (r, c): "formula"
                for r, row in enumerate(rows, start=1)
                for c, cell in enumerate(row)
                if cell.data_type == "f"
            }
        finally:
            wb.close()

    def _report_unsaved(self, unsaved: dict[tuple[int, int], str]) -> None:
        """Name each template cell that held a formula with no saved result, in place of "value required"."""
        columns = {i: name for name, i in zip(TEMPLATE_COLUMNS, self.columns_at, strict=True) if i is not None}
        for (row, column), state in sorted(unsaved.items()):
            if state != "unsaved" or row == 1 or column not in columns:
                continue
            name = columns[column]
            message = (
                f"cell {get_column_letter(column + 1)}{row} has a formula but no saved result (the file was "
                "saved by a program that does not calculate); open it in Excel, let it calculate, save "
                "and upload again"
            )
            found = [p for p in self.problems if p.row == row and p.column == name]
            if found:
                found[0].message = message
            else:
                self.add(row, name, "", message)

    def _read_csv(self, raw: bytes) -> None:
        text, self.encoding = csv_decode(raw)
        csv_line_check(text, self.name, self.bounds)
        self.separator = csv_separator(text, TEMPLATE_COLUMNS)
        # newline="" keeps \r, \n and \r\n as row ends whatever mix the file has, and leaves
        # line breaks inside quoted cells to the csv module (which we then reject as text).
        reader = csv.reader(io.StringIO(text, newline=""), strict=False, delimiter=self.separator)
        del text
        rows = bounded_rows(reader, name=self.name, bounds=self.bounds)
        if self.fast:
            from returns.parsing_fast import validate_rows_fast

            validate_rows_fast(self, rows)
        else:
            self._validate_rows(rows)

    # -- rows ----------------------------------------------------------------------------
    def _header(self, header: list[str]) -> dict[str, int]:
        columns: dict[str, int] = {}
        for i, cell in enumerate(header):
            name = cell.strip().lower()
            if not name:
                continue
            if _CONTROL_RE.search(name):
                self.add(1, None, cell, "the header contains control characters")
                continue
            if name in columns:
                self.add(1, name, cell, f"column {name!r} appears twice in the header")
                continue
            columns[name] = i
            if name not in TEMPLATE_COLUMNS:
                self.warn(1, name, cell, f"unknown column {name!r} is ignored")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        for name in missing:
            self.add(
                1,
                name,
                "",
                f"required column {name!r} is missing from the header (row 1)",
            )
        if missing:
            raise _Stop
        return columns

    def _start(self, iterator: Iterator[list[str]]) -> tuple[list[int | None], int]:
        """Read the header row: the file column of each TEMPLATE_COLUMNS name, and the width."""
        header = next(iterator, None)
        if header is None:
            self.stop("the file is empty; it needs the header row and at least one data row")
        if not any(c.strip() for c in header):
            self.stop("row 1 must be the header: " + ", ".join(TEMPLATE_COLUMNS))
        # A BOM inside an XLSX cell, or left after a cp1252 decode.
        header[0] = header[0].removeprefix("\ufeff")
        cols = self._header(header)
        self.columns_at = [cols.get(name) for name in TEMPLATE_COLUMNS]
        return self.columns_at, len(header)

    def _validate_rows(self, rows: Iterable[list[str]], *, fixed_width: bool = False) -> None:
        ctx = self.ctx
        iterator = iter(rows)
        idx, width = self._start(iterator)
        check = _RowChecker(ctx, self)
        seen: dict[tuple, int] = {}
        row_number = 1
        for cells in iterator:
            row_number += 1
            if not any(cells) or not any(c.strip() for c in cells):
                continue  # blank rows, e.g. Excel's trailing empty lines, are not data
            self.rows_read += 1
            if fixed_width:
                # An XLSX row cannot be cut short; openpyxl pads or extends rows with empty cells.
                cells = list(cells[:width]) + [""] * (width - len(cells)) if len(cells) < width else cells
                while len(cells) > width and not cells[-1].strip():
                    cells = cells[:-1]
            n = len(cells)
            if n != width:
                self.add(
                    row_number,
                    None,
                    "",
                    f"row has {n} cells but the header has {width}"
                    + ("; the file may have been cut short" if n < width else "; is a comma missing quotes?"),
                )
            values = [cells[i] if i is not None and i < n else "" for i in idx]
            key = check.row(row_number, values)
            if key is not None:
                first = seen.get(key)
                if first is not None:
                    self.add(
                        row_number,
                        None,
                        f"{key[0]} {key[1]} {key[2]} {key[3]}",
                        f"duplicate row: the same measure, area and period as row {first}",
                    )
                    check.ok = False
                else:
                    seen[key] = row_number
            if check.ok and n == width:
                self.valid.append((*check.parsed, row_number))
        if self.rows_read == 0:
            self.file_problem("the file has a header but no data rows")
        if ctx.expected:
            self.expected_warnings({k for k in seen if isinstance(k[2], date) and isinstance(k[3], date)})

    def expected_warnings(self, present: set[tuple]) -> None:
        """A warning for each expected (measure, area, start, end) row not in present."""
        if self.ctx.expected:
            for m, a, ps, pe in sorted(self.ctx.expected - present):
                self.warn(
                    None,
                    None,
                    f"{m} {a} {ps} {pe}",
                    f"no row for {m}, area {a}, {ps.isoformat()} to {pe.isoformat()} (expected in this return)",
                )

    def _read_narrative(self, rows: Iterable[list[str]]) -> None:
        iterator = iter(rows)
        header = next(iterator, None)
        if header is None:
            return
        cols = {c.strip().lower(): i for i, c in enumerate(header) if c.strip()}
        missing = [c for c in ("priority_number", "work_undertaken") if c not in cols]
        if missing:
            self.add(
                1,
                missing[0],
                "",
                f"Narrative sheet: column(s) {', '.join(missing)} missing from the header",
            )
            return
        pn, wu = cols["priority_number"], cols["work_undertaken"]
        row_number = 1
        for cells in iterator:
            row_number += 1
            number_text = cells[pn].strip() if pn < len(cells) else ""
            text = cells[wu] if wu < len(cells) else ""
            if not number_text and not text.strip():
                continue
            number_text = number_text.upper().removeprefix("SP")
            if not number_text.isdigit() or not 1 <= int(number_text) <= 99:
                self.add(
                    row_number,
                    "priority_number",
                    cells[pn],
                    "Narrative sheet: not a priority number",
                )
                continue
            number = int(number_text)
            if _NARRATIVE_CONTROL_RE.search(text):
                self.add(
                    row_number,
                    "work_undertaken",
                    text,
                    "Narrative sheet: contains control characters",
                )
                continue
            if len(text) > MAX_NARRATIVE_CHARS:
                self.add(
                    row_number,
                    "work_undertaken",
                    text,
                    f"Narrative sheet: longer than {MAX_NARRATIVE_CHARS:,} characters",
                )
                continue
            if number in self.narrative:
                self.add(
                    row_number,
                    "priority_number",
                    number,
                    f"Narrative sheet: priority {number} appears twice",
                )
                continue
            if text.strip():
                self.narrative[number] = text.strip().replace("\r\n", "\n")


def _blank_cell(cell) -> bool:
    return cell.value is None or cell.value == ""


@functools.lru_cache(maxsize=256)
def _percent(number_format: str) -> bool:
    return is_percent_format(number_format)


def _is_entity_attack(exc: BaseException) -> bool:
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


def _xlsx_text(value: object) -> str:
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


class _RowChecker:
    """Checks one row at a time; caches date parses because returns repeat a few periods."""

    def __init__(self, ctx: UploadContext, parser: _Parser) -> None:
        self.ctx = ctx
        self.p = parser
        self.dates: dict[tuple[str, bool], date | str] = {}
        self.ok = True
        self.parsed: tuple = ()
        who = f"{ctx.submitter}'s" if ctx.submitter else "the submitter's"
        self.who = who

    def _date(self, text: str, *, day_first: bool) -> date | str:
        """A date, or the message saying why the text is not one (parse_date, cached)."""
        cached = self.dates.get((text, day_first))
        if cached is not None:
            return cached
        result = parse_date(
            text, period_start=self.ctx.period_start, period_end=self.ctx.period_end, day_first=day_first
        )
        if len(self.dates) < 10000:
            self.dates[text, day_first] = result
        return result

    def row(self, r: int, v: list[str]) -> tuple | None:
        """Check one row's nine template values; set self.ok and self.parsed; return its key."""
        ctx, p = self.ctx, self.p
        self.ok = True
        before = len(p.problems)
        (
            measure_raw,
            area_raw,
            ps_raw,
            pe_raw,
            value_raw,
            num_raw,
            den_raw,
            resp_raw,
            comment,
        ) = v
        if _CONTROL_RE.search("".join(v)):
            for name, cell in zip(TEMPLATE_COLUMNS, v, strict=True):
                if _CONTROL_RE.search(cell):
                    what = "a NUL byte" if "\x00" in cell else "a control character (tab, line break or similar)"
                    p.add(r, name, cell, f"contains {what}; only plain text is allowed")
            # Go on checking the rest of the row as if the control characters were not there.
            v = [_CONTROL_RE.sub("", cell) for cell in v]
            (
                measure_raw,
                area_raw,
                ps_raw,
                pe_raw,
                value_raw,
                num_raw,
                den_raw,
                resp_raw,
                comment,
            ) = v
        measure = measure_raw.strip().lower()
        area = area_raw.strip().upper()
        area = ctx.area_aliases.get(area, area)
        rule = ctx.measures.get(measure)
        if not measure:
            p.add(r, "measure_code", measure_raw, "measure_code required")
        elif rule is None:
            p.add(r, "measure_code", measure_raw, f"unknown measure code {measure!r}")
        if not area:
            p.add(r, "area_code", area_raw, "area_code required")
        elif area not in ctx.known_areas:
            p.add(r, "area_code", area_raw, f"unknown area code {area!r}")
        elif rule is not None and (measure, area) not in ctx.allowed:
            p.add(
                r,
                "area_code",
                area_raw,
                f"area {area} is not in {self.who} agreed data set for measure {measure}",
            )
        # The other date of the row settles an ambiguous one when it can only be read day first.
        ps = self._date(ps_raw, day_first=_only_day_first(pe_raw))
        pe = self._date(pe_raw, day_first=_only_day_first(ps_raw))
        for name, raw_text, parsed in (
            ("period_start", ps_raw, ps),
            ("period_end", pe_raw, pe),
        ):
            if isinstance(parsed, str):
                p.add(r, name, raw_text, parsed)
            elif not ctx.period_start <= parsed <= ctx.period_end:
                p.add(
                    r,
                    name,
                    raw_text,
                    f"{parsed.isoformat()} is outside the return period "
                    f"{ctx.period_start.isoformat()} to {ctx.period_end.isoformat()}",
                )
        if isinstance(ps, date) and isinstance(pe, date) and ps > pe:
            p.add(
                r,
                "period_end",
                pe_raw,
                f"period_end is before period_start {ps.isoformat()}",
            )
        value = self._value(r, value_raw, rule)
        numerator = self._optional(r, "numerator", num_raw)
        denominator = self._optional(r, "denominator", den_raw)
        if numerator is not None and denominator is not None and numerator > denominator:
            p.add(
                r,
                "numerator",
                num_raw,
                f"numerator is larger than the denominator {den_raw.strip()}",
            )
        elif value is not None and rule is not None:
            self._consistent(r, value_raw, value, numerator, denominator, rule)
        if isinstance(ps, date) and isinstance(pe, date) and ctx.frequencies is not None and rule is not None:
            frequencies = ctx.frequencies.get((measure, area))
            if frequencies and not period_fits(frequencies, ps, pe):
                p.add(r, "period_end", pe_raw, self._period_message(measure, frequencies, ps))
        if rule is not None and rule.needs_ratio:
            for column, number, text in (("numerator", numerator, num_raw), ("denominator", denominator, den_raw)):
                if number is None and not text.strip():
                    p.add(r, column, text, f"{column} required: {rule.code} is worked out from a numerator and a denominator")
        respondents = self._respondents(r, resp_raw, rule)
        if len(comment) > MAX_COMMENT_CHARS:
            p.add(
                r,
                "comment",
                comment,
                f"comment is longer than {MAX_COMMENT_CHARS:,} characters",
            )
        self.ok = len(p.problems) == before
        if self.ok:
            self.parsed = (
                measure,
                area,
                ps,
                pe,
                float(value),
                None if numerator is None else float(numerator),
                None if denominator is None else float(denominator),
                respondents,
                comment.strip(),
            )
        if measure and area:
            return (
                measure,
                area,
                ps if isinstance(ps, date) else ps_raw.strip(),
                pe if isinstance(pe, date) else pe_raw.strip(),
            )
        return None

    def _number(self, r: int, column: str, text: str, *, whole: bool = False) -> Decimal | None:
        """A non-negative decimal from text such as ' 1,234.5 ', or None after adding a problem.

        Never goes through float: "1e9999", "NaN" and "inf" are not in the accepted pattern.
        whole=True also rejects a fractional part (12.0 is whole; 12.5 is not).
        """
        s = text.strip()
        if "," in s and self.p.separator == ";":
            # Where Excel's list separator is ";" its decimal separator is usually ",".
            self.p.add(
                r,
                column,
                text,
                "in a semicolon-separated file a comma may be a decimal comma; write the number with no "
                "thousands separator and a full stop for decimals (e.g. 1234.5)",
            )
            return None
        if not _NUMBER_RE.fullmatch(s):
            self.p.add(r, column, text, "not a number (write digits, e.g. 1234 or 1,234.5)")
            return None
        s = s.replace(",", "")
        number = Decimal(s)
        if abs(number) > MAX_ABS_VALUE:
            self.p.add(r, column, text, "number is too large")
            return None
        if number < 0:
            self.p.add(r, column, text, "must not be negative")
            return None
        if whole and _decimals(s):
            self.p.add(r, column, text, f"{column} must be a whole number")
            return None
        return number

    def _consistent(
        self,
        r: int,
        text: str,
        value: Decimal,
        numerator: Decimal | None,
        denominator: Decimal | None,
        rule: MeasureRule,
    ) -> None:
        """Refuse a percentage or rate whose value disagrees with its numerator and denominator.

        The value must equal numerator ÷ denominator × 100 (percentage) or × 1,000 (rate per
        1,000) to within one unit in its own last decimal place (85.4 → 0.1; 85 → 1), which
        allows for rounding and for cutting digits off.
        """
        scale = RATIO_SCALES.get(rule.unit)
        if scale is None or numerator is None or denominator is None:
            return
        if denominator == 0:
            self.p.add(r, "denominator", "0", "denominator must be more than 0 when a numerator is given")
            return
        expected = numerator / denominator * scale
        tolerance = Decimal(1).scaleb(-_decimals(text.strip().replace(",", "")))
        if abs(value - expected) > tolerance:
            self.p.add(
                r,
                "value",
                text,
                f"value {text.strip()} does not match numerator ÷ denominator: {numerator} ÷ {denominator} × "
                f"{scale:,} = {expected:.2f}; they must agree to within {tolerance} (one unit in the value's last "
                "decimal place): correct the value, numerator or denominator",
            )

    def _period_message(self, measure: str, frequencies: frozenset[str], start: date) -> str:
        shapes = []
        if "monthly" in frequencies:
            ms, me = month_bounds(start)
            shapes.append(f"a calendar month ({ms.isoformat()} to {me.isoformat()})")
        if "quarterly" in frequencies:
            qs, qe = financial_quarter(start)
            shapes.append(f"a financial quarter ({qs.isoformat()} to {qe.isoformat()})")
        return (
            f"{measure} is reported {' and '.join(sorted(frequencies))} in {self.who} agreed data set, so each "
            f"row's period must be {' or '.join(shapes)}"
        )

    def _value(self, r: int, text: str, rule: MeasureRule | None) -> Decimal | None:
        if not text.strip():
            self.p.add(r, "value", text, "value required")
            return None
        unit = rule.unit if rule is not None else None
        number = self._number(r, "value", text)
        if number is None:
            return None
        if unit == "count" and _decimals(text.strip()):
            self.p.add(r, "value", text, "a count must be a whole number")
            return None
        if unit == "percentage" and number > 100:
            self.p.add(r, "value", text, "a percentage must be between 0 and 100")
            return None
        if unit == "pounds" and _decimals(text.strip()) > 2:
            self.p.add(r, "value", text, "pounds may have at most 2 decimal places")
            return None
        return number

    def _optional(self, r: int, column: str, text: str) -> Decimal | None:
        if not text.strip():
            return None
        return self._number(r, column, text)

    def _respondents(self, r: int, text: str, rule: MeasureRule | None) -> int | None:
        needed = rule is not None and rule.needs_respondents
        if not text.strip():
            if needed:
                self.p.add(
                    r,
                    "respondents",
                    text,
                    f"respondents required for the survey measure {rule.code}",
                )
            return None
        number = self._number(r, "respondents", text, whole=True)
        if number is None:
            return None
        if needed and number == 0:
            self.p.add(
                r,
                "respondents",
                text,
                "respondents must be more than 0 for a survey measure",
            )
            return None
        return int(number)


def _decimals(number_text: str) -> int:
    """How many significant decimal places a plain number has ("12.50" → 1, "12.0" → 0)."""
    return len(number_text.partition(".")[2].rstrip("0"))
