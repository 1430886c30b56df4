"""Parse and validate an uploaded data return (CSV or XLSX), collecting every problem.

Pure module: no Django. `parse_upload` never raises for any input bytes; everything wrong with a
file comes back as a `Problem` naming the file, the spreadsheet row (header = row 1) and the
column, so the uploader can fix all of it in one go. The work is split by job:

- bytes to cells: `returns.files` (CSV: encodings, separators, bounds) and `returns.workbook`
  (XLSX: zip and XML defences, sheets, formulas);
- rules: `returns.rules` (one table), applied a chunk of rows at a time by `returns.validation`;
- the narrative sheet: `returns.narrative`;
- the problem report: `returns.problems`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from returns.files import (
    Bounds,
    FileRefused,
    bounded_rows,
    csv_decode,
    csv_line_check,
    csv_plain_columns,
    csv_plain_controls,
    csv_plain_lines,
    csv_separator,
    formula_like,
)
from returns.narrative import read_narrative
from returns.problems import BySeverity, Problem, Problems, StopReading, human_size, problems_csv
from returns.template import (
    NARRATIVE_COLUMNS,
    NARRATIVE_SHEET,
    REQUIRED_COLUMNS,
    ROW_COLUMNS,
    TEMPLATE_COLUMNS,
    MeasureRule,
    UploadContext,
)
from returns.validation import CHUNK_ROWS, Validation, empty_rows
from returns.values import DATE_FORMS
from returns.workbook import (
    check_zip,
    entity_attack,
    formula_cells,
    report_unsaved,
    sheet_rows,
    xlsx_data_sheet,
    xlsx_external_links,
    xlsx_scan_sheet,
)

# The names other modules use from here; each is defined in the module that owns it.
__all__ = [
    "DATE_FORMS",
    "NARRATIVE_COLUMNS",
    "NARRATIVE_SHEET",
    "REQUIRED_COLUMNS",
    "ROW_COLUMNS",
    "TEMPLATE_COLUMNS",
    "MeasureRule",
    "ParseResult",
    "Problem",
    "UploadContext",
    "parse_upload",
    "problems_csv",
]


@dataclass
class ParseResult(BySeverity):
    """Validated rows (ROW_COLUMNS), every problem found, and the XLSX narrative.

    rows holds only rows without errors: measure_code, area_code (str), period_start,
    period_end (datetime.date), value (float), numerator, denominator (float or None),
    respondents (int or None), comment (str, "" when blank), source_row (int).
    """

    rows: pd.DataFrame
    problems: list[Problem]
    narrative: dict[int, str] = field(default_factory=dict)
    file_type: str | None = None  # "csv" | "xlsx" | None when the type was not recognised
    encoding: str | None = None  # "utf-8" | "utf-8-sig" | "cp1252" | "utf-16…" for CSV; None for XLSX
    rows_read: int = 0  # data rows read (blank rows excluded)
    separator: str | None = None  # "," ";" or tab for CSV; None for XLSX
    sheet: str | None = None  # the XLSX sheet read
    formulas: int = 0  # XLSX formula cells in the sheets read
    external_links: list[str] = field(default_factory=list)  # XLSX links to other workbooks
    formula_like_cells: int = 0  # comments a spreadsheet could run as formulas (returns.files.formula_like)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_upload(raw: bytes, *, context: UploadContext) -> ParseResult:
    """Parse and validate an uploaded return; never raises, every problem is returned.

    Input: the file's bytes (CSV or XLSX with the TEMPLATE_COLUMNS header). Output: a
    ParseResult whose rows has ROW_COLUMNS and whose problems are sorted by row then column.
    """
    upload = _Upload(context)
    try:
        upload.read(raw)
    except StopReading:
        pass
    except FileRefused as exc:
        upload.problems.ended(str(exc))
    except Exception as exc:  # noqa: BLE001 - the contract is "problems, never a 500"
        upload.problems.ended(
            f"the file could not be read ({type(exc).__name__}); check it is a CSV or .xlsx "
            "saved from the return template"
        )
    return upload.result()


class _Upload:
    """One upload's parse: what was read about the file, its problems and its rows."""

    def __init__(self, context: UploadContext) -> None:
        self.ctx = context
        self.name = context.file_name
        self.problems = Problems(context.file_name, context.max_problems)
        self.bounds = Bounds(rows=context.max_rows, columns=context.max_columns, cells=context.max_cells)
        self.validation: Validation | None = None
        self.info = ParseResult(rows=empty_rows(), problems=[])

    def read(self, raw: bytes) -> None:
        """Refuse what is not a return by its size, name and first bytes, then read it as CSV or XLSX."""
        ctx, stop, lower = self.ctx, self.problems.stop, self.name.lower()
        if len(raw) > ctx.max_bytes:
            stop(
                f"the file is {human_size(len(raw))}, larger than the {human_size(ctx.max_bytes)} "
                "limit; split the return or remove unused sheets"
            )
        if not raw:
            stop("the file is empty")
        is_zip = raw.startswith(b"PK\x03\x04")
        if raw.startswith(b"\xd0\xcf\x11\xe0"):
            stop("this is an old Excel .xls workbook; save it as .xlsx or CSV and upload again")
        if is_zip and not lower.endswith(".xlsx"):
            stop(
                f"the file is named {self.name!r} but its contents are an Excel workbook (.xlsx); "
                "rename it to .xlsx or save it as CSV"
            )
        if not is_zip and lower.endswith(".xlsx"):
            stop(
                f"the file is named {self.name!r} but it is not an Excel workbook (it looks like "
                "text or CSV); save it from Excel as .xlsx, or rename it .csv"
            )
        if is_zip:
            self.info.file_type = "xlsx"
            check_zip(raw, ctx)
            self._read_xlsx(raw)
        elif lower.endswith(".csv"):
            self.info.file_type = "csv"
            self._read_csv(raw)
        else:
            stop(f"the file {self.name!r} must be a .csv or .xlsx file made from the template")

    def _validation(self, *, fixed_width: bool) -> Validation:
        self.validation = Validation(
            self.ctx, self.problems, semicolon=self.info.separator == ";", fixed_width=fixed_width
        )
        return self.validation

    def _validate(self, rows, *, fixed_width: bool) -> Validation:
        validation = self._validation(fixed_width=fixed_width)
        validation.run(rows)
        return validation

    def _read_csv(self, raw: bytes) -> None:
        text, self.info.encoding = csv_decode(raw)
        csv_line_check(text, self.name, self.bounds)
        self.info.separator = separator = csv_separator(text, TEMPLATE_COLUMNS)
        lines = csv_plain_lines(text, separator, self.bounds)
        if lines is not None:
            # Nothing in the file needs the csv module: split the lines a chunk at a time.
            controls = csv_plain_controls(text, separator)
            del text
            validation = self._validation(fixed_width=False)
            chunks = csv_plain_columns(lines, separator, CHUNK_ROWS)
            validation.run_columns(lines[0].split(separator), chunks, controls=controls)
            return
        # newline="" keeps \r, \n and \r\n as row ends whatever mix the file has, and leaves
        # line breaks inside quoted cells to the csv module (which we then reject as text).
        reader = csv.reader(io.StringIO(text, newline=""), strict=False, delimiter=self.info.separator)
        del text
        self._validate(bounded_rows(reader, name=self.name, bounds=self.bounds), fixed_width=False)

    def _read_xlsx(self, raw: bytes) -> None:
        import openpyxl  # openpyxl uses defusedxml when installed (openpyxl.DEFUSEDXML)

        wb = None
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            self.info.external_links = xlsx_external_links(archive)
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            ws, note = xlsx_data_sheet(wb, NARRATIVE_SHEET)
            self.info.sheet = ws.title
            if note:
                self.problems.warn(None, None, ws.title, note)
            formulas = self._scan(archive, ws)
            unsaved = formula_cells(raw, ws.title, name=self.name, bounds=self.bounds) if formulas else {}
            validation = self._validate(sheet_rows(ws, unsaved, name=self.name, bounds=self.bounds), fixed_width=True)
            report_unsaved(unsaved, validation.columns_at, self.problems)
            self._read_narrative_sheet(archive, wb)
        except (StopReading, FileRefused):
            raise
        except Exception as exc:  # noqa: BLE001 - any failure inside openpyxl is a bad file
            if entity_attack(exc):
                self.problems.stop(
                    "the workbook contains XML entity declarations, which are not allowed (a "
                    "possible XML attack); save the return again from Excel and re-upload"
                )
            self.problems.stop(
                f"the .xlsx workbook could not be read ({type(exc).__name__}); it may be damaged; "
                "save it again from Excel"
            )
        finally:
            if wb is not None:
                try:
                    wb.close()
                except Exception:  # noqa: BLE001, S110 - closing a broken archive
                    pass

    def _scan(self, archive: zipfile.ZipFile, ws) -> int:
        """Count the sheet's XML within the bounds before any cell is parsed; its formula count."""
        # ReadOnlyWorksheet keeps the sheet's part name in _worksheet_path (openpyxl 3.1).
        scan = xlsx_scan_sheet(archive, ws._worksheet_path, name=self.name, sheet=ws.title, bounds=self.bounds)
        self.info.formulas += scan.formulas
        return scan.formulas

    def _read_narrative_sheet(self, archive: zipfile.ZipFile, wb) -> None:
        found = [ws for ws in wb.worksheets if ws.title.strip().lower() == NARRATIVE_SHEET.lower()]
        if found and found[0].sheet_state != "visible":
            self.problems.warn(
                None,
                None,
                found[0].title,
                f"the {NARRATIVE_SHEET} sheet is hidden and was not read; unhide it to send the narrative",
            )
        elif found:
            self._scan(archive, found[0])
            rows = sheet_rows(found[0], {}, name=self.name, bounds=self.bounds)
            self.info.narrative = read_narrative(rows, self.problems)

    def result(self) -> ParseResult:
        info = self.info
        if self.validation is not None:
            info.rows = self.validation.rows()
            info.rows_read = self.validation.rows_read
        if not self.problems.any_errors():
            self._live_content_warnings(info)
        info.problems = self.problems.sorted()
        return info

    def _live_content_warnings(self, info: ParseResult) -> None:
        """Say what in the original could run or reach out when it is opened.

        The figures stored are the values read; the original is kept and served back unchanged
        (its SHA-256 is the evidence of what was sent), so the preview and the download both warn.
        """
        comments = info.rows["comment"][info.rows["comment"] != ""]
        info.formula_like_cells = int(comments.map(formula_like).sum()) if len(comments) else 0
        warn = self.problems.warn
        if info.formulas:
            warn(
                None,
                None,
                "",
                f"the workbook has {info.formulas:,} formula cell(s): the figures read are the results it last "
                "saved, and Excel may recalculate them when the original is opened",
            )
        if info.external_links:
            warn(
                None,
                None,
                ", ".join(info.external_links[:5]),
                f"the workbook links to {len(info.external_links)} other workbook(s): when the original is opened, "
                "choose not to update links; the figures stored are the values as uploaded",
            )
        if info.formula_like_cells:
            warn(
                None,
                "comment",
                "",
                f"{info.formula_like_cells:,} comment(s) begin with = + - or @ and could run as formulas if the "
                "original is opened in a spreadsheet; exports from this product show them as text",
            )
