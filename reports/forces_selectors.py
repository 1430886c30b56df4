"""Reads for the position among all forces, from what a snapshot froze (observations and `reference`)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from priorities.models import Area, AreaKind
from reports.analysis import plain
from reports.analysis.columns import AREA_CODE, COUNT, MID_YEAR, NAME, PERIOD_END, PERIOD_START, POPULATION, VALUE
from reports.analysis.forces import forces_position
from reports.analysis.msg import choose_population, window_counts
from reports.api_selectors import MEMBER_KEYS as MSG_MEMBER_KEYS
from reports.models import Snapshot, SnapshotObservation, SnapshotResult
from returns.periods import add_months

# The MSG member's keys but its position against the group's band, and where the force stands.
MEMBER_KEYS = (*MSG_MEMBER_KEYS[: MSG_MEMBER_KEYS.index("position")], "in_group", "is_focus")
WHOLE_KEYS = ("count", "population", "population_mid_year")
CANDIDATE_ENDS = 6  # how many recent period ends to consider for the default window


class NoComparison(LookupError):
    """The snapshot cannot answer: no reference data frozen, or no force has figures for the window."""


def _reference(snapshot: Snapshot) -> dict:
    found = SnapshotResult.objects.filter(snapshot=snapshot, key="reference").values_list("payload", flat=True).first()
    if found is None:
        raise NoComparison(
            "This snapshot was frozen before it kept the reference data a comparison of all forces needs"
        )
    return found


def _force_observations(snapshot: Snapshot, measure_code: str, codes: list[str]) -> pd.DataFrame:
    rows = SnapshotObservation.objects.filter(snapshot=snapshot, measure_code=measure_code, area_code__in=codes)
    return pd.DataFrame(
        list(rows.values_list(AREA_CODE, PERIOD_START, PERIOD_END, VALUE)),
        columns=[AREA_CODE, PERIOD_START, PERIOD_END, VALUE],
    )


def _default_end(observed: pd.DataFrame, *, months: int) -> date:
    """Of the latest period ends, the one where most forces have a complete window (the latest on a tie)."""
    ends = sorted({str(e)[:10] for e in observed[PERIOD_END]}, reverse=True)[:CANDIDATE_ENDS]
    best, best_complete = None, -1
    for iso in ends:
        day = date.fromisoformat(iso)
        complete = int(window_counts(observed, period_end=day, months=months)["complete"].sum())
        if complete > best_complete:
            best, best_complete = day, complete
    return best


def _whole(value):
    """Counts and populations read back as floats (a left join with gaps) are whole numbers: ints again."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def coverage_sentence(summary: dict) -> str:
    """When fewer forces have figures than the reference data lists, say so: "Figures for 8 of the
    43 forces are in this snapshot; the all-forces rate is the rate of those 8." Else "".

    `summary` is forces_position's summary (its "forces" and "forces_ranked" counts).
    """
    ranked, forces = summary["forces_ranked"], summary["forces"]
    if ranked >= forces:
        return ""
    return (
        f"Figures for {ranked} of the {forces} forces are in this snapshot; "
        f"the all-forces rate is the rate of those {ranked}."
    )


def forces_comparison(
    *, snapshot: Snapshot, measure_code: str, direction: str, period_end: date | None, months: int = 12
) -> dict:
    """Every police force area's count, population, rate per 1,000 and rank for one measure and window.

    Counts come from the snapshot's frozen observations (a force counts only with a complete window:
    every month of the `months` to `period_end` covered once); populations, the focus force and its
    peer group (members on `period_end`) from the snapshot's `reference` payload, as they stood at
    the freeze; force names from the reference areas. period_end None: the recent period end where
    most forces have a complete window.

    Returns {"period_start", "period_end" (ISO dates), "months", "group", "focus_area",
    "all_forces_rate", "group_rate", "summary": forces_position's summary, "coverage":
    coverage_sentence's words, "members": [dicts with MEMBER_KEYS], sorted by rank}. Raises
    NoComparison with a sentence for the reader.
    """
    reference = _reference(snapshot)
    forces = list(Area.objects.filter(kind=AreaKind.FORCE).order_by("name").values_list("code", "name"))
    codes = [code for code, _ in forces]
    observed = _force_observations(snapshot, measure_code, codes)
    if observed.empty:
        raise NoComparison("This snapshot holds no force figures for this measure")
    if period_end is None:
        period_end = _default_end(observed, months=months)
    counts = window_counts(observed, period_end=period_end, months=months)
    counts = counts[counts["complete"]]
    if counts.empty:
        raise NoComparison("No force has figures for every month of this period in this snapshot")
    populations = pd.DataFrame(
        [row for row in reference["populations"] if row[0] in set(codes)], columns=[AREA_CODE, MID_YEAR, POPULATION]
    )
    lag = (reference.get("settings") or {}).get("POPULATION_PUBLICATION_LAG_MONTHS", 12)
    chosen = choose_population(populations, period_end=period_end, publication_lag_months=lag)
    frame = pd.DataFrame(forces, columns=[AREA_CODE, NAME])
    frame = frame.merge(counts[[AREA_CODE, COUNT]], on=AREA_CODE, how="left").merge(chosen, on=AREA_CODE, how="left")
    day = period_end.isoformat()
    group = {
        m["area_code"]
        for m in reference["peer_members"]
        if m["valid_from"] <= day and (m["valid_to"] is None or m["valid_to"] >= day)
    }
    ranked, summary = forces_position(frame, focus_area=reference["focus_area"], group_codes=group, direction=direction)
    members = [
        {key: _whole(plain(value)) if key in WHOLE_KEYS else plain(value) for key, value in zip(ranked.columns, row)}
        for row in ranked.itertuples(index=False, name=None)
    ]
    return {
        "period_start": add_months(period_end, -(months - 1)).isoformat(),
        "period_end": day,
        "months": months,
        "group": reference["peer_group"],
        "focus_area": reference["focus_area"],
        "all_forces_rate": summary["all_forces_rate"],
        "group_rate": summary["group_rate"],
        "summary": summary,
        "coverage": coverage_sentence(summary),
        "members": [{key: member.get(key) for key in MEMBER_KEYS} for member in members],
    }
