"""Every (measure, area) series of a snapshot through SPC: the points and limits of `series:` payloads."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pcc_dashboard import vocabulary
from reports.analysis import spc, survey
from reports.analysis.columns import (
    AREA_CODE,
    BASELINE,
    CI_HIGH,
    CI_LOW,
    PERIOD_END,
    PERIOD_START,
    PROVISIONAL,
    RESPONDENTS,
    SEGMENT,
    VALUE,
)
from reports.payloads.inputs import DENOMINATOR, MEASURE_CODE, NUMERATOR, SPAN, FreezeInputs
from reports.payloads.values import json_rows, json_text, point_columns

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


@dataclass
class Series:
    """One (measure, area) series as the freeze computed it: its rows [start, stop) of the finest
    frame, its span in months, the SPC variation of its latest present point (None when no point
    is present), its JSON-ready points (POINT_KEYS, plus period_value for a cumulative measure) and
    its `trend.limits` entries."""

    start: int
    stop: int
    span: int
    variation: str | None
    points: list[dict]
    limits: list[dict]


def granularity(span: int) -> str:
    """A series' span in months as its `granularity` word: 1 month, 3 quarter, 12 year (others read as quarter)."""
    return {1: "month", 3: "quarter", 12: "year"}.get(int(span), "quarter")


def series_payload(series: Series) -> dict:
    """`series:<code>:<area>`: {"granularity", "points", "limits"} of one series."""
    return {"granularity": granularity(series.span), "points": series.points, "limits": series.limits}


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


class _Columns:
    """The per-row SPC and interval columns of rows [lo, lo + size) of the finest frame, filled one
    series at a time (row numbers are the finest frame's)."""

    def __init__(self, lo: int, size: int):
        self.lo = lo
        self.floats = {name: np.full(size, np.nan) for name in (*SPC_FLOAT_COLUMNS, CI_LOW, CI_HIGH)}
        self.signals: list = [None] * size
        self.rules: list = [None] * size
        self.provisional = np.zeros(size, dtype=bool)
        self.own = np.full(size, np.nan)  # a cumulative series' own period figures (period_value)

    def fill_chart(self, start: int, stop: int, chart: dict) -> None:
        """Copy one series' xmr columns into rows [start, stop)."""
        a, b = start - self.lo, stop - self.lo
        for name in SPC_FLOAT_COLUMNS:
            self.floats[name][a:b] = chart[name]
        self.signals[a:b] = chart["signal"]
        self.rules[a:b] = chart["rules"]
        self.provisional[a:b] = chart["provisional"]

    def fill_intervals(self, start: int, stop: int, values: np.ndarray, respondents: np.ndarray) -> None:
        """A survey percentage's 95% Wilson interval in rows [start, stop) (NaN where it has none)."""
        for i in range(start, stop):
            low, high = survey.wilson_interval(values[i], respondents[i])
            self.floats[CI_LOW][i - self.lo] = math.nan if low is None else low
            self.floats[CI_HIGH][i - self.lo] = math.nan if high is None else high

    def frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """`rows` (the finest frame's rows [lo, lo + size)) with these columns added (signal and
        rules as object columns)."""
        return rows.assign(
            **self.floats,
            signal=pd.Series(self.signals, index=rows.index, dtype=object),
            rules=pd.Series(self.rules, index=rows.index, dtype=object),
            provisional=self.provisional,
        )


def _series_bounds(codes: np.ndarray, areas: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of rows with the same measure and area (the frame is sorted so)."""
    size = len(codes)
    if not size:
        return []
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (areas[1:] != areas[:-1])])
    return list(zip(starts.tolist(), [*starts[1:].tolist(), size]))


class _Finest:
    """The finest frame's columns as arrays, and its (measure, area) runs grouped by measure."""

    def __init__(self, finest: pd.DataFrame):
        self.values = finest[VALUE].to_numpy(dtype=float)
        self.respondents = finest[RESPONDENTS].to_numpy(dtype=float)
        self.ends = pd.to_datetime(finest[PERIOD_END], format="ISO8601").to_numpy()
        self.codes, self.areas = finest[MEASURE_CODE].to_numpy(), finest[AREA_CODE].to_numpy()
        self.blocks: dict[str, list[tuple[int, int]]] = {}  # measure code → its series' (start, stop)
        for start, stop in _series_bounds(self.codes, self.areas):
            self.blocks.setdefault(self.codes[start], []).append((start, stop))


def _xmr(judged: np.ndarray, ends: np.ndarray, measure: dict, changes: list[dict], settings: dict) -> dict:
    """spc.xmr_columns of one series with the snapshot's SPC settings (defaults as in settings.py)."""
    return spc.xmr_columns(
        judged,
        ends,
        direction=measure["direction"],
        recalculate_at=[a["date"] for a in changes],
        baseline_points=settings.get("SPC_BASELINE_POINTS"),
        min_points=settings.get("SPC_MIN_POINTS", 12),
        run_length=settings.get("SPC_RUN_LENGTH", 7),
        trend_length=settings.get("SPC_TREND_LENGTH", 7),
        conflict=settings.get("SPC_CONFLICT_RULE", vocabulary.CONCERN),
    )


def _latest_variation(chart: dict, judged: np.ndarray) -> str | None:
    """The variation of the latest present point (common cause when it has no signal); None if none is present."""
    present = np.flatnonzero(~np.isnan(judged))
    if not len(present):
        return None
    signal = chart["signal"][present[-1]]
    return signal if isinstance(signal, str) else vocabulary.COMMON_CAUSE


def _block_charts(
    arrays: _Finest, code: str, measure: dict, inputs: FreezeInputs, bounds: list[tuple[int, int]]
) -> tuple[_Columns, dict[tuple[str, str], tuple[int, int, str | None, list[dict]]]]:
    """SPC (and survey intervals) of the series of one measure at rows [start, stop) of `bounds`.

    Returns the columns of the rows from the first start to the last stop and {(code, area):
    (start, stop, latest variation, limits)} in the order of `bounds`, rows numbered as in the
    finest frame. A cumulative measure's own period figures (what SPC judges) go in the columns'
    `own`.
    """
    lo = min(start for start, _ in bounds)
    columns = _Columns(lo, max(stop for _, stop in bounds) - lo)
    found = {}
    min_points = inputs.settings.get("SPC_MIN_POINTS", 12)
    values, respondents, ends = arrays.values, arrays.respondents, arrays.ends
    for start, stop in bounds:
        area = arrays.areas[start]
        changes = _recalculations(inputs, code, area)
        # A running total is progress, not a process; SPC judges each period's own figure.
        judged = period_values(values[start:stop]) if measure.get("cumulative") else values[start:stop]
        chart = _xmr(judged, ends[start:stop], measure, changes, inputs.settings)
        columns.fill_chart(start, stop, chart)
        if measure["unit"] == "percentage" and not np.isnan(respondents[start:stop]).all():
            columns.fill_intervals(start, stop, values, respondents)
        if measure.get("cumulative"):
            columns.own[start - lo : stop - lo] = judged
        limits = _limits(chart, ends[start:stop], changes, min_points)
        found[(code, area)] = (start, stop, _latest_variation(chart, judged), limits)
    return columns, found


def all_series(
    finest: pd.DataFrame, measures: dict, inputs: FreezeInputs, *, areas: set[str] | None = None
) -> dict[tuple[str, str], Series]:
    """SPC and survey intervals for every (measure, area) series of `finest`, on arrays, a measure at a time.

    `finest` is sorted by measure, area, span and period end, so each series is a contiguous run
    of rows: xmr runs on array slices and the points are sliced from the measure's column lists.
    `measures` maps a measure code to its FreezeInputs.measures entry; series of other codes are
    left out, and so are series of areas not in `areas` when it is given. Returns
    {(measure code, area code): Series}.
    """
    arrays = _Finest(finest)
    series: dict[tuple[str, str], Series] = {}
    for code in arrays.blocks:
        measure = measures.get(code)
        if measure is None:
            continue
        bounds = [(a, b) for a, b in arrays.blocks[code] if areas is None or arrays.areas[a] in areas]
        if not bounds:
            continue
        columns, found = _block_charts(arrays, code, measure, inputs, bounds)
        if found:
            series.update(_series_points(finest, columns, found, cumulative=bool(measure.get("cumulative"))))
    return series


def _found_rows(columns: _Columns, found: dict) -> np.ndarray:
    """The rows of the found series, relative to the columns' first row, in the order of `found`."""
    spans = [np.arange(start - columns.lo, stop - columns.lo) for start, stop, *_ in found.values()]
    return np.concatenate(spans)


def _series_points(
    finest: pd.DataFrame, columns: _Columns, found: dict, *, cumulative: bool
) -> dict[tuple[str, str], Series]:
    """Each found series with its points sliced from its rows' JSON-ready columns, and a
    cumulative series' own period figures added to its points as period_value."""
    rows_at = _found_rows(columns, found)
    frame = columns.frame(finest.iloc[columns.lo : columns.lo + len(columns.own)]).iloc[rows_at]
    keys = [*POINT_KEYS, PERIOD_VALUE] if cumulative else POINT_KEYS
    if cumulative:
        frame = frame.assign(**{PERIOD_VALUE: columns.own[rows_at]})
    values = point_columns(frame, keys)
    rows = list(zip(*(values[k] for k in keys)))
    spans = frame[SPAN].to_numpy()
    series, offset = {}, 0
    for key, (start, stop, variation, limits) in found.items():
        size = stop - start
        points = [dict(zip(keys, row)) for row in rows[offset : offset + size]]
        series[key] = Series(start, stop, int(spans[offset]), variation, points, limits)
        offset += size
    return series


SERIES_GROUP = 64  # series made at a time: about 2 MB of text at national scale


def series_texts(finest: pd.DataFrame, measures: dict, inputs: FreezeInputs) -> Iterator[tuple[str, str, str]]:
    """(key, measure code, canonical JSON) of every `series:<code>:<area>` payload, by key.

    The same payloads as series_payload(all_series(...)[code, area]) serialised with sorted keys
    and no spaces, written from whole columns of text SERIES_GROUP series at a time: no point is
    ever a dict, only one group's text is held at once, and a reader storing the texts (COPY)
    hands PostgreSQL each group to parse while the next is made.
    """
    arrays = _Finest(finest)
    codes = sorted((code for code in arrays.blocks if code in measures), key=lambda code: f"series:{code}:")
    for code in codes:
        measure = measures[code]
        keys = [*POINT_KEYS, PERIOD_VALUE] if measure.get("cumulative") else POINT_KEYS
        bounds = sorted(arrays.blocks[code], key=lambda bound: arrays.areas[bound[0]])
        for first in range(0, len(bounds), SERIES_GROUP):
            columns, found = _block_charts(arrays, code, measure, inputs, bounds[first : first + SERIES_GROUP])
            frame = columns.frame(finest.iloc[columns.lo : columns.lo + len(columns.own)])
            if measure.get("cumulative"):
                frame = frame.assign(**{PERIOD_VALUE: columns.own})
            points = json_rows(frame, keys)
            spans = frame[SPAN].to_numpy()
            for (_, area), (start, stop, _, limits) in found.items():
                a, b = start - columns.lo, stop - columns.lo
                text = (
                    f'{{"granularity":{json_text(granularity(spans[a]))},"limits":{json_text(limits)},'
                    f'"points":[{",".join(points[a:b])}]}}'
                )
                yield f"series:{code}:{area}", code, text
