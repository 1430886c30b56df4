"""python manage.py import_reference: forces, CSPs, populations, the MSG and outcome types."""

from django.core.management.base import BaseCommand

from priorities.services import reference_import


class Command(BaseCommand):
    help = "Load reference data from fixtures/reference (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        count = reference_import()  # also (re)derives the submitters and agreed data sets
        if count.changed:
            self.stdout.write(self.style.SUCCESS(f"Reference data imported: {count}."))
        else:
            self.stdout.write(f"No change: reference data is already loaded ({count.unchanged} items).")
