"""python manage.py export_plan [FILE]: write the plan as an editable YAML plan file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from priorities.plan_file import plan_dump_yaml, plan_export


class Command(BaseCommand):
    help = "Write the current plan as a YAML plan file (to FILE, or to standard output)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Where to write the plan (default: standard output)")

    def handle(self, *args, **options):
        text = plan_dump_yaml(plan_export())
        if options["file"]:
            Path(options["file"]).write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Plan written to {options['file']}."))
        else:
            self.stdout.write(text, ending="")
