"""Tests for reports.analysis.spc (XmR charts); pure, no database."""

import datetime as dt
import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.analysis import spc

# Ten alternating points 10, 12, ...: mean 11, every moving range 2, so mean MR 2,
# limits 11 ± 2.66 × 2 = 5.68 / 16.32 and 2-sigma lines 11 ± 2.66 × 2/3 × 2 = 7.4533 / 14.5467.
BASELINE = [10, 12] * 5


def monthly(values, start="2020-01-31"):
    index = pd.date_range(start, periods=len(values), freq="ME")
    return pd.Series([np.nan if v is None else v for v in values], index=index, dtype=float)


def flagged(chart, rule):
    return [i for i, rules in enumerate(chart["rules"]) if rule in rules.split(",")]


def test_xmr_limits_hand_worked():
    # values 10, 12, 11, 13, 10, 12: sum 68, mean 11.3333; moving ranges 2, 1, 2, 3, 2 →
    # mean 2.0; UCL 11.3333 + 5.32 = 16.6533; LCL 6.0133; 2-sigma 11.3333 ± 3.5467.
    chart = spc.xmr(monthly([10, 12, 11, 13, 10, 12]), direction="down")
    row = chart.iloc[0]
    assert row["mean"] == pytest.approx(11.333333, abs=1e-5)
    assert row["upper_limit"] == pytest.approx(16.653333, abs=1e-5)
    assert row["lower_limit"] == pytest.approx(6.013333, abs=1e-5)
    assert row["upper_2sigma"] == pytest.approx(14.880000, abs=1e-5)
    assert row["lower_2sigma"] == pytest.approx(7.786667, abs=1e-5)
    assert math.isnan(chart["moving_range"].iloc[0])
    assert list(chart["moving_range"].iloc[1:]) == [2, 1, 2, 3, 2]
    assert chart["signal"].isna().all()
    assert list(chart.columns[:11]) == [
        "period_end",
        "value",
        "mean",
        "upper_limit",
        "lower_limit",
        "upper_2sigma",
        "lower_2sigma",
        "moving_range",
        "signal",
        "rules",
        "provisional",
    ]


def test_xmr_constant_series_has_no_signals():
    chart = spc.xmr(monthly([5] * 15), direction="down")
    assert (chart["mean"] == 5).all()
    assert (chart["upper_limit"] == 5).all() and (chart["lower_limit"] == 5).all()
    assert chart["signal"].isna().all()
    assert (chart["rules"] == "").all()
    assert spc.latest_variation(chart) == "common_cause"


def test_xmr_fewer_than_min_points_is_provisional():
    assert spc.xmr(monthly(BASELINE + [11]), direction="up")["provisional"].all()
    assert not spc.xmr(monthly(BASELINE + [11, 11]), direction="up")["provisional"].any()


def test_xmr_run_of_seven_below_mean_flags_shift():
    # Baseline fixed at the first 10 points (mean 11). Seven points of 10 or 9 sit below 11,
    # inside the 2-sigma line 7.454, and alternate, so only the shift rule can fire.
    chart = spc.xmr(
        monthly(BASELINE + [10, 9, 10, 9, 10, 9, 10]),
        direction="down",
        baseline_points=10,
    )
    assert flagged(chart, "shift") == list(range(10, 17))
    assert list(chart["signal"].iloc[10:]) == ["improvement"] * 7
    assert chart["signal"].iloc[:10].isna().all()


def test_xmr_run_of_six_below_mean_is_not_a_shift():
    chart = spc.xmr(monthly(BASELINE + [10, 9, 10, 9, 10, 9]), direction="down", baseline_points=10)
    assert flagged(chart, "shift") == []
    assert spc.latest_variation(chart) == "common_cause"


def test_xmr_point_on_mean_breaks_a_run():
    # 11 is exactly the mean, so 3 + 4 below is not 7 in a row.
    chart = spc.xmr(
        monthly(BASELINE + [10, 9, 10, 11, 10, 9, 10, 9]),
        direction="down",
        baseline_points=10,
    )
    assert flagged(chart, "shift") == []


def test_xmr_trend_of_seven_rising_flags_trend():
    # After 12 (index 9): 9, 9.5, 10, 10.5, 11, 11.5, 12 rise six times = 7 points.
    # They cross the mean (no shift) and stay inside 7.454..14.546 (no limit rules).
    chart = spc.xmr(
        monthly(BASELINE + [9, 9.5, 10, 10.5, 11, 11.5, 12]),
        direction="up",
        baseline_points=10,
    )
    assert flagged(chart, "trend") == list(range(10, 17))
    assert set(chart["rules"].iloc[10:]) == {"trend"}
    assert list(chart["signal"].iloc[10:]) == ["improvement"] * 7


def test_xmr_six_rising_points_are_not_a_trend():
    chart = spc.xmr(
        monthly(BASELINE + [9, 9.5, 10, 10.5, 11, 11.5]),
        direction="up",
        baseline_points=10,
    )
    assert flagged(chart, "trend") == []


def test_xmr_equal_values_break_a_trend():
    chart = spc.xmr(
        monthly(BASELINE + [9, 9.5, 10, 10, 10.5, 11, 11.5, 12]),
        direction="up",
        baseline_points=10,
    )
    assert flagged(chart, "trend") == []


def test_xmr_two_of_three_beyond_two_sigma_flags_those_points():
    # 15 > 14.546 (upper 2-sigma) but < 16.32 (UCL); 11.5 is not beyond, so indexes 10 and 12.
    chart = spc.xmr(monthly(BASELINE + [15, 11.5, 15]), direction="down", baseline_points=10)
    assert flagged(chart, "two_of_three") == [10, 12]
    assert flagged(chart, "beyond_limit") == []
    assert list(chart["signal"].iloc[10:]) == ["concern", None, "concern"]


def test_xmr_point_beyond_the_limit_does_not_count_towards_two_of_three():
    # Both NHS references count only points between the 2-sigma line and the limit: 17 > UCL
    # 16.32 is its own signal, and 15 (between 14.5467 and 16.32) is then alone.
    chart = spc.xmr(monthly(BASELINE + [17, 15]), direction="up", baseline_points=10)
    assert chart["rules"].iloc[10] == "beyond_limit"
    assert chart["rules"].iloc[11] == ""
    assert spc.latest_variation(chart) == "common_cause"


def test_xmr_two_of_three_needs_all_three_points_on_one_side_of_the_mean():
    # Worked by hand. Seventeen points: sum 891.8, mean 52.45882; moving ranges of the 14
    # stable points sum to 34, then 10.5, 10 and 10.3: 64.8 / 16 = 4.05. Upper 2-sigma line
    # 52.45882 + 1.77333 × 4.05 = 59.64082, UCL 52.45882 + 2.66 × 4.05 = 63.23182: 60.5 and
    # 60.8 lie between them, but 50.5 is below the mean, so no run of three on one side.
    stable = [50, 54, 52, 49, 53, 51, 50, 54, 52, 49, 53, 51, 52, 50]
    chart = spc.xmr(monthly(stable + [60.5, 50.5, 60.8]), direction="up")
    assert chart["mean"].iloc[0] == pytest.approx(52.458824, abs=1e-6)
    assert chart["upper_2sigma"].iloc[0] == pytest.approx(59.640824, abs=1e-6)
    assert chart["upper_limit"].iloc[0] == pytest.approx(63.231824, abs=1e-6)
    assert (chart["rules"] == "").all()
    assert spc.latest_variation(chart) == "common_cause"
    # The same two points with the middle one above the mean (52.6 > 52.4706) do signal.
    chart = spc.xmr(monthly(stable + [60.5, 52.6, 60.8]), direction="up")
    assert flagged(chart, "two_of_three") == [14, 16]
    assert spc.latest_variation(chart) == "improvement"


def test_xmr_conflicting_rules_follow_the_conflict_setting():
    # Seven rising points all below the mean 11 (7.5 is inside the 2-sigma line 7.4533): a
    # shift below (concern when up is good) and a rising trend (improvement) on the same points.
    values = monthly(BASELINE + [7.5, 8, 8.5, 9, 9.5, 10, 10.5])
    chart = spc.xmr(values, direction="up", baseline_points=10)
    assert set(chart["rules"].iloc[10:]) == {"shift,trend"}
    assert list(chart["signal"].iloc[10:]) == ["concern"] * 7
    chart = spc.xmr(values, direction="up", baseline_points=10, conflict="improvement")
    assert list(chart["signal"].iloc[10:]) == ["improvement"] * 7


def test_xmr_one_point_beyond_lower_limit_when_down_is_improvement():
    # 5 < LCL 5.68 and also < 7.454 but alone: beyond_limit only.
    chart = spc.xmr(monthly(BASELINE + [5]), direction="down", baseline_points=10)
    assert chart["rules"].iloc[10] == "beyond_limit"
    assert chart["signal"].iloc[10] == "improvement"


def test_xmr_direction_neither_gives_neutral_signal():
    chart = spc.xmr(monthly(BASELINE + [20]), direction="neither", baseline_points=10)
    assert chart["signal"].iloc[10] == "neutral"
    assert spc.latest_variation(chart) == "neutral"


def test_xmr_missing_month_is_kept_and_no_moving_range_spans_it():
    # 10, gap, 14, 12: the only moving range is |12 − 14| = 2; mean (10+14+12)/3 = 12.
    chart = spc.xmr(monthly([10, None, 14, 12]), direction="down")
    assert len(chart) == 4
    assert math.isnan(chart["value"].iloc[1])
    assert chart["signal"].iloc[1] is None
    assert math.isnan(chart["moving_range"].iloc[2])
    assert chart["moving_range"].iloc[3] == 2
    assert chart["upper_limit"].iloc[0] == pytest.approx(12 + 2.66 * 2)


def test_xmr_all_crime_with_september_missing():
    # Worked by hand, with the demo's all crime January 2013 to March 2014 and September 2013
    # never returned. Fourteen points summing 85,372: mean 6,098. Twelve moving ranges (none
    # spans August to October): 66 + 26 + 216 + 141 + 142 + 124 + 219 and 217 + 207 + 90 + 195
    # + 76 = 1,719, mean 143.25 (with the August–October jump of 168 it would be 1,887 / 13 =
    # 145.15). Limits 6,098 ± 2.66 × 143.25 = 5,716.955 and 6,479.045.
    values = [6064, 5998, 5972, 6188, 6329, 6471, 6595, 6376, None, 6208, 5991, 5784, 5694, 5889, 5813]
    chart = spc.xmr(monthly(values, start="2013-01-31"), direction="down")
    assert chart["moving_range"].notna().sum() == 12
    assert math.isnan(chart["moving_range"].iloc[9])  # October: the month before is missing
    assert chart["mean"].iloc[0] == 6098
    assert chart["upper_limit"].iloc[0] == pytest.approx(6479.045)
    assert chart["lower_limit"].iloc[0] == pytest.approx(5716.955)


def test_xmr_missing_month_does_not_break_a_shift():
    # four below, a missing month, three below: seven non-missing points in a row.
    chart = spc.xmr(
        monthly(BASELINE + [10, 9, 10, 9, None, 10, 9, 10]),
        direction="up",
        baseline_points=10,
    )
    assert flagged(chart, "shift") == [10, 11, 12, 13, 15, 16, 17]
    assert chart["signal"].iloc[17] == "concern"


def test_xmr_recalculation_at_date_starts_new_limits():
    # 2020: alternating 10/12 (mean 11, mean MR 2); 2021: alternating 20/22 (mean 21, MR 2).
    # Without recalculation all 2021 points sit above the overall mean 16: a shift.
    values = [10, 12] * 6 + [20, 22] * 6
    plain = spc.xmr(monthly(values), direction="down")
    assert "shift" in plain["rules"].iloc[-1]
    chart = spc.xmr(monthly(values), direction="down", recalculate_at=[dt.date(2021, 1, 15)])
    assert list(chart["segment"]) == [0] * 12 + [1] * 12
    assert set(chart["mean"].iloc[:12]) == {11}
    assert set(chart["mean"].iloc[12:]) == {21}
    assert chart["upper_limit"].iloc[12] == pytest.approx(21 + 2.66 * 2)
    assert math.isnan(chart["moving_range"].iloc[12])
    assert chart["signal"].isna().all()


def test_latest_variation_skips_trailing_missing_point():
    chart = spc.xmr(monthly(BASELINE + [5, None]), direction="up", baseline_points=10)
    assert spc.latest_variation(chart) == "concern"


def test_latest_variation_empty_chart_is_none():
    assert spc.latest_variation(spc.xmr(monthly([None, None]), direction="up")) is None


def test_chart_records_are_json_ready():
    records = spc.chart_records(spc.xmr(monthly([10, None, 14, 12]), direction="up"))
    text = json.dumps(records, allow_nan=False)
    assert records[0]["period_end"] == "2020-01-31"
    assert records[1]["value"] is None
    assert records[0]["provisional"] is True
    assert "NaN" not in text


def test_xmr_rejects_unknown_direction():
    with pytest.raises(ValueError):
        spc.xmr(monthly([1, 2]), direction="sideways")


# A reference written from the published rules (Making Data Count; NHSRplotthedots and the NHS
# England SQL), in exact arithmetic so that a point exactly on a line is decided exactly:
# sliding windows rather than maximal runs, one pass per rule, no code shared with the product.
LIMIT = Fraction(266, 100)
TWO_SIGMA = LIMIT * 2 / 3


def reference_chart(values, *, direction, baseline_points, run_length, trend_length, conflict="concern"):
    """values: Fractions or None (a period never returned). Returns (lines, [(rules, signal)] per
    present point) where lines = (mean, mean moving range) or None when there is no point."""
    present = [i for i, v in enumerate(values) if v is not None]
    if not present:
        return None, []
    base = present if baseline_points is None else present[:baseline_points]
    mean = sum(values[i] for i in base) / len(base)
    ranges = [abs(values[i] - values[i - 1]) for i in base[1:] if values[i - 1] is not None]
    mr = sum(ranges) / len(ranges) if ranges else None
    xs = [values[i] for i in present]
    n = len(xs)
    high = [set() for _ in range(n)]
    low = [set() for _ in range(n)]
    if mr:  # no limits when there is no moving range or every moving range is 0
        ucl, lcl = mean + LIMIT * mr, mean - LIMIT * mr
        u2, l2 = mean + TWO_SIGMA * mr, mean - TWO_SIGMA * mr
        for k, x in enumerate(xs):
            if x > ucl:
                high[k].add("beyond_limit")
            if x < lcl:
                low[k].add("beyond_limit")
        for k in range(n - 2):
            window = range(k, k + 3)
            if all(xs[j] > mean for j in window):
                zone = [j for j in window if u2 < xs[j] <= ucl]
                if len(zone) >= 2:
                    for j in zone:
                        high[j].add("two_of_three")
            if all(xs[j] < mean for j in window):
                zone = [j for j in window if lcl <= xs[j] < l2]
                if len(zone) >= 2:
                    for j in zone:
                        low[j].add("two_of_three")
    for k in range(n - run_length + 1):
        window = range(k, k + run_length)
        for test, marks in ((lambda x: x > mean, high), (lambda x: x < mean, low)):
            if all(test(xs[j]) for j in window):
                for j in window:
                    marks[j].add("shift")
    for k in range(n - trend_length + 1):
        window = xs[k : k + trend_length]
        steps = list(itertools.pairwise(window))
        for test, marks in ((lambda a, b: b > a, high), (lambda a, b: b < a, low)):
            if all(test(a, b) for a, b in steps):
                for j in range(k, k + trend_length):
                    marks[j].add("trend")
    points = []
    for up_rules, down_rules in zip(high, low):
        rules = up_rules | down_rules
        if not rules:
            signal = None
        elif direction == "neither":
            signal = "neutral"
        else:
            good, bad = (up_rules, down_rules) if direction == "up" else (down_rules, up_rules)
            signal = conflict if good and bad else ("improvement" if good else "concern")
        points.append((rules, signal))
    return (mean, mr), points


LINES = ("mean", "upper_limit", "lower_limit", "upper_2sigma", "lower_2sigma")


def _on_line(name, mean, mr):
    offset = {"mean": 0, "upper_limit": LIMIT, "lower_limit": -LIMIT, "upper_2sigma": TWO_SIGMA,
              "lower_2sigma": -TWO_SIGMA}[name]  # fmt: skip
    return mean + offset * (mr or 0)


values_strategy = st.lists(
    st.one_of(st.none(), st.integers(0, 12), st.integers(0, 24).map(lambda k: Fraction(k, 2))), max_size=30
)


@settings(max_examples=400, deadline=None)
@given(
    head=values_strategy,
    tail=st.lists(st.one_of(st.none(), st.integers(0, 14), st.sampled_from(LINES)), max_size=20),
    constant=st.one_of(st.none(), st.integers(0, 5)),
    constant_in_tail=st.booleans(),
    run_length=st.integers(2, 8),
    trend_length=st.integers(2, 8),
    direction=st.sampled_from(["up", "down", "neither"]),
    conflict=st.sampled_from(["improvement", "concern"]),
)
def test_xmr_signals_match_the_published_rules(
    head, tail, constant, constant_in_tail, run_length, trend_length, direction, conflict
):
    """Random series with gaps, ties, constant runs and points exactly on the mean, a limit or a
    2-sigma line: the limits come from the head (a fixed baseline), and the tail's named points
    sit exactly on that baseline's lines."""
    if constant is not None and constant_in_tail:
        tail = tail + [constant] * 8
    elif constant is not None:
        head = head + [constant] * 8
    present_in_head = sum(v is not None for v in head)
    baseline_points = present_in_head or None
    values = [None if v is None else Fraction(v) for v in head]
    lines, _ = reference_chart(values, direction=direction, baseline_points=baseline_points,
                               run_length=run_length, trend_length=trend_length)  # fmt: skip
    for token in tail:
        if isinstance(token, str):
            if lines is None:
                continue
            values.append(_on_line(token, *lines))
        else:
            values.append(None if token is None else Fraction(token))
    lines, expected = reference_chart(values, direction=direction, baseline_points=baseline_points,
                                      run_length=run_length, trend_length=trend_length, conflict=conflict)  # fmt: skip
    chart = spc.xmr(
        monthly([None if v is None else float(v) for v in values]),
        direction=direction,
        baseline_points=baseline_points,
        run_length=run_length,
        trend_length=trend_length,
        conflict=conflict,
    )
    present = chart[chart["value"].notna()]
    got = [(set(r.split(",")) - {""}, s) for r, s in zip(present["rules"], present["signal"])]
    assert got == expected
    assert chart.loc[chart["value"].isna(), "signal"].isna().all()
    if lines is not None:
        mean, mr = lines
        assert chart["mean"].iloc[0] == pytest.approx(float(mean), rel=1e-12, abs=1e-12)
        if mr is not None:
            assert chart["upper_limit"].iloc[0] == pytest.approx(float(mean + LIMIT * mr), rel=1e-12)
            assert chart["lower_2sigma"].iloc[0] == pytest.approx(float(mean - TWO_SIGMA * mr), rel=1e-12, abs=1e-12)
        assert chart["provisional"].all() == (min(baseline_points or 10**6, len(present)) < 12)


def test_xmr_columns_match_xmr_with_recalculation_and_gaps():
    rng = np.random.default_rng(3)
    values = rng.normal(100, 10, 40)
    values[[5, 17]] = np.nan
    values[25:33] += 40  # a shift
    index = pd.date_range("2012-01-31", periods=40, freq="ME")
    chart = spc.xmr(pd.Series(values, index=index), direction="down", recalculate_at=[dt.date(2013, 6, 30)])
    columns = spc.xmr_columns(values, index.values, direction="down", recalculate_at=[dt.date(2013, 6, 30)])
    for name in ("mean", "upper_limit", "lower_limit", "upper_2sigma", "lower_2sigma", "moving_range"):
        np.testing.assert_array_equal(chart[name].to_numpy(), columns[name])
    assert list(chart["signal"]) == columns["signal"]
    assert list(chart["rules"]) == columns["rules"]
    assert list(chart["provisional"]) == list(columns["provisional"])
    assert list(chart["baseline"]) == list(columns["baseline"])
