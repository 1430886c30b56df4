"""Reads for returns: upload contexts, periods, lists, history, preview diffs, the tracker, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from pcc_dashboard.roles import COORDINATOR, can, user_roles, user_submitter
from priorities.models import Frequency, Measure, Priority, Unit
from returns.models import (
    AuditEvent,
    DataSetItem,
    OutcomeAudit,
    PeriodKind,
    Return,
    ReturnPeriod,
    ReturnStatus,
    Submitter,
    SubmitterKind,
)
from returns.parsing import MeasureRule, UploadContext
from returns.periods import (
    add_months,
    due_date,
    financial_quarter,
    month_bounds,
    period_label,
)

# R7: survey percentages carry the number of respondents.
SURVEY_MEASURES = frozenset({"victim_satisfaction", "asb_satisfaction", "public_confidence"})
PERIOD_FREQUENCY = {PeriodKind.MONTH: Frequency.MONTHLY, PeriodKind.QUARTER: Frequency.QUARTERLY}
TRACKER_PERIODS = 5  # the current period and the last four (issue 3)
AUDIT_PAGE_SIZE = 50


def period_kind(start: date, end: date) -> str | None:
    """PeriodKind for a calendar month or financial quarter, else None."""
    if (start, end) == month_bounds(start):
        return PeriodKind.MONTH
    if (start, end) == financial_quarter(start):
        return PeriodKind.QUARTER
    return None


def period_key(start: date, end: date) -> str:
    return f"{start.isoformat()}:{end.isoformat()}"


def recent_periods(*, today: date | None = None, count: int = TRACKER_PERIODS) -> list[tuple[date, date, str]]:
    """The current and previous (count - 1) months and quarters, newest first: (start, end, kind)."""
    today = today or timezone.localdate()
    months = [month_bounds(add_months(today, -i)) for i in range(count)]
    quarters = [financial_quarter(add_months(today, -3 * i)) for i in range(count)]
    periods = [(s, e, PeriodKind.MONTH) for s, e in months] + [(s, e, PeriodKind.QUARTER) for s, e in quarters]
    return sorted(periods, key=lambda p: (p[1], p[2] == PeriodKind.MONTH), reverse=True)


def upload_period_choices(*, today: date | None = None) -> list[tuple[str, str]]:
    """Recent months (12) and quarters (8), plus periods already held, for the upload form."""
    today = today or timezone.localdate()
    periods = {(s, e) for s, e, _ in recent_periods(today=today, count=12)}
    periods |= {financial_quarter(add_months(today, -3 * i)) for i in range(8)}
    periods |= set(ReturnPeriod.objects.order_by("-end").values_list("start", "end")[:60])
    return [
        (period_key(s, e), period_label(s, e)) for s, e in sorted(periods, key=lambda p: (p[1], p[0]), reverse=True)
    ]


def submitters_for_upload(user) -> QuerySet[Submitter]:
    """Every submitter for the co-ordinator; a data lead's own submitter only (ASVS 8.2.2)."""
    if COORDINATOR in user_roles(user) or user.is_superuser:
        return Submitter.objects.all()
    own = user_submitter(user)
    return Submitter.objects.filter(pk=own.pk) if own else Submitter.objects.none()


def expected_rows(submitter: Submitter, start: date, end: date) -> list[tuple[str, str, date, date]]:
    """Rows a return for this period should hold: data set items of the period's frequency."""
    kind = period_kind(start, end)
    frequency = PERIOD_FREQUENCY.get(kind)
    items = (
        DataSetItem.objects.filter(submitter=submitter, frequency=frequency)
        .order_by("measure__order", "measure__code", "area__name")
        .values_list("measure__code", "area__code")
    )
    return [(m, a, start, end) for m, a in items]


def narrative_priorities(submitter: Submitter) -> list[tuple[int, str]]:
    """CSP returns carry words on each priority (R8); others none."""
    if submitter.kind != SubmitterKind.CSP:
        return []
    return list(Priority.objects.order_by("number").values_list("number", "title"))


def upload_context(*, submitter: Submitter, start: date, end: date, file_name: str) -> UploadContext:
    """What an upload is checked against, built from the agreed data set (three queries)."""
    measures = {
        code: MeasureRule(code=code, unit=unit, needs_respondents=unit == Unit.PERCENTAGE and code in SURVEY_MEASURES)
        for code, unit in Measure.objects.values_list("code", "unit")
    }
    from priorities.models import Area

    items = list(
        DataSetItem.objects.filter(submitter=submitter).values_list("measure__code", "area__code", "frequency")
    )
    frequency = PERIOD_FREQUENCY.get(period_kind(start, end))
    return UploadContext(
        file_name=file_name,
        measures=measures,
        known_areas=set(Area.objects.values_list("code", flat=True)),
        # Any line of the agreed data set may be sent; the period check keeps dates inside.
        allowed={(m, a) for m, a, _ in items},
        period_start=start,
        period_end=end,
        expected={(m, a, start, end) for m, a, f in items if f == frequency} or None,
        frequencies={(m, a): frozenset(f for mm, aa, f in items if (mm, aa) == (m, a)) for m, a, _ in items},
        max_bytes=settings.RETURN_MAX_BYTES,
        submitter=submitter.name,
    )


def returns_for_user(user) -> QuerySet[Return]:
    """'My returns': a data lead's own submitter's versions; every return for the co-ordinator."""
    qs = Return.objects.select_related("submitter", "period", "uploaded_by").order_by("-uploaded_at", "-version")
    if COORDINATOR in user_roles(user) or user.is_superuser:
        return qs
    own = user_submitter(user)
    return qs.filter(submitter=own) if own else qs.none()


def return_get(pk: int) -> Return:
    return Return.objects.select_related("submitter", "period", "uploaded_by", "decided_by").get(pk=pk)


def return_history(*, submitter: Submitter, start: date, end: date) -> list[Return]:
    return list(
        Return.objects.filter(submitter=submitter, period__start=start, period__end=end)
        .select_related("uploaded_by", "decided_by", "period")
        .order_by("-version")
    )


def return_narratives(ret: Return) -> list[dict]:
    """What the return says about the work on each priority, with the priority's title (2 queries)."""
    narratives = list(ret.narratives.values_list("priority_number", "text"))
    titles = dict(Priority.objects.filter(number__in=[n for n, _ in narratives]).values_list("number", "title"))
    return [{"number": n, "title": titles.get(n, ""), "text": text} for n, text in narratives]


@dataclass
class TrackerCell:
    submitter: Submitter
    start: date
    end: date
    kind: str
    due: date
    state: str  # not_started | submitted | accepted | rejected | late
    latest: Return | None = None
    current: Return | None = None

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def state_label(self) -> str:
        return TRACKER_STATE_LABELS[self.state]

    @property
    def tag_class(self) -> str:
        return TRACKER_TAG_CLASSES[self.state]


TRACKER_STATE_LABELS = {
    "not_started": "Not started",
    "submitted": "Submitted",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "late": "Late",
}
TRACKER_TAG_CLASSES = {
    "not_started": "govuk-tag--grey",
    "submitted": "govuk-tag--blue",
    "accepted": "govuk-tag--green",
    "rejected": "govuk-tag--orange",
    "late": "govuk-tag--red",
}


def tracker(*, today: date | None = None, submitter_code: str = "", period: str = "") -> dict:
    """R8: each submitter's state for the current and last four months and quarters (4 queries).

    Late = past its due date without an accepted return. The public-data submitter owes nothing.
    """
    today = today or timezone.localdate()
    submitters = list(Submitter.objects.exclude(kind=SubmitterKind.PUBLIC).order_by("kind", "name"))
    frequencies: dict[int, set[str]] = {}
    for sid, freq in (
        DataSetItem.objects.filter(submitter__in=submitters).values_list("submitter_id", "frequency").distinct()
    ):
        frequencies.setdefault(sid, set()).add(freq)
    periods = recent_periods(today=today)
    all_periods = periods
    shown = [s for s in submitters if not submitter_code or s.code == submitter_code]
    if period:
        periods = [p for p in periods if period_key(p[0], p[1]) == period]
    returns = Return.objects.filter(
        submitter__in=shown,
        period__start__in={p[0] for p in periods},
        period__end__in={p[1] for p in periods},
    ).select_related("period")
    latest: dict[tuple, Return] = {}
    current: dict[tuple, Return] = {}
    for ret in returns:
        key = (ret.submitter_id, ret.period.start, ret.period.end)
        if key not in latest or ret.version > latest[key].version:
            latest[key] = ret
        if ret.is_current:
            current[key] = ret
    cells = []
    for start, end, kind in periods:
        for sub in shown:
            if PERIOD_FREQUENCY[kind] not in frequencies.get(sub.pk, set()):
                continue
            key = (sub.pk, start, end)
            due = due_date(end, settings.RETURN_DUE_WORKING_DAYS)
            last = latest.get(key)
            if key in current:
                state = "accepted"
            elif today > due:
                state = "late"
            elif last is not None:
                state = "rejected" if last.status == ReturnStatus.REJECTED else "submitted"
            else:
                state = "not_started"
            cells.append(TrackerCell(sub, start, end, kind, due, state, last, current.get(key)))
    return {
        "cells": cells,
        "submitters": submitters,
        "period_choices": [(period_key(s, e), period_label(s, e)) for s, e, _ in all_periods],
        "counts": {state: sum(c.state == state for c in cells) for state in TRACKER_STATE_LABELS},
        "today": today,
    }


AUDIT_ACTIONS = (
    ("upload", "Upload"),
    ("upload_failed", "Upload failed validation"),
    ("accept", "Accepted"),
    ("reject", "Rejected"),
    ("import_home_office_prc", "Home Office import"),
    ("import_police_uk", "data.police.uk import"),
    ("import_return", "Command-line import"),
    ("outcome_audit", "Outcome audit entered"),
)


def audit_events(*, action: str = "", page: int | str = 1) -> Page:
    qs = AuditEvent.objects.select_related("user", "submitter").order_by("-at", "-id")
    if action:
        qs = qs.filter(action=action)
    return Paginator(qs, AUDIT_PAGE_SIZE).get_page(page)


def failed_upload_get(*, pk: int, user) -> AuditEvent | None:
    """A failed upload's audit record, for the uploader or the co-ordinator only."""
    event = AuditEvent.objects.filter(pk=pk, action="upload_failed").first()
    if event is None:
        return None
    if event.user_id == user.pk or can(user, "view_audit_log"):
        return event
    return None


def outcome_audits(*, limit: int = 200) -> list[OutcomeAudit]:
    return list(OutcomeAudit.objects.select_related("area", "entered_by").order_by("-month", "crime_group")[:limit])


def upload_periods_for(user) -> list[dict]:
    """For a data lead: their own submitter's recent periods, with links to templates and history."""
    submitters = list(submitters_for_upload(user)[:2])
    if len(submitters) != 1:
        return []
    submitter = submitters[0]
    frequencies = set(DataSetItem.objects.filter(submitter=submitter).values_list("frequency", flat=True).distinct())
    return [
        {"submitter": submitter, "start": s, "end": e, "label": period_label(s, e)}
        for s, e, kind in recent_periods()
        if PERIOD_FREQUENCY[kind] in frequencies
    ]
