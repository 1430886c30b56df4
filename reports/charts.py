"""Charts for frozen snapshot payloads: plotly figures as plain dicts (the one module that imports plotly).

Each `fig_*` takes plain payload dicts (reports/PAYLOADS.md) and returns a `Chart`: the figure as
a JSON-ready dict for static/js/charts.js, a title with units and the snapshot, an
accessible plain-English summary with the key numbers, and the table behind the chart (the same
numbers the figure draws), which the page shows under "Show as table" and the downloads export.
No targets anywhere; under-reported measures never get improvement or concern.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pcc_dashboard import vocabulary
from pcc_dashboard.vocabulary import COMMON_CAUSE, CONCERN, IMPROVEMENT, NEUTRAL
from reports.analysis import round_half_up
from reports.analysis.status import format_value, msg_verdict

# Signal colours after NHS "Making Data Count", darkened to pass 3:1 against white (WCAG 1.4.11);
# blue and orange stay apart under protanopia and deuteranopia, and each signal has its own
# marker symbol so colour is never the only cue.
SIGNAL_STYLE = {
    COMMON_CAUSE: {"colour": "#505a5f", "symbol": "circle", "label": vocabulary.VARIATION[COMMON_CAUSE]},
    IMPROVEMENT: {"colour": "#005ea5", "symbol": "triangle-up", "label": vocabulary.VARIATION[IMPROVEMENT]},
    CONCERN: {"colour": "#b14b00", "symbol": "square", "label": vocabulary.VARIATION[CONCERN]},
    NEUTRAL: {"colour": "#6f2c91", "symbol": "diamond", "label": vocabulary.VARIATION[NEUTRAL]},
}
LINE_COLOUR = "#0b0c0c"
LIMIT_COLOUR = "#505a5f"
FORCE_COLOUR = "#1d70b8"
PEER_COLOUR = "#b1b4b6"
BAND_COLOUR = "rgba(80, 90, 95, 0.15)"
# The band's fill is faint (1.25:1), so its edge carries it: #505a5f is 7:1 on white (WCAG 1.4.11).
BAND_EDGE = {"color": "#505a5f", "width": 1.5, "dash": "dot"}
# Outcome groups have no order of merit: at most 8 series, told apart by four greys (never
# red/green) each plain and hatched, so no two series look alike in print or on screen. Neighbouring
# greys are under 3:1 apart, so neighbours in the stack always differ in pattern too, and every bar
# has a black edge, which the lightest grey (1.5:1 on white) needs to stand out (WCAG 1.4.11).
OUTCOME_SHADES = ("#0b0c0c", "#505a5f", "#8e9599", "#cfd2d3")
OUTCOME_STYLES = [(shade, "/" if (i + i // 4) % 2 else "") for i, shade in enumerate(OUTCOME_SHADES * 2)]
OUTCOME_EDGE = {"color": "#0b0c0c", "width": 1}
OUTCOME_MAX_SERIES = len(OUTCOME_STYLES)
OTHER_OUTCOMES = "Other outcome groups"
# The page font (static/scss/app.scss), so charts read like the text around them.
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
# No mode bar: its buttons would sit inside the chart's role="img" (axe nested-interactive);
# the data is in the table and the CSV beside every chart instead.
CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}
# Below the x-axis title, measured from the bottom of the whole chart: a legend that wraps onto more
# lines at 320 CSS px pushes the bottom margin instead of overlapping the axis (WCAG 1.4.10).
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"}
# Small-multiple titles wrap at word breaks to this many characters, so two columns at 320 CSS px
# show "North West / Leicestershire" whole.
SMALL_TITLE_CHARACTERS = 14
# Legend entries wrap to this many characters: with its symbol an entry then fits a 290 px chart.
LEGEND_CHARACTERS = 32
# The provisional-limits note above a trend starts at the plot's left edge (70 px in), so its lines
# are shorter than a legend's.
PROVISIONAL_CHARACTERS = 34


@dataclass
class Chart:
    """One chart as the page, the table and the downloads need it."""

    id: str  # unique on the page and the download's name: trend, msg, csp, survey, savings, outcomes
    title: str  # with units and the snapshot: "… Data as at 31 May 2014"
    units: str
    summary: str  # plain English with the key numbers; the figure's accessible name
    figure: dict  # {"data", "layout", "config"}, JSON-ready
    table_header: list[str]
    table_rows: list[list]
    csv_name: str  # file name without extension
    notes: list[str] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"chart-{self.id}"

    @property
    def data_id(self) -> str:
        return f"chart-{self.id}-data"


def _plain(value):
    """numpy arrays and scalars, dates and tuples as JSON-ready Python (lists, not base64 typed arrays)."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            # plotly >= 6 packs numpy arrays as base64 typed arrays; the table and tests want lists.
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if value.get("shape"):
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return _plain(array)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def figure_data(fig: go.Figure) -> dict:
    """A plotly figure as plain JSON-ready Python (numpy arrays and dates converted), with config."""
    data = _plain(fig.to_dict())
    data["config"] = dict(CONFIG)
    return data


def as_of_label(as_of) -> str:
    """'Data as at 31 May 2014' from a date or an ISO string."""
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    return f"Data as at {day.day} {day:%B %Y}"


def month_text(iso: str | None) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day:%B %Y}"


def number_text(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def apply_layout(fig: go.Figure, *, x_title: str, y_title: str, height: int = 420, **extra) -> None:
    settings = {
        "font": {"family": FONT_FAMILY, "size": 14, "color": "#0b0c0c"},
        "margin": {"l": 70, "r": 20, "t": 30, "b": 60},
        "height": height,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": LEGEND_BELOW,
        "hovermode": "closest",
    }
    fig.update_layout(**{**settings, **extra})
    fig.update_xaxes(title_text=x_title, showline=True, linecolor="#505a5f", gridcolor="#f3f2f1")
    fig.update_yaxes(title_text=y_title, showline=True, linecolor="#505a5f", gridcolor="#f3f2f1")


def _units(measure: dict) -> str:
    unit = measure.get("unit", "count")
    if unit == "count":
        return "number per month" if measure.get("frequency") == "monthly" else "number per quarter"
    return vocabulary.label("unit", unit).lower().replace("(%)", "").strip()


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


def fig_trend(*, measure: dict, trend: dict, as_of, annotations: list | None = None) -> Chart:
    """SPC (XmR) chart of a measure's focus-area series: values, mean, limits, 2-sigma lines, signals."""
    points = [p for p in trend.get("points", []) if p.get("period_end")]
    unit = measure.get("unit", "count")
    under_reported = bool(measure.get("under_reported"))
    provisional = any(p.get("provisional") for p in points)
    units = _units(measure)
    fig = go.Figure()
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
    limits = trend.get("limits") or []
    latest_limits = limits[-1] if limits else {"min_points": 12, "baseline_points": None}
    fewer = f"fewer than {latest_limits.get('min_points', 12)} points"
    limits_name = f"Process limits (provisional: {fewer})" if provisional else "Process limits"
    fig.add_trace(_limit_trace(points, "upper_limit", name=limits_name, dash="dash", showlegend=True, group="lim"))
    fig.add_trace(_limit_trace(points, "lower_limit", name=limits_name, dash="dash", showlegend=False, group="lim"))
    fig.add_trace(_limit_trace(points, "upper_2sigma", name="2-sigma lines", dash="dot", showlegend=True, group="2s"))
    fig.add_trace(_limit_trace(points, "lower_2sigma", name="2-sigma lines", dash="dot", showlegend=False, group="2s"))
    signals = [_signal_of(p, under_reported=under_reported) for p in points]
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
    if provisional:
        # Wrapped, with room above the plot for both lines, so it fits a chart at 320 CSS px.
        fig.add_annotation(
            x=0,
            y=1,
            xref="paper",
            yref="paper",
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            align="left",
            text=_wrapped(f"Run chart: limits are provisional ({fewer})", PROVISIONAL_CHARACTERS),
            font={"size": 12},
        )
    # The axis names the units only: the measure's full title is in the caption (Chart.title), and
    # a long title would run past the chart.
    apply_layout(fig, x_title="Period ending", y_title=units.capitalize())
    if provisional:
        fig.update_layout(margin_t=50)
    wrap_legend(fig)

    present = [(p, s) for p, s in zip(points, signals) if number_text(p.get("value"))]
    missing = [p for p in points if not number_text(p.get("value"))]
    summary = _trend_summary(measure, present, unit=unit, provisional=provisional, missing=missing)
    if present and limits:
        summary += " " + limits_sentence(limits)
    header = [
        "Period start",
        "Period end",
        f"Value ({units})",
        "Mean",
        "Lower process limit",
        "Upper process limit",
        "Lower 2-sigma line",
        "Upper 2-sigma line",
        "Variation",
        "Rules",
        "Provisional limits",
    ]
    rows = [
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
    area = trend.get("area_name") or ""
    notes = ["Under-reported: a rise in recording is accepted; no variation is called improvement or concern."]
    notes = notes if under_reported else []
    changed = _changed_since_baseline(present, limits)
    if changed:
        notes.append(changed)
    return Chart(
        id="trend",
        title=f"{measure.get('title', '')}: trend with process limits ({units}){', ' + area if area else ''}. "
        f"{as_of_label(as_of)}",
        units=units,
        summary=summary,
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"{measure.get('code', 'measure')}-trend-{iso_day(as_of)}",
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
    baseline = _months_between(latest["baseline_from"], latest["baseline_to"])
    return (
        f"{special} of the {len(after)} points since the baseline ({baseline}) show special cause variation: "
        "the process has probably changed. The limits stay on that baseline until the co-ordinator "
        "recalculates them at a dated, explained change (an annotation)."
    )


def iso_day(as_of) -> str:
    return as_of if isinstance(as_of, str) else as_of.isoformat()


def period_name(point: dict) -> str:
    """'September 2013' for a month, 'July to September 2013' for a longer period."""
    start, end = point.get("period_start"), point["period_end"]
    if not start or start[:7] == end[:7]:
        return month_text(end)
    first = dt.date.fromisoformat(start)
    year = "" if first.year == int(end[:4]) else f" {first.year}"
    return f"{first:%B}{year} to {month_text(end)}"


def _count_span(count: int, noun: str, first: str, last: str) -> str:
    """'14 points from January 2013 to March 2014'; '1 point, March 2014'."""
    if count == 1:
        return f"1 {noun}, {month_text(last)}"
    return f"{count} {noun}s from {month_text(first)} to {month_text(last)}"


def _months_between(first: str | None, last: str | None) -> str:
    if not first:
        return ""
    return month_text(first) if first[:7] == (last or first)[:7] else f"{month_text(first)} to {month_text(last)}"


def limits_sentence(limits: list[dict]) -> str:
    """Which baseline each set of limits comes from, from a payload's `trend.limits`:
    "Limits from the baseline January 2013 to December 2014 (24 points)." plus, for each
    recalculation, its date and reason, and "provisional" where a baseline is short."""
    parts = []
    for entry in limits:
        baseline = f"the baseline {_months_between(entry.get('baseline_from'), entry.get('baseline_to'))}"
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
        f"{_count_span(len(present), 'point', present[0][0]['period_end'], last['period_end'])}.",
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


def fig_msg(*, measure: dict, msg: dict, as_of, focus_area: str | None = None) -> Chart | None:
    """Most Similar Group rates per 1,000 as a sorted horizontal bar chart, the force highlighted."""
    if not msg or not msg.get("members"):
        return None
    summary = msg.get("summary") or {}
    focus = focus_area or summary.get("focus_area")
    members = sorted(
        [m for m in msg["members"] if number_text(m.get("rate_per_1000"))],
        key=lambda m: m["rate_per_1000"],
    )
    is_focus = [m.get("area_code") == focus for m in members]
    # "(this force)" on its own line keeps the force's label narrow enough for 320 CSS px.
    labels = [f"{m.get('name')}<br>(this force)" if f else m.get("name") for m, f in zip(members, is_focus)]
    fig = go.Figure(
        go.Bar(
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
    )
    average = summary.get("average")
    used = "mean of members' rates" if summary.get("average_used", "mean") == "mean" else "pooled rate"
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
    if number_text(average):
        fig.add_shape(
            type="line",
            xref="x",
            yref="paper",
            x0=average,
            x1=average,
            y0=0,
            y1=1,
            line={"color": "#0b0c0c", "dash": "dash", "width": 2},
            showlegend=True,
            name=f"Group average ({used}): {average:.2f}",
        )
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
    header = ["Rank", "Force", "Area code", "Count", "Population", "Population mid-year", "Rate per 1,000", "Position"]
    rows = [
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
    return Chart(
        id="msg",
        title=f"{measure.get('title', '')}: Most Similar Group comparison (rate per 1,000 population, "
        f"{period}). {as_of_label(as_of)}",
        units="rate per 1,000 population",
        summary=" ".join(text),
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"{measure.get('code', 'measure')}-msg-{iso_day(as_of)}",
    )


def _wrapped(text: str, width: int = SMALL_TITLE_CHARACTERS) -> str:
    """`text` broken at spaces into lines of at most `width` characters (a longer word stays whole),
    joined with plotly's <br>."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def wrap_legend(fig: go.Figure) -> None:
    """Wrap every trace's and shape's legend name to LEGEND_CHARACTERS (plotly <br> line breaks)."""
    for trace in fig.data:
        if trace.name:
            trace.name = _wrapped(trace.name, LEGEND_CHARACTERS)
    for shape in fig.layout.shapes:
        if shape.name:
            shape.name = _wrapped(shape.name, LEGEND_CHARACTERS)


def fig_csp(*, measure: dict, csp: list, as_of, columns: int = 2) -> Chart | None:
    """Small multiples: one small line per Community Safety Partnership area (own y scale each)."""
    areas = [a for a in csp or [] if a.get("points")]
    if not areas:
        return None
    units = _units(measure)
    rows_needed = math.ceil(len(areas) / columns)
    fig = make_subplots(
        rows=rows_needed,
        cols=columns,
        subplot_titles=[_wrapped(a.get("name", "")) for a in areas],
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
    apply_layout(fig, x_title="", y_title="", height=80 + 200 * rows_needed, margin={"l": 70, "r": 20, "t": 60, "b": 60})
    fig.update_annotations(font={"size": 14})
    fig.update_xaxes(title_text="", tickformat="%b %Y", nticks=4)
    fig.update_yaxes(title_text="", rangemode="tozero")
    fig.update_layout(yaxis_title_text=units.capitalize())
    unit = measure.get("unit", "count")
    sentences = []
    for area in areas:
        last = area["points"][-1]
        bits = [f"latest {format_value(last.get('value'), unit)} in {month_text(last.get('period_end'))}"]
        if number_text(area.get("rate_per_1000")):
            bits.append(f"{area['rate_per_1000']:.2f} per 1,000 over 12 months")
        sentences.append(f"{area.get('name')}: {', '.join(bits)}.")
    header = ["Area", "Area code", "Period end", f"Value ({units})"]
    rows = [[a.get("name"), a.get("area_code"), p["period_end"], p.get("value")] for a in areas for p in a["points"]]
    return Chart(
        id="csp",
        title=f"{measure.get('title', '')} by Community Safety Partnership area ({units}). {as_of_label(as_of)}",
        units=units,
        summary=f"{len(areas)} Community Safety Partnership areas, each on its own scale. " + " ".join(sentences),
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"{measure.get('code', 'measure')}-csp-{iso_day(as_of)}",
    )


def fig_survey(*, measure: dict, trend: dict, as_of) -> Chart:
    """Survey percentages with Wilson 95% confidence intervals as error bars."""
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
    if points:
        last = points[-1]
        interval = ""
        if number_text(last.get("ci_low")) and number_text(last.get("ci_high")):
            low, high = (format_value(last[k], "percentage") for k in ("ci_low", "ci_high"))
            interval = f" (95% confidence interval {low} to {high}"
            interval += f", {last['respondents']:,} respondents)" if number_text(last.get("respondents")) else ")"
        summary = (
            f"{_count_span(len(points), 'survey period', points[0]['period_end'], last['period_end'])}. Latest {format_value(last['value'], 'percentage')} in "
            f"{month_text(last['period_end'])}{interval}."
        )
    else:
        summary = f"There are no survey results for {measure.get('title', 'this measure')} in this snapshot."
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
    return Chart(
        id="survey",
        title=f"{measure.get('title', '')} (percentage of respondents, with 95% confidence intervals). "
        f"{as_of_label(as_of)}",
        units="percentage of respondents",
        summary=summary,
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"{measure.get('code', 'measure')}-survey-{iso_day(as_of)}",
    )


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
        fig.add_shape(
            type="line", xref="paper", yref="y", x0=0, x1=1, y0=value, y1=value,
            line={"color": "#0b0c0c", "dash": "dash", "width": 2}, showlegend=True, name=f"The {text}",
        )  # fmt: skip
        fig.add_annotation(
            x=0, xref="paper", y=value, yref="y", text=text, showarrow=False, xanchor="left", yanchor="bottom"
        )  # fmt: skip
        top = max(top, value)
        title = f"{title} against the {text}"
        header.append(f"Share of the {reference['name']} (%)")
        rows = [[*row, round(row[2] / value * 100, 1)] for row in rows]
        if points:
            summary += f", {round_half_up(points[-1]['value'] / value * 100):.0f}% of the {text}"
    fig.update_yaxes(range=[0, top * 1.1], tickprefix="£", separatethousands=True)
    return Chart(
        id="savings",
        title=f"{title} (pounds, cumulative). {as_of_label(as_of)}",
        units="pounds",
        summary=summary + ".",
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"{measure.get('code', 'savings')}-savings-{iso_day(as_of)}",
    )


ALL_GROUPS = ("all", "all_crime", "All crime")


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
    months = list(outcomes["months"])
    table: dict[tuple[str, str], float] = {}
    by_code: dict[str, float] = {}
    for c in counts:
        key = (c["month"], c["outcome_code"])
        table[key] = table.get(key, 0) + (c.get("count") or 0)
        by_code[c["outcome_code"]] = by_code.get(c["outcome_code"], 0) + (c.get("count") or 0)
    series = outcome_series(types, by_code)
    sums = {(m, name): sum(table.get((m, code), 0) for code in codes) for m in months for name, codes in series}
    totals = {m: sum(sums[(m, name)] for name, _ in series) for m in months}

    def cell(month, name):
        value = sums[(month, name)]
        if share:
            return round(value / totals[month] * 100, 1) if totals[month] else None
        return value

    fig = go.Figure()
    for i, (name, _codes) in enumerate(series):
        shade, pattern = OUTCOME_STYLES[i]
        fig.add_trace(
            go.Bar(
                x=months,
                y=[cell(m, name) for m in months],
                name=name,
                marker={
                    "color": shade,
                    # White hatching on the two dark greys, black on the two light ones.
                    "pattern": {"shape": pattern, "fgcolor": "#ffffff" if shade in OUTCOME_SHADES[:2] else "#0b0c0c"},
                    "line": OUTCOME_EDGE,
                },
                hovertemplate="%{x|%B %Y}: %{y:,}" + ("%" if share else "") + "<extra>" + name + "</extra>",
            )
        )
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
    units = "percentage of the month's outcomes" if share else "number of crimes"
    if crime_group is None or crime_group in ALL_GROUPS:
        group_text = ", all crime"
    else:
        group_text = f", {crime_group}"
    last = months[-1]
    summary = (
        f"{len(series)} outcome groups over {len(months)} months from {month_text(months[0])} to {month_text(last)}"
        f"{group_text}. {month_text(last)}: {totals[last]:,.0f} outcomes recorded. Outcome groups are shown in "
        "their code order; no outcome ranks above another."
    )
    notes = []
    other = next((codes for name, codes in series if name == OTHER_OUTCOMES), None)
    if other:
        merged = list(dict.fromkeys(t.get("outcome_group") or t["name"] for t in types if t["code"] in other))
        notes.append(f"{OTHER_OUTCOMES}: {', '.join(merged)}.")
    header = ["Month"] + [name for name, _ in series] + ([] if share else ["Total"])
    rows = [[m] + [cell(m, name) for name, _ in series] + ([] if share else [totals[m]]) for m in months]
    return Chart(
        id="outcomes-share" if share else "outcomes",
        title=f"Crime outcomes by outcome group, monthly ({units}{group_text}). {as_of_label(as_of)}",
        units=units,
        summary=summary,
        figure=figure_data(fig),
        table_header=header,
        table_rows=rows,
        csv_name=f"outcomes-{'share-' if share else ''}{iso_day(as_of)}",
        notes=notes,
    )


def measure_charts(payload: dict, *, as_of) -> list[Chart]:
    """Every chart of a `measure:<code>` payload, in page order (trend or survey or savings, MSG, CSP)."""
    measure = payload.get("measure") or {}
    trend = payload.get("trend") or {"points": []}
    trend = {**trend, "area_name": (payload.get("focus_area") or {}).get("name")}
    unit = measure.get("unit")
    if unit == "percentage" and any(number_text(p.get("respondents")) for p in trend.get("points", [])):
        charts = [fig_survey(measure=measure, trend=trend, as_of=as_of)]
    elif unit == "pounds" or measure.get("cumulative"):
        # A running total is progress against the challenge (no SPC words); SPC judges each
        # period's own figure, drawn as its own chart when the payload has it.
        charts = [fig_savings(measure=measure, trend=trend, as_of=as_of)]
        # A period whose own figure is not known (the first, or one after a gap) is left out;
        # a period never returned stays a gap.
        own = [
            {**p, "value": p.get("period_value")}
            for p in trend.get("points", [])
            if number_text(p.get("period_value")) or not number_text(p.get("value"))
        ]
        if measure.get("cumulative") and any(number_text(p["value"]) for p in own):
            charts.append(
                fig_trend(
                    measure={**measure, "title": f"{measure.get('title', '')}, each period's own figure"},
                    trend={**trend, "points": own},
                    as_of=as_of,
                    annotations=payload.get("annotations"),
                )
            )
    else:
        charts = [fig_trend(measure=measure, trend=trend, as_of=as_of, annotations=payload.get("annotations"))]
    charts.append(
        fig_msg(
            measure=measure,
            msg=payload.get("msg"),
            as_of=as_of,
            focus_area=(payload.get("focus_area") or {}).get("code"),
        )
    )
    charts.append(fig_csp(measure=measure, csp=payload.get("csp"), as_of=as_of))
    return [c for c in charts if c is not None]
