"""Small multiples: one small line chart per Community Safety Partnership area, each on its own scale."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from reports.analysis.status import format_value
from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import LINE_COLOUR, apply_layout, wrapped
from reports.charts.words import measure_units, month_text, number_text


def _area_sentences(areas: list[dict], unit: str) -> list[str]:
    """'Blaby: latest 412 in May 2014, 4.12 per 1,000 over 12 months.' for each area."""
    sentences = []
    for area in areas:
        last = area["points"][-1]
        bits = [f"latest {format_value(last.get('value'), unit)} in {month_text(last.get('period_end'))}"]
        if number_text(area.get("rate_per_1000")):
            bits.append(f"{area['rate_per_1000']:.2f} per 1,000 over 12 months")
        sentences.append(f"{area.get('name')}: {', '.join(bits)}.")
    return sentences


def fig_csp(*, measure: dict, csp: list, as_of, columns: int = 2) -> Chart | None:
    """Small multiples: one small line per Community Safety Partnership area (own y scale each).

    csp: the payload's `csp` block ([{name, area_code, rate_per_1000, points}]); areas without
    points are left out, and None is returned when none has any. `columns` subplots to a row.
    """
    areas = [a for a in csp or [] if a.get("points")]
    if not areas:
        return None
    units = measure_units(measure)
    rows_needed = math.ceil(len(areas) / columns)
    fig = make_subplots(
        rows=rows_needed,
        cols=columns,
        subplot_titles=[wrapped(a.get("name", "")) for a in areas],
        shared_xaxes=True,
        vertical_spacing=0.12,
        horizontal_spacing=0.08,
    )
    for i, area in enumerate(areas):
        fig.add_trace(
            go.Scatter(
                x=[p["period_end"] for p in area["points"]],
                y=[p.get("value") for p in area["points"]],
                mode="lines+markers",
                name=area.get("name", ""),
                line={"color": LINE_COLOUR, "width": 1.5},
                marker={"size": 4, "color": LINE_COLOUR},
                showlegend=False,
                hovertemplate="%{x|%B %Y}: %{y:,}<extra>" + area.get("name", "") + "</extra>",
            ),
            row=i // columns + 1,
            col=i % columns + 1,
        )
    # Room above the first row for two-line titles.
    apply_layout(
        fig, x_title="", y_title="", height=80 + 200 * rows_needed, margin={"l": 70, "r": 20, "t": 60, "b": 60}
    )
    fig.update_annotations(font={"size": 14})
    fig.update_xaxes(title_text="", tickformat="%b %Y", nticks=4)
    fig.update_yaxes(title_text="", rangemode="tozero")
    fig.update_layout(yaxis_title_text=units.capitalize())
    sentences = _area_sentences(areas, measure.get("unit", "count"))
    return snapshot_chart(
        fig,
        id="csp",
        caption=f"{measure.get('title', '')} by Community Safety Partnership area ({units})",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'measure')}-csp",
        units=units,
        summary=f"{len(areas)} Community Safety Partnership areas, each on its own scale. " + " ".join(sentences),
        header=["Area", "Area code", "Period end", f"Value ({units})"],
        rows=[[a.get("name"), a.get("area_code"), p["period_end"], p.get("value")] for a in areas for p in a["points"]],
    )
