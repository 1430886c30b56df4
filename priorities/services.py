"""Writes for the plan and reference data: plan import/export, reference data, populations."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from priorities.models import (
    Area,
    AreaKind,
    Direction,
    Frequency,
    Measure,
    MeasureKind,
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


def upsert(model, *, lookup: dict, values: dict, count: ChangeCount, label: str):
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
        upsert(Plan, lookup={"pk": plan.pk}, values=plan_values, count=count, label="plan")

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
        priorities[number] = upsert(
            Priority, lookup={"number": number}, values=values, count=count, label=f"SP{number}"
        )

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
        unit = _choice(_require(item, "unit", where), Unit, where, "unit")
        kind = _choice(item.get("kind", MeasureKind.VALUE), MeasureKind, where, "kind")
        if kind == MeasureKind.SURVEY and unit != Unit.PERCENTAGE:
            raise PlanFileError(f"{where}: a survey measure's unit must be 'percentage'")
        if kind == MeasureKind.RATIO and unit not in (Unit.PERCENTAGE, Unit.RATE):
            raise PlanFileError(f"{where}: a ratio measure's unit must be 'percentage' or 'rate_per_1000'")
        frequency = _choice(_require(item, "frequency", where), Frequency, where, "frequency")
        values = {
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
            "order": m_index,
        }
        measure = upsert(
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
    _derive_data_sets(count)
    return count


# Sent at the end of plan_import and reference_import, so whatever is derived from the plan and the
# reference data (the returns app's submitters and agreed data sets) is rebuilt in either order and
# on every re-run. A receiver returns a ChangeCount of what it changed. The returns app builds on
# this one, so it connects its receiver (returns.apps) rather than being called from here.
plan_loaded = Signal()


def _derive_data_sets(count: ChangeCount) -> None:
    """Ask every receiver of `plan_loaded` to rebuild what it derives, adding up what changed."""
    for _receiver, derived in plan_loaded.send(sender=ChangeCount):
        count.created += derived.created
        count.updated += derived.updated
    count.unchanged += derived.unchanged
    count.details.extend(derived.details)


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
            "kind": m.kind,
            "direction": m.direction,
            "under_reported": m.under_reported,
            "restricted": m.restricted,
            "frequency": m.frequency,
            "reported_by": m.reported_by,
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


class PopulationFileError(ValueError):
    """A reference or population file that cannot be loaded; the message names file, row, column and fix."""


def _read_csv(name: str, directory: Path | None = None) -> list[dict]:
    path = (directory or REFERENCE_DIR) / name
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise PopulationFileError(f"{name}: cannot read the reference file ({exc})") from exc


# A population is digits, optionally grouped in thousands with commas: never read out of words.
_WHOLE_NUMBER_RE = re.compile(r"\d{1,3}(,\d{3})+|\d+")


def population_cell(text: str | None, *, file_name: str, row: int, column: str) -> int | None:
    """One population cell: a positive whole number, or None when blank (unknown, never 0).

    Anything else (a note such as 'approximately 37700 in mid-2014', a decimal, a negative) raises
    PopulationFileError naming file, row, column and the fix. Reference data is never parsed out of
    free text: a figure guessed from a note would be stored as if it were certain.
    """
    text = (text or "").strip()
    if not text:
        return None
    if not _WHOLE_NUMBER_RE.fullmatch(text) or int(text.replace(",", "")) <= 0:
        raise PopulationFileError(
            f"{file_name}, row {row}, column {column}: {text!r} is not a population; write the figure as a "
            "positive whole number (digits only, e.g. 37700), or leave the cell blank if it is not known"
        )
    return int(text.replace(",", ""))


def csp_area_codes(areas: set[str], directory: Path | None = None) -> dict[str, str]:
    """CSP code (E22/W14) → the product's CSP area code, for CSPs whose only district is a product area.

    The product keys a CSP area by its district (LAD) code where one district makes one CSP, as in
    Leicestershire; reference/lad_csp_pfa_lookup_2024.csv (ONS) says which districts make each CSP.
    """
    districts: dict[str, set[str]] = {}
    for row in _read_csv("lad_csp_pfa_lookup_2024.csv", directory):
        districts.setdefault(row["csp_code"], set()).add(row["lad_code"])
    return {csp: next(iter(lads)) for csp, lads in districts.items() if len(lads) == 1 and lads <= areas}


def _reference_populations(directory: Path | None, count: ChangeCount) -> None:
    """Force populations mid-2002 to mid-2018 and CSP populations mid-2014 and mid-2019 (README, 'Populations')."""
    rows: dict[tuple[str, int], tuple[int, str]] = {}

    def add(code: str, mid_year: int, population: int, where: str) -> None:
        earlier = rows.get((code, mid_year))
        if earlier is not None and earlier[0] != population:
            raise PopulationFileError(
                f"{where}: {code} mid-{mid_year} is {population:,} here but {earlier[0]:,} in {earlier[1]}; "
                "keep one figure for each area and mid-year"
            )
        rows[(code, mid_year)] = (population, where)

    for name in ("pfa_population_mid2002_to_mid2016.csv", "police_force_area_populations.csv"):
        path = (directory or REFERENCE_DIR) / name
        for code, mid_year, population, line in populations_parse(path.read_bytes(), file_name=name, numbered=True):
            add(code, mid_year, population, f"{name}, row {line}")
    for line, row in enumerate(_read_csv("community_safety_partnerships.csv", directory), start=2):
        population = population_cell(
            row["population_mid_2014"], file_name="community_safety_partnerships.csv", row=line,
            column="population_mid_2014",
        )
        if population is not None:  # blank: not known (the note is a remark, never a figure)
            add(row["area_code"], 2014, population, f"community_safety_partnerships.csv, row {line}")
    areas = set(Area.objects.filter(kind=AreaKind.CSP).values_list("code", flat=True))
    product_csps = csp_area_codes(areas, directory)
    name = "csp_population_mid2019.csv"
    for code, mid_year, population, line in populations_parse(
        ((directory or REFERENCE_DIR) / name).read_bytes(), file_name=name, numbered=True, blank_is_unknown=True
    ):
        if code in product_csps:
            add(product_csps[code], mid_year, population, f"{name}, row {line}")
    populations_import(
        rows=[(code, year, population) for (code, year), (population, _) in sorted(rows.items())],
        source="ONS mid-year estimate",
        count=count,
    )


@transaction.atomic
def reference_import(*, directory: Path | None = None) -> ChangeCount:
    """Load force and CSP areas, populations, the MSG and outcome types from fixtures/reference.

    directory: another folder laid out like fixtures/reference (tests). Raises PopulationFileError
    (file, row, column, fix) for a cell that is not a number; nothing is written then.
    """
    count = ChangeCount()
    forces = {}
    for row in _read_csv("police_force_areas.csv", directory):
        forces[row["area_code"]] = upsert(
            Area,
            lookup={"code": row["area_code"]},
            values={"name": row["name"], "kind": AreaKind.FORCE, "region": row["region"], "parent": None},
            count=count,
            label=row["area_code"],
        )
    for row in _read_csv("community_safety_partnerships.csv", directory):
        parent = forces[row["force_area_code"]]
        upsert(
            Area,
            lookup={"code": row["area_code"]},
            values={"name": row["name"], "kind": AreaKind.CSP, "region": parent.region, "parent": parent},
            count=count,
            label=row["area_code"],
        )
    _reference_populations(directory, count)
    groups: dict[str, PeerGroup] = {}
    for row in _read_csv("most_similar_group.csv", directory):
        group = groups.get(row["group"])
        if group is None:
            group = upsert(
                PeerGroup,
                lookup={"name": row["group"]},
                values={"focus_area": forces[settings.PCC_FOCUS_FORCE], "source": "iQuanta MSG"},
                count=count,
                label=row["group"],
            )
            groups[row["group"]] = group
        upsert(
            PeerGroupMember,
            lookup={"group": group, "area": forces[row["member_area_code"]], "valid_from": MSG_VALID_FROM},
            values={"valid_to": None},
            count=count,
            label=f"{row['member_name']} in {group.name}",
        )
    for order, row in enumerate(_read_csv("crime_outcome_types.csv", directory), start=1):
        upsert(
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
    for order, row in enumerate(_read_csv("police_uk_outcome_categories.csv", directory), start=1):
        upsert(
            OutcomeType,
            lookup={"scheme": OutcomeScheme.POLICE_UK, "code": row["code"]},
            values={"name": row["name"], "outcome_group": row["outcome_group"], "order": order, "in_use_from": None},
            count=count,
            label=f"police.uk outcome {row['code']}",
        )
    _derive_data_sets(count)
    return count


def populations_parse(
    raw: bytes, *, file_name: str, numbered: bool = False, blank_is_unknown: bool = False
) -> list[tuple]:
    """Rows of `area_code, mid_year, population` → [(area_code, mid_year, population)], or with
    numbered=True [(area_code, mid_year, population, row number)] (header = row 1).

    A blank population is refused unless blank_is_unknown (then the row is skipped: unknown, never
    0); other columns, such as a note, are never read. Raises PopulationFileError listing every
    problem by file, row and column with its fix: a population or year that is not a number, or
    the same area and mid-year twice (both rows named).
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PopulationFileError(f"{file_name}: not UTF-8 text ({exc}); save it as CSV UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"area_code", "mid_year", "population"} - set(reader.fieldnames or [])
    if missing:
        raise PopulationFileError(f"{file_name}, row 1: missing column(s) {', '.join(sorted(missing))}")
    rows, problems, first_row = [], [], {}
    for line, row in enumerate(reader, start=2):
        code = (row["area_code"] or "").strip()
        try:
            mid_year = int((row["mid_year"] or "").strip())
            if not 1990 <= mid_year <= 2100:
                raise ValueError
        except ValueError:
            problems.append(f"{file_name}, row {line}, column mid_year: {row['mid_year']!r} is not a year like 2019")
            continue
        try:
            population = population_cell(row["population"], file_name=file_name, row=line, column="population")
        except PopulationFileError as exc:
            problems.append(str(exc))
            continue
        if population is None:
            if not blank_is_unknown:
                problems.append(
                    f"{file_name}, row {line}, column population: blank; give the figure, or leave the row out"
                )
            continue
        if (code, mid_year) in first_row:
            problems.append(
                f"{file_name}, rows {first_row[(code, mid_year)]} and {line}: {code} mid-{mid_year} appears twice; "
                "keep one row for each area and mid-year"
            )
            continue
        first_row[(code, mid_year)] = line
        rows.append((code, mid_year, population, line) if numbered else (code, mid_year, population))
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
            upsert(
                Population,
                lookup={"area": areas[code], "mid_year": mid_year},
                values={"population": population, "source": source},
                count=count,
                label=f"population {code} {mid_year}",
            )
    return count
