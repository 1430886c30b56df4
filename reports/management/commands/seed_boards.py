"""Create the boards and meetings the plan file's `office:` section lists. Safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from priorities.office import current_office
from reports.services import boards_seed


class Command(BaseCommand):
    help = "Create or update the office's boards and add their meetings, as the plan file lists them."

    def handle(self, *args, **options):
        if current_office() is None:
            raise CommandError("No office is loaded: run import_plan with a plan file that has an office: section.")
        boards, meetings = boards_seed()
        self.stdout.write(self.style.SUCCESS(f"Boards: {boards} new; meetings: {meetings} new."))
