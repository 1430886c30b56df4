"""Position among all forces: every force's rate per 1,000, its rank, and the all-forces and group pooled rates."""

from __future__ import annotations

import math

import pandas as pd

from reports.analysis import round_half_up
from reports.analysis.columns import AREA_CODE, COUNT, NAME, POPULATION, RANK, RATE_PER_1000
from reports.analysis.msg import DIRECTIONS, RATE_DECIMALS

IN_GROUP = "in_group"
IS_FOCUS = "is_focus"


def _pooled(frame: pd.DataFrame) -> float | None:
    """Sum of counts ÷ sum of populations × 1,000 over the rows with a rate, or None when there are none."""
    ranked = frame[frame[RATE_PER_1000].notna()]
    if ranked.empty:
        return None
    return float(ranked[COUNT].sum()) / float(ranked[POPULATION].sum()) * 1000


def forces_position(
    forces: pd.DataFrame, *, focus_area: str, group_codes: set[str], direction: str
) -> tuple[pd.DataFrame, dict]:
    """Rank every force by its rate per 1,000 population (the inspectorate's "ski slope").

    Input columns: area_code, name, count (offences in the window; NaN when the window is not
    complete), population (people; NaN when unknown), population_mid_year. Output frame: the
    input plus rate_per_1000 (count ÷ population × 1,000, rounded once to 2 decimals, halves up),
    rank (1 = lowest rate when direction is "down" or "neither", highest when "up"; ties share
    the lowest rank; decided on the exact rates; None without a rate), in_group (a member of
    `group_codes`, the focus force's peer group) and is_focus, sorted by rank then name, forces
    without a rate last.

    Summary keys: forces (rows), forces_ranked (rows with a rate), all_forces_rate and
    group_rate (pooled: sum of counts ÷ sum of populations × 1,000 over the ranked forces, of all
    and of the group; None when none), rank_1_is ("lowest" or "highest"), focus_rate,
    focus_rank, focus_rank_shared (how many forces hold that rank) and focus_vs_all ("above",
    "below" or "equal" to the all-forces rate; None without a rate). Raises ValueError for an
    unknown direction.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    frame = forces.copy()
    counts = pd.to_numeric(frame[COUNT], errors="coerce")
    populations = pd.to_numeric(frame[POPULATION], errors="coerce")
    usable = counts.notna() & populations.notna() & (populations > 0)
    exact = (counts / populations * 1000).where(usable)
    frame[COUNT], frame[POPULATION] = counts, populations
    frame[RATE_PER_1000] = exact
    frame[RANK] = exact.rank(method="min", ascending=direction != "up").astype("Int64")
    frame[IN_GROUP] = frame[AREA_CODE].isin(group_codes)
    frame[IS_FOCUS] = frame[AREA_CODE] == focus_area
    all_rate = _pooled(frame)
    group_rate = _pooled(frame[frame[IN_GROUP]])
    focus = frame[frame[IS_FOCUS] & frame[RATE_PER_1000].notna()]
    summary = {
        "forces": int(len(frame)),
        "forces_ranked": int(usable.sum()),
        "all_forces_rate": round_half_up(all_rate, RATE_DECIMALS),
        "group_rate": round_half_up(group_rate, RATE_DECIMALS),
        "rank_1_is": "highest" if direction == "up" else "lowest",
        "focus_rate": None,
        "focus_rank": None,
        "focus_rank_shared": None,
        "focus_vs_all": None,
    }
    if len(focus):
        rate, rank = float(focus[RATE_PER_1000].iloc[0]), int(focus[RANK].iloc[0])
        summary.update(
            focus_rate=round_half_up(rate, RATE_DECIMALS),
            focus_rank=rank,
            focus_rank_shared=int((frame[RANK] == rank).sum()),
            focus_vs_all=_versus(rate, all_rate),
        )
    frame = frame.sort_values([RANK, NAME], na_position="last", kind="stable").reset_index(drop=True)
    frame[RATE_PER_1000] = [round_half_up(v, RATE_DECIMALS) if pd.notna(v) else None for v in frame[RATE_PER_1000]]
    return frame, summary


def _versus(rate: float, average: float | None) -> str | None:
    if average is None or not math.isfinite(rate):
        return None
    if math.isclose(rate, average, rel_tol=1e-9, abs_tol=1e-12):
        return "equal"
    return "above" if rate > average else "below"
