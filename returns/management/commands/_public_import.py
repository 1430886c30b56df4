"""What the public-data import commands share: reading the file and reporting each period."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def report_periods(command: BaseCommand, result, file_name: str) -> None:
    """One line per period: imported as a new accepted version, or no change."""
    for period in result.periods:
        if period.changed:
            command.stdout.write(
                command.style.SUCCESS(
                    f"{period.label}: imported as version {period.ret.version} ({period.rows:,} figures), accepted."
                )
            )
        else:
            command.stdout.write(
                f"No change: {period.label} from {file_name} already imported as version {period.ret.version}."
            )
