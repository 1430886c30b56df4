"""Most Similar Group comparison: rolling counts, populations, rates, ranks and bands."""

import datetime as dt
import math

import numpy as np
import pandas as pd

from pcc_dashboard.vocabulary import ABOVE, AVERAGE, BELOW, SIGNIFICANTLY_ABOVE, SIGNIFICANTLY_BELOW
from reports.analysis import frame_records, plain, round_half_up
from reports.analysis.columns import (
    AREA_CODE,
    COMPLETE,
    COUNT,
    INCLUDED,
    MID_YEAR,
    NAME,
    PERIOD_END,
    PERIOD_START,
    PERIODS_COVERED,
    POPULATION,
    POPULATION_MID_YEAR,
    POSITION,
    RANK,
    RATE_PER_1000,
    VALUE,
)

DIRECTIONS = ("up", "down", "neither")
AVERAGES = ("mean", "pooled")
# Rates per 1,000 are shown, stored and served with 2 decimals, rounded once from the exact rate
# (ranks and positions are decided on the exact rates first).
RATE_DECIMALS = 2
RATE_KEYS = ("average", "mean_of_rates", "pooled_rate", "band_low", "band_high", "focus_rate")



def _month_number(timestamps: pd.Series) -> pd.Series:
    """Months since year 0, so calendar months can be compared as integers."""
    return timestamps.dt.year * 12 + timestamps.dt.month - 1


def _month_numbers(values: pd.Series) -> pd.Series:
    """Months since year 0 for ISO date strings or date objects (one vectorised conversion)."""
    return _month_number(pd.to_datetime(values, format="ISO8601"))


def window_counts(observations: pd.DataFrame, *, period_end: dt.date, months: int = 12) -> pd.DataFrame:
    """Sum each area's counts over the `months` calendar months ending with `period_end`.

    Input columns: area_code, period_start, period_end (dates or ISO date strings), value (a
    count). Only observations wholly inside (period_end − months, period_end] count; the window
    is taken in whole calendar months, so pass a month end. Output columns: area_code, count (sum
    of value; NaN when nothing falls in the window), periods_covered (distinct months of the
    window covered by the summed observations) and complete (True when every month of the window
    is covered exactly once), one row per area in order of first appearance. An area reporting
    both monthly and quarterly uses monthly when monthly covers the window completely, else the
    finest complete granularity, else the one covering most months (finest on a tie).
    A thin wrapper of `window_count_table` with one window end.
    """
    end = pd.Timestamp(period_end)
    areas, count, covered, complete = window_count_table(
        observations[AREA_CODE].to_numpy(),
        _month_numbers(observations[PERIOD_START]).to_numpy(),
        _month_numbers(observations[PERIOD_END]).to_numpy(),
        pd.to_numeric(observations[VALUE], errors="coerce").to_numpy(dtype=float),
        end_months=np.array([end.year * 12 + end.month - 1], dtype=np.int64),
        months=months,
    )
    return pd.DataFrame(
        {AREA_CODE: areas, COUNT: count[:, 0], PERIODS_COVERED: covered[:, 0], COMPLETE: complete[:, 0]},
        columns=[AREA_CODE, COUNT, PERIODS_COVERED, COMPLETE],
    )


def window_count_table(
    area_codes: np.ndarray,
    first_months: np.ndarray,
    last_months: np.ndarray,
    values: np.ndarray,
    *,
    end_months: np.ndarray,
    months: int = 12,
) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Every area's window counts at many window ends at once (one cumulative sum per area and span).

    Input: equal-length arrays, one item per observation: area code, first and last month
    number (year × 12 + month − 1) and value (a count; NaN is skipped); `end_months` the
    month numbers of the window ends. Rows of one (area, span) are summed in the order given,
    as `window_counts` does. Output: (areas in order of first appearance, count[area, end],
    periods_covered[area, end], complete[area, end]), with the same values, granularity
    choice and NaN/0/False for an area with nothing in a window as `window_counts`.
    """
    area_codes = np.asarray(area_codes, dtype=object)
    area_index, areas = pd.factorize(area_codes, sort=False)
    n_areas, n_ends = len(areas), len(end_months)
    count = np.full((n_areas, n_ends), np.nan)
    covered = np.zeros((n_areas, n_ends), dtype=int)
    complete = np.zeros((n_areas, n_ends), dtype=bool)
    values = np.asarray(values, dtype=float)
    firsts = np.asarray(first_months, dtype=np.int64)
    spans = np.asarray(last_months, dtype=np.int64) - firsts + 1
    valid = ~np.isnan(values)
    if not valid.any() or n_ends == 0:
        return list(areas), count, covered, complete
    area_index, firsts, spans, values = area_index[valid], firsts[valid], spans[valid], values[valid]
    order = np.lexsort((firsts, spans, area_index))  # stable: rows of a group keep their order
    area_index, firsts, spans, values = area_index[order], firsts[order], spans[order], values[order]
    new_group = np.r_[True, (area_index[1:] != area_index[:-1]) | (spans[1:] != spans[:-1])]
    group = np.cumsum(new_group) - 1
    group_start = np.flatnonzero(new_group)
    group_area, group_span = area_index[group_start], spans[group_start]
    shift = np.int64(1) << 32
    key = group * shift + firsts
    ends = np.asarray(end_months, dtype=np.int64)
    base = np.arange(len(group_start), dtype=np.int64)[:, None] * shift
    # A row is inside the window when first ≥ end − months + 1 and last = first + span − 1 ≤ end.
    lo = np.searchsorted(key, base + (ends - months + 1)[None, :], side="left")
    hi = np.searchsorted(key, base + (ends[None, :] - group_span[:, None] + 1), side="right")
    hi = np.maximum(hi, lo)
    rows = hi - lo
    new_start = np.r_[True, key[1:] != key[:-1]]
    starts_cum = np.r_[0, np.cumsum(new_start)]
    first_is_repeat = ~new_start[np.minimum(lo, len(key) - 1)]
    distinct = starts_cum[hi] - starts_cum[lo] + ((rows > 0) & first_is_repeat)
    if np.all(values == np.round(values)) and np.abs(values).sum() < 2**52:
        sums = np.r_[0.0, np.cumsum(values)]  # whole numbers: the cumulative sum is exact
        totals = sums[hi] - sums[lo]
    else:
        totals = np.zeros(rows.shape)
        for g, k in zip(*np.nonzero(rows)):
            totals[g, k] = sum(values[lo[g, k] : hi[g, k]].tolist())
    span = group_span[:, None]
    is_complete = (rows == distinct) & (distinct * span == months)
    is_covered = np.minimum(distinct * span, months)
    # Prefer a complete granularity (finest first), else the one covering most months (finest on a tie).
    rank = np.where(is_complete, 0, months + 1 - is_covered).astype(float) * 1_000_000 + span
    rank[rows == 0] = np.inf
    area_groups = np.flatnonzero(np.r_[True, group_area[1:] != group_area[:-1]])
    best_rank = np.minimum.reduceat(rank, area_groups, axis=0)
    group_pos = np.cumsum(np.r_[True, group_area[1:] != group_area[:-1]]) - 1
    chosen = np.isfinite(rank) & (rank == best_rank[group_pos])
    g_idx, k_idx = np.nonzero(chosen)
    a_idx = group_area[g_idx]
    count[a_idx, k_idx] = totals[g_idx, k_idx]
    covered[a_idx, k_idx] = is_covered[g_idx, k_idx]
    complete[a_idx, k_idx] = is_complete[g_idx, k_idx]
    return list(areas), count, covered, complete


class PopulationChoice:
    """The mid-year population estimate each area had published by a date, answered once per date.

    Input columns: area_code, mid_year (int), population (people; rows without one are ignored).
    An estimate for mid-year Y counts as published at 30 June Y plus `lag_months` (ONS publishes
    about a year later). `at(end)` gives {area_code: (population, mid_year)}, areas in code order:
    the latest estimate published by `end`, else the earliest available.
    """

    def __init__(self, populations: pd.DataFrame, *, lag_months: int = 12):
        frame = populations[[AREA_CODE, MID_YEAR, POPULATION]].dropna(subset=[POPULATION])
        frame = frame.assign(**{MID_YEAR: frame[MID_YEAR].astype(int)}).sort_values([AREA_CODE, MID_YEAR])
        self._by_area: dict[str, list[tuple[int, object]]] = {}
        for area, year, population in zip(frame[AREA_CODE], frame[MID_YEAR], frame[POPULATION]):
            self._by_area.setdefault(area, []).append((int(year), population))
        self._published = {
            year: (pd.Timestamp(year, 6, 30) + pd.DateOffset(months=lag_months)).date()
            for year in {y for items in self._by_area.values() for y, _ in items}
        }
        self._chosen: dict[dt.date, dict[str, tuple[object, int]]] = {}

    def at(self, end: dt.date) -> dict[str, tuple[object, int]]:
        """area_code → (population, mid_year) for a period ending `end`."""
        if end not in self._chosen:
            chosen = {}
            for area, items in self._by_area.items():
                published = [item for item in items if self._published[item[0]] <= end]
                year, population = published[-1] if published else items[0]
                chosen[area] = (population, year)
            self._chosen[end] = chosen
        return self._chosen[end]


def choose_population(
    populations: pd.DataFrame, *, period_end: dt.date, publication_lag_months: int = 12
) -> pd.DataFrame:
    """`PopulationChoice(populations).at(period_end)` as a frame.

    Output columns: area_code, population, population_mid_year; one row per area, in code order.
    """
    chosen = PopulationChoice(populations, lag_months=publication_lag_months).at(period_end)
    return pd.DataFrame(
        {
            AREA_CODE: list(chosen),
            POPULATION: [population for population, _ in chosen.values()],
            POPULATION_MID_YEAR: pd.Series([year for _, year in chosen.values()], dtype=int),
        },
        columns=[AREA_CODE, POPULATION, POPULATION_MID_YEAR],
    )


def _position(rate: float, *, average: float, low: float, high: float) -> str | None:
    if rate is None or not math.isfinite(rate):
        return None
    if rate > high:
        return SIGNIFICANTLY_ABOVE
    if rate < low:
        return SIGNIFICANTLY_BELOW
    if math.isclose(rate, average, rel_tol=1e-9, abs_tol=1e-12):
        return AVERAGE
    return ABOVE if rate > average else BELOW


def _relative(position: str | None, direction: str) -> str | None:
    """better / similar / worse than peers; inside the band is similar."""
    if position is None:
        return None
    if direction == "neither":
        return "neither"
    if position == SIGNIFICANTLY_ABOVE:
        return "better" if direction == "up" else "worse"
    if position == SIGNIFICANTLY_BELOW:
        return "worse" if direction == "up" else "better"
    return "similar"


def msg_comparison(
    members: pd.DataFrame,
    *,
    focus_area: str,
    direction: str,
    average: str = "mean",
    band_sd: float = 1.0,
) -> tuple[pd.DataFrame, dict]:
    """Compare one area's rate per 1,000 population with its Most Similar Group.

    Input columns: area_code, name, count (crimes or events), population (people),
    population_mid_year. Output frame: the input plus rate_per_1000 (count / population ×
    1,000), rank (1 = lowest rate when direction is "down" or "neither", highest when "up";
    ties share the lowest rank), position ("significantly_above", "above", "average",
    "below", "significantly_below" against the chosen average and band) and included (False
    when population or count is missing: no rate, rank or position), sorted by rank.

    Summary dict keys: focus_area, direction, average_used ("mean" or "pooled"), average
    (the value used), mean_of_rates, pooled_rate (sum of counts / sum of populations × 1,000),
    sd (sample standard deviation of members' rates, 0 with one member), band_sd, band_low,
    band_high (average ± band_sd × sd), group_size (members with a rate), excluded (area
    codes without a rate), rank_1_is ("lowest" or "highest"), focus_rate, focus_rank,
    focus_position, focus_relative ("better", "similar", "worse"; "neither" when the
    measure has no good direction; None when the focus area has no rate) and focus_rank_shared
    (how many members hold the focus area's rank: 2 or more is a tie, "joint"). Rates per
    1,000, in the frame and the summary, are rounded once to 2 decimals (halves up) from the exact
    rate, after ranks and positions are decided on the exact rates.
    """
    names = members[NAME].tolist() if NAME in members else [""] * len(members)
    order, compared = msg_comparison_arrays(
        area_codes=members[AREA_CODE].tolist(),
        names=names,
        counts=pd.to_numeric(members[COUNT], errors="coerce").to_numpy(dtype=float),
        populations=pd.to_numeric(members[POPULATION], errors="coerce").to_numpy(dtype=float),
        focus_area=focus_area,
        direction=direction,
        average=average,
        band_sd=band_sd,
    )
    frame = members.copy()
    frame[INCLUDED] = compared[INCLUDED]
    frame[RATE_PER_1000] = compared[RATE_PER_1000]
    frame[RANK] = pd.array(compared[RANK], dtype="Int64")
    frame[POSITION] = pd.Series(compared[POSITION], index=frame.index, dtype=object)
    return frame.iloc[order].reset_index(drop=True), compared["summary"]


def _check_options(direction: str, average: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, not {average!r}")


def _summary(*, focus_area, direction, average, figures, group_size, excluded, focus) -> dict:
    """The summary dict of `msg_comparison` (figures: used average, mean of rates, pooled rate, sd,
    band sd, band low, band high; focus: (rate, rank, position) or None), JSON-ready to 10 digits."""
    used, mean_of_rates, pooled_rate, sd, band_sd, band_low, band_high = figures
    focus_position = None if focus is None else focus[2]
    summary = {
        "focus_area": focus_area,
        "direction": direction,
        "average_used": average,
        "average": used,
        "mean_of_rates": mean_of_rates,
        "pooled_rate": pooled_rate,
        "sd": sd,
        "band_sd": float(band_sd),
        "band_low": band_low,
        "band_high": band_high,
        "group_size": group_size,
        "excluded": excluded,
        "rank_1_is": "highest" if direction == "up" else "lowest",
        "focus_rate": None if focus is None else focus[0],
        "focus_rank": None if focus is None else focus[1],
        "focus_position": focus_position,
        "focus_relative": _relative(focus_position, direction),
        "focus_rank_shared": None if focus is None else focus[3],
    }
    for key in RATE_KEYS:
        summary[key] = round_half_up(summary[key], RATE_DECIMALS)
    return plain(summary, digits=10)


def msg_records(frame: pd.DataFrame, summary: dict) -> dict:
    """`msg_comparison` output as JSON-ready {"members": [dicts], "summary": dict}.

    Member keys are the frame's columns; NaN becomes None and floats keep 4 decimals.
    """
    return {"members": frame_records(frame), "summary": plain(summary, digits=4)}


def msg_comparison_arrays(
    *,
    area_codes: list[str],
    names: list[str],
    counts: np.ndarray,
    populations: np.ndarray,
    focus_area: str,
    direction: str,
    average: str = "mean",
    band_sd: float = 1.0,
) -> tuple[np.ndarray, dict]:
    """The MSG comparison on plain arrays: the engine behind `msg_comparison` and the freeze's groups.

    Input: one item per member: area code, name, count (float, NaN when missing) and population
    (int64, or float with NaN when missing). Output: (order, columns and summary) where order is
    the members' positions sorted by rank, then name, unranked last, and the dict holds the
    columns rate_per_1000 (float array, rounded to 2 decimals), rank (list of int or None),
    position (list), included (bool array), all in input order, and "summary" (the keys
    `msg_comparison` lists). Means and the standard deviation are summed in pandas' order, so
    the figures equal pandas' own to the last bit.
    """
    _check_options(direction, average)
    counts = np.asarray(counts, dtype=float)
    populations = np.asarray(populations)
    with np.errstate(divide="ignore", invalid="ignore"):
        included = ~np.isnan(counts) & ~np.isnan(populations.astype(float)) & (populations > 0)
        rates = np.where(included, counts / populations * 1000, np.nan)
    size = int(included.sum())
    # rank(method="min"): 1 + the number of rates strictly better placed; NaN compares False.
    if direction == "up":
        ahead = (rates[None, :] > rates[:, None]).sum(axis=1)
    else:
        ahead = (rates[None, :] < rates[:, None]).sum(axis=1)
    ranks = [int(a) + 1 if ok else None for a, ok in zip(ahead.tolist(), included.tolist())]
    if size:
        rates_in = rates[included]
        count = np.float64(size)
        mean_of_rates = float(rates_in.sum(dtype=np.float64) / count)
        pooled_rate = float(counts[included].sum() / populations[included].sum()) * 1000
        if size > 1:  # pandas' two-pass variance, operation for operation
            mean = rates_in.sum(dtype=np.float64) / count
            sd = float(np.sqrt(((mean - rates_in) ** 2).sum(dtype=np.float64) / (count - np.float64(1))))
        else:
            sd = 0.0
    else:
        mean_of_rates = pooled_rate = sd = math.nan
    used = mean_of_rates if average == "mean" else pooled_rate
    band_low, band_high = used - band_sd * sd, used + band_sd * sd
    rate_list = rates.tolist()
    positions = [_position(rate, average=used, low=band_low, high=band_high) for rate in rate_list]
    order = sorted(range(len(area_codes)), key=lambda i: (ranks[i] is None, ranks[i] or 0, names[i]))
    focus = next((i for i in order if area_codes[i] == focus_area), None)
    summary = _summary(
        focus_area=focus_area,
        direction=direction,
        average=average,
        figures=(used, mean_of_rates, pooled_rate, sd, band_sd, band_low, band_high),
        group_size=size,
        excluded=[str(area_codes[i]) for i in order if not included[i]],
        focus=None
        if focus is None
        else (
            rate_list[focus],
            ranks[focus],
            positions[focus],
            None if ranks[focus] is None else ranks.count(ranks[focus]),
        ),
    )
    shown = np.array([np.nan if r is None else r for r in (round_half_up(v, RATE_DECIMALS) for v in rate_list)])
    columns = {RATE_PER_1000: shown, RANK: ranks, POSITION: positions, INCLUDED: included}
    return np.array(order, dtype=np.int64), {**columns, "summary": summary}
