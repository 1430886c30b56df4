"""python manage.py import_reference: forces, CSPs, populations, the MSG and outcome types."""

from django.core.management.base import BaseCommand, CommandError

from priorities.services import PopulationFileError, reference_import


class Command(BaseCommand):
    help = "Load reference data from fixtures/reference (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        try:
            count = reference_import()
        except PopulationFileError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        try:
            from returns.services import submitters_ensure
        except ImportError:  # returns not wired yet
            submitters_ensure = None
        if submitters_ensure is not None:
            submitters_count = submitters_ensure()
            count.created += submitters_count.created
            count.updated += submitters_count.updated
            count.unchanged += submitters_count.unchanged
        if count.changed:
            self.stdout.write(self.style.SUCCESS(f"Reference data imported: {count}."))
        else:
            self.stdout.write(f"No change: reference data is already loaded ({count.unchanged} items).")
