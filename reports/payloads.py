"""Build a snapshot's frozen payloads (reports/PAYLOADS.md) from frames: the selector→analysis step.

Pure pandas: takes the snapshot's observations and reference frames, returns JSON-ready dicts.
Grouped once per (measure, area); no database access here (reports/freeze.py loads the frames).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports.analysis import msg as msg_analysis
from reports.analysis import plain, significance, spc, status, survey
from reports.analysis.columns import (
    AREA_CODE,
    CI_HIGH,
    CI_LOW,
    COMPLETE,
    COUNT,
    NAME,
    PERIOD_END,
    PERIOD_START,
    POPULATION,
    POPULATION_MID_YEAR,
    RATE_PER_1000,
    RESPONDENTS,
    VALUE,
)
from returns.periods import month_end, period_label

MEASURE_CODE = "measure_code"
NUMERATOR = "numerator"
DENOMINATOR = "denominator"
SPAN = "_span"
POINT_KEYS = [
    PERIOD_START,
    PERIOD_END,
    VALUE,
    NUMERATOR,
    DENOMINATOR,
    RESPONDENTS,
    CI_LOW,
    CI_HIGH,
    "mean",
    "upper_limit",
    "lower_limit",
    "upper_2sigma",
    "lower_2sigma",
    "signal",
    "rules",
    "provisional",
]
MEMBER_KEYS = [AREA_CODE, NAME, COUNT, POPULATION, POPULATION_MID_YEAR, RATE_PER_1000, "rank", "position", "included"]
MSG_CANDIDATE_ENDS = 6  # how far back to look for a month end where the group's window is complete
MSG_HISTORY_QUARTERS = 12  # msg:<code>:<period_end>:12 for each quarter end in the last 3 years


@dataclass
class FreezeInputs:
    """Everything a freeze reads, as frames and plain dicts (see reports/freeze.py)."""

    as_of: dt.date
    observations: pd.DataFrame  # measure_code, area_code, period_start, period_end (ISO str), value, numerator, denominator, respondents, return_id
    measures: list[
        dict
    ]  # code, title, unit, direction, under_reported, restricted, frequency, msg_comparable, definition, method, caveats, priorities
    areas: dict[str, dict]  # code → {"name", "kind", "parent"}
    populations: pd.DataFrame  # area_code, mid_year, population
    peer_group: str
    peer_members: list[dict]  # area_code, valid_from (date), valid_to (date | None)
    annotations: list[dict]  # measure_code, area_code (None = all), date (date), label, text, recalculate_limits
    focus_area: str
    settings: dict = field(default_factory=dict)


def _month_index(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.year * 12 + stamps.dt.month - 1


def _round(values: np.ndarray) -> np.ndarray:
    """4 decimals, or 4 significant figures below 1 (as reports.analysis.plain does)."""
    out = np.round(values, 4)
    small = np.isfinite(values) & (values != 0) & (np.abs(values) < 1)
    if small.any():
        out[small] = [float(f"{v:.4g}") for v in values[small]]
    return out


def _records(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    """Fast JSON-ready records: floats rounded, NaN → None, numpy → Python."""
    columns = {}
    for key in keys:
        if key not in frame:
            columns[key] = [None] * len(frame)
            continue
        series = frame[key]
        if key == RESPONDENTS and series.dtype.kind == "f":
            columns[key] = [None if math.isnan(v) else int(v) for v in series]
        elif series.dtype.kind == "f":
            values = _round(series.to_numpy(dtype=float))
            columns[key] = [None if math.isnan(v) else float(v) for v in values]
        elif series.dtype.kind in "iu" and not series.hasnans:
            columns[key] = [int(v) for v in series]
        elif series.dtype.kind == "b":
            columns[key] = [bool(v) for v in series]
        else:
            columns[key] = [plain(v) for v in series]
    return [dict(zip(keys, row)) for row in zip(*(columns[k] for k in keys))] if len(frame) else []


def _finest(rows: pd.DataFrame) -> pd.DataFrame:
    """Keep each (measure, area)'s finest reporting granularity (monthly beats quarterly)."""
    finest = rows.groupby([MEASURE_CODE, AREA_CODE], sort=False)[SPAN].transform("min")
    return rows[rows[SPAN] == finest]


def _granularity(span: int) -> str:
    return {1: "month", 3: "quarter", 12: "year"}.get(int(span), "quarter")


def _recalculate_at(inputs: FreezeInputs, code: str, area: str) -> list[dt.date]:
    return sorted(
        a["date"]
        for a in inputs.annotations
        if a["measure_code"] == code and a["recalculate_limits"] and a["area_code"] in (None, area)
    )


def _points(rows: pd.DataFrame, measure: dict, inputs: FreezeInputs, area: str) -> tuple[pd.DataFrame, str | None]:
    """One series (already one granularity, sorted by period_end) with SPC columns and survey intervals."""
    s = inputs.settings
    chart = spc.xmr(
        pd.Series(rows[VALUE].to_numpy(), index=pd.to_datetime(rows[PERIOD_END])),
        direction=measure["direction"],
        recalculate_at=_recalculate_at(inputs, measure["code"], area),
        min_points=s.get("SPC_MIN_POINTS", 12),
        run_length=s.get("SPC_RUN_LENGTH", 7),
        trend_length=s.get("SPC_TREND_LENGTH", 7),
    )
    frame = rows.reset_index(drop=True).copy()
    for column in (
        "mean",
        "upper_limit",
        "lower_limit",
        "upper_2sigma",
        "lower_2sigma",
        "signal",
        "rules",
        "provisional",
    ):
        frame[column] = chart[column].to_numpy()
    if measure["unit"] == "percentage" and frame[RESPONDENTS].notna().any():
        frame = survey.survey_frame(frame)
    else:
        frame[CI_LOW] = np.nan
        frame[CI_HIGH] = np.nan
    return frame, spc.latest_variation(chart)


def _series_payload(frame: pd.DataFrame, span: int) -> dict:
    return {"granularity": _granularity(span), "points": _records(frame, POINT_KEYS)}


def _population_at(inputs: FreezeInputs, codes: list[str], period_end: dt.date) -> pd.DataFrame:
    pops = inputs.populations[inputs.populations[AREA_CODE].isin(codes)]
    if pops.empty:
        return pd.DataFrame(columns=[AREA_CODE, POPULATION, POPULATION_MID_YEAR])
    return msg_analysis.choose_population(
        pops,
        period_end=period_end,
        publication_lag_months=inputs.settings.get("POPULATION_PUBLICATION_LAG_MONTHS", 12),
    )


def _members_at(inputs: FreezeInputs, day: dt.date) -> list[str]:
    return [
        m["area_code"]
        for m in inputs.peer_members
        if m["valid_from"] <= day and (m["valid_to"] is None or m["valid_to"] >= day)
    ]


def _msg_block(measure: dict, rows: pd.DataFrame, inputs: FreezeInputs, end: dt.date, months: int = 12) -> dict | None:
    """The MSG comparison for one measure over the `months` to `end` (rows: every area's rows)."""
    members = _members_at(inputs, end)
    if not members:
        return None
    member_rows = rows[rows[AREA_CODE].isin(members)]
    if member_rows.empty:
        return None
    counts = msg_analysis.window_counts(member_rows, period_end=end, months=months)
    frame = pd.DataFrame({AREA_CODE: members})
    frame[NAME] = [inputs.areas.get(code, {}).get("name", code) for code in members]
    frame = frame.merge(counts, on=AREA_CODE, how="left")
    # An incomplete window would understate the rate: leave that member out (it is listed as excluded).
    frame[COUNT] = frame[COUNT].where(frame[COMPLETE].fillna(False).astype(bool))
    frame = frame.merge(_population_at(inputs, members, end), on=AREA_CODE, how="left")
    compared, summary = msg_analysis.msg_comparison(
        frame[[AREA_CODE, NAME, COUNT, POPULATION, POPULATION_MID_YEAR]],
        focus_area=inputs.focus_area,
        direction=measure["direction"],
        average=inputs.settings.get("MSG_AVERAGE", "mean"),
        band_sd=inputs.settings.get("MSG_BAND_SD", 1.0),
    )
    start = (pd.Timestamp(end) - pd.DateOffset(months=months - 1)).replace(day=1).date()
    return {
        "group": inputs.peer_group,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "months": months,
        "summary": plain(summary, digits=4),
        "members": _records(compared, MEMBER_KEYS),
    }


def _msg_end(rows: pd.DataFrame, inputs: FreezeInputs, months: int) -> dt.date | None:
    """Latest month end ≤ as_of whose window is complete for the focus force and most members."""
    members = _members_at(inputs, inputs.as_of)
    member_rows = rows[rows[AREA_CODE].isin(members)]
    ends = sorted(set(member_rows[PERIOD_END]), reverse=True)[:MSG_CANDIDATE_ENDS]
    best, best_key = None, None
    for iso in ends:
        end = dt.date.fromisoformat(iso)
        counts = msg_analysis.window_counts(member_rows, period_end=end, months=months)
        focus_complete = bool(counts.loc[counts[AREA_CODE] == inputs.focus_area, COMPLETE].any())
        key = (focus_complete, int(counts[COMPLETE].sum()))
        if best_key is None or key > best_key:
            best, best_key = end, key
    return best


def _quarter_ends(as_of: dt.date, count: int) -> list[dt.date]:
    ends, day = [], as_of
    while len(ends) < count:
        if day.month in (3, 6, 9, 12):
            ends.append(month_end(day))
        day = day.replace(day=1) - dt.timedelta(days=1)
    return ends


def _survey_change(frame: pd.DataFrame) -> dict | None:
    """Latest survey result against the same period a year before (two-proportion test)."""
    if frame.empty:
        return None
    latest = frame.iloc[-1]
    year_before = month_end((pd.Timestamp(latest[PERIOD_END]) - pd.DateOffset(months=12)).date()).isoformat()
    earlier = frame[frame[PERIOD_END] == year_before]
    if earlier.empty:
        return None
    earlier = earlier.iloc[-1]

    def n(row):
        value = row[RESPONDENTS] if pd.notna(row[RESPONDENTS]) else row[DENOMINATOR]
        return None if pd.isna(value) else int(value)

    n1, n2 = n(earlier), n(latest)
    if not n1 or not n2:
        return None
    result = survey.two_proportion_test(float(earlier[VALUE]), n1, float(latest[VALUE]), n2)
    result["current_period_end"] = latest[PERIOD_END]
    result["previous_period_end"] = year_before
    return plain(result, digits=4)


def _csp_block(measure: dict, rows: pd.DataFrame, inputs: FreezeInputs, end: dt.date | None) -> list[dict]:
    csps = sorted(
        (code for code, area in inputs.areas.items() if area["kind"] == "csp" and area["parent"] == inputs.focus_area),
        key=lambda code: inputs.areas[code]["name"],
    )
    csp_rows = rows[rows[AREA_CODE].isin(csps)]
    if csp_rows.empty:
        return []
    counting = measure["unit"] == "count" and end is not None
    counts = (
        msg_analysis.window_counts(csp_rows, period_end=end, months=12).set_index(AREA_CODE)
        if counting
        else pd.DataFrame()
    )
    pops = _population_at(inputs, csps, end or inputs.as_of).set_index(AREA_CODE)
    items = []
    finest = _finest(csp_rows)
    for code, group in finest.groupby(AREA_CODE, sort=False):
        count = None
        if counting and code in counts.index and bool(counts.at[code, COMPLETE]):
            count = float(counts.at[code, COUNT])
        population = int(pops.at[code, POPULATION]) if code in pops.index else None
        mid_year = int(pops.at[code, POPULATION_MID_YEAR]) if code in pops.index else None
        rate = count / population * 1000 if count is not None and population else None
        group = group.sort_values(PERIOD_END)
        items.append(
            {
                AREA_CODE: code,
                NAME: inputs.areas[code]["name"],
                "count_12m": count,
                POPULATION: population,
                POPULATION_MID_YEAR: mid_year,
                RATE_PER_1000: plain(rate),
                "points": _records(group, [PERIOD_END, VALUE]),
            }
        )
    return sorted(items, key=lambda item: item[NAME])


def _status(measure: dict, trend: pd.DataFrame, variation, change, msg_block, rolling_12) -> dict:
    if trend.empty:
        return {
            "tone": status.NEUTRAL,
            "variation": None,
            "msg_relative": None,
            "sentence": f"{measure['title']}: no figures in this snapshot.",
        }
    latest = trend.iloc[-1]
    end = dt.date.fromisoformat(latest[PERIOD_END])
    start = dt.date.fromisoformat(latest[PERIOD_START])
    is_survey = measure["unit"] == "percentage" and pd.notna(latest[RESPONDENTS])
    if rolling_12 is not None:
        label, value, comparison = f"12 months to {end:%B %Y}", rolling_12, "the previous 12 months"
    else:
        label, value = period_label(start, end), float(latest[VALUE])
        comparison = "the same period a year before" if is_survey else "the previous 12 months"
    result = status.measure_status(
        title=measure["title"],
        unit=measure["unit"],
        direction=measure["direction"],
        under_reported=measure["under_reported"],
        period_label=label,
        latest_value=value,
        variation=variation,
        change=change,
        msg=None if msg_block is None else msg_block["summary"],
        survey=is_survey,
        respondents=int(latest[RESPONDENTS]) if is_survey else None,
        comparison_label=comparison,
    )
    return {key: result[key] for key in ("tone", "variation", "msg_relative", "sentence")}


def _measure_header(measure: dict) -> dict:
    keys = ["code", "title", "unit", "direction", "under_reported", "restricted", "frequency", "msg_comparable",
            "definition", "method", "caveats", "priorities"]  # fmt: skip
    return {key: measure[key] for key in keys}


def prepare_observations(observations: pd.DataFrame) -> pd.DataFrame:
    """Add the span in months of each observation (1 = month, 3 = quarter), sorted for grouping."""
    frame = observations.copy()
    frame[SPAN] = (_month_index(frame[PERIOD_END]) - _month_index(frame[PERIOD_START]) + 1).astype(int)
    for column in (VALUE, NUMERATOR, DENOMINATOR, RESPONDENTS):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.sort_values([MEASURE_CODE, AREA_CODE, SPAN, PERIOD_END], kind="stable").reset_index(drop=True)


def with_focus_totals(obs: pd.DataFrame, *, inputs: FreezeInputs) -> pd.DataFrame:
    """Add force-level rows for measures only CSPs report (SP1–4), summed over the force's CSPs.

    A period counts only when every CSP that reports the measure has returned it, so a late
    partnership never makes the force total look low. Percentages are pooled from numerators and
    denominators; survey percentages without them are not summed.
    """
    csps = {
        code for code, area in inputs.areas.items() if area["kind"] == "csp" and area["parent"] == inputs.focus_area
    }
    units = {m["code"]: m["unit"] for m in inputs.measures}
    has_focus = set(obs.loc[obs[AREA_CODE] == inputs.focus_area, MEASURE_CODE])
    rows = obs[obs[AREA_CODE].isin(csps) & ~obs[MEASURE_CODE].isin(has_focus)]
    if rows.empty:
        return obs
    reporters = rows.groupby(MEASURE_CODE)[AREA_CODE].nunique()
    keys = [MEASURE_CODE, PERIOD_START, PERIOD_END, SPAN]
    sums = (
        rows.groupby(keys, sort=False)
        .agg(
            areas=(AREA_CODE, "nunique"),
            value=(VALUE, "sum"),
            numerator=(NUMERATOR, lambda x: x.sum(min_count=len(x))),
            denominator=(DENOMINATOR, lambda x: x.sum(min_count=len(x))),
        )
        .reset_index()
    )
    sums = sums[sums["areas"].to_numpy() == reporters.reindex(sums[MEASURE_CODE]).to_numpy()]
    unit = sums[MEASURE_CODE].map(units)
    pooled = (unit == "percentage") & sums[NUMERATOR].notna() & (sums[DENOMINATOR] > 0)
    sums.loc[pooled, VALUE] = 100 * sums.loc[pooled, NUMERATOR] / sums.loc[pooled, DENOMINATOR]
    sums = sums[(unit != "percentage") | pooled]
    if sums.empty:
        return obs
    derived = sums[keys + [VALUE, NUMERATOR, DENOMINATOR]].assign(**{AREA_CODE: inputs.focus_area, RESPONDENTS: np.nan})
    combined = pd.concat([obs, derived], ignore_index=True)
    return combined.sort_values([MEASURE_CODE, AREA_CODE, SPAN, PERIOD_END], kind="stable").reset_index(drop=True)


def build_measure_payloads(inputs: FreezeInputs) -> tuple[dict[str, tuple[str, dict]], dict]:
    """Every measure:, series: and msg: payload, and the overview. Returns ({key: (measure_code, payload)}, overview)."""
    obs = with_focus_totals(prepare_observations(inputs.observations), inputs=inputs)
    finest = _finest(obs)
    results: dict[str, tuple[str, dict]] = {}
    charts: dict[tuple[str, str], tuple[pd.DataFrame, str | None]] = {}
    measures = {m["code"]: m for m in inputs.measures}

    # series:<code>:<area> for every measure × area with data (one xmr per series, no queries).
    for (code, area), rows in finest.groupby([MEASURE_CODE, AREA_CODE], sort=False):
        measure = measures.get(code)
        if measure is None:
            continue
        frame, variation = _points(rows, measure, inputs, area)
        charts[(code, area)] = (frame, variation)
        results[f"series:{code}:{area}"] = (code, _series_payload(frame, int(rows[SPAN].iloc[0])))

    by_measure = dict(tuple(obs.groupby(MEASURE_CODE, sort=False)))
    overview = []
    empty = obs.iloc[0:0]
    for measure in inputs.measures:
        code = measure["code"]
        rows = by_measure.get(code, empty)
        trend, variation = charts.get((code, inputs.focus_area), (pd.DataFrame(columns=POINT_KEYS), None))
        span = 1 if trend.empty else int(trend[SPAN].iloc[0])
        latest_end = None if trend.empty else dt.date.fromisoformat(trend[PERIOD_END].iloc[-1])

        change, rolling_12, rate = None, None, None
        if measure["unit"] == "count" and not trend.empty:
            change = significance.change_record(
                significance.series_rate_change(
                    pd.Series(trend[VALUE].to_numpy(), index=pd.to_datetime(trend[PERIOD_END]))
                )
            )
            focus_rows = rows[rows[AREA_CODE] == inputs.focus_area]
            window = msg_analysis.window_counts(focus_rows, period_end=latest_end, months=12)
            if len(window) and bool(window[COMPLETE].iloc[0]):
                rolling_12 = float(window[COUNT].iloc[0])
                pop = _population_at(inputs, [inputs.focus_area], latest_end)
                if len(pop):
                    rate = rolling_12 / float(pop[POPULATION].iloc[0]) * 1000
        elif measure["unit"] == "percentage":
            change = _survey_change(trend)

        msg_block = None
        if measure["msg_comparable"] and not rows.empty:
            end = _msg_end(rows, inputs, 12)
            if end is not None:
                msg_block = _msg_block(measure, rows, inputs, end)
            for quarter_end in _quarter_ends(inputs.as_of, MSG_HISTORY_QUARTERS):
                block = msg_block if end == quarter_end else _msg_block(measure, rows, inputs, quarter_end)
                if block is not None and block["summary"].get("group_size"):
                    results[f"msg:{code}:{quarter_end.isoformat()}:12"] = (code, block)

        measure_status = _status(measure, trend, variation, change, msg_block, rolling_12)
        annotations = [
            {"date": a["date"].isoformat(), "label": a["label"], "text": a["text"], "area_code": a["area_code"]}
            for a in inputs.annotations
            if a["measure_code"] == code and a["date"] <= inputs.as_of
        ]
        payload = {
            "measure": _measure_header(measure),
            "focus_area": {"code": inputs.focus_area, "name": inputs.areas.get(inputs.focus_area, {}).get("name")},
            "trend": {
                "area_code": inputs.focus_area,
                "granularity": _granularity(span) if not trend.empty else None,
                "points": _records(trend, POINT_KEYS),
            },
            "variation": variation,
            "change": change,
            "msg": msg_block,
            "csp": _csp_block(measure, rows, inputs, latest_end),
            "status": measure_status,
            "annotations": annotations,
        }
        results[f"measure:{code}"] = (code, payload)
        latest = None
        if not trend.empty:
            last = trend.iloc[-1]
            latest = {
                PERIOD_START: last[PERIOD_START],
                PERIOD_END: last[PERIOD_END],
                VALUE: plain(float(last[VALUE])),
                "rolling_12": plain(rolling_12),
                RATE_PER_1000: plain(rate),
            }
        overview.append(
            {
                **{
                    key: measure[key]
                    for key in ("code", "title", "unit", "direction", "under_reported", "restricted", "priorities")
                },
                "latest": latest,
                "status": measure_status,
            }
        )
    return results, {"measures": overview}


def build_outcomes_payload(
    counts: pd.DataFrame, types: list[dict], audits: list[dict], *, as_of: dt.date, months: int = 24
) -> dict:
    """R10: outcome counts for the months to as_of (at least 13), neutral order, with audit findings.

    counts columns: scheme, month (ISO first-of-month), crime_group, outcome_code, count, decided_at.
    """
    last = as_of.replace(day=1)
    first = (pd.Timestamp(last) - pd.DateOffset(months=months - 1)).date()
    month_list = [d.date().isoformat() for d in pd.date_range(first, last, freq="MS")]
    frame = counts[(counts["month"] >= first.isoformat()) & (counts["month"] <= last.isoformat())]
    # The same figure from two current returns: the later decision wins.
    keys = ["scheme", "month", "crime_group", "outcome_code"]
    frame = frame.sort_values("decided_at", kind="stable").drop_duplicates(keys, keep="last")
    frame = frame.sort_values(keys, kind="stable")
    totals = frame.groupby(["scheme", "month", "crime_group"], as_index=False)["count"].sum()
    schemes = sorted(set(frame["scheme"]))
    return {
        "schemes": schemes,
        "months": month_list,
        "outcome_types": [t for t in types if t["scheme"] in schemes],
        "counts": _records(frame, [*keys, "count"]),
        "totals": [
            {"scheme": r.scheme, "month": r.month, "crime_group": r.crime_group, "total": int(r.count)}
            for r in totals.itertuples(index=False)
        ],
        "audits": [a for a in audits if first.isoformat() <= a["month"] <= last.isoformat()],
    }
