"""Plan file writes: read a plan file, import it (plan, office, themes, priorities, measures,
frameworks) and export the stored plan as one."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction

from priorities.derived import derived_rebuild
from priorities.frameworks import FrameworkFileError, frameworks_export, frameworks_import
from priorities.models import (
    Direction,
    Frequency,
    Measure,
    MeasureKind,
    Office,
    Plan,
    Priority,
    Theme,
    Unit,
    WordingStatus,
)
from priorities.office import OfficeError, office_export, office_parse, office_values
from priorities.services import ChangeCount, upsert


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message names the place in the file."""


def _require(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] in (None, ""):
        raise PlanFileError(f"{where}: '{key}' is required")
    return mapping[key]


def _choice(value, choices, where: str, key: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise PlanFileError(f"{where}: '{key}' is {value!r}; use one of {allowed}")
    return value


def _optional_date(value, where: str, key: str) -> dt.date | None:
    """A date given in the plan file (YAML reads 2017-04-01 as a date; quoted, it is text), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise PlanFileError(f"{where}: '{key}' is {value!r}; give a date such as 2017-04-01") from None


# Who reports a measure and for which areas, as the plan file names them.
REPORTERS = ("force", "csp", "public")
AREA_SCOPES = ("force", "csp_areas", "own", "all_forces")
# Which area scopes make sense for which reporter ("own" is the reporter's own area).
REPORTER_SCOPES = {
    "force": ("force", "csp_areas", "own"),
    "csp": ("own",),
    "public": ("force", "csp_areas", "all_forces"),
}


def _reported_by(raw, *, where: str, frequency: str) -> list[dict]:
    """Check a measure's `reported_by` list from the plan file and return it in canonical form.

    Input: a list of mappings {submitter: force | csp | public, areas: [scope, ...],
    frequency: monthly | quarterly (default: the measure's)}. Output: the same list with every key
    present. Raises PlanFileError naming the place in the file.
    """
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise PlanFileError(f"{where}: 'reported_by' must be a list of {{submitter, areas, frequency}}")
    items = []
    for index, entry in enumerate(raw, start=1):
        place = f"{where}.reported_by[{index}]"
        reporter = _choice(_require(entry, "submitter", place), _Values(REPORTERS), place, "submitter")
        areas = entry.get("areas") or ["own"]
        if not isinstance(areas, list):
            areas = [areas]
        for scope in areas:
            if scope not in REPORTER_SCOPES[reporter]:
                allowed = ", ".join(REPORTER_SCOPES[reporter])
                raise PlanFileError(f"{place}: areas has {scope!r}; a {reporter} reports for {allowed}")
        item_frequency = _choice(entry.get("frequency", frequency), Frequency, place, "frequency")
        items.append({"submitter": reporter, "areas": list(areas), "frequency": item_frequency})
    return items


@dataclass(frozen=True)
class _Values:
    """A fixed list of allowed words, shaped like a Django choices class for _choice."""

    values: tuple


def plan_load_file(path: Path) -> dict:
    """Read a plan file (YAML or JSON; JSON is YAML) into a dict, with a clear error if it is not one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot read the file ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanFileError(f"{path}: not valid YAML or JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{path}: the file must hold a mapping with plan, themes and measures")
    return data


@transaction.atomic
def plan_import(*, data: dict) -> ChangeCount:
    """Create or update the plan from a plan file's contents (a dict as plan_load_file returns).

    Steps, in the file's order: the plan's heading, the office, themes and their priorities, the
    cross-cutting priorities, measures and the priorities they serve, frameworks; then whatever is
    derived from the plan is rebuilt. Returns what changed; importing the same file again changes
    nothing. Raises PlanFileError naming the place in the file; nothing is written then.
    """
    count = ChangeCount()
    _plan_heading_import(data, count)
    _office_import(data, count)
    priorities = _priorities_import(data, count)
    _measures_import(data, priorities, count)
    _frameworks(data.get("frameworks"), count)
    derived_rebuild(count=count)
    return count


def _plan_heading_import(data: dict, count: ChangeCount) -> None:
    """The plan file's `plan:` section: title, organisation, period and summary of the one plan."""
    plan_info = _require(data, "plan", "top level")
    plan = Plan.objects.first()
    plan_values = {
        "title": _require(plan_info, "title", "plan"),
        "organisation": _require(plan_info, "organisation", "plan"),
        "period": str(plan_info.get("period", "")),
        "summary": str(plan_info.get("summary", "")).strip(),
    }
    if plan is None:
        Plan.objects.create(**plan_values)
        count.created += 1
    else:
        upsert(Plan, lookup={"pk": plan.pk}, values=plan_values, count=count, label="plan")


def _priorities_import(data: dict, count: ChangeCount) -> dict[int, Priority]:
    """Themes with their priorities, then the cross-cutting priorities (no theme): {number: Priority}."""
    priorities: dict[int, Priority] = {}
    themes = _require(data, "themes", "top level")
    for t_index, theme_item in enumerate(themes, start=1):
        where = f"themes[{t_index}]"
        number = int(_require(theme_item, "number", where))
        theme = upsert(
            Theme,
            lookup={"number": number},
            values={
                "title": str(_require(theme_item, "title", where)).strip(),
                "summary": str(theme_item.get("summary", "")).strip(),
            },
            count=count,
            label=f"theme {number}",
        )
        for p_index, item in enumerate(theme_item.get("priorities") or [], start=1):
            _priority_import(item, theme, f"{where}.priorities[{p_index}]", priorities, count)
    cross = data.get("cross_cutting") or {}
    for p_index, item in enumerate(cross.get("priorities") or [], start=1):
        _priority_import(item, None, f"cross_cutting.priorities[{p_index}]", priorities, count)
    return priorities


def _priority_import(
    item: dict, theme: Theme | None, where: str, priorities: dict[int, Priority], count: ChangeCount
) -> None:
    """One priority, added to `priorities`; a number already there appears twice in the plan."""
    number = int(_require(item, "number", where))
    if number in priorities:
        raise PlanFileError(f"{where}: priority {number} appears twice in the plan")
    values = {
        "theme": theme,
        "title": str(_require(item, "title", where)).strip(),
        "summary": str(item.get("summary", "")).strip(),
        "wording_status": _choice(item.get("wording", WordingStatus.STAND_IN), WordingStatus, where, "wording"),
        "restricted": bool(item.get("restricted", False)),
        "restricted_narrative": str(item.get("restricted_narrative", "")).strip(),
    }
    priorities[number] = upsert(Priority, lookup={"number": number}, values=values, count=count, label=f"SP{number}")


def _measures_import(data: dict, priorities: dict[int, Priority], count: ChangeCount) -> None:
    """The plan file's `measures:` list, in order, each linked to the priorities it names."""
    seen_codes: set[str] = set()
    for m_index, item in enumerate(data.get("measures") or [], start=1):
        where = f"measures[{m_index}]"
        code = str(_require(item, "code", where)).strip()
        if code in seen_codes:
            raise PlanFileError(f"{where}: measure code {code!r} appears twice")
        seen_codes.add(code)
        values = _measure_values(item, where, order=m_index)
        measure = upsert(Measure, lookup={"code": code}, values=values, count=count, label=f"measure {code}")
        _measure_priorities_link(measure, item.get("priorities"), where, priorities, count)


def _measure_values(item: dict, where: str, *, order: int) -> dict:
    """A measure's fields from its plan file entry, checked: an under-reported measure has no good
    direction; a survey is a percentage; a ratio is a percentage or a rate."""
    under_reported = bool(item.get("under_reported", False))
    direction = _choice(_require(item, "direction", where), Direction, where, "direction")
    if under_reported and direction != Direction.NEITHER:
        raise PlanFileError(f"{where}: an under-reported measure must have direction 'neither'")
    unit = _choice(_require(item, "unit", where), Unit, where, "unit")
    kind = _choice(item.get("kind", MeasureKind.VALUE), MeasureKind, where, "kind")
    if kind == MeasureKind.SURVEY and unit != Unit.PERCENTAGE:
        raise PlanFileError(f"{where}: a survey measure's unit must be 'percentage'")
    if kind == MeasureKind.RATIO and unit not in (Unit.PERCENTAGE, Unit.RATE):
        raise PlanFileError(f"{where}: a ratio measure's unit must be 'percentage' or 'rate_per_1000'")
    frequency = _choice(_require(item, "frequency", where), Frequency, where, "frequency")
    return {
        "title": str(_require(item, "title", where)).strip(),
        "definition": str(_require(item, "definition", where)).strip(),
        "method": str(item.get("method", "")).strip(),
        "unit": unit,
        "kind": kind,
        "direction": direction,
        "under_reported": under_reported,
        "restricted": bool(item.get("restricted", False)),
        "frequency": frequency,
        "reported_by": _reported_by(item.get("reported_by"), where=where, frequency=frequency),
        "msg_comparable": bool(item.get("msg_comparable", False)),
        "cumulative": bool(item.get("cumulative", False)),
        "caveats": str(item.get("caveats", "")).strip(),
        "caveats_from": _optional_date(item.get("caveats_from"), where, "caveats_from"),
        "order": order,
    }


def _measure_priorities_link(
    measure: Measure, numbers, where: str, priorities: dict[int, Priority], count: ChangeCount
) -> None:
    """Link a measure to the priorities its entry names; a changed link counts as an update of an
    existing measure (a new one is already counted as created)."""
    wanted = set()
    for number in numbers or []:
        if int(number) not in priorities:
            raise PlanFileError(f"{where}: priority {number} is not in the plan")
        wanted.add(priorities[int(number)].pk)
    current = set(measure.priorities.values_list("pk", flat=True))
    if wanted != current:
        measure.priorities.set(wanted)
        if f"created measure {measure.code}" not in count.details:
            count.updated += 1
            count.details.append(f"updated measure {measure.code}: priorities")


def _office_import(data: dict, count: ChangeCount) -> None:
    """Store the plan file's `office:` section (priorities.office); a file without one leaves the office as it is."""
    if "office" not in data:
        return
    try:
        values = office_values(office_parse(data["office"]))
    except OfficeError as exc:
        raise PlanFileError(str(exc)) from exc
    office = Office.objects.first()
    if office is None:
        Office.objects.create(**values)
        count.created += 1
        count.details.append("created office")
    else:
        upsert(Office, lookup={"pk": office.pk}, values=values, count=count, label="office")


def _frameworks(raw, count: ChangeCount) -> None:
    """The plan file's `frameworks:` section (priorities.frameworks), after the measures it names."""
    try:
        created = frameworks_import(raw)
    except FrameworkFileError as exc:
        raise PlanFileError(str(exc)) from exc
    count.created += len(created)
    count.details.extend(created)


def plan_export() -> dict:
    """The plan as a plan-file dict (the inverse of plan_import)."""
    plan = Plan.objects.first()
    data: dict = {
        "plan": {
            "title": plan.title if plan else "",
            "organisation": plan.organisation if plan else "",
            "period": plan.period if plan else "",
            "summary": plan.summary if plan else "",
        },
        "themes": [],
    }
    office = office_export(Office.objects.first())
    if office is not None:
        data = {"office": office, **data}

    def priority_dict(p: Priority) -> dict:
        item = {"number": p.number, "title": p.title, "summary": p.summary}
        item["wording"] = p.wording_status
        if p.restricted:
            item["restricted"] = True
            item["restricted_narrative"] = p.restricted_narrative
        return item

    all_priorities = list(Priority.objects.order_by("number"))
    for theme in Theme.objects.order_by("number"):
        data["themes"].append(
            {
                "number": theme.number,
                "title": theme.title,
                "summary": theme.summary,
                "priorities": [priority_dict(p) for p in all_priorities if p.theme_id == theme.pk],
            }
        )
    cross = [priority_dict(p) for p in all_priorities if p.theme_id is None]
    if cross:
        data["cross_cutting"] = {"title": "Across the plan", "priorities": cross}
    data["measures"] = [
        {
            "code": m.code,
            "title": m.title,
            "definition": m.definition,
            "method": m.method,
            "unit": m.unit,
            "kind": m.kind,
            "direction": m.direction,
            "under_reported": m.under_reported,
            "restricted": m.restricted,
            "frequency": m.frequency,
            "reported_by": m.reported_by,
            "msg_comparable": m.msg_comparable,
            **({"cumulative": True} if m.cumulative else {}),
            "caveats": m.caveats,
            **({"caveats_from": m.caveats_from.isoformat()} if m.caveats_from else {}),
            "priorities": sorted(p.number for p in m.priorities.all()),
        }
        for m in Measure.objects.order_by("order", "code").prefetch_related("priorities")
    ]
    frameworks = frameworks_export()
    if frameworks:
        data["frameworks"] = frameworks
    return data


def plan_dump_yaml(data: dict) -> str:
    """A plan-file dict (as plan_export returns) as YAML text, keys in the order given."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
