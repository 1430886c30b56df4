"""Public data into versioned returns of the public-data submitter (Home Office, data.police.uk).

Each importer parses with returns.public_data / returns.police_uk (pure), then stores one
accepted return per period found, all periods in one transaction. Idempotent: a period whose
current return came from the same file (SHA-256) or holds the same figures is left alone and
reported as "no change". A figure with no source row is not stored: it stays unknown, never 0.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.db import transaction

from priorities.models import Area, AreaKind, Direction, Frequency, Measure, OutcomeScheme, OutcomeType, Unit
from priorities.office import focus_force_code
from priorities.reference import REFERENCE_DIR
from priorities.selectors import district_csps, district_names
from reports.models import Annotation
from reports.services import annotation_add
from returns.models import Observation, Return, Submitter
from returns.periods import month_end, period_label
from returns.police_uk import CrimeRow, police_uk_counts, police_uk_dedupe, police_uk_rows
from returns.public_data import DatedMap, PublicDataError, parse_home_office_prc
from returns.reference import PUBLIC_SUBMITTER, period_for
from returns.services import return_accept, return_submit

POLICE_UK_PREFIX = "police_uk_"
POLICE_UK_MEASURE_ORDER = 900  # after every plan measure: context only, no priorities
OFFENCE_MAP_FILE = "home_office_offence_codes.csv"
CRIME_TYPE_MAP_FILE = "police_uk_crime_types.csv"
CSP_NAMES_FILE = "home_office_csp_names.csv"
FORCE_NAMES_FILE = "home_office_force_names.csv"
POLICE_UK_FORCES_FILE = "police_uk_forces.csv"
BREAK_LABEL = "Series break"


class ImportProblem(ValueError):
    """The file cannot be imported; the message names file, row and column where known."""


@dataclass
class PeriodResult:
    start: date
    end: date
    rows: int
    ret: Return
    changed: bool
    replaced: Return | None = None  # the accepted version this one replaced, if any
    kept: int = 0  # figures for other areas carried over from the replaced version

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)


@dataclass
class ImportResult:
    file: str
    periods: list[PeriodResult] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(p.changed for p in self.periods)


def _public_submitter() -> Submitter:
    try:
        return Submitter.objects.get(code=PUBLIC_SUBMITTER)
    except Submitter.DoesNotExist as exc:
        raise ImportProblem("the public-data submitter is missing: run import_reference and import_plan first") from exc


def _reference_rows(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _reference_map(name: str, *, key: str, target: str) -> DatedMap:
    try:
        return DatedMap.read((REFERENCE_DIR / name).read_bytes(), file_name=name, key=key, target=target)
    except (OSError, PublicDataError) as exc:
        raise ImportProblem(f"reference data: {exc}") from exc


def _content_digest(rows: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> str:
    """SHA-256 of the figures themselves, so a re-saved file with the same numbers is no change."""
    digest = hashlib.sha256(rows.sort_values(list(rows.columns)).to_csv(index=False).encode())
    if outcomes is not None and len(outcomes):
        digest.update(outcomes.sort_values(list(outcomes.columns)).to_csv(index=False).encode())
    return digest.hexdigest()


def _rows_kept(current: Return, rows: pd.DataFrame) -> pd.DataFrame:
    """The current version's figures for areas this file does not cover (a CSP file after a force file)."""
    areas = set(rows["area_code"])
    kept = pd.DataFrame(
        list(
            Observation.objects.filter(source_return=current)
            .exclude(area__code__in=areas)
            .values_list("measure__code", "area__code", "period_start", "period_end", "value")
        ),
        columns=["measure_code", "area_code", "period_start", "period_end", "value"],
    )
    return kept


def _store_periods(
    *,
    frames: dict[tuple[date, date], tuple[pd.DataFrame, pd.DataFrame | None]],
    raw: dict[tuple[date, date], bytes] | bytes,
    file_name: dict[tuple[date, date], str] | str,
    source: str,
    user=None,
    keep_other_areas: bool = False,
) -> list[PeriodResult]:
    """One accepted return per period, all periods in one transaction; unchanged periods skipped.

    raw and file_name are the file (or, per period, the files) the figures came from. With
    keep_other_areas, a period's new version also carries the current version's figures for
    areas the file does not cover, and says so.
    """
    submitter = _public_submitter()
    results = []
    with transaction.atomic():
        for key, (rows, outcomes) in sorted(frames.items()):
            start, end = key
            period_raw = raw[key] if isinstance(raw, dict) else raw
            period_name = file_name[key] if isinstance(file_name, dict) else file_name
            sha = hashlib.sha256(period_raw).hexdigest()
            period = period_for(start=start, end=end)
            current = Return.objects.filter(submitter=submitter, period=period, is_current=True).first()
            kept = _rows_kept(current, rows) if current is not None and keep_other_areas else rows.iloc[0:0]
            if len(kept):  # figures from the database are floats: compare like with like
                rows = pd.concat([rows.assign(value=rows["value"].astype(float)), kept], ignore_index=True)
            digest = _content_digest(rows, outcomes)
            if current is not None and (current.sha256 == sha or current.summary.get("content_sha256") == digest):
                results.append(PeriodResult(start, end, len(rows), current, changed=False))
                continue
            summary = {"content_sha256": digest, "file_sha256": sha}
            if len(kept):
                summary["kept_from_version"] = current.version
            ret = return_submit(
                submitter=submitter,
                period=period,
                rows=rows,
                raw=period_raw,
                original_name=period_name,
                user=user,
                source=source,
                outcomes=outcomes,
                summary=summary,
            )
            ret = return_accept(ret=ret, user=user, reason=f"Imported from {period_name}")
            results.append(PeriodResult(start, end, len(rows), ret, True, replaced=current, kept=len(kept)))
    return results


def series_breaks_annotate(breaks: list[tuple[str, date, str]], *, measure_codes: dict[str, str]) -> int:
    """A 'Series break' annotation (new SPC limits from that date) for each break of a stored series.

    breaks: (series or measure, date, text) from a DatedMap; measure_codes maps each to its
    measure code. Idempotent; returns how many annotations were created.
    """
    created = 0
    measures = {m.code: m for m in Measure.objects.filter(code__in=set(measure_codes.values()))}
    for target, day, text in breaks:
        measure = measures.get(measure_codes.get(target, ""))
        if measure is None:
            continue
        if Annotation.objects.filter(measure=measure, area=None, date=day, label=BREAK_LABEL).exists():
            continue
        annotation_add(measure=measure, date=day, label=BREAK_LABEL, text=text, recalculate_limits=True)
        created += 1
    return created


def home_office_csp_names() -> dict[str, str | None]:
    """Home Office CSP name → the code of one of the office's CSP areas, or None for another force's CSP.

    reference/home_office_csp_names.csv gives each name an ONS code: a CSP (E22/W14) or, for
    historic sub-CSP names, a district, which resolves to the one CSP it lies in
    (priorities.selectors.district_csps).
    """
    product = set(
        Area.objects.filter(kind=AreaKind.CSP, parent__code=focus_force_code() or "").values_list("code", flat=True)
    )
    by_district = district_csps()
    names: dict[str, str | None] = {}
    for row in _reference_rows(CSP_NAMES_FILE):
        code = by_district.get(row["ons_code"].strip(), row["ons_code"].strip())
        names[row["home_office_csp_name"]] = code if code in product else None
    return names


def home_office_prc_import(*, raw: bytes, file_name: str, user=None) -> ImportResult:
    """Home Office recorded crime (force or CSP level): one accepted return per quarter in the file.

    Offence codes map to measures through reference/home_office_offence_codes.csv for the dates
    each mapping holds; its series breaks become annotations. A measure with no source row for
    an area and quarter is not stored (summary['no_source_row']). Raises ImportProblem.
    """
    forces = set(Area.objects.filter(kind=AreaKind.FORCE).values_list("code", flat=True))
    if not forces:
        raise ImportProblem("no police force areas are loaded: run import_reference first")
    force_names = {
        row["home_office_name"]: (row["area_code"].strip() or None) for row in _reference_rows(FORCE_NAMES_FILE)
    }
    not_loaded = sorted({code for code in force_names.values() if code} - forces)
    if not_loaded:
        raise ImportProblem(f"reference data: {FORCE_NAMES_FILE} names areas not loaded ({', '.join(not_loaded)})")
    offence_map = _reference_map(OFFENCE_MAP_FILE, key="offence_code", target="measure")
    try:
        frame, summary = parse_home_office_prc(
            raw,
            force_names=force_names,
            offence_map=offence_map,
            file_name=file_name,
            csp_names=home_office_csp_names(),
        )
    except PublicDataError as exc:
        raise ImportProblem(str(exc)) from exc
    if frame.empty:
        raise ImportProblem(f"{file_name}: no rows for the product's force or CSP areas")
    planned = set(Measure.objects.values_list("code", flat=True))
    missing = set(frame["measure_code"].unique()) - planned
    if missing == set(frame["measure_code"].unique()):
        raise ImportProblem(f"measures {', '.join(sorted(missing))} are not in the plan: run import_plan first")
    # The offence map serves every office's plan: a measure this plan lacks is left out.
    frame = frame[frame["measure_code"].isin(planned)].reset_index(drop=True)
    summary["not_in_plan"] = sorted(missing)
    frames = {
        (start, end): (group.reset_index(drop=True), None)
        for (start, end), group in frame.groupby(["period_start", "period_end"], sort=True)
    }
    with transaction.atomic():
        periods = _store_periods(
            frames=frames,
            raw=raw,
            file_name=file_name,
            source="import_home_office_prc",
            user=user,
            keep_other_areas=True,
        )
        stored = set(frame["measure_code"])
        summary["breaks"] = series_breaks_annotate(offence_map.breaks(), measure_codes={m: m for m in stored})
    return ImportResult(file=file_name, periods=periods, summary=summary)


def police_uk_slug(crime_type: str) -> str:
    return POLICE_UK_PREFIX + re.sub(r"[^a-z0-9]+", "_", crime_type.lower()).strip("_")


def police_uk_measures_ensure(series: list[str]) -> dict[str, str]:
    """Context measures for police.uk series, created on demand: series name → measure code."""
    codes = {name: police_uk_slug(name) for name in series}
    existing = set(Measure.objects.filter(code__in=codes.values()).values_list("code", flat=True))
    for name, code in codes.items():
        if code in existing:
            continue
        Measure.objects.create(
            code=code,
            title=f"data.police.uk: {name}",
            definition=(
                f"Monthly count of '{name}' in the data.police.uk street-level archive, joined across "
                "renamed categories by reference/police_uk_crime_types.csv (context only, not a plan measure)."
            ),
            unit=Unit.COUNT,
            direction=Direction.NEITHER,
            frequency=Frequency.MONTHLY,
            order=POLICE_UK_MEASURE_ORDER,
            caveats="Contains public sector information licensed under the Open Government Licence v3.0.",
        )
    return codes


def _police_uk_read(files: list[tuple[str, bytes]], force: Area) -> list[CrimeRow]:
    names = {r["police_uk_name"] for r in _reference_rows(POLICE_UK_FORCES_FILE) if r["area_code"] == force.code}
    if not names:
        raise ImportProblem(
            f"no data.police.uk name for {force.name}: add it to fixtures/reference/{POLICE_UK_FORCES_FILE}"
        )
    rows: list[CrimeRow] = []
    for name, raw in files:
        rows.extend(police_uk_rows(raw, file_name=name, force_names=names))
    return rows


def police_uk_import(*, files: list[tuple[str, bytes]], user=None) -> ImportResult:
    """data.police.uk street-level files (name, bytes) of one run: monthly counts by series and by outcome.

    Every row must be the focus force's (else nothing is imported). A Crime ID counts once across
    the run (duplicates in summary['duplicates']); files for the same month are combined into one
    return for the month, whose file is the files joined. Crime types join series through the
    dated crime-type map; its series breaks become annotations. Raises ImportProblem.
    """
    force = Area.objects.filter(code=focus_force_code() or "", kind=AreaKind.FORCE).first()
    if force is None:
        raise ImportProblem("the office's force area is not loaded: run import_reference and import_plan first")
    districts = district_names(force.code)
    crime_types = _reference_map(CRIME_TYPE_MAP_FILE, key="crime_type", target="series")
    try:
        rows, duplicates = police_uk_dedupe(_police_uk_read(files, force))
        crimes, outcomes, summary = police_uk_counts(
            rows, lsoa_districts=districts, force_code=force.code, crime_types=crime_types
        )
    except PublicDataError as exc:
        raise ImportProblem(str(exc)) from exc
    if crimes.empty:
        raise ImportProblem(f"{', '.join(name for name, _ in files)}: no crime rows")
    summary["duplicates"] = [(kept.file, kept.row, dup.file, dup.row, dup.crime_id) for kept, dup in duplicates]
    summary["rows_read"] = len(rows) + len(duplicates)
    outcome_codes = dict(OutcomeType.objects.filter(scheme=OutcomeScheme.POLICE_UK).values_list("name", "code"))
    unknown = sorted(set(outcomes["outcome_category"]) - outcome_codes.keys())
    if unknown:
        raise ImportProblem(
            f"column 'Last outcome category': unknown categories {', '.join(map(repr, unknown))}; "
            "add them to fixtures/reference/police_uk_outcome_categories.csv and run import_reference"
        )
    month_files: dict[date, list[str]] = {}
    for row in rows:
        if row.file not in month_files.setdefault(row.month, []):
            month_files[row.month].append(row.file)
    raw_by_name = dict(files)
    with transaction.atomic():
        codes = police_uk_measures_ensure(summary["series"])
        table = pd.DataFrame(
            {
                "measure_code": crimes["series"].map(codes),
                "area_code": crimes["area_code"],
                "period_start": crimes["month"],
                "period_end": crimes["month"].map(month_end),
                "value": crimes["count"].astype(float),
            }
        )
        outcome_rows = pd.DataFrame(
            {
                "area_code": outcomes["area_code"],
                "month": outcomes["month"],
                "crime_group": outcomes["crime_type"],
                "scheme": OutcomeScheme.POLICE_UK.value,
                "outcome_code": outcomes["outcome_category"].map(outcome_codes),
                "count": outcomes["count"],
            }
        )
        frames, raws, names = {}, {}, {}
        for month in summary["months"]:
            key = (month, month_end(month))
            frames[key] = (
                table[table["period_start"] == month].reset_index(drop=True),
                outcome_rows[outcome_rows["month"] == month].reset_index(drop=True),
            )
            raws[key] = b"".join(raw_by_name[name] for name in month_files[month])
            names[key] = " + ".join(month_files[month])
        periods = _store_periods(frames=frames, raw=raws, file_name=names, source="import_police_uk", user=user)
        summary["breaks"] = series_breaks_annotate(crime_types.breaks(), measure_codes=codes)
    summary["month_files"] = {month: names for month, names in month_files.items()}
    return ImportResult(file=", ".join(name for name, _ in files), periods=periods, summary=summary)
