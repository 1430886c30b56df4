"""Crime outcome tables from a snapshot's `outcomes` payload. Pure Python; no Django.

Outcome types keep their own code order and no outcome is ranked: tables list types in `order`
and never sort by count.
"""

import datetime as dt
from dataclasses import dataclass

WINDOW_MONTHS = 13  # the chosen month and the 12 before it


class OutcomeChoiceError(ValueError):
    """A month or scheme the payload does not hold."""


@dataclass
class OutcomeView:
    scheme: str
    schemes: list[str]
    month: str  # ISO first of month
    months: list[str]  # the window, oldest first
    all_months: list[str]  # the months holding outcomes of this scheme, oldest first
    latest: bool  # True when `month` is the latest month holding outcomes (the default)
    crime_groups: list[str]
    types: list[dict]  # in code order
    counts: dict  # (month, crime_group, outcome_code) -> count
    totals: dict  # (month, crime_group) -> total crimes
    audits: list[dict]


def outcome_view(payload: dict, *, month: str | None, scheme: str | None) -> OutcomeView:
    """Choose the scheme and month (YYYY-MM) and index the payload.

    The month defaults to the latest month holding outcomes of the scheme: a snapshot frozen
    straight after a month end has none yet for that month, and a page of zeros would mislead.
    Only months holding outcomes can be chosen; the window (13 calendar months to the chosen one)
    keeps any month in between that has none, as a gap. Raises OutcomeChoiceError when the month
    or scheme is not in the payload.
    """
    schemes = list(payload.get("schemes") or [])
    scheme = scheme or (schemes[0] if schemes else "")
    if scheme not in schemes:
        raise OutcomeChoiceError("Choose an outcome scheme held in this snapshot")
    calendar = sorted(payload.get("months") or [])
    held = {c["month"] for c in payload.get("counts", []) if c.get("scheme") == scheme}
    all_months = [m for m in calendar if m in held]
    if not all_months:
        raise OutcomeChoiceError("This snapshot holds no crime outcomes")
    chosen = f"{month}-01" if month else all_months[-1]
    if chosen not in all_months:
        raise OutcomeChoiceError("Choose a month held in this snapshot")
    index = calendar.index(chosen)
    months = calendar[max(0, index - WINDOW_MONTHS + 1) : index + 1]
    types = sorted(
        (t for t in payload.get("outcome_types", []) if t.get("scheme") == scheme),
        key=lambda t: (t.get("order", 0), str(t.get("code"))),
    )
    counts, groups = {}, []
    for c in payload.get("counts", []):
        if c.get("scheme") != scheme:
            continue
        key = (c["month"], c["crime_group"], c["outcome_code"])
        counts[key] = counts.get(key, 0) + (c.get("count") or 0)
        if c["crime_group"] not in groups:
            groups.append(c["crime_group"])
    totals = {
        (t["month"], t["crime_group"]): t.get("total") for t in payload.get("totals", []) if t.get("scheme") == scheme
    }
    audits = [a for a in payload.get("audits", []) if a.get("month") in months]
    return OutcomeView(
        scheme=scheme,
        schemes=schemes,
        month=chosen,
        months=months,
        all_months=all_months,
        latest=chosen == all_months[-1],
        crime_groups=sorted(groups),
        types=types,
        counts=counts,
        totals=totals,
        audits=sorted(audits, key=lambda a: (a["month"], a.get("crime_group", ""))),
    )


def share(count, total) -> float | None:
    """count ÷ total crimes of that group and month, as a percentage to one decimal."""
    if count is None or not total:
        return None
    return round(count / total * 100, 1)


def month_rows(view: OutcomeView, crime_group: str) -> list[dict]:
    """The chosen month for one crime group: each outcome type with its count and share of crimes."""
    total = view.totals.get((view.month, crime_group))
    rows = []
    for t in view.types:
        count = view.counts.get((view.month, crime_group, t["code"]), 0)
        rows.append({**t, "count": count, "share": share(count, total)})
    return rows


def group_rows(view: OutcomeView, crime_group: str) -> list[dict]:
    """The chosen month for one crime group, by outcome group (in the order groups first appear)."""
    total = view.totals.get((view.month, crime_group))
    sums: dict[str, int] = {}
    for t in view.types:
        sums.setdefault(t.get("outcome_group") or "", 0)
        sums[t.get("outcome_group") or ""] += view.counts.get((view.month, crime_group, t["code"]), 0)
    return [{"outcome_group": g, "count": n, "share": share(n, total)} for g, n in sums.items()]


def trend_rows(view: OutcomeView, crime_group: str) -> list[dict]:
    """Each month of the window for one crime group: month (ISO first of month), label ("March 2015"),
    total outcomes recorded, then each outcome group's count and share (the groups of
    `outcome_groups`). A month with no outcomes has total None."""
    groups = outcome_groups(view, crime_group)
    rows = []
    for month in view.months:
        total = view.totals.get((month, crime_group))
        cells = []
        for g in groups:
            n = sum(
                view.counts.get((month, crime_group, t["code"]), 0)
                for t in view.types
                if (t.get("outcome_group") or "") == g
            )
            cells.append({"count": n, "share": share(n, total)})
        rows.append({"month": month, "label": month_name(month), "total": total, "cells": cells})
    return rows


def outcome_groups(view: OutcomeView, crime_group: str | None = None) -> list[str]:
    """The outcome groups in code order; with a crime group, only those with outcomes in the window
    (so the trend table has no columns of zeros)."""
    groups = list(dict.fromkeys(t.get("outcome_group") or "" for t in view.types))
    if crime_group is None:
        return groups
    used = {
        t.get("outcome_group") or ""
        for t in view.types
        for m in view.months
        if view.counts.get((m, crime_group, t["code"]))
    }
    return [g for g in groups if g in used]


def month_name(iso: str) -> str:
    """'2014-06-01' → 'June 2014'."""
    return f"{dt.date.fromisoformat(iso):%B %Y}"


CSV_HEADER = [
    "Month",
    "Crime group",
    "Outcome number",
    "Outcome",
    "Outcome group",
    "Crimes with this outcome",
    "Crimes recorded in the group",
    "Share of crimes (%)",
]


def csv_rows(view: OutcomeView) -> list[list]:
    """Every month of the window × crime group × outcome type (code order), with shares."""
    rows = []
    for month in view.months:
        for group in view.crime_groups:
            total = view.totals.get((month, group))
            for t in view.types:
                count = view.counts.get((month, group, t["code"]), 0)
                rows.append(
                    [month[:7], group, t["code"], t["name"], t.get("outcome_group"), count, total, share(count, total)]
                )
    return rows


def window_payload(payload: dict, view: OutcomeView) -> dict:
    """The payload cut to the view's scheme and window (for reports.charts.outcomes.fig_outcomes)."""
    months = set(view.months)
    return {
        **payload,
        "schemes": [view.scheme],
        "months": view.months,
        "counts": [c for c in payload.get("counts", []) if c.get("month") in months and c.get("scheme") == view.scheme],
    }
