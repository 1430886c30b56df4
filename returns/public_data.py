"""Parsers for public crime data: shared helpers, dated maps and Home Office recorded crime.

Pure module: bytes in, pandas DataFrames and a summary dict out; no Django. The data is Crown
copyright, "Contains public sector information licensed under the Open Government Licence v3.0".
data.police.uk files are read by returns.police_uk with the helpers here.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

# Later releases rename two columns; a CSP-level file adds "CSP Name".
HOME_OFFICE_COLUMNS: tuple[str, ...] = (
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Code",
    "Number of Offences",
)
HOME_OFFICE_ALIASES: dict[str, str] = {
    "Police Force": "Force Name",
    "Offence Count": "Number of Offences",
}
HOME_OFFICE_CSP_COLUMN = "CSP Name"
HO_FRAME_COLUMNS: tuple[str, ...] = (
    "measure_code",
    "area_code",
    "period_start",
    "period_end",
    "value",
)

_QUARTER_MONTHS = {1: (4, 6), 2: (7, 9), 3: (10, 12), 4: (1, 3)}
_QUARTER_END_DAY = {6: 30, 9: 30, 12: 31, 3: 31}
_FINANCIAL_YEAR_RE = re.compile(r"(\d{4})/(\d{2})")
# Home Office counts are padded (" 66776 ") and a few are negative adjustments ("-45", "-00").
_COUNT_RE = re.compile(r"-?\d{1,9}")
_NAMES_SHOWN = 10


class PublicDataError(ValueError):
    """A row of a public data file that cannot be read; names file, row (header = 1) and column."""

    def __init__(self, file: str, row: int | None, column: str | None, value: str, message: str):
        self.file, self.row, self.column, self.value, self.message = file, row, column, value, message
        where = f"{file}, row {row}" if row is not None else file
        if column:
            where += f", column {column!r}"
        shown = f" (value {value!r})" if value else ""
        super().__init__(f"{where}: {message}{shown}")


def decode_text(raw: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PublicDataError(file_name, None, None, "", "not UTF-8 or Windows-1252 text; save it as CSV UTF-8")


def csv_reader(
    raw: bytes, file_name: str, columns: tuple[str, ...], aliases: dict[str, str] | None = None
) -> csv.DictReader:
    """A DictReader over `raw` whose header names are stripped, matched to `columns` ignoring case, and
    renamed from their aliases; a missing column raises PublicDataError naming it."""
    reader = csv.DictReader(io.StringIO(decode_text(raw, file_name), newline=""))
    known = {name.casefold(): name for name in columns}
    known.update({alias.casefold(): name for alias, name in (aliases or {}).items()})
    header = [(name or "").strip() for name in reader.fieldnames or []]
    header = [known.get(name.casefold(), name) for name in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise PublicDataError(file_name, 1, missing[0], "", f"missing columns: {', '.join(missing)}")
    reader.fieldnames = header
    return reader


def names_listed(names) -> str:
    """'a', 'b' and 3 more: a short list of names for a message."""
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:_NAMES_SHOWN])
    return shown + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


def _iso_day(text: str, *, file_name: str, row: int, column: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PublicDataError(file_name, row, column, text, "not a date like 2017-04-01") from None


@dataclass(frozen=True)
class MapRow:
    key: str
    target: str  # "" = known, counted in no series
    valid_from: date | None
    valid_to: date | None
    note: str


@dataclass
class DatedMap:
    """A reference map from a source's names or codes to series, each row holding for dated years.

    Read from a CSV with columns `<key>, <target>, valid_from, valid_to, note` (ISO dates,
    blank = open-ended). A row with a blank target makes the key known but counted in nothing
    (Home Office fraud codes). A row with a valid_from and a note marks a series break.
    """

    file: str
    rows: list[MapRow] = field(default_factory=list)

    @classmethod
    def read(cls, raw: bytes, *, file_name: str, key: str, target: str) -> DatedMap:
        """Raises PublicDataError (file, row, column) for a missing column, blank key or bad date."""
        result = cls(file=file_name)
        for number, row in enumerate(
            csv_reader(raw, file_name, (key, target, "valid_from", "valid_to", "note")), start=2
        ):
            name = (row[key] or "").strip()
            if not name:
                raise PublicDataError(file_name, number, key, "", f"{key} is blank")
            start = _iso_day(row["valid_from"], file_name=file_name, row=number, column="valid_from")
            end = _iso_day(row["valid_to"], file_name=file_name, row=number, column="valid_to")
            result.rows.append(MapRow(name, (row[target] or "").strip(), start, end, (row["note"] or "").strip()))
        return result

    def lookup(self) -> dict[str, list[MapRow]]:
        index: dict[str, list[MapRow]] = defaultdict(list)
        for row in self.rows:
            index[row.key.casefold()].append(row)
        return index

    @staticmethod
    def targets(rows: list[MapRow], day: date) -> list[str] | None:
        """Targets of one key's rows holding on `day` ([] = known, counted nowhere; None = unknown then)."""
        holding = [
            r
            for r in rows
            if (r.valid_from is None or r.valid_from <= day) and (r.valid_to is None or day <= r.valid_to)
        ]
        return [r.target for r in holding if r.target] if holding else None

    def breaks(self) -> list[tuple[str, date, str]]:
        """(target, date, note) for every dated row with a note: the series breaks the map records."""
        found: dict[tuple[str, date], str] = {}
        for row in self.rows:
            if row.target and row.valid_from and row.note:
                found.setdefault((row.target, row.valid_from), row.note)
        return [(t, d, note) for (t, d), note in sorted(found.items(), key=lambda item: (item[0][1], item[0][0]))]


def _quarter(fy_text: str, q_text: str, *, file_name: str, row: int) -> tuple[date, date]:
    """Financial year '2017/18' and quarter 1-4 → (first day, last day); Q1 is April-June."""
    fy = _FINANCIAL_YEAR_RE.fullmatch(fy_text.strip())
    if not fy or (int(fy.group(1)) + 1) % 100 != int(fy.group(2)):
        raise PublicDataError(file_name, row, "Financial Year", fy_text, "not a financial year like 2017/18")
    q = q_text.strip()
    if q not in {"1", "2", "3", "4"}:
        raise PublicDataError(file_name, row, "Financial Quarter", q_text, "quarter must be 1, 2, 3 or 4")
    first, last = _QUARTER_MONTHS[int(q)]
    year = int(fy.group(1)) + (1 if q == "4" else 0)
    return date(year, first, 1), date(year, last, _QUARTER_END_DAY[last])


@dataclass
class _HomeOfficeTally:
    """What a pass over a Home Office file found: sums by (measure, area, start, end), and the names it could not place."""

    totals: Counter[tuple[str, str, date, date]] = field(default_factory=Counter)
    seen: set[tuple[str, date, date]] = field(default_factory=set)
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_codes: dict[str, int] = field(default_factory=dict)
    unknown_csps: dict[str, int] = field(default_factory=dict)
    unknown_forces: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    rows_used: int = 0
    negative_rows: int = 0


def _named_area(name: str, areas: dict, *, unknown: dict, skipped: Counter, row_number: int) -> str | None:
    """The area code `areas` gives a force or CSP name (matched without case), or None.

    A name `areas` does not hold is noted in `unknown` with its first row; one it maps to None (a
    body in the file that has no area here, such as a national agency) is counted in `skipped`.
    """
    if name.casefold() not in areas:
        unknown.setdefault(name, row_number)
        return None
    area = areas[name.casefold()]
    if area is None:
        skipped[name] += 1
    return area


def _home_office_area(
    row: dict, row_number: int, *, forces: dict, csps: dict, by_csp: bool, tally: _HomeOfficeTally
) -> str | None:
    """The area code a row counts toward, or None when its force or CSP is unknown (noted) or skipped (counted)."""
    force = (row["Force Name"] or "").strip()
    area = _named_area(force, forces, unknown=tally.unknown_forces, skipped=tally.skipped, row_number=row_number)
    if area is None or not by_csp:
        return area
    csp = (row[HOME_OFFICE_CSP_COLUMN] or "").strip()
    return _named_area(csp, csps, unknown=tally.unknown_csps, skipped=tally.skipped, row_number=row_number)


def _home_office_tally(
    reader: csv.DictReader, *, file_name: str, forces: dict, csps: dict, by_csp: bool, offence_map: DatedMap
) -> _HomeOfficeTally:
    """Sum each row's count into every measure its offence code counts toward for its quarter.

    Raises PublicDataError at the first bad year, quarter or count; unknown names are only noted."""
    codes = offence_map.lookup()
    tally = _HomeOfficeTally()
    for row_number, row in enumerate(reader, start=2):
        tally.rows_read += 1
        area = _home_office_area(row, row_number, forces=forces, csps=csps, by_csp=by_csp, tally=tally)
        if area is None:
            continue
        start, end = _quarter(
            row["Financial Year"] or "", row["Financial Quarter"] or "", file_name=file_name, row=row_number
        )
        count_text = (row["Number of Offences"] or "").strip()
        if not _COUNT_RE.fullmatch(count_text):
            raise PublicDataError(
                file_name, row_number, "Number of Offences", count_text, "not a whole number of offences"
            )
        offence = (row["Offence Code"] or "").strip()
        measures = DatedMap.targets(codes.get(offence.casefold(), []), start)
        if measures is None:
            tally.unknown_codes.setdefault(f"{offence} ({start:%Y-%m})", row_number)
            continue
        count = int(count_text)
        tally.negative_rows += count < 0
        tally.rows_used += 1
        tally.seen.add((area, start, end))
        for measure in measures:
            tally.totals[(measure, area, start, end)] += count
    return tally


def _home_office_unknowns_raise(tally: _HomeOfficeTally, *, file_name: str, offence_map: DatedMap) -> None:
    """Raise PublicDataError for unknown force names, then CSP names, then offence codes, each at its first row."""
    checks = (
        (
            tally.unknown_forces,
            "Force Name",
            "force names not in the Home Office force name list",
            "add each to fixtures/reference/home_office_force_names.csv with its force's GSS code, "
            "or a blank code for a body that is not a territorial force",
        ),
        (
            tally.unknown_csps,
            HOME_OFFICE_CSP_COLUMN,
            "CSP names not in the Home Office CSP name list",
            "add each with its ONS code to fixtures/reference/home_office_csp_names.csv",
        ),
        (
            tally.unknown_codes,
            "Offence Code",
            "offence codes the offence map does not know for that quarter",
            "add each code, the measures it counts toward and the dates it holds "
            f"to fixtures/reference/{offence_map.file}, then import again",
        ),
    )
    for unknown, column, what, remedy in checks:
        if unknown:
            first = min(unknown.values())
            raise PublicDataError(
                file_name, first, column, "", f"{what}: {names_listed(unknown)} (first at row {first}); {remedy}"
            )


def _home_office_results(
    tally: _HomeOfficeTally, *, file_name: str, by_csp: bool, offence_map: DatedMap
) -> tuple[pd.DataFrame, dict]:
    """The sorted HO_FRAME_COLUMNS frame and the summary parse_home_office_prc describes."""
    measures = sorted({r.target for r in offence_map.rows if r.target})
    frame = pd.DataFrame([(*key, n) for key, n in tally.totals.items()], columns=list(HO_FRAME_COLUMNS))
    frame["value"] = frame["value"].astype("int64")
    frame = frame.sort_values(["measure_code", "area_code", "period_start"], ignore_index=True)
    present = Counter(m for (m, _a, _s, _e) in tally.totals)
    seen = tally.seen
    summary = {
        "file": file_name,
        "level": "csp" if by_csp else "force",
        "rows_read": tally.rows_read,
        "rows_used": tally.rows_used,
        "skipped": dict(sorted(tally.skipped.items())),
        "areas": sorted({code for code, _, _ in seen}),
        "periods": sorted({(start, end) for _, start, end in seen}),
        "negative_rows": tally.negative_rows,
        "no_source_row": {m: len(seen) - present[m] for m in measures if present[m] < len(seen)},
    }
    return frame, summary


def parse_home_office_prc(
    raw: bytes,
    *,
    force_names: dict[str, str | None],
    offence_map: DatedMap,
    file_name: str,
    csp_names: dict[str, str | None] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Home Office police recorded crime by force (or CSP) and quarter → measure counts by offence code.

    Input: the "prc-pfa" CSV, or a "prc-csp" CSV with the same columns plus "CSP Name"
    (HOME_OFFICE_COLUMNS; later releases' "Police Force" and "Offence Count" are read as
    "Force Name" and "Number of Offences"; counts padded with spaces; negative adjustments are
    summed as published). force_names maps each 'Force Name' the Home Office uses to its GSS code
    (ignoring case and spaces), or to None for a body that is not a territorial force (Action
    Fraud, British Transport Police, CIFAS, UK Finance, ...), whose rows are skipped and counted. offence_map maps each 'Offence Code' to measure codes for the dates it
    holds (reference/home_office_offence_codes.csv). csp_names (CSP files only) maps the Home
    Office's CSP name to the product's area code, or None for a CSP the product does not hold
    (skipped and counted).

    Output: DataFrame HO_FRAME_COLUMNS = measure_code, area_code, period_start, period_end
    (datetime.date, the financial quarter), value (int, offences): one row for each measure x
    area x quarter with at least one source row (a published 0 is 0; no source row is no row,
    never 0), sorted; and summary = {file, level ("force" or "csp"), rows_read, rows_used,
    skipped: {name: rows}, areas: [codes], periods: [(start, end)], negative_rows,
    no_source_row: {measure: number of area-quarters with no row}}.

    Raises PublicDataError naming file, row and column for a missing column, a bad year, quarter
    or count, force names not in force_names, offence codes the map does not know for the
    quarter, or CSP names not in csp_names.
    """
    reader = csv_reader(raw, file_name, HOME_OFFICE_COLUMNS, HOME_OFFICE_ALIASES)
    by_csp = HOME_OFFICE_CSP_COLUMN in reader.fieldnames
    if by_csp and csp_names is None:
        raise PublicDataError(file_name, 1, HOME_OFFICE_CSP_COLUMN, "", "CSP-level files need the CSP name list")
    tally = _home_office_tally(
        reader,
        file_name=file_name,
        forces={name.strip().casefold(): code for name, code in force_names.items()},
        csps={name.strip().casefold(): code for name, code in (csp_names or {}).items()},
        by_csp=by_csp,
        offence_map=offence_map,
    )
    _home_office_unknowns_raise(tally, file_name=file_name, offence_map=offence_map)
    return _home_office_results(tally, file_name=file_name, by_csp=by_csp, offence_map=offence_map)
