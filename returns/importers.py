"""Public data into versioned returns of the public-data submitter (Home Office, data.police.uk).

Each importer parses with returns.public_data (pure), then stores one accepted return per
period found in the file. Idempotent: a period whose current return came from the same file
(SHA-256) or holds the same figures is left alone and reported as "no change".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.conf import settings
from django.db import transaction

from priorities.models import Area, AreaKind, Direction, Frequency, Measure, OutcomeScheme, OutcomeType, Unit
from returns.models import Return, Submitter
from returns.periods import month_end, period_label
from returns.public_data import PublicDataError, parse_home_office_prc, parse_police_uk
from returns.services import PUBLIC_SUBMITTER, period_for, return_accept, return_submit

POLICE_UK_PREFIX = "police_uk_"
POLICE_UK_MEASURE_ORDER = 900  # after every plan measure: context only, no priorities


class ImportProblem(ValueError):
    """The file cannot be imported; the message names file, row and column where known."""


@dataclass
class PeriodResult:
    start: date
    end: date
    rows: int
    ret: Return
    changed: bool

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


def _content_digest(rows: pd.DataFrame, outcomes: pd.DataFrame | None = None) -> str:
    """SHA-256 of the figures themselves, so a re-saved file with the same numbers is no change."""
    digest = hashlib.sha256(rows.sort_values(list(rows.columns)).to_csv(index=False).encode())
    if outcomes is not None and len(outcomes):
        digest.update(outcomes.sort_values(list(outcomes.columns)).to_csv(index=False).encode())
    return digest.hexdigest()


def _store_periods(
    *,
    frames: dict[tuple[date, date], tuple[pd.DataFrame, pd.DataFrame | None]],
    raw: bytes,
    file_name: str,
    source: str,
    user=None,
) -> list[PeriodResult]:
    """One accepted return per period, all periods in one transaction; unchanged periods skipped."""
    submitter = _public_submitter()
    sha = hashlib.sha256(raw).hexdigest()
    results = []
    with transaction.atomic():
        for (start, end), (rows, outcomes) in sorted(frames.items()):
            period = period_for(start=start, end=end)
            digest = _content_digest(rows, outcomes)
            current = Return.objects.filter(submitter=submitter, period=period, is_current=True).first()
            if current is not None and (current.sha256 == sha or current.summary.get("content_sha256") == digest):
                results.append(PeriodResult(start, end, len(rows), current, changed=False))
                continue
            ret = return_submit(
                submitter=submitter,
                period=period,
                rows=rows,
                raw=raw,
                original_name=file_name,
                user=user,
                source=source,
                outcomes=outcomes,
                summary={"content_sha256": digest, "file_sha256": sha},
            )
            ret = return_accept(ret=ret, user=user, reason=f"Imported from {file_name}")
            results.append(PeriodResult(start, end, len(rows), ret, changed=True))
    return results


def home_office_prc_import(*, raw: bytes, file_name: str, user=None) -> ImportResult:
    """Home Office recorded crime (force level): one accepted return per quarter in the file."""
    force_names = dict(Area.objects.filter(kind=AreaKind.FORCE).values_list("name", "code"))
    if not force_names:
        raise ImportProblem("no police force areas are loaded: run import_reference first")
    try:
        frame, summary = parse_home_office_prc(raw, force_names=force_names, file_name=file_name)
    except PublicDataError as exc:
        raise ImportProblem(str(exc)) from exc
    missing = set(frame["measure_code"].unique()) - set(Measure.objects.values_list("code", flat=True))
    if missing:
        raise ImportProblem(f"measures {', '.join(sorted(missing))} are not in the plan: run import_plan first")
    frames = {
        (start, end): (group.reset_index(drop=True), None)
        for (start, end), group in frame.groupby(["period_start", "period_end"], sort=True)
    }
    periods = _store_periods(frames=frames, raw=raw, file_name=file_name, source="import_home_office_prc", user=user)
    return ImportResult(file=file_name, periods=periods, summary=summary)


def police_uk_slug(crime_type: str) -> str:
    return POLICE_UK_PREFIX + re.sub(r"[^a-z0-9]+", "_", crime_type.lower()).strip("_")


def police_uk_measures_ensure(crime_types: list[str]) -> dict[str, str]:
    """Context measures for police.uk crime types, created on demand: crime type → measure code."""
    codes = {t: police_uk_slug(t) for t in crime_types}
    existing = set(Measure.objects.filter(code__in=codes.values()).values_list("code", flat=True))
    for crime_type, code in codes.items():
        if code in existing:
            continue
        Measure.objects.create(
            code=code,
            title=f"data.police.uk: {crime_type}",
            definition=(
                f"Monthly count of '{crime_type}' in the data.police.uk street-level archive "
                "(context only, not a plan measure)."
            ),
            unit=Unit.COUNT,
            direction=Direction.NEITHER,
            frequency=Frequency.MONTHLY,
            order=POLICE_UK_MEASURE_ORDER,
            caveats="Contains public sector information licensed under the Open Government Licence v3.0.",
        )
    return codes


def police_uk_import(*, raw: bytes, file_name: str, user=None) -> ImportResult:
    """One data.police.uk street-level file: monthly counts by crime type and by last outcome."""
    force = Area.objects.filter(code=settings.PCC_FOCUS_FORCE).first()
    if force is None:
        raise ImportProblem("the force area is not loaded: run import_reference first")
    districts = dict(Area.objects.filter(kind=AreaKind.CSP, parent=force).values_list("name", "code"))
    try:
        crimes, outcomes, summary = parse_police_uk(
            raw, file_name=file_name, lsoa_districts=districts, force_code=force.code
        )
    except PublicDataError as exc:
        raise ImportProblem(str(exc)) from exc
    if crimes.empty:
        raise ImportProblem(f"{file_name}: the file has no crime rows")
    outcome_codes = dict(OutcomeType.objects.filter(scheme=OutcomeScheme.POLICE_UK).values_list("name", "code"))
    unknown = sorted(set(outcomes["outcome_category"]) - outcome_codes.keys())
    if unknown:
        raise ImportProblem(
            f"{file_name}, column 'Last outcome category': unknown categories {', '.join(map(repr, unknown))}; "
            "add them to fixtures/reference/police_uk_outcome_categories.csv and run import_reference"
        )
    with transaction.atomic():
        codes = police_uk_measures_ensure(summary["crime_types"])
        rows = pd.DataFrame(
            {
                "measure_code": crimes["crime_type"].map(codes),
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
        frames = {}
        for month in summary["months"]:
            frames[(month, month_end(month))] = (
                rows[rows["period_start"] == month].reset_index(drop=True),
                outcome_rows[outcome_rows["month"] == month].reset_index(drop=True),
            )
        periods = _store_periods(frames=frames, raw=raw, file_name=file_name, source="import_police_uk", user=user)
    return ImportResult(file=file_name, periods=periods, summary=summary)
