"""The `outcomes` payload: outcome counts by scheme, month and crime group, with audit findings."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from reports.payloads.values import records


def build_outcomes_payload(
    counts: pd.DataFrame, types: list[dict], audits: list[dict], *, as_of: dt.date, months: int = 24
) -> dict:
    """Outcome counts for the months to as_of (at least 13), neutral order, with audit findings.

    counts columns: scheme, month (ISO first-of-month), crime_group, outcome_code, count, decided_at.
    """
    last = as_of.replace(day=1)
    first = (pd.Timestamp(last) - pd.DateOffset(months=months - 1)).date()
    month_list = [d.date().isoformat() for d in pd.date_range(first, last, freq="MS")]
    frame = counts[(counts["month"] >= first.isoformat()) & (counts["month"] <= last.isoformat())]
    # The same figure from two current returns: the later decision wins.
    keys = ["scheme", "month", "crime_group", "outcome_code"]
    frame = frame.sort_values("decided_at", kind="stable").drop_duplicates(keys, keep="last")
    frame = frame.sort_values(keys, kind="stable")
    totals = frame.groupby(["scheme", "month", "crime_group"], as_index=False)["count"].sum()
    schemes = sorted(set(frame["scheme"]))
    return {
        "schemes": schemes,
        "months": month_list,
        "outcome_types": [t for t in types if t["scheme"] in schemes],
        "counts": records(frame, [*keys, "count"]),
        "totals": [
            {"scheme": r.scheme, "month": r.month, "crime_group": r.crime_group, "total": int(r.count)}
            for r in totals.itertuples(index=False)
        ],
        "audits": [a for a in audits if first.isoformat() <= a["month"] <= last.isoformat()],
    }
