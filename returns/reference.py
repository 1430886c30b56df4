"""Reference set-up for returns: the submitters, their agreed data sets and the return periods."""

import csv
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from priorities.models import Area, AreaKind, Measure
from priorities.office import focus_force_code
from priorities.services import ChangeCount, upsert
from returns.models import DataSetItem, PeriodKind, ReturnPeriod, Submitter, SubmitterKind
from returns.periods import due_date, financial_quarter, month_bounds

PUBLIC_SUBMITTER = "public-data"


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


def force_submitter_name(force_area: Area) -> str:
    """The force's own name (reference/police_uk_forces.csv, e.g. "Durham Constabulary"), else
    the area's name and "Police"."""
    path = Path(settings.BASE_DIR) / "fixtures" / "reference" / "police_uk_forces.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        names = {row["area_code"]: row["police_uk_name"].strip() for row in csv.DictReader(handle)}
    return names.get(force_area.code) or f"{force_area.name} Police"


def force_submitter() -> Submitter | None:
    """The submitter for the office's force (there is one once the plan and reference data are loaded)."""
    return Submitter.objects.filter(kind=SubmitterKind.FORCE).first()


def _submitters_upsert(force_area: Area, csp_areas: list[Area], count: ChangeCount) -> dict[str, list[Submitter]]:
    """Create or update the force, CSP and public submitters; remove CSP submitters of areas no
    longer the force's that have no returns and no members. Output: {"force"|"csp"|"public": [submitters]}."""
    force_name = force_submitter_name(force_area)
    force = upsert(
        Submitter,
        lookup={"kind": SubmitterKind.FORCE},
        values={"code": _slug(force_name), "name": force_name, "area": force_area},
        count=count,
        label="force submitter",
    )
    csps = [
        upsert(
            Submitter,
            lookup={"code": f"csp-{_slug(area.name)}"},
            values={"name": f"{area.name} Community Safety Partnership", "kind": SubmitterKind.CSP, "area": area},
            count=count,
            label=f"CSP submitter {area.name}",
        )
        for area in csp_areas
    ]
    Submitter.objects.filter(kind=SubmitterKind.CSP).exclude(pk__in=[s.pk for s in csps]).filter(
        returns__isnull=True, members__isnull=True
    ).delete()
    public = upsert(
        Submitter,
        lookup={"code": PUBLIC_SUBMITTER},
        values={"name": "Public data (Home Office and data.police.uk)", "kind": SubmitterKind.PUBLIC, "area": None},
        count=count,
        label="public submitter",
    )
    return {"force": [force], "csp": csps, "public": [public]}


def _data_set_lines_wanted(
    reporters: dict[str, list[Submitter]], force_area: Area, csp_areas: list[Area]
) -> set[tuple[int, int, int, str]]:
    """(submitter id, measure id, area id, frequency) for every line the plan's `reported_by` lists ask for."""
    all_forces = list(Area.objects.filter(kind=AreaKind.FORCE).order_by("name"))
    wanted: set[tuple[int, int, int, str]] = set()
    for measure in Measure.objects.order_by("order", "code"):
        for entry in measure.reported_by or []:
            for submitter in reporters.get(entry.get("submitter"), []):
                scopes = {
                    "force": [force_area],
                    "csp_areas": csp_areas,
                    "own": [submitter.area] if submitter.area else [],
                    "all_forces": all_forces,
                }
                for scope in entry.get("areas") or ["own"]:
                    for area in scopes.get(scope, []):
                        wanted.add((submitter.pk, measure.pk, area.pk, entry.get("frequency") or measure.frequency))
    return wanted


def _data_set_lines_sync(wanted: set[tuple[int, int, int, str]], count: ChangeCount) -> None:
    """Make the DataSetItem table hold exactly `wanted`, counting the lines removed and created."""
    existing = {
        (item.submitter_id, item.measure_id, item.area_id, item.frequency): item.pk
        for item in DataSetItem.objects.all()
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        DataSetItem.objects.filter(pk__in=stale).delete()
        count.updated += len(stale)
        count.details.append(f"removed {len(stale)} data set lines no longer in the plan")
    new = sorted(wanted - existing.keys())
    DataSetItem.objects.bulk_create(
        DataSetItem(submitter_id=s, measure_id=m, area_id=a, frequency=f) for s, m, a, f in new
    )
    if new:
        count.created += len(new)
        count.details.append(f"created {len(new)} data set lines")
    count.unchanged += len(wanted) - len(new)


@transaction.atomic
def data_sets_derive() -> ChangeCount:
    """Derive the submitters and their agreed data sets from the plan and reference data.

    Submitters come from the office in the plan (priorities.office): the force it covers (its
    name as data.police.uk gives it, e.g. "… Police" or "… Constabulary"), one per CSP area of
    the force, and public data. Each measure's `reported_by` list in the plan file says who
    reports it, for which areas (force, csp_areas, own, all_forces) and how often. Data set lines
    no longer in the plan are removed. Safe to run in any order and any number of times: before
    the reference data and the office are loaded it does nothing; before the measures are loaded
    it makes the submitters with empty data sets. Output: a ChangeCount of what it created,
    updated, removed.
    """
    count = ChangeCount()
    force_area = Area.objects.filter(code=focus_force_code() or "", kind=AreaKind.FORCE).first()
    if force_area is None:
        return count
    csp_areas = list(Area.objects.filter(kind=AreaKind.CSP, parent=force_area).order_by("name"))
    reporters = _submitters_upsert(force_area, csp_areas, count)
    _data_set_lines_sync(_data_set_lines_wanted(reporters, force_area, csp_areas), count)
    return count


def period_for(*, start: date, end: date) -> ReturnPeriod:
    """The return period with these dates, created with its due date if new.

    A period is a calendar month or a financial quarter (April to June is Q1); its due date is
    RETURN_DUE_WORKING_DAYS working days after its end. Raises ValueError for any other span.
    """
    if (start, end) == month_bounds(start):
        kind = PeriodKind.MONTH
    elif (start, end) == financial_quarter(start):
        kind = PeriodKind.QUARTER
    else:
        raise ValueError(f"{start} to {end} is neither a calendar month nor a financial quarter")
    period, _ = ReturnPeriod.objects.get_or_create(
        start=start,
        end=end,
        defaults={"kind": kind, "due_date": due_date(end, settings.RETURN_DUE_WORKING_DAYS)},
    )
    return period
