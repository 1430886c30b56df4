"""The Most Similar Group comparison: each force's rate per 1,000 as a sorted bar, the force highlighted."""

from __future__ import annotations

import plotly.graph_objects as go

from pcc_dashboard import vocabulary
from reports.analysis.status import msg_verdict
from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import (
    BAND_COLOUR,
    BAND_EDGE,
    FORCE_COLOUR,
    PEER_COLOUR,
    apply_layout,
    vertical_line,
    wrap_legend,
)
from reports.charts.words import month_text, number_text

TABLE_HEADER = [
    "Rank",
    "Force",
    "Area code",
    "Count",
    "Population",
    "Population mid-year",
    "Rate per 1,000",
    "Position",
]


def _bars(members: list[dict], is_focus: list[bool]) -> go.Bar:
    """One horizontal bar per member in the given order; the focus force's is blue, hatched and
    thicker-edged, and its label says "(this force)"."""
    # "(this force)" on its own line keeps the force's label narrow enough for 320 CSS px.
    labels = [f"{m.get('name')}<br>(this force)" if f else m.get("name") for m, f in zip(members, is_focus)]
    return go.Bar(
        x=[m["rate_per_1000"] for m in members],
        y=labels,
        orientation="h",
        name="Rate per 1,000 population",
        marker={
            "color": [FORCE_COLOUR if f else PEER_COLOUR for f in is_focus],
            # The peers' grey fill is 2.1:1 on white; a whole-pixel black edge marks each bar (WCAG 1.4.11).
            "line": {"color": "#0b0c0c", "width": [2 if f else 1 for f in is_focus]},
            "pattern": {"shape": ["/" if f else "" for f in is_focus], "fgcolor": "#ffffff"},
        },
        text=[f"{m['rate_per_1000']:.2f}" for m in members],
        textposition="outside",
        # The top value's label runs past the plot area; drawn in the right margin, not cut.
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.2f} per 1,000<extra></extra>",
    )


def _add_band_and_average(fig: go.Figure, summary: dict, *, used: str) -> None:
    """The group's band (average ± its standard deviations, a faint box with a dotted edge) and the
    group average as a dashed line, each named in the legend, when the summary has them."""
    if number_text(summary.get("band_low")) and number_text(summary.get("band_high")):
        fig.add_shape(
            type="rect",
            xref="x",
            yref="paper",
            x0=summary["band_low"],
            x1=summary["band_high"],
            y0=0,
            y1=1,
            fillcolor=BAND_COLOUR,
            line=BAND_EDGE,
            layer="below",
            showlegend=True,
            name=f"Band: average ± {summary.get('band_sd', 1):g} standard deviation",
        )
    average = summary.get("average")
    if number_text(average):
        # Under the bars and their value labels, so the dashed line never strikes through a figure.
        fig.add_shape(**vertical_line(average, name=f"Group average ({used}): {average:.2f}"), layer="below")


def _summary(msg: dict, members: list[dict], is_focus: list[bool], *, period: str, used: str, measure: dict) -> str:
    """The group, period and size; the group average; the force's rate, rank and position."""
    summary = msg.get("summary") or {}
    average = summary.get("average")
    focus_member = next((m for m, f in zip(members, is_focus) if f), None)
    text = [f"{msg.get('group', 'Most Similar Group')}, {period}: {len(members)} forces."]
    if number_text(average):
        text.append(f"Group average ({used}) {average:.2f} per 1,000.")
    if focus_member:
        rank_word = summary.get("rank_1_is", "lowest")
        verdict = msg_verdict(summary, under_reported=bool(measure.get("under_reported"))) or "no position"
        text.append(
            f"{focus_member.get('name')} {focus_member['rate_per_1000']:.2f} per 1,000, ranked "
            f"{'joint ' if (summary.get('focus_rank_shared') or 1) > 1 else ''}{focus_member.get('rank')} of "
            f"{len(members)} (1 = {rank_word} rate): {verdict}."
        )
    return " ".join(text)


def _table_rows(members: list[dict]) -> list[list]:
    """One row per member in TABLE_HEADER's order."""
    return [
        [
            m.get("rank"),
            m.get("name"),
            m.get("area_code"),
            m.get("count"),
            m.get("population"),
            m.get("population_mid_year"),
            m.get("rate_per_1000"),
            vocabulary.label("msg_position", m.get("position")),
        ]
        for m in members
    ]


def fig_msg(*, measure: dict, msg: dict, as_of, focus_area: str | None = None) -> Chart | None:
    """Most Similar Group rates per 1,000 as a sorted horizontal bar chart, the force highlighted.

    msg: the payload's `msg` block ({group, period_end, members, summary}); members without a rate
    are left out. focus_area defaults to the summary's. None when the block has no members.
    """
    if not msg or not msg.get("members"):
        return None
    summary = msg.get("summary") or {}
    focus = focus_area or summary.get("focus_area")
    members = sorted(
        [m for m in msg["members"] if number_text(m.get("rate_per_1000"))],
        key=lambda m: m["rate_per_1000"],
    )
    is_focus = [m.get("area_code") == focus for m in members]
    used = "mean of members' rates" if summary.get("average_used", "mean") == "mean" else "pooled rate"
    fig = go.Figure(_bars(members, is_focus))
    _add_band_and_average(fig, summary, used=used)
    apply_layout(
        fig,
        x_title="Rate per 1,000<br>population",
        y_title="",
        # Room under the plot for the axis title and the legend entries (the legend sits at the chart's
        # bottom, LEGEND_BELOW), so it never runs over the axis or what follows the chart. Left grows
        # to fit the force names (automargin below); right holds the top value's label.
        height=190 + 40 * len(members),
        margin={"l": 10, "r": 60, "t": 30, "b": 130},
    )
    fig.update_yaxes(automargin=True, tickfont={"size": 12})
    wrap_legend(fig)
    period = f"12 months to {month_text(msg.get('period_end'))}" if msg.get("period_end") else ""
    return snapshot_chart(
        fig,
        id="msg",
        caption=f"{measure.get('title', '')}: Most Similar Group comparison (rate per 1,000 population, {period})",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'measure')}-msg",
        units="rate per 1,000 population",
        summary=_summary(msg, members, is_focus, period=period, used=used, measure=measure),
        header=TABLE_HEADER,
        rows=_table_rows(members),
    )
