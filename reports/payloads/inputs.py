"""The frames a freeze computes from: what it reads (FreezeInputs) and the observations prepared for grouping."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.analysis.columns import AREA_CODE, PERIOD_END, PERIOD_START, RESPONDENTS, VALUE
from returns.periods import month_end

MEASURE_CODE = "measure_code"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
SPAN = "_span"
FIRST_MONTH = "_first_month"  # months since year 0 of period_start
LAST_MONTH = "_last_month"


@dataclass
class FreezeInputs:
    """Everything a freeze reads, as frames and plain dicts (loaded by reports/freeze_reads.py)."""

    as_of: dt.date
    observations: pd.DataFrame  # measure_code, area_code, period_start, period_end (ISO str), value, numerator, denominator, respondents, return_id
    measures: list[
        dict
    ]  # code, title, unit, direction, under_reported, restricted, frequency, msg_comparable, definition, method, caveats, priorities
    areas: dict[str, dict]  # code → {"name", "kind", "parent"}
    populations: pd.DataFrame  # area_code, mid_year, population
    peer_group: str
    peer_members: list[dict]  # area_code, valid_from (date), valid_to (date | None)
    annotations: list[dict]  # measure_code, area_code (None = all), date (date), label, text, recalculate_limits
    focus_area: str
    settings: dict = field(default_factory=dict)


def _month_index(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.year * 12 + stamps.dt.month - 1


def _month_numbers(values: pd.Series) -> np.ndarray:
    """Months since year 0 of ISO date strings, parsed once per distinct string."""
    codes, uniques = pd.factorize(values, sort=False)
    numbers = np.array([int(str(v)[:4]) * 12 + int(str(v)[5:7]) - 1 for v in uniques], dtype=np.int64)
    return numbers[codes] if len(uniques) else np.zeros(len(values), dtype=np.int64)


def _finest(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep each (measure, area)'s finest reporting granularity (monthly beats quarterly)."""
    finest = rows.groupby([MEASURE_CODE, AREA_CODE], sort=False)[SPAN].transform("min")
    return rows[rows[SPAN] == finest]


def with_gaps(finest: pd.DataFrame) -> pd.DataFrame:
    """Add a row with value NaN for each period never returned inside a (measure, area) series.

    `finest` (one granularity per series, sorted by measure, area, span, period end, with the
    _span, _first_month and _last_month columns) gets, between a series' first and last period,
    a row for every period of its span that has none (a gap: drawn as a break, never bridged by
    a moving range, listed as missing). Periods not aligned with the series' first one are left
    as they are. Returns the frame re-sorted in the same order (the same frame when no gap).
    """
    if finest.empty:
        return finest
    codes, areas = finest[MEASURE_CODE].to_numpy(), finest[AREA_CODE].to_numpy()
    spans, firsts = finest[SPAN].to_numpy(), finest[FIRST_MONTH].to_numpy()
    new = np.r_[True, (codes[1:] != codes[:-1]) | (areas[1:] != areas[:-1]) | (spans[1:] != spans[:-1])]
    starts = np.flatnonzero(new)
    stops = np.r_[starts[1:], len(finest)]
    # Rows are in period order within a series: the first row has the first month, the last the last.
    expected = (firsts[stops - 1] - firsts[starts]) // spans[starts] + 1
    short = np.flatnonzero(expected > stops - starts)
    if not len(short):
        return finest
    rows = []
    for g in short.tolist():
        start, stop, span = int(starts[g]), int(stops[g]), int(spans[starts[g]])
        have = set(firsts[start:stop].tolist())
        for month in range(int(firsts[start]), int(firsts[stop - 1]) + 1, span):
            if month not in have:
                end_month = month + span - 1
                first_day = dt.date(month // 12, month % 12 + 1, 1)
                last_day = month_end(dt.date(end_month // 12, end_month % 12 + 1, 1))
                rows.append((codes[start], areas[start], first_day.isoformat(), last_day.isoformat(), span, month,
                             end_month))  # fmt: skip
    gaps = pd.DataFrame(
        rows, columns=[MEASURE_CODE, AREA_CODE, PERIOD_START, PERIOD_END, SPAN, FIRST_MONTH, LAST_MONTH]
    )
    for column in (VALUE, NUMERATOR, DENOMINATOR, RESPONDENTS):
        gaps[column] = np.nan
    combined = pd.concat([finest, gaps], ignore_index=True)
    return combined.sort_values([MEASURE_CODE, AREA_CODE, SPAN, PERIOD_END], kind="stable").reset_index(drop=True)


def prepare_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """Add the span in months of each observation (1 = month, 3 = quarter), sorted for grouping."""
    frame = observations.copy()
    frame[SPAN] = (_month_index(frame[PERIOD_END]) - _month_index(frame[PERIOD_START]) + 1).astype(int)
    for column in (VALUE, NUMERATOR, DENOMINATOR, RESPONDENTS):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.sort_values([MEASURE_CODE, AREA_CODE, SPAN, PERIOD_END], kind="stable").reset_index(drop=True)


def with_focus_totals(obs: pd.DataFrame, *, inputs: FreezeInputs) -> pd.DataFrame:
    """Add force-level rows for measures only CSPs report (SP1–4), summed over the force's CSPs.

    A period counts only when every CSP that reports the measure has returned it, so a late
    partnership never makes the force total look low. Percentages are pooled from numerators and
    denominators; survey percentages without them are not summed.
    """
    csps = {
        code for code, area in inputs.areas.items() if area["kind"] == "csp" and area["parent"] == inputs.focus_area
    }
    units = {m["code"]: m["unit"] for m in inputs.measures}
    has_focus = set(obs.loc[obs[AREA_CODE] == inputs.focus_area, MEASURE_CODE])
    rows = obs[obs[AREA_CODE].isin(csps) & ~obs[MEASURE_CODE].isin(has_focus)]
    if rows.empty:
        return obs
    reporters = rows.groupby(MEASURE_CODE)[AREA_CODE].nunique()
    keys = [MEASURE_CODE, PERIOD_START, PERIOD_END, SPAN]
    sums = (
        rows.groupby(keys, sort=False)
        .agg(
            areas=(AREA_CODE, "nunique"),
            value=(VALUE, "sum"),
            numerator=(NUMERATOR, lambda x: x.sum(min_count=len(x))),
            denominator=(DENOMINATOR, lambda x: x.sum(min_count=len(x))),
        )
        .reset_index()
    )
    sums = sums[sums["areas"].to_numpy() == reporters.reindex(sums[MEASURE_CODE]).to_numpy()]
    unit = sums[MEASURE_CODE].map(units)
    pooled = (unit == "percentage") & sums[NUMERATOR].notna() & (sums[DENOMINATOR] > 0)
    sums.loc[pooled, VALUE] = 100 * sums.loc[pooled, NUMERATOR] / sums.loc[pooled, DENOMINATOR]
    sums = sums[(unit != "percentage") | pooled]
    if sums.empty:
        return obs
    derived = sums[keys + [VALUE, NUMERATOR, DENOMINATOR]].assign(**{AREA_CODE: inputs.focus_area, RESPONDENTS: np.nan})
    combined = pd.concat([obs, derived], ignore_index=True)
    return combined.sort_values([MEASURE_CODE, AREA_CODE, SPAN, PERIOD_END], kind="stable").reset_index(drop=True)


def observation_frames(inputs: FreezeInputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The snapshot's observations ready for the payloads: (every row, each series' finest rows).

    Both frames are prepared (prepare_observations, with the focus force's totals of CSP-only
    measures) and carry _first_month and _last_month (months since year 0 of the period's start
    and end); the second keeps each (measure, area)'s finest granularity with its gaps as NaN rows
    (with_gaps), sorted by measure, area, span and period end.
    """
    obs = with_focus_totals(prepare_observations(inputs.observations), inputs=inputs)
    obs[FIRST_MONTH] = _month_numbers(obs[PERIOD_START])
    obs[LAST_MONTH] = _month_numbers(obs[PERIOD_END])
    return obs, with_gaps(_finest(obs).reset_index(drop=True))
