"""python manage.py import_plan FILE: load or update the plan from a YAML/JSON plan file."""

from django.core.management.base import BaseCommand, CommandError

from priorities.plan_file import PlanFileError, plan_import, plan_load_file


class Command(BaseCommand):
    help = "Create or update themes, priorities and measures from a plan file (YAML or JSON)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the plan file, e.g. fixtures/plan_leicestershire_2014.yaml")

    def handle(self, *args, **options):
        try:
            count = plan_import(data=plan_load_file(options["file"]))
        except PlanFileError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from exc
        if count.changed:
            self.stdout.write(self.style.SUCCESS(f"Plan imported: {count}."))
            for line in count.details:
                self.stdout.write(f"  {line}")
        else:
            self.stdout.write(f"No change: the plan already matches {options['file']} ({count.unchanged} items).")
