"""Each measure's frozen payloads (measure:, measure_recent:, msg:) and the overview, from the prepared frames."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pandas as pd

from pcc_dashboard import vocabulary
from reports.analysis import msg as msg_analysis
from reports.analysis import plain, round_half_up, significance, status, survey
from reports.analysis.columns import (
    AREA_CODE,
    NAME,
    PERIOD_END,
    PERIOD_START,
    POPULATION,
    POPULATION_MID_YEAR,
    RATE_PER_1000,
    RESPONDENTS,
    VALUE,
)
from reports.payloads.inputs import DENOMINATOR, MEASURE_CODE, FreezeInputs, observation_frames
from reports.payloads.msg import (
    MSG_HISTORY_QUARTERS,
    Windows,
    msg_candidate_ends,
    msg_latest_end,
    msg_payload,
    msg_quarter_ends,
)
from reports.payloads.series import PERIOD_VALUE, Series, all_series, granularity, series_payload, series_texts
from reports.payloads.window import recent_payload
from returns.periods import month_end, period_label


def build_measure_payloads(inputs: FreezeInputs) -> tuple[dict[str, tuple[str, dict]], dict]:
    """Every series:, msg:, measure: and measure_recent: payload, and the overview.

    Input: the frames and dicts a freeze reads (FreezeInputs). Returns ({key: (measure_code,
    payload)}, overview), each payload shaped as reports/PAYLOADS.md describes.
    """
    obs, finest = observation_frames(inputs)
    measures = {m["code"]: m for m in inputs.measures}
    # series:<code>:<area> for every measure × area with data (xmr on array slices, no queries).
    series = all_series(finest, measures, inputs)
    results = {f"series:{code}:{area}": (code, series_payload(found)) for (code, area), found in series.items()}
    keyed, overview = _measures_results(inputs, obs, finest, series)
    results.update(keyed)
    return results, overview


def measure_payload_texts(inputs: FreezeInputs) -> tuple[dict[str, tuple[str, dict]], dict, Iterator]:
    """build_measure_payloads for a freeze at national scale: the same payloads, but the series
    ones as canonical JSON text made one measure at a time, so they are never all held at once.

    Returns ({key: (measure_code, payload)} of every msg:, measure: and measure_recent: payload,
    the overview, and an iterator of (key, measure_code, canonical JSON text) of every series:
    payload, by key). Only the series the measure payloads draw (the focus area's and its
    CSPs') are built as objects; the iterator computes the rest when it is read.
    """
    obs, finest = observation_frames(inputs)
    measures = {m["code"]: m for m in inputs.measures}
    drawn = {inputs.focus_area, *_csp_codes(inputs)}
    series = all_series(finest, measures, inputs, areas=drawn)
    keyed, overview = _measures_results(inputs, obs, finest, series)
    # The series still to make read only the finest frame, settings and annotations: the
    # observations as read are not kept for them.
    rest = dataclasses.replace(inputs, observations=inputs.observations.iloc[0:0])
    return keyed, overview, series_texts(finest, measures, rest)


def _measures_results(
    inputs: FreezeInputs, obs: pd.DataFrame, finest: pd.DataFrame, series: dict[tuple[str, str], Series]
) -> tuple[dict[str, tuple[str, dict]], dict]:
    """Every measure's msg:, measure: and measure_recent: payloads (keyed), and the overview, from
    the prepared frames and the series (at least the focus area's and its CSPs')."""
    populations = msg_analysis.PopulationChoice(
        inputs.populations, lag_months=inputs.settings.get("POPULATION_PUBLICATION_LAG_MONTHS", 12)
    )
    frozen = _Frozen(inputs, finest, series, populations, msg_quarter_ends(inputs.as_of, MSG_HISTORY_QUARTERS))
    by_measure = dict(tuple(obs.groupby(MEASURE_CODE, sort=False)))
    empty = obs.iloc[0:0]
    results, overview = {}, []
    for measure in inputs.measures:
        keyed, entry = _one_measure(measure, by_measure.get(measure["code"], empty), frozen)
        results.update(keyed)
        overview.append(entry)
    return results, {"measures": overview}


def _csp_codes(inputs: FreezeInputs) -> list[str]:
    """The focus force's community safety partnerships, by area code."""
    return sorted(
        code for code, area in inputs.areas.items() if area["kind"] == "csp" and area["parent"] == inputs.focus_area
    )


@dataclasses.dataclass
class _Frozen:
    """What every measure's payloads are built from: the inputs, the finest frame, every series,
    the population choice and the quarter ends that get an `msg:` payload."""

    inputs: FreezeInputs
    finest: pd.DataFrame
    series: dict[tuple[str, str], Series]
    populations: msg_analysis.PopulationChoice
    quarter_ends: list[dt.date]


def _one_measure(measure: dict, rows: pd.DataFrame, frozen: _Frozen) -> tuple[dict[str, tuple[str, dict]], dict]:
    """One measure's msg:, measure: and measure_recent: payloads (keyed), and its overview entry."""
    inputs, code = frozen.inputs, measure["code"]
    focus = frozen.series.get((code, inputs.focus_area))
    trend = frozen.finest.iloc[focus.start : focus.stop].reset_index(drop=True) if focus else frozen.finest.iloc[0:0]
    latest_end = None if trend.empty else dt.date.fromisoformat(trend[PERIOD_END].iloc[-1])

    # Every 12-month window this measure needs (MSG candidates, quarter ends, the latest), in one pass.
    msg_wanted = measure["msg_comparable"] and not rows.empty
    candidates, present = msg_candidate_ends(rows, inputs) if msg_wanted else ([], set())
    ends = [*candidates, *(frozen.quarter_ends if msg_wanted else []), *([latest_end] if latest_end else [])]
    windows = Windows(rows, ends, 12) if ends else None

    change, rolling_12, rate = _change_and_totals(measure, trend, windows, frozen, latest_end)
    end = msg_latest_end(candidates, present, windows, inputs) if msg_wanted else None
    msg_block, results = _msg_results(measure, rows, frozen, windows, end) if msg_wanted else (None, {})

    own = focus.points[-1].get(PERIOD_VALUE) if focus and focus.points else None
    measure_status = _status(
        measure, trend, focus.variation if focus else None, change, msg_block, rolling_12,
        focus.limits if focus else None, own,
    )  # fmt: skip
    csp = _csp_block(measure, inputs, frozen.series, windows, frozen.populations, latest_end)
    payload = _measure_payload(measure, inputs, focus, change, msg_block, csp, measure_status)
    results[f"measure:{code}"] = (code, payload)
    results[f"measure_recent:{code}"] = (code, recent_payload(payload))
    return results, _overview_entry(measure, trend, rolling_12, rate, measure_status)


def _change_and_totals(
    measure: dict, trend: pd.DataFrame, windows: Windows | None, frozen: _Frozen, latest_end: dt.date | None
) -> tuple[dict | None, float | None, float | None]:
    """(change, rolling_12, rate per 1,000) of the focus force's trend.

    A count measure: the 12 months to the latest point against the 12 before
    (significance.series_rate_change), and the 12-month total and its rate when the window is
    complete. A survey: the latest result against the same period a year before. Otherwise none.
    """
    change, rolling_12, rate = None, None, None
    if measure["unit"] == "count" and not trend.empty:
        change = significance.change_record(
            significance.series_rate_change(pd.Series(trend[VALUE].to_numpy(), index=pd.to_datetime(trend[PERIOD_END])))
        )
        focus_area = frozen.inputs.focus_area
        total, complete = windows.at(focus_area, latest_end)
        if complete:
            rolling_12 = total
            chosen = frozen.populations.at(latest_end).get(focus_area)
            if chosen is not None:
                rate = rolling_12 / float(chosen[0]) * 1000
    elif measure["kind"] == "survey":
        change = _survey_change(trend)
    return change, rolling_12, rate


def _msg_results(
    measure: dict,
    rows: pd.DataFrame,
    frozen: _Frozen,
    windows: Windows,
    end: dt.date | None,
) -> tuple[dict | None, dict[str, tuple[str, dict]]]:
    """The measure's MSG block at `end` (its latest complete window; None when there is none), and
    an `msg:<code>:<quarter end>:12` payload for each quarter end whose group has members."""
    code, inputs, populations = measure["code"], frozen.inputs, frozen.populations
    reporting = set(rows[AREA_CODE].unique().tolist())
    msg_block, results = None, {}
    if end is not None:
        msg_block = msg_payload(measure, inputs, windows, populations, reporting, end)
    for quarter_end in frozen.quarter_ends:
        block = (
            msg_block
            if end == quarter_end
            else msg_payload(measure, inputs, windows, populations, reporting, quarter_end)
        )
        if block is not None and block["summary"].get("group_size"):
            results[f"msg:{code}:{quarter_end.isoformat()}:12"] = (code, block)
    return msg_block, results


def _measure_payload(
    measure: dict,
    inputs: FreezeInputs,
    focus: Series | None,
    change: dict | None,
    msg_block: dict | None,
    csp: list[dict],
    measure_status: dict,
) -> dict:
    """`measure:<code>`: the header, the focus force's trend, change, MSG, CSP series, status and
    the annotations dated on or before as_of."""
    code = measure["code"]
    annotations = [
        {"date": a["date"].isoformat(), "label": a["label"], "text": a["text"], "area_code": a["area_code"]}
        for a in inputs.annotations
        if a["measure_code"] == code and a["date"] <= inputs.as_of
    ]
    return {
        "measure": _measure_header(measure),
        "focus_area": {"code": inputs.focus_area, "name": inputs.areas.get(inputs.focus_area, {}).get("name")},
        "trend": {
            "area_code": inputs.focus_area,
            "granularity": granularity(focus.span) if focus else None,
            "points": [dict(point) for point in focus.points] if focus else [],
            "limits": focus.limits if focus else [],
        },
        "variation": focus.variation if focus else None,
        "change": change,
        "msg": msg_block,
        "csp": csp,
        "status": measure_status,
        "annotations": annotations,
    }


def _overview_entry(
    measure: dict, trend: pd.DataFrame, rolling_12: float | None, rate: float | None, measure_status: dict
) -> dict:
    """One measure's entry of the `overview` payload: its header keys, latest figures and status."""
    latest = None
    if not trend.empty:
        last = trend.iloc[-1]
        latest = {
            PERIOD_START: last[PERIOD_START],
            PERIOD_END: last[PERIOD_END],
            VALUE: plain(float(last[VALUE])),
            "rolling_12": plain(rolling_12),
            RATE_PER_1000: round_half_up(rate, msg_analysis.RATE_DECIMALS),
        }
    return {
        **{
            key: measure[key]
            for key in ("code", "title", "unit", "direction", "under_reported", "restricted", "priorities")
        },
        "latest": latest,
        "status": measure_status,
    }


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


def _csp_block(
    measure: dict,
    inputs: FreezeInputs,
    series: dict[tuple[str, str], Series],
    windows: Windows | None,
    populations: msg_analysis.PopulationChoice,
    end: dt.date | None,
) -> list[dict]:
    csps = _csp_codes(inputs)
    counting = measure["unit"] == "count" and end is not None and windows is not None
    pops = populations.at(end or inputs.as_of)
    items = []
    for code in csps:  # area-code order, as the rows are sorted; then by name (stable)
        found = series.get((measure["code"], code))
        if found is None:
            continue
        count = None
        if counting:
            total, complete = windows.at(code, end)
            if complete:
                count = total
        population = int(pops[code][0]) if code in pops else None
        mid_year = int(pops[code][1]) if code in pops else None
        rate = count / population * 1000 if count is not None and population else None
        items.append(
            {
                AREA_CODE: code,
                NAME: inputs.areas[code]["name"],
                "count_12m": count,
                POPULATION: population,
                POPULATION_MID_YEAR: mid_year,
                RATE_PER_1000: round_half_up(rate, msg_analysis.RATE_DECIMALS),
                "points": [{PERIOD_END: p[PERIOD_END], VALUE: p[VALUE]} for p in found.points],
            }
        )
    return sorted(items, key=lambda item: item[NAME])


def _status(measure: dict, trend: pd.DataFrame, variation, change, msg_block, rolling_12, limits, period_value) -> dict:
    if trend.empty:
        return {
            "tone": vocabulary.NEUTRAL,
            "variation": None,
            "msg_relative": None,
            "sentence": f"{measure['title']}: no figures in this snapshot.",
        }
    latest = trend.iloc[-1]
    end = dt.date.fromisoformat(latest[PERIOD_END])
    start = dt.date.fromisoformat(latest[PERIOD_START])
    is_survey = measure["kind"] == "survey" and pd.notna(latest[RESPONDENTS])
    if rolling_12 is not None:
        label, value, comparison = f"12 months to {end:%B %Y}", rolling_12, "the previous 12 months"
    else:
        label, value = period_label(start, end), float(latest[VALUE])
        # Percentages are compared with the same period a year before (_survey_change).
        comparison = "the same period a year before" if measure["unit"] == "percentage" else "the previous 12 months"
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
        limits=limits[-1] if limits else None,
        latest_label=period_label(start, end),
        period_value=period_value,
        cumulative=bool(measure.get("cumulative")),
    )
    return {key: result[key] for key in ("tone", "variation", "msg_relative", "sentence")}


def _measure_header(measure: dict) -> dict:
    keys = ["code", "title", "unit", "kind", "direction", "under_reported", "restricted", "frequency",
            "msg_comparable", "definition", "method", "caveats", "priorities"]  # fmt: skip
    header = {**{key: measure[key] for key in keys}, "cumulative": bool(measure.get("cumulative", False))}
    if measure.get("context"):
        header["context"] = measure["context"]  # the office's values drawn on the chart: [{name, value}]
    return header
