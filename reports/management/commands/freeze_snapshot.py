"""Freeze the month-end snapshot: `manage.py freeze_snapshot --as-of 2014-05-31`."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.services import SnapshotError, snapshot_freeze


class Command(BaseCommand):
    help = "Freeze the data as at a month end that has passed. A month can be frozen once."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="The month end, YYYY-MM-DD (e.g. 2014-05-31)")

    def handle(self, *args, as_of: str, **options):
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date: use YYYY-MM-DD, e.g. 2014-05-31.") from None
        try:
            snapshot = snapshot_freeze(as_of=day)
        except SnapshotError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Froze data as at {snapshot.as_of:%-d %B %Y}: {snapshot.observation_count:,} observations, "
                f"digest {snapshot.digest}."
            )
        )
