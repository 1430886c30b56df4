"""python manage.py seed_demo [--to YYYY-MM]: deterministic demo data, demo users, frozen snapshots."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from demo import builder
from priorities.models import Measure
from returns.models import Submitter


class Command(BaseCommand):
    help = (
        "Create realistic demo returns from April 2010 to the given month (fixed random seed), "
        "freeze every month end from March 2014, and create one demo user per role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", default="2015-03", help="Last month of demo data, YYYY-MM (default 2015-03)")

    def handle(self, *args, **options):
        try:
            year, month = (int(part) for part in options["to"].split("-"))
            to_month = date(year, month, 1)
        except ValueError as exc:
            raise CommandError(f"--to must be a month like 2015-03, not {options['to']!r}") from exc
        if to_month < date(2014, 4, 1):
            raise CommandError("--to must be April 2014 or later, so the 2014/15 meetings have snapshots.")
        if not Measure.objects.exists() or not Submitter.objects.exists():
            raise CommandError("Load the plan and reference data first: run import_reference and import_plan.")
        result = builder.demo_seed(to_month=to_month, progress=lambda message: self.stdout.write(f"  {message}"))
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {result.returns} returns."))
        else:
            self.stdout.write("Demo data already present; nothing new was created.")
        if result.snapshots:
            self.stdout.write(
                f"{len(result.snapshots)} frozen snapshots, {result.snapshots[0]:%B %Y} to {result.snapshots[-1]:%B %Y}."
            )
        self.stdout.write("")
        self.stdout.write("Demo users (new passwords each run; also in var/demo_users.txt):")
        for username, password, label in result.users:
            self.stdout.write(f"  {username:<12} {password:<20} {label}")
        self.stdout.write(f"Sign in at /accounts/sign-in/ with one of these. ({builder.USERS_FILE})")
