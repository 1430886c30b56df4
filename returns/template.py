"""What a data return holds and what an upload is checked against. Pure module: no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

TEMPLATE_COLUMNS: tuple[str, ...] = (
    "measure_code",
    "area_code",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "respondents",
    "comment",
)
# numerator, denominator, respondents and comment may be left out of the header; a
# percentage row then fails on its missing respondents, which names the column.
REQUIRED_COLUMNS: tuple[str, ...] = TEMPLATE_COLUMNS[:5]
ROW_COLUMNS: tuple[str, ...] = (*TEMPLATE_COLUMNS, "source_row")
NARRATIVE_SHEET = "Narrative"
NARRATIVE_COLUMNS: tuple[str, ...] = (
    "priority_number",
    "priority_title",
    "work_undertaken",
)

# value = numerator ÷ denominator × scale for the units that are ratios.
RATIO_SCALES = {"percentage": 100, "rate_per_1000": 1000}
MAX_COMMENT_CHARS = 2000
MAX_NARRATIVE_CHARS = 20000


@dataclass(frozen=True)
class MeasureRule:
    """How one measure's value is checked. unit: count | rate_per_1000 | percentage | pounds.

    needs_respondents: a survey measure (the plan's kind "survey"); needs_ratio: a rate or
    percentage worked out from a numerator and a denominator (the plan's kind "ratio").
    """

    code: str
    unit: str
    needs_respondents: bool
    needs_ratio: bool = False


@dataclass
class UploadContext:
    """What an upload is checked against: the submitter's agreed data set and open period.

    allowed holds (measure_code, area_code) pairs; expected holds
    (measure_code, area_code, period_start, period_end) rows that should be present.
    """

    file_name: str
    measures: dict[str, MeasureRule]
    known_areas: set[str]
    allowed: set[tuple[str, str]]
    period_start: date
    period_end: date
    expected: set[tuple[str, str, date, date]] | None = None
    # (measure_code, area_code) → the frequencies ("monthly", "quarterly") the agreed data set
    # gives that line; None skips the period-shape check.
    frequencies: dict[tuple[str, str], frozenset[str]] | None = None
    max_bytes: int = 20 * 1024 * 1024
    # Bounds: every row counts (header and blank rows too); columns are a row's width to its last
    # non-empty cell; cells are every cell read, an XLSX row's padding included.
    max_rows: int = 2_000_000
    max_columns: int = 100
    max_cells: int = 20_000_000
    # Reading stops after this many errors: the uploader has enough to fix, and a file of junk
    # cannot make the report itself large.
    max_problems: int = 10_000
    max_zip_uncompressed: int = 50 * 1024 * 1024
    max_zip_entries: int = 200
    max_zip_ratio: int = 100
    submitter: str = ""
    # District (LAD) code → its CSP's code: a row naming a district is read as its CSP's row.
    area_aliases: dict[str, str] = field(default_factory=dict)
    # Words for messages: measure code → title, area code → name, and area code → the submitter
    # whose return carries that area (a CSP for its own area), to say where a stray row belongs.
    measure_titles: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)
    area_owners: dict[str, str] = field(default_factory=dict)

    @property
    def whose(self) -> str:
        """The submitter's name in the possessive, for messages about the agreed data set."""
        return f"{self.submitter}'s" if self.submitter else "the submitter's"

    def measure_named(self, code: str) -> str:
        """A measure as people say it: its title ("Adult reoffending rate"), else its code."""
        return self.measure_titles.get(code, code)

    def area_named(self, code: str) -> str:
        """An area as people say it, its GSS code in brackets ("Blaby (E22000164)"), else its code."""
        name = self.area_names.get(code)
        return f"{name} ({code})" if name else code

    def areas_for(self, measure: str) -> list[str]:
        """The areas (in words, by name) the agreed data set holds for a measure."""
        return sorted((self.area_named(a) for m, a in self.allowed if m == measure), key=str.lower)

    def unknown_area_message(self, area: str, measure: str) -> str:
        """A code that names no area, and the fix: the areas this return holds for the row's measure."""
        ours = self.areas_for(measure)
        if not ours:
            return f"unknown area code {area!r}: use an area's GSS code from the return template"
        which = "that code" if len(ours) == 1 else "one of those codes"
        return (
            f"unknown area code {area!r} for {self.measure_named(measure)}: this return is for "
            f"{' or '.join(ours)}: use {which}"
        )

    def wrong_area_message(self, area: str, measure: str) -> str:
        """Why a row's area is refused and the fix: the areas this return is for, or whose return it is."""
        ours = self.areas_for(measure)
        text = f"{self.area_named(area)} is not in {self.whose} agreed data set for {self.measure_named(measure)}"
        if not ours:
            return f"{text}: this return does not carry {self.measure_named(measure)}; remove the row"
        fix = f"this return is for {' or '.join(ours)}: use {'that code' if len(ours) == 1 else 'one of those codes'}"
        owner = self.area_owners.get(area)
        if owner and owner != self.submitter:
            return f"{text}: {fix}, or upload {owner}'s figures as {owner}'s return"
        return f"{text}: {fix}, or remove the row"
