"""Tests for reports.analysis.msg (Most Similar Group comparison); pure, no database."""

import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.analysis import msg, plain, round_half_up
from returns.periods import month_end

SHARED = Path(__file__).resolve().parents[3] / "shared"  # ../shared beside the project
HOME_OFFICE_FILE = SHARED / "data/home-office-prc-pfa/prc-pfa-2017-18.csv"
FORCES_FILE = SHARED / "reference/police_force_areas.csv"
POPULATIONS_FILE = SHARED / "reference/police_force_area_populations.csv"
MSG_CODES = [
    "E23000021",  # Leicestershire
    "E23000026",  # Bedfordshire
    "E23000028",  # Essex
    "E23000030",  # Hampshire
    "E23000027",  # Hertfordshire
    "E23000032",  # Kent
    "E23000019",  # Nottinghamshire
    "E23000033",  # Sussex
]


def months_of(area, start, count, value):
    """Monthly observation rows for `count` months from the month of `start`."""
    first = pd.Period(start, freq="M")
    return [
        {
            "area_code": area,
            "period_start": (first + k).start_time.date(),
            "period_end": (first + k).end_time.date(),
            "value": value,
        }
        for k in range(count)
    ]


def quarters_of(area, start, count, value):
    first = pd.Period(start, freq="Q")
    return [
        {
            "area_code": area,
            "period_start": (first + k).start_time.date(),
            "period_end": (first + k).end_time.date(),
            "value": value,
        }
        for k in range(count)
    ]


END = dt.date(2018, 3, 31)  # window April 2017 – March 2018


def test_window_counts_monthly_complete():
    frame = pd.DataFrame(months_of("A", "2016-04", 24, 10))  # two years; 12 in the window
    row = msg.window_counts(frame, period_end=END).iloc[0]
    assert (row["area_code"], row["count"], row["periods_covered"]) == ("A", 120, 12)
    assert bool(row["complete"]) is True


def test_window_counts_missing_month_is_incomplete():
    rows = months_of("A", "2017-04", 12, 10)
    del rows[5]
    row = msg.window_counts(pd.DataFrame(rows), period_end=END).iloc[0]
    assert (row["count"], row["periods_covered"], bool(row["complete"])) == (
        110,
        11,
        False,
    )


def test_window_counts_prefers_monthly_when_complete():
    # monthly 12 × 10 = 120; quarterly 4 × 31 = 124: both complete, monthly wins.
    rows = months_of("A", "2017-04", 12, 10) + quarters_of("A", "2017Q2", 4, 31)
    row = msg.window_counts(pd.DataFrame(rows), period_end=END).iloc[0]
    assert (row["count"], bool(row["complete"])) == (120, True)


def test_window_counts_falls_back_to_quarterly():
    rows = months_of("A", "2017-04", 11, 10) + quarters_of("A", "2017Q2", 4, 31)
    row = msg.window_counts(pd.DataFrame(rows), period_end=END).iloc[0]
    assert (row["count"], row["periods_covered"], bool(row["complete"])) == (
        124,
        12,
        True,
    )


def test_window_counts_zero_counts_and_outside_rows():
    # Q1 2017 (Jan–Mar) ends before the window; only 2017Q2..2018Q1 count, all zero.
    rows = quarters_of("B", "2017Q1", 5, 0)
    row = msg.window_counts(pd.DataFrame(rows), period_end=END).iloc[0]
    assert (row["count"], row["periods_covered"], bool(row["complete"])) == (
        0,
        12,
        True,
    )


def test_window_counts_double_counted_month_is_incomplete():
    rows = months_of("A", "2017-04", 12, 10) + months_of("A", "2017-04", 1, 10)
    row = msg.window_counts(pd.DataFrame(rows), period_end=END).iloc[0]
    assert bool(row["complete"]) is False


def test_choose_population_uses_published_mid_year():
    pops = pd.DataFrame(
        {
            "area_code": ["A", "A", "A", "B"],
            "mid_year": [2016, 2017, 2018, 2019],
            "population": [100, 110, 120, 500],
        }
    )
    # mid-2016 published 30 June 2017 <= 31 March 2018; mid-2017 not until 30 June 2018.
    chosen = msg.choose_population(pops, period_end=END).set_index("area_code")
    assert chosen.loc["A", "population_mid_year"] == 2016
    assert chosen.loc["A", "population"] == 100
    # nothing published for B yet: earliest available
    assert chosen.loc["B", "population_mid_year"] == 2019
    later = msg.choose_population(pops, period_end=dt.date(2018, 6, 30)).set_index("area_code")
    assert later.loc["A", "population_mid_year"] == 2017


def members(rows):
    return pd.DataFrame(
        rows,
        columns=["area_code", "name", "count", "population", "population_mid_year"],
    )


THREE = members(
    [
        ("A", "Alpha", 100, 50_000, 2016),  # 2.0 per 1,000
        ("B", "Beta", 300, 100_000, 2016),  # 3.0
        ("C", "Gamma", 400, 100_000, 2016),  # 4.0
    ]
)


def test_msg_comparison_hand_worked_down():
    # mean of rates (2+3+4)/3 = 3.0; pooled 800/250,000 × 1,000 = 3.2; sd of 2,3,4 = 1.0;
    # band 3.0 ± 0.5 × 1.0 = 2.5..3.5.
    frame, summary = msg.msg_comparison(THREE, focus_area="A", direction="down", band_sd=0.5)
    by_area = frame.set_index("area_code")
    assert list(by_area["rate_per_1000"]) == pytest.approx([2.0, 3.0, 4.0])
    assert list(by_area["rank"]) == [1, 2, 3]
    assert list(by_area["position"]) == [
        "significantly_below",
        "average",
        "significantly_above",
    ]
    assert summary["mean_of_rates"] == pytest.approx(3.0)
    assert summary["pooled_rate"] == pytest.approx(3.2)
    assert summary["sd"] == pytest.approx(1.0)
    assert (summary["band_low"], summary["band_high"]) == pytest.approx((2.5, 3.5))
    assert summary["average_used"] == "mean"
    assert summary["focus_rank"] == 1
    assert summary["focus_position"] == "significantly_below"
    assert summary["focus_relative"] == "better"
    assert summary["group_size"] == 3
    assert summary["rank_1_is"] == "lowest"


def test_msg_comparison_up_ranks_highest_first():
    frame, summary = msg.msg_comparison(THREE, focus_area="A", direction="up", band_sd=0.5)
    assert list(frame.set_index("area_code").loc[["A", "B", "C"], "rank"]) == [3, 2, 1]
    assert summary["focus_relative"] == "worse"
    assert summary["rank_1_is"] == "highest"


def test_msg_comparison_neither_direction():
    _, summary = msg.msg_comparison(THREE, focus_area="C", direction="neither", band_sd=0.5)
    assert summary["focus_rank"] == 3
    assert summary["focus_relative"] == "neither"


def test_msg_comparison_pooled_average():
    # pooled 3.2, band 3.2 ± 0.5 = 2.7..3.7: Beta at 3.0 is below but inside.
    _frame, summary = msg.msg_comparison(THREE, focus_area="B", direction="down", average="pooled", band_sd=0.5)
    assert summary["average"] == pytest.approx(3.2)
    assert summary["focus_position"] == "below"
    assert summary["focus_relative"] == "similar"


def test_msg_comparison_ties_share_minimum_rank():
    tied = members(
        [
            ("A", "A", 200, 100_000, 2016),
            ("B", "B", 200, 100_000, 2016),
            ("C", "C", 100, 100_000, 2016),
        ]
    )
    frame, _ = msg.msg_comparison(tied, focus_area="A", direction="down")
    assert dict(zip(frame["area_code"], frame["rank"])) == {"C": 1, "A": 2, "B": 2}


def test_msg_comparison_single_member_has_no_band():
    one = members([("A", "Alpha", 0, 1_000_000, 2016)])  # zero count, rate 0.0
    frame, summary = msg.msg_comparison(one, focus_area="A", direction="down")
    assert frame["rate_per_1000"].iloc[0] == 0
    assert summary["band_low"] == summary["band_high"] == summary["mean_of_rates"] == 0
    assert summary["focus_position"] == "average"
    assert summary["focus_relative"] == "similar"
    assert summary["group_size"] == 1


def test_msg_comparison_missing_population_is_excluded():
    rows = members(
        [
            ("A", "Alpha", 100, 50_000, 2016),
            ("B", "Beta", 300, None, None),
            ("C", "Gamma", 400, 100_000, 2016),
        ]
    )
    frame, summary = msg.msg_comparison(rows, focus_area="A", direction="down")
    beta = frame.set_index("area_code").loc["B"]
    assert math.isnan(beta["rate_per_1000"]) and pd.isna(beta["rank"]) and beta["position"] is None
    assert summary["excluded"] == ["B"]
    assert summary["group_size"] == 2
    assert summary["mean_of_rates"] == pytest.approx(3.0)  # (2 + 4) / 2
    records = msg.msg_records(frame, summary)
    json.dumps(records, allow_nan=False)
    beta_record = next(r for r in records["members"] if r["area_code"] == "B")
    assert beta_record["rate_per_1000"] is None and beta_record["rank"] is None


def test_msg_comparison_real_home_office_2017_18():
    if not HOME_OFFICE_FILE.exists():
        pytest.skip(f"{HOME_OFFICE_FILE} is not available")
    with FORCES_FILE.open(newline="") as handle:
        names = {row["area_code"]: row["name"] for row in csv.DictReader(handle)}
    code_of = {names[code]: code for code in MSG_CODES}
    quarter_counts = {}  # (code, quarter) -> count, excluding fraud
    with HOME_OFFICE_FILE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            code = code_of.get(row["Force Name"])
            if code and row["Offence Group"] != "Fraud offences":
                key = (code, int(row["Financial Quarter"]))
                quarter_counts[key] = quarter_counts.get(key, 0) + int(row["Number of Offences"].strip())
    with POPULATIONS_FILE.open(newline="") as handle:
        populations = [row for row in csv.DictReader(handle) if row["area_code"] in MSG_CODES]

    # Independent plain-Python answer: totals, mid-2016 rates, mean, Leicestershire's rank.
    totals = {code: sum(quarter_counts[(code, q)] for q in (1, 2, 3, 4)) for code in MSG_CODES}
    mid_2016 = {r["area_code"]: int(r["population"]) for r in populations if r["mid_year"] == "2016"}
    rates = {code: totals[code] / mid_2016[code] * 1000 for code in MSG_CODES}
    expected_mean = sum(rates.values()) / len(rates)
    expected_rank = 1 + sum(1 for r in rates.values() if r < rates["E23000021"])
    # Worked once by hand: Leicestershire 83,793 / 1,068,900 = 78.4 per 1,000, above
    # Sussex 67.5, Hertfordshire 70.4, Bedfordshire 71.3 and Essex 74.2, so 5th lowest.
    assert expected_rank == 5

    # Module pipeline: quarterly observations → window counts → population → comparison.
    quarter_start = {1: "2017-04-01", 2: "2017-07-01", 3: "2017-10-01", 4: "2018-01-01"}
    quarter_end = {1: "2017-06-30", 2: "2017-09-30", 3: "2017-12-31", 4: "2018-03-31"}
    observations = pd.DataFrame(
        [
            {
                "area_code": c,
                "period_start": quarter_start[q],
                "period_end": quarter_end[q],
                "value": v,
            }
            for (c, q), v in quarter_counts.items()
        ]
    )
    counts = msg.window_counts(observations, period_end=END)
    assert counts["complete"].all()
    pops = pd.DataFrame(populations).astype({"mid_year": int, "population": int})
    chosen = msg.choose_population(pops, period_end=END)
    assert set(chosen["population_mid_year"]) == {2016}
    group = counts.merge(chosen, on="area_code")
    group["name"] = group["area_code"].map(names)
    frame, summary = msg.msg_comparison(group, focus_area="E23000021", direction="down")
    assert summary["mean_of_rates"] == pytest.approx(expected_mean, abs=0.005)  # 2 decimals
    assert summary["focus_rank"] == expected_rank
    assert summary["group_size"] == 8
    leics = frame.set_index("area_code").loc["E23000021", "rate_per_1000"]
    assert leics == pytest.approx(rates["E23000021"], abs=0.005)


@pytest.mark.parametrize(
    ("count", "population", "shown"),
    [
        (46_004, 661_500, 69.54),  # 69.544974…: rounding the 4-decimal 69.545 again gave 69.55
        (125, 1_000_000, 0.13),  # exactly 0.125: a half goes up, not to the even 0.12
        (83_793, 1_068_900, 78.39),  # 78.392740…
    ],
)
def test_rates_are_rounded_once_to_two_decimals(count, population, shown):
    group = pd.DataFrame(
        {"area_code": ["A", "B"], "name": ["A", "B"], "count": [count, 10], "population": [population, 1000]}
    )
    frame, summary = msg.msg_comparison(group, focus_area="A", direction="down")
    assert frame.set_index("area_code").loc["A", "rate_per_1000"] == shown
    assert summary["focus_rate"] == shown
    _, arrays = msg.msg_comparison_arrays(
        area_codes=["A", "B"], names=["A", "B"], counts=np.array([count, 10.0]),
        populations=np.array([population, 1000]), focus_area="A", direction="down",
    )  # fmt: skip
    assert arrays["rate_per_1000"][0] == shown


def test_summary_counts_members_sharing_the_focus_rank():
    group = pd.DataFrame(
        {"area_code": ["A", "B", "C"], "name": ["A", "B", "C"], "count": [2, 2, 5], "population": [1000] * 3}
    )
    _, summary = msg.msg_comparison(group, focus_area="A", direction="down")
    assert (summary["focus_rank"], summary["focus_rank_shared"]) == (1, 2)
    _, summary = msg.msg_comparison(group, focus_area="C", direction="down")
    assert (summary["focus_rank"], summary["focus_rank_shared"]) == (3, 1)


# The freeze's array paths agree with one-at-a-time and pandas computations.


def _observations(seed: int) -> pd.DataFrame:
    """Monthly and quarterly rows for a few areas, with gaps, duplicates and missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    for area in ("A", "B", "C", "D"):
        for span in (1, 3):
            if rng.random() < 0.3:
                continue
            for start in range(0, 36, span):
                if rng.random() < 0.1:
                    continue  # a missing period
                first = dt.date(2012 + start // 12, start % 12 + 1, 1)
                last_month = start + span - 1
                last = month_end(dt.date(2012 + last_month // 12, last_month % 12 + 1, 1))
                value = np.nan if rng.random() < 0.05 else float(rng.integers(0, 50))
                if seed % 2:
                    value = value + 0.1 if value == value else value  # non-integer path
                rows.append((area, first.isoformat(), last.isoformat(), value))
                if rng.random() < 0.03:
                    rows.append((area, first.isoformat(), last.isoformat(), 1.0))  # a duplicate period
    return pd.DataFrame(rows, columns=["area_code", "period_start", "period_end", "value"])


def _months(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy()


def test_window_count_table_matches_window_counts_at_every_end():
    for seed in range(8):
        frame = _observations(seed)
        ends = [month_end(dt.date(2012 + m // 12, m % 12 + 1, 1)) for m in range(5, 40, 2)]
        areas, count, covered, complete = msg.window_count_table(
            frame["area_code"].to_numpy(),
            _months(frame["period_start"]),
            _months(frame["period_end"]),
            frame["value"].to_numpy(),
            end_months=np.array([e.year * 12 + e.month - 1 for e in ends]),
            months=12,
        )
        for k, end in enumerate(ends):
            expected = msg.window_counts(frame, period_end=end, months=12).set_index("area_code")
            for i, area in enumerate(areas):
                row = expected.loc[area]
                assert bool(complete[i, k]) == bool(row["complete"]), (seed, end, area)
                assert int(covered[i, k]) == int(row["periods_covered"]), (seed, end, area)
                if np.isnan(row["count"]):
                    assert np.isnan(count[i, k])
                else:
                    assert count[i, k] == row["count"], (seed, end, area)


def test_msg_comparison_arrays_match_pandas_on_random_groups():
    """Rates, ranks, means and the standard deviation as pandas computes them, to the last bit."""
    rng = np.random.default_rng(5)
    for trial in range(400):
        n = int(rng.integers(1, 10))
        codes = [f"E2300{i:04d}" for i in rng.permutation(40)[:n]]
        names = [f"Force {rng.integers(0, 6)}{code[-2:]}" for code in codes]
        counts = np.round(rng.uniform(0, 5000, n)) if trial % 3 else rng.uniform(0, 5000, n)
        counts[rng.random(n) < 0.2] = np.nan
        if n > 2 and rng.random() < 0.3:
            counts[1] = counts[0]  # a tie
        if trial % 2:
            populations = rng.integers(0, 2_000_000, n).astype(np.int64)
            populations[rng.random(n) < 0.1] = 0
        else:
            populations = rng.integers(100_000, 2_000_000, n).astype(float)
            populations[rng.random(n) < 0.2] = np.nan
        direction = ("up", "down", "neither")[trial % 3]
        _, got = msg.msg_comparison_arrays(
            area_codes=codes, names=names, counts=counts, populations=populations,
            focus_area=codes[0], direction=direction, average="mean",
        )  # fmt: skip
        frame = pd.DataFrame({"count": counts, "population": populations})
        included = frame["count"].notna() & frame["population"].notna() & (frame["population"] > 0)
        rates = (frame["count"] / frame["population"] * 1000).where(included)
        ranks = rates.rank(method="min", ascending=direction != "up")
        assert list(got["included"]) == list(included)
        assert got["rank"] == [None if pd.isna(r) else int(r) for r in ranks]
        summary = got["summary"]
        if included.any():
            assert summary["mean_of_rates"] == round_half_up(float(rates[included].mean()), 2)
            sd = float(rates[included].std(ddof=1)) if included.sum() > 1 else 0.0
            assert summary["sd"] == plain({"sd": sd}, digits=10)["sd"]
