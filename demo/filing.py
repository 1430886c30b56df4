"""Demo returns sent through the product's own services (return_submit, return_accept), then dated
as if they had arrived and been decided on plausible days."""

from datetime import date

import pandas as pd

from demo.days import office_time, return_due, working_days_before
from returns.loader import OBSERVATION_COLUMNS
from returns.models import AuditEvent, Return
from returns.periods import add_working_days
from returns.reference import period_for
from returns.services import return_accept, return_submit

# The source every demo return carries, so the demo is made only once.
DEMO_SOURCE = "seed_demo"

# A return's columns but the comment, in the order the demo's records hold them.
FIGURE_COLUMNS = [column for column in OBSERVATION_COLUMNS if column != "comment"]


def records_frame(records: list[tuple]) -> pd.DataFrame:
    """Demo records (tuples in FIGURE_COLUMNS order) as a return's rows: a blank comment, None for missing."""
    frame = pd.DataFrame(records, columns=FIGURE_COLUMNS)
    frame["comment"] = ""
    return frame.astype(object).where(frame.notna(), None)


def return_stamp(ret: Return, *, uploaded: date, decided: date | None = None) -> None:
    """Date a demo return as if it had arrived (and been decided) on those days, audit trail too."""
    Return.objects.filter(pk=ret.pk).update(uploaded_at=office_time(uploaded, 9))
    AuditEvent.objects.filter(source_return=ret, action__in=["upload", "import_return"]).update(
        at=office_time(uploaded, 9)
    )
    if decided is not None:
        Return.objects.filter(pk=ret.pk).update(decided_at=office_time(decided, 14))
        AuditEvent.objects.filter(source_return=ret, action__in=["accept", "reject"]).update(
            at=office_time(decided, 14)
        )


def return_send(
    submitter,
    start: date,
    end: date,
    records: list[tuple],
    *,
    accept=True,
    narrative=None,
    outcomes=None,
    user=None,
    decider=None,
    arrived: int = -3,
):
    """Submit (and accept) a demo return, dated `arrived` working days from its due date."""
    rows = records_frame(records)
    raw = rows.to_csv(index=False).encode()
    period = period_for(start=start, end=end)
    ret = return_submit(
        submitter=submitter,
        period=period,
        rows=rows,
        raw=raw,
        original_name=f"{submitter.code}-{start:%Y-%m}-{end:%Y-%m}.csv",
        user=user,
        source=DEMO_SOURCE,
        narrative=narrative,
        outcomes=outcomes,
    )
    if accept:
        return_accept(ret=ret, user=decider, reason="Checked against the force's own figures")
    uploaded = (
        add_working_days(return_due(end), arrived) if arrived >= 0 else working_days_before(return_due(end), -arrived)
    )
    return_stamp(ret, uploaded=uploaded, decided=add_working_days(uploaded, 1) if accept else None)
    return ret
