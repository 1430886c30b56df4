"""Reads for returns: upload contexts, periods, lists, history, preview diffs, the tracker, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from pcc_dashboard import vocabulary
from pcc_dashboard.roles import COORDINATOR, can, user_roles
from priorities.models import Area, Frequency, Measure, MeasureKind, Priority
from priorities.selectors import district_csps
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
    SubmitterMembership,
)
from returns.parsing import MeasureRule, UploadContext
from returns.periods import (
    add_months,
    due_date,
    financial_quarter,
    month_bounds,
    period_label,
)

PERIOD_FREQUENCY = {PeriodKind.MONTH: Frequency.MONTHLY, PeriodKind.QUARTER: Frequency.QUARTERLY}
TRACKER_PERIODS = 5  # the current period and the last four
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
    """Months (12) and quarters (8) up to the working date, plus periods already held, for the upload form."""
    today = today or working_date()
    periods = {(s, e) for s, e, _ in recent_periods(today=today, count=12)}
    periods |= {financial_quarter(add_months(today, -3 * i)) for i in range(8)}
    periods |= set(ReturnPeriod.objects.order_by("-end").values_list("start", "end")[:60])
    return [
        (period_key(s, e), period_label(s, e)) for s, e in sorted(periods, key=lambda p: (p[1], p[0]), reverse=True)
    ]


def user_submitter(user) -> Submitter | None:
    """The submitter a CSP or police data lead belongs to, or None (remembered on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_pcc_submitter", False)
    if cached is False:
        membership = SubmitterMembership.objects.filter(user=user).select_related("submitter").first()
        cached = membership.submitter if membership else None
        user._pcc_submitter = cached
    return cached


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
    """CSP returns carry words on each priority; others none."""
    if submitter.kind != SubmitterKind.CSP:
        return []
    return list(Priority.objects.order_by("number").values_list("number", "title"))


def upload_context(*, submitter: Submitter, start: date, end: date, file_name: str) -> UploadContext:
    """What an upload is checked against, built from the agreed data set (four queries)."""
    measure_rows = list(Measure.objects.values_list("code", "unit", "kind", "title"))
    measures = {
        code: MeasureRule(
            code=code, unit=unit, needs_respondents=kind == MeasureKind.SURVEY, needs_ratio=kind == MeasureKind.RATIO
        )
        for code, unit, kind, _ in measure_rows
    }
    area_names = dict(Area.objects.values_list("code", "name"))
    items = list(
        DataSetItem.objects.filter(submitter=submitter).values_list("measure__code", "area__code", "frequency")
    )
    frequency = PERIOD_FREQUENCY.get(period_kind(start, end))
    frequencies: dict[tuple[str, str], set[str]] = {}
    for m, a, f in items:
        frequencies.setdefault((m, a), set()).add(f)
    return UploadContext(
        file_name=file_name,
        measures=measures,
        known_areas=set(area_names),
        # Any line of the agreed data set may be sent; the period check keeps dates inside.
        allowed={(m, a) for m, a, _ in items},
        period_start=start,
        period_end=end,
        expected={(m, a, start, end) for m, a, f in items if f == frequency} or None,
        frequencies={key: frozenset(found) for key, found in frequencies.items()},
        max_bytes=settings.RETURN_MAX_BYTES,
        submitter=submitter.name,
        area_aliases=district_csps(),
        measure_titles={code: title for code, _, _, title in measure_rows},
        area_names=area_names,
        area_owners=dict(Submitter.objects.filter(area__isnull=False).values_list("area__code", "name")),
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


def working_date(*, today: date | None = None) -> date:
    """The date the tracker and the upload pages open on when the user has not chosen one.

    The due date of the month after the latest period any submitter has sent a return for,
    or today if that is earlier (or if there are no returns). A live office sends monthly, so
    this is today; a demo or an archived copy opens on its own story rather than on years of
    empty periods. Output: a date.
    """
    today = today or timezone.localdate()
    latest = (
        ReturnPeriod.objects.filter(returns__submitter__kind__in=[SubmitterKind.FORCE, SubmitterKind.CSP])
        .order_by("-end")
        .values_list("end", flat=True)
        .first()
    )
    if latest is None:
        return today
    following = month_bounds(add_months(latest, 1))[1]
    return min(today, due_date(following, settings.RETURN_DUE_WORKING_DAYS))


# Tracker states. A cell has one state; `late` is a separate flag (the first version arrived
# after the due date, or nothing has arrived and the due date has passed), filtered beside any state.
# The states' words are vocabulary.RETURN_STATES; here, each state's tag colour.
TRACKER_STATES = {
    "not_due": "govuk-tag--grey",
    "missing": "govuk-tag--red",
    "awaiting_decision": "govuk-tag--blue",
    "rejected": "govuk-tag--orange",
    "accepted": "govuk-tag--green",
}
# The filter offers the states plus two groupings people ask for.
TRACKER_FILTERS = {
    "missing": vocabulary.label("return_state", "missing"),
    "late": "Late (due date passed before it arrived)",
    "submitted": "Submitted (any version received)",
    **{state: vocabulary.label("return_state", state) for state in ("awaiting_decision", "rejected", "accepted")},
    "not_due": vocabulary.label("return_state", "not_due"),
}


@dataclass
class TrackerCell:
    submitter: Submitter
    start: date
    end: date
    kind: str
    due: date
    state: str  # a key of TRACKER_STATES
    late: bool = False
    latest: Return | None = None
    current: Return | None = None
    first_received: date | None = None

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def state_label(self) -> str:
        return vocabulary.label("return_state", self.state)

    @property
    def tag_class(self) -> str:
        return TRACKER_STATES[self.state]

    def matches(self, wanted: str) -> bool:
        if wanted == "late":
            return self.late
        if wanted == "submitted":
            return self.latest is not None
        return not wanted or self.state == wanted


def tracker_cells(*, as_at: date, submitters: list[Submitter], periods: list[tuple[date, date, str]]) -> list[TrackerCell]:
    """Each submitter's state for each period it owes, as it stands now (three queries).

    Input: the as-at date (a period with nothing received is missing once its due date is before
    it, else not yet due), submitters, and periods as
    (start, end, PeriodKind). Output: a TrackerCell per (period, submitter) whose agreed data set
    has that period's frequency, newest period first. Due dates follow RETURN_DUE_WORKING_DAYS.
    """
    frequencies: dict[int, set[str]] = {}
    for sid, freq in DataSetItem.objects.filter(submitter__in=submitters).values_list("submitter_id", "frequency").distinct():
        frequencies.setdefault(sid, set()).add(freq)
    returns = Return.objects.filter(
        submitter__in=submitters,
        period__start__in={p[0] for p in periods},
        period__end__in={p[1] for p in periods},
    ).select_related("period")
    latest: dict[tuple, Return] = {}
    current: dict[tuple, Return] = {}
    first: dict[tuple, date] = {}
    for ret in returns:
        key = (ret.submitter_id, ret.period.start, ret.period.end)
        if key not in latest or ret.version > latest[key].version:
            latest[key] = ret
        if ret.is_current:
            current[key] = ret
        arrived = timezone.localdate(ret.uploaded_at)
        first[key] = min(first.get(key, arrived), arrived)
    cells = []
    for start, end, kind in periods:
        for sub in submitters:
            if PERIOD_FREQUENCY[kind] not in frequencies.get(sub.pk, set()):
                continue
            key = (sub.pk, start, end)
            due = due_date(end, settings.RETURN_DUE_WORKING_DAYS)
            last = latest.get(key)
            if key in current:
                state = "accepted"
            elif last is None:
                state = "missing" if as_at > due else "not_due"
            elif last.status == ReturnStatus.REJECTED:
                state = "rejected"
            else:
                state = "awaiting_decision"
            received = first.get(key)
            late = (received is None and as_at > due) or (received is not None and received > due)
            cells.append(TrackerCell(sub, start, end, kind, due, state, late, last, current.get(key), received))
    return cells


def tracker(*, as_at: date | None = None, submitter_code: str = "", period: str = "", state: str = "") -> dict:
    """Each submitter's state for the five months and quarters up to a date, filtered.

    Input: as_at (default working_date()), a submitter code, a period key "start:end" and a
    state or grouping from TRACKER_FILTERS ("" for all). Output keys: cells, submitters,
    period_choices, counts (per state and "late"), as_at, states. The public-data submitter owes
    nothing and is not listed.
    """
    as_at = as_at or working_date()
    submitters = list(Submitter.objects.exclude(kind=SubmitterKind.PUBLIC).order_by("kind", "name"))
    periods = recent_periods(today=as_at)
    shown_submitters = [s for s in submitters if not submitter_code or s.code == submitter_code]
    shown_periods = [p for p in periods if not period or period_key(p[0], p[1]) == period]
    every = tracker_cells(as_at=as_at, submitters=shown_submitters, periods=shown_periods)
    cells = [c for c in every if c.matches(state)]
    counts = {key: sum(c.state == key for c in every) for key in TRACKER_STATES}
    counts["late"] = sum(c.late for c in every)
    return {
        "cells": cells,
        "submitters": submitters,
        "period_choices": [(period_key(s, e), period_label(s, e)) for s, e, _ in periods],
        "counts": counts,
        "as_at": as_at,
        "states": TRACKER_FILTERS,
    }


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


def upload_periods_for(user) -> list[TrackerCell]:
    """For a data lead: their own submitter's periods up to the working date, with due dates and states."""
    submitters = list(submitters_for_upload(user)[:2])
    if len(submitters) != 1:
        return []
    as_at = working_date()
    return tracker_cells(as_at=as_at, submitters=submitters, periods=recent_periods(today=as_at))


def returns_owed(user) -> list[TrackerCell] | None:
    """For a data lead, the returns they still owe, oldest due first: periods that have ended with
    nothing accepted or awaiting a decision (missing, rejected, or not sent and not yet due).
    None for anyone who is not a data lead (the co-ordinator uploads for all, so owes none)."""
    cells = upload_periods_for(user)
    if not cells:
        return None
    as_at = working_date()
    owed = [c for c in cells if c.state in ("missing", "rejected") or (c.state == "not_due" and c.end < as_at)]
    return sorted(owed, key=lambda c: (c.due, c.start))
