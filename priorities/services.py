"""Writes for the plan and reference data: plan import/export, reference data, populations."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from priorities.models import (
    Area,
    AreaKind,
    Direction,
    Frequency,
    Measure,
    OutcomeScheme,
    OutcomeType,
    PeerGroup,
    PeerGroupMember,
    Plan,
    Population,
    Priority,
    Theme,
    Unit,
    WordingStatus,
)

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "reference"
# The MSG as given in the paper; membership is dated so a later regrouping can be recorded.
MSG_VALID_FROM = date(2010, 4, 1)


class PlanFileError(ValueError):
    """A plan file that cannot be loaded; the message names the place in the file."""


@dataclass
class ChangeCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _upsert(model, *, lookup: dict, values: dict, count: ChangeCount, label: str):
    """Create or update one row, counting what changed (so a re-import can say 'no change')."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        count.created += 1
        count.details.append(f"created {label}")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        count.updated += 1
        count.details.append(f"updated {label}: {', '.join(changed)}")
    else:
        count.unchanged += 1
    return obj


def _require(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] in (None, ""):
        raise PlanFileError(f"{where}: '{key}' is required")
    return mapping[key]


def _choice(value, choices, where: str, key: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise PlanFileError(f"{where}: '{key}' is {value!r}; use one of {allowed}")
    return value


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
    """Create or update the plan from a plan file's contents. Importing the same file changes nothing."""
    count = ChangeCount()
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
        _upsert(Plan, lookup={"pk": plan.pk}, values=plan_values, count=count, label="plan")

    seen_priorities: set[int] = set()
    priorities: dict[int, Priority] = {}

    def load_priority(item: dict, theme: Theme | None, where: str) -> None:
        number = int(_require(item, "number", where))
        if number in seen_priorities:
            raise PlanFileError(f"{where}: priority {number} appears twice in the plan")
        seen_priorities.add(number)
        values = {
            "theme": theme,
            "title": str(_require(item, "title", where)).strip(),
            "summary": str(item.get("summary", "")).strip(),
            "wording_status": _choice(
                item.get("wording", WordingStatus.STAND_IN), WordingStatus, where, "wording"
            ),
            "restricted": bool(item.get("restricted", False)),
            "restricted_narrative": str(item.get("restricted_narrative", "")).strip(),
        }
        priorities[number] = _upsert(
            Priority, lookup={"number": number}, values=values, count=count, label=f"SP{number}"
        )

    themes = _require(data, "themes", "top level")
    for t_index, theme_item in enumerate(themes, start=1):
        where = f"themes[{t_index}]"
        number = int(_require(theme_item, "number", where))
        theme = _upsert(
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
            load_priority(item, theme, f"{where}.priorities[{p_index}]")
    cross = data.get("cross_cutting") or {}
    for p_index, item in enumerate(cross.get("priorities") or [], start=1):
        load_priority(item, None, f"cross_cutting.priorities[{p_index}]")

    seen_codes: set[str] = set()
    for m_index, item in enumerate(data.get("measures") or [], start=1):
        where = f"measures[{m_index}]"
        code = str(_require(item, "code", where)).strip()
        if code in seen_codes:
            raise PlanFileError(f"{where}: measure code {code!r} appears twice")
        seen_codes.add(code)
        under_reported = bool(item.get("under_reported", False))
        direction = _choice(_require(item, "direction", where), Direction, where, "direction")
        if under_reported and direction != Direction.NEITHER:
            raise PlanFileError(f"{where}: an under-reported measure must have direction 'neither'")
        values = {
            "title": str(_require(item, "title", where)).strip(),
            "definition": str(_require(item, "definition", where)).strip(),
            "method": str(item.get("method", "")).strip(),
            "unit": _choice(_require(item, "unit", where), Unit, where, "unit"),
            "direction": direction,
            "under_reported": under_reported,
            "restricted": bool(item.get("restricted", False)),
            "frequency": _choice(_require(item, "frequency", where), Frequency, where, "frequency"),
            "msg_comparable": bool(item.get("msg_comparable", False)),
            "cumulative": bool(item.get("cumulative", False)),
            "caveats": str(item.get("caveats", "")).strip(),
            "order": m_index,
        }
        measure = _upsert(
            Measure, lookup={"code": code}, values=values, count=count, label=f"measure {code}"
        )
        wanted = set()
        for number in item.get("priorities") or []:
            if int(number) not in priorities:
                raise PlanFileError(f"{where}: priority {number} is not in the plan")
            wanted.add(priorities[int(number)].pk)
        current = set(measure.priorities.values_list("pk", flat=True))
        if wanted != current:
            measure.priorities.set(wanted)
            if values and measure.pk and f"created measure {code}" not in count.details:
                count.updated += 1
                count.details.append(f"updated measure {code}: priorities")
    return count


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
            "direction": m.direction,
            "under_reported": m.under_reported,
            "restricted": m.restricted,
            "frequency": m.frequency,
            "msg_comparable": m.msg_comparable,
            **({"cumulative": True} if m.cumulative else {}),
            "caveats": m.caveats,
            "priorities": sorted(p.number for p in m.priorities.all()),
        }
        for m in Measure.objects.order_by("order", "code").prefetch_related("priorities")
    ]
    return data


def plan_dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _read_csv(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def reference_import() -> ChangeCount:
    """Load force and CSP areas, populations, the MSG and outcome types from fixtures/reference."""
    count = ChangeCount()
    forces = {}
    for row in _read_csv("police_force_areas.csv"):
        forces[row["area_code"]] = _upsert(
            Area,
            lookup={"code": row["area_code"]},
            values={"name": row["name"], "kind": AreaKind.FORCE, "region": row["region"], "parent": None},
            count=count,
            label=row["area_code"],
        )
    for row in _read_csv("community_safety_partnerships.csv"):
        parent = forces[row["force_area_code"]]
        area = _upsert(
            Area,
            lookup={"code": row["area_code"]},
            values={"name": row["name"], "kind": AreaKind.CSP, "region": parent.region, "parent": parent},
            count=count,
            label=row["area_code"],
        )
        population, source = row["population_mid_2014"], "ONS mid-2014 estimate"
        if not population:
            # Leicester and Rutland: the reference gives an approximate figure in the note.
            digits = "".join(ch for ch in row["population_note"] if ch.isdigit())
            population, source = digits[:6] if digits else "", "approximate (unverified)"
        if population:
            _upsert(
                Population,
                lookup={"area": area, "mid_year": 2014},
                values={"population": int(population), "source": source},
                count=count,
                label=f"population {row['area_code']} 2014",
            )
    population_rows = [
        (row["area_code"], int(row["mid_year"]), int(row["population"]))
        for row in _read_csv("police_force_area_populations.csv")
    ]
    populations_import(rows=population_rows, source="ONS mid-year estimate", count=count)
    groups: dict[str, PeerGroup] = {}
    for row in _read_csv("most_similar_group.csv"):
        group = groups.get(row["group"])
        if group is None:
            group = _upsert(
                PeerGroup,
                lookup={"name": row["group"]},
                values={"focus_area": forces[settings.PCC_FOCUS_FORCE], "source": "iQuanta MSG"},
                count=count,
                label=row["group"],
            )
            groups[row["group"]] = group
        _upsert(
            PeerGroupMember,
            lookup={"group": group, "area": forces[row["member_area_code"]], "valid_from": MSG_VALID_FROM},
            values={"valid_to": None},
            count=count,
            label=f"{row['member_name']} in {group.name}",
        )
    for order, row in enumerate(_read_csv("crime_outcome_types.csv"), start=1):
        _upsert(
            OutcomeType,
            lookup={"scheme": OutcomeScheme.HOME_OFFICE, "code": row["code"]},
            values={
                "name": row["name"],
                "outcome_group": row["outcome_group"],
                "in_use_from": date.fromisoformat(row["in_use_from"]),
                "order": order,
            },
            count=count,
            label=f"outcome {row['code']}",
        )
    for order, row in enumerate(_read_csv("police_uk_outcome_categories.csv"), start=1):
        _upsert(
            OutcomeType,
            lookup={"scheme": OutcomeScheme.POLICE_UK, "code": row["code"]},
            values={"name": row["name"], "outcome_group": row["outcome_group"], "order": order, "in_use_from": None},
            count=count,
            label=f"police.uk outcome {row['code']}",
        )
    return count


class PopulationFileError(ValueError):
    pass


def populations_parse(raw: bytes, *, file_name: str) -> list[tuple[str, int, int]]:
    """Rows of `area_code, mid_year, population`; every problem named by file, row and column."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PopulationFileError(f"{file_name}: not UTF-8 text ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"area_code", "mid_year", "population"} - set(reader.fieldnames or [])
    if missing:
        raise PopulationFileError(f"{file_name}, row 1: missing column(s) {', '.join(sorted(missing))}")
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        code = (row["area_code"] or "").strip()
        try:
            mid_year = int(row["mid_year"].strip())
            if not 1990 <= mid_year <= 2100:
                raise ValueError
        except (ValueError, AttributeError):
            problems.append(f"{file_name}, row {line}, column mid_year: {row['mid_year']!r} is not a year")
            continue
        try:
            population = int((row["population"] or "").replace(",", "").strip())
            if population <= 0:
                raise ValueError
        except ValueError:
            problems.append(
                f"{file_name}, row {line}, column population: {row['population']!r} is not a positive whole number"
            )
            continue
        rows.append((code, mid_year, population))
    if problems:
        raise PopulationFileError("\n".join(problems))
    return rows


def populations_import(*, rows: list[tuple[str, int, int]], source: str, count: ChangeCount | None = None) -> ChangeCount:
    """Create or update populations; an unknown area code stops the whole import."""
    count = count or ChangeCount()
    areas = {a.code: a for a in Area.objects.filter(code__in={r[0] for r in rows})}
    unknown = sorted({r[0] for r in rows} - set(areas))
    if unknown:
        raise PopulationFileError(f"unknown area code(s): {', '.join(unknown)}; run import_reference first")
    with transaction.atomic():
        for code, mid_year, population in rows:
            _upsert(
                Population,
                lookup={"area": areas[code], "mid_year": mid_year},
                values={"population": population, "source": source},
                count=count,
                label=f"population {code} {mid_year}",
            )
    return count
