"""Outcomes payloads and frozen snapshots for tests, built from the measure payloads of `payloads`."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from django.utils import timezone

from reports.tests.factories.payloads import FORCE, measure_payload, month_ends, overview_entry
from returns.periods import add_months

OUTCOME_TYPES = [  # (code, name, outcome group) of the Home Office outcomes scheme
    ("1", "Charged/Summonsed", "Charge"),
    ("2", "Youth caution", "Caution"),
    ("3", "Adult caution", "Caution"),
    ("8", "Community resolution", "Out of court (informal)"),
    ("14", "Evidential difficulties: victim does not support", "Evidential difficulties"),
    ("18", "Investigation complete: no suspect identified", "No suspect"),
]
STEADY_OUTCOME_TYPES = [
    ("1", "Charged/Summonsed", "Charge/Summons"),
    ("8", "Community resolution", "Out-of-court (informal)"),
    ("14", "Evidential difficulties: suspect not identified", "Evidential difficulties"),
    ("18", "Investigation complete – no suspect identified", "Investigation complete"),
]
CRIME_GROUPS = ["Burglary", "Violence against the person"]


def outcomes_payload(as_of: dt.date, months: int | None = None, *, steady: bool = False) -> dict:
    """The `outcomes` payload for `months` months to `as_of` (default 13; 14 when steady).

    Default: six outcome types, crime group "all", random counts 50–900 (seeded), no audits.
    steady=True: four outcome types in two crime groups, count = 10 + 5 × type index + month index,
    total = 200 + 10 × group index + month index, and an audit row per month.
    """
    if steady:
        return _steady_outcomes(as_of, 14 if months is None else months)
    types = [
        {"scheme": "home_office", "code": code, "name": name, "outcome_group": group, "order": order}
        for order, (code, name, group) in enumerate(OUTCOME_TYPES, start=1)
    ]
    month_list = [start.isoformat() for start, _ in month_ends(as_of, 13 if months is None else months)]
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


def _steady_outcomes(as_of: dt.date, months: int) -> dict:
    month_list = [add_months(as_of, i - months + 1).isoformat() for i in range(months)]
    counts, totals, audits = [], [], []
    for m_index, month in enumerate(month_list):
        for g_index, group in enumerate(CRIME_GROUPS):
            totals.append(
                {"scheme": "home_office", "month": month, "crime_group": group, "total": 200 + 10 * g_index + m_index}
            )
            for o_index, (code, _name, _group) in enumerate(STEADY_OUTCOME_TYPES):
                counts.append(
                    {
                        "scheme": "home_office",
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
            {"scheme": "home_office", "code": c, "name": n, "outcome_group": g, "order": int(c)}
            for c, n, g in STEADY_OUTCOME_TYPES
        ],
        "counts": counts,
        "totals": totals,
        "audits": audits,
    }


def _store(snapshot, rows: list, *, published: bool, published_at) -> None:
    """Save as the freeze does: the rows first, the Snapshot row last (nothing is added to a frozen snapshot)."""
    from reports.models import SnapshotPublication, SnapshotResult

    SnapshotResult.objects.bulk_create(rows)
    snapshot.save(force_insert=True)
    if published:
        SnapshotPublication.objects.create(snapshot=snapshot, published_at=published_at)


def snapshot_with_results(
    *,
    as_of: dt.date = dt.date(2014, 5, 31),
    published: bool = True,
    points: int = 24,
    measures=None,
    narratives: list[dict] | None = None,
    payload_hook=None,
):
    """A frozen Snapshot of realistic payloads (the default `measure_payload`), frozen now, with overview,
    measure:<code>, outcomes and the given narratives results (needs the plan)."""
    from priorities.models import Measure
    from reports.freeze import reserve_snapshot_id
    from reports.models import Snapshot, SnapshotResult

    measures = list(measures if measures is not None else Measure.objects.prefetch_related("priorities"))
    payloads = {m.code: measure_payload(m, as_of=as_of, points=points, seed=i + 1) for i, m in enumerate(measures)}
    if payload_hook is not None:
        for payload in payloads.values():
            payload_hook(payload)
    digest = hashlib.sha256(f"{as_of}-{points}-{sorted(payloads)}".encode()).hexdigest()
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
    rows.append(SnapshotResult(snapshot=snapshot, key="outcomes", payload=outcomes_payload(as_of)))
    rows.append(SnapshotResult(snapshot=snapshot, key="narratives", payload={"items": narratives or []}))
    _store(snapshot, rows, published=published, published_at=timezone.now())
    return snapshot


def snapshot_make(
    *,
    as_of: dt.date = dt.date(2014, 5, 31),
    published: bool = True,
    outcomes: bool = True,
    recent: bool = True,
    payload_hook=None,
):
    """A frozen Snapshot of steady payloads for every measure in the plan (restricted ones too, as the freeze
    does), frozen at noon on `as_of`, with series:, overview, narratives (one per priority) and outcomes results.

    recent=False leaves out the `measure_recent:` payloads, as a snapshot frozen before them.
    payload_hook(payload), when given, may change each measure payload before anything is built from it.
    """
    from priorities.models import Measure
    from reports.freeze import reserve_snapshot_id
    from reports.models import Snapshot, SnapshotResult
    from reports.payloads.window import recent_payload

    snapshot = Snapshot(
        id=reserve_snapshot_id(),
        as_of=as_of,
        frozen_at=dt.datetime(as_of.year, as_of.month, as_of.day, 12, 0, tzinfo=dt.UTC),
        frozen_by_name="Test co-ordinator",
        digest=f"{as_of:%Y%m%d}" + "ab12" * 14,
    )
    rows, overview = [], []
    for measure in Measure.objects.prefetch_related("priorities").order_by("order", "code"):
        payload = measure_payload(measure, as_of=as_of, steady=True)
        if payload_hook is not None:
            payload_hook(payload)
        code = measure.code
        rows.append(SnapshotResult(snapshot=snapshot, key=f"measure:{code}", measure_code=code, payload=payload))
        if recent:
            rows.append(
                SnapshotResult(
                    snapshot=snapshot, key=f"measure_recent:{code}", measure_code=code, payload=recent_payload(payload)
                )
            )
        series = {k: payload["trend"][k] for k in ("granularity", "points", "limits")}
        rows.append(
            SnapshotResult(snapshot=snapshot, key=f"series:{code}:{FORCE['code']}", measure_code=code, payload=series)
        )
        overview.append(overview_entry(payload))
    rows.append(SnapshotResult(snapshot=snapshot, key="overview", payload={"measures": overview}))
    narratives = [
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
    rows.append(SnapshotResult(snapshot=snapshot, key="narratives", payload={"items": narratives}))
    if outcomes:
        rows.append(SnapshotResult(snapshot=snapshot, key="outcomes", payload=outcomes_payload(as_of, steady=True)))
    _store(snapshot, rows, published=published, published_at=snapshot.frozen_at)
    return snapshot
