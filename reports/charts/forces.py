"""The position among all forces as a sorted bar chart (the "ski slope"), in the shared chart style."""

from __future__ import annotations

import plotly.graph_objects as go

from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import BAND_EDGE, FORCE_COLOUR, PEER_COLOUR, apply_layout, vertical_line, wrap_legend
from reports.charts.words import month_text, number_text

GROUP_COLOUR = "#505a5f"  # 7:1 on white; the white cross-hatch tells it apart from the force's diagonal hatch
FOCUS_WORDS = "this force"
GROUP_WORDS = "in group"
ROW_HEIGHT = 22
TABLE_HEADER = ["Rank", "Force", "Area code", "In {group}", "This force", "Count", "Population",
                "Population mid-year", "Rate per 1,000"]  # fmt: skip


def _label(member: dict) -> str:
    if member.get("is_focus"):
        return f"{member['name']} ({FOCUS_WORDS})"
    if member.get("in_group"):
        return f"{member['name']} ({GROUP_WORDS})"
    return member["name"]


def _bar(members: list[dict], *, name: str, colour: str, pattern: str, width: float) -> go.Bar:
    return go.Bar(
        x=[m["rate_per_1000"] for m in members],
        y=[_label(m) for m in members],
        orientation="h",
        name=name,
        marker={
            "color": colour,
            "line": {"color": "#0b0c0c", "width": width},
            "pattern": {"shape": pattern, "fgcolor": "#ffffff"},
        },
        text=[f"{m['rate_per_1000']:.2f}" for m in members],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.2f} per 1,000<extra></extra>",
    )


def _summary(measure: dict, comparison: dict, ranked: list[dict], period: str) -> str:
    summary = comparison.get("summary") or {}
    group = comparison.get("group") or "the Most Similar Group"
    text = [f"{measure.get('title', '')}, {period}: {len(ranked)} forces ranked by rate per 1,000 population."]
    if ranked:
        low, high = ranked[0], ranked[-1]
        text.append(
            f"Rates run from {low['rate_per_1000']:.2f} ({low['name']}) to {high['rate_per_1000']:.2f} ({high['name']})."
        )
    if comparison.get("coverage"):
        text.append(comparison["coverage"])
    if number_text(comparison.get("all_forces_rate")):
        text.append(f"All forces' rate (pooled) {comparison['all_forces_rate']:.2f} per 1,000.")
    if number_text(comparison.get("group_rate")):
        text.append(f"{group} rate (pooled) {comparison['group_rate']:.2f} per 1,000.")
    focus = next((m for m in ranked if m.get("is_focus")), None)
    if focus:
        joint = "joint " if (summary.get("focus_rank_shared") or 1) > 1 else ""
        versus = {"above": "above", "below": "below", "equal": "equal to"}.get(summary.get("focus_vs_all"), "")
        text.append(
            f"{focus['name']} (this force) {focus['rate_per_1000']:.2f} per 1,000, ranked {joint}{focus['rank']} of "
            f"{len(ranked)} (1 = {summary.get('rank_1_is', 'lowest')} rate)"
            + (f", {versus} the all forces' rate." if versus else ".")
        )
    peers = [f"{m['name']} {m['rank']}" for m in ranked if m.get("in_group") and not m.get("is_focus")]
    if peers:
        text.append(f"Ranks of the rest of {group}: {', '.join(peers)}.")
    return " ".join(text)


def _note(group: str, *, missing: bool) -> str:
    note = (
        "Forces are sorted by rate, highest at the top. The force's own bar says “this force” and the bars of "
        f"its peer group ({group}) say “in group”."
    )
    if missing:
        note += " A force without figures for every month of the period is in the table without a rate or rank."
    return note


def _add_bars(fig: go.Figure, ordered: list[dict], *, group: str) -> None:
    """Three bar series in legend order: other forces (grey), the group's forces (cross-hatched
    dark grey, "in group") and the focus force (blue, diagonal hatch, thicker edge, "this force")."""
    fig.add_trace(
        _bar(
            [m for m in ordered if not m.get("is_focus") and not m.get("in_group")],
            name="Other forces",
            colour=PEER_COLOUR,
            pattern="",
            width=1,
        )  # fmt: skip
    )
    fig.add_trace(
        _bar(
            [m for m in ordered if m.get("in_group") and not m.get("is_focus")],
            name=f"{group} ({GROUP_WORDS})",
            colour=GROUP_COLOUR,
            pattern="x",
            width=1,
        )  # fmt: skip
    )
    fig.add_trace(
        _bar(
            [m for m in ordered if m.get("is_focus")],
            name=FOCUS_WORDS.capitalize(),
            colour=FORCE_COLOUR,
            pattern="/",
            width=2,
        )  # fmt: skip
    )


def _add_pooled_rates(fig: go.Figure, comparison: dict, *, group: str) -> None:
    """The all forces' pooled rate (dashed) and the group's pooled rate (dotted) as vertical lines
    named in the legend, when the comparison has them."""
    if number_text(comparison.get("all_forces_rate")):
        fig.add_shape(**vertical_line(comparison["all_forces_rate"], name=f"All forces' rate (pooled): "
                                      f"{comparison['all_forces_rate']:.2f}"))  # fmt: skip
    if number_text(comparison.get("group_rate")):
        fig.add_shape(
            **vertical_line(
                comparison["group_rate"],
                name=f"{group} rate (pooled): {comparison['group_rate']:.2f}",
                line={**BAND_EDGE, "color": "#0b0c0c"},
            )
        )


def _period(comparison: dict) -> str:
    """'12 months to March 2014', or the comparison's own number of months."""
    period = f"12 months to {month_text(comparison.get('period_end'))}"
    if comparison.get("months") and comparison["months"] != 12:
        period = f"{comparison['months']} months to {month_text(comparison.get('period_end'))}"
    return period


def _table_rows(members: list[dict]) -> list[list]:
    """One row per force (with or without a rate) in TABLE_HEADER's order."""
    return [
        [
            m.get("rank"),
            m.get("name"),
            m.get("area_code"),
            "Yes" if m.get("in_group") else "No",
            "Yes" if m.get("is_focus") else "No",
            m.get("count"),
            m.get("population"),
            m.get("population_mid_year"),
            m.get("rate_per_1000"),
        ]  # fmt: skip
        for m in members
    ]


def fig_forces(*, measure: dict, comparison: dict, as_of) -> Chart | None:
    """Every force's rate per 1,000 as a sorted horizontal bar chart: the focus force and its group
    marked by words in their labels and the legend, as well as by colour and hatching.

    comparison: reports.forces_selectors.forces_comparison's answer. None when no force has a rate.
    """
    ranked = [m for m in comparison.get("members") or [] if number_text(m.get("rate_per_1000"))]
    if not ranked:
        return None
    # Highest rate at the top: plotly draws the first category at the bottom.
    ordered = sorted(ranked, key=lambda m: (m["rate_per_1000"], m["name"]))
    group = comparison.get("group") or "Most Similar Group"
    fig = go.Figure()
    _add_bars(fig, ordered, group=group)
    _add_pooled_rates(fig, comparison, group=group)
    apply_layout(
        fig,
        x_title="Rate per 1,000<br>population",
        y_title="",
        height=220 + ROW_HEIGHT * len(ordered),
        margin={"l": 10, "r": 60, "t": 30, "b": 170},
        barmode="overlay",
        bargap=0.25,
    )
    fig.update_yaxes(
        automargin=True, tickfont={"size": 11}, categoryorder="array", categoryarray=[_label(m) for m in ordered]
    )
    wrap_legend(fig)
    period = _period(comparison)
    members = comparison.get("members") or []
    return snapshot_chart(
        fig,
        id="forces",
        caption=f"{measure.get('title', '')}: position among all forces (rate per 1,000 population, {period})",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'measure')}-forces",
        units="rate per 1,000 population",
        summary=_summary(measure, comparison, ranked, period),
        header=[h.format(group=group) for h in TABLE_HEADER],
        rows=_table_rows(members),
        notes=[_note(group, missing=len(ranked) < len(members))],
    )
