"""python manage.py import_populations FILE: population estimates (area_code, mid_year, population)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from priorities.reference import PopulationFileError, populations_import, populations_parse


class Command(BaseCommand):
    help = "Create or update population estimates from a CSV with columns area_code, mid_year, population."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", default="ONS mid-year estimate")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            rows = populations_parse(path.read_bytes(), file_name=path.name)
            count = populations_import(rows=rows, source=options["source"])
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except PopulationFileError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        if count.changed:
            self.stdout.write(self.style.SUCCESS(f"Populations imported from {path.name}: {count}."))
        else:
            self.stdout.write(f"No change: {path.name} matches the populations already held ({count.unchanged} rows).")
