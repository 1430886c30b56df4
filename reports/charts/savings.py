"""A running total in pounds (savings to date) against the office's challenge: never a target."""

from __future__ import annotations

import plotly.graph_objects as go

from reports.analysis import round_half_up
from reports.analysis.status import format_value
from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import FORCE_COLOUR, REFERENCE_LINE, apply_layout, wrap_legend
from reports.charts.words import month_text, number_text


def _add_reference(fig: go.Figure, value: float, text: str) -> None:
    """A dashed horizontal line at `value` pounds across the plot, named in the legend and labelled
    on the chart with `text`."""
    fig.add_shape(
        type="line", xref="paper", yref="y", x0=0, x1=1, y0=value, y1=value,
        line=REFERENCE_LINE, showlegend=True, name=f"The {text}",
    )  # fmt: skip
    fig.add_annotation(
        x=0, xref="paper", y=value, yref="y", text=text, showarrow=False, xanchor="left", yanchor="bottom"
    )  # fmt: skip


def fig_savings(*, measure: dict, trend: dict, as_of) -> Chart:
    """A running total in pounds (SP18's savings to date), with the office's value for the measure
    (measure["context"][0]: {name, value}, e.g. the savings challenge, from the plan file) as a
    dashed reference line: a challenge, never a target. No context value: the total alone."""
    points = [p for p in trend.get("points", []) if number_text(p.get("value"))]
    reference = next((c for c in measure.get("context") or [] if number_text(c.get("value"))), None)
    fig = go.Figure(
        go.Scatter(
            x=[p["period_end"] for p in points],
            y=[p["value"] for p in points],
            mode="lines+markers",
            name="Cumulative savings delivered",
            line={"color": FORCE_COLOUR, "width": 2},
            marker={"size": 8, "color": FORCE_COLOUR},
            hovertemplate="%{x|%B %Y}: £%{y:,.0f}<extra></extra>",
        )
    )
    apply_layout(fig, x_title="Period ending", y_title="Cumulative savings (£)", showlegend=True)
    wrap_legend(fig)
    title = measure.get("title", "Revenue savings")
    header = ["Period start", "Period end", "Cumulative savings (£)"]
    rows = [[p.get("period_start"), p["period_end"], p["value"]] for p in points]
    summary = (
        f"{format_value(points[-1]['value'], 'pounds')} of revenue savings delivered by {month_text(points[-1]['period_end'])}"
        if points
        else "There are no savings figures in this snapshot"
    )
    top = max([p["value"] for p in points] + [1])
    if reference is not None:
        value, text = reference["value"], f"{format_value(reference['value'], 'pounds')} {reference['name']}"
        _add_reference(fig, value, text)
        top = max(top, value)
        title = f"{title} against the {text}"
        header.append(f"Share of the {reference['name']} (%)")
        rows = [[*row, round(row[2] / value * 100, 1)] for row in rows]
        if points:
            summary += f", {round_half_up(points[-1]['value'] / value * 100):.0f}% of the {text}"
    fig.update_yaxes(range=[0, top * 1.1], tickprefix="£", separatethousands=True)
    return snapshot_chart(
        fig,
        id="savings",
        caption=f"{title} (pounds, cumulative)",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'savings')}-savings",
        units="pounds",
        summary=summary + ".",
        header=header,
        rows=rows,
    )
