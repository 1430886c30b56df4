"""Parsers for public crime data: Home Office recorded crime (force level) and data.police.uk.

Pure module: bytes in, pandas DataFrames and a summary dict out; no Django. The data is Crown
copyright, "Contains public sector information licensed under the Open Government Licence v3.0".
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date

import pandas as pd

HOME_OFFICE_COLUMNS: tuple[str, ...] = (
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
)
POLICE_UK_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
HO_FRAME_COLUMNS: tuple[str, ...] = (
    "measure_code",
    "area_code",
    "period_start",
    "period_end",
    "value",
)
CRIME_FRAME_COLUMNS: tuple[str, ...] = ("crime_type", "area_code", "month", "count")
OUTCOME_FRAME_COLUMNS: tuple[str, ...] = (
    "crime_type",
    "outcome_category",
    "area_code",
    "month",
    "count",
)

# reference/offence_mapping_home_office.csv. all_crime is "total recorded crime excluding
# fraud" (ONS headline); the rest are single offence subgroups. From April 2017 'Domestic
# burglary' is residential burglary, a series break against 2014's 'burglary dwelling'.
ALL_CRIME = "all_crime"
ALL_CRIME_EXCLUDED_GROUP = "Fraud offences"
HOME_OFFICE_SUBGROUP_MEASURES: dict[str, str] = {
    "Domestic burglary": "burglary_dwelling",
    "Theft of a motor vehicle": "theft_of_motor_vehicle",
    "Theft from a vehicle": "theft_from_motor_vehicle",
    "Violence with injury": "violence_with_injury",
}
HOME_OFFICE_MEASURES: tuple[str, ...] = (
    ALL_CRIME,
    *HOME_OFFICE_SUBGROUP_MEASURES.values(),
)

_QUARTER_MONTHS = {1: (4, 6), 2: (7, 9), 3: (10, 12), 4: (1, 3)}
_QUARTER_END_DAY = {6: 30, 9: 30, 12: 31, 3: 31}
_FINANCIAL_YEAR_RE = re.compile(r"(\d{4})/(\d{2})")
# Home Office counts are padded (" 66776 ") and a few are negative adjustments ("-45", "-00").
_COUNT_RE = re.compile(r"-?\d{1,9}")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
# An LSOA name is its district's name, a space, three digits and a letter: "Charnwood 012A".
_LSOA_NAME_RE = re.compile(r"(.+?)\s+\d{3}[A-Z]")


class PublicDataError(ValueError):
    """A row of a public data file that cannot be read; names file, row (header = 1) and column."""

    def __init__(
        self, file: str, row: int | None, column: str | None, value: str, message: str
    ):
        self.file, self.row, self.column, self.value, self.message = (
            file,
            row,
            column,
            value,
            message,
        )
        where = f"{file}, row {row}" if row is not None else file
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message} (value {value!r})")


def _decode(raw: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PublicDataError(file_name, None, None, "", "not UTF-8 or Windows-1252 text")


def _reader(raw: bytes, file_name: str, columns: tuple[str, ...]) -> csv.DictReader:
    reader = csv.DictReader(io.StringIO(_decode(raw, file_name), newline=""))
    header = [(name or "").strip() for name in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise PublicDataError(
            file_name, 1, missing[0], "", f"missing columns: {', '.join(missing)}"
        )
    reader.fieldnames = header
    return reader


def _quarter(
    fy_text: str, q_text: str, *, file_name: str, row: int
) -> tuple[date, date]:
    """Financial year '2017/18' and quarter 1-4 → (first day, last day); Q1 is April-June."""
    fy = _FINANCIAL_YEAR_RE.fullmatch(fy_text.strip())
    if not fy or (int(fy.group(1)) + 1) % 100 != int(fy.group(2)):
        raise PublicDataError(
            file_name,
            row,
            "Financial Year",
            fy_text,
            "not a financial year like 2017/18",
        )
    q = q_text.strip()
    if q not in {"1", "2", "3", "4"}:
        raise PublicDataError(
            file_name, row, "Financial Quarter", q_text, "quarter must be 1, 2, 3 or 4"
        )
    first, last = _QUARTER_MONTHS[int(q)]
    year = int(fy.group(1)) + (1 if q == "4" else 0)
    return date(year, first, 1), date(year, last, _QUARTER_END_DAY[last])


def parse_home_office_prc(
    raw: bytes, *, force_names: dict[str, str], file_name: str
) -> tuple[pd.DataFrame, dict]:
    """Home Office police recorded crime by force and quarter → SP10-14 measure counts.

    Input: the "prc-pfa" CSV (HOME_OFFICE_COLUMNS; counts padded with spaces; a few negative
    adjustments, which are summed as published). force_names maps 'Force Name' to GSS code
    (matched ignoring case and surrounding spaces); rows for other names (Action Fraud,
    British Transport Police, CIFAS, UK Finance, ...) are skipped and counted.

    Output: DataFrame HO_FRAME_COLUMNS = measure_code (HOME_OFFICE_MEASURES), area_code,
    period_start, period_end (datetime.date, the financial quarter), value (int, offences),
    one row for every measure x force x quarter present in the file (0 when no offences),
    sorted; and summary = {file, rows_read, rows_used, skipped: {force name: rows},
    forces: [GSS codes], periods: [(start, end)], negative_rows}.

    Raises PublicDataError for a missing column, bad year or quarter, or unreadable count.
    """
    forces = {name.strip().casefold(): code for name, code in force_names.items()}
    totals: Counter[tuple[str, str, date, date]] = Counter()
    seen: set[tuple[str, date, date]] = set()
    skipped: Counter[str] = Counter()
    rows_read = rows_used = negative_rows = 0
    for row_number, row in enumerate(
        _reader(raw, file_name, HOME_OFFICE_COLUMNS), start=2
    ):
        rows_read += 1
        force = (row["Force Name"] or "").strip()
        code = forces.get(force.casefold())
        if code is None:
            skipped[force] += 1
            continue
        start, end = _quarter(
            row["Financial Year"] or "",
            row["Financial Quarter"] or "",
            file_name=file_name,
            row=row_number,
        )
        count_text = (row["Number of Offences"] or "").strip()
        if not _COUNT_RE.fullmatch(count_text):
            raise PublicDataError(
                file_name,
                row_number,
                "Number of Offences",
                count_text,
                "not a whole number of offences",
            )
        count = int(count_text)
        negative_rows += count < 0
        rows_used += 1
        seen.add((code, start, end))
        if (row["Offence Group"] or "").strip() != ALL_CRIME_EXCLUDED_GROUP:
            totals[(ALL_CRIME, code, start, end)] += count
        measure = HOME_OFFICE_SUBGROUP_MEASURES.get(
            (row["Offence Subgroup"] or "").strip()
        )
        if measure:
            totals[(measure, code, start, end)] += count
    records = [
        (measure, code, start, end, totals[(measure, code, start, end)])
        for code, start, end in seen
        for measure in HOME_OFFICE_MEASURES
    ]
    frame = pd.DataFrame(records, columns=list(HO_FRAME_COLUMNS))
    frame["value"] = frame["value"].astype("int64")
    frame = frame.sort_values(
        ["measure_code", "area_code", "period_start"], ignore_index=True
    )
    summary = {
        "file": file_name,
        "rows_read": rows_read,
        "rows_used": rows_used,
        "skipped": dict(sorted(skipped.items())),
        "forces": sorted({code for code, _, _ in seen}),
        "periods": sorted({(start, end) for _, start, end in seen}),
        "negative_rows": negative_rows,
    }
    return frame, summary


def lsoa_district(lsoa_name: str) -> str:
    """The district part of an LSOA name: 'North West Leicestershire 001A' → 'North West Leicestershire'."""
    name = lsoa_name.strip()
    match = _LSOA_NAME_RE.fullmatch(name)
    return match.group(1) if match else name


def _month(text: str, *, file_name: str, row: int) -> date:
    match = _MONTH_RE.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise PublicDataError(file_name, row, "Month", text, "not a month like 2021-04")
    return date(int(match.group(1)), int(match.group(2)), 1)


def parse_police_uk(
    raw: bytes, *, file_name: str, lsoa_districts: dict[str, str], force_code: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One data.police.uk street-level CSV → monthly counts by crime type, force and CSP.

    Input: POLICE_UK_COLUMNS. lsoa_districts maps a district name (the LSOA name without its
    trailing code, matched whole and ignoring case, so 'Leicester' never takes
    'North West Leicestershire') to the CSP's GSS code. Anti-social behaviour is its own
    crime_type.

    Every row counts toward the force (force_code), including rows whose LSOA lies outside the
    force's districts (a crime recorded by the force but mapped over the border, e.g.
    'Barrow-in-Furness 010E') and rows with no LSOA; those two are counted apart in the summary
    and add to no CSP.

    Output: crimes = CRIME_FRAME_COLUMNS: crime_type, area_code, month (date, first of month),
    count (int), zero-filled for the force and every CSP in lsoa_districts x crime types x
    months seen; outcomes = OUTCOME_FRAME_COLUMNS: crime_type, outcome_category, area_code,
    month, count, only for rows with a 'Last outcome category' (ASB has none), not zero-filled.
    summary = {file, rows_read, months: [date], force_rows, by_area: {GSS code: rows},
    outside_districts: {district: rows}, no_lsoa: rows, no_outcome: rows,
    crime_types: [names], falls_within: {name: rows}}.

    Raises PublicDataError for a missing column, a bad month or a row with no crime type.
    """
    districts = {name.strip().casefold(): code for name, code in lsoa_districts.items()}
    crimes: Counter[tuple[str, str, date]] = Counter()
    outcomes: Counter[tuple[str, str, str, date]] = Counter()
    by_area: Counter[str] = Counter()
    outside: Counter[str] = Counter()
    falls_within: Counter[str] = Counter()
    months: set[date] = set()
    types: set[str] = set()
    month_cache: dict[str, date] = {}
    rows_read = no_lsoa = no_outcome = 0
    for row_number, row in enumerate(
        _reader(raw, file_name, POLICE_UK_COLUMNS), start=2
    ):
        rows_read += 1
        month_text = row["Month"] or ""
        month = month_cache.get(month_text)
        if month is None:
            month = month_cache[month_text] = _month(
                month_text, file_name=file_name, row=row_number
            )
        months.add(month)
        crime_type = (row["Crime type"] or "").strip()
        if not crime_type:
            raise PublicDataError(
                file_name, row_number, "Crime type", "", "crime type missing"
            )
        types.add(crime_type)
        falls_within[(row["Falls within"] or "").strip()] += 1
        lsoa_name = (row["LSOA name"] or "").strip()
        areas = [force_code]
        if not lsoa_name:
            no_lsoa += 1
        else:
            district = lsoa_district(lsoa_name)
            csp = districts.get(district.casefold())
            if csp is None:
                outside[district] += 1
            else:
                areas.append(csp)
                by_area[csp] += 1
        outcome = (row["Last outcome category"] or "").strip()
        if not outcome:
            no_outcome += 1
        for area in areas:
            crimes[(crime_type, area, month)] += 1
            if outcome:
                outcomes[(crime_type, outcome, area, month)] += 1
    all_areas = [force_code, *sorted(set(districts.values()))]
    crime_records = [
        (t, a, m, crimes[(t, a, m)])
        for t in sorted(types)
        for a in all_areas
        for m in sorted(months)
    ]
    crime_frame = pd.DataFrame(crime_records, columns=list(CRIME_FRAME_COLUMNS))
    crime_frame["count"] = crime_frame["count"].astype("int64")
    outcome_frame = pd.DataFrame(
        [(*key, n) for key, n in sorted(outcomes.items())],
        columns=list(OUTCOME_FRAME_COLUMNS),
    )
    outcome_frame["count"] = outcome_frame["count"].astype("int64")
    summary = {
        "file": file_name,
        "rows_read": rows_read,
        "months": sorted(months),
        "force_rows": rows_read,
        "by_area": dict(sorted(by_area.items())),
        "outside_districts": dict(sorted(outside.items())),
        "no_lsoa": no_lsoa,
        "no_outcome": no_outcome,
        "crime_types": sorted(types),
        "falls_within": dict(sorted(falls_within.items())),
    }
    return crime_frame, outcome_frame, summary
