"""Every (measure, area) series of a snapshot through SPC: the points and limits of `series:` payloads."""

from __future__ import annotations

import math
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
from reports.payloads.values import json_floats, point_columns

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
    """The per-row SPC and interval columns of the whole finest frame, filled one series at a time."""

    def __init__(self, size: int):
        self.floats = {name: np.full(size, np.nan) for name in (*SPC_FLOAT_COLUMNS, CI_LOW, CI_HIGH)}
        self.signals: list = [None] * size
        self.rules: list = [None] * size
        self.provisional = np.zeros(size, dtype=bool)

    def fill_chart(self, start: int, stop: int, chart: dict) -> None:
        """Copy one series' xmr columns into rows [start, stop)."""
        for name in SPC_FLOAT_COLUMNS:
            self.floats[name][start:stop] = chart[name]
        self.signals[start:stop] = chart["signal"]
        self.rules[start:stop] = chart["rules"]
        self.provisional[start:stop] = chart["provisional"]

    def fill_intervals(self, start: int, stop: int, values: np.ndarray, respondents: np.ndarray) -> None:
        """A survey percentage's 95% Wilson interval in rows [start, stop) (NaN where it has none)."""
        for i in range(start, stop):
            low, high = survey.wilson_interval(values[i], respondents[i])
            self.floats[CI_LOW][i] = math.nan if low is None else low
            self.floats[CI_HIGH][i] = math.nan if high is None else high

    def frame(self, finest: pd.DataFrame) -> pd.DataFrame:
        """`finest` with these columns added (signal and rules as object columns)."""
        return finest.assign(
            **self.floats,
            signal=pd.Series(self.signals, index=finest.index, dtype=object),
            rules=pd.Series(self.rules, index=finest.index, dtype=object),
            provisional=self.provisional,
        )


def _series_bounds(codes: np.ndarray, areas: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of rows with the same measure and area (the frame is sorted so)."""
    size = len(codes)
    if not size:
        return []
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (areas[1:] != areas[:-1])])
    return list(zip(starts, [*starts[1:], size]))


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


def all_series(finest: pd.DataFrame, measures: dict, inputs: FreezeInputs) -> dict[tuple[str, str], Series]:
    """SPC and survey intervals for every (measure, area) series of `finest`, on arrays, in one pass.

    `finest` is sorted by measure, area, span and period end, so each series is a contiguous run
    of rows: xmr runs on array slices and the points are sliced from whole-frame column lists.
    `measures` maps a measure code to its FreezeInputs.measures entry; series of other codes are
    left out. Returns {(measure code, area code): Series}.
    """
    values = finest[VALUE].to_numpy(dtype=float)
    respondents = finest[RESPONDENTS].to_numpy(dtype=float)
    ends = pd.to_datetime(finest[PERIOD_END], format="ISO8601").to_numpy()
    codes, areas = finest[MEASURE_CODE].to_numpy(), finest[AREA_CODE].to_numpy()
    columns = _Columns(len(finest))
    found: dict[tuple[str, str], tuple[int, int, str | None, list[dict]]] = {}
    own: dict[tuple[str, str], list] = {}  # each period's own figure of a cumulative series
    min_points = inputs.settings.get("SPC_MIN_POINTS", 12)
    for start, stop in _series_bounds(codes, areas):
        code, area = codes[start], areas[start]
        measure = measures.get(code)
        if measure is None:
            continue
        changes = _recalculations(inputs, code, area)
        # A running total is progress, not a process; SPC judges each period's own figure.
        judged = period_values(values[start:stop]) if measure.get("cumulative") else values[start:stop]
        chart = _xmr(judged, ends[start:stop], measure, changes, inputs.settings)
        columns.fill_chart(start, stop, chart)
        if measure["unit"] == "percentage" and not np.isnan(respondents[start:stop]).all():
            columns.fill_intervals(start, stop, values, respondents)
        if measure.get("cumulative"):
            own[(code, area)] = json_floats(judged)
        limits = _limits(chart, ends[start:stop], changes, min_points)
        found[(code, area)] = (start, stop, _latest_variation(chart, judged), limits)
    return _series_points(columns.frame(finest), found, own)


def _series_points(frame: pd.DataFrame, found: dict, own: dict) -> dict[tuple[str, str], Series]:
    """Each found series with its points sliced from the whole frame's JSON-ready columns, and a
    cumulative series' own period figures added to its points as period_value."""
    columns = point_columns(frame, POINT_KEYS)
    rows = list(zip(*(columns[k] for k in POINT_KEYS)))
    spans = frame[SPAN].to_numpy()
    series = {
        key: Series(
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
