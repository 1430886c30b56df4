"""Build a snapshot's frozen payloads (reports/PAYLOADS.md) from frames: the selector→analysis step.

Pure pandas: takes the snapshot's observations and reference frames, returns JSON-ready dicts.
Grouped once per (measure, area); no database access here (reports/freeze.py loads the frames).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pcc_dashboard import vocabulary
from reports.analysis import msg as msg_analysis
from reports.analysis import plain, round_half_up, significance, spc, status, survey
from reports.analysis.columns import (
    AREA_CODE,
    BASELINE,
    CI_HIGH,
    CI_LOW,
    COUNT,
    NAME,
    PERIOD_END,
    PERIOD_START,
    POPULATION,
    POPULATION_MID_YEAR,
    PROVISIONAL,
    RATE_PER_1000,
    RESPONDENTS,
    SEGMENT,
    VALUE,
)
from returns.periods import month_end, period_label

MEASURE_CODE = "measure_code"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
SPAN = "_span"
FIRST_MONTH = "_first_month"  # months since year 0 of period_start
LAST_MONTH = "_last_month"
PERIOD_VALUE = "period_value"  # a cumulative measure's point: the period's own figure (what SPC judges)
SPC_FLOAT_COLUMNS = ("mean", "upper_limit", "lower_limit", "upper_2sigma", "lower_2sigma")
POINT_KEYS = [
    PERIOD_START,
    PERIOD_END,
    VALUE,
    NUMERATOR,
    DENOMINATOR,
    RESPONDENTS,
    CI_LOW,
    CI_HIGH,
    "mean",
    "upper_limit",
    "lower_limit",
    "upper_2sigma",
    "lower_2sigma",
    "signal",
    "rules",
    "provisional",
]
MEMBER_KEYS = [AREA_CODE, NAME, COUNT, POPULATION, POPULATION_MID_YEAR, RATE_PER_1000, "rank", "position", "included"]
MSG_CANDIDATE_ENDS = 6  # how far back to look for a month end where the group's window is complete
MSG_HISTORY_QUARTERS = 12  # msg:<code>:<period_end>:12 for each quarter end in the last 3 years


@dataclass
class FreezeInputs:
    """Everything a freeze reads, as frames and plain dicts (see reports/freeze.py)."""

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


def _round(values: np.ndarray) -> np.ndarray:
    """4 decimals, or 4 significant figures below 1 (as reports.analysis.plain does)."""
    out = np.round(values, 4)
    small = np.isfinite(values) & (values != 0) & (np.abs(values) < 1)
    if small.any():
        out[small] = [float(f"{v:.4g}") for v in values[small]]
    return out


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


def _granularity(span: int) -> str:
    return {1: "month", 3: "quarter", 12: "year"}.get(int(span), "quarter")


def _recalculations(inputs: FreezeInputs, code: str, area: str) -> list[dict]:
    """The dated, explained changes (annotations with recalculate_limits) on one series, by date."""
    return sorted(
        (
            a
            for a in inputs.annotations
            if a["measure_code"] == code and a["recalculate_limits"] and a["area_code"] in (None, area)
        ),
        key=lambda a: a["date"],
    )


def _limits(chart: dict, ends: np.ndarray, changes: list[dict], min_points: int) -> list[dict]:
    """One entry per set of limits of a series (see PAYLOADS.md, `trend.limits`): where it starts,
    the baseline period its mean and limits come from, whether they are provisional, and the
    annotation that started it (None for the first)."""
    entries = []
    segments, baseline = chart[SEGMENT], chart[BASELINE]

    def iso(i: int) -> str:
        return str(ends[i])[:10]

    for segment in np.unique(segments).tolist():
        positions = np.flatnonzero(segments == segment)
        base = positions[baseline[positions]]
        start = iso(positions[0])
        reason = None
        if segment:
            # The latest change dated on or before the segment's first period end started it.
            started = [a for a in changes if a["date"].isoformat() <= start]
            if started:
                reason = {key: started[-1][key] for key in ("label", "text")}
                reason["date"] = started[-1]["date"].isoformat()
        entries.append(
            {
                "from": start,
                "baseline_from": iso(base[0]) if len(base) else None,
                "baseline_to": iso(base[-1]) if len(base) else None,
                "baseline_points": int(len(base)),
                "provisional": bool(chart[PROVISIONAL][positions[0]]),
                "min_points": int(min_points),
                "recalculated": reason,
            }
        )
    return entries


def _month_numbers(values: pd.Series) -> np.ndarray:
    """Months since year 0 of ISO date strings, parsed once per distinct string."""
    codes, uniques = pd.factorize(values, sort=False)
    numbers = np.array([int(str(v)[:4]) * 12 + int(str(v)[5:7]) - 1 for v in uniques], dtype=np.int64)
    return numbers[codes] if len(uniques) else np.zeros(len(values), dtype=np.int64)


def _month_of(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


class _Windows:
    """Every area's 12-month window counts for one measure at a set of ends (msg.window_count_table)."""

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


@dataclass
class _Series:
    start: int
    stop: int
    span: int
    variation: str | None
    points: list[dict]
    limits: list[dict]


def _json_floats(values: np.ndarray) -> list:
    """Floats rounded (see _round) as Python floats, NaN → None: one object-array pass."""
    rounded = _round(values)
    out = rounded.astype(object)
    out[np.isnan(rounded)] = None
    return out.tolist()


def _point_columns(frame: pd.DataFrame, keys: list[str]) -> dict[str, list]:
    """Each column as a JSON-ready list: floats rounded, NaN → None, numpy → Python."""
    columns = {}
    for key in keys:
        if key not in frame:
            columns[key] = [None] * len(frame)
            continue
        series = frame[key]
        if key == RESPONDENTS and series.dtype.kind == "f":
            columns[key] = [None if math.isnan(v) else int(v) for v in series.tolist()]
        elif series.dtype.kind == "f":
            columns[key] = _json_floats(series.to_numpy(dtype=float))
        elif series.dtype.kind in "iu" and not series.hasnans:
            columns[key] = [int(v) for v in series.tolist()]
        elif series.dtype.kind == "b":
            columns[key] = [bool(v) for v in series.tolist()]
        else:
            values = series.tolist()
            # Period dates are ISO strings already and signals/rules are str or None: no plain() per value.
            if all(v is None or type(v) is str for v in values):
                columns[key] = values
            else:
                columns[key] = [plain(v) for v in values]
    return columns


def _records(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    """Fast JSON-ready records: floats rounded, NaN → None, numpy → Python."""
    if not len(frame):
        return []
    columns = _point_columns(frame, keys)
    return [dict(zip(keys, row)) for row in zip(*(columns[k] for k in keys))]


def _all_series(finest: pd.DataFrame, measures: dict, inputs: FreezeInputs) -> dict[tuple[str, str], _Series]:
    """SPC and survey intervals for every (measure, area) series of `finest`, on arrays, in one pass.

    `finest` is sorted by measure, area, span and period end, so each series is a contiguous run
    of rows: xmr runs on array slices and the points are sliced from whole-frame column lists.
    """
    s = inputs.settings
    size = len(finest)
    values = finest[VALUE].to_numpy(dtype=float)
    respondents = finest[RESPONDENTS].to_numpy(dtype=float)
    ends = pd.to_datetime(finest[PERIOD_END], format="ISO8601").to_numpy()
    codes, areas = finest[MEASURE_CODE].to_numpy(), finest[AREA_CODE].to_numpy()
    spans = finest[SPAN].to_numpy()
    float_columns = {name: np.full(size, np.nan) for name in (*SPC_FLOAT_COLUMNS, CI_LOW, CI_HIGH)}
    signals: list = [None] * size
    rules: list = [None] * size
    provisional = np.zeros(size, dtype=bool)
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (areas[1:] != areas[:-1])]) if size else []
    bounds = list(zip(starts, [*starts[1:], size])) if size else []
    found: dict[tuple[str, str], tuple[int, int, str | None, list[dict]]] = {}
    own: dict[tuple[str, str], list] = {}  # each period's own figure of a cumulative series
    min_points = s.get("SPC_MIN_POINTS", 12)
    for start, stop in bounds:
        code, area = codes[start], areas[start]
        measure = measures.get(code)
        if measure is None:
            continue
        changes = _recalculations(inputs, code, area)
        # A running total is progress, not a process; SPC judges each period's own figure.
        judged = period_values(values[start:stop]) if measure.get("cumulative") else values[start:stop]
        chart = spc.xmr_columns(
            judged,
            ends[start:stop],
            direction=measure["direction"],
            recalculate_at=[a["date"] for a in changes],
            baseline_points=s.get("SPC_BASELINE_POINTS"),
            min_points=min_points,
            run_length=s.get("SPC_RUN_LENGTH", 7),
            trend_length=s.get("SPC_TREND_LENGTH", 7),
            conflict=s.get("SPC_CONFLICT_RULE", vocabulary.CONCERN),
        )
        for name in SPC_FLOAT_COLUMNS:
            float_columns[name][start:stop] = chart[name]
        signals[start:stop] = chart["signal"]
        rules[start:stop] = chart["rules"]
        provisional[start:stop] = chart["provisional"]
        if measure["unit"] == "percentage" and not np.isnan(respondents[start:stop]).all():
            for i in range(start, stop):
                low, high = survey.wilson_interval(values[i], respondents[i])
                float_columns[CI_LOW][i] = math.nan if low is None else low
                float_columns[CI_HIGH][i] = math.nan if high is None else high
        if measure.get("cumulative"):
            own[(code, area)] = _json_floats(judged)
        present = np.flatnonzero(~np.isnan(judged))
        variation = None
        if len(present):
            signal = chart["signal"][present[-1]]
            variation = signal if isinstance(signal, str) else vocabulary.COMMON_CAUSE
        limits = _limits(chart, ends[start:stop], changes, min_points)
        found[(code, area)] = (start, stop, variation, limits)
    frame = finest.assign(
        **float_columns,
        signal=pd.Series(signals, index=finest.index, dtype=object),
        rules=pd.Series(rules, index=finest.index, dtype=object),
        provisional=provisional,
    )
    columns = _point_columns(frame, POINT_KEYS)
    rows = list(zip(*(columns[k] for k in POINT_KEYS)))
    series = {
        key: _Series(
            start,
            stop,
            int(spans[start]),
            variation,
            [dict(zip(POINT_KEYS, row)) for row in rows[start:stop]],
            limits,
        )
        for key, (start, stop, variation, limits) in found.items()
    }
    for key, figures in own.items():
        for point, figure in zip(series[key].points, figures):
            point[PERIOD_VALUE] = figure
    return series


def period_values(totals: np.ndarray) -> np.ndarray:
    """Each period's own figure of a running total: its total minus the period before's.

    Input: running totals in period order (NaN = a period never returned). Output: the same
    length; NaN for the first period and wherever this or the previous period is missing (the
    difference is not known, and never taken as 0).
    """
    own = np.full(len(totals), np.nan)
    if len(totals) > 1:
        own[1:] = np.diff(totals)  # NaN either side stays NaN
    return own


def _series_payload(series: _Series) -> dict:
    return {"granularity": _granularity(series.span), "points": series.points, "limits": series.limits}


def _members_at(inputs: FreezeInputs, day: dt.date) -> list[str]:
    return [
        m["area_code"]
        for m in inputs.peer_members
        if m["valid_from"] <= day and (m["valid_to"] is None or m["valid_to"] >= day)
    ]


def _msg_block(
    measure: dict,
    inputs: FreezeInputs,
    windows: _Windows,
    populations: msg_analysis.PopulationChoice,
    reporting: set[str],
    end: dt.date,
    months: int = 12,
) -> dict | None:
    """The MSG comparison for one measure over the `months` to `end` (reporting: areas with rows)."""
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


def _json_numbers(values: np.ndarray) -> list:
    """A column as `_point_columns` writes it: ints as ints; floats rounded, NaN → None."""
    if values.dtype.kind in "iu":
        return [int(v) for v in values.tolist()]
    return _json_floats(values.astype(float))


def _member_records(members, names, counts, population, mid_year, compared: dict, order: np.ndarray) -> list[dict]:
    """msg.members[] in rank order, each value as `_records` writes the msg_comparison frame."""
    columns = {
        AREA_CODE: members,
        NAME: names,
        COUNT: _json_numbers(counts),
        POPULATION: _json_numbers(population),
        POPULATION_MID_YEAR: _json_numbers(mid_year),
        RATE_PER_1000: _json_numbers(compared[RATE_PER_1000]),
        "rank": compared["rank"],
        "position": compared["position"],
        "included": [bool(v) for v in compared["included"].tolist()],
    }
    return [{key: columns[key][i] for key in MEMBER_KEYS} for i in order.tolist()]


def _msg_candidates(rows: pd.DataFrame, inputs: FreezeInputs) -> tuple[list[dt.date], set[str]]:
    """The latest period ends reported by members at as_of (newest first), and those members."""
    member_rows = rows[rows[AREA_CODE].isin(_members_at(inputs, inputs.as_of))]
    ends = sorted(set(member_rows[PERIOD_END].unique().tolist()), reverse=True)[:MSG_CANDIDATE_ENDS]
    return [dt.date.fromisoformat(iso) for iso in ends], set(member_rows[AREA_CODE].unique().tolist())


def _msg_end(candidates: list[dt.date], present: set[str], windows: _Windows, inputs: FreezeInputs) -> dt.date | None:
    """Latest month end ≤ as_of whose window is complete for the focus force and most members."""
    best, best_key = None, None
    for end in candidates:
        focus_complete = inputs.focus_area in present and windows.at(inputs.focus_area, end)[1]
        key = (focus_complete, sum(windows.at(code, end)[1] for code in present))
        if best_key is None or key > best_key:
            best, best_key = end, key
    return best


def _quarter_ends(as_of: dt.date, count: int) -> list[dt.date]:
    ends, day = [], as_of
    while len(ends) < count:
        if day.month in (3, 6, 9, 12):
            ends.append(month_end(day))
        day = day.replace(day=1) - dt.timedelta(days=1)
    return ends


def _survey_change(frame: pd.DataFrame) -> dict | None:
    """Latest survey result against the same period a year before (two-proportion test)."""
    if frame.empty:
        return None
    latest = frame.iloc[-1]
    year_before = month_end((pd.Timestamp(latest[PERIOD_END]) - pd.DateOffset(months=12)).date()).isoformat()
    earlier = frame[frame[PERIOD_END] == year_before]
    if earlier.empty:
        return None
    earlier = earlier.iloc[-1]

    def n(row):
        value = row[RESPONDENTS] if pd.notna(row[RESPONDENTS]) else row[DENOMINATOR]
        return None if pd.isna(value) else int(value)

    n1, n2 = n(earlier), n(latest)
    if not n1 or not n2:
        return None
    result = survey.two_proportion_test(float(earlier[VALUE]), n1, float(latest[VALUE]), n2)
    result["current_period_end"] = latest[PERIOD_END]
    result["previous_period_end"] = year_before
    return plain(result, digits=4)


def _csp_block(
    measure: dict,
    inputs: FreezeInputs,
    series: dict[tuple[str, str], _Series],
    windows: _Windows | None,
    populations: msg_analysis.PopulationChoice,
    end: dt.date | None,
) -> list[dict]:
    csps = sorted(
        code for code, area in inputs.areas.items() if area["kind"] == "csp" and area["parent"] == inputs.focus_area
    )
    counting = measure["unit"] == "count" and end is not None and windows is not None
    pops = populations.at(end or inputs.as_of)
    items = []
    for code in csps:  # area-code order, as the rows are sorted; then by name (stable)
        found = series.get((measure["code"], code))
        if found is None:
            continue
        count = None
        if counting:
            total, complete = windows.at(code, end)
            if complete:
                count = total
        population = int(pops[code][0]) if code in pops else None
        mid_year = int(pops[code][1]) if code in pops else None
        rate = count / population * 1000 if count is not None and population else None
        items.append(
            {
                AREA_CODE: code,
                NAME: inputs.areas[code]["name"],
                "count_12m": count,
                POPULATION: population,
                POPULATION_MID_YEAR: mid_year,
                RATE_PER_1000: round_half_up(rate, msg_analysis.RATE_DECIMALS),
                "points": [{PERIOD_END: p[PERIOD_END], VALUE: p[VALUE]} for p in found.points],
            }
        )
    return sorted(items, key=lambda item: item[NAME])


def _status(measure: dict, trend: pd.DataFrame, variation, change, msg_block, rolling_12, limits, period_value) -> dict:
    if trend.empty:
        return {
            "tone": vocabulary.NEUTRAL,
            "variation": None,
            "msg_relative": None,
            "sentence": f"{measure['title']}: no figures in this snapshot.",
        }
    latest = trend.iloc[-1]
    end = dt.date.fromisoformat(latest[PERIOD_END])
    start = dt.date.fromisoformat(latest[PERIOD_START])
    is_survey = measure["kind"] == "survey" and pd.notna(latest[RESPONDENTS])
    if rolling_12 is not None:
        label, value, comparison = f"12 months to {end:%B %Y}", rolling_12, "the previous 12 months"
    else:
        label, value = period_label(start, end), float(latest[VALUE])
        # Percentages are compared with the same period a year before (_survey_change).
        comparison = "the same period a year before" if measure["unit"] == "percentage" else "the previous 12 months"
    result = status.measure_status(
        title=measure["title"],
        unit=measure["unit"],
        direction=measure["direction"],
        under_reported=measure["under_reported"],
        period_label=label,
        latest_value=value,
        variation=variation,
        change=change,
        msg=None if msg_block is None else msg_block["summary"],
        survey=is_survey,
        respondents=int(latest[RESPONDENTS]) if is_survey else None,
        comparison_label=comparison,
        limits=limits[-1] if limits else None,
        latest_label=period_label(start, end),
        period_value=period_value,
        cumulative=bool(measure.get("cumulative")),
    )
    return {key: result[key] for key in ("tone", "variation", "msg_relative", "sentence")}


def _measure_header(measure: dict) -> dict:
    keys = ["code", "title", "unit", "kind", "direction", "under_reported", "restricted", "frequency",
            "msg_comparable", "definition", "method", "caveats", "priorities"]  # fmt: skip
    return {**{key: measure[key] for key in keys}, "cumulative": bool(measure.get("cumulative", False))}


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


# Pages draw a bounded recent window so their size and render time do not grow with history;
# the SPC limits are precomputed per point, so trimming is presentation only. Downloads and the
# API keep every period.
PAGE_WINDOW = {"month": 60, "quarter": 20}
PAGE_WINDOW_DEFAULT = 20


def recent_window(payload: dict) -> tuple[dict, dict | None]:
    """A `measure:` payload with the trend (and each CSP series) cut to the latest periods, and a
    note of the cut ({"shown", "total"}; None when nothing was cut). Annotations before the first
    period shown are left out."""
    trend = payload.get("trend") or {}
    points = trend.get("points") or []
    limit = PAGE_WINDOW.get(trend.get("granularity"), PAGE_WINDOW_DEFAULT)
    csp = payload.get("csp") or []
    longest_csp = max((len(item.get("points") or []) for item in csp), default=0)
    if len(points) <= limit and longest_csp <= limit:
        return payload, None
    shown = points[-limit:]
    cutoff = shown[0]["period_end"] if shown else None
    annotations = [a for a in payload.get("annotations") or [] if cutoff is None or a.get("date", "") >= cutoff]
    trimmed = {
        **payload,
        "trend": {**trend, "points": shown},
        "csp": [{**item, "points": (item.get("points") or [])[-limit:]} for item in csp],
        "annotations": annotations,
    }
    total = len(points) if points else longest_csp
    return trimmed, {"shown": min(limit, total), "total": total}


def recent_payload(payload: dict) -> dict:
    """`measure_recent:<code>`: what a page draws of `measure:<code>` (recent_window), plus the note
    of the cut under "window", so a report reads a payload whose size does not grow with history.
    "all_annotations" keeps every annotation (a handful) for the measure page's list of events."""
    shown, window = recent_window(payload)
    return {**shown, "window": window, "all_annotations": payload.get("annotations") or []}


def page_window(payload: dict) -> tuple[dict, dict | None]:
    """What a page draws and the note of the cut: a `measure_recent:` payload is cut already and
    carries its note; a full `measure:` payload (a snapshot frozen before them) is cut here."""
    return (payload, payload["window"]) if "window" in payload else recent_window(payload)


def build_measure_payloads(inputs: FreezeInputs) -> tuple[dict[str, tuple[str, dict]], dict]:
    """Every measure:, series: and msg: payload, and the overview. Returns ({key: (measure_code, payload)}, overview)."""
    obs = with_focus_totals(prepare_observations(inputs.observations), inputs=inputs)
    obs[FIRST_MONTH] = _month_numbers(obs[PERIOD_START])
    obs[LAST_MONTH] = _month_numbers(obs[PERIOD_END])
    finest = with_gaps(_finest(obs).reset_index(drop=True))
    results: dict[str, tuple[str, dict]] = {}
    measures = {m["code"]: m for m in inputs.measures}
    populations = msg_analysis.PopulationChoice(
        inputs.populations, lag_months=inputs.settings.get("POPULATION_PUBLICATION_LAG_MONTHS", 12)
    )

    # series:<code>:<area> for every measure × area with data (xmr on array slices, no queries).
    series = _all_series(finest, measures, inputs)
    for (code, area), found in series.items():
        results[f"series:{code}:{area}"] = (code, _series_payload(found))

    by_measure = dict(tuple(obs.groupby(MEASURE_CODE, sort=False)))
    quarter_ends = _quarter_ends(inputs.as_of, MSG_HISTORY_QUARTERS)
    overview = []
    empty = obs.iloc[0:0]
    for measure in inputs.measures:
        code = measure["code"]
        rows = by_measure.get(code, empty)
        focus = series.get((code, inputs.focus_area))
        trend = finest.iloc[focus.start : focus.stop].reset_index(drop=True) if focus else finest.iloc[0:0]
        variation = focus.variation if focus else None
        span = focus.span if focus else 1
        latest_end = None if trend.empty else dt.date.fromisoformat(trend[PERIOD_END].iloc[-1])

        # Every 12-month window this measure needs (MSG candidates, quarter ends, the latest), in one pass.
        msg_wanted = measure["msg_comparable"] and not rows.empty
        candidates, present = _msg_candidates(rows, inputs) if msg_wanted else ([], set())
        ends = [*candidates, *(quarter_ends if msg_wanted else []), *([latest_end] if latest_end else [])]
        windows = _Windows(rows, ends, 12) if ends else None

        change, rolling_12, rate = None, None, None
        if measure["unit"] == "count" and not trend.empty:
            change = significance.change_record(
                significance.series_rate_change(
                    pd.Series(trend[VALUE].to_numpy(), index=pd.to_datetime(trend[PERIOD_END]))
                )
            )
            total, complete = windows.at(inputs.focus_area, latest_end)
            if complete:
                rolling_12 = total
                chosen = populations.at(latest_end).get(inputs.focus_area)
                if chosen is not None:
                    rate = rolling_12 / float(chosen[0]) * 1000
        elif measure["kind"] == "survey":
            change = _survey_change(trend)

        msg_block = None
        if msg_wanted:
            reporting = set(rows[AREA_CODE].unique().tolist())
            end = _msg_end(candidates, present, windows, inputs)
            if end is not None:
                msg_block = _msg_block(measure, inputs, windows, populations, reporting, end)
            for quarter_end in quarter_ends:
                block = (
                    msg_block
                    if end == quarter_end
                    else _msg_block(measure, inputs, windows, populations, reporting, quarter_end)
                )
                if block is not None and block["summary"].get("group_size"):
                    results[f"msg:{code}:{quarter_end.isoformat()}:12"] = (code, block)

        own = focus.points[-1].get(PERIOD_VALUE) if focus and focus.points else None
        measure_status = _status(
            measure, trend, variation, change, msg_block, rolling_12, focus.limits if focus else None, own
        )
        annotations = [
            {"date": a["date"].isoformat(), "label": a["label"], "text": a["text"], "area_code": a["area_code"]}
            for a in inputs.annotations
            if a["measure_code"] == code and a["date"] <= inputs.as_of
        ]
        payload = {
            "measure": _measure_header(measure),
            "focus_area": {"code": inputs.focus_area, "name": inputs.areas.get(inputs.focus_area, {}).get("name")},
            "trend": {
                "area_code": inputs.focus_area,
                "granularity": _granularity(span) if not trend.empty else None,
                "points": [dict(point) for point in focus.points] if focus else [],
                "limits": focus.limits if focus else [],
            },
            "variation": variation,
            "change": change,
            "msg": msg_block,
            "csp": _csp_block(measure, inputs, series, windows, populations, latest_end),
            "status": measure_status,
            "annotations": annotations,
        }
        results[f"measure:{code}"] = (code, payload)
        results[f"measure_recent:{code}"] = (code, recent_payload(payload))
        latest = None
        if not trend.empty:
            last = trend.iloc[-1]
            latest = {
                PERIOD_START: last[PERIOD_START],
                PERIOD_END: last[PERIOD_END],
                VALUE: plain(float(last[VALUE])),
                "rolling_12": plain(rolling_12),
                RATE_PER_1000: round_half_up(rate, msg_analysis.RATE_DECIMALS),
            }
        overview.append(
            {
                **{
                    key: measure[key]
                    for key in ("code", "title", "unit", "direction", "under_reported", "restricted", "priorities")
                },
                "latest": latest,
                "status": measure_status,
            }
        )
    return results, {"measures": overview}


def build_outcomes_payload(
    counts: pd.DataFrame, types: list[dict], audits: list[dict], *, as_of: dt.date, months: int = 24
) -> dict:
    """Outcome counts for the months to as_of (at least 13), neutral order, with audit findings.

    counts columns: scheme, month (ISO first-of-month), crime_group, outcome_code, count, decided_at.
    """
    last = as_of.replace(day=1)
    first = (pd.Timestamp(last) - pd.DateOffset(months=months - 1)).date()
    month_list = [d.date().isoformat() for d in pd.date_range(first, last, freq="MS")]
    frame = counts[(counts["month"] >= first.isoformat()) & (counts["month"] <= last.isoformat())]
    # The same figure from two current returns: the later decision wins.
    keys = ["scheme", "month", "crime_group", "outcome_code"]
    frame = frame.sort_values("decided_at", kind="stable").drop_duplicates(keys, keep="last")
    frame = frame.sort_values(keys, kind="stable")
    totals = frame.groupby(["scheme", "month", "crime_group"], as_index=False)["count"].sum()
    schemes = sorted(set(frame["scheme"]))
    return {
        "schemes": schemes,
        "months": month_list,
        "outcome_types": [t for t in types if t["scheme"] in schemes],
        "counts": _records(frame, [*keys, "count"]),
        "totals": [
            {"scheme": r.scheme, "month": r.month, "crime_group": r.crime_group, "total": int(r.count)}
            for r in totals.itertuples(index=False)
        ],
        "audits": [a for a in audits if first.isoformat() <= a["month"] <= last.isoformat()],
    }
