"""Data returns: submitters, agreed data sets, periods, versioned returns and their observations."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from priorities.models import Area, Frequency, Measure, OutcomeType
from returns.periods import period_label


def acting_user(*, on_delete) -> models.ForeignKey:
    """A user who did something to the row, or none when the system did it (an import, the demo)."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=on_delete, related_name="+")


class SubmitterKind(models.TextChoices):
    FORCE = "force", "Police force"
    CSP = "csp", "Community Safety Partnership"
    PUBLIC = "public", "Public data (national open data)"


class Submitter(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SubmitterKind.choices)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class DataSetItem(models.Model):
    """One line of a submitter's agreed data set: this measure, for this area, this often."""

    submitter = models.ForeignKey(
        Submitter, on_delete=models.CASCADE, related_name="data_set"
    )
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)

    class Meta:
        ordering = ["submitter", "measure__order", "area__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitter", "measure", "area", "frequency"],
                name="one_data_set_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submitter}: {self.measure.code} for {self.area.code} ({self.frequency})"


class SubmitterMembership(models.Model):
    """Ties a submitter user (CSP data lead, police data lead) to exactly one submitter."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    submitter = models.ForeignKey(
        Submitter, on_delete=models.PROTECT, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} → {self.submitter}"


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class ReturnPeriod(models.Model):
    kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    start = models.DateField()
    end = models.DateField()
    due_date = models.DateField()

    class Meta:
        ordering = ["-end", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["start", "end"], name="one_period_per_dates"
            ),
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return period_label(self.start, self.end)

    @property
    def label(self) -> str:
        return str(self)


class ReturnStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted, awaiting decision"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded by a later version"


class Return(models.Model):
    """One version of one submitter's return for one period. Exactly one version is current."""

    submitter = models.ForeignKey(
        Submitter, on_delete=models.PROTECT, related_name="returns"
    )
    period = models.ForeignKey(
        ReturnPeriod, on_delete=models.PROTECT, related_name="returns"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=ReturnStatus.choices)
    is_current = models.BooleanField(default=False)
    source = models.CharField(max_length=40, default="upload")
    original_name = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=80, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    uploaded_by = acting_user(on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField()
    decided_by = acting_user(on_delete=models.PROTECT)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitter", "period", "version"], name="one_return_version"
            ),
            models.UniqueConstraint(
                fields=["submitter", "period"],
                condition=Q(is_current=True),
                name="one_current_return",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="return_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="accepted"),
                name="current_return_is_accepted",
            ),
        ]
        indexes = [models.Index(fields=["sha256"])]

    def __str__(self) -> str:
        return f"{self.submitter} {self.period} v{self.version}"


class Observation(models.Model):
    """One figure from a return: a measure, for an area, over a period.

    It keeps its return, so every figure can be traced to the file it came from.

    The three references are enforced by the database, but set-based rather than row by row
    (migration 0002): a statement-level trigger checks and locks each distinct referenced row
    once per INSERT or COPY, and triggers on the referenced tables refuse a delete while an
    observation refers to the row. PostgreSQL's own foreign keys check every row separately at
    commit, which cost more than the COPY itself for a national return (bench/IMPORT-OPTIMISATION.md).
    """

    # db_index=False: the unique constraint below starts with source_return and serves its lookups.
    source_return = models.ForeignKey(
        Return, on_delete=models.PROTECT, related_name="observations", db_constraint=False, db_index=False
    )
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    respondents = models.PositiveIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "source_return",
                    "measure",
                    "area",
                    "period_start",
                    "period_end",
                ],
                name="one_observation_per_return_row",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="observation_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True)
                | Q(denominator__isnull=True)
                | Q(numerator__lte=models.F("denominator")),
                name="numerator_not_above_denominator",
            ),
        ]


class Narrative(models.Model):
    """A CSP's words on the work it did to deliver a priority in the period."""

    source_return = models.ForeignKey(
        Return, on_delete=models.CASCADE, related_name="narratives"
    )
    priority_number = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["priority_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_return", "priority_number"],
                name="one_narrative_per_priority",
            ),
        ]


class OutcomeCount(models.Model):
    """Crimes of one group in one month that received one outcome."""

    source_return = models.ForeignKey(
        Return, on_delete=models.PROTECT, related_name="outcomes"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month")
    crime_group = models.CharField(max_length=120)
    outcome = models.ForeignKey(OutcomeType, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_return", "area", "month", "crime_group", "outcome"],
                name="one_outcome_count",
            ),
        ]


class OutcomeAudit(models.Model):
    """Findings of a crime outcome dip-sample audit: crimes sampled and how many had the right outcome."""

    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month audited")
    crime_group = models.CharField(max_length=120)
    sampled = models.PositiveIntegerField()
    correct = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "crime_group"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct__lte=models.F("sampled")),
                name="audit_correct_within_sample",
            ),
            models.CheckConstraint(
                condition=Q(sampled__gt=0), name="audit_sample_positive"
            ),
        ]

    @property
    def share_correct(self) -> float:
        return 100.0 * self.correct / self.sampled


class AuditEvent(models.Model):
    """Every upload, decision and import, kept for the co-ordinator."""

    at = models.DateTimeField(auto_now_add=True)
    user = acting_user(on_delete=models.SET_NULL)
    action = models.CharField(max_length=40)
    submitter = models.ForeignKey(
        Submitter, null=True, blank=True, on_delete=models.SET_NULL
    )
    source_return = models.ForeignKey(
        Return, null=True, blank=True, on_delete=models.SET_NULL
    )
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"
