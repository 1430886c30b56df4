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
# Letters that pass for digits in many fonts (O for 0; l and I for 1): a number cell holding one
# reads as a number to the uploader, so the message names the letter.
NUMBER_COLUMNS = frozenset({"value", "numerator", "denominator", "respondents"})
_LOOKALIKES = {
    "O": "the letter O (not the digit 0)",
    "o": "the letter o (not the digit 0)",
    "l": "the letter l (not the digit 1)",
    "I": "the letter I (not the digit 1)",
}
_AS_DIGITS = str.maketrans("OolI", "0011")
_NUMBER_LIKE_RE = re.compile(r"[£+-]?[\d.,\s]*\d[\d.,\s]*%?")


def lookalike_note(column: str | None, value: object) -> str:
    """For a number cell holding letters that look like digits: '"1O" contains the letter O (not the
    digit 0)'; "" otherwise. column is a template column name, value the cell as written."""
    text = "" if value is None else str(value).strip()
    found = [words for letter, words in _LOOKALIKES.items() if letter in text]
    as_digits = text.translate(_AS_DIGITS)
    # Only where the letters stand in for digits ("1O", "l,234"), not in words ("null", "Total").
    if column not in NUMBER_COLUMNS or not found or not _NUMBER_LIKE_RE.fullmatch(as_digits):
        return ""
    return f"\u201c{text}\u201d contains {' and '.join(found)}"


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
        note = lookalike_note(column, value)
        problem = Problem(self.file, row, column, shown(value), f"{message}: {note}" if note else message)
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
