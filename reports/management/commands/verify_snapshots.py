"""Recompute every snapshot's SHA-256 digest from its stored rows and report any mismatch."""

from django.core.management.base import BaseCommand, CommandError

from reports.models import Snapshot
from reports.services import snapshot_verify


class Command(BaseCommand):
    help = "Check that no frozen snapshot has changed since it was frozen. Exits non-zero on a mismatch."

    def handle(self, *args, **options):
        mismatches = {m["as_of"]: m for m in snapshot_verify()}
        for as_of in Snapshot.objects.order_by("as_of").values_list("as_of", flat=True):
            problem = mismatches.get(as_of.isoformat())
            if problem is None:
                self.stdout.write(f"OK {as_of.isoformat()}")
                continue
            self.stdout.write(
                self.style.ERROR(
                    f"MISMATCH {problem['as_of']}: stored digest {problem['expected_digest']}, "
                    f"recomputed {problem['actual_digest']}; observations stored as {problem['expected_count']}, "
                    f"found {problem['actual_count']}"
                )
            )
        if mismatches:
            raise CommandError(
                f"{len(mismatches)} snapshot(s) differ from their digest: investigate before anyone relies on them."
            )
