"""Survey percentages: Wilson confidence intervals and two-proportion tests."""

import math

import pandas as pd
from scipy import stats

from reports.analysis import frame_records, plain
from reports.analysis.columns import CI_HIGH, CI_LOW, RESPONDENTS, VALUE

Z_95 = 1.959964  # two-sided 95% normal quantile

SIGNIFICANT_INCREASE = "significant_increase"
SIGNIFICANT_DECREASE = "significant_decrease"
NO_SIGNIFICANT_CHANGE = "no_significant_change"
INSUFFICIENT_DATA = "insufficient_data"

TEST_NAME = "two_proportion_z"


def _usable(pct, respondents) -> bool:
    if pct is None or respondents is None:
        return False
    if pd.isna(pct) or pd.isna(respondents):
        return False
    return respondents > 0


def wilson_interval(
    pct: float, respondents: int, *, z: float = Z_95
) -> tuple[float | None, float | None]:
    """Wilson score interval of a survey percentage.

    Input: pct (0–100) and the number of respondents. Output: (low, high) in percent;
    (None, None) when there are no respondents or no percentage.
    """
    if not _usable(pct, respondents):
        return None, None
    n = float(respondents)
    p = min(max(float(pct) / 100, 0.0), 1.0)
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(centre - half, 0.0) * 100, min(centre + half, 1.0) * 100


def two_proportion_test(
    pct1: float, n1: int, pct2: float, n2: int, *, alpha: float = 0.05
) -> dict:
    """Pooled two-proportion z test of a change from survey 1 (earlier) to survey 2 (later).

    Input: percentages (0–100) and respondents of each survey. Output keys: test, pct1, n1,
    pct2, n2, diff (pct2 − pct1, percentage points), z, p_value (two-sided), alpha and verdict
    ("significant_increase", "significant_decrease", "no_significant_change", or
    "insufficient_data" when either survey has no respondents).
    """
    result = {
        "test": TEST_NAME,
        "pct1": pct1,
        "n1": n1,
        "pct2": pct2,
        "n2": n2,
        "diff": None,
        "z": None,
        "p_value": None,
        "alpha": alpha,
        "verdict": INSUFFICIENT_DATA,
    }
    if not (_usable(pct1, n1) and _usable(pct2, n2)):
        return plain(result, digits=12)
    p1 = min(max(float(pct1) / 100, 0.0), 1.0)
    p2 = min(max(float(pct2) / 100, 0.0), 1.0)
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = p2 - p1
    if se == 0:
        # Both surveys at 0% or both at 100%: nothing to test.
        z, p_value = 0.0, 1.0
    else:
        z = diff / se
        p_value = float(2 * stats.norm.sf(abs(z)))
    if p_value < alpha and diff > 0:
        verdict = SIGNIFICANT_INCREASE
    elif p_value < alpha and diff < 0:
        verdict = SIGNIFICANT_DECREASE
    else:
        verdict = NO_SIGNIFICANT_CHANGE
    result.update(diff=diff * 100, z=z, p_value=p_value, verdict=verdict)
    return plain(result, digits=12)


def survey_frame(frame: pd.DataFrame, *, z: float = Z_95) -> pd.DataFrame:
    """Add Wilson intervals to a survey series.

    Input columns: period_end, value (percentage 0–100), respondents. Output: the input
    plus ci_low and ci_high (percent; NaN where respondents are missing or zero).
    """
    result = frame.copy()
    bounds = [
        wilson_interval(pct, n, z=z)
        for pct, n in zip(result[VALUE], result[RESPONDENTS])
    ]
    result[CI_LOW] = [math.nan if low is None else low for low, _ in bounds]
    result[CI_HIGH] = [math.nan if high is None else high for _, high in bounds]
    return result


def survey_records(frame: pd.DataFrame) -> list[dict]:
    """A `survey_frame` result as JSON-ready dicts (ISO dates, NaN → None, 4 decimals)."""
    return frame_records(frame)
