"""python manage.py import_reference: forces, CSPs, populations, the MSG and outcome types."""

from django.core.management.base import BaseCommand, CommandError

from priorities.reference import PopulationFileError, reference_import


class Command(BaseCommand):
    help = "Load reference data from fixtures/reference (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        try:
            count = reference_import()  # also (re)derives the submitters and agreed data sets
        except PopulationFileError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        if count.changed:
            self.stdout.write(self.style.SUCCESS(f"Reference data imported: {count}."))
        else:
            self.stdout.write(f"No change: reference data is already loaded ({count.unchanged} items).")
