"""Every sentence the status can write, for a table of varied cases.

Each expected sentence was read as a Panel member would read it: the article matches the figure
as spoken, a tiny or near-total change is not shown as 0% or 100%, halves round up, a tie is
"joint", and a 12-month total and the latest month's SPC signal say which is which. The change
dicts are written by hand (percentages worked by hand), not made by the product's code.
"""

import pytest

from reports.analysis.status import measure_status, percent_text, with_article
from reports.charts.msg import fig_msg
from reports.charts.savings import fig_savings
from reports.charts.survey import fig_survey
from reports.charts.trend import fig_trend
from reports.presenters import significance_rows
from reports.report_pages import significance_sentence


def change(current, previous, verdict):
    pct = None if previous == 0 else (current - previous) / previous * 100
    return {"current": current, "previous": previous, "change": current - previous, "pct_change": pct,
            "verdict": verdict}  # fmt: skip


TIED_LOWEST = {"focus_rank": 1, "group_size": 8, "focus_rank_shared": 2, "focus_position": "below",
               "focus_relative": "similar", "rank_1_is": "lowest"}  # fmt: skip
BURGLARY = dict(title="Burglary dwelling", unit="count", direction="down", under_reported=False,
                period_label="12 months to May 2014", latest_label="May 2014",
                comparison_label="the previous 12 months")  # fmt: skip
HATE = {**BURGLARY, "title": "Hate crime", "direction": "neither", "under_reported": True}
LEAD = "Burglary dwelling: 12 months to May 2014"
COMMON = "May 2014 on the SPC chart: common cause variation."
WHY = (
    "(the SPC chart judges May 2014 against its own history; the 12-month total is compared with the "
    "previous 12 months, so the two can point different ways)"
)

CASES = [
    # The burglary case: a 12-month rise that is not significant beside a latest-month improvement.
    (dict(BURGLARY, latest_value=4321, variation="improvement", change=change(4321, 4236, "no_significant_change"),
          msg=TIED_LOWEST),
     f"{LEAD}, 4,321, a 2% increase on the previous 12 months, not a significant change; May 2014 on the SPC "
     f"chart: special cause variation showing improvement {WHY}; joint lowest of 8 in the Most Similar Group, "
     "below the group average but inside the band, so in line with similar forces."),
    # 920 against 1,000 = −8%: "an 8%".
    (dict(BURGLARY, latest_value=920, variation="common_cause", change=change(920, 1000, "no_significant_change"),
          msg=None),
     f"{LEAD}, 920, an 8% reduction on the previous 12 months, not a significant change; {COMMON}"),
    # 2,000,000,000 against 2,001,000,000 = −0.049975%: not "0.0%".
    (dict(BURGLARY, latest_value=2e9, variation="common_cause",
          change=change(2_000_000_000, 2_001_000_000, "significant_reduction"), msg=None),
     f"{LEAD}, 2,000,000,000, a significant 0.05% reduction on the previous 12 months; {COMMON}"),
    # 4 against 1,000 = −99.6%: not "100%".
    (dict(BURGLARY, latest_value=4, variation="common_cause", change=change(4, 1000, "significant_reduction"),
          msg=None),
     f"{LEAD}, 4, a significant 99.6% reduction on the previous 12 months; {COMMON}"),
    # 1 against 10,000 = −99.99%.
    (dict(BURGLARY, latest_value=1, variation="common_cause", change=change(1, 10000, "significant_reduction"),
          msg=None),
     f"{LEAD}, 1, a significant reduction of more than 99.9% on the previous 12 months; {COMMON}"),
    # 10,004 against 10,000 = +0.04%: a change, however small, is not "no change".
    (dict(BURGLARY, latest_value=10004, variation="common_cause",
          change=change(10004, 10000, "no_significant_change"), msg=None),
     f"{LEAD}, 10,004, a 0.04% increase on the previous 12 months, not a significant change; {COMMON}"),
    # 1,105 against 1,000 = +10.5%: a half rounds up, and "an 11%".
    (dict(BURGLARY, latest_value=1105, variation="common_cause", change=change(1105, 1000, "no_significant_change"),
          msg=None),
     f"{LEAD}, 1,105, an 11% increase on the previous 12 months, not a significant change; {COMMON}"),
    # 3 against none.
    (dict(BURGLARY, latest_value=3, variation="common_cause", change=change(3, 0, "no_significant_change"), msg=None),
     f"{LEAD}, 3, an increase from none in the previous 12 months; {COMMON}"),
    # The same count both years; provisional limits.
    (dict(BURGLARY, latest_value=500, variation="common_cause", change=change(500, 500, "no_significant_change"),
          msg=None, limits={"provisional": True, "baseline_points": 8, "min_points": 12}),
     f"{LEAD}, 500, no change on the previous 12 months; May 2014 on the SPC chart: common cause variation "
     "(provisional limits: from 8 points, fewer than 12)."),
    # Up is good: a significant fall, concern, last of 8 where rank 1 is the highest.
    (dict(BURGLARY, title="Detections", direction="up", latest_value=900, variation="concern",
          change=change(900, 1000, "significant_reduction"),
          msg={"focus_rank": 8, "group_size": 8, "focus_rank_shared": 1, "focus_position": "significantly_below",
               "focus_relative": "worse", "rank_1_is": "highest"}),
     "Detections: 12 months to May 2014, 900, a significant 10% reduction on the previous 12 months; May 2014 on "
     "the SPC chart: special cause variation of concern; lowest of 8 in the Most Similar Group, significantly "
     "below the group average (outside the band), so worse than similar forces."),
    # Joint 3rd, above the band.
    (dict(BURGLARY, latest_value=5000, variation="common_cause", change=None,
          msg={"focus_rank": 3, "group_size": 8, "focus_rank_shared": 2, "focus_position": "significantly_above",
               "focus_relative": "worse", "rank_1_is": "lowest"}),
     f"{LEAD}, 5,000; May 2014 on the SPC chart: common cause variation; joint 3rd lowest of 8 in the Most "
     "Similar Group, significantly above the group average (outside the band), so worse than similar forces."),
    # Under-reported: no improvement or concern word, no better or worse than similar forces.
    (dict(HATE, latest_value=560, variation="improvement", change=change(560, 500, "no_significant_change"),
          msg={"focus_rank": 3, "group_size": 8, "focus_rank_shared": 1, "focus_position": "above",
               "focus_relative": "worse", "rank_1_is": "lowest"}),
     "Hate crime: 12 months to May 2014, 560, recorded numbers rose 12% on the previous 12 months; a rise in "
     "recording of under-reported crime is accepted and is not read as failure; May 2014 on the SPC chart: "
     "special cause variation; 3rd lowest of 8 in the Most Similar Group, above the group average but inside "
     "the band."),
    (dict(HATE, latest_value=5, variation="common_cause", change=change(5, 0, "significant_increase"), msg=None),
     "Hate crime: 12 months to May 2014, 5, recorded numbers rose from none in the previous 12 months "
     "(statistically significant); a rise in recording of under-reported crime is accepted and is not read as "
     "failure; May 2014 on the SPC chart: common cause variation."),
    (dict(HATE, latest_value=480, variation="common_cause", change=change(480, 480, "no_significant_change"),
          msg=None),
     "Hate crime: 12 months to May 2014, 480, recorded numbers were unchanged on the previous 12 months; this "
     "crime is under-reported, so recorded numbers reflect reporting as well as offending; May 2014 on the SPC "
     "chart: common cause variation."),
    # A survey quarter: Wilson interval of 85% of 400 by hand = 81.2% to 88.2%.
    (dict(title="Victim satisfaction", unit="percentage", direction="up", under_reported=False,
          period_label="Q1 2014/15 (April to June 2014)", latest_label="Q1 2014/15 (April to June 2014)",
          latest_value=85.0, variation="common_cause", change={"diff": -2.5, "verdict": "no_significant_change"},
          msg=None, survey=True, respondents=400, comparison_label="the same period a year before"),
     "Victim satisfaction: Q1 2014/15 (April to June 2014), 85.0% (95% interval 81.2% to 88.2%, 400 "
     "respondents), no significant change on the same period a year before; on the SPC chart: common cause "
     "variation."),
    (dict(title="Victim satisfaction", unit="percentage", direction="up", under_reported=False,
          period_label="Q1 2014/15 (April to June 2014)", latest_label="Q1 2014/15 (April to June 2014)",
          latest_value=80.25, variation="improvement", change={"diff": 4.25, "verdict": "significant_increase"},
          msg=None, survey=True, comparison_label="the same period a year before"),
     "Victim satisfaction: Q1 2014/15 (April to June 2014), 80.3%, a significant rise of 4.3 percentage points on "
     "the same period a year before; on the SPC chart: special cause variation showing improvement."),
    # A rate with numerator and denominator (no respondents): the test is of proportions, so the
    # change is in percentage points against the same period a year before, not "no change".
    (dict(title="Adult proven re-offending rate", unit="percentage", direction="down", under_reported=False,
          period_label="Q3 2014/15 (October to December 2014)",
          latest_label="Q3 2014/15 (October to December 2014)", latest_value=27.5, variation="common_cause",
          change={"test": "two_proportion_z", "diff": -1.25, "verdict": "no_significant_change"}, msg=None,
          comparison_label="the same period a year before"),
     "Adult proven re-offending rate: Q3 2014/15 (October to December 2014), 27.5%, no significant change on the "
     "same period a year before; on the SPC chart: common cause variation."),
]  # fmt: skip


@pytest.mark.parametrize(("inputs", "sentence"), CASES)
def test_status_sentence_reads_right(inputs, sentence):
    assert measure_status(**inputs)["sentence"] == sentence


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "0%"), (0.04997, "0.05%"), (0.04, "0.04%"), (0.25, "0.3%"), (2.0066, "2%"), (10.5, "11%"), (-10.5, "11%"),
     (99.6, "99.6%"), (99.99, "more than 99.9%"), (100, "100%"), (250.5, "251%"), (1234.4, "1,234%")],
)  # fmt: skip
def test_percent_text(number, text):
    assert percent_text(number) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("8%", "an 8%"), ("11%", "an 11%"), ("18.5%", "an 18.5%"), ("80%", "an 80%"), ("800%", "an 800%"),
     ("11,000", "an 11,000"), ("1%", "a 1%"), ("110%", "a 110%"), ("0.8%", "a 0.8%"), ("2%", "a 2%")],
)  # fmt: skip
def test_with_article_as_spoken(text, expected):
    assert with_article(text) == expected


def test_significance_words_beside_the_chart():
    counts = {**change(920, 1000, "no_significant_change"), "pct_change_low": -15.55, "pct_change_high": 0.45,
              "p_value": 0.08}  # fmt: skip
    assert significance_sentence(counts) == (
        "Latest 12 months against the 12 before: no statistically significant change, −8% (95% interval −16% "
        "to +0.5%), p = 0.08."
    )
    survey = {"test": "two_proportion_z", "diff": 4.25, "verdict": "significant_increase", "p_value": 0.01}
    assert significance_sentence(survey) == (
        "Latest survey against the same period a year before: a statistically significant increase, +4.3 "
        "percentage points, p = 0.01."
    )
    rows = dict(significance_rows(counts, measure={"unit": "count"}))
    assert (rows["Percentage change"], rows["95% interval of the change"]) == ("−8%", "−16% to +0.5%")


def point(end, value, **extra):
    return {"period_start": end[:8] + "01", "period_end": end, "value": value, **extra}


def test_chart_summaries_read_right():
    lines = {"mean": 6098, "lower_limit": 5716.955, "upper_limit": 6479.045, "provisional": False}
    trend = {
        "points": [point("2013-08-31", 6376, **lines), point("2013-09-30", None, **lines),
                   point("2013-10-31", 6208, **lines, signal="improvement")],
        "limits": [{"from": "2013-01-31", "baseline_from": "2013-01-31", "baseline_to": "2014-03-31",
                    "baseline_points": 14, "provisional": False, "min_points": 12, "recalculated": None}],
    }  # fmt: skip
    chart = fig_trend(
        measure={"title": "All crime", "unit": "count", "direction": "down"}, trend=trend, as_of="2014-03-31"
    )
    assert chart.summary == (
        "2 points from August 2013 to October 2013. Latest value 6,208 in October 2013: special cause variation "
        "showing improvement. Mean 6,098, process limits 5,717.0 to 6,479.0. Not returned: September 2013 (a gap in "
        "the line; no moving range spans it). Points showing special cause variation: 1 improvement. Limits from "
        "the baseline January 2013 to March 2014 (14 points)."
    )
    members = [
        {"area_code": "A", "name": "Alpha", "rate_per_1000": 3.5, "rank": 1, "position": "below"},
        {"area_code": "B", "name": "Beta", "rate_per_1000": 3.5, "rank": 1, "position": "below"},
        {"area_code": "C", "name": "Gamma", "rate_per_1000": 9.0, "rank": 3, "position": "significantly_above"},
    ]
    summary = {"focus_area": "A", "average": 5.33, "average_used": "mean", "focus_rank": 1, "focus_rank_shared": 2,
               "focus_position": "below", "focus_relative": "similar", "rank_1_is": "lowest"}  # fmt: skip
    msg = {"group": "MSG", "period_end": "2014-05-31", "members": members, "summary": summary}
    chart = fig_msg(measure={"title": "Burglary", "direction": "down"}, msg=msg, as_of="2014-05-31")
    assert chart.summary == (
        "MSG, 12 months to May 2014: 3 forces. Group average (mean of members' rates) 5.33 per 1,000. Alpha 3.50 "
        "per 1,000, ranked joint 1 of 3 (1 = lowest rate): below the group average but inside the band, so in line "
        "with similar forces."
    )
    survey = {"points": [point("2014-06-30", 80.25, respondents=400, ci_low=76.25, ci_high=83.75)]}
    chart = fig_survey(measure={"title": "Victim satisfaction"}, trend=survey, as_of="2014-06-30")
    assert chart.summary == (
        "1 survey period, June 2014. Latest 80.3% in June 2014 (95% confidence interval 76.3% to "
        "83.8%, 400 respondents)."
    )
    savings = {"points": [point("2015-03-31", 9_100_000)]}
    challenge = [{"name": "savings challenge", "value": 20_000_000}]
    chart = fig_savings(measure={"title": "Revenue savings", "context": challenge}, trend=savings, as_of="2015-03-31")
    assert chart.summary == "£9.1m of revenue savings delivered by March 2015, 46% of the £20m savings challenge."
