"""Writes for snapshots (freeze, publish, verify, compare), commentary and annotations (R11, R15)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from reports import freeze
from reports.models import Annotation, Commentary, Snapshot, SnapshotPublication, SnapshotResult
from returns.periods import is_month_end

logger = logging.getLogger(__name__)


class SnapshotError(ValueError):
    """A freeze or publication that must not happen (not a month end, in the future, already done)."""


def _actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return (user.get_full_name() or "").strip() or user.get_username()


def snapshot_freeze(*, as_of: dt.date, user=None) -> Snapshot:
    """Freeze the data as at a month end that has passed (R11): observations, payloads, digest.

    One transaction: an INSERT … SELECT copies every current accepted observation whose period
    ends on or before as_of; the payloads are computed from those stored rows; the Snapshot row,
    written last because frozen rows cannot be updated, carries the digest of it all.
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise SnapshotError("The as-of date must be a date.")
    if not is_month_end(as_of):
        raise SnapshotError(f"{as_of:%-d %B %Y} is not the last day of a month: snapshots are taken at month ends.")
    if as_of >= timezone.localdate():
        raise SnapshotError(
            f"The month ending {as_of:%-d %B %Y} has not finished yet: it can be frozen from the next day."
        )
    try:
        with transaction.atomic():
            freeze.lock_month(as_of)
            if Snapshot.objects.filter(as_of=as_of).exists():
                raise SnapshotError(f"Data as at {as_of:%-d %B %Y} is already frozen.")
            snapshot_id = freeze.reserve_snapshot_id()
            freeze.observations_copy(snapshot_id=snapshot_id, as_of=as_of)
            observations = freeze.observations_frame(snapshot_id)
            results = freeze.results_build(as_of=as_of, observations=observations)
            freeze.results_store(snapshot_id=snapshot_id, results=results)
            digest = freeze.content_digest(observations, [(key, payload) for key, (_, payload) in results.items()])
            snapshot = Snapshot.objects.create(
                id=snapshot_id,
                as_of=as_of,
                frozen_at=timezone.now(),
                frozen_by=user if getattr(user, "is_authenticated", False) else None,
                frozen_by_name=_actor_name(user)[:150],
                digest=digest,
                observation_count=len(observations),
            )
    except IntegrityError as exc:
        # The unique as_of constraint is the safety net when two freezes race.
        raise SnapshotError(f"Data as at {as_of:%-d %B %Y} is already frozen.") from exc
    logger.info("froze snapshot %s: %s observations, digest %s", as_of, snapshot.observation_count, digest)
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
            return SnapshotPublication.objects.create(
                snapshot=snapshot,
                published_at=timezone.now(),
                published_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise SnapshotError(f"Data as at {snapshot.as_of:%-d %B %Y} is already published.") from exc


def _figures(snapshot: Snapshot) -> dict[tuple, tuple]:
    rows = snapshot.observations.values_list(
        "measure_code", "area_code", "period_start", "period_end", "value", "return_id"
    )
    return {(m, a, s, e): (v, r) for m, a, s, e, v, r in rows}


def snapshot_compare(*, older: Snapshot, newer: Snapshot) -> dict:
    """What changed between two snapshots: periods added, figures revised, statuses changed.

    Output keys: older, newer (as-of ISO dates), periods_added [{measure_code, period_start,
    period_end, areas}], revised [{measure_code, area_code, period_start, period_end, before,
    after, before_return_id, after_return_id}], removed (figures in older, not newer),
    status_changed [{measure_code, title, before: {tone, variation, msg_relative}, after: …}].
    """
    before, after = _figures(older), _figures(newer)
    added: dict[tuple, list[str]] = {}
    for key in after.keys() - before.keys():
        added.setdefault((key[0], key[2], key[3]), []).append(key[1])
    revised = [
        {
            "measure_code": key[0],
            "area_code": key[1],
            "period_start": key[2].isoformat(),
            "period_end": key[3].isoformat(),
            "before": before[key][0],
            "after": after[key][0],
            "before_return_id": before[key][1],
            "after_return_id": after[key][1],
        }
        for key in sorted(before.keys() & after.keys())
        if before[key][0] != after[key][0]
    ]
    removed = [
        {"measure_code": k[0], "area_code": k[1], "period_start": k[2].isoformat(), "period_end": k[3].isoformat()}
        for k in sorted(before.keys() - after.keys())
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
        "periods_added": [
            {"measure_code": m, "period_start": s.isoformat(), "period_end": e.isoformat(), "areas": sorted(areas)}
            for (m, s, e), areas in sorted(added.items())
        ],
        "revised": revised,
        "removed": removed,
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
    """A dated event on a measure's series; with recalculate_limits, later freezes start new SPC limits."""
    return Annotation.objects.create(
        measure=measure,
        area=area,
        date=date,
        label=label.strip(),
        text=text.strip(),
        recalculate_limits=recalculate_limits,
    )
