"""The one chart style: colours, marker symbols, font, layout, legend placement and wrapping."""

from __future__ import annotations

import plotly.graph_objects as go

from pcc_dashboard import vocabulary
from pcc_dashboard.vocabulary import COMMON_CAUSE, CONCERN, IMPROVEMENT, NEUTRAL

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
# A reference line drawn across the plot (an average, a pooled rate, a challenge): black, dashed.
REFERENCE_LINE = {"color": "#0b0c0c", "dash": "dash", "width": 2}
# Outcome groups have no order of merit: at most 8 series, told apart by four greys (never
# red/green) each plain and hatched, so no two series look alike in print or on screen. Neighbouring
# greys are under 3:1 apart, so neighbours in the stack always differ in pattern too, and every bar
# has a black edge, which the lightest grey (1.5:1 on white) needs to stand out (WCAG 1.4.11).
OUTCOME_SHADES = ("#0b0c0c", "#505a5f", "#8e9599", "#cfd2d3")
OUTCOME_STYLES = [(shade, "/" if (i + i // 4) % 2 else "") for i, shade in enumerate(OUTCOME_SHADES * 2)]
OUTCOME_EDGE = {"color": "#0b0c0c", "width": 1}
OUTCOME_MAX_SERIES = len(OUTCOME_STYLES)
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


def apply_layout(fig: go.Figure, *, x_title: str, y_title: str, height: int = 420, **extra) -> None:
    """Give `fig` the shared look: page font, white background, margins in px, `height` px tall,
    the legend under the plot and both axes titled. `extra` layout keys override the defaults."""
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


def wrapped(text: str, width: int = SMALL_TITLE_CHARACTERS) -> str:
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
            trace.name = wrapped(trace.name, LEGEND_CHARACTERS)
    for shape in fig.layout.shapes:
        if shape.name:
            shape.name = wrapped(shape.name, LEGEND_CHARACTERS)


def vertical_line(value: float, *, name: str, line: dict | None = None) -> dict:
    """A legend-named plotly shape: a line at x = `value` (data units) from the plot's bottom to its
    top, black and dashed unless `line` says otherwise. Pass to `fig.add_shape(**...)`."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": value,
        "x1": value,
        "y0": 0,
        "y1": 1,
        "line": line or REFERENCE_LINE,
        "showlegend": True,
        "name": name,
    }
