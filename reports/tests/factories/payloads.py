"""Measure payloads shaped as reports/PAYLOADS.md describes, realistic or steady.

The default is a realistic series run through the analysis code (noise, a signal, MSG and CSP comparisons,
change tests); `steady=True` is plain arithmetic (a fixed common cause series, fixed limits, status and MSG
block) for tests that assert exact numbers or words.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd

from reports.analysis import plain
from reports.analysis.msg import msg_comparison, msg_records
from reports.analysis.significance import change_record, series_rate_change
from reports.analysis.spc import chart_records, latest_variation, xmr
from reports.analysis.status import measure_status
from reports.analysis.survey import two_proportion_test, wilson_interval
from reports.api_selectors import MEMBER_KEYS
from returns.periods import add_months, month_end

FORCE = {"code": "E23000021", "name": "Leicestershire"}
MSG_FORCES = [
    ("E23000021", "Leicestershire", 1_020_000),
    ("E23000026", "Bedfordshire", 640_000),
    ("E23000028", "Essex", 1_780_000),
    ("E23000030", "Hampshire", 1_960_000),
    ("E23000027", "Hertfordshire", 1_150_000),
    ("E23000032", "Kent", 1_770_000),
    ("E23000019", "Nottinghamshire", 1_110_000),
    ("E23000033", "Sussex", 1_650_000),
]  # the force's Most Similar Group, with rounded populations
CSP_AREAS = [
    ("E07000129", "Blaby", 95_000),
    ("E07000131", "Harborough", 88_000),
    ("E06000016", "Leicester", 330_000),
    ("E07000134", "North West Leicestershire", 95_000),
    ("E06000017", "Rutland", 38_000),
]


def month_ends(end: dt.date, n: int, *, step: int = 1) -> list[tuple[dt.date, dt.date]]:
    """(period_start, period_end) for n periods of `step` months ending at `end`, oldest first."""
    last = pd.Period(end, freq="M")
    periods = []
    for i in range(n - 1, -1, -1):
        stop = last - i * step
        start = stop - (step - 1)
        periods.append((start.start_time.date(), stop.end_time.date()))
    return periods


def synthetic_values(n: int, *, level: float, seed: int, shift_last: int = 0, shift: float = 0.0) -> list[float]:
    """A noisy series round `level`, with the last `shift_last` points moved by `shift` (a signal)."""
    rng = random.Random(seed)
    values = [round(level + rng.gauss(0, level * 0.04)) for _ in range(n)]
    for i in range(max(0, n - shift_last), n):
        values[i] = round(values[i] + shift)
    return [float(v) for v in values]


def trend_points(
    values: list[float], *, end: dt.date, direction: str, step: int = 1, respondents: int | None = None
) -> list[dict]:
    """`trend.points` as snapshot_freeze writes them: xmr records plus period_start and extras."""
    periods = month_ends(end, len(values), step=step)
    series = pd.Series(values, index=pd.to_datetime([p[1] for p in periods]))
    records = chart_records(xmr(series, direction=direction))
    points = []
    for (start, _), record in zip(periods, records):
        low, high = wilson_interval(record["value"], respondents) if respondents else (None, None)
        points.append(
            {
                "period_start": start.isoformat(),
                "period_end": record["period_end"],
                "value": record["value"],
                "numerator": None,
                "denominator": None,
                "respondents": respondents,
                "ci_low": plain(low),
                "ci_high": plain(high),
                **{k: record[k] for k in ("mean", "upper_limit", "lower_limit", "upper_2sigma", "lower_2sigma")},
                "signal": record["signal"],
                "rules": record["rules"],
                "provisional": record["provisional"],
            }
        )
    return points


def steady_points(as_of: dt.date, months: int = 24, base: float = 100.0) -> list[dict]:
    """`trend.points` of a steady monthly series to `as_of`: value = base + 3 × (i mod 5), fixed limits."""
    points = []
    for i in range(months):
        start = add_months(as_of, i - months + 1)
        points.append(
            {
                "period_start": start.isoformat(),
                "period_end": month_end(start).isoformat(),
                "value": base + (i % 5) * 3,
                "numerator": None,
                "denominator": None,
                "respondents": None,
                "ci_low": None,
                "ci_high": None,
                "mean": base + 6,
                "upper_limit": base + 20,
                "lower_limit": base - 8,
                "upper_2sigma": base + 15,
                "lower_2sigma": base - 3,
                "signal": None,
                "rules": "",
                "provisional": False,
            }
        )
    return points


def single_limits(points: list[dict]) -> list[dict]:
    """One set of limits from every point, as the freeze writes `trend.limits`."""
    return [
        {
            "from": points[0]["period_end"],
            "baseline_from": points[0]["period_end"],
            "baseline_to": points[-1]["period_end"],
            "baseline_points": len(points),
            "provisional": False,
            "min_points": 12,
            "recalculated": None,
        }
    ]


def measure_block(measure) -> dict:
    """The `measure` block of a payload from a priorities.Measure."""
    return {
        "code": measure.code,
        "title": measure.title,
        "unit": measure.unit,
        "direction": measure.direction,
        "under_reported": measure.under_reported,
        "restricted": measure.restricted,
        "frequency": measure.frequency,
        "msg_comparable": measure.msg_comparable,
        "definition": measure.definition,
        "method": measure.method,
        "caveats": measure.caveats,
        "priorities": sorted(p.number for p in measure.priorities.all()),
    }


def msg_block(*, end: dt.date, direction: str, level: float = 1.0, code_seed: int = 1, steady: bool = False) -> dict:
    """The `msg` block for the 12 months to `end`: counts round `level` per 1,000 people compared by the
    analysis code, or (steady) fixed rates 50 + rank per 1,000 with the force sixth, above the mean but
    inside the band."""
    if steady:
        members = [
            {
                "area_code": code,
                "name": name,
                "count": 50000.0 + rank * 1000,
                "population": 1000000.0,
                "population_mid_year": 2016,
                "rate_per_1000": 50.0 + rank,
                "rank": rank,
                "position": "below" if rank <= 4 else "above",
            }
            for rank, (code, name, _) in enumerate(sorted(MSG_FORCES, key=lambda force: force[1]), start=1)
        ]
        summary = {
            "average_used": "mean",
            "mean_of_rates": 54.5,
            "pooled_rate": 54.5,
            "band_low": 52.0,
            "band_high": 57.0,
            "focus_rank": 6,
            "focus_position": "above",
            "focus_relative": "similar",
        }
        start = add_months(end, -11).isoformat()
    else:
        rng = random.Random(code_seed)
        frame = pd.DataFrame(
            [
                {
                    "area_code": code,
                    "name": name,
                    "count": float(round(pop / 1000 * level * rng.uniform(0.7, 1.3))),
                    "population": float(pop),
                    "population_mid_year": end.year - 1,
                }
                for code, name, pop in MSG_FORCES
            ]
        )
        records = msg_records(*msg_comparison(frame, focus_area=FORCE["code"], direction=direction))
        members = [{k: m.get(k) for k in MEMBER_KEYS} for m in records["members"]]
        summary = records["summary"]
        start = (pd.Period(end, freq="M") - 11).start_time.date().isoformat()
    return {
        "group": "Leicestershire MSG",
        "period_start": start,
        "period_end": end.isoformat(),
        "months": 12,
        "summary": summary,
        "members": members,
    }


def measure_payload(measure, *, as_of: dt.date, points: int = 24, seed: int = 1, steady: bool = False) -> dict:
    """A `measure:<code>` payload for a priorities.Measure with `points` periods of history to `as_of`.

    Default: a series from `seed` (a step down over the last 8 periods for counts), run through the
    analysis code for variation, change, MSG, status and CSP rows, with one annotation; no `trend.limits`.
    steady=True: monthly points from `steady_points` with one set of limits, common cause variation, the
    fixed MSG block, the status sentence "<title>: figures to <Month YYYY> show common cause variation.",
    no change, CSP rows or annotations (`seed` is not used).
    """
    parts = _steady_parts(measure, as_of, points) if steady else _analysed_parts(measure, as_of, points, seed)
    return {"measure": measure_block(measure), "focus_area": FORCE, **parts}


def _steady_parts(measure, as_of: dt.date, points: int) -> dict:
    trend = steady_points(as_of, points)
    return {
        "trend": {"area_code": FORCE["code"], "granularity": "month", "points": trend, "limits": single_limits(trend)},
        "variation": "common_cause",
        "change": None,
        "msg": msg_block(end=as_of, direction=measure.direction, steady=True) if measure.msg_comparable else None,
        "csp": [],
        "status": {
            "tone": "common_cause",
            "variation": "common_cause",
            "msg_relative": "similar" if measure.msg_comparable else None,
            "sentence": f"{measure.title}: figures to {as_of:%B %Y} show common cause variation.",
        },
        "annotations": [],
    }


def _analysed_parts(measure, as_of: dt.date, points: int, seed: int) -> dict:
    step = 1 if measure.frequency == "monthly" else 3
    unit = measure.unit
    survey = unit == "percentage" and ("satisfaction" in measure.code or measure.code == "public_confidence")
    if unit == "pounds":
        values = [float(500_000 * (i + 1)) for i in range(points)]
    elif unit == "percentage":
        values = [round(v / 100, 1) for v in synthetic_values(points, level=7800, seed=seed)]
    else:
        level = 6000 if measure.code == "all_crime" else 400
        values = synthetic_values(points, level=level, seed=seed, shift_last=8, shift=-level * 0.2)
    respondents = 900 if survey else None
    trend = trend_points(values, end=as_of, direction=measure.direction, step=step, respondents=respondents)
    index = pd.to_datetime([p["period_end"] for p in trend])
    if survey and len(values) >= 5:
        change = two_proportion_test(values[-5], respondents, values[-1], respondents)
    elif unit == "count":
        change = change_record(series_rate_change(pd.Series(values, index=index)))
    else:
        change = None
    variation = latest_variation(xmr(pd.Series(values, index=index), direction=measure.direction))
    msg = (
        msg_block(code_seed=seed, end=as_of, direction=measure.direction, level=values[-1] / 1000)
        if measure.msg_comparable
        else None
    )
    status = measure_status(
        title=measure.title,
        unit=unit,
        direction=measure.direction,
        under_reported=measure.under_reported,
        period_label=f"{'12 months' if unit == 'count' else 'quarter'} to {as_of:%B %Y}",
        latest_value=values[-1],
        variation=variation,
        change=change,
        msg=(msg or {}).get("summary"),
        survey=survey,
        respondents=respondents,
    )
    return {
        "trend": {"area_code": FORCE["code"], "granularity": "month" if step == 1 else "quarter", "points": trend},
        "variation": status["variation"],
        "change": change,
        "msg": msg,
        "csp": _csp_rows(trend, as_of, step) if unit == "count" else [],
        "status": status,
        "annotations": [
            {
                "date": trend[len(trend) // 2]["period_end"],
                "label": "Recording practice changed",
                "text": "HMIC crime data integrity inspection.",
                "area_code": None,
            }
        ],
    }


def _csp_rows(trend: list[dict], as_of: dt.date, step: int) -> list[dict]:
    """The `csp` rows: each CSP area's share (population / 650,000) of the force's points."""
    rows = []
    for code, name, pop in CSP_AREAS:
        share = pop / 650_000
        area_points = [{"period_end": p["period_end"], "value": round(p["value"] * share)} for p in trend]
        count_12m = float(sum(p["value"] for p in area_points[-12 // step :]))
        rows.append(
            {
                "area_code": code,
                "name": name,
                "count_12m": count_12m,
                "population": pop,
                "population_mid_year": as_of.year - 1,
                "rate_per_1000": round(count_12m / pop * 1000, 4),
                "points": area_points,
            }
        )
    return rows


def overview_entry(payload: dict) -> dict:
    """The `overview` entry of one measure payload: its measure fields, latest point and status."""
    measure, last = payload["measure"], payload["trend"]["points"][-1]
    return {
        **{k: measure[k] for k in ("code", "title", "unit", "direction", "under_reported", "restricted", "priorities")},
        "latest": {
            "period_start": last["period_start"],
            "period_end": last["period_end"],
            "value": last["value"],
            "rolling_12": None,
            "rate_per_1000": None,
        },
        "status": payload["status"],
    }
