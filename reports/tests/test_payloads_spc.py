"""SPC as the frozen payloads, the chart and the status sentence carry it: gaps,
provisional limits, baselines and cumulative totals. Pure: no database."""

import datetime as dt

import numpy as np
import pandas as pd

from reports.charts.measure import measure_charts
from reports.payloads.inputs import FreezeInputs
from reports.payloads.measures import build_measure_payloads

FOCUS = "E23000021"
AREAS = {FOCUS: {"name": "Leicestershire", "kind": "force", "parent": None}}
ALL_CRIME = dict(code="all_crime", title="All crime", unit="count", direction="down", frequency="monthly",
                 msg_comparable=False, priorities=[10], definition="d", method="m", caveats="",
                 under_reported=False, restricted=False, kind="value")  # fmt: skip
# The demo's all crime, January 2013 to March 2014 (test_spc worked these by hand).
DEMO_2013_14 = [6064, 5998, 5972, 6188, 6329, 6471, 6595, 6376, 6336, 6208, 5991, 5784, 5694, 5889, 5813]


def monthly_rows(code, values, *, first=dt.date(2013, 1, 1)):
    rows = []
    for k, value in enumerate(values):
        start = pd.Timestamp(first) + pd.DateOffset(months=k)
        end = start + pd.offsets.MonthEnd(0)
        if value is not None:
            rows.append((code, FOCUS, start.date().isoformat(), end.date().isoformat(), float(value)))
    return rows


def payloads(rows, *, measures=(ALL_CRIME,), as_of=dt.date(2014, 3, 31), annotations=(), **settings):
    frame = pd.DataFrame(rows, columns=["measure_code", "area_code", "period_start", "period_end", "value"])
    frame = frame.assign(numerator=np.nan, denominator=np.nan, respondents=np.nan, return_id=1)
    inputs = FreezeInputs(
        as_of=as_of, observations=frame, measures=list(measures), areas=AREAS,
        populations=pd.DataFrame(columns=["area_code", "mid_year", "population"]), peer_group="MSG",
        peer_members=[], annotations=list(annotations), focus_area=FOCUS,
        settings={"SPC_MIN_POINTS": 12, **settings},
    )  # fmt: skip
    results, overview = build_measure_payloads(inputs)
    return {key: payload for key, (_, payload) in results.items()}, overview


def test_missing_month_is_a_gap_in_the_payload_the_chart_and_its_table():
    values = DEMO_2013_14.copy()
    values[8] = None  # September 2013 never returned
    results, _ = payloads(monthly_rows("all_crime", values))
    points = results["measure:all_crime"]["trend"]["points"]
    assert [p["period_end"] for p in points][7:10] == ["2013-08-31", "2013-09-30", "2013-10-31"]
    assert points[8]["value"] is None and points[8]["signal"] is None
    assert results["series:all_crime:E23000021"]["points"][8]["value"] is None
    # Mean 6,098 and mean moving range 143.25 (no range spans the gap): limits 5,716.955 to 6,479.045.
    assert (points[0]["mean"], points[0]["lower_limit"], points[0]["upper_limit"]) == (6098, 5716.955, 6479.045)
    chart = measure_charts(results["measure:all_crime"], as_of="2014-03-31")[0]
    assert chart.summary.startswith("14 points from January 2013 to March 2014.")
    assert "Not returned: September 2013 (a gap in the line; no moving range spans it)." in chart.summary
    assert chart.table_rows[8][2] is None and chart.table_rows[8][8] == "not returned"
    assert chart.figure["data"][0]["y"][8] is None  # the line breaks there


def test_provisional_limits_are_said_in_the_series_the_sentence_and_the_chart():
    results, overview = payloads(monthly_rows("all_crime", DEMO_2013_14[:8]), as_of=dt.date(2013, 8, 31))
    payload = results["measure:all_crime"]
    assert all(p["provisional"] for p in results["series:all_crime:E23000021"]["points"])
    assert results["series:all_crime:E23000021"]["limits"] == payload["trend"]["limits"] == [
        {"from": "2013-01-31", "baseline_from": "2013-01-31", "baseline_to": "2013-08-31", "baseline_points": 8,
         "provisional": True, "min_points": 12, "recalculated": None}
    ]  # fmt: skip
    sentence = overview["measures"][0]["status"]["sentence"]
    assert "common cause variation (provisional limits: from 8 points, fewer than 12)" in sentence
    chart = measure_charts(payload, as_of="2013-08-31")[0]
    assert "Limits from the baseline January 2013 to August 2013 (8 points; provisional: fewer than 12)." in (
        chart.summary
    )
    # Legend names carry line breaks so they fit a 320 px chart (charts.LEGEND_CHARACTERS).
    names = {(trace.get("name") or "").replace("<br>", " ") for trace in chart.figure["data"]}
    assert "Process limits (provisional: fewer than 12 points)" in names
    # Twelve points: firm limits, and no sentence says otherwise.
    results, overview = payloads(monthly_rows("all_crime", DEMO_2013_14[:12]), as_of=dt.date(2013, 12, 31))
    assert "provisional" not in overview["measures"][0]["status"]["sentence"]
    assert not any(p["provisional"] for p in results["measure:all_crime"]["trend"]["points"])


SAVINGS = dict(ALL_CRIME, code="savings", title="Revenue savings", unit="pounds", direction="up",
               frequency="quarterly", cumulative=True)  # fmt: skip


def test_cumulative_total_is_progress_and_spc_judges_each_quarter():
    # Savings to date rise every quarter; each quarter's own figure is 1.1m, 0.9m, 1.2m, 0.9m, 0.9m,
    # 1.2m, 0.9m (the first quarter's own figure is not known): mean 7.1m / 7 = 1,014,285.71,
    # moving ranges 0.2, 0.3, 0.3, 0, 0.3, 0.3 (m) → 233,333.33; no rule fires.
    totals = [1_000_000, 2_100_000, 3_000_000, 4_200_000, 5_100_000, 6_000_000, 7_200_000, 8_100_000]
    rows = []
    for k, total in enumerate(totals):
        start = pd.Timestamp(2013, 4, 1) + pd.DateOffset(months=3 * k)
        end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
        rows.append(("savings", FOCUS, start.date().isoformat(), end.date().isoformat(), float(total)))
    results, overview = payloads(rows, measures=(SAVINGS,), as_of=dt.date(2015, 3, 31))
    payload = results["measure:savings"]
    points = payload["trend"]["points"]
    assert [p["period_value"] for p in points] == [None, 1.1e6, 0.9e6, 1.2e6, 0.9e6, 0.9e6, 1.2e6, 0.9e6]
    assert [p["value"] for p in points] == totals  # the running total is kept as it is
    assert points[-1]["mean"] == 1_014_285.7143 and points[-1]["upper_limit"] == 1_634_952.381
    assert payload["variation"] == "common_cause" and payload["status"]["tone"] == "common_cause"
    assert overview["measures"][0]["status"]["sentence"] == (
        "Revenue savings: Q4 2014/15 (January to March 2015), £8.1m in total so far; the period's own figure, "
        "£900,000, on the SPC chart: common cause variation (provisional limits: from 7 points, fewer than 12)."
    )
    progress, own = measure_charts(payload, as_of="2015-03-31")
    assert progress.id == "savings" and "improvement" not in progress.summary.lower()
    assert own.id == "trend" and own.title.startswith("Revenue savings, each period's own figure")
    assert own.summary.startswith("7 points from September 2013 to March 2015. Latest value £900,000")
    assert "Not returned" not in own.summary


def test_limits_come_from_a_fixed_baseline_until_an_explained_recalculation():
    # 34 months from January 2012: 20 alternating 100/110 (mean 105, mean moving range 10), then
    # fourteen months of 80 (all crime fell). With a 20-point baseline the limits stay 105 ± 26.6
    # = 78.4 .. 131.6, so the fall is a shift below the mean; from the explained change in
    # July 2014 new limits start (4 points: provisional).
    values = [100, 110] * 10 + [80] * 14
    change = {"measure_code": "all_crime", "area_code": None, "date": dt.date(2014, 7, 1), "label": "New rules",
              "text": "Home Office counting rules changed.", "recalculate_limits": True}  # fmt: skip
    results, _ = payloads(
        monthly_rows("all_crime", values, first=dt.date(2012, 1, 1)),
        as_of=dt.date(2014, 10, 31),
        annotations=[change],
        SPC_BASELINE_POINTS=20,
    )
    trend = results["measure:all_crime"]["trend"]
    points = trend["points"]
    assert [p["mean"] for p in points] == [105] * 30 + [80] * 4
    assert (points[0]["lower_limit"], points[0]["upper_limit"]) == (78.4, 131.6)
    assert [p["signal"] for p in points[20:26]] == ["improvement"] * 6  # shift below the mean
    assert trend["limits"] == [
        {"from": "2012-01-31", "baseline_from": "2012-01-31", "baseline_to": "2013-08-31", "baseline_points": 20,
         "provisional": False, "min_points": 12, "recalculated": None},
        {"from": "2014-07-31", "baseline_from": "2014-07-31", "baseline_to": "2014-10-31", "baseline_points": 4,
         "provisional": True, "min_points": 12,
         "recalculated": {"date": "2014-07-01", "label": "New rules", "text": "Home Office counting rules changed."}},
    ]  # fmt: skip
    chart = measure_charts(results["measure:all_crime"], as_of="2014-10-31")[0]
    assert chart.summary.endswith(
        "Limits from the baseline January 2012 to August 2013 (20 points). Limits recalculated from July 2014 "
        "(New rules: Home Office counting rules changed), from the baseline July 2014 to October 2014 (4 points; "
        "provisional: fewer than 12)."
    )


def test_chart_says_when_most_points_since_the_baseline_are_special_cause():
    values = [100, 110] * 10 + [80] * 14  # as above, with no recalculation yet
    results, _ = payloads(
        monthly_rows("all_crime", values, first=dt.date(2012, 1, 1)),
        as_of=dt.date(2014, 10, 31),
        SPC_BASELINE_POINTS=20,
    )
    chart = measure_charts(results["measure:all_crime"], as_of="2014-10-31")[0]
    assert chart.notes == [
        "14 of the 14 points since the baseline (January 2012 to August 2013) show special cause variation: the "
        "process has probably changed. The limits stay on that baseline until the co-ordinator recalculates them "
        "at a dated, explained change (an annotation)."
    ]
