"""Reference data writes: force and CSP areas, districts, populations and outcome types from
fixtures/reference, and population files."""

import csv
import io
import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from priorities.derived import derived_rebuild
from priorities.models import Area, AreaKind, District, OutcomeScheme, OutcomeType, Population
from priorities.selectors import district_csps, single_district_csps
from priorities.services import ChangeCount, upsert

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "reference"


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


# The ONS district → CSP → force lookups, oldest first: a later lookup's names win.
DISTRICT_LOOKUPS = (("lad_csp_pfa_lookup_2017.csv", 2017), ("lad_csp_pfa_lookup_2024.csv", 2024))


def _reference_csps(directory: Path | None, forces: dict[str, Area], count: ChangeCount) -> None:
    """Every CSP area (its own GSS code, E22/W14, under its force) and the districts it covers, by lookup."""
    csps: dict[str, tuple[str, str]] = {}
    rows = []
    for name, year in DISTRICT_LOOKUPS:
        for line, row in enumerate(_read_csv(name, directory), start=2):
            if row["pfa_code"] not in forces:
                raise PopulationFileError(
                    f"{name}, row {line}, column pfa_code: {row['pfa_code']!r} is not in police_force_areas.csv"
                )
            csps[row["csp_code"]] = (row["csp_name"], row["pfa_code"])
            rows.append((row["lad_code"], row["lad_name"], row["csp_code"], year))
    areas = {}
    for code, (name, force) in sorted(csps.items()):
        parent = forces[force]
        areas[code] = upsert(
            Area,
            lookup={"code": code},
            values={"name": name, "kind": AreaKind.CSP, "region": parent.region, "parent": parent},
            count=count,
            label=code,
        )
    existing = {(d.code, d.csp_id, d.lookup_year): d for d in District.objects.all()}
    new = []
    for lad, lad_name, csp, year in rows:
        found = existing.get((lad, areas[csp].pk, year))
        if found is None:
            new.append(District(code=lad, name=lad_name, csp=areas[csp], lookup_year=year))
        elif found.name != lad_name:
            District.objects.filter(pk=found.pk).update(name=lad_name)
            count.updated += 1
        else:
            count.unchanged += 1
    District.objects.bulk_create(new)
    count.created += len(new)
    if new:
        count.details.append(f"created {len(new)} district rows")


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
    csps = district_csps()
    single = single_district_csps()
    for line, row in enumerate(_read_csv("community_safety_partnerships.csv", directory), start=2):
        population = population_cell(
            row["population_mid_2014"],
            file_name="community_safety_partnerships.csv",
            row=line,
            column="population_mid_2014",
        )
        code = csps.get(row["area_code"], row["area_code"])
        if population is not None and (code == row["area_code"] or single.get(code) == row["area_code"]):
            # Blank: not known (the note is a remark, never a figure). A district's figure is its
            # CSP's only when the district is the whole CSP.
            add(code, 2014, population, f"community_safety_partnerships.csv, row {line}")
    name = "csp_population_mid2019.csv"
    for code, mid_year, population, line in populations_parse(
        ((directory or REFERENCE_DIR) / name).read_bytes(), file_name=name, numbered=True, blank_is_unknown=True
    ):
        add(code, mid_year, population, f"{name}, row {line}")
    populations_import(
        rows=[(code, year, population) for (code, year), (population, _) in sorted(rows.items())],
        source="ONS mid-year estimate",
        count=count,
    )


@transaction.atomic
def reference_import(*, directory: Path | None = None) -> ChangeCount:
    """Load force and CSP areas, districts, populations and outcome types from fixtures/reference.

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
    _reference_csps(directory, forces, count)
    _reference_populations(directory, count)
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
    derived_rebuild(count=count)
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


def populations_import(
    *, rows: list[tuple[str, int, int]], source: str, count: ChangeCount | None = None
) -> ChangeCount:
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
