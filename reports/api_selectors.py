"""Reads for the API that are not stored as a payload: an MSG comparison from frozen observations."""

from datetime import date

import pandas as pd
from django.conf import settings
from django.db.models import Q

from priorities.models import PeerGroup, PeerGroupMember, Population
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
from reports.models import Snapshot, SnapshotObservation
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
    """The `msg` block of PAYLOADS.md computed from the snapshot's frozen observations.

    Reading the snapshot, not live data: counts come from SnapshotObservation rows only.
    None when the peer group is unknown or no member has a count in the window.
    """
    group = PeerGroup.objects.filter(name=settings.PCC_PEER_GROUP).first()
    if group is None:
        return None
    members = list(
        PeerGroupMember.objects.filter(group=group, valid_from__lte=period_end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=period_end))
        .select_related("area")
        .order_by("area__name")
    )
    codes = [m.area.code for m in members]
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
        Population.objects.filter(area__code__in=codes).values_list("area__code", MID_YEAR, POPULATION),
        columns=[AREA_CODE, MID_YEAR, POPULATION],
    )
    chosen = choose_population(populations, period_end=period_end)
    names = pd.DataFrame({AREA_CODE: codes, NAME: [m.area.name for m in members]})
    frame = names.merge(counts[[AREA_CODE, COUNT]], on=AREA_CODE, how="left").merge(chosen, on=AREA_CODE, how="left")
    compared, summary = msg_comparison(
        frame,
        focus_area=settings.PCC_FOCUS_FORCE,
        direction=direction,
        average=settings.MSG_AVERAGE,
        band_sd=settings.MSG_BAND_SD,
    )
    return {
        "group": group.name,
        "period_start": add_months(period_end, -(months - 1)).isoformat(),
        "period_end": period_end.isoformat(),
        "months": months,
        "summary": plain(summary),
        "members": [{key: row.get(key) for key in MEMBER_KEYS} for row in frame_records(compared)],
    }
