"""A deterministic FreezeInputs covering every payload path (no database), for golden-output tests."""

import datetime as dt

import numpy as np
import pandas as pd

from reports.payloads.inputs import FreezeInputs
from returns.periods import add_months, month_end

FOCUS = "E23000021"
CSPS = ["E07000129", "E07000130", "E07000131"]
PEERS = ["E23000026", "E23000028", "E23000030", "E23000031", "E23000032"]
AS_OF = dt.date(2014, 11, 30)
FIRST = dt.date(2009, 4, 1)
MEASURE_FIELDS = dict(definition="d", method="m", caveats="", under_reported=False, restricted=False, kind="value")

MEASURES = [
    dict(code="all_crime", title="All crime", unit="count", direction="down", frequency="monthly",
         msg_comparable=True, priorities=[10], **MEASURE_FIELDS),
    dict(code="asb", title="Anti-social behaviour", unit="count", direction="down", frequency="monthly",
         msg_comparable=True, priorities=[11], **{**MEASURE_FIELDS, "under_reported": True}),
    dict(code="detections", title="Detections", unit="count", direction="up", frequency="quarterly",
         msg_comparable=True, priorities=[10], **MEASURE_FIELDS),
    dict(code="dv", title="Domestic violence", unit="count", direction="neither", frequency="monthly",
         msg_comparable=True, priorities=[4], **{**MEASURE_FIELDS, "restricted": True}),
    dict(code="confidence", title="Confidence", unit="percentage", direction="up", frequency="quarterly",
         msg_comparable=False, priorities=[12], **{**MEASURE_FIELDS, "kind": "survey"}),
    dict(code="reoffending", title="Re-offending", unit="percentage", direction="down", frequency="quarterly",
         msg_comparable=False, priorities=[1], **{**MEASURE_FIELDS, "kind": "ratio"}),
    dict(code="ftes", title="First-time entrants", unit="count", direction="down", frequency="quarterly",
         msg_comparable=False, priorities=[2], **MEASURE_FIELDS),
    dict(code="savings", title="Savings", unit="pounds", direction="up", frequency="quarterly",
         msg_comparable=False, priorities=[18], cumulative=True, **MEASURE_FIELDS),
    dict(code="empty", title="Nothing yet", unit="count", direction="down", frequency="monthly",
         msg_comparable=True, priorities=[10], **MEASURE_FIELDS),
]  # fmt: skip


def _rows(rng, measure, area, span, months, base, *, gaps=0.0, extra=None, fraction=False):
    rows = []
    for i in range(0, months, span):
        start = add_months(FIRST, i)
        end = month_end(add_months(start, span - 1))
        if end > AS_OF or rng.random() < gaps:
            continue
        value = float(rng.poisson(base * span)) + (round(rng.random(), 3) if fraction else 0.0)
        row = {"measure_code": measure, "area_code": area, "period_start": start.isoformat(),
               "period_end": end.isoformat(), "value": value, "numerator": np.nan, "denominator": np.nan,
               "respondents": np.nan, "return_id": 1 + i % 7}  # fmt: skip
        row.update(extra(rng) if extra else {})
        rows.append(row)
    return rows


def sample_inputs(seed: int = 8) -> FreezeInputs:
    rng = np.random.default_rng(seed)
    months = 68
    rows = []
    for k, area in enumerate([FOCUS, *PEERS]):
        rows += _rows(rng, "all_crime", area, 1, months, 5000 + 700 * k, gaps=0.02 if k == 3 else 0.0)
        rows += _rows(rng, "asb", area, 1, months - 14 * (k == 4), 2000 + 100 * k)
        rows += _rows(rng, "detections", area, 3, months, 900 + 50 * k)
        rows += _rows(rng, "dv", area, 1, months, 300 + 20 * k, fraction=k == 2)
    rows += _rows(rng, "detections", FOCUS, 1, 24, 300)  # monthly beats quarterly for the focus
    for k, area in enumerate(CSPS):
        rows += _rows(rng, "all_crime", area, 1, months, 1500 + 200 * k)
        rows += _rows(rng, "asb", area, 1, months, 600 + 30 * k)
        rows += _rows(rng, "ftes", area, 3, months - 3 * k, 20 + 5 * k)

        def pooled(rng):
            denominator = float(rng.integers(80, 200))
            numerator = float(rng.integers(10, 60))
            return {"numerator": numerator, "denominator": denominator, "value": 100 * numerator / denominator}

        rows += _rows(rng, "reoffending", area, 3, months, 1, extra=pooled)

    def surveyed(rng):
        return {"value": round(float(rng.uniform(70, 90)), 1), "respondents": float(rng.integers(400, 1200))}

    rows += _rows(rng, "confidence", FOCUS, 3, months, 1, extra=surveyed)
    rows += _rows(rng, "savings", FOCUS, 3, months, 100000, fraction=True)
    observations = pd.DataFrame(rows)
    areas = {FOCUS: {"name": "Leicestershire", "kind": "force", "parent": None}}
    areas.update({code: {"name": f"CSP {code[-3:]}", "kind": "csp", "parent": FOCUS} for code in CSPS})
    areas.update({code: {"name": f"Force {code[-2:]}", "kind": "force", "parent": None} for code in PEERS})
    populations = [(code, year, 500_000 + 10_000 * k + 1_000 * (year - 2008))
                   for k, code in enumerate([FOCUS, *PEERS[:-1], *CSPS]) for year in range(2008, 2014)]  # fmt: skip
    members = [{"area_code": code, "valid_from": dt.date(2000, 1, 1), "valid_to": None} for code in [FOCUS, *PEERS]]
    members[-1]["valid_to"] = dt.date(2013, 12, 31)  # left the group: in older comparisons only
    annotations = [
        {"measure_code": "all_crime", "area_code": None, "date": dt.date(2012, 4, 1), "label": "Recording change",
         "text": "New rules", "recalculate_limits": True},
        {"measure_code": "asb", "area_code": FOCUS, "date": dt.date(2013, 1, 15), "label": "Campaign",
         "text": "", "recalculate_limits": False},
        {"measure_code": "all_crime", "area_code": "E07000129", "date": dt.date(2013, 6, 1), "label": "Local",
         "text": "", "recalculate_limits": True},
    ]  # fmt: skip
    return FreezeInputs(
        as_of=AS_OF,
        observations=observations,
        measures=MEASURES,
        areas=areas,
        populations=pd.DataFrame(populations, columns=["area_code", "mid_year", "population"]),
        peer_group="Leicestershire MSG",
        peer_members=members,
        annotations=annotations,
        focus_area=FOCUS,
        settings={"SPC_MIN_POINTS": 12, "SPC_BASELINE_POINTS": 20, "SPC_RUN_LENGTH": 7, "SPC_TREND_LENGTH": 7,
                  "MSG_BAND_SD": 1.0,
                  "MSG_AVERAGE": "mean", "POPULATION_PUBLICATION_LAG_MONTHS": 12},  # fmt: skip
    )
