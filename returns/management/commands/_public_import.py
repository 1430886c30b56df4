"""What the public-data import commands share: reading the file and reporting each period."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def report_periods(command: BaseCommand, result) -> None:
    """One line per period: imported as a new accepted version (naming any version it replaces), or no change."""
    for period in result.periods:
        ret = period.ret
        if not period.changed:
            command.stdout.write(
                f"No change: {period.label} from {ret.original_name} already imported as version {ret.version}."
            )
            continue
        line = f"{period.label}: imported from {ret.original_name} as version {ret.version} ({period.rows:,} figures), accepted."
        if period.replaced is not None:
            line += (
                f" It replaces version {period.replaced.version}, imported from {period.replaced.original_name}"
                f" on {period.replaced.uploaded_at:%d %B %Y}"
            )
            line += f", and keeps its {period.kept:,} figures for other areas." if period.kept else "."
        command.stdout.write(command.style.SUCCESS(line) if period.replaced is None else command.style.WARNING(line))
