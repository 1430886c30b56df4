"""Reads for snapshots: which snapshots a user may see, and their frozen results."""

from datetime import date

from django.http import Http404

from pcc_dashboard.roles import can
from reports.models import Snapshot, SnapshotResult


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
