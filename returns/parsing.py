"""Parse and validate an uploaded data return (CSV or XLSX), collecting every problem.

Pure module: no Django. `parse_upload` never raises for any input bytes; everything wrong
with a file comes back as a `Problem` naming the file, the spreadsheet row (header = row 1)
and the column, so the uploader can fix all of it in one go (DESIGN §6, QUALITY §3).
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from returns.exports import csv_bytes

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
    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 2_000_000
    max_zip_uncompressed: int = 50 * 1024 * 1024
    max_zip_entries: int = 200
    max_zip_ratio: int = 100
    submitter: str = ""


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
    file_type: str | None = (
        None  # "csv" | "xlsx" | None when the type was not recognised
    )
    encoding: str | None = (
        None  # "utf-8" | "utf-8-sig" | "cp1252" for CSV; None for XLSX
    )
    rows_read: int = 0  # data rows read (blank rows excluded)

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


class _Fallback(Exception):
    """Raised by the fast path when only the row-at-a-time path reproduces the outcome exactly."""


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
    return (
        text.encode("unicode_escape").decode("ascii")
        if _CONTROL_RE.search(text)
        else text
    )


def parse_upload(raw: bytes, *, context: UploadContext) -> ParseResult:
    """Parse and validate an uploaded return; never raises, every problem is returned.

    Input: the file's bytes (CSV or XLSX with the TEMPLATE_COLUMNS header). Output: a
    ParseResult whose rows has ROW_COLUMNS and whose problems are sorted by row then column.
    """
    return _parse(raw, context=context, fast=True)


def _parse(raw: bytes, *, context: UploadContext, fast: bool) -> ParseResult:
    """parse_upload; fast=False checks every CSV row one at a time (the reference the fast path
    is tested against, and the fallback when a file exceeds the row cap)."""
    parser = _Parser(context, fast=fast)
    try:
        parser.run(raw)
    except _Fallback:
        return _parse(raw, context=context, fast=False)
    except _Stop:
        pass
    except Exception as exc:  # noqa: BLE001 - the contract is "problems, never a 500"
        parser.file_problem(
            f"the file could not be read ({type(exc).__name__}); check it is a CSV or .xlsx "
            "saved from the return template"
        )
    return parser.result()


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
        self.rows_read = 0

    # -- problems ------------------------------------------------------------------------
    def add(
        self, row: int | None, column: str | None, value: object, message: str
    ) -> None:
        self.problems.append(Problem(self.name, row, column, _show(value), message))

    def warn(
        self, row: int | None, column: str | None, value: object, message: str
    ) -> None:
        self.problems.append(
            Problem(self.name, row, column, _show(value), message, "warning")
        )

    def file_problem(self, message: str) -> None:
        self.add(None, None, "", message)

    def stop(self, message: str) -> None:
        self.file_problem(message)
        raise _Stop

    def result(self) -> ParseResult:
        order = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}

        def key(p: Problem) -> tuple:
            return (
                p.row is not None,
                p.row or 0,
                order.get(p.column or "", -1 if p.column is None else 99),
            )

        problems = sorted(self.problems, key=key)
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
        return ParseResult(
            rows=rows,
            problems=problems,
            narrative=self.narrative,
            file_type=self.file_type,
            encoding=self.encoding,
            rows_read=self.rows_read,
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
            self.stop(
                "this is an old Excel .xls workbook; save it as .xlsx or CSV and upload again"
            )
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
            self.stop(
                f"the file {self.name!r} must be a .csv or .xlsx file made from the template"
            )

    def _check_zip(self, raw: bytes) -> None:
        # Before openpyxl sees anything: nothing in openpyxl limits decompression (QUALITY §3.1).
        # Sizes in the zip directory are claimed by the file, but zipfile stops reading an
        # entry at its claimed size, so a lie cannot make openpyxl read more than we checked.
        ctx = self.ctx
        try:
            infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
        except Exception:  # noqa: BLE001 - zipfile raises several types for damaged archives
            self.stop(
                "the .xlsx file is damaged (not a readable zip archive); save it again from Excel"
            )
        if len(infos) > ctx.max_zip_entries:
            self.stop(
                f"the .xlsx file holds {len(infos)} parts, more than the {ctx.max_zip_entries} a "
                "return workbook needs"
            )
        total = sum(i.file_size for i in infos)
        if total > ctx.max_zip_uncompressed:
            self.stop(
                f"the file expands to {_human_size(total)} which is too large "
                f"(limit {_human_size(ctx.max_zip_uncompressed)})"
            )
        for info in infos:
            if info.file_size and (
                info.compress_size == 0
                or info.file_size / info.compress_size > ctx.max_zip_ratio
            ):
                self.stop(
                    f"the file expands to {_human_size(total)} which is too large: part "
                    f"{info.filename!r} is compressed more than {ctx.max_zip_ratio} times, as in "
                    "a zip bomb"
                )

    def _read_xlsx(self, raw: bytes) -> None:
        import openpyxl  # openpyxl uses defusedxml when installed (openpyxl.DEFUSEDXML)

        wb = None
        try:
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            sheets = [
                ws
                for ws in wb.worksheets
                if ws.title.strip().lower() != NARRATIVE_SHEET.lower()
            ]
            if not sheets:
                self.stop("the workbook has no data sheet; use the return template")
            self._validate_rows(
                self._cells(sheets[0].iter_rows(values_only=True)), fixed_width=True
            )
            narrative = [
                ws
                for ws in wb.worksheets
                if ws.title.strip().lower() == NARRATIVE_SHEET.lower()
            ]
            if narrative:
                self._read_narrative(
                    self._cells(narrative[0].iter_rows(values_only=True))
                )
        except _Stop:
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

    def _cells(self, rows: Iterable[tuple]) -> Iterator[list[str]]:
        """XLSX rows as lists of text, the way a CSV would hold them."""
        for row in rows:
            yield [_xlsx_text(v) for v in row]

    def _read_csv(self, raw: bytes) -> None:
        if raw.startswith(b"\xef\xbb\xbf"):
            encodings = ("utf-8-sig",)
        else:
            encodings = ("utf-8", "cp1252")
        text = None
        for encoding in encodings:
            try:
                text = raw.decode(encoding)
                self.encoding = encoding
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            self.stop(
                "the file is not UTF-8 or Windows-1252 text; save it from Excel as "
                "'CSV UTF-8 (Comma delimited)'"
            )
        # newline="" keeps \r, \n and \r\n as row ends whatever mix the file has, and leaves
        # line breaks inside quoted cells to the csv module (which we then reject as text).
        reader = csv.reader(io.StringIO(text, newline=""), strict=False)
        del text
        if self.fast:
            from returns.parsing_fast import validate_rows_fast

            validate_rows_fast(self, reader)
        else:
            self._validate_rows(reader)

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
            self.stop(
                "the file is empty; it needs the header row and at least one data row"
            )
        if not any(c.strip() for c in header):
            self.stop("row 1 must be the header: " + ", ".join(TEMPLATE_COLUMNS))
        # A BOM inside an XLSX cell, or left after a cp1252 decode.
        header[0] = header[0].removeprefix("\ufeff")
        cols = self._header(header)
        return [cols.get(name) for name in TEMPLATE_COLUMNS], len(header)

    def _validate_rows(
        self, rows: Iterable[list[str]], *, fixed_width: bool = False
    ) -> None:
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
            if self.rows_read > ctx.max_rows:
                self.stop(
                    f"the file has more than {ctx.max_rows:,} data rows; only the first "
                    f"{ctx.max_rows:,} can be read"
                )
            if fixed_width:
                # An XLSX row cannot be cut short; openpyxl pads or extends rows with empty cells.
                cells = (
                    list(cells[:width]) + [""] * (width - len(cells))
                    if len(cells) < width
                    else cells
                )
                while len(cells) > width and not cells[-1].strip():
                    cells = cells[:-1]
            n = len(cells)
            if n != width:
                self.add(
                    row_number,
                    None,
                    "",
                    f"row has {n} cells but the header has {width}"
                    + (
                        "; the file may have been cut short"
                        if n < width
                        else "; is a comma missing quotes?"
                    ),
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
            self.expected_warnings(
                {k for k in seen if isinstance(k[2], date) and isinstance(k[3], date)}
            )

    def expected_warnings(self, present: set[tuple]) -> None:
        """A warning for each expected (measure, area, start, end) row not in present."""
        if self.ctx.expected:
            for m, a, ps, pe in sorted(self.ctx.expected - present):
                self.warn(
                    None,
                    None,
                    f"{m} {a} {ps} {pe}",
                    f"no row for {m}, area {a}, {ps.isoformat()} to {pe.isoformat()} "
                    "(expected in this return)",
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
        return (
            str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        )
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _RowChecker:
    """Checks one row at a time; caches date parses because returns repeat a few periods."""

    def __init__(self, ctx: UploadContext, parser: _Parser) -> None:
        self.ctx = ctx
        self.p = parser
        self.dates: dict[str, date | str] = {}
        self.ok = True
        self.parsed: tuple = ()
        who = f"{ctx.submitter}'s" if ctx.submitter else "the submitter's"
        self.who = who

    def _date(self, text: str) -> date | str:
        """A date, or the message saying why the text is not one."""
        cached = self.dates.get(text)
        if cached is not None:
            return cached
        s = text.strip()
        if not s:
            result: date | str = "date required (YYYY-MM-DD)"
        elif not _DATE_RE.fullmatch(s):
            result = "not a date in the form YYYY-MM-DD"
        else:
            try:
                result = date.fromisoformat(s)
            except ValueError:
                result = "not a real date"
            else:
                if result.year < EARLIEST_YEAR:
                    result = f"dates before {EARLIEST_YEAR} are not accepted"
        if len(self.dates) < 10000:
            self.dates[text] = result
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
                    what = (
                        "a NUL byte"
                        if "\x00" in cell
                        else "a control character (tab, line break or similar)"
                    )
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
        ps = self._date(ps_raw)
        pe = self._date(pe_raw)
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
        if (
            numerator is not None
            and denominator is not None
            and numerator > denominator
        ):
            p.add(
                r,
                "numerator",
                num_raw,
                f"numerator is larger than the denominator {den_raw.strip()}",
            )
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

    def _number(
        self, r: int, column: str, text: str, *, whole: bool = False
    ) -> Decimal | None:
        """A non-negative decimal from text such as ' 1,234.5 ', or None after adding a problem.

        Never goes through float: "1e9999", "NaN" and "inf" are not in the accepted pattern.
        whole=True also rejects a fractional part (12.0 is whole; 12.5 is not).
        """
        s = text.strip()
        if not _NUMBER_RE.fullmatch(s):
            self.p.add(
                r, column, text, "not a number (write digits, e.g. 1234 or 1,234.5)"
            )
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
