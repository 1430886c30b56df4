"""What a freeze reads from the database besides the observations: reference data, outcomes and narratives."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.conf import settings

from priorities.models import Area, Measure, OutcomeType, PeerGroupMember, Population
from priorities.office import current_office, focus_force_code
from reports.models import Annotation
from reports.payloads.inputs import FreezeInputs
from reports.payloads.outcomes import build_outcomes_payload
from returns.models import Narrative, OutcomeAudit, OutcomeCount, SubmitterKind


def _measures() -> list[dict]:
    through = Measure.priorities.through.objects.values_list("measure__code", "priority__number")
    numbers: dict[str, list[int]] = {}
    for code, number in through:
        numbers.setdefault(code, []).append(number)
    fields = ["code", "title", "unit", "kind", "direction", "under_reported", "restricted", "frequency",
              "msg_comparable", "cumulative", "definition", "method", "caveats"]  # fmt: skip
    office = current_office()
    context: dict[str, list[dict]] = {}
    for item in office.context if office else []:
        context.setdefault(item["measure"], []).append({"name": item["name"], "value": item["value"]})
    return [
        {
            **row,
            "priorities": sorted(numbers.get(row["code"], [])),
            **({"context": context[row["code"]]} if row["code"] in context else {}),
        }
        for row in Measure.objects.order_by("order", "code").values(*fields)
    ]


def freeze_inputs(*, as_of: dt.date, observations: pd.DataFrame) -> FreezeInputs:
    """Load the reference frames a freeze needs: a fixed number of queries, whatever the history."""
    areas = {
        code: {"name": name, "kind": kind, "parent": parent}
        for code, name, kind, parent in Area.objects.values_list("code", "name", "kind", "parent__code")
    }
    populations = pd.DataFrame.from_records(
        list(Population.objects.values_list("area__code", "mid_year", "population")),
        columns=["area_code", "mid_year", "population"],
    )
    office = current_office()
    group = ((office.peer_group or {}).get("name") if office else None) or ""
    members = [
        {"area_code": code, "valid_from": start, "valid_to": end}
        for code, start, end in PeerGroupMember.objects.filter(group__name=group).values_list(
            "area__code", "valid_from", "valid_to"
        )
    ]
    annotations = [
        {
            "measure_code": row["measure__code"],
            "area_code": row["area__code"],
            "date": row["date"],
            "label": row["label"],
            "text": row["text"],
            "recalculate_limits": row["recalculate_limits"],
        }
        for row in Annotation.objects.order_by("date", "id").values(
            "measure__code", "area__code", "date", "label", "text", "recalculate_limits"
        )
    ]
    return FreezeInputs(
        as_of=as_of,
        observations=observations,
        measures=_measures(),
        areas=areas,
        populations=populations,
        peer_group=group,
        peer_members=members,
        annotations=annotations,
        focus_area=office.force_code if office else "",
        settings={
            name: getattr(settings, name)
            for name in (
                "SPC_MIN_POINTS",
                "SPC_BASELINE_POINTS",
                "SPC_RUN_LENGTH",
                "SPC_TREND_LENGTH",
                "SPC_CONFLICT_RULE",
                "MSG_BAND_SD",
                "MSG_AVERAGE",
                "POPULATION_PUBLICATION_LAG_MONTHS",
            )  # fmt: skip
            if hasattr(settings, name)
        },
    )


def _current(prefix: str = "source_return__") -> dict:
    return {f"{prefix}is_current": True, f"{prefix}status": "accepted"}


def outcomes_payload(as_of: dt.date) -> dict:
    """`outcomes`: the focus force's outcome counts and audits to as_of from current accepted returns
    (build_outcomes_payload shapes them)."""
    focus = focus_force_code() or ""
    rows = OutcomeCount.objects.filter(area__code=focus, month__lte=as_of, **_current()).values_list(
        "outcome__scheme", "month", "crime_group", "outcome__code", "count", "source_return__decided_at"
    )
    counts = pd.DataFrame.from_records(
        [(s, m.isoformat(), g, c, n, d.isoformat() if d else "") for s, m, g, c, n, d in rows],
        columns=["scheme", "month", "crime_group", "outcome_code", "count", "decided_at"],
    )
    counts["count"] = counts["count"].astype("int64")
    types = list(
        OutcomeType.objects.order_by("scheme", "order").values("scheme", "code", "name", "outcome_group", "order")
    )
    audits = [
        {
            "month": a.month.isoformat(),
            "crime_group": a.crime_group,
            "sampled": a.sampled,
            "correct": a.correct,
            "share_correct": round(a.share_correct, 4),
            "note": a.note,
        }
        for a in OutcomeAudit.objects.filter(area__code=focus, month__lte=as_of).order_by("month", "crime_group", "id")
    ]
    return build_outcomes_payload(counts, types, audits, as_of=as_of)


def narratives_payload(as_of: dt.date) -> dict:
    """`narratives`: {"items": [...]}, each CSP's narrative text per priority from current accepted
    returns for periods ending on or before as_of, by period end, submitter and priority."""
    rows = (
        Narrative.objects.filter(
            source_return__submitter__kind=SubmitterKind.CSP, source_return__period__end__lte=as_of, **_current()
        )
        .order_by("source_return__period__end", "source_return__submitter__name", "priority_number")
        .values_list(
            "source_return__submitter__name",
            "source_return__submitter__area__code",
            "source_return__period__start",
            "source_return__period__end",
            "priority_number",
            "text",
        )
    )
    return {
        "items": [
            {
                "submitter": name,
                "area_code": area,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "priority_number": number,
                "text": text,
            }
            for name, area, start, end, number, text in rows
        ]
    }
