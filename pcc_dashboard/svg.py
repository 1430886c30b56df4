"""Static SVG of a chart's figure dict, for paper: the server's PDF and the browser's print.

The page draws each chart with plotly.js from `Chart.figure` (reports/charts/); paper
cannot run JavaScript, and plotly's own static export needs kaleido and a browser, which the
product does not ship. So this module draws the same figure dict (the same traces, colours,
marker symbols, dashes, shapes and legend names) as plain SVG markup. It draws what the
product's figures use: scatter lines (with gaps and steps) and markers, error bars, vertical
stacked and horizontal bars with hatching, rectangles and lines in data or paper co-ordinates,
subplot grids and paper-positioned annotations. The plot's geometry (axes, ticks, panels) is
pcc_dashboard/svg_axes.py. Pure Python; no Django, no plotly.
"""

from __future__ import annotations

import zlib
from html import escape

from pcc_dashboard.svg_axes import BOTTOM_AXIS, WIDTH, Panel, Plot, is_number, plot_of

FONT = 'font-family="Arial, Helvetica, sans-serif"'
DASHES = {"dash": "6 4", "dot": "2 3", "dashdot": "6 3 2 3", "longdash": "10 4"}


def _title(layout_axis: dict) -> str:
    title = layout_axis.get("title")
    return (title.get("text") if isinstance(title, dict) else title) or ""


def _marker(symbol: str, x: float, y: float, size: float, colour: str) -> str:
    r = size / 2
    if symbol.startswith("triangle-up"):
        points = f"{x},{y - r} {x - r},{y + r * 0.8} {x + r},{y + r * 0.8}"
        return f'<polygon points="{points}" fill="{colour}" stroke="#fff" stroke-width="0.8"/>'
    if symbol.startswith("square"):
        return f'<rect x="{x - r * 0.85:.1f}" y="{y - r * 0.85:.1f}" width="{r * 1.7:.1f}" height="{r * 1.7:.1f}" fill="{colour}" stroke="#fff" stroke-width="0.8"/>'
    if symbol.startswith("diamond"):
        points = f"{x},{y - r} {x + r},{y} {x},{y + r} {x - r},{y}"
        return f'<polygon points="{points}" fill="{colour}" stroke="#fff" stroke-width="0.8"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 0.85:.1f}" fill="{colour}" stroke="#fff" stroke-width="0.8"/>'


def _fill(colour: str, pattern: str, fg: str, defs: dict) -> str:
    """The fill of a bar: its colour, or a hatch pattern (registered in defs, ids unique per figure)."""
    if not pattern:
        return colour
    for existing, spec in defs.items():
        if existing != "prefix" and spec == (colour, fg):
            return f"url(#{existing})"
    key = f"{defs['prefix']}-{len(defs)}"
    defs[key] = (colour, fg)
    return f"url(#{key})"


def _pick(value, i, default=None):
    if isinstance(value, list):
        return value[i] if i < len(value) else default
    return default if value is None else value


def _one_line(value):
    """`value` with plotly's <br> line breaks as spaces, through dicts and lists: the page wraps long
    names and titles to fit 320 CSS px (reports/charts/style.py); paper is wide enough for one line."""
    if isinstance(value, str):
        return value.replace("<br>", " ")
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return value


def _axes_marks(plot: Plot) -> list[str]:
    """Each panel's ticks and labels (horizontal grid lines on a value axis) and its two axis lines."""
    marks, grid = [], plot.grid
    for p in plot.panels.values():
        for value, text in p.y.ticks(3 if grid else 6):
            y = p.py(p.y.categories[int(value)] if p.y.kind == "category" else value)
            if p.y.kind != "category":
                marks.append(f'<line x1="{p.left:.1f}" x2="{p.right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6e6"/>')
            marks.append(
                f'<text x="{p.left - 5:.1f}" y="{y + 3.5:.1f}" text-anchor="end" font-size="{10 if grid else 11}">{escape(text)}</text>'
            )
        for value, text in p.x.ticks(2 if grid else 6) if p.x.kind != "category" else []:
            x = p.left + (value - p.x.low) / (p.x.high - p.x.low) * (p.right - p.left)
            marks.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{p.bottom:.1f}" y2="{p.bottom + 4:.1f}" stroke="#505a5f"/>'
            )
            marks.append(
                f'<text x="{x:.1f}" y="{p.bottom + 15:.1f}" text-anchor="middle" font-size="{9 if grid else 11}">{escape(text)}</text>'
            )
        marks.append(
            f'<line x1="{p.left:.1f}" x2="{p.right:.1f}" y1="{p.bottom:.1f}" y2="{p.bottom:.1f}" stroke="#505a5f"/>'
        )
        marks.append(
            f'<line x1="{p.left:.1f}" x2="{p.left:.1f}" y1="{p.top:.1f}" y2="{p.bottom:.1f}" stroke="#505a5f"/>'
        )
    return marks


def _shape_point(first: Panel, shape: dict, key: str, letter: str) -> float | None:
    """A shape's co-ordinate `key` in pixels on the first panel: data units, or a fraction of the
    plot for paper (and, on y, domain) references."""
    if letter == "x":
        if shape.get("xref") == "paper":
            return first.left + shape[key] * (first.right - first.left)
        return first.px(shape[key])
    if str(shape.get("yref", "y")).endswith(("paper", "domain")):
        return first.bottom - shape[key] * (first.bottom - first.top)
    return first.py(shape[key])


def _shape_marks(layout: dict, first: Panel) -> tuple[list[str], list[str], list[dict]]:
    """(rectangles, lines, shapes named in the legend) of the layout's shapes. Rectangles go under
    everything, the last drawn first; a shape that cannot be placed is left out."""
    rects, lines, legend_shapes = [], [], []
    for shape in layout.get("shapes", []):
        try:
            x0, x1 = _shape_point(first, shape, "x0", "x"), _shape_point(first, shape, "x1", "x")
            y0, y1 = _shape_point(first, shape, "y0", "y"), _shape_point(first, shape, "y1", "y")
        except (KeyError, TypeError, ValueError):
            continue
        if None in (x0, x1, y0, y1):
            continue
        line = shape.get("line") or {}
        dash = DASHES.get(line.get("dash"), "")
        if shape.get("type") == "rect":
            colour = shape.get("fillcolor", "#e6e6e6")
            rects.insert(
                0,
                f'<rect x="{min(x0, x1):.1f}" y="{min(y0, y1):.1f}" width="{abs(x1 - x0):.1f}" height="{abs(y1 - y0):.1f}" fill="{colour}"/>',
            )
        else:
            lines.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{line.get("color", "#0b0c0c")}" '
                f'stroke-width="{line.get("width", 1)}" stroke-dasharray="{dash}"/>'
            )
        if shape.get("showlegend") and shape.get("name"):
            legend_shapes.append(shape)
    return rects, lines, legend_shapes


def _horizontal_bars(t: dict, p: Panel, defs: dict) -> list[str]:
    """One bar per category from 0 to its value, its fill (or hatch) and edge width per bar, its
    text label just past its end."""
    xs, ys = list(t.get("x") or []), list(t.get("y") or [])
    marker = t.get("marker") or {}
    pattern = marker.get("pattern") or {}
    band = (p.bottom - p.top) / max(len(p.y.categories), 1)
    marks = []
    for i, (x, y) in enumerate(zip(xs, ys)):
        if not is_number(x):
            continue
        colour = _pick(marker.get("color"), i, "#505a5f")
        fill = _fill(colour, _pick(pattern.get("shape"), i, ""), pattern.get("fgcolor", "#fff"), defs)
        x0, x1, yc = p.px(0), p.px(x), p.py(y)
        width = _pick((marker.get("line") or {}).get("width"), i, 0.5)
        marks.append(
            f'<rect x="{min(x0, x1):.1f}" y="{yc - band * 0.35:.1f}" width="{abs(x1 - x0):.1f}" height="{band * 0.7:.1f}" '
            f'fill="{fill}" stroke="#0b0c0c" stroke-width="{width}"/>'
        )
        text = _pick(t.get("text"), i)
        if text:
            # A white box under the label (about 6.2 units a character at 11 px) hides a reference line
            # drawn across it, such as the group average, so the line never strikes through the figure.
            lx = max(x0, x1) + 4
            marks.append(
                f'<rect x="{lx - 1:.1f}" y="{yc - 6.5:.1f}" width="{len(str(text)) * 6.2 + 2:.1f}" height="13" fill="#ffffff"/>'
            )
            marks.append(f'<text x="{lx:.1f}" y="{yc + 4:.1f}" font-size="11">{escape(str(text))}</text>')
    return marks


def _vertical_bars(t: dict, p: Panel, defs: dict, base: dict | None) -> list[str]:
    """One bar per x, 80% of the narrowest gap between x values wide. Stacked (`base` holds each
    x's running top, updated here) or from 0 (`base` None)."""
    xs, ys = list(t.get("x") or []), list(t.get("y") or [])
    marker = t.get("marker") or {}
    pattern = marker.get("pattern") or {}
    days = sorted({p.x.value(x) for x in xs if p.x.value(x) is not None})
    gap = min((b - a for a, b in zip(days, days[1:])), default=30)
    width = gap * 0.8 / (p.x.high - p.x.low) * (p.right - p.left)
    fill = _fill(marker.get("color", "#505a5f"), pattern.get("shape", ""), pattern.get("fgcolor", "#fff"), defs)
    marks = []
    for x, y in zip(xs, ys):
        if not is_number(y) or p.px(x) is None:
            continue
        start = base.get(x, 0) if base is not None else 0
        y0, y1 = p.py(start), p.py(start + y)
        marks.append(
            f'<rect x="{p.px(x) - width / 2:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" height="{abs(y1 - y0):.1f}" '
            f'fill="{fill}" stroke="#fff" stroke-width="0.5"/>'
        )
        if base is not None:
            base[x] = start + y
    return marks


def _line_marks(t: dict, p: Panel) -> list[str]:
    """The trace's line as polylines, broken at each missing point (a gap), stepped for shape "hv"."""
    line = t.get("line") or {}
    runs, run = [], []
    for x, y in zip(list(t.get("x") or []), list(t.get("y") or [])):
        px, py = p.px(x), p.py(y)
        if px is None or py is None:
            runs.append(run)
            run = []
            continue
        if line.get("shape") == "hv" and run:
            run.append((px, run[-1][1]))
        run.append((px, py))
    runs.append(run)
    return [
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" stroke="{line.get("color", "#0b0c0c")}" '
        f'stroke-width="{line.get("width", 1.5)}" stroke-dasharray="{DASHES.get(line.get("dash"), "")}"/>'
        for run in runs
        if len(run) > 1
    ]


def _error_bar_marks(t: dict, p: Panel) -> list[str]:
    """A whisker from value − arrayminus to value + array at each point with a value."""
    err = t.get("error_y") or {}
    if not err.get("array"):
        return []
    marks = []
    for i, (x, y) in enumerate(zip(list(t.get("x") or []), list(t.get("y") or []))):
        if not is_number(y) or p.px(x) is None:
            continue
        up, down = _pick(err["array"], i, 0) or 0, _pick(err.get("arrayminus") or err["array"], i, 0) or 0
        px, top_y, low_y = p.px(x), p.py(y + up), p.py(y - down)
        marks.append(
            f'<path d="M{px - 3:.1f},{top_y:.1f}h6M{px:.1f},{top_y:.1f}V{low_y:.1f}M{px - 3:.1f},{low_y:.1f}h6" stroke="#0b0c0c" stroke-width="1.2" fill="none"/>'
        )
    return marks


def _trace_marks(data: list[dict], plot: Plot, defs: dict) -> list[str]:
    """Every trace, in the figure's order: bars, or lines, error bars and markers by its mode."""
    marks, base = [], {}
    for t in data:
        p = plot.panels[(t.get("xaxis", "x"), t.get("yaxis", "y"))]
        if t.get("type") == "bar":
            if plot.horizontal:
                marks += _horizontal_bars(t, p, defs)
            else:
                marks += _vertical_bars(t, p, defs, base if plot.stacked else None)
            continue
        mode = t.get("mode", "lines+markers")
        if "lines" in mode:
            marks += _line_marks(t, p)
        marks += _error_bar_marks(t, p)
        if "markers" in mode:
            marker = t.get("marker") or {}
            size = min(float(marker.get("size", 6)), 9)
            for x, y in zip(list(t.get("x") or []), list(t.get("y") or [])):
                px, py = p.px(x), p.py(y)
                if px is not None and py is not None:
                    marks.append(_marker(marker.get("symbol", "circle"), px, py, size, marker.get("color", "#0b0c0c")))
    return marks


def _title_marks(layout: dict, plot: Plot) -> list[str]:
    """Axis titles and paper annotations (subplot titles, the provisional-limits note)."""
    marks, first, area = [], plot.first, plot.area
    x_title = _title(layout.get("xaxis", {}))
    if x_title and not plot.grid:
        marks.append(
            f'<text x="{(first.left + first.right) / 2:.1f}" y="{area[3] + 34:.1f}" text-anchor="middle" font-size="11">{escape(x_title)}</text>'
        )
    y_title = _title(layout.get("yaxis", {}))
    if y_title and not plot.horizontal:
        middle = (area[1] + area[3]) / 2
        marks.append(
            f'<text transform="translate(12 {middle:.1f}) rotate(-90)" text-anchor="middle" font-size="11">{escape(y_title[:70])}</text>'
        )
    for i, note in enumerate(layout.get("annotations", [])):
        if note.get("xref") == "paper" and note.get("yref") == "paper" and note.get("text"):
            x = area[0] + note.get("x", 0) * (area[2] - area[0])
            y = area[3] - note.get("y", 1) * (area[3] - area[1])
            x, y = plot.titles.get(i, (x, y))
            anchor = {"left": "start", "right": "end"}.get(note.get("xanchor"), "middle")
            marks.append(
                f'<text x="{x:.1f}" y="{y + 10:.1f}" text-anchor="{anchor}" font-size="11" font-weight="bold">{escape(str(note["text"]))}</text>'
            )
    return marks


def _legend_entries(data: list[dict], layout: dict, legend_shapes: list[dict]) -> list[tuple]:
    """(name, trace or None, shape or None) per legend entry: named traces once each (when the
    figure shows a legend), then the shapes named in the legend."""
    entries, seen = [], set()
    show_all = layout.get("showlegend") is True or len(data) > 1
    if layout.get("showlegend") is not False and show_all:
        for t in data:
            name = t.get("name")
            if not name or t.get("showlegend") is False or name in seen:
                continue
            seen.add(name)
            entries.append((name, t, None))
    for shape in legend_shapes:
        entries.append((shape["name"], None, shape))
    return entries


def _dash_key(line: dict, x: float, y: float) -> str:
    return (
        f'<line x1="{x}" x2="{x + 22}" y1="{y - 4}" y2="{y - 4}" stroke="{line.get("color", "#0b0c0c")}" '
        f'stroke-width="2" stroke-dasharray="{DASHES.get(line.get("dash"), "")}"/>'
    )


def _legend_key(t: dict | None, shape: dict | None, x: float, y: float, defs: dict) -> str:
    """The small picture before a legend entry's name: a shape's box or line, a bar's fill, a
    marker, or a trace's line."""
    if shape is not None:
        if shape.get("type") == "rect":
            return f'<rect x="{x}" y="{y - 9}" width="22" height="11" fill="{shape.get("fillcolor", "#e6e6e6")}"/>'
        return _dash_key(shape.get("line") or {}, x, y)
    marker = t.get("marker") or {}
    if t.get("type") == "bar":
        pattern = marker.get("pattern") or {}
        colour = marker.get("color") if isinstance(marker.get("color"), str) else "#b1b4b6"
        shape_ = pattern.get("shape") if isinstance(pattern.get("shape"), str) else ""
        fill = _fill(colour, shape_, pattern.get("fgcolor", "#fff"), defs)
        return f'<rect x="{x}" y="{y - 10}" width="22" height="12" fill="{fill}" stroke="#0b0c0c" stroke-width="0.5"/>'
    if "markers" in t.get("mode", "") and "lines" not in t.get("mode", ""):
        return _marker(marker.get("symbol", "circle"), x + 11, y - 4, 9, marker.get("color", "#0b0c0c"))
    return _dash_key(t.get("line") or {}, x, y)


def _legend_marks(entries: list[tuple], plot: Plot, defs: dict) -> tuple[list[str], float]:
    """(legend marks, the SVG's height): entries in rows under the plot, wrapping at WIDTH."""
    legend, x, y = [], plot.left, plot.area[3] + BOTTOM_AXIS + 8
    for name, t, shape in entries:
        width = 30 + 6.0 * len(name)
        if x + width > WIDTH and x > plot.left:
            x, y = plot.left, y + 18
        legend.append(_legend_key(t, shape, x, y, defs))
        legend.append(f'<text x="{x + 28}" y="{y}" font-size="11">{escape(name)}</text>')
        x += width + 14
    return legend, (y + 10) if entries else plot.area[3] + BOTTOM_AXIS


def _patterns(defs: dict) -> str:
    """The <pattern> definitions of every hatch `_fill` registered."""
    hatches = {key: spec for key, spec in defs.items() if key != "prefix"}
    return "".join(
        f'<pattern id="{key}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{colour}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{fg}" stroke-width="2"/></pattern>'
        for key, (colour, fg) in hatches.items()
    )


def figure_svg(figure: dict, *, title: str = "") -> str:
    """SVG markup (a string) drawing a `Chart.figure` dict ({"data", "layout"}) at 680 units wide.

    The legend is drawn under the plot so it never narrows it. `title` becomes the SVG's <title>.
    Raises nothing for an unknown trace type: it is left out (the chart's table still has its figures).
    """
    figure = _one_line(figure)
    data = [t for t in figure.get("data", []) if t.get("type", "scatter") in ("scatter", "bar")]
    layout = figure.get("layout", {})
    plot = plot_of(data, layout)
    # Pattern ids must be unique in a page that holds several charts; the title makes them so, stably.
    defs = {"prefix": f"hatch{zlib.crc32(title.encode()):08x}"}
    rects, lines, legend_shapes = _shape_marks(layout, plot.first)
    body = rects + _axes_marks(plot) + lines + _trace_marks(data, plot, defs) + _title_marks(layout, plot)
    legend, height = _legend_marks(_legend_entries(data, layout, legend_shapes), plot, defs)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" {FONT} fill="#0b0c0c">'
        f"<title>{escape(title)}</title><defs>{_patterns(defs)}</defs>{''.join(body)}{''.join(legend)}</svg>"
    )
