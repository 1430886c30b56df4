"""What is rebuilt from the plan and the reference data once either is loaded: the peer group, then
whatever other apps derive (the returns app's submitters and agreed data sets)."""

from django.dispatch import Signal

from priorities.office import peer_group_derive
from priorities.services import ChangeCount

# Sent at the end of plan_import and reference_import, so whatever is derived from the plan and the
# reference data (the returns app's submitters and agreed data sets) is rebuilt in either order and
# on every re-run. A receiver returns a ChangeCount of what it changed. The returns app builds on
# this one, so it connects its receiver (returns.apps) rather than being called from here.
plan_loaded = Signal()


def derived_rebuild(*, count: ChangeCount) -> None:
    """(Re)derive the peer group here, then ask every receiver of `plan_loaded` to rebuild what it
    derives (submitters, agreed data sets), adding up what changed into `count`."""
    peer_group_derive(count)
    for _receiver, derived in plan_loaded.send(sender=ChangeCount):
        count.created += derived.created
        count.updated += derived.updated
        count.unchanged += derived.unchanged
        count.details.extend(derived.details)
