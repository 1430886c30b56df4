"""One version of the truth: frozen month-end snapshots, boards, meetings, commentary."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from priorities.models import Area, Measure, Theme


class Snapshot(models.Model):
    """The data as at a month end, frozen with everything the pages need. Never changes."""

    as_of = models.DateField(unique=True, help_text="A month end")
    frozen_at = models.DateTimeField()
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_by_name = models.CharField(max_length=150)
    digest = models.CharField(max_length=64)
    observation_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-as_of"]
        get_latest_by = "as_of"

    def __str__(self) -> str:
        return f"Data as at {self.as_of:%-d %B %Y}"


class SnapshotPublication(models.Model):
    """Publishing is a separate fact, so the frozen row itself is never updated."""

    snapshot = models.OneToOneField(Snapshot, on_delete=models.PROTECT, related_name="publication")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class SnapshotObservation(models.Model):
    """An accepted observation as it stood at the freeze (codes, not keys, so it reads alone)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="observations")
    measure_code = models.CharField(max_length=60)
    area_code = models.CharField(max_length=9)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField()
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    respondents = models.PositiveIntegerField(null=True)
    return_id = models.BigIntegerField(help_text="The return the figure came from")

    class Meta:
        indexes = [models.Index(fields=["snapshot", "measure_code", "area_code", "period_end"])]


class SnapshotResult(models.Model):
    """A precomputed result a page reads (series with SPC, MSG comparison, status, outcomes…)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="results")
    key = models.CharField(max_length=200)
    measure_code = models.CharField(max_length=60, blank=True)
    payload = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "key"], name="one_result_per_key"),
        ]


class Board(models.Model):
    """A board or group that receives performance reports."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    audience_role = models.CharField(max_length=40, help_text="The role whose view the pack shows")
    frequency = models.CharField(max_length=60)
    purpose = models.TextField(blank=True)
    is_panel = models.BooleanField(default=False, help_text="Gets the thematic report")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField()
    title = models.CharField(max_length=200, blank=True)
    theme_override = models.ForeignKey(
        Theme,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="Panel meetings: the theme for the thematic report, instead of the rotation",
    )

    class Meta:
        ordering = ["date", "board__name"]
        constraints = [
            models.UniqueConstraint(fields=["board", "date"], name="one_meeting_per_board_day"),
        ]

    def __str__(self) -> str:
        return f"{self.board.name}, {self.date:%-d %B %Y}"


class Commentary(models.Model):
    """The co-ordinator's context for a measure or a theme, tied to a snapshot."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="commentary")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.CASCADE)
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.CASCADE)
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "commentary"
        constraints = [
            models.CheckConstraint(
                condition=(Q(measure__isnull=False) & Q(theme__isnull=True))
                | (Q(measure__isnull=True) & Q(theme__isnull=False)),
                name="commentary_on_measure_or_theme",
            ),
            models.UniqueConstraint(
                fields=["snapshot", "measure"],
                condition=Q(measure__isnull=False),
                name="one_commentary_per_measure",
            ),
            models.UniqueConstraint(
                fields=["snapshot", "theme"],
                condition=Q(theme__isnull=False),
                name="one_commentary_per_theme",
            ),
        ]


class Annotation(models.Model):
    """A dated event on a series, e.g. a recording-practice change, drawn on charts."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="annotations")
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE)
    date = models.DateField()
    label = models.CharField(max_length=120)
    text = models.TextField(blank=True)
    recalculate_limits = models.BooleanField(
        default=False, help_text="Start new SPC limits from this date (a dated change, such as a new recording practice)"
    )

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.label}"

    def clean(self) -> None:
        # Limits are recalculated only at a dated, explained change.
        if self.recalculate_limits and not self.text.strip():
            raise ValidationError({"text": "Say what changed on this date, so the chart can explain its new limits"})


class StatementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved, not yet published"
    PUBLISHED = "published", "Published"


class StatementFrozen(Exception):
    """A published statement never changes."""


class Statement(models.Model):
    """The quarterly statement on a framework's priorities (one framework, one quarter, one snapshot).

    `content` holds the figures and verdicts read from the snapshot when the draft was made, so the
    statement never recomputes anything; `words` holds the office's words (an introduction and one
    text per priority). Once published it never changes: save() and delete() refuse.
    """

    framework_code = models.SlugField(max_length=60)
    framework_title = models.CharField(max_length=200)
    quarter_end = models.DateField(help_text="The last day of the quarter the statement reports on")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="statements")
    status = models.CharField(max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    content = models.JSONField()
    words = models.JSONField(default=dict, blank=True)
    drafted_at = models.DateTimeField()
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of what was published")

    class Meta:
        ordering = ["framework_code", "-quarter_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework_code", "quarter_end"],
                condition=Q(status="published"),
                name="one_published_statement_per_quarter",
            ),
            models.UniqueConstraint(
                fields=["framework_code", "quarter_end"],
                condition=~Q(status="published"),
                name="one_draft_statement_per_quarter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework_title}, quarter to {self.quarter_end:%-d %B %Y}"

    def save(self, *args, **kwargs):
        if self._published_before():
            raise StatementFrozen("A published statement never changes; write the next quarter's instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._published_before():
            raise StatementFrozen("A published statement is never deleted")
        return super().delete(*args, **kwargs)

    def _published_before(self) -> bool:
        return bool(self.pk) and Statement.objects.filter(pk=self.pk, status=StatementStatus.PUBLISHED).exists()
