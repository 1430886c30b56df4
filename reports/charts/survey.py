"""Survey percentages over time, each with its Wilson 95% confidence interval as an error bar."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from reports.analysis.status import format_value
from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import FORCE_COLOUR, apply_layout, wrap_legend
from reports.charts.words import count_span, month_text, number_text


def _summary(measure: dict, points: list[dict]) -> str:
    """The number of survey periods and the latest percentage with its interval and respondents."""
    if not points:
        return f"There are no survey results for {measure.get('title', 'this measure')} in this snapshot."
    last = points[-1]
    interval = ""
    if number_text(last.get("ci_low")) and number_text(last.get("ci_high")):
        low, high = (format_value(last[k], "percentage") for k in ("ci_low", "ci_high"))
        interval = f" (95% confidence interval {low} to {high}"
        interval += f", {last['respondents']:,} respondents)" if number_text(last.get("respondents")) else ")"
    return (
        f"{count_span(len(points), 'survey period', points[0]['period_end'], last['period_end'])}. Latest {format_value(last['value'], 'percentage')} in "
        f"{month_text(last['period_end'])}{interval}."
    )


def fig_survey(*, measure: dict, trend: dict, as_of) -> Chart:
    """Survey percentages with Wilson 95% confidence intervals as error bars.

    trend: the payload's `trend` block; points without a percentage are left out. The y axis runs
    from below the lowest interval (in steps of 10, never under 0) to 100%.
    """
    points = [p for p in trend.get("points", []) if number_text(p.get("value"))]
    values = [p["value"] for p in points]
    up = [(p["ci_high"] - p["value"]) if number_text(p.get("ci_high")) else 0 for p in points]
    down = [(p["value"] - p["ci_low"]) if number_text(p.get("ci_low")) else 0 for p in points]
    fig = go.Figure(
        go.Scatter(
            x=[p["period_end"] for p in points],
            y=values,
            mode="lines+markers",
            name="Percentage, with 95% confidence interval",
            line={"color": FORCE_COLOUR, "width": 2},
            marker={"size": 8, "color": FORCE_COLOUR},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": up,
                "arrayminus": down,
                "color": "#0b0c0c",
                "thickness": 1.5,
                "width": 6,
            },
            hovertemplate="%{x|%B %Y}: %{y:.1f}%<extra></extra>",
        )
    )
    apply_layout(fig, x_title="Period ending", y_title="Percentage of respondents (%)", showlegend=True)
    wrap_legend(fig)
    low = min([p.get("ci_low") for p in points if number_text(p.get("ci_low"))] + values, default=0)
    fig.update_yaxes(range=[max(0, math.floor(low / 10) * 10 - 5), 100])
    header = [
        "Period start",
        "Period end",
        "Percentage (%)",
        "Respondents",
        "95% interval low (%)",
        "95% interval high (%)",
    ]
    rows = [
        [p.get("period_start"), p["period_end"], p["value"], p.get("respondents"), p.get("ci_low"), p.get("ci_high")]
        for p in points
    ]
    return snapshot_chart(
        fig,
        id="survey",
        caption=f"{measure.get('title', '')} (percentage of respondents, with 95% confidence intervals)",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'measure')}-survey",
        units="percentage of respondents",
        summary=_summary(measure, points),
        header=header,
        rows=rows,
    )
