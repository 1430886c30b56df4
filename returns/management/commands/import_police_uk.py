"""python manage.py import_police_uk FILE...: data.police.uk street-level crime archive files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns.importers import ImportProblem, police_uk_import
from returns.management.commands._public_import import read_file, report_periods

DUPLICATES_SHOWN = 5


class Command(BaseCommand):
    help = (
        "Import monthly counts by crime type and by last outcome, for the force and each CSP area. "
        "Files for the same month are combined; a Crime ID counts once."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["files"]]
        names = [path.name for path in paths]
        if len(set(names)) != len(names):
            raise CommandError("two files have the same name; rename one so each figure's file can be told apart.")
        try:
            result = police_uk_import(files=[(path.name, read_file(path)) for path in paths])
        except ImportProblem as exc:
            raise CommandError(f"{exc}\nNothing was imported from {', '.join(names)}.") from exc
        s = result.summary
        outside = s["outside_districts"]
        self.stdout.write(
            f"{', '.join(names)}: {s['rows_read']:,} rows; {sum(s['by_area'].values()):,} in CSP areas; "
            f"{sum(outside.values()):,} outside the force's districts ({len(outside)} districts); "
            f"{s['no_lsoa']:,} with no LSOA (counted for the force only)."
        )
        duplicates = s["duplicates"]
        if duplicates:
            shown = "; ".join(
                f"{dup_file} row {dup_row} repeats {file} row {row} ({crime_id[:12]}…)"
                for file, row, dup_file, dup_row, crime_id in duplicates[:DUPLICATES_SHOWN]
            )
            more = f" and {len(duplicates) - DUPLICATES_SHOWN} more" if len(duplicates) > DUPLICATES_SHOWN else ""
            self.stdout.write(
                self.style.WARNING(f"{len(duplicates):,} repeated Crime IDs counted once: {shown}{more}.")
            )
        for month, files in s["month_files"].items():
            if len(files) > 1:
                self.stdout.write(f"{month:%B %Y}: combined from {' and '.join(files)}.")
        if s["breaks"]:
            self.stdout.write(f"{s['breaks']} series break annotation(s) recorded from the crime-type map.")
        report_periods(self, result)
