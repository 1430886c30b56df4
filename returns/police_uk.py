"""data.police.uk street-level files → monthly counts by series, force and CSP; and their outcomes.

Pure module (no Django). Three steps, so that several files for one month can be combined:
police_uk_rows reads and checks one file, police_uk_dedupe counts each Crime ID once across
the files of a run, police_uk_counts maps crime types onto series with the dated crime-type map
(reference/police_uk_crime_types.csv) and counts them. Crown copyright, Open Government
Licence v3.0.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import pandas as pd

from returns.public_data import DatedMap, PublicDataError, csv_reader, names_listed

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
CRIME_FRAME_COLUMNS: tuple[str, ...] = ("series", "area_code", "month", "count")
OUTCOME_FRAME_COLUMNS: tuple[str, ...] = ("crime_type", "outcome_category", "area_code", "month", "count")
FORCE_COLUMNS = ("Reported by", "Falls within")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
# An LSOA name is its district's name, a space, three digits and a letter: "Charnwood 012A".
_LSOA_NAME_RE = re.compile(r"(.+?)\s+\d{3}[A-Z]")


class CrimeRow(NamedTuple):
    file: str
    row: int
    crime_id: str
    month: date
    crime_type: str
    lsoa_name: str
    outcome: str


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


def police_uk_rows(raw: bytes, *, file_name: str, force_names: set[str]) -> list[CrimeRow]:
    """One street-level CSV (POLICE_UK_COLUMNS) → its rows, checked.

    force_names: the names data.police.uk gives the force being imported (matched ignoring
    case and surrounding spaces); every row's "Reported by" and "Falls within" must be one of
    them. Raises PublicDataError naming file, row and column for a missing column, a bad month,
    a row with no crime type, or a row of another force's (the whole file is refused).
    """
    wanted = {name.strip().casefold() for name in force_names}
    shown = " or ".join(sorted(force_names))
    rows: list[CrimeRow] = []
    months: dict[str, date] = {}
    for number, row in enumerate(csv_reader(raw, file_name, POLICE_UK_COLUMNS), start=2):
        for column in FORCE_COLUMNS:
            force = (row[column] or "").strip()
            if force.casefold() not in wanted:
                raise PublicDataError(
                    file_name,
                    number,
                    column,
                    force,
                    f"this row is not {shown}'s, so the file is another force's or mixes forces; "
                    f"import only {shown}'s street-level files",
                )
        text = row["Month"] or ""
        month = months.get(text) or months.setdefault(text, _month(text, file_name=file_name, row=number))
        crime_type = (row["Crime type"] or "").strip()
        if not crime_type:
            raise PublicDataError(file_name, number, "Crime type", "", "crime type missing")
        rows.append(
            CrimeRow(
                file_name,
                number,
                (row["Crime ID"] or "").strip(),
                month,
                crime_type,
                (row["LSOA name"] or "").strip(),
                (row["Last outcome category"] or "").strip(),
            )
        )
    return rows


def police_uk_dedupe(rows: list[CrimeRow]) -> tuple[list[CrimeRow], list[tuple[CrimeRow, CrimeRow]]]:
    """Each non-empty Crime ID once per month (the first row kept); rows with no ID (anti-social
    behaviour) all kept. A crime published again in a later month's file counts in each month, as
    data.police.uk publishes it.

    Output: (kept rows in input order, [(kept row, dropped duplicate)]). Raises PublicDataError
    naming both rows when two rows of one month share a Crime ID but differ in crime type, LSOA or
    outcome: which one is right cannot be known.
    """
    first: dict[tuple[date, str], CrimeRow] = {}
    kept: list[CrimeRow] = []
    duplicates: list[tuple[CrimeRow, CrimeRow]] = []
    for row in rows:
        if not row.crime_id:
            kept.append(row)
            continue
        earlier = first.get((row.month, row.crime_id))
        if earlier is None:
            first[(row.month, row.crime_id)] = row
            kept.append(row)
        elif earlier[3:] == row[3:]:
            duplicates.append((earlier, row))
        else:
            raise PublicDataError(
                row.file,
                row.row,
                "Crime ID",
                row.crime_id,
                f"the same Crime ID and month as {earlier.file}, row {earlier.row}, with a different crime type, "
                "LSOA or outcome; which is right cannot be told, so ask data.police.uk or remove the wrong row",
            )
    return kept, duplicates


@dataclass
class _CrimeTally:
    """Counts over a run's rows: crimes by (series, area, month), outcomes by (crime type, outcome, area, month)."""

    crimes: Counter[tuple[str, str, date]] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str, str, date]] = field(default_factory=Counter)
    by_area: Counter[str] = field(default_factory=Counter)
    outside: Counter[str] = field(default_factory=Counter)
    unknown: dict[str, CrimeRow] = field(default_factory=dict)
    seen: set[tuple[str, date]] = field(default_factory=set)
    no_lsoa: int = 0
    no_outcome: int = 0


def _row_areas(row: CrimeRow, *, districts: dict[str, str], force_code: str, tally: _CrimeTally) -> list[str]:
    """The force, and the CSP whose district the row's LSOA lies in (when any); rows with no LSOA
    or an LSOA outside the force's districts are counted apart."""
    areas = [force_code]
    if not row.lsoa_name:
        tally.no_lsoa += 1
    else:
        district = lsoa_district(row.lsoa_name)
        csp = districts.get(district.casefold())
        if csp is None:
            tally.outside[district] += 1
        else:
            areas.append(csp)
            tally.by_area[csp] += 1
    return areas


def _crime_tally(
    rows: list[CrimeRow], *, districts: dict[str, str], force_code: str, crime_types: DatedMap
) -> _CrimeTally:
    """Count every row toward its series and areas; crime types unknown for their month are only noted."""
    types = crime_types.lookup()
    tally = _CrimeTally()
    for row in rows:
        series = DatedMap.targets(types.get(row.crime_type.casefold(), []), row.month)
        if series is None:
            tally.unknown.setdefault(f"{row.crime_type} ({row.month:%Y-%m})", row)
            continue
        areas = _row_areas(row, districts=districts, force_code=force_code, tally=tally)
        tally.no_outcome += not row.outcome
        for area in areas:
            for name in series:
                tally.crimes[(name, area, row.month)] += 1
            if row.outcome:
                tally.outcomes[(row.crime_type, row.outcome, area, row.month)] += 1
        tally.seen.update((name, row.month) for name in series)
    return tally


def _crime_frames(tally: _CrimeTally, *, all_areas: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CRIME_FRAME_COLUMNS for every seen series and month by every area (0 where none), and OUTCOME_FRAME_COLUMNS."""
    crime_frame = pd.DataFrame(
        [
            (name, area, month, tally.crimes[(name, area, month)])
            for name, month in sorted(tally.seen)
            for area in all_areas
        ],
        columns=list(CRIME_FRAME_COLUMNS),
    )
    crime_frame["count"] = crime_frame["count"].astype("int64")
    outcome_frame = pd.DataFrame(
        [(*key, n) for key, n in sorted(tally.outcomes.items())], columns=list(OUTCOME_FRAME_COLUMNS)
    )
    outcome_frame["count"] = outcome_frame["count"].astype("int64")
    return crime_frame, outcome_frame


def police_uk_counts(
    rows: list[CrimeRow], *, lsoa_districts: dict[str, str], force_code: str, crime_types: DatedMap
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Counts by series (crime_types maps each crime type to its series for the month), area and month.

    lsoa_districts maps a district name (the LSOA name without its trailing code, matched whole
    and ignoring case, so 'Leicester' never takes 'North West Leicestershire') to the CSP's GSS
    code. Every row counts toward the force (force_code), including rows whose LSOA lies outside
    the force's districts and rows with no LSOA; those two are counted apart and add to no CSP.

    Output: crimes = CRIME_FRAME_COLUMNS (series name, area_code, month as the first day, count):
    for each month, every series with at least one row that month, for the force and every CSP
    (a street-level file lists all the force's crimes, so a CSP with none has 0; a series with
    no row in the month is not there at all, never 0); outcomes = OUTCOME_FRAME_COLUMNS by the
    file's own crime type, only for rows with a 'Last outcome category'; summary = {rows,
    months, by_area, outside_districts, no_lsoa, no_outcome, crime_types, series}.

    Raises PublicDataError naming the crime types the map does not know for their month.
    """
    districts = {name.strip().casefold(): code for name, code in lsoa_districts.items()}
    tally = _crime_tally(rows, districts=districts, force_code=force_code, crime_types=crime_types)
    if tally.unknown:
        where = next(iter(tally.unknown.values()))
        raise PublicDataError(
            where.file,
            where.row,
            "Crime type",
            "",
            f"crime types the crime-type map does not know for their month: {names_listed(tally.unknown)}; "
            f"add each, the series it joins and the dates it holds to fixtures/reference/{crime_types.file}",
        )
    crime_frame, outcome_frame = _crime_frames(tally, all_areas=[force_code, *sorted(set(districts.values()))])
    summary = {
        "rows": len(rows),
        "months": sorted({row.month for row in rows}),
        "by_area": dict(sorted(tally.by_area.items())),
        "outside_districts": dict(sorted(tally.outside.items())),
        "no_lsoa": tally.no_lsoa,
        "no_outcome": tally.no_outcome,
        "crime_types": sorted({row.crime_type for row in rows}),
        "series": sorted({name for name, _ in tally.seen}),
    }
    return crime_frame, outcome_frame, summary
