"""python manage.py import_home_office_prc FILE: Home Office police recorded crime, force or CSP level."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns.importers import ImportProblem, home_office_prc_import
from returns.management.commands._public_import import read_file, report_periods


class Command(BaseCommand):
    help = (
        "Import quarterly SP10-14 counts from a Home Office recorded crime CSV (prc-pfa for every force, "
        "or prc-csp for the CSP areas), mapped by offence code."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            result = home_office_prc_import(raw=read_file(path), file_name=path.name)
        except ImportProblem as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        s = result.summary
        skipped = s["skipped"]
        kind = "CSP areas" if s["level"] == "csp" else "forces"
        self.stdout.write(
            f"{path.name}: {s['rows_read']:,} rows read, {s['rows_used']:,} used for {len(s['areas'])} {kind}; "
            f"{sum(skipped.values()):,} rows skipped for {len(skipped)} bodies or areas outside the product"
            + (f" ({', '.join(f'{k}: {v}' for k, v in skipped.items())})." if skipped else ".")
        )
        for measure, missing in s["no_source_row"].items():
            self.stdout.write(
                self.style.WARNING(
                    f"{measure}: no source row for {missing} area-quarters, so not stored there (unknown, never 0)."
                )
            )
        if s["breaks"]:
            self.stdout.write(f"{s['breaks']} series break annotation(s) recorded from the offence map.")
        report_periods(self, result)
