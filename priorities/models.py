"""The Police and Crime Plan as data: themes, priorities, measures, areas, populations, peer groups."""

from django.db import models
from django.db.models import Q


class Plan(models.Model):
    """The plan this deployment monitors (one row): its title and who owns it."""

    title = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200)
    period = models.CharField(max_length=50, help_text="For example 2013–17 (2014/15 refresh)")
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title


class Office(models.Model):
    """The office that owns the plan (one row), from the plan file's `office:` section.

    Who it is and what it is called (a Police and Crime Commissioner, a Mayor, a policing board),
    the police force area it covers, the body that scrutinises it, its peer group of forces, its
    boards and their meetings, and context values drawn on charts (such as a savings challenge).
    The peer group, submitters and boards are derived from it (priorities.office).
    """

    force_code = models.CharField(max_length=9, help_text="ONS GSS code of the police force area covered")
    name = models.CharField(max_length=200, help_text="For example: Office of the Police and Crime Commissioner")
    title = models.CharField(max_length=120, help_text="The office holder's title, e.g. Police and Crime Commissioner")
    scrutiny_body = models.CharField(max_length=200, help_text="For example: Police and Crime Panel")
    peer_group = models.JSONField(default=dict, blank=True, help_text="{name, source, members: [{force, from, to}]}")
    boards = models.JSONField(default=list, blank=True, help_text="[{name, slug, audience, frequency, ...}]")
    context = models.JSONField(default=list, blank=True, help_text="[{measure, name, value}]: lines on charts")

    def __str__(self) -> str:
        return self.name

    @property
    def force_name(self) -> str:
        """The covered force area's name ("" before the reference data is loaded)."""
        return Area.objects.filter(code=self.force_code).values_list("name", flat=True).first() or ""


class Theme(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200, unique=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Theme {self.number}: {self.title}"


class WordingStatus(models.TextChoices):
    STAND_IN = "stand_in", "Stand-in wording (the plan's exact wording is not in the source paper)"
    VERBATIM = "verbatim", "The plan's own wording"


class Priority(models.Model):
    number = models.PositiveSmallIntegerField(unique=True, help_text="SP number, 1–18")
    theme = models.ForeignKey(
        Theme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="priorities",
        help_text="Empty for a priority that runs across the plan (SP18, the financial challenge)",
    )
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="What the priority means, in plain English")
    wording_status = models.CharField(
        max_length=20, choices=WordingStatus.choices, default=WordingStatus.STAND_IN
    )
    restricted = models.BooleanField(
        default=False, help_text="Restricted: no measures are published because of victims' vulnerability"
    )
    restricted_narrative = models.TextField(
        blank=True, help_text="Shown instead of figures: why none are published"
    )

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "priorities"
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="priority_number_positive"),
        ]

    def __str__(self) -> str:
        return f"SP{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"SP{self.number}"


class Unit(models.TextChoices):
    COUNT = "count", "Count"
    RATE = "rate_per_1000", "Rate per 1,000 population"
    PERCENTAGE = "percentage", "Percentage"
    POUNDS = "pounds", "Pounds (£)"


class Direction(models.TextChoices):
    UP = "up", "Higher is better"
    DOWN = "down", "Lower is better"
    NEITHER = "neither", "No good direction"


class MeasureKind(models.TextChoices):
    """What a measure's figure is made of; decides which columns a return must fill."""

    VALUE = "value", "A single figure (a count, an amount or a published rate)"
    SURVEY = "survey", "A survey percentage (the number of respondents is required)"
    RATIO = "ratio", "A rate or percentage worked out from a numerator and a denominator"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Measure(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    definition = models.TextField()
    method = models.TextField(blank=True, help_text="How the figure is counted and judged")
    unit = models.CharField(max_length=20, choices=Unit.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    under_reported = models.BooleanField(
        default=False, help_text="A rise in recording is accepted (better recording, more confidence to report); trend and context only"
    )
    restricted = models.BooleanField(
        default=False, help_text="Restricted: never shown on public pages, public exports or the public API"
    )
    kind = models.CharField(
        max_length=10,
        choices=MeasureKind.choices,
        default=MeasureKind.VALUE,
        help_text="survey: respondents required; ratio: numerator and denominator required",
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    reported_by = models.JSONField(
        default=list,
        blank=True,
        help_text="The agreed data set as in the plan file: who reports it, for which areas, how often",
    )
    msg_comparable = models.BooleanField(default=False, verbose_name="MSG comparable")
    cumulative = models.BooleanField(
        default=False,
        help_text="The figure is a running total (savings to date): shown as progress; SPC judges each "
        "period's own figure",
    )
    caveats = models.TextField(blank=True)
    caveats_from = models.DateField(
        null=True,
        blank=True,
        help_text="The date the change the caveat describes took effect: a snapshot before it does not show the "
        "caveat. Blank: a general caveat, shown in every snapshot",
    )
    order = models.PositiveSmallIntegerField(default=0)
    priorities = models.ManyToManyField(Priority, related_name="measures", blank=True)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            # An under-reported measure never has a good direction.
            models.CheckConstraint(
                condition=Q(under_reported=False) | Q(direction="neither"),
                name="under_reported_has_no_direction",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_rate(self) -> bool:
        return self.msg_comparable and self.unit in (Unit.COUNT, Unit.RATE)


class AreaKind(models.TextChoices):
    FORCE = "force", "Police force area"
    CSP = "csp", "Community Safety Partnership area"


class Area(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="ONS GSS code")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[EWSN][0-9]{8}$"), name="area_code_is_gss"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A local authority district (LAD) and the CSP area it lies in, as an ONS lookup gives it.

    A row that names a district resolves to its CSP when the district lies in exactly one CSP
    (priorities.selectors.district_csps); since 2019 some unitary councils span several CSPs.
    """

    code = models.CharField(max_length=9, help_text="ONS GSS code of the district (E06, E07, E08, E09, W06)")
    name = models.CharField(max_length=120)
    csp = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="districts")
    lookup_year = models.PositiveSmallIntegerField(help_text="The year of the ONS lookup that says so")

    class Meta:
        ordering = ["code", "lookup_year"]
        constraints = [
            models.UniqueConstraint(fields=["code", "csp", "lookup_year"], name="one_district_row_per_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code}) in {self.csp} ({self.lookup_year})"


class Population(models.Model):
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="populations")
    mid_year = models.PositiveSmallIntegerField()
    population = models.PositiveIntegerField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["area", "mid_year"]
        constraints = [
            models.UniqueConstraint(fields=["area", "mid_year"], name="one_population_per_year"),
            models.CheckConstraint(condition=Q(population__gt=0), name="population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.area} mid-{self.mid_year}: {self.population:,}"


class PeerGroup(models.Model):
    name = models.CharField(max_length=120, unique=True)
    focus_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="peer_groups")
    source = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name


class PeerGroupMember(models.Model):
    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="members")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["group", "area__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "area", "valid_from"], name="one_membership_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} in {self.group}"


class OutcomeScheme(models.TextChoices):
    HOME_OFFICE = "home_office", "Home Office outcome types"
    POLICE_UK = "police_uk", "data.police.uk outcome categories"


class OutcomeType(models.Model):
    """A crime outcome. No outcome ranks above another: `order` is the code order only."""

    scheme = models.CharField(max_length=20, choices=OutcomeScheme.choices)
    code = models.CharField(max_length=120)
    name = models.CharField(max_length=200)
    outcome_group = models.CharField(max_length=200)
    in_use_from = models.DateField(null=True, blank=True)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["scheme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="one_outcome_code_per_scheme"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Framework(models.Model):
    """A set of priorities a force is held to: the local plan, the national priorities, or any later one.

    `local` marks the plan's own themes and priorities; any other framework lists its priorities
    as FrameworkPriority rows. All of it comes from the plan file's `frameworks:` section.
    """

    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Who sets it, and where it is published")
    local = models.BooleanField(default=False, help_text="The plan's own themes and priorities")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.title


class FrameworkPriority(models.Model):
    """One priority of a framework that is not the local plan, with whether it applies locally and why."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="priorities")
    code = models.SlugField(max_length=60)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    applies_locally = models.BooleanField(default=True)
    local_reason = models.TextField(help_text="Why it applies locally, or why not: the office's words")
    local_priorities = models.ManyToManyField(Priority, related_name="framework_priorities", blank=True)
    measures = models.ManyToManyField(Measure, related_name="framework_priorities", blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework", "order"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="one_framework_priority_code")]

    def __str__(self) -> str:
        return self.title
