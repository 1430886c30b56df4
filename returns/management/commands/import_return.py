"""python manage.py import_return FILE --submitter CODE --period-start … --period-end … [--accept]."""

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from returns.models import Submitter
from returns.services import ReturnConflict, return_upload


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} {text!r} is not a date in the form YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "Validate a return file (CSV or XLSX) and store it as the submitter's next version for the period."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--submitter", required=True, help="submitter code, e.g. leicestershire-police")
        parser.add_argument("--period-start", required=True, help="YYYY-MM-DD, first day of a month or quarter")
        parser.add_argument("--period-end", required=True, help="YYYY-MM-DD, last day of that month or quarter")
        parser.add_argument("--accept", action="store_true", help="accept the new version at once")

    def handle(self, *args, **options):
        path = Path(options["file"])
        start = _date(options["period_start"], "--period-start")
        end = _date(options["period_end"], "--period-end")
        submitter = Submitter.objects.filter(code=options["submitter"]).first()
        if submitter is None:
            codes = ", ".join(Submitter.objects.values_list("code", flat=True)) or "none: run import_reference"
            raise CommandError(f"unknown submitter {options['submitter']!r}; known submitters: {codes}")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        bar = tqdm(total=0, unit=" rows", desc="Storing", file=sys.stderr, disable=None)

        def validated(rows: int) -> None:
            # A marker line for operators (and the crash test): rows are about to be inserted.
            self.stderr.write(f"Validated {rows:,} rows of {path.name}; storing…")
            self.stderr.flush()
            bar.total = rows
            bar.refresh()

        try:
            outcome = return_upload(
                submitter=submitter,
                start=start,
                end=end,
                raw=raw,
                file_name=path.name,
                accept=options["accept"],
                source="import_return",
                progress=bar.update,
                on_validated=validated,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except ReturnConflict as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from exc
        finally:
            bar.close()
        if outcome.identical_to is not None:
            self.stdout.write(outcome.identical_message)
            return
        for problem in outcome.problems:
            where = ", ".join(
                part
                for part in (
                    problem.file,
                    f"row {problem.row}" if problem.row is not None else "",
                    f"column {problem.column}" if problem.column else "",
                )
                if part
            )
            value = f" (value {problem.value!r})" if problem.value else ""
            self.stderr.write(f"{problem.severity}: {where}: {problem.message}{value}")
        if outcome.ret is None:
            raise CommandError(
                f"{len(outcome.errors):,} errors in {path.name}; nothing was imported. "
                f"Fix the file and run again (report: audit record {outcome.failed_event.pk})."
            )
        ret = outcome.ret
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored {submitter.name} {ret.period} version {ret.version} ({ret.row_count:,} rows), "
                f"status {ret.get_status_display().lower()}."
            )
        )
