"""Test factories: frozen snapshots with realistic payloads (reports/PAYLOADS.md) built by the analysis code."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pandas as pd
from django.utils import timezone

from reports.analysis import plain
from reports.analysis.msg import msg_comparison, msg_records
from reports.analysis.significance import change_record, series_rate_change
from reports.analysis.spc import chart_records, latest_variation, xmr
from reports.analysis.status import measure_status
from reports.analysis.survey import two_proportion_test, wilson_interval

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
]
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


def msg_block(*, code_seed: int, end: dt.date, direction: str, level: float) -> dict:
    rng = random.Random(code_seed)
    members = pd.DataFrame(
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
    frame, summary = msg_comparison(members, focus_area=FORCE["code"], direction=direction)
    records = msg_records(frame, summary)
    return {
        "group": "Leicestershire MSG",
        "period_start": (pd.Period(end, freq="M") - 11).start_time.date().isoformat(),
        "period_end": end.isoformat(),
        "months": 12,
        "summary": records["summary"],
        "members": [
            {
                k: m.get(k)
                for k in (
                    "area_code",
                    "name",
                    "count",
                    "population",
                    "population_mid_year",
                    "rate_per_1000",
                    "rank",
                    "position",
                )
            }
            for m in records["members"]
        ],
    }


def measure_payload(measure, *, as_of: dt.date, points: int = 24, seed: int = 1) -> dict:
    """A `measure:<code>` payload for a priorities.Measure with `points` periods of history."""
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
    csp = []
    if unit == "count":
        for code, name, pop in CSP_AREAS:
            share = pop / 650_000
            area_points = [{"period_end": p["period_end"], "value": round(p["value"] * share)} for p in trend]
            count_12m = float(sum(p["value"] for p in area_points[-12 // step :]))
            csp.append(
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
    return {
        "measure": measure_block(measure),
        "focus_area": FORCE,
        "trend": {"area_code": FORCE["code"], "granularity": "month" if step == 1 else "quarter", "points": trend},
        "variation": status["variation"],
        "change": change,
        "msg": msg,
        "csp": csp,
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


def overview_entry(payload: dict) -> dict:
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


def outcomes_payload(*, as_of: dt.date, months: int = 13) -> dict:
    types = [
        {"scheme": "home_office", "code": str(code), "name": name, "outcome_group": group, "order": order}
        for order, (code, name, group) in enumerate(
            [
                (1, "Charged/Summonsed", "Charge"),
                (2, "Youth caution", "Caution"),
                (3, "Adult caution", "Caution"),
                (8, "Community resolution", "Out of court (informal)"),
                (14, "Evidential difficulties: victim does not support", "Evidential difficulties"),
                (18, "Investigation complete: no suspect identified", "No suspect"),
            ],
            start=1,
        )
    ]
    month_list = [start.isoformat() for start, _ in month_ends(as_of, months)]
    rng = random.Random(7)
    counts, totals = [], []
    for month in month_list:
        total = 0
        for t in types:
            count = rng.randint(50, 900)
            total += count
            counts.append(
                {
                    "scheme": "home_office",
                    "month": month,
                    "crime_group": "all",
                    "outcome_code": t["code"],
                    "count": count,
                }
            )
        totals.append({"scheme": "home_office", "month": month, "crime_group": "all", "total": total})
    return {
        "schemes": ["home_office"],
        "months": month_list,
        "outcome_types": types,
        "counts": counts,
        "totals": totals,
        "audits": [],
    }


def snapshot_with_results(
    *,
    as_of: dt.date = dt.date(2014, 5, 31),
    published: bool = True,
    points: int = 24,
    measures=None,
    narratives: list[dict] | None = None,
    payload_hook=None,
):
    """A frozen Snapshot with overview, measure:<code>, outcomes and narratives results (needs the plan)."""
    from priorities.models import Measure
    from reports.freeze import reserve_snapshot_id
    from reports.models import Snapshot, SnapshotPublication, SnapshotResult

    measures = list(measures if measures is not None else Measure.objects.prefetch_related("priorities"))
    payloads = {m.code: measure_payload(m, as_of=as_of, points=points, seed=i + 1) for i, m in enumerate(measures)}
    if payload_hook is not None:
        for payload in payloads.values():
            payload_hook(payload)
    digest = hashlib.sha256(f"{as_of}-{points}-{sorted(payloads)}".encode()).hexdigest()
    # As the freeze does: the rows first, the Snapshot row last (nothing is added to a frozen snapshot).
    snapshot = Snapshot(
        id=reserve_snapshot_id(),
        as_of=as_of,
        frozen_at=timezone.now(),
        frozen_by_name="Test Co-ordinator",
        digest=digest,
        observation_count=points * len(measures),
    )
    rows = [
        SnapshotResult(snapshot=snapshot, key=f"measure:{code}", measure_code=code, payload=payload)
        for code, payload in payloads.items()
    ]
    rows.append(
        SnapshotResult(
            snapshot=snapshot, key="overview", payload={"measures": [overview_entry(p) for p in payloads.values()]}
        )
    )
    rows.append(SnapshotResult(snapshot=snapshot, key="outcomes", payload=outcomes_payload(as_of=as_of)))
    rows.append(SnapshotResult(snapshot=snapshot, key="narratives", payload={"items": narratives or []}))
    SnapshotResult.objects.bulk_create(rows)
    snapshot.save(force_insert=True)
    if published:
        SnapshotPublication.objects.create(snapshot=snapshot, published_at=timezone.now())
    return snapshot
