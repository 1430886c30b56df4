"""Is the latest 12 months' count significantly different from the 12 before? (exact test)."""

import math

import numpy as np
import pandas as pd
from scipy import stats

from reports.analysis import plain

SIGNIFICANT_REDUCTION = "significant_reduction"
SIGNIFICANT_INCREASE = "significant_increase"
NO_SIGNIFICANT_CHANGE = "no_significant_change"
INSUFFICIENT_DATA = "insufficient_data"

TEST_NAME = "exact_conditional_binomial"


def _count(value, name: str) -> int:
    """A non-negative whole count; 123.0 from a float column is accepted as 123."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(f"{name} is missing")
    number = float(value)
    if number < 0 or number != int(number):
        raise ValueError(f"{name} must be a non-negative whole number, not {value!r}")
    return int(number)


def _ratio(proportion: float) -> float | None:
    """Rate ratio current/previous from the share p of all events that fell in `current`."""
    if proportion >= 1:
        return None
    return proportion / (1 - proportion)


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else (ratio - 1) * 100


def rate_change(current: int, previous: int, *, alpha: float = 0.05) -> dict:
    """Test a change in a count between two periods of equal exposure (e.g. 12 months each).

    Counts are Poisson, so given n = current + previous, current ~ Binomial(n, 0.5) when the
    rate has not changed. Input: two counts. Output keys: test, current, previous, change
    (current − previous), pct_change (%; None when previous is 0), ratio (current/previous;
    None when previous is 0), ratio_low, ratio_high (the (1 − alpha) interval of the ratio
    from the Clopper–Pearson interval of p = current/n, ratio = p/(1 − p); None where
    unbounded), pct_change_low, pct_change_high (the same interval as % change), p_value
    (two-sided exact binomial), alpha and verdict ("significant_reduction",
    "significant_increase", "no_significant_change", or "insufficient_data" when both are 0).
    """
    current = _count(current, "current")
    previous = _count(previous, "previous")
    n = current + previous
    result = {
        "test": TEST_NAME,
        "current": current,
        "previous": previous,
        "change": current - previous,
        "pct_change": (current - previous) / previous * 100 if previous else None,
        "ratio": current / previous if previous else None,
        "ratio_low": None,
        "ratio_high": None,
        "pct_change_low": None,
        "pct_change_high": None,
        "p_value": None,
        "alpha": alpha,
        "verdict": INSUFFICIENT_DATA,
    }
    if n == 0:
        return result
    test = stats.binomtest(current, n, 0.5)
    interval = test.proportion_ci(confidence_level=1 - alpha, method="exact")
    ratio_low, ratio_high = _ratio(interval.low), _ratio(interval.high)
    p_value = float(test.pvalue)
    if p_value < alpha and current < previous:
        verdict = SIGNIFICANT_REDUCTION
    elif p_value < alpha and current > previous:
        verdict = SIGNIFICANT_INCREASE
    else:
        verdict = NO_SIGNIFICANT_CHANGE
    result.update(
        ratio_low=ratio_low,
        ratio_high=ratio_high,
        pct_change_low=_pct(ratio_low),
        pct_change_high=_pct(ratio_high),
        p_value=p_value,
        verdict=verdict,
    )
    return plain(result, digits=12)


def _window_total(
    values: pd.Series, months_index: np.ndarray, *, last: int, months: int, step: int
) -> float | None:
    """Sum of the entries covering months (last − months, last]; None unless complete."""
    wanted = set(range(last - months + 1, last + 1))
    covered: list[int] = []
    total = 0.0
    for month, value in zip(months_index, values):
        first = month - step + 1
        if first >= min(wanted) and month <= last:
            if pd.isna(value):
                return None
            covered.extend(range(first, month + 1))
            total += float(value)
    if set(covered) != wanted or len(covered) != len(wanted):
        return None
    return total


def series_rate_change(
    series: pd.Series, *, months: int = 12, alpha: float = 0.05
) -> dict | None:
    """`rate_change` of the latest `months` against the `months` before, from a count series.

    Input: counts indexed by period end date, monthly or quarterly (the step is the
    smallest gap between period ends). The latest window ends at the last index entry.
    Output: the `rate_change` dict plus current_period_end and previous_period_end (ISO
    dates); None unless both windows are completely covered with no missing value.
    """
    if series.empty:
        return None
    data = series.sort_index()
    ends = pd.DatetimeIndex(pd.to_datetime(data.index))
    months_index = (ends.year * 12 + ends.month - 1).to_numpy()
    gaps = np.diff(months_index)
    step = int(gaps[gaps > 0].min()) if (gaps > 0).any() else 1
    if months % step:
        return None
    last = int(months_index[-1])
    values = pd.to_numeric(data, errors="coerce")
    current = _window_total(values, months_index, last=last, months=months, step=step)
    previous = _window_total(
        values, months_index, last=last - months, months=months, step=step
    )
    if current is None or previous is None:
        return None
    result = rate_change(round(current), round(previous), alpha=alpha)
    previous_end = (pd.Period(ends[-1], freq="M") - months).end_time.normalize()
    result["current_period_end"] = plain(ends[-1])
    result["previous_period_end"] = plain(previous_end)
    return result


def change_record(change: dict | None) -> dict | None:
    """A `rate_change` dict rounded for storage: 4 decimals, or 4 significant figures below 1."""
    return None if change is None else plain(change, digits=4)
