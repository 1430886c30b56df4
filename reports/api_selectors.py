"""Reads for the API that are not stored as a payload: an MSG comparison from frozen observations."""

from datetime import date

import pandas as pd

from reports.analysis import frame_records, plain
from reports.analysis.columns import (
    AREA_CODE,
    COUNT,
    MID_YEAR,
    NAME,
    PERIOD_END,
    PERIOD_START,
    POPULATION,
    VALUE,
)
from reports.analysis.msg import choose_population, msg_comparison, window_counts
from reports.models import Snapshot, SnapshotObservation, SnapshotResult
from returns.periods import add_months

MEMBER_KEYS = (
    "area_code",
    "name",
    "count",
    "population",
    "population_mid_year",
    "rate_per_1000",
    "rank",
    "position",
)


def msg_from_observations(
    *, snapshot: Snapshot, measure_code: str, direction: str, period_end: date, months: int
) -> dict | None:
    """The `msg` block of PAYLOADS.md computed from what the snapshot froze.

    Counts come from its SnapshotObservation rows; the peer group, its members and their names,
    the populations and the settings from its `reference` payload, never from live tables, so the
    same snapshot always gives the same answer. None when the snapshot froze no reference data
    (frozen before it was kept), the group had no members then, or no member has a complete window.
    """
    reference = SnapshotResult.objects.filter(snapshot=snapshot, key="reference").values_list("payload", flat=True)
    reference = reference.first()
    if reference is None:
        return None
    day = period_end.isoformat()
    members = sorted(
        (
            m
            for m in reference["peer_members"]
            if m["valid_from"] <= day and (m["valid_to"] is None or m["valid_to"] >= day)
        ),
        key=lambda m: m["name"],
    )
    codes = [m["area_code"] for m in members]
    observed = pd.DataFrame(
        SnapshotObservation.objects.filter(
            snapshot=snapshot, measure_code=measure_code, area_code__in=codes
        ).values_list(AREA_CODE, PERIOD_START, PERIOD_END, VALUE),
        columns=[AREA_CODE, PERIOD_START, PERIOD_END, VALUE],
    )
    if observed.empty:
        return None
    counts = window_counts(observed, period_end=period_end, months=months)
    counts = counts[counts["complete"]]
    if counts.empty:
        return None
    populations = pd.DataFrame(
        [row for row in reference["populations"] if row[0] in set(codes)], columns=[AREA_CODE, MID_YEAR, POPULATION]
    )
    settings = reference.get("settings") or {}
    chosen = choose_population(
        populations, period_end=period_end, publication_lag_months=settings.get("POPULATION_PUBLICATION_LAG_MONTHS", 12)
    )
    names = pd.DataFrame({AREA_CODE: codes, NAME: [m["name"] for m in members]})
    frame = names.merge(counts[[AREA_CODE, COUNT]], on=AREA_CODE, how="left").merge(chosen, on=AREA_CODE, how="left")
    compared, summary = msg_comparison(
        frame,
        focus_area=reference["focus_area"],
        direction=direction,
        average=settings.get("MSG_AVERAGE", "mean"),
        band_sd=settings.get("MSG_BAND_SD", 1.0),
    )
    return {
        "group": reference["peer_group"],
        "period_start": add_months(period_end, -(months - 1)).isoformat(),
        "period_end": period_end.isoformat(),
        "months": months,
        "summary": plain(summary),
        "members": [{key: row.get(key) for key in MEMBER_KEYS} for row in frame_records(compared)],
    }
