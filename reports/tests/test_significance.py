"""Tests for reports.analysis.significance (exact test of a change in counts); no database."""

import json

import numpy as np
import pandas as pd
import pytest

from reports.analysis import significance


def test_rate_change_zero_current_is_significant_reduction():
    # n = 10, current 0: P(X = 0) = 1/1024, two-sided p = 2/1024 = 0.001953125.
    # Clopper–Pearson upper for 0/10 = 1 − 0.025^(1/10) = 1 − 0.691503 = 0.308497;
    # ratio high = 0.308497 / 0.691503 = 0.446126, i.e. −55.39%.
    result = significance.rate_change(0, 10)
    assert result["p_value"] == pytest.approx(0.001953125)
    assert result["verdict"] == "significant_reduction"
    assert result["change"] == -10
    assert result["pct_change"] == pytest.approx(-100)
    assert result["ratio"] == 0
    assert result["ratio_low"] == pytest.approx(0)
    assert result["ratio_high"] == pytest.approx(0.446126, abs=1e-5)
    assert result["pct_change_high"] == pytest.approx(-55.3874, abs=1e-3)


def test_rate_change_small_drop_is_not_significant():
    # n = 10, current 3: P(X <= 3) = (1 + 10 + 45 + 120) / 1024 = 0.171875; doubled 0.34375.
    result = significance.rate_change(3, 7)
    assert result["p_value"] == pytest.approx(0.34375)
    assert result["pct_change"] == pytest.approx(-57.142857)
    assert result["ratio"] == pytest.approx(3 / 7)
    assert result["verdict"] == "no_significant_change"
    assert result["ratio_low"] < result["ratio"] < result["ratio_high"]


def test_rate_change_equal_counts_has_p_value_one():
    result = significance.rate_change(5, 5)
    assert result["p_value"] == pytest.approx(1.0)
    assert result["ratio"] == 1
    assert result["pct_change"] == 0
    assert result["verdict"] == "no_significant_change"


def test_rate_change_both_zero_is_insufficient_data():
    result = significance.rate_change(0, 0)
    assert result["verdict"] == "insufficient_data"
    assert (
        result["p_value"] is None
        and result["pct_change"] is None
        and result["ratio"] is None
    )


def test_rate_change_previous_zero_has_no_percentage():
    # 4 vs 0: p = 2 × (1/2)^4 = 0.125; lower CP bound for 4/4 = 0.025^(1/4) = 0.397635,
    # ratio low = 0.397635 / 0.602365 = 0.660122; the upper bound is infinite → None.
    result = significance.rate_change(4, 0)
    assert result["p_value"] == pytest.approx(0.125)
    assert result["pct_change"] is None and result["ratio"] is None
    assert result["ratio_high"] is None and result["pct_change_high"] is None
    assert result["ratio_low"] == pytest.approx(0.660122, abs=1e-5)
    assert result["verdict"] == "no_significant_change"
    json.dumps(result, allow_nan=False)


def test_rate_change_previous_zero_large_current_is_significant_increase():
    # 15 vs 0: p = 2 / 2^15 = 6.1035e-5.
    result = significance.rate_change(15, 0)
    assert result["p_value"] == pytest.approx(2 / 2**15)
    assert result["verdict"] == "significant_increase"


def test_rate_change_accepts_whole_floats_and_rejects_negative():
    assert significance.rate_change(12.0, np.int64(10))["current"] == 12
    with pytest.raises(ValueError):
        significance.rate_change(-1, 3)
    with pytest.raises(ValueError):
        significance.rate_change(1.5, 3)


def test_change_record_is_rounded_and_json_ready():
    record = significance.change_record(significance.rate_change(3, 7))
    assert record["pct_change"] == pytest.approx(-57.1429)
    json.dumps(record, allow_nan=False)
    assert significance.change_record(None) is None


def monthly(values, start="2019-04-30"):
    return pd.Series(
        values, index=pd.date_range(start, periods=len(values), freq="ME"), dtype=float
    )


def test_series_rate_change_monthly_sums_two_windows():
    # April 2019 – March 2020: 12 × 10 = 120; April 2020 – March 2021: 12 × 8 = 96.
    result = significance.series_rate_change(monthly([10] * 12 + [8] * 12))
    assert (result["current"], result["previous"]) == (96, 120)
    assert result["pct_change"] == pytest.approx(-20)
    assert result["current_period_end"] == "2021-03-31"
    assert result["previous_period_end"] == "2020-03-31"


def test_series_rate_change_quarterly():
    series = pd.Series(
        [30, 30, 30, 30, 20, 20, 20, 20],
        index=pd.date_range("2019-06-30", periods=8, freq="QE"),
    )
    result = significance.series_rate_change(series)
    assert (result["current"], result["previous"]) == (80, 120)


def test_series_rate_change_needs_24_months():
    assert significance.series_rate_change(monthly([10] * 23)) is None
    assert significance.series_rate_change(monthly([])) is None


def test_series_rate_change_missing_month_is_none():
    values = [10.0] * 24
    values[3] = np.nan
    assert significance.series_rate_change(monthly(values)) is None
    dropped = monthly([10] * 24).drop(pd.Timestamp("2020-09-30"))
    assert significance.series_rate_change(dropped) is None


def test_series_rate_change_zero_counts():
    assert (
        significance.series_rate_change(monthly([0] * 24))["verdict"]
        == "insufficient_data"
    )
