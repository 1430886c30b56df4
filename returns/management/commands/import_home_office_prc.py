"""python manage.py import_home_office_prc FILE: Home Office police recorded crime, force level."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns.importers import ImportProblem, home_office_prc_import
from returns.management.commands._public_import import read_file, report_periods


class Command(BaseCommand):
    help = "Import quarterly SP10-14 counts for every territorial force from the Home Office prc-pfa CSV."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            result = home_office_prc_import(raw=read_file(path), file_name=path.name)
        except ImportProblem as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        summary = result.summary
        skipped = summary["skipped"]
        self.stdout.write(
            f"{path.name}: {summary['rows_read']:,} rows read, {summary['rows_used']:,} used for "
            f"{len(summary['forces'])} forces; {sum(skipped.values()):,} rows skipped for "
            f"{len(skipped)} non-territorial bodies ({', '.join(f'{k}: {v}' for k, v in skipped.items())})."
        )
        report_periods(self, result, path.name)
