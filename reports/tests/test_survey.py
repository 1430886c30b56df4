"""Tests for reports.analysis.survey (Wilson intervals, two-proportion test); no database."""

import json
import math

import pandas as pd
import pytest

from reports.analysis import survey


def test_wilson_interval_half_of_hundred():
    # z² = 3.841459; denominator 1 + z²/100 = 1.03841459; centre (0.5 + 0.019207)/1.038415 = 0.5;
    # half = 1.959964/1.038415 × √(0.25/100 + 3.841459/40,000) = 1.887456 × 0.0509514 = 0.0961686.
    low, high = survey.wilson_interval(50, 100)
    assert low == pytest.approx(40.3831, abs=1e-3)
    assert high == pytest.approx(59.6169, abs=1e-3)


def test_wilson_interval_zero_percent_stays_in_range():
    # p = 0, n = 10: centre = (3.841459/20)/1.3841459 = 0.138767 and half is the same,
    # so the interval is 0% to 27.75%.
    low, high = survey.wilson_interval(0, 10)
    assert low == pytest.approx(0, abs=1e-9)
    assert high == pytest.approx(27.7535, abs=1e-3)


def test_wilson_interval_hundred_percent_stays_in_range():
    low, high = survey.wilson_interval(100, 10)
    assert high == pytest.approx(100, abs=1e-9)
    assert low == pytest.approx(72.2465, abs=1e-3)  # mirror of the 0% case


def test_wilson_interval_no_respondents_is_none():
    assert survey.wilson_interval(50, 0) == (None, None)
    assert survey.wilson_interval(float("nan"), 100) == (None, None)


def test_two_proportion_test_significant_increase():
    # 50% → 65% of 100 each: pooled 0.575; se = √(0.575 × 0.425 × 0.02) = 0.0699106;
    # z = 0.15 / 0.0699106 = 2.1456; two-sided p = 2 × (1 − Φ(2.1456)) ≈ 0.0319.
    result = survey.two_proportion_test(50, 100, 65, 100)
    assert result["diff"] == pytest.approx(15)
    assert result["z"] == pytest.approx(2.1456, abs=1e-4)
    assert result["p_value"] == pytest.approx(0.0319, abs=2e-4)
    assert result["verdict"] == "significant_increase"


def test_two_proportion_test_significant_decrease():
    result = survey.two_proportion_test(65, 100, 50, 100)
    assert result["diff"] == pytest.approx(-15)
    assert result["verdict"] == "significant_decrease"


def test_two_proportion_test_small_change_not_significant():
    # 78% → 80% of 200 each: pooled 0.79, se = √(0.79 × 0.21 × 0.01) = 0.040731; z = 0.491.
    result = survey.two_proportion_test(78, 200, 80, 200)
    assert result["z"] == pytest.approx(0.4910, abs=1e-3)
    assert result["verdict"] == "no_significant_change"


def test_two_proportion_test_all_zero_or_all_hundred():
    for pct in (0, 100):
        result = survey.two_proportion_test(pct, 10, pct, 20)
        assert (result["z"], result["p_value"]) == (0, 1)
        assert result["verdict"] == "no_significant_change"


def test_two_proportion_test_no_respondents_is_insufficient():
    result = survey.two_proportion_test(50, 0, 60, 100)
    assert result["verdict"] == "insufficient_data"
    assert result["p_value"] is None
    json.dumps(result, allow_nan=False)


def test_survey_frame_adds_intervals():
    frame = pd.DataFrame(
        {
            "period_end": pd.to_datetime(["2014-03-31", "2014-06-30"]),
            "value": [50.0, 80.0],
            "respondents": [100, 0],
        }
    )
    result = survey.survey_frame(frame)
    assert result["ci_low"].iloc[0] == pytest.approx(40.3831, abs=1e-3)
    assert math.isnan(result["ci_low"].iloc[1]) and math.isnan(
        result["ci_high"].iloc[1]
    )
    records = survey.survey_records(result)
    assert records[1]["ci_low"] is None and records[0]["period_end"] == "2014-03-31"
    json.dumps(records, allow_nan=False)
