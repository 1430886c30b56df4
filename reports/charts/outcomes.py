"""Monthly crime outcomes by Home Office outcome group: stacked bars in neutral shades, no ranking."""

from __future__ import annotations

import plotly.graph_objects as go

from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import (
    LEGEND_BELOW,
    OUTCOME_EDGE,
    OUTCOME_MAX_SERIES,
    OUTCOME_SHADES,
    OUTCOME_STYLES,
    apply_layout,
    wrap_legend,
)
from reports.charts.words import month_text

ALL_GROUPS = ("all", "all_crime", "All crime")
OTHER_OUTCOMES = "Other outcome groups"


def outcome_series(types: list[dict], window_counts: dict[str, float]) -> list[tuple[str, list[str]]]:
    """The chart's series: (name, outcome codes) per Home Office outcome group, in code order.

    Input: outcome types in code order ({code, outcome_group}) and each code's count over the
    window. Groups with no outcomes are left out. When more than OUTCOME_MAX_SERIES groups have
    outcomes, the smallest (by count over the window) are drawn together as "Other outcome groups",
    last, so the chart has at most 8 series that can be told apart; the table keeps every group.
    """
    groups: dict[str, list[str]] = {}
    for t in types:
        groups.setdefault(t.get("outcome_group") or t["name"], []).append(t["code"])
    size = {g: sum(window_counts.get(c, 0) for c in codes) for g, codes in groups.items()}
    used = [g for g in groups if size[g]]
    if len(used) > OUTCOME_MAX_SERIES:
        keep = set(sorted(used, key=lambda g: -size[g])[: OUTCOME_MAX_SERIES - 1])
        other = [c for g in used if g not in keep for c in groups[g]]
        return [(g, groups[g]) for g in used if g in keep] + [(OTHER_OUTCOMES, other)]
    return [(g, groups[g]) for g in used]


def _selection(outcomes: dict, *, scheme: str | None, crime_group: str | None):
    """(counts, outcome types in code order, crime group) of one scheme (the payload's first by
    default) and one crime group (an all-crime group when there is one; None sums every group)."""
    scheme = scheme or (outcomes.get("schemes") or ["home_office"])[0]
    counts = [c for c in outcomes.get("counts", []) if c.get("scheme") == scheme]
    groups = {c.get("crime_group") for c in counts}
    if crime_group is None:
        crime_group = next((g for g in ALL_GROUPS if g in groups), None)
    if crime_group is not None:
        counts = [c for c in counts if c.get("crime_group") == crime_group]
    types = sorted(
        (t for t in outcomes.get("outcome_types", []) if t.get("scheme") == scheme),
        key=lambda t: (t.get("order", 0), str(t.get("code"))),
    )
    return counts, types, crime_group


def _monthly_sums(counts: list[dict], types: list[dict], months: list[str]):
    """(series, sums, totals): the series of `outcome_series`, each series' count per
    (month, series name) and each month's total over the series."""
    table: dict[tuple[str, str], float] = {}
    by_code: dict[str, float] = {}
    for c in counts:
        key = (c["month"], c["outcome_code"])
        table[key] = table.get(key, 0) + (c.get("count") or 0)
        by_code[c["outcome_code"]] = by_code.get(c["outcome_code"], 0) + (c.get("count") or 0)
    series = outcome_series(types, by_code)
    sums = {(m, name): sum(table.get((m, code), 0) for code in codes) for m in months for name, codes in series}
    totals = {m: sum(sums[(m, name)] for name, _ in series) for m in months}
    return series, sums, totals


def _bar(index: int, name: str, months: list[str], values: list, *, share: bool) -> go.Bar:
    """The stacked bar series of the index-th outcome group, in its grey and hatching."""
    shade, pattern = OUTCOME_STYLES[index]
    return go.Bar(
        x=months,
        y=values,
        name=name,
        marker={
            "color": shade,
            # White hatching on the two dark greys, black on the two light ones.
            "pattern": {"shape": pattern, "fgcolor": "#ffffff" if shade in OUTCOME_SHADES[:2] else "#0b0c0c"},
            "line": OUTCOME_EDGE,
        },
        hovertemplate="%{x|%B %Y}: %{y:,}" + ("%" if share else "") + "<extra>" + name + "</extra>",
    )


def _lay_out(fig: go.Figure, *, share: bool) -> None:
    """Stacked bars, months on x, the legend in series order under the plot."""
    y_title = "Share of the month's outcomes (%)" if share else "Number of crimes"
    apply_layout(
        fig,
        x_title="Month",
        y_title=y_title,
        barmode="stack",
        legend={**LEGEND_BELOW, "traceorder": "normal"},
    )
    wrap_legend(fig)
    # At 320 CSS px the legend stacks one entry above another: a line of height for each of its
    # lines keeps the plot tall enough for the y-axis title.
    legend_lines = sum(trace.name.count("<br>") + 1 for trace in fig.data)
    fig.update_layout(height=420 + 22 * legend_lines)
    fig.update_xaxes(tickformat="%b %Y")


def _other_notes(series: list[tuple[str, list[str]]], types: list[dict]) -> list[str]:
    """Which outcome groups 'Other outcome groups' holds, when the chart has it."""
    other = next((codes for name, codes in series if name == OTHER_OUTCOMES), None)
    if not other:
        return []
    merged = list(dict.fromkeys(t.get("outcome_group") or t["name"] for t in types if t["code"] in other))
    return [f"{OTHER_OUTCOMES}: {', '.join(merged)}."]


def fig_outcomes(
    *, outcomes: dict, as_of, scheme: str | None = None, crime_group: str | None = None, share: bool = False
) -> Chart | None:
    """Monthly crime outcomes by outcome group, stacked in the outcome's own code order, neutral shades.

    scheme defaults to the payload's first; crime_group None uses an all-crime group when the
    payload has one, otherwise sums every group. share=True draws each group's % of the month's total.
    Series are the Home Office outcome groups (at most 8: see `outcome_series`); the legend sits
    under the plot so it never narrows it.
    """
    if not outcomes or not outcomes.get("months"):
        return None
    counts, types, crime_group = _selection(outcomes, scheme=scheme, crime_group=crime_group)
    months = list(outcomes["months"])
    series, sums, totals = _monthly_sums(counts, types, months)

    def cell(month, name):
        value = sums[(month, name)]
        if share:
            return round(value / totals[month] * 100, 1) if totals[month] else None
        return value

    fig = go.Figure()
    for i, (name, _codes) in enumerate(series):
        fig.add_trace(_bar(i, name, months, [cell(m, name) for m in months], share=share))
    _lay_out(fig, share=share)
    units = "percentage of the month's outcomes" if share else "number of crimes"
    group_text = ", all crime" if crime_group is None or crime_group in ALL_GROUPS else f", {crime_group}"
    last = months[-1]
    summary = (
        f"{len(series)} outcome groups over {len(months)} months from {month_text(months[0])} to {month_text(last)}"
        f"{group_text}. {month_text(last)}: {totals[last]:,.0f} outcomes recorded. Outcome groups are shown in "
        "their code order; no outcome ranks above another."
    )
    header = ["Month"] + [name for name, _ in series] + ([] if share else ["Total"])
    # The table under the chart names months as every page does ("March 2015"); the page's CSV keeps ISO months.
    rows = [[month_text(m)] + [cell(m, name) for name, _ in series] + ([] if share else [totals[m]]) for m in months]
    return snapshot_chart(
        fig,
        id="outcomes-share" if share else "outcomes",
        caption=f"Crime outcomes by outcome group, monthly ({units}{group_text})",
        as_of=as_of,
        csv_stem="outcomes-share" if share else "outcomes",
        units=units,
        summary=summary,
        header=header,
        rows=rows,
        notes=_other_notes(series, types),
    )
