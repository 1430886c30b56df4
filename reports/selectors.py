"""Reads for snapshots: which snapshots a user may see, and their frozen results."""

from datetime import date

from django.db.models import Max, Min
from django.http import Http404

from pcc_dashboard.roles import COORDINATOR, can, user_roles
from priorities.models import Priority
from priorities.selectors import may_see_restricted, measures_visible_to
from reports.models import Annotation, Board, Commentary, Meeting, Snapshot, SnapshotResult
from returns.models import Observation, PeriodKind, Return, ReturnStatus, Submitter, SubmitterKind
from returns.periods import financial_quarter, month_bounds, month_end, previous_month_end
from returns.selectors import tracker_cells, working_date


def snapshots_visible_to(user):
    """Signed-in board members see every frozen snapshot; the public sees published ones only."""
    snapshots = Snapshot.objects.select_related("publication").order_by("-as_of")
    if can(user, "view_unpublished"):
        return snapshots
    return snapshots.filter(publication__isnull=False)


def snapshot_get(user, as_of: str) -> Snapshot:
    """The snapshot named in a URL (`YYYY-MM-DD` or `latest`) if this user may see it, else 404."""
    snapshots = snapshots_visible_to(user)
    if as_of == "latest":
        snapshot = snapshots.first()
    else:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise Http404("Not a snapshot date") from None
        snapshot = snapshots.filter(as_of=day).first()
    if snapshot is None:
        raise Http404("No such snapshot")
    return snapshot


def snapshot_is_published(snapshot: Snapshot) -> bool:
    return hasattr(snapshot, "publication")


def snapshot_result(snapshot: Snapshot, key: str) -> dict | None:
    """The frozen payload stored under `key` (see reports/PAYLOADS.md), or None."""
    return SnapshotResult.objects.filter(snapshot=snapshot, key=key).values_list("payload", flat=True).first()


def snapshot_context(user, snapshot: Snapshot | None) -> dict:
    """What every snapshot page's template needs: the banner and the selector."""
    choices = list(snapshots_visible_to(user).values_list("as_of", flat=True))
    return {
        "snapshot": snapshot,
        "snapshot_published": snapshot is not None and snapshot_is_published(snapshot),
        "snapshot_choices": choices,
    }


def meeting_snapshot_date(meeting_date: date) -> date:
    """A meeting sees the data as at the end of the month before its month."""
    return previous_month_end(meeting_date)


def months_not_frozen(*, today: date) -> list[date]:
    """The month ends the freeze form offers, newest first: passed (before `today`), not frozen yet,
    and within the accepted data (from the month of its earliest period end to the month of its
    latest, or to the month before the working date if that is later). No accepted data gives an
    empty list: there is nothing to freeze."""
    frozen = set(Snapshot.objects.values_list("as_of", flat=True))
    span = Observation.objects.filter(source_return__is_current=True, source_return__status="accepted").aggregate(
        first=Min("period_end"), last=Max("period_end")
    )
    if span["first"] is None:
        return []
    # Up to the month of the latest data. In a demo or an archived copy (its working date is not
    # today) also the month before the working date, whose meetings are coming up.
    latest = month_end(span["last"])
    working = working_date(today=today)
    if working < today:
        latest = max(latest, previous_month_end(working))
    earliest, day = month_end(span["first"]), min(latest, previous_month_end(today))
    months = []
    while day >= earliest:
        if day not in frozen:
            months.append(day)
        day = previous_month_end(day)
    return months


def freeze_preview(as_of: date) -> dict:
    """What freezing `as_of` would take in, for the confirmation page (6 queries).

    accepted: current accepted returns holding figures for periods ending on or before `as_of`
    (the freeze copies those figures); accepted_this_month: those with figures for periods ending
    in `as_of`'s month; waiting: returns awaiting a decision with such figures, left out; not_in:
    tracker cells (returns.selectors.TrackerCell) for periods ending on `as_of` not yet accepted.
    """
    before = {"observations__period_end__lte": as_of}
    accepted = Return.objects.filter(is_current=True, status=ReturnStatus.ACCEPTED)
    month = {"observations__period_end__gt": previous_month_end(as_of), **before}
    periods = [(*month_bounds(as_of), PeriodKind.MONTH)]
    if financial_quarter(as_of)[1] == as_of:
        periods.append((*financial_quarter(as_of), PeriodKind.QUARTER))
    owed = tracker_cells(
        as_at=max(working_date(), as_of),
        submitters=list(Submitter.objects.exclude(kind=SubmitterKind.PUBLIC).order_by("kind", "name")),
        periods=periods,
    )
    return {
        "accepted": accepted.filter(**before).distinct().count(),
        "accepted_this_month": accepted.filter(**month).distinct().count(),
        "waiting": Return.objects.filter(status=ReturnStatus.SUBMITTED, **before).distinct().count(),
        "not_in": [cell for cell in owed if cell.state != "accepted"],
    }


def next_meetings_for(user, *, today: date) -> list[Meeting]:
    """The next meeting (on or after `today`) of each board this user attends, soonest first.

    A board's audience is its audience_role; the co-ordinator and staff attend them all.
    """
    roles = user_roles(user)
    boards = Board.objects.all()
    if COORDINATOR not in roles and not getattr(user, "is_staff", False):
        boards = boards.filter(audience_role__in=roles)
    meetings = []
    for board in boards.order_by("name"):
        meeting = board.meetings.filter(date__gte=today).order_by("date").first()
        if meeting is not None:
            meetings.append(meeting)
    return sorted(meetings, key=lambda m: m.date)


def boards_with_meetings(*, today: date) -> list[dict]:
    """Each board with its upcoming and past meetings and the snapshot each resolves to."""
    snapshots = {s.as_of: s for s in Snapshot.objects.select_related("publication")}
    meetings = Meeting.objects.select_related("board").order_by("board__name", "date")
    boards = {b.pk: {"board": b, "upcoming": [], "past": []} for b in Board.objects.order_by("name")}
    for meeting in meetings:
        as_of = meeting_snapshot_date(meeting.date)
        item = {"meeting": meeting, "as_of": as_of, "snapshot": snapshots.get(as_of)}
        boards[meeting.board_id]["upcoming" if meeting.date >= today else "past"].append(item)
    for entry in boards.values():
        entry["past"].reverse()
    return list(boards.values())


def meeting_previous(meeting: Meeting) -> Meeting | None:
    """The same board's meeting before this one."""
    return Meeting.objects.filter(board_id=meeting.board_id, date__lt=meeting.date).order_by("-date").first()


def overview_visible_to(user, snapshot: Snapshot, *, audience: str | None = None) -> list[dict]:
    """The overview statuses of a snapshot, without the measures this user (or the audience) may not see."""
    visible = set(measures_visible_to(user, audience=audience).values_list("code", flat=True))
    overview = snapshot_result(snapshot, "overview") or {}
    return [item for item in overview.get("measures", []) if item["code"] in visible]


def narratives_visible_to(user, snapshot: Snapshot, *, audience: str | None = None) -> list[dict]:
    """The snapshot's CSP narratives ({submitter, area_code, period_start, period_end, priority_number,
    text}), without those on restricted priorities unless the reader (and audience) is entitled.
    Restriction is read as it is now, so a priority restricted after a freeze is withheld in old snapshots."""
    items = (snapshot_result(snapshot, "narratives") or {}).get("items", [])
    if may_see_restricted(user, audience=audience):
        return items
    restricted = set(Priority.objects.filter(restricted=True).values_list("number", flat=True))
    return [item for item in items if item.get("priority_number") not in restricted]


def commentary_for(snapshot: Snapshot, measure_code: str | None = None, theme_number: int | None = None):
    """The co-ordinator's context for a measure or theme in a snapshot, or None; with neither, all of it."""
    rows = Commentary.objects.filter(snapshot=snapshot).select_related("measure", "theme", "author")
    if measure_code is not None:
        return rows.filter(measure__code=measure_code).first()
    if theme_number is not None:
        return rows.filter(theme__number=theme_number).first()
    return list(rows)


def annotations_for(measure_code: str):
    return Annotation.objects.filter(measure__code=measure_code).select_related("area").order_by("date", "id")
