"""Writes for snapshots (freeze, publish, verify, compare), commentary and annotations."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from priorities.office import current_office
from reports import freeze
from reports.models import (
    Annotation,
    Board,
    Commentary,
    Meeting,
    Snapshot,
    SnapshotObservation,
    SnapshotPublication,
    SnapshotResult,
)
from returns.periods import is_month_end
from returns.services import audit_record

logger = logging.getLogger(__name__)


class SnapshotError(ValueError):
    """A freeze or publication that must not happen (not a month end, in the future, already done)."""


def _actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return (user.get_full_name() or "").strip() or user.get_username()


def _snapshot_audit(snapshot: Snapshot, *, action: str, verb: str, user) -> None:
    """The audit log entry of a freeze or publication ("Froze data as at 31 May 2014: …"), so the
    co-ordinator's log shows who fixed or released which month's figures, beside uploads and decisions."""
    audit_record(
        action=action,
        summary=(
            f"{verb} data as at {snapshot.as_of:%-d %B %Y}: {snapshot.observation_count:,} figures, "
            f"digest {snapshot.digest[:16]}"
        ),
        user=user,
        details={"snapshot_id": snapshot.pk, "as_of": snapshot.as_of.isoformat(), "digest": snapshot.digest},
    )


def snapshot_freeze_check(*, as_of: dt.date) -> None:
    """Raise SnapshotError saying why `as_of` cannot be frozen: not a date, not a month end, not
    passed yet, or frozen already. The confirmation page asks it before it asks the user."""
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise SnapshotError("The as-of date must be a date.")
    if not is_month_end(as_of):
        raise SnapshotError(f"{as_of:%-d %B %Y} is not the last day of a month: snapshots are taken at month ends.")
    if as_of >= timezone.localdate():
        raise SnapshotError(
            f"The month ending {as_of:%-d %B %Y} has not finished yet: it can be frozen from the next day."
        )
    if Snapshot.objects.filter(as_of=as_of).exists():
        raise SnapshotError(f"Data as at {as_of:%-d %B %Y} is already frozen.")


def snapshot_freeze(*, as_of: dt.date, user=None, frozen_at: dt.datetime | None = None) -> Snapshot:
    """Freeze the data as at a month end that has passed: observations, payloads, digest.

    One transaction reading one consistent state (freeze.one_consistent_state): an INSERT … SELECT
    copies every current accepted observation whose period ends on or before as_of; the payloads
    are computed from those stored rows; the Snapshot row, written last because frozen rows cannot
    be updated, carries the digest of it all. frozen_at defaults to now (the demo passes the day it
    would have been frozen). Raises SnapshotError with a sentence for the user.
    """
    snapshot_freeze_check(as_of=as_of)
    frozen_by = user if getattr(user, "is_authenticated", False) else None
    try:
        with freeze.one_consistent_state(as_of):
            if Snapshot.objects.filter(as_of=as_of).exists():
                raise SnapshotError(f"Data as at {as_of:%-d %B %Y} is already frozen.")
            snapshot_id = freeze.reserve_snapshot_id()
            freeze.observations_copy(snapshot_id=snapshot_id, as_of=as_of)
            observations = freeze.observations_frame(snapshot_id)
            count = len(observations)
            fields = {
                "as_of": as_of,
                "frozen_at": frozen_at or timezone.now(),
                "frozen_by_id": frozen_by.pk if frozen_by else None,
                "frozen_by_name": _actor_name(user)[:150],
            }
            # The digest is made as the results are stored (each payload's text once, in key order).
            digest = freeze.ContentDigest(
                observations, metadata=freeze.snapshot_metadata(**fields, count=count), in_order=True
            )
            results = freeze.results_build(as_of=as_of, observations=observations, digest=digest)
            del observations  # the payloads still to make need only their own frames
            freeze.results_store(snapshot_id=snapshot_id, results=results)
            snapshot = Snapshot.objects.create(
                id=snapshot_id, digest=digest.hexdigest(), observation_count=count, **fields
            )
            _snapshot_audit(snapshot, action="snapshot_freeze", verb="Froze", user=user)
    except IntegrityError as exc:
        # The unique as_of constraint is the safety net when two freezes race.
        raise SnapshotError(f"Data as at {as_of:%-d %B %Y} is already frozen.") from exc
    logger.info("froze snapshot %s: %s observations, digest %s", as_of, snapshot.observation_count, snapshot.digest)
    return snapshot


def snapshot_verify() -> list[dict]:
    """Recompute every snapshot's digest from its stored rows; one dict per mismatch."""
    mismatches = []
    for snapshot in Snapshot.objects.order_by("as_of"):
        digest, count = freeze.stored_digest(snapshot)
        if digest != snapshot.digest or count != snapshot.observation_count:
            mismatches.append(
                {
                    "snapshot": snapshot,
                    "as_of": snapshot.as_of.isoformat(),
                    "expected_digest": snapshot.digest,
                    "actual_digest": digest,
                    "expected_count": snapshot.observation_count,
                    "actual_count": count,
                }
            )
    return mismatches


def snapshot_publish(*, snapshot: Snapshot, user=None) -> SnapshotPublication:
    """Publish a frozen snapshot (a separate row, so the frozen one is never touched)."""
    try:
        with transaction.atomic():
            publication = SnapshotPublication.objects.create(
                snapshot=snapshot,
                published_at=timezone.now(),
                published_by=user if getattr(user, "is_authenticated", False) else None,
            )
            _snapshot_audit(snapshot, action="snapshot_publish", verb="Published", user=user)
            return publication
    except IntegrityError as exc:
        raise SnapshotError(f"Data as at {snapshot.as_of:%-d %B %Y} is already published.") from exc


_SAME_FIGURE = (
    "o.measure_code = n.measure_code AND o.area_code = n.area_code "
    "AND o.period_start = n.period_start AND o.period_end = n.period_end"
)


def _rows(sql: str, params: list) -> list[tuple]:
    table = SnapshotObservation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table, same=_SAME_FIGURE), params)
        return cursor.fetchall()


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


def _periods_new(newer: Snapshot, older: Snapshot) -> list[dict]:
    """Figures in `newer` with no figure for the same measure, area and period in `older`."""
    sql = (
        "SELECT n.measure_code, n.period_start, n.period_end, COUNT(*) FROM {table} n "
        "WHERE n.snapshot_id = %s AND NOT EXISTS (SELECT 1 FROM {table} o WHERE o.snapshot_id = %s AND {same}) "
        "GROUP BY n.measure_code, n.period_start, n.period_end ORDER BY n.measure_code, n.period_end, n.period_start"
    )
    return [
        {"measure_code": m, "period_start": _iso(s), "period_end": _iso(e), "areas": int(n)}
        for m, s, e, n in _rows(sql, [newer.pk, older.pk])
    ]


def snapshot_compare(*, older: Snapshot, newer: Snapshot) -> dict:
    """What changed between two snapshots: periods added, figures revised, statuses changed.

    Set-based in SQL, so it costs a few queries whatever the length of history. Output keys:
    older, newer (as-of ISO dates); periods_added [{measure_code, period_start, period_end,
    areas (how many areas gained the period)}]; revised [{measure_code, area_code, period_start,
    period_end, before, after, before_return_id, after_return_id}]; removed (periods in older
    only, same shape as periods_added); status_changed [{measure_code, title, before, after}]
    where before/after hold tone, variation and msg_relative.
    """
    revised_sql = (
        "SELECT n.measure_code, n.area_code, n.period_start, n.period_end, o.value, n.value, o.return_id, n.return_id "
        "FROM {table} n JOIN {table} o ON o.snapshot_id = %s AND {same} "
        "WHERE n.snapshot_id = %s AND o.value <> n.value "
        "ORDER BY n.measure_code, n.area_code, n.period_end, n.period_start"
    )
    revised = [
        {
            "measure_code": m,
            "area_code": a,
            "period_start": _iso(s),
            "period_end": _iso(e),
            "before": before,
            "after": after,
            "before_return_id": before_id,
            "after_return_id": after_id,
        }
        for m, a, s, e, before, after, before_id, after_id in _rows(revised_sql, [older.pk, newer.pk])
    ]
    overviews = dict(
        SnapshotResult.objects.filter(snapshot__in=[older, newer], key="overview").values_list("snapshot_id", "payload")
    )
    old_status = {m["code"]: m for m in (overviews.get(older.pk) or {}).get("measures", [])}
    status_changed = []
    for item in (overviews.get(newer.pk) or {}).get("measures", []):
        previous = old_status.get(item["code"])
        fields = ("tone", "variation", "msg_relative")
        was = {f: (previous or {}).get("status", {}).get(f) for f in fields}
        now = {f: item.get("status", {}).get(f) for f in fields}
        if previous is not None and (was["tone"], was["variation"]) != (now["tone"], now["variation"]):
            status_changed.append({"measure_code": item["code"], "title": item["title"], "before": was, "after": now})
    return {
        "older": older.as_of.isoformat(),
        "newer": newer.as_of.isoformat(),
        "periods_added": _periods_new(newer, older),
        "revised": revised,
        "removed": _periods_new(older, newer),
        "status_changed": status_changed,
    }


def commentary_save(*, snapshot: Snapshot, text: str, user=None, measure=None, theme=None) -> Commentary:
    """Write or replace the co-ordinator's context for a measure or theme in a snapshot."""
    if (measure is None) == (theme is None):
        raise ValueError("Commentary is on exactly one measure or one theme.")
    lookup = {"snapshot": snapshot, "measure": measure} if measure else {"snapshot": snapshot, "theme": theme}
    commentary, _ = Commentary.objects.update_or_create(
        **lookup, defaults={"text": text.strip(), "author": user if getattr(user, "is_authenticated", False) else None}
    )
    return commentary


def annotation_add(
    *, measure, date: dt.date, label: str, text: str = "", area=None, recalculate_limits: bool = False
) -> Annotation:
    """A dated event on a measure's series; with recalculate_limits, later freezes start new SPC limits.

    Raises ValueError when recalculate_limits has no text: limits restart only at a dated,
    explained change, and the chart prints the explanation.
    """
    if recalculate_limits and not text.strip():
        raise ValueError("A recalculation of control limits needs its reason in the text.")
    return Annotation.objects.create(
        measure=measure,
        area=area,
        date=date,
        label=label.strip(),
        text=text.strip(),
        recalculate_limits=recalculate_limits,
    )


@transaction.atomic
def boards_seed() -> tuple[int, int]:
    """Create or update the boards of the office in the plan file and add their meetings:
    (new boards, new meetings). A board or meeting no longer listed is kept (meetings have packs)."""
    office = current_office()
    new_boards = new_meetings = 0
    for spec in office.boards if office else []:
        values = {
            "name": spec["name"],
            "audience_role": spec["audience"],
            "frequency": spec["frequency"],
            "purpose": spec["purpose"],
            "is_panel": spec["scrutiny"],
        }
        board, created = Board.objects.update_or_create(slug=spec["slug"], defaults=values)
        new_boards += created
        for iso in spec["meetings"]:
            _, created = Meeting.objects.get_or_create(board=board, date=dt.date.fromisoformat(iso))
            new_meetings += created
    return new_boards, new_meetings
