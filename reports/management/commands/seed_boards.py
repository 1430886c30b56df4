"""Seed the boards and their 2014/15 meetings. Safe to run again: nothing is duplicated."""

from django.core.management.base import BaseCommand

from reports.services import boards_seed


class Command(BaseCommand):
    help = "Create the Panel, the boards and the Performance Delivery Group with their 2014/15 meetings."

    def handle(self, *args, **options):
        boards, meetings = boards_seed()
        self.stdout.write(self.style.SUCCESS(f"Boards: {boards} new; meetings: {meetings} new."))
