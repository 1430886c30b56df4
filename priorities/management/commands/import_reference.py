"""python manage.py import_reference: forces, CSPs, populations, the MSG and outcome types."""

from django.core.management.base import BaseCommand

from priorities.services import reference_import


class Command(BaseCommand):
    help = "Load reference data from fixtures/reference (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        count = reference_import()
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
