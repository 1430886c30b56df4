"""The freeze's array paths (msg.window_count_table at many ends, spc.xmr_columns, the MSG engine) agree with
one-at-a-time and pandas computations."""

import datetime as dt

import numpy as np
import pandas as pd

from reports.analysis import msg, plain, round_half_up, spc
from returns.periods import month_end


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
