"""Test data for snapshot tests: accepted returns built directly through the returns services."""

import datetime as dt

import pandas as pd

from returns.periods import add_months, month_end
from returns.reference import PUBLIC_SUBMITTER, period_for
from returns.services import return_accept, return_submit
from returns.tests.leicestershire import BLABY, CHARNWOOD, FORCE_SUBMITTER
from returns.tests.leicestershire import FORCE as LEICESTERSHIRE

MSG_MEMBERS = ["E23000021", "E23000026", "E23000028", "E23000030"]


def month_rows(measure: str, area: str, first: dt.date, values: list[float], **extra) -> list[dict]:
    rows = []
    for i, value in enumerate(values):
        start = add_months(first, i)
        rows.append(
            {
                "measure_code": measure,
                "area_code": area,
                "period_start": start,
                "period_end": month_end(start),
                "value": float(value),
                **extra,
            }
        )
    return rows


def quarter_rows(measure: str, area: str, first: dt.date, values: list[float], **extra) -> list[dict]:
    rows = []
    for i, value in enumerate(values):
        start = add_months(first, 3 * i)
        rows.append(
            {
                "measure_code": measure,
                "area_code": area,
                "period_start": start,
                "period_end": month_end(add_months(start, 2)),
                "value": float(value),
                **extra,
            }
        )
    return rows


def submit_and_accept(
    submitter_code: str,
    rows: list[dict],
    *,
    period=(dt.date(2014, 4, 1), dt.date(2014, 6, 30)),
    user=None,
    narrative=None,
    outcomes=None,
):
    from returns.models import Submitter

    frame = pd.DataFrame(rows)
    for column in ("numerator", "denominator", "respondents"):
        if column not in frame:
            frame[column] = None
    frame["respondents"] = frame["respondents"].astype("Int64")  # as the parser gives it
    frame["comment"] = ""
    ret = return_submit(
        submitter=Submitter.objects.get(code=submitter_code),
        period=period_for(start=period[0], end=period[1]),
        rows=frame,
        raw=repr(rows).encode(),
        original_name="test.csv",
        user=user,
        narrative=narrative,
        outcomes=None if outcomes is None else pd.DataFrame(outcomes),
    )
    return return_accept(ret=ret, user=user)


def demo_history():
    """30 months of force data to May 2014, public quarterly data for four MSG forces, a survey."""
    first = dt.date(2012, 1, 1)
    crime = [6000 + (i % 5) * 40 - i * 10 for i in range(29)]  # Jan 2012 … May 2014
    rows = month_rows("all_crime", LEICESTERSHIRE, first, crime)
    rows += month_rows("all_crime", BLABY, first, [v / 20 for v in crime])
    rows += month_rows("all_crime", CHARNWOOD, first, [v / 10 for v in crime])
    rows += month_rows("burglary_dwelling", LEICESTERSHIRE, first, [300 + (i % 3) * 7 for i in range(29)])
    rows += quarter_rows(
        "victim_satisfaction", LEICESTERSHIRE, dt.date(2012, 4, 1), [84, 85, 83, 86, 85, 84, 87, 86], respondents=600
    )
    force = submit_and_accept(FORCE_SUBMITTER, rows)
    public = []
    for n, area in enumerate(MSG_MEMBERS):
        public += quarter_rows("all_crime", area, dt.date(2012, 4, 1), [18000 + 1000 * n + 50 * q for q in range(8)])
    public_return = submit_and_accept(PUBLIC_SUBMITTER, public)
    return force, public_return
