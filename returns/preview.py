"""Reads for the preview of a submitted return: every changed figure, and implausible jumps.

The preview compares every figure a row holds (value, numerator, denominator,
respondents), not just the value, and warns when a value jumps tenfold or more against the
previous accepted value, so the co-ordinator checks it before accepting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from returns.models import Observation, Return, ReturnStatus
from returns.periods import period_label

DIFF_ROWS_SHOWN = 500
FIGURES = ("value", "numerator", "denominator", "respondents")
FIGURE_LABELS = {"value": "Value", "numerator": "Numerator", "denominator": "Denominator", "respondents": "Respondents"}
# A value at least this many times the previous accepted value, or at most its reciprocal, is
# flagged. Below 1 the smaller value counts as 1, so 0 → 5 is not a jump and 0 → 12 is.
JUMP_RATIO = 10


@dataclass
class FigureChange:
    figure: str
    before: float | None
    after: float | None

    @property
    def label(self) -> str:
        return FIGURE_LABELS[self.figure]


@dataclass
class DiffRow:
    measure: str
    area: str
    period_start: date
    period_end: date
    state: str  # new | changed | removed
    changes: list[FigureChange]
    jump: str = ""  # the warning sentence, when the value jumped against the previous accepted value

    @property
    def period_label(self) -> str:
        return period_label(self.period_start, self.period_end)


@dataclass
class ReturnDiff:
    """A submitted version against the current accepted data for the same submitter and period."""

    current: Return | None
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    jumps: int = 0
    rows: list[DiffRow] = field(default_factory=list)
    shown_limit: int = DIFF_ROWS_SHOWN

    @property
    def truncated(self) -> bool:
        return self.new + self.changed + self.removed > len(self.rows)


_KEY = ("measure__code", "area__code", "period_start", "period_end")


def _figures(returned: Return) -> dict[tuple, tuple]:
    return {row[:4]: row[4:] for row in Observation.objects.filter(source_return=returned).values_list(*_KEY, *FIGURES)}


def _is_jump(before: float | None, after: float | None) -> bool:
    if before is None or after is None:
        return False
    low, high = sorted((before, after))
    return high >= JUMP_RATIO * max(low, 1)


def _previous_accepted(ret: Return, keys: set[tuple]) -> dict[tuple, tuple[date, date, float]]:
    """(measure, area, months) → (start, end, value) of the latest accepted figure before this period."""
    measures = {k[0] for k in keys}
    areas = {k[1] for k in keys}
    earlier = (
        Observation.objects.filter(
            source_return__is_current=True,
            measure__code__in=measures,
            area__code__in=areas,
            period_end__lt=ret.period.start,
        )
        .order_by("period_end")
        .values_list(*_KEY, "value")
    )
    latest: dict[tuple, tuple[date, date, float]] = {}
    for measure, area, start, end, value in earlier.iterator():
        latest[measure, area, _months(start, end)] = (start, end, value)
    return latest


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def return_diff(ret: Return) -> ReturnDiff:
    """new / changed / unchanged / removed by measure, area and period, each changed figure named (4 queries).

    A value ten times or more (or a tenth or less) of the previous accepted value for the same
    measure and area is a jump: the same period's current accepted figure when there is one,
    else the latest accepted figure of the same length before this period.
    """
    same_period = Return.objects.filter(submitter_id=ret.submitter_id, period_id=ret.period_id).exclude(pk=ret.pk)
    if ret.is_current:
        # Accepted and current: compare with the accepted version it replaced, if any.
        current = (
            same_period.filter(status=ReturnStatus.SUPERSEDED, version__lt=ret.version, decided_at__isnull=False)
            .order_by("-version")
            .first()
        )
    else:
        current = same_period.filter(is_current=True).first()
    after = _figures(ret)
    before = _figures(current) if current else {}
    earlier = _previous_accepted(ret, set(after) - set(before))
    diff = ReturnDiff(current=current)
    for key in sorted(after.keys() | before.keys()):
        old, new = before.get(key), after.get(key)
        if old is None:
            state = "new"
        elif new is None:
            state = "removed"
        elif old == new:
            state = "unchanged"
        else:
            state = "changed"
        setattr(diff, state, getattr(diff, state) + 1)
        jump = ""
        if new is not None:
            if old is not None:
                if _is_jump(old[0], new[0]):
                    jump = f"{new[0]:,g} against {old[0]:,g} in the current accepted version"
            else:
                previous = earlier.get((key[0], key[1], _months(key[2], key[3])))
                if previous and _is_jump(previous[2], new[0]):
                    jump = f"{new[0]:,g} against {previous[2]:,g} accepted for {period_label(previous[0], previous[1])}"
        if jump:
            diff.jumps += 1
            jump = f"The value changed tenfold or more: {jump}. Check it is right before accepting."
        if state != "unchanged" and len(diff.rows) < DIFF_ROWS_SHOWN:
            changes = [
                FigureChange(name, o, n)
                for name, o, n in zip(FIGURES, old or (None,) * 4, new or (None,) * 4, strict=True)
                if o != n
            ]
            diff.rows.append(DiffRow(*key, state=state, changes=changes, jump=jump))
    return diff
