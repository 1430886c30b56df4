"""returns.loader: what goes in is what is stored, whatever the rows' order, gaps and text (COPY on
PostgreSQL, executemany elsewhere)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from returns.models import Submitter
from returns.reference import period_for
from returns.services import return_submit
from returns.tests.leicestershire import BLABY, FORCE, FORCE_SUBMITTER

pytestmark = pytest.mark.django_db

APRIL, MAY, JUNE = (
    (date(2014, 4, 1), date(2014, 4, 30)),
    (date(2014, 5, 1), date(2014, 5, 31)),
    (date(2014, 6, 1), date(2014, 6, 30)),
)
COMMENTS = ["", 'said "no"', "tab\there", "back\\slash\\N", "\\N", "a,b", "line\nbreak", "=cmd", "£ – ô"]


def test_stored_rows_equal_the_rows_given(plan):
    force = Submitter.objects.get(code=FORCE_SUBMITTER)
    rows = []
    for k, ((start, end), area, measure) in enumerate(
        (period, area, measure)
        for period in (JUNE, APRIL, MAY)
        for area in (BLABY, FORCE)
        for measure in ("victim_satisfaction", "all_crime", "burglary_dwelling")
    ):
        survey = measure == "victim_satisfaction"
        rows.append(
            {
                "measure_code": measure,
                "area_code": area,
                "period_start": start,
                "period_end": end,
                "value": 1 / 3 + k if not survey else 85.5,
                "numerator": 379.0 if survey else None,
                "denominator": 443.0 if survey and k % 2 else (np.nan if not survey else 444.0),
                "respondents": 443.0 if survey else None,
                "comment": COMMENTS[k % len(COMMENTS)],
            }
        )
    frame = pd.DataFrame(rows)
    ret = return_submit(
        submitter=force, period=period_for(start=APRIL[0], end=JUNE[1]), rows=frame, raw=b"r", original_name="r.csv"
    )
    fields = ("measure__code", "area__code", "period_start", "period_end", "value", "numerator", "denominator")
    stored = {
        (m, a, s, e): (v, n, d, r, c)
        for m, a, s, e, v, n, d, r, c in ret.observations.values_list(*fields, "respondents", "comment")
    }
    assert len(stored) == len(rows)
    for row in rows:
        key = (row["measure_code"], row["area_code"], row["period_start"], row["period_end"])
        gap = [None if x is None or x != x else x for x in (row["numerator"], row["denominator"], row["respondents"])]
        assert stored[key] == (row["value"], gap[0], gap[1], gap[2], row["comment"])
