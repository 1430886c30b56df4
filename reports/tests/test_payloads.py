"""Force totals derived from CSP returns for measures only partnerships report (SP1–4)."""

import datetime as dt

import numpy as np
import pandas as pd

from reports.payloads.inputs import FreezeInputs, prepare_observations, with_focus_totals

AREAS = {
    "E23000021": {"name": "Leicestershire", "kind": "force", "parent": None},
    "E07000129": {"name": "Blaby", "kind": "csp", "parent": "E23000021"},
    "E07000130": {"name": "Charnwood", "kind": "csp", "parent": "E23000021"},
}
MEASURES = [
    {"code": "ftes", "unit": "count"},
    {"code": "reoffending", "unit": "percentage"},
    {"code": "all_crime", "unit": "count"},
]


def inputs(rows):
    frame = pd.DataFrame(
        rows, columns=["measure_code", "area_code", "period_start", "period_end", "value", "numerator", "denominator"]
    ).assign(respondents=np.nan, return_id=1)
    return prepare_observations(frame), FreezeInputs(
        as_of=dt.date(2014, 12, 31), observations=frame, measures=MEASURES, areas=AREAS,
        populations=pd.DataFrame(columns=["area_code", "mid_year", "population"]), peer_group="MSG",
        peer_members=[], annotations=[], focus_area="E23000021",
    )  # fmt: skip


def focus(frame, code):
    return frame[(frame.area_code == "E23000021") & (frame.measure_code == code)].sort_values("period_end")


def test_focus_totals_sum_counts_only_for_complete_quarters():
    obs, ins = inputs(
        [
            ("ftes", "E07000129", "2014-04-01", "2014-06-30", 5, None, None),
            ("ftes", "E07000130", "2014-04-01", "2014-06-30", 7, None, None),
            ("ftes", "E07000129", "2014-07-01", "2014-09-30", 4, None, None),  # Charnwood late
        ]
    )
    derived = focus(with_focus_totals(obs, inputs=ins), "ftes")
    assert list(derived["value"]) == [12]
    assert list(derived["period_end"]) == ["2014-06-30"]


def test_focus_totals_pool_percentages_from_numerators():
    obs, ins = inputs(
        [
            ("reoffending", "E07000129", "2014-04-01", "2014-06-30", 25.0, 25, 100),
            ("reoffending", "E07000130", "2014-04-01", "2014-06-30", 50.0, 150, 300),
        ]
    )
    derived = focus(with_focus_totals(obs, inputs=ins), "reoffending")
    # (25 + 150) / (100 + 300) = 43.75%, not the mean of 25% and 50%.
    assert derived["value"].tolist() == [43.75]
    assert (derived["numerator"].tolist(), derived["denominator"].tolist()) == ([175], [400])


def test_focus_totals_leave_measures_the_force_reports_alone():
    obs, ins = inputs(
        [
            ("all_crime", "E23000021", "2014-04-01", "2014-04-30", 6000, None, None),
            ("all_crime", "E07000129", "2014-04-01", "2014-04-30", 500, None, None),
            ("all_crime", "E07000130", "2014-04-01", "2014-04-30", 900, None, None),
        ]
    )
    assert focus(with_focus_totals(obs, inputs=ins), "all_crime")["value"].tolist() == [6000]
