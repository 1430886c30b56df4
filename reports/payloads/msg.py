"""Most Similar Group payloads: each area's 12-month window counts and the `msg:` comparison blocks."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from reports.analysis import msg as msg_analysis
from reports.analysis import plain
from reports.analysis.columns import (
    AREA_CODE,
    COUNT,
    NAME,
    PERIOD_END,
    POPULATION,
    POPULATION_MID_YEAR,
    RATE_PER_1000,
    VALUE,
)
from reports.payloads.inputs import FIRST_MONTH, LAST_MONTH, FreezeInputs
from reports.payloads.values import json_numbers
from returns.periods import month_end

MEMBER_KEYS = [AREA_CODE, NAME, COUNT, POPULATION, POPULATION_MID_YEAR, RATE_PER_1000, "rank", "position", "included"]
MSG_CANDIDATE_ENDS = 6  # how far back to look for a month end where the group's window is complete
MSG_HISTORY_QUARTERS = 12  # msg:<code>:<period_end>:12 for each quarter end in the last 3 years


def _month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


class Windows:
    """Every area's window counts for one measure at a set of month ends (msg.window_count_table).

    `rows`: the measure's observations (area_code, _first_month, _last_month, value); `ends`: the
    window ends (dates; only their month counts); `months`: the window's length.
    """

    def __init__(self, rows: pd.DataFrame, ends: list[dt.date], months: int):
        self.ends = {_month_of(end): k for k, end in enumerate(sorted(set(ends)))}
        areas, self.count, self.covered, self.complete = msg_analysis.window_count_table(
            rows[AREA_CODE].to_numpy(),
            rows[FIRST_MONTH].to_numpy(),
            rows[LAST_MONTH].to_numpy(),
            rows[VALUE].to_numpy(dtype=float),
            end_months=np.array(list(self.ends), dtype=np.int64),
            months=months,
        )
        self.areas = {code: i for i, code in enumerate(areas)}

    def at(self, area: str, end: dt.date) -> tuple[float, bool]:
        """(count, complete) for one area's window to `end`; (NaN, False) when it has no rows."""
        i = self.areas.get(area)
        if i is None:
            return math.nan, False
        k = self.ends[_month_of(end)]
        return float(self.count[i, k]), bool(self.complete[i, k])


def _members_at(inputs: FreezeInputs, day: dt.date) -> list[str]:
    return [
        m["area_code"]
        for m in inputs.peer_members
        if m["valid_from"] <= day and (m["valid_to"] is None or m["valid_to"] >= day)
    ]


def msg_payload(
    measure: dict,
    inputs: FreezeInputs,
    windows: Windows,
    populations: msg_analysis.PopulationChoice,
    reporting: set[str],
    end: dt.date,
    months: int = 12,
) -> dict | None:
    """The `msg:` block for one measure over the `months` to `end`, or None when the peer group has no
    member at `end` or none of its members is in `reporting` (the areas with rows for the measure).

    Members are the peer group's at `end`; each member's count is its window to `end` (NaN, so
    excluded, when the window is incomplete) and its population the one msg_analysis.PopulationChoice
    picks for `end`. Keys: group, period_start, period_end, months, summary
    (msg_comparison_arrays' summary) and members (MEMBER_KEYS each, in rank order).
    """
    members = _members_at(inputs, end)
    if not members or not reporting.intersection(members):
        return None
    counts = []
    for code in members:
        count, complete = windows.at(code, end)
        # An incomplete window would understate the rate: leave that member out (it is listed as excluded).
        counts.append(count if complete else math.nan)
    chosen = populations.at(end)
    picked = [chosen.get(code) for code in members]
    if all(p is not None for p in picked):
        population = np.array([p[0] for p in picked], dtype=np.int64)
        mid_year = np.array([p[1] for p in picked], dtype=np.int64)
    else:
        population = np.array([math.nan if p is None else p[0] for p in picked], dtype=float)
        mid_year = np.array([math.nan if p is None else p[1] for p in picked], dtype=float)
    names = [inputs.areas.get(code, {}).get("name", code) for code in members]
    count_array = np.array(counts, dtype=float)
    order, compared = msg_analysis.msg_comparison_arrays(
        area_codes=members,
        names=names,
        counts=count_array,
        populations=population,
        focus_area=inputs.focus_area,
        direction=measure["direction"],
        average=inputs.settings.get("MSG_AVERAGE", "mean"),
        band_sd=inputs.settings.get("MSG_BAND_SD", 1.0),
    )
    first = _month_of(end) - (months - 1)
    start = dt.date(first // 12, first % 12 + 1, 1)
    return {
        "group": inputs.peer_group,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "months": months,
        "summary": plain(compared["summary"], digits=4),
        "members": _member_records(members, names, count_array, population, mid_year, compared, order),
    }


def _member_records(members, names, counts, population, mid_year, compared: dict, order: np.ndarray) -> list[dict]:
    """msg.members[] in rank order, each value as `records` writes the msg_comparison frame."""
    columns = {
        AREA_CODE: members,
        NAME: names,
        COUNT: json_numbers(counts),
        POPULATION: json_numbers(population),
        POPULATION_MID_YEAR: json_numbers(mid_year),
        RATE_PER_1000: json_numbers(compared[RATE_PER_1000]),
        "rank": compared["rank"],
        "position": compared["position"],
        "included": [bool(v) for v in compared["included"].tolist()],
    }
    return [{key: columns[key][i] for key in MEMBER_KEYS} for i in order.tolist()]


def msg_candidate_ends(rows: pd.DataFrame, inputs: FreezeInputs) -> tuple[list[dt.date], set[str]]:
    """The latest period ends (dates, newest first, at most MSG_CANDIDATE_ENDS) reported by the peer
    group's members at as_of in `rows` (one measure's observations), and those members' area codes."""
    member_rows = rows[rows[AREA_CODE].isin(_members_at(inputs, inputs.as_of))]
    ends = sorted(set(member_rows[PERIOD_END].unique().tolist()), reverse=True)[:MSG_CANDIDATE_ENDS]
    return [dt.date.fromisoformat(iso) for iso in ends], set(member_rows[AREA_CODE].unique().tolist())


def msg_latest_end(
    candidates: list[dt.date], present: set[str], windows: Windows, inputs: FreezeInputs
) -> dt.date | None:
    """Of the candidate ends, the one whose window is complete for the focus force and for the most
    members (`present`), the latest first on a tie as candidates come newest first; None when none."""
    best, best_key = None, None
    for end in candidates:
        focus_complete = inputs.focus_area in present and windows.at(inputs.focus_area, end)[1]
        key = (focus_complete, sum(windows.at(code, end)[1] for code in present))
        if best_key is None or key > best_key:
            best, best_key = end, key
    return best


def msg_quarter_ends(as_of: dt.date, count: int) -> list[dt.date]:
    """The last `count` quarter ends (31 March, 30 June, 30 September, 31 December) in or before
    as_of's month, newest first: the ends of the stored `msg:<code>:<end>:12` history."""
    ends, day = [], as_of
    while len(ends) < count:
        if day.month in (3, 6, 9, 12):
            ends.append(month_end(day))
        day = day.replace(day=1) - dt.timedelta(days=1)
    return ends
