"""Tests for reports.analysis.spc (XmR charts); pure, no database."""

import datetime as dt
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.analysis import spc

# Ten alternating points 10, 12, ...: mean 11, every moving range 2, so mean MR 2,
# limits 11 ± 2.66 × 2 = 5.68 / 16.32 and 2-sigma lines 11 ± 1.773 × 2 = 7.454 / 14.546.
BASELINE = [10, 12] * 5


def monthly(values, start="2020-01-31"):
    index = pd.date_range(start, periods=len(values), freq="ME")
    return pd.Series(
        [np.nan if v is None else v for v in values], index=index, dtype=float
    )


def flagged(chart, rule):
    return [i for i, rules in enumerate(chart["rules"]) if rule in rules.split(",")]


def test_xmr_limits_hand_worked():
    # values 10, 12, 11, 13, 10, 12: sum 68, mean 11.3333; moving ranges 2, 1, 2, 3, 2 →
    # mean 2.0; UCL 11.3333 + 5.32 = 16.6533; LCL 6.0133; 2-sigma 11.3333 ± 3.546.
    chart = spc.xmr(monthly([10, 12, 11, 13, 10, 12]), direction="down")
    row = chart.iloc[0]
    assert row["mean"] == pytest.approx(11.333333, abs=1e-5)
    assert row["upper_limit"] == pytest.approx(16.653333, abs=1e-5)
    assert row["lower_limit"] == pytest.approx(6.013333, abs=1e-5)
    assert row["upper_2sigma"] == pytest.approx(14.879333, abs=1e-5)
    assert row["lower_2sigma"] == pytest.approx(7.787333, abs=1e-5)
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
    assert not spc.xmr(monthly(BASELINE + [11, 11]), direction="up")[
        "provisional"
    ].any()


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
    chart = spc.xmr(
        monthly(BASELINE + [10, 9, 10, 9, 10, 9]), direction="down", baseline_points=10
    )
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
    chart = spc.xmr(
        monthly(BASELINE + [15, 11.5, 15]), direction="down", baseline_points=10
    )
    assert flagged(chart, "two_of_three") == [10, 12]
    assert flagged(chart, "beyond_limit") == []
    assert list(chart["signal"].iloc[10:]) == ["concern", None, "concern"]


def test_xmr_two_of_three_counts_points_beyond_the_limit():
    # 17 > UCL 16.32 and 15 > 14.546: both flagged two_of_three; 17 also beyond_limit.
    chart = spc.xmr(monthly(BASELINE + [17, 15]), direction="up", baseline_points=10)
    assert chart["rules"].iloc[10] == "beyond_limit,two_of_three"
    assert chart["rules"].iloc[11] == "two_of_three"
    assert spc.latest_variation(chart) == "improvement"


def test_xmr_one_point_beyond_lower_limit_when_down_is_improvement():
    # 5 < LCL 5.68 and also < 7.454 but alone: beyond_limit only.
    chart = spc.xmr(monthly(BASELINE + [5]), direction="down", baseline_points=10)
    assert chart["rules"].iloc[10] == "beyond_limit"
    assert chart["signal"].iloc[10] == "improvement"


def test_xmr_direction_neither_gives_neutral_signal():
    chart = spc.xmr(monthly(BASELINE + [20]), direction="neither", baseline_points=10)
    assert chart["signal"].iloc[10] == "neutral"
    assert spc.latest_variation(chart) == "neutral"


def test_xmr_missing_month_is_kept_and_skipped():
    # 10, NaN, 14, 12: moving ranges |14 − 10| = 4 and 2, mean 3; mean (10+14+12)/3 = 12.
    chart = spc.xmr(monthly([10, None, 14, 12]), direction="down")
    assert len(chart) == 4
    assert math.isnan(chart["value"].iloc[1])
    assert chart["signal"].iloc[1] is None
    assert chart["moving_range"].iloc[2] == 4
    assert chart["upper_limit"].iloc[0] == pytest.approx(12 + 2.66 * 3)


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
    chart = spc.xmr(
        monthly(values), direction="down", recalculate_at=[dt.date(2021, 1, 15)]
    )
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


# A straightforward reference: sliding windows rather than maximal runs.
def reference_rules(values, *, run_length, trend_length):
    xs = [v for v in values if v is not None]
    n = len(xs)
    flags = [set() for _ in range(n)]
    if n == 0:
        return flags
    mean = sum(xs) / n
    mrs = [abs(xs[k] - xs[k - 1]) for k in range(1, n)]
    mr = sum(mrs) / len(mrs) if mrs else 0
    if mr > 0:
        ucl, lcl = mean + 2.66 * mr, mean - 2.66 * mr
        u2, l2 = mean + 1.773 * mr, mean - 1.773 * mr
        for k in range(n):
            if xs[k] > ucl or xs[k] < lcl:
                flags[k].add("beyond_limit")
        for k in range(n - 2):
            for beyond in (lambda x: x > u2, lambda x: x < l2):
                hits = [j for j in range(k, k + 3) if beyond(xs[j])]
                if len(hits) >= 2:
                    for j in hits:
                        flags[j].add("two_of_three")
    for k in range(n - run_length + 1):
        window = xs[k : k + run_length]
        if all(x > mean for x in window) or all(x < mean for x in window):
            for j in range(k, k + run_length):
                flags[j].add("shift")
    for k in range(n - trend_length + 1):
        window = xs[k : k + trend_length]
        steps = list(itertools.pairwise(window))
        if all(b > a for a, b in steps) or all(b < a for a, b in steps):
            for j in range(k, k + trend_length):
                flags[j].add("trend")
    return flags


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 12)), min_size=0, max_size=40),
    run_length=st.integers(2, 8),
    trend_length=st.integers(2, 8),
)
def test_xmr_rules_match_reference_loop(values, run_length, trend_length):
    chart = spc.xmr(
        monthly(values),
        direction="down",
        run_length=run_length,
        trend_length=trend_length,
    )
    present = chart[chart["value"].notna()]
    got = [set(r.split(",")) - {""} for r in present["rules"]]
    assert got == reference_rules(
        values, run_length=run_length, trend_length=trend_length
    )
    # a signal exactly where some rule fired, none on missing points
    assert [s is not None for s in present["signal"]] == [bool(r) for r in got]
    assert chart.loc[chart["value"].isna(), "signal"].isna().all()
