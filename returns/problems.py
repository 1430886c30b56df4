"""The problem report of an upload: every problem found, each naming the file, row and column.

Pure module apart from `returns.exports.csv_bytes`: no Django. Rows are spreadsheet rows (the
header is row 1); a problem with no row is about the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from returns.exports import csv_bytes
from returns.template import TEMPLATE_COLUMNS

PROBLEM_COLUMNS: tuple[str, ...] = (
    "file",
    "row",
    "column",
    "value",
    "message",
    "severity",
)
_CONTROL_RE = re.compile(r"[\x00-\x1f]")


@dataclass
class Problem:
    """One thing wrong with an upload. row is the spreadsheet row (header = 1), None for the file."""

    file: str
    row: int | None
    column: str | None
    value: str
    message: str
    severity: str = "error"


class BySeverity:
    """For a result holding `problems` (a list of Problem): its errors and its warnings, in order."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class StopReading(Exception):
    """Raised when a file-level problem, or the problem limit, means no more rows are read."""


def human_size(n: float) -> str:
    """A byte count as people say it: "812 bytes", "1.5 MB"."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def shown(value: object, limit: int = 80) -> str:
    """The offending value as text for a Problem, shortened and with control chars made visible."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.encode("unicode_escape").decode("ascii") if _CONTROL_RE.search(text) else text


class Problems:
    """The problems of one upload so far. Errors past max_problems stop reading (StopReading)."""

    def __init__(self, file: str, max_problems: int) -> None:
        self.file = file
        self.max_problems = max_problems
        self.found: list[Problem] = []
        self.errors = 0

    def add(self, row: int | None, column: str | None, value: object, message: str) -> Problem:
        """Record an error; at the limit, record that reading stopped and raise StopReading."""
        if self.errors >= self.max_problems:
            self.found.append(
                Problem(
                    self.file,
                    None,
                    None,
                    "",
                    f"{self.file}: reading stopped at row {row or 1:,} after {self.max_problems:,} "
                    "problems, the limit; fix the problems listed and upload the file again",
                )
            )
            raise StopReading
        self.errors += 1
        problem = Problem(self.file, row, column, shown(value), message)
        self.found.append(problem)
        return problem

    def warn(self, row: int | None, column: str | None, value: object, message: str) -> None:
        self.found.append(Problem(self.file, row, column, shown(value), message, "warning"))

    def ended(self, message: str) -> None:
        """The file-level problem that ended reading (outside the problem limit, which it may follow)."""
        self.found.append(Problem(self.file, None, None, "", message))

    def stop(self, message: str) -> None:
        self.ended(message)
        raise StopReading

    def any_errors(self) -> bool:
        return any(p.severity == "error" for p in self.found)

    def sorted(self) -> list[Problem]:
        """File-level problems first, then by row, then in template column order (row-level first)."""
        order = {name: i for i, name in enumerate(TEMPLATE_COLUMNS)}

        def key(p: Problem) -> tuple:
            return (p.row is not None, p.row or 0, order.get(p.column or "", -1 if p.column is None else 99))

        return sorted(self.found, key=key)


def problems_csv(problems: Iterable[Problem]) -> bytes:
    """A validation report as CSV bytes: file,row,column,value,message,severity (formula-safe)."""
    rows = (
        (
            p.file,
            "" if p.row is None else p.row,
            p.column or "",
            p.value,
            p.message,
            p.severity,
        )
        for p in problems
    )
    return csv_bytes(list(PROBLEM_COLUMNS), rows)
