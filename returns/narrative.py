"""The Narrative sheet of an XLSX return: each priority's account of the work undertaken.

Pure module: no Django. Rows are lists of cell text as `returns.workbook` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from returns.problems import Problems
from returns.template import MAX_NARRATIVE_CHARS

# Tab, line feed and carriage return are allowed in a narrative; other control characters are not.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_narrative(rows: Iterable[list[str]], problems: Problems) -> dict[int, str]:
    """priority number (1–99) → text, from rows whose header names priority_number and work_undertaken.

    A row with neither is skipped; each bad row is a problem naming its row and column ("SP10"
    reads as 10). Text is stripped, with Windows line ends made "\\n".
    """
    narrative: dict[int, str] = {}
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return narrative
    cols = {c.strip().lower(): i for i, c in enumerate(header) if c.strip()}
    missing = [c for c in ("priority_number", "work_undertaken") if c not in cols]
    if missing:
        problems.add(1, missing[0], "", f"Narrative sheet: column(s) {', '.join(missing)} missing from the header")
        return narrative
    pn, wu = cols["priority_number"], cols["work_undertaken"]
    for row, cells in enumerate(iterator, start=2):
        number_text = cells[pn].strip() if pn < len(cells) else ""
        text = cells[wu] if wu < len(cells) else ""
        if not number_text and not text.strip():
            continue
        problem = _problem(number_text.upper().removeprefix("SP"), text, narrative)
        if problem:
            column, shown, message = problem
            problems.add(row, column, cells[pn] if shown is None else shown, message)
        elif text.strip():
            narrative[int(number_text.upper().removeprefix("SP"))] = text.strip().replace("\r\n", "\n")
    return narrative


def _problem(number_text: str, text: str, narrative: dict[int, str]) -> tuple[str, object, str] | None:
    """(column, value shown or None for the cell as written, message) for a bad row; None when it is fine."""
    if not number_text.isdigit() or not 1 <= int(number_text) <= 99:
        return "priority_number", None, "Narrative sheet: not a priority number"
    number = int(number_text)
    if _CONTROL_RE.search(text):
        return "work_undertaken", text, "Narrative sheet: contains control characters"
    if len(text) > MAX_NARRATIVE_CHARS:
        return "work_undertaken", text, f"Narrative sheet: longer than {MAX_NARRATIVE_CHARS:,} characters"
    if number in narrative:
        return "priority_number", number, f"Narrative sheet: priority {number} appears twice"
    return None
