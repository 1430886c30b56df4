"""The SPC (XmR) trend chart of a measure: values, mean, process limits, 2-sigma lines and signals."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from pcc_dashboard import vocabulary
from pcc_dashboard.vocabulary import COMMON_CAUSE, CONCERN, IMPROVEMENT, NEUTRAL
from reports.analysis.status import format_value
from reports.charts.base import Chart, snapshot_chart
from reports.charts.style import (
    LIMIT_COLOUR,
    LINE_COLOUR,
    PROVISIONAL_CHARACTERS,
    SIGNAL_STYLE,
    apply_layout,
    wrap_legend,
    wrapped,
)
from reports.charts.words import count_span, measure_units, month_text, months_between, number_text, period_name

TABLE_HEADER = [
    "Period start",
    "Period end",
    "Value ({units})",
    "Mean",
    "Lower process limit",
    "Upper process limit",
    "Lower 2-sigma line",
    "Upper 2-sigma line",
    "Variation",
    "Rules",
    "Provisional limits",
]
# Room above the highest and below the lowest line, as a share of what the chart plots, so the first,
# last, highest and lowest points never sit on the plot's frame.
HEADROOM = 0.08
UNDER_REPORTED_NOTE = "Under-reported: a rise in recording is accepted; no variation is called improvement or concern."


def _signal_of(point: dict, *, under_reported: bool) -> str:
    signal = point.get("signal") or COMMON_CAUSE
    if under_reported and signal in (IMPROVEMENT, CONCERN):
        # A rise in recording of under-reported crime is never a concern (nor a fall a success).
        return NEUTRAL
    return signal if signal in SIGNAL_STYLE else COMMON_CAUSE


def _limit_trace(points, key: str, *, name: str, dash: str, showlegend: bool, group: str):
    return go.Scatter(
        x=[p["period_end"] for p in points],
        y=[p.get(key) for p in points],
        mode="lines",
        name=name,
        legendgroup=group,
        showlegend=showlegend,
        line={"color": LIMIT_COLOUR, "dash": dash, "width": 1.5, "shape": "hv"},
        hoverinfo="skip",
    )


def _add_lines(fig: go.Figure, points: list[dict], *, limits_name: str) -> None:
    """The value line (unnamed in the legend), then the mean, the process limits and the 2-sigma
    lines as steps; each pair of limits has one legend entry."""
    fig.add_trace(
        go.Scatter(
            x=[p["period_end"] for p in points],
            y=[p.get("value") for p in points],
            mode="lines",
            name="Value",
            line={"color": LINE_COLOUR, "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(_limit_trace(points, "mean", name="Mean", dash="solid", showlegend=True, group="mean"))
    fig.add_trace(_limit_trace(points, "upper_limit", name=limits_name, dash="dash", showlegend=True, group="lim"))
    fig.add_trace(_limit_trace(points, "lower_limit", name=limits_name, dash="dash", showlegend=False, group="lim"))
    fig.add_trace(_limit_trace(points, "upper_2sigma", name="2-sigma lines", dash="dot", showlegend=True, group="2s"))
    fig.add_trace(_limit_trace(points, "lower_2sigma", name="2-sigma lines", dash="dot", showlegend=False, group="2s"))


def _add_signals(fig: go.Figure, points: list[dict], signals: list[str]) -> None:
    """One marker trace per kind of variation present, in SIGNAL_STYLE's order, each with its own
    colour and symbol; points without a figure get no marker."""
    for signal, style in SIGNAL_STYLE.items():
        chosen = [p for p, s in zip(points, signals) if s == signal and number_text(p.get("value"))]
        if not chosen:
            continue
        fig.add_trace(
            go.Scatter(
                x=[p["period_end"] for p in chosen],
                y=[p["value"] for p in chosen],
                mode="markers",
                name=style["label"],
                marker={
                    "color": style["colour"],
                    "symbol": style["symbol"],
                    "size": 10,
                    "line": {"color": "#ffffff", "width": 1},
                },
                hovertemplate="%{x|%B %Y}: %{y:,}<extra>" + style["label"] + "</extra>",
            )
        )


def _add_annotations(fig: go.Figure, annotations: list | None) -> None:
    """A dash-dot vertical line at each dated annotation, its label above the plot."""
    for note in annotations or []:
        if not note.get("date"):
            continue
        fig.add_vline(x=note["date"], line={"color": "#0b0c0c", "dash": "dashdot", "width": 1})
        fig.add_annotation(
            x=note["date"],
            y=1,
            yref="paper",
            text=note.get("label", ""),
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            font={"size": 12},
        )


def _set_ranges(fig: go.Figure, points: list[dict]) -> None:
    """Fixed axis ranges with room round what is plotted: half a period before the first period end
    (or dated event) and after the last, and HEADROOM of the plotted span above and below (not below
    zero for a series that never goes below it). Set explicitly, so the page and paper agree."""
    values = [v for trace in fig.data for v in (trace.y or ()) if number_text(v)]
    if values:
        low, high = min(values), max(values)
        pad = (high - low) * HEADROOM or abs(high) * 0.1 or 1
        bottom = max(low - pad, 0.0) if low >= 0 else low - pad
        fig.update_yaxes(range=[round(bottom, 6), round(high + pad, 6)])
    ends = sorted(dt.date.fromisoformat(p["period_end"][:10]) for p in points)
    events = [dt.date.fromisoformat(str(s.x0)[:10]) for s in fig.layout.shapes if s.xref == "x" and s.x0]
    if ends:
        half = dt.timedelta(days=max((ends[1] - ends[0]).days // 2 if len(ends) > 1 else 15, 10))
        first, last = min([ends[0], *events]), max([ends[-1], *events])
        fig.update_xaxes(range=[(first - half).isoformat(), (last + half).isoformat()])


def _add_provisional_note(fig: go.Figure, fewer: str) -> None:
    """'Run chart: limits are provisional (…)' above the plot's left edge.

    Wrapped, with room above the plot for both lines, so it fits a chart at 320 CSS px."""
    fig.add_annotation(
        x=0,
        y=1,
        xref="paper",
        yref="paper",
        showarrow=False,
        xanchor="left",
        yanchor="bottom",
        align="left",
        text=wrapped(f"Run chart: limits are provisional ({fewer})", PROVISIONAL_CHARACTERS),
        font={"size": 12},
    )


def _table_rows(points: list[dict], signals: list[str]) -> list[list]:
    """One row per point in TABLE_HEADER's order; a point without a figure is 'not returned'."""
    return [
        [
            p.get("period_start"),
            p["period_end"],
            p.get("value"),
            p.get("mean"),
            p.get("lower_limit"),
            p.get("upper_limit"),
            p.get("lower_2sigma"),
            p.get("upper_2sigma"),
            vocabulary.label("variation", s) if number_text(p.get("value")) else "not returned",
            vocabulary.rules_label(p.get("rules")),
            "yes" if p.get("provisional") else "no",
        ]
        for p, s in zip(points, signals)
    ]


def fig_trend(*, measure: dict, trend: dict, as_of, annotations: list | None = None) -> Chart:
    """SPC (XmR) chart of a measure's focus-area series: values, mean, limits, 2-sigma lines, signals.

    measure: the payload's `measure` block; trend: its `trend` block ({points, limits, area_name});
    annotations: [{date, label}] drawn as dated vertical lines. Under-reported measures never show
    improvement or concern (a rise in recording is accepted).
    """
    points = [p for p in trend.get("points", []) if p.get("period_end")]
    under_reported = bool(measure.get("under_reported"))
    provisional = any(p.get("provisional") for p in points)
    units = measure_units(measure)
    limits = trend.get("limits") or []
    latest_limits = limits[-1] if limits else {"min_points": 12, "baseline_points": None}
    fewer = f"fewer than {latest_limits.get('min_points', 12)} points"
    signals = [_signal_of(p, under_reported=under_reported) for p in points]
    fig = go.Figure()
    _add_lines(fig, points, limits_name=f"Process limits (provisional: {fewer})" if provisional else "Process limits")
    _add_signals(fig, points, signals)
    _add_annotations(fig, annotations)
    if provisional:
        _add_provisional_note(fig, fewer)
    # The axis names the units only: the measure's full title is in the caption (Chart.title), and
    # a long title would run past the chart.
    apply_layout(fig, x_title="Period ending", y_title=units.capitalize())
    _set_ranges(fig, points)
    if provisional:
        fig.update_layout(margin_t=50)
    wrap_legend(fig)

    present = [(p, s) for p, s in zip(points, signals) if number_text(p.get("value"))]
    missing = [p for p in points if not number_text(p.get("value"))]
    summary = _trend_summary(
        measure, present, unit=measure.get("unit", "count"), provisional=provisional, missing=missing
    )
    if present and limits:
        summary += " " + limits_sentence(limits)
    notes = [UNDER_REPORTED_NOTE] if under_reported else []
    changed = _changed_since_baseline(present, limits)
    if changed:
        notes.append(changed)
    area = trend.get("area_name") or ""
    return snapshot_chart(
        fig,
        id="trend",
        caption=f"{measure.get('title', '')}: trend with process limits ({units}){', ' + area if area else ''}",
        as_of=as_of,
        csv_stem=f"{measure.get('code', 'measure')}-trend",
        units=units,
        summary=summary,
        header=[h.format(units=units) for h in TABLE_HEADER],
        rows=_table_rows(points, signals),
        notes=notes,
    )


def _changed_since_baseline(present: list, limits: list[dict]) -> str | None:
    """A note when most points since the latest baseline are special cause: the process has
    probably changed, and Making Data Count practice is to recalculate at a dated, explained change."""
    if not limits or not limits[-1].get("baseline_to"):
        return None
    latest = limits[-1]
    after = [s for p, s in present if p["period_end"] > latest["baseline_to"]]
    special = sum(1 for s in after if s != COMMON_CAUSE)
    if len(after) < 6 or special * 2 <= len(after):
        return None
    baseline = months_between(latest["baseline_from"], latest["baseline_to"])
    return (
        f"{special} of the {len(after)} points since the baseline ({baseline}) show special cause variation: "
        "the process has probably changed. The limits stay on that baseline until the co-ordinator "
        "recalculates them at a dated, explained change (an annotation)."
    )


def limits_sentence(limits: list[dict]) -> str:
    """Which baseline each set of limits comes from, from a payload's `trend.limits`:
    "Limits from the baseline January 2013 to December 2014 (24 points)." plus, for each
    recalculation, its date and reason, and "provisional" where a baseline is short."""
    parts = []
    for entry in limits:
        baseline = f"the baseline {months_between(entry.get('baseline_from'), entry.get('baseline_to'))}"
        count = entry.get("baseline_points")
        text = f"{baseline} ({count} point{'s' if count != 1 else ''}"
        if entry.get("provisional"):
            text += f"; provisional: fewer than {entry.get('min_points', 12)}"
        text += ")"
        reason = entry.get("recalculated")
        if reason:
            why = reason.get("label") or "a recorded change"
            if reason.get("text"):
                why += f": {reason['text'].rstrip('.')}"
            parts.append(f"Limits recalculated from {month_text(entry['from'])} ({why}), from {text}.")
        else:
            parts.append(f"Limits from {text}.")
    return " ".join(parts)


def _trend_summary(measure: dict, present: list, *, unit: str, provisional: bool, missing: list) -> str:
    if not present:
        return f"There are no figures for {measure.get('title', 'this measure')} in this snapshot."
    last, last_signal = present[-1]
    fmt = lambda v: format_value(v, unit)  # noqa: E731
    parts = [
        f"{count_span(len(present), 'point', present[0][0]['period_end'], last['period_end'])}.",
        f"Latest value {fmt(last['value'])} in {month_text(last['period_end'])}: "
        f"{vocabulary.label('variation_phrase', last_signal)}.",
    ]
    if number_text(last.get("mean")):
        limits = ""
        if number_text(last.get("lower_limit")) and number_text(last.get("upper_limit")):
            limits = f", process limits {fmt(last['lower_limit'])} to {fmt(last['upper_limit'])}"
        parts.append(f"Mean {fmt(last['mean'])}{limits}{' (provisional)' if provisional else ''}.")
    if missing:
        names = ", ".join(period_name(p) for p in missing)
        parts.append(f"Not returned: {names} (a gap in the line; no moving range spans it).")
    counts = {s: sum(1 for _, sig in present if sig == s) for s in (IMPROVEMENT, CONCERN, NEUTRAL)}
    special = [
        f"{n} {vocabulary.label('variation', s).removeprefix('Special cause: ')}" for s, n in counts.items() if n
    ]
    if special:
        parts.append(f"Points showing special cause variation: {', '.join(special)}.")
    else:
        parts.append("No point shows special cause variation.")
    return " ".join(parts)
