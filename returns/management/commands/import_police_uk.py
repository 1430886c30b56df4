"""python manage.py import_police_uk FILE...: data.police.uk street-level crime archive files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns.importers import ImportProblem, police_uk_import
from returns.management.commands._public_import import read_file, report_periods


class Command(BaseCommand):
    help = "Import monthly counts by crime type and by last outcome, for the force and each CSP area."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *args, **options):
        for name in options["files"]:
            path = Path(name)
            try:
                result = police_uk_import(raw=read_file(path), file_name=path.name)
            except ImportProblem as exc:
                raise CommandError(f"{exc}\nNothing was imported from {path.name}.") from exc
            s = result.summary
            outside = s["outside_districts"]
            self.stdout.write(
                f"{path.name}: {s['rows_read']:,} rows; {sum(s['by_area'].values()):,} in CSP areas; "
                f"{sum(outside.values()):,} outside the force's districts ({len(outside)} districts); "
                f"{s['no_lsoa']:,} with no LSOA (counted for the force only)."
            )
            report_periods(self, result, path.name)
