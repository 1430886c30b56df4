"""Test factory: a frozen snapshot with payloads shaped as reports/PAYLOADS.md describes."""

from datetime import UTC, date, datetime

from priorities.models import Measure
from reports.freeze import reserve_snapshot_id
from reports.models import Snapshot, SnapshotPublication, SnapshotResult
from reports.payloads.window import recent_payload
from returns.periods import add_months, month_end

FOCUS = {"code": "E23000021", "name": "Leicestershire"}
MSG_MEMBERS = [
    ("E23000026", "Bedfordshire"),
    ("E23000028", "Essex"),
    ("E23000030", "Hampshire"),
    ("E23000027", "Hertfordshire"),
    ("E23000032", "Kent"),
    ("E23000021", "Leicestershire"),
    ("E23000019", "Nottinghamshire"),
    ("E23000033", "Sussex"),
]
OUTCOME_TYPES = [
    ("home_office", "1", "Charged/Summonsed", "Charge/Summons", 1),
    ("home_office", "8", "Community resolution", "Out-of-court (informal)", 8),
    ("home_office", "14", "Evidential difficulties: suspect not identified", "Evidential difficulties", 14),
    ("home_office", "18", "Investigation complete – no suspect identified", "Investigation complete", 18),
]
CRIME_GROUPS = ["Burglary", "Violence against the person"]


def _points(as_of: date, months: int = 24, base: float = 100.0) -> list[dict]:
    points = []
    for i in range(months):
        start = add_months(as_of, i - months + 1)
        value = base + (i % 5) * 3
        points.append(
            {
                "period_start": start.isoformat(),
                "period_end": month_end(start).isoformat(),
                "value": value,
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


def _limits(points: list[dict]) -> list[dict]:
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


def _msg_block(as_of: date) -> dict:
    members = []
    for rank, (code, name) in enumerate(MSG_MEMBERS, start=1):
        members.append(
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
        )
    return {
        "group": "Leicestershire MSG",
        "period_start": add_months(as_of, -11).isoformat(),
        "period_end": as_of.isoformat(),
        "months": 12,
        "summary": {
            "average_used": "mean",
            "mean_of_rates": 54.5,
            "pooled_rate": 54.5,
            "band_low": 52.0,
            "band_high": 57.0,
            "focus_rank": 6,
            "focus_position": "above",
            "focus_relative": "similar",
        },
        "members": members,
    }


def measure_payload(measure: Measure, as_of: date) -> dict:
    priorities = sorted(measure.priorities.values_list("number", flat=True))
    sentence = f"{measure.title}: figures to {as_of:%B %Y} show common cause variation."
    points = _points(as_of)
    return {
        "measure": {
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
            "priorities": priorities,
        },
        "focus_area": FOCUS,
        "trend": {"area_code": FOCUS["code"], "granularity": "month", "points": points, "limits": _limits(points)},
        "variation": "common_cause",
        "change": None,
        "msg": _msg_block(as_of) if measure.msg_comparable else None,
        "csp": [],
        "status": {
            "tone": "common_cause",
            "variation": "common_cause",
            "msg_relative": "similar" if measure.msg_comparable else None,
            "sentence": sentence,
        },
        "annotations": [],
    }


def outcomes_payload(as_of: date, months: int = 14) -> dict:
    month_list = [add_months(as_of, i - months + 1).isoformat() for i in range(months)]
    counts, totals, audits = [], [], []
    for m_index, month in enumerate(month_list):
        for g_index, group in enumerate(CRIME_GROUPS):
            total = 200 + 10 * g_index + m_index
            totals.append({"scheme": "home_office", "month": month, "crime_group": group, "total": total})
            for o_index, (scheme, code, _name, _group, _order) in enumerate(OUTCOME_TYPES):
                counts.append(
                    {
                        "scheme": scheme,
                        "month": month,
                        "crime_group": group,
                        "outcome_code": code,
                        "count": 10 + o_index * 5 + m_index,
                    }
                )
        audits.append(
            {
                "month": month,
                "crime_group": CRIME_GROUPS[0],
                "sampled": 40,
                "correct": 36,
                "share_correct": 0.9,
                "note": "",
            }
        )
    return {
        "schemes": ["home_office"],
        "months": month_list,
        "outcome_types": [
            {"scheme": s, "code": c, "name": n, "outcome_group": g, "order": o} for s, c, n, g, o in OUTCOME_TYPES
        ],
        "counts": counts,
        "totals": totals,
        "audits": audits,
    }


def snapshot_make(
    *, as_of: date = date(2014, 5, 31), published: bool = True, outcomes: bool = True, recent: bool = True
) -> Snapshot:
    """A frozen snapshot for every measure in the plan (restricted ones too, as the freeze does).

    recent=False leaves out the `measure_recent:` payloads, as a snapshot frozen before them.
    """
    # As the freeze does: the rows first, the Snapshot row last (nothing is added to a frozen snapshot).
    snapshot = Snapshot(
        id=reserve_snapshot_id(),
        as_of=as_of,
        frozen_at=datetime(as_of.year, as_of.month, as_of.day, 12, 0, tzinfo=UTC),
        frozen_by_name="Test co-ordinator",
        digest=f"{as_of:%Y%m%d}" + "ab12" * 14,
    )
    measures = list(Measure.objects.prefetch_related("priorities").order_by("order", "code"))
    results = []
    overview = []
    for measure in measures:
        payload = measure_payload(measure, as_of)
        results.append(
            SnapshotResult(snapshot=snapshot, key=f"measure:{measure.code}", measure_code=measure.code, payload=payload)
        )
        if recent:
            results.append(
                SnapshotResult(
                    snapshot=snapshot,
                    key=f"measure_recent:{measure.code}",
                    measure_code=measure.code,
                    payload=recent_payload(payload),
                )
            )
        results.append(
            SnapshotResult(
                snapshot=snapshot,
                key=f"series:{measure.code}:{FOCUS['code']}",
                measure_code=measure.code,
                payload={k: payload["trend"][k] for k in ("granularity", "points", "limits")},
            )
        )
        last = payload["trend"]["points"][-1]
        overview.append(
            {
                **{
                    k: payload["measure"][k]
                    for k in ("code", "title", "unit", "direction", "under_reported", "restricted", "priorities")
                },
                "latest": {
                    "period_start": last["period_start"],
                    "period_end": last["period_end"],
                    "value": last["value"],
                    "rolling_12": None,
                    "rate_per_1000": None,
                },
                "status": payload["status"],
            }
        )
    results.append(SnapshotResult(snapshot=snapshot, key="overview", payload={"measures": overview}))
    results.append(
        SnapshotResult(
            snapshot=snapshot,
            key="narratives",
            payload={
                "items": [
                    {
                        "submitter": "Leicester City CSP",
                        "area_code": "E06000016",
                        "period_start": add_months(as_of, -2).isoformat(),
                        "period_end": as_of.isoformat(),
                        "priority_number": number,
                        "text": f"Partnership work on SP{number} this quarter.",
                    }
                    for number in range(1, 19)
                ]
            },
        )
    )
    if outcomes:
        results.append(SnapshotResult(snapshot=snapshot, key="outcomes", payload=outcomes_payload(as_of)))
    SnapshotResult.objects.bulk_create(results)
    snapshot.save(force_insert=True)
    if published:
        SnapshotPublication.objects.create(snapshot=snapshot, published_at=snapshot.frozen_at)
    return snapshot
