"""python manage.py clean_return_files [--older-than-minutes N]: delete stored originals no return names."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from returns.services import return_files_orphans_remove


class Command(BaseCommand):
    help = (
        "Delete uploaded originals that no return names (left when a process is killed between writing the "
        "file and committing its return). Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=60,
            help="only files last written this long ago (default 60), so uploads in progress are kept",
        )

    def handle(self, *args, older_than_minutes: int, **options):
        removed = return_files_orphans_remove(older_than=timedelta(minutes=older_than_minutes))
        self.stdout.write(f"{len(removed)} stored file(s) with no return deleted")
