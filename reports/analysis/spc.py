"""XmR statistical process control charts (NHS England "Making Data Count").

Rules follow the two NHS reference implementations (NHSRplotthedots and the NHS England SPC SQL,
v2.x); where they differ the README says which this module follows.
"""

import datetime as dt

import numpy as np
import pandas as pd

from pcc_dashboard.vocabulary import (
    BEYOND_LIMIT,
    COMMON_CAUSE,
    CONCERN,
    IMPROVEMENT,
    NEUTRAL,
    SHIFT,
    SPC_RULES,
    TREND,
    TWO_OF_THREE,
)
from reports.analysis import frame_records
from reports.analysis.columns import (
    BASELINE,
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

# Constants from "Making Data Count": 2.66 = 3 / d2 (d2 = 1.128 for moving ranges of 2 points).
# The 2-sigma line is two thirds of the way to the limit, 2.66 × 2/3 = 1.77333…, as both NHS
# references compute it (NHSRplotthedots `2 * (limit / 3)`, the SQL `2.66 * (2 / 3.0)`), not 1.773.
LIMIT_FACTOR = 2.66
TWO_SIGMA_FACTOR = LIMIT_FACTOR * 2 / 3

RULE_ORDER = tuple(SPC_RULES)

DIRECTIONS = ("up", "down", "neither")
CONFLICT_RULES = (IMPROVEMENT, CONCERN)

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
    BASELINE,
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


def _long_runs(flags: np.ndarray, min_length: int) -> np.ndarray:
    """True where a flag belongs to a run of at least `min_length` consecutive True values."""
    size = len(flags)
    padded = np.zeros(size + 2, dtype=np.int8)
    padded[1:-1] = flags
    edges = np.diff(padded)
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long = (stops - starts) >= min_length
    marks = np.zeros(size + 1, dtype=np.int64)
    # No position both starts one run and stops another, and each is a distinct index.
    marks[starts[long]] += 1
    marks[stops[long]] -= 1
    return np.cumsum(marks[:-1]) > 0


def _two_in_three(zone: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Points in `zone` (beyond a 2-sigma line, not beyond its limit) inside some run of 3
    consecutive points that all lie on `side` of the mean and hold at least 2 zone points."""
    n = len(zone)
    marked = np.zeros(n, dtype=bool)
    if n < 3:
        return marked
    hits = zone.astype(np.int8)
    on_side = side.astype(np.int8)
    window = ((hits[:-2] + hits[1:-1] + hits[2:]) >= 2) & ((on_side[:-2] + on_side[1:-1] + on_side[2:]) == 3)
    for offset in range(3):
        marked[offset : offset + n - 2] |= window
    return marked & zone


def _rule_sides(values: np.ndarray, *, mean: float, mr_bar: float, run_length: int, trend_length: int) -> dict:
    """For one segment's present values in period order: {rule: (high, low)} boolean arrays.

    A point exactly on a line (within 1e-9 of the chart's scale) is not beyond it: on the mean
    it is on neither side (it breaks a run), on a limit or 2-sigma line it is inside.
    """
    n = len(values)
    none = np.zeros(n, dtype=bool)
    sides = {rule: (none, none) for rule in RULE_ORDER}
    if n == 0 or np.isnan(mean):
        return sides
    limits_apply = bool(np.isfinite(mr_bar) and mr_bar > 0)
    scale = abs(mean) + (LIMIT_FACTOR * mr_bar if limits_apply else 0.0)
    tolerance = 1e-9 * max(1.0, scale)
    above, below = values > mean + tolerance, values < mean - tolerance
    sides[SHIFT] = (_long_runs(above, run_length), _long_runs(below, run_length))
    if n > 1:
        # A trend of k points has k − 1 consecutive strict rises (or falls); equal values break it.
        steps = np.diff(values)
        trend = []
        for moves in (steps > 0, steps < 0):
            runs = _long_runs(moves, max(trend_length - 1, 1))
            points = np.zeros(n, dtype=bool)  # each step marks the points either side of it
            points[:-1] |= runs
            points[1:] |= runs
            trend.append(points)
        sides[TREND] = tuple(trend)
    if limits_apply:
        upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
        upper2, lower2 = mean + TWO_SIGMA_FACTOR * mr_bar, mean - TWO_SIGMA_FACTOR * mr_bar
        beyond_high, beyond_low = values > upper + tolerance, values < lower - tolerance
        sides[BEYOND_LIMIT] = (beyond_high, beyond_low)
        # Both references count only points between the 2-sigma line and the limit (a point beyond
        # the limit is its own signal) and need all three points on the same side of the mean.
        zone_high = (values > upper2 + tolerance) & ~beyond_high
        zone_low = (values < lower2 - tolerance) & ~beyond_low
        sides[TWO_OF_THREE] = (_two_in_three(zone_high, above), _two_in_three(zone_low, below))
    return sides


# The rules text of every combination of fired rules (bit k set: RULE_ORDER[k] fired), in rule order.
_RULE_TEXTS = np.array(
    [",".join(rule for k, rule in enumerate(RULE_ORDER) if mask >> k & 1) for mask in range(1 << len(RULE_ORDER))],
    dtype=object,
)


def _signals(sides: dict, *, direction: str, conflict: str) -> tuple[list, list]:
    """(signal, rules text) per point from `_rule_sides`.

    A point flagged by a rule on the improving side and another on the worrying side (a rising
    trend below the mean, say) is a conflict: `conflict` ("improvement" or "concern") decides, as
    the NHS England SQL's MetricConflictRule does. "neither" measures get "neutral".
    """
    n = len(sides[SHIFT][0])
    high = np.zeros(n, dtype=bool)
    low = np.zeros(n, dtype=bool)
    fired = np.zeros(n, dtype=np.int64)
    for bit, rule in enumerate(RULE_ORDER):
        rule_high, rule_low = sides[rule]
        high |= rule_high
        low |= rule_low
        fired |= (rule_high | rule_low).astype(np.int64) << bit
    signals = np.full(n, None, dtype=object)
    if direction == "neither":
        signals[high | low] = NEUTRAL
    else:
        good, bad = (high, low) if direction == "up" else (low, high)
        signals[good & ~bad] = IMPROVEMENT
        signals[bad & ~good] = CONCERN
        signals[good & bad] = conflict
    return signals.tolist(), _RULE_TEXTS[fired].tolist()


def _check(direction: str, baseline_points: int | None, conflict: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if baseline_points is not None and baseline_points < 1:
        raise ValueError("baseline_points must be at least 1")
    if conflict not in CONFLICT_RULES:
        raise ValueError(f"conflict must be one of {CONFLICT_RULES}, not {conflict!r}")


def xmr(
    series: pd.Series,
    *,
    direction: str,
    baseline_points: int | None = None,
    recalculate_at: list[dt.date] | None = None,
    min_points: int = 12,
    run_length: int = 7,
    trend_length: int = 7,
    conflict: str = CONCERN,
) -> pd.DataFrame:
    """XmR chart of a measure's series.

    Input: `series` of values (any unit) indexed by period end date, one entry per period; NaN
    is a period never returned (a gap): kept in the output, no moving range spans it, and the
    rules read the points either side of it as consecutive (as the NHS England SQL reads
    "ghosted" points). `direction` is the way improvement goes ("up", "down" or "neither");
    `conflict` says which signal a point flagged both ways gets ("concern" by default).

    Output columns (one row per input period, ascending): period_end (Timestamp), value,
    mean, upper_limit, lower_limit (mean ± 2.66 × mean moving range), upper_2sigma,
    lower_2sigma (mean ± 2.66 × 2/3 × mean moving range), moving_range (|value − previous
    period's value| when both are present in the same segment, else NaN), signal
    ("improvement", "concern", "neutral" or None), rules (comma-separated names of the rules
    that fired: beyond_limit, shift, trend, two_of_three; "" when none), provisional (True when
    the limits come from fewer than `min_points` points: a run chart with provisional limits),
    segment (0, 1, … one per `recalculate_at` date that starts a new set of limits) and
    baseline (True for the points the segment's mean and limits come from: its first
    `baseline_points` present points, all of them by default). Values are in the input's unit.
    """
    _check(direction, baseline_points, conflict)
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
        conflict=conflict,
    )
    chart = pd.DataFrame({PERIOD_END: period_ends, VALUE: values, **{k: columns[k] for k in _FLOAT_COLUMNS}})
    chart[SIGNAL] = pd.Series(columns[SIGNAL], dtype=object)
    chart[RULES] = pd.Series(columns[RULES], dtype=object)
    for name in (PROVISIONAL, SEGMENT, BASELINE):
        chart[name] = columns[name]
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
    conflict: str = CONCERN,
) -> dict:
    """`xmr` on plain arrays, for callers that chart thousands of series (the freeze).

    Input: `values` (float array, NaN = a period never returned) and `period_ends`
    (datetime64[ns] array), one item per period in ascending order. Output: a dict of the `xmr`
    columns mean, upper_limit, lower_limit, upper_2sigma, lower_2sigma, moving_range (float
    arrays), signal and rules (lists), provisional, baseline (bool arrays) and segment (int
    array); no pandas objects.
    """
    _check(direction, baseline_points, conflict)
    segments = _segment_ids(period_ends, recalculate_at)
    size = len(values)
    columns = {name: np.full(size, np.nan) for name in _FLOAT_COLUMNS}
    signals: list[str | None] = [None] * size
    rules_text = [""] * size
    provisional = np.zeros(size, dtype=bool)
    baseline = np.zeros(size, dtype=bool)
    present_all = ~np.isnan(values)
    # A moving range needs the period before to be present and in the same segment: none spans a gap.
    if size > 1:
        joined = present_all[1:] & present_all[:-1] & (segments[1:] == segments[:-1])
        columns[MOVING_RANGE][1:][joined] = np.abs(np.diff(values))[joined]

    for segment in np.unique(segments):
        positions = np.flatnonzero(segments == segment)
        present = positions[present_all[positions]]
        if len(present) == 0:
            provisional[positions] = True
            continue
        base = len(present) if baseline_points is None else min(baseline_points, len(present))
        in_base = present[:base]
        baseline[in_base] = True
        provisional[positions] = base < min_points
        mean = float(values[in_base].mean())
        ranges = columns[MOVING_RANGE][in_base[1:]]
        ranges = ranges[~np.isnan(ranges)]
        mr_bar = float(ranges.mean()) if len(ranges) else np.nan
        columns[MEAN][positions] = mean
        columns[UPPER_LIMIT][positions] = mean + LIMIT_FACTOR * mr_bar
        columns[LOWER_LIMIT][positions] = mean - LIMIT_FACTOR * mr_bar
        columns[UPPER_2SIGMA][positions] = mean + TWO_SIGMA_FACTOR * mr_bar
        columns[LOWER_2SIGMA][positions] = mean - TWO_SIGMA_FACTOR * mr_bar
        sides = _rule_sides(values[present], mean=mean, mr_bar=mr_bar, run_length=run_length, trend_length=trend_length)
        point_signals, point_rules = _signals(sides, direction=direction, conflict=conflict)
        for j, position in enumerate(present.tolist()):
            signals[position] = point_signals[j]
            rules_text[position] = point_rules[j]

    return {
        **columns,
        SIGNAL: signals,
        RULES: rules_text,
        PROVISIONAL: provisional,
        SEGMENT: segments,
        BASELINE: baseline,
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
