"""XmR statistical process control charts (NHS England "Making Data Count")."""

import datetime as dt

import numpy as np
import pandas as pd

from reports.analysis import frame_records
from reports.analysis.columns import (
    LOWER_2SIGMA,
    LOWER_LIMIT,
    MEAN,
    MOVING_RANGE,
    PERIOD_END,
    PROVISIONAL,
    RULES,
    SEGMENT,
    SIGNAL,
    UPPER_2SIGMA,
    UPPER_LIMIT,
    VALUE,
)

# Constants from "Making Data Count": 2.66 = 3 / d2 (d2 = 1.128 for n = 2 moving ranges);
# 1.773 = two thirds of that, the 2-sigma line.
LIMIT_FACTOR = 2.66
TWO_SIGMA_FACTOR = 1.773

BEYOND_LIMIT = "beyond_limit"
SHIFT = "shift"
TREND = "trend"
TWO_OF_THREE = "two_of_three"
RULE_ORDER = (BEYOND_LIMIT, SHIFT, TREND, TWO_OF_THREE)

IMPROVEMENT = "improvement"
CONCERN = "concern"
NEUTRAL = "neutral"
COMMON_CAUSE = "common_cause"

DIRECTIONS = ("up", "down", "neither")
HIGH, LOW = 1, -1

OUTPUT_COLUMNS = [
    PERIOD_END,
    VALUE,
    MEAN,
    UPPER_LIMIT,
    LOWER_LIMIT,
    UPPER_2SIGMA,
    LOWER_2SIGMA,
    MOVING_RANGE,
    SIGNAL,
    RULES,
    PROVISIONAL,
    SEGMENT,
]


def _segment_ids(period_ends: pd.DatetimeIndex, recalculate_at) -> np.ndarray:
    """Segment number per point: a new segment starts at the first point on/after each date."""
    if not recalculate_at:
        return np.zeros(len(period_ends), dtype=int)
    dates = pd.to_datetime(sorted(recalculate_at))
    ends = period_ends.values if hasattr(period_ends, "values") else period_ends
    crossed = np.searchsorted(dates.values, ends, side="right")
    # Two dates with no point between them make one boundary, not an empty segment.
    _, ids = np.unique(crossed, return_inverse=True)
    return ids.astype(int)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each maximal run of True values."""
    runs, start = [], None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(flags)))
    return runs


def _segment_rules(
    values: np.ndarray,
    *,
    mean: float,
    mr_bar: float,
    run_length: int,
    trend_length: int,
) -> list[dict[str, int]]:
    """For one segment's non-missing values, the rules fired at each point and their side."""
    n = len(values)
    fired: list[dict[str, int]] = [{} for _ in range(n)]
    if n == 0 or np.isnan(mean):
        return fired
    limits_apply = np.isfinite(mr_bar) and mr_bar > 0
    tolerance = 1e-9 * max(1.0, abs(mean))
    above = values > mean + tolerance
    below = values < mean - tolerance

    if limits_apply:
        upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
        for i, v in enumerate(values):
            if v > upper:
                fired[i][BEYOND_LIMIT] = HIGH
            elif v < lower:
                fired[i][BEYOND_LIMIT] = LOW

    for side, flags in ((HIGH, above), (LOW, below)):
        for start, stop in _runs(flags):
            if stop - start >= run_length:
                for i in range(start, stop):
                    fired[i][SHIFT] = side

    # A trend of k points has k - 1 consecutive strict rises (or falls).
    rises = np.diff(values) > 0
    falls = np.diff(values) < 0
    for side, steps in ((HIGH, rises), (LOW, falls)):
        for start, stop in _runs(steps):
            if stop - start + 1 >= trend_length:
                for i in range(start, stop + 1):
                    # A point ending a fall and starting a rise keeps the first side found.
                    fired[i].setdefault(TREND, side)

    if limits_apply:
        upper2, lower2 = (
            mean + TWO_SIGMA_FACTOR * mr_bar,
            mean - TWO_SIGMA_FACTOR * mr_bar,
        )
        for side, beyond in ((HIGH, values > upper2), (LOW, values < lower2)):
            for start in range(max(n - 2, 0)):
                window = range(start, start + 3)
                if sum(beyond[i] for i in window) >= 2:
                    for i in window:
                        if beyond[i]:
                            fired[i][TWO_OF_THREE] = side
    return fired


def _long_runs(flags: np.ndarray, min_length: int) -> np.ndarray:
    """True where a flag belongs to a run of at least `min_length` consecutive True values."""
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = (stops - starts) >= min_length
    marks = np.zeros(len(flags) + 1, dtype=np.int64)
    np.add.at(marks, starts[long], 1)
    np.add.at(marks, stops[long], -1)
    return np.cumsum(marks[:-1]) > 0


def _segment_rule_sides(
    values: np.ndarray,
    *,
    mean: float,
    mr_bar: float,
    run_length: int,
    trend_length: int,
) -> dict[str, np.ndarray]:
    """`_segment_rules` on whole arrays: for each rule, the side (+1, −1, 0 = not fired) at each point."""
    n = len(values)
    sides = {rule: np.zeros(n, dtype=np.int8) for rule in RULE_ORDER}
    if n == 0 or np.isnan(mean):
        return sides
    limits_apply = np.isfinite(mr_bar) and mr_bar > 0
    tolerance = 1e-9 * max(1.0, abs(mean))
    if limits_apply:
        upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
        sides[BEYOND_LIMIT] = np.where(values > upper, HIGH, np.where(values < lower, LOW, 0)).astype(np.int8)
    above = _long_runs(values > mean + tolerance, run_length)
    below = _long_runs(values < mean - tolerance, run_length)
    sides[SHIFT] = np.where(above, HIGH, np.where(below, LOW, 0)).astype(np.int8)
    if n > 1:
        # A trend of k points has k − 1 consecutive strict rises (or falls); rises are found first.
        steps = np.diff(values)
        trend = {}
        for side, moves in ((HIGH, steps > 0), (LOW, steps < 0)):
            runs = _long_runs(moves, max(trend_length - 1, 1))
            trend[side] = np.r_[runs, False] | np.r_[False, runs]
        sides[TREND] = np.where(trend[HIGH], HIGH, np.where(trend[LOW], LOW, 0)).astype(np.int8)
    if limits_apply and n >= 3:
        upper2, lower2 = mean + TWO_SIGMA_FACTOR * mr_bar, mean - TWO_SIGMA_FACTOR * mr_bar
        for side, beyond in ((HIGH, values > upper2), (LOW, values < lower2)):
            hits = beyond.astype(np.int8)
            window_ok = (hits[:-2] + hits[1:-1] + hits[2:]) >= 2  # windows starting at 0 … n − 3
            covered = np.zeros(n, dtype=bool)
            for offset in range(3):
                covered[offset : offset + n - 2] |= window_ok
            sides[TWO_OF_THREE][beyond & covered] = side
    return sides


def _side(rules: dict[str, int]) -> int | None:
    """The side of a flagged point: position rules (limit, 2-sigma, shift) beat a trend."""
    for rule in (BEYOND_LIMIT, TWO_OF_THREE, SHIFT, TREND):
        if rule in rules:
            return rules[rule]
    return None


def _signal(side: int | None, direction: str) -> str | None:
    if side is None:
        return None
    if direction == "neither":
        return NEUTRAL
    good_side = HIGH if direction == "up" else LOW
    return IMPROVEMENT if side == good_side else CONCERN


def xmr(
    series: pd.Series,
    *,
    direction: str,
    baseline_points: int | None = None,
    recalculate_at: list[dt.date] | None = None,
    min_points: int = 12,
    run_length: int = 7,
    trend_length: int = 7,
) -> pd.DataFrame:
    """XmR chart of a measure's series.

    Input: `series` of values (any unit) indexed by period end date; NaN is a missing
    period, kept in the output but skipped by moving ranges and rules. `direction` is the
    way improvement goes ("up", "down" or "neither").

    Output columns (one row per input period, ascending): period_end (Timestamp), value,
    mean, upper_limit, lower_limit (mean ± 2.66 × mean moving range), upper_2sigma,
    lower_2sigma (mean ± 1.773 × mean moving range), moving_range (|value − previous
    non-missing value| in the same segment), signal ("improvement", "concern", "neutral"
    or None), rules (comma-separated names of the rules that fired: beyond_limit, shift,
    trend, two_of_three; "" when none), provisional (True when the segment has fewer than
    `min_points` non-missing points: a run chart with provisional limits) and segment
    (0, 1, … one per `recalculate_at` date that starts a new set of limits). All value-like
    columns are in the unit of the input. The mean and limits of a segment come from its
    first `baseline_points` non-missing points (all of them by default).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if baseline_points is not None and baseline_points < 1:
        raise ValueError("baseline_points must be at least 1")
    data = series.sort_index()
    period_ends = pd.DatetimeIndex(pd.to_datetime(data.index))
    values = pd.to_numeric(data, errors="coerce").to_numpy(dtype=float)
    columns = xmr_columns(
        values,
        period_ends.values,
        direction=direction,
        baseline_points=baseline_points,
        recalculate_at=recalculate_at,
        min_points=min_points,
        run_length=run_length,
        trend_length=trend_length,
    )
    chart = pd.DataFrame({PERIOD_END: period_ends, VALUE: values, **{k: columns[k] for k in _FLOAT_COLUMNS}})
    chart[SIGNAL] = pd.Series(columns[SIGNAL], dtype=object)
    chart[RULES] = pd.Series(columns[RULES], dtype=object)
    chart[PROVISIONAL] = columns[PROVISIONAL]
    chart[SEGMENT] = columns[SEGMENT]
    return chart[OUTPUT_COLUMNS]


_FLOAT_COLUMNS = (MEAN, UPPER_LIMIT, LOWER_LIMIT, UPPER_2SIGMA, LOWER_2SIGMA, MOVING_RANGE)


def xmr_columns(
    values: np.ndarray,
    period_ends: np.ndarray,
    *,
    direction: str,
    baseline_points: int | None = None,
    recalculate_at: list[dt.date] | None = None,
    min_points: int = 12,
    run_length: int = 7,
    trend_length: int = 7,
) -> dict:
    """`xmr` on plain arrays, for callers that chart thousands of series (the freeze).

    Input: `values` (float array, NaN = missing) and `period_ends` (datetime64[ns] array),
    both already in ascending period order. Output: a dict of the `xmr` columns mean,
    upper_limit, lower_limit, upper_2sigma, lower_2sigma, moving_range (float arrays), signal
    and rules (lists), provisional (bool array) and segment (int array); no pandas objects.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if baseline_points is not None and baseline_points < 1:
        raise ValueError("baseline_points must be at least 1")
    segments = _segment_ids(period_ends, recalculate_at)
    size = len(values)

    columns = {
        name: np.full(size, np.nan)
        for name in (
            MEAN,
            UPPER_LIMIT,
            LOWER_LIMIT,
            UPPER_2SIGMA,
            LOWER_2SIGMA,
            MOVING_RANGE,
        )
    }
    signals: list[str | None] = [None] * size
    rules_text = [""] * size
    provisional = np.zeros(size, dtype=bool)

    for segment in np.unique(segments):
        positions = np.flatnonzero(segments == segment)
        present = positions[~np.isnan(values[positions])]
        points = values[present]
        moving = np.abs(np.diff(points))
        columns[MOVING_RANGE][present[1:]] = moving
        provisional[positions] = len(points) < min_points
        if len(points) == 0:
            continue
        base = len(points) if baseline_points is None else min(baseline_points, len(points))
        mean = float(points[:base].mean())
        mr_bar = float(moving[: base - 1].mean()) if base > 1 else np.nan
        columns[MEAN][positions] = mean
        columns[UPPER_LIMIT][positions] = mean + LIMIT_FACTOR * mr_bar
        columns[LOWER_LIMIT][positions] = mean - LIMIT_FACTOR * mr_bar
        columns[UPPER_2SIGMA][positions] = mean + TWO_SIGMA_FACTOR * mr_bar
        columns[LOWER_2SIGMA][positions] = mean - TWO_SIGMA_FACTOR * mr_bar
        sides = _segment_rule_sides(
            points,
            mean=mean,
            mr_bar=mr_bar,
            run_length=run_length,
            trend_length=trend_length,
        )
        flagged = np.flatnonzero(np.any(np.vstack([sides[rule] for rule in RULE_ORDER]) != 0, axis=0))
        for j in flagged.tolist():
            rules = {rule: int(sides[rule][j]) for rule in RULE_ORDER if sides[rule][j]}
            rules_text[present[j]] = ",".join(rules)
            signals[present[j]] = _signal(_side(rules), direction)

    return {
        **columns,
        SIGNAL: signals,
        RULES: rules_text,
        PROVISIONAL: provisional,
        SEGMENT: segments,
    }


def latest_variation(chart: pd.DataFrame) -> str | None:
    """Variation of the last non-missing point of an `xmr` chart.

    Input: an `xmr` frame (uses value and signal). Output: "improvement", "concern",
    "neutral" (special cause on a measure with no good direction) or "common_cause";
    None when the chart has no values at all.
    """
    present = chart[chart[VALUE].notna()]
    if present.empty:
        return None
    signal = present[SIGNAL].iloc[-1]
    return signal if isinstance(signal, str) else COMMON_CAUSE


def chart_records(chart: pd.DataFrame) -> list[dict]:
    """An `xmr` frame as JSON-ready dicts with the same keys as its columns.

    period_end becomes an ISO date string, NaN becomes None, floats keep 4 decimals.
    """
    return frame_records(chart)
