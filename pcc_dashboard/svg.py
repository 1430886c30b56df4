"""Static SVG of a chart's figure dict, for paper: the server's PDF and the browser's print.

The page draws each chart with plotly.js from `Chart.figure` (reports/charts.py); paper
cannot run JavaScript, and plotly's own static export needs kaleido and a browser, which the
product does not ship. So this module draws the same figure dict (the same traces, colours,
marker symbols, dashes, shapes and legend names) as plain SVG markup. It draws what the
product's figures use: scatter lines (with gaps and steps) and markers, error bars, vertical
stacked and horizontal bars with hatching, rectangles and lines in data or paper co-ordinates,
subplot grids and paper-positioned annotations. Pure Python; no Django, no plotly.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zlib
from html import escape

WIDTH = 680
FONT = 'font-family="Arial, Helvetica, sans-serif"'
DASHES = {"dash": "6 4", "dot": "2 3", "dashdot": "6 3 2 3", "longdash": "10 4"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_date(values) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, str) and _DATE.match(v) for v in present)


def _day(value: str) -> float:
    return float(dt.date.fromisoformat(value[:10]).toordinal())


def _fmt(value: float, step: float, prefix: str = "") -> str:
    decimals = 0 if step >= 1 else min(3, int(math.ceil(-math.log10(step))))
    sign = "-" if value < 0 else ""
    return f"{sign}{prefix}{abs(value):,.{decimals}f}"


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _date_ticks(low: float, high: float, count: int = 6) -> list[float]:
    start, end = dt.date.fromordinal(int(low)), dt.date.fromordinal(int(high))
    months = (end.year - start.year) * 12 + end.month - start.month
    step = next((s for s in (1, 2, 3, 6, 12, 24, 36, 60) if months / s <= count), 120)
    ticks, year, month = [], start.year, start.month
    if step >= 12:
        year, month = (start.year + (1 if start.month > 1 else 0)), 1
    while (year, month) <= (end.year, end.month):
        day = dt.date(year, month, 1).toordinal()
        if low <= day <= high:
            ticks.append(float(day))
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return ticks


class _Axis:
    """One axis: its kind (date, category or linear), data range and pixel span."""

    def __init__(self, values: list, layout: dict, *, zero: bool):
        self.layout = layout
        self.kind = "date" if _is_date(values) else "category" if any(isinstance(v, str) for v in values) else "linear"
        if self.kind == "category":
            self.categories = list(dict.fromkeys(v for v in values if v is not None))
            self.low, self.high = 0.0, float(len(self.categories))
            return
        numbers = [_day(v) if self.kind == "date" else v for v in values if v is not None]
        numbers = [v for v in numbers if _num(v)] or [0.0, 1.0]
        low, high = min(numbers), max(numbers)
        if zero and layout.get("rangemode") != "normal":
            low, high = min(low, 0.0), max(high, 0.0)
        if layout.get("rangemode") == "tozero":
            low = min(low, 0.0)
        if isinstance(layout.get("range"), list) and self.kind == "linear":
            low, high = layout["range"]
        elif self.kind == "linear":
            pad = (high - low) * 0.06 or abs(high) * 0.1 or 1
            low, high = (low if low == 0 else low - pad), high + pad
        else:
            low, high = low - 15, high + 15
        self.low, self.high = low, high

    def value(self, v) -> float | None:
        if v is None:
            return None
        if self.kind == "category":
            return self.categories.index(v) + 0.5 if v in self.categories else None
        if self.kind == "date":
            return _day(v) if isinstance(v, str) else None
        return float(v) if _num(v) else None

    def ticks(self, count: int = 6) -> list[tuple[float, str]]:
        if self.kind == "category":
            return [(i + 0.5, c) for i, c in enumerate(self.categories)]
        if self.kind == "date":
            return [(t, f"{dt.date.fromordinal(int(t)):%b %Y}") for t in _date_ticks(self.low, self.high, count)]
        ticks = _nice_ticks(self.low, self.high)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
        return [(t, _fmt(t, step, self.layout.get("tickprefix", ""))) for t in ticks]


class _Panel:
    """One x/y axis pair and its pixel rectangle."""

    def __init__(self, x: _Axis, y: _Axis, box: tuple[float, float, float, float]):
        self.x, self.y, (self.left, self.top, self.right, self.bottom) = x, y, box

    def px(self, v) -> float | None:
        v = self.x.value(v)
        return (
            None if v is None else self.left + (v - self.x.low) / (self.x.high - self.x.low) * (self.right - self.left)
        )

    def py(self, v) -> float | None:
        v = self.y.value(v)
        return (
            None
            if v is None
            else self.bottom - (v - self.y.low) / (self.y.high - self.y.low) * (self.bottom - self.top)
        )


def _axis_key(ref: str, letter: str) -> str:
    return f"{letter}axis" if ref in (letter, "") else f"{letter}axis{ref[1:]}"


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
    names and titles to fit 320 CSS px (charts.py); paper is wide enough for one line."""
    if isinstance(value, str):
        return value.replace("<br>", " ")
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return value


def figure_svg(figure: dict, *, title: str = "") -> str:
    """SVG markup (a string) drawing a `Chart.figure` dict ({"data", "layout"}) at 680 units wide.

    The legend is drawn under the plot so it never narrows it. `title` becomes the SVG's <title>.
    Raises nothing for an unknown trace type: it is left out (the chart's table still has its figures).
    """
    figure = _one_line(figure)
    data = [t for t in figure.get("data", []) if t.get("type", "scatter") in ("scatter", "bar")]
    layout = figure.get("layout", {})
    horizontal = any(t.get("type") == "bar" and t.get("orientation") == "h" for t in data)
    stacked = layout.get("barmode") == "stack"
    pairs = list(dict.fromkeys((t.get("xaxis", "x"), t.get("yaxis", "y")) for t in data)) or [("x", "y")]
    grid = len(pairs) > 1
    labels = [str(v) for t in data for v in (t.get("y") or []) if isinstance(v, str)] if horizontal else []
    left = min(230, 12 + 6.2 * max((len(s) for s in labels), default=0)) if horizontal else 70
    right = 60 if horizontal else 16
    if horizontal:
        plot_height = 21 * max(len(set(labels)), 1) + 10
    elif grid:
        rows = len({tuple(layout.get(_axis_key(y, "y"), {}).get("domain", [0, 1])) for _, y in pairs})
        plot_height = 108 * rows
    else:
        plot_height = 190
    top = 24 if any(a.get("yref") == "paper" and a.get("y", 0) > 1 for a in layout.get("annotations", [])) else 10
    bottom_axis = 42

    # Values per axis, with stacked sums and error bars, so every bar and whisker fits.
    values: dict[str, list] = {}
    for t in data:
        xs, ys = list(t.get("x") or []), list(t.get("y") or [])
        xa, ya = t.get("xaxis", "x"), t.get("yaxis", "y")
        values.setdefault(xa, []).extend(xs)
        values.setdefault(ya, []).extend(ys)
        err = t.get("error_y") or {}
        if err.get("array"):
            values[ya].extend(y + (u or 0) for y, u in zip(ys, err["array"]) if _num(y))
            values[ya].extend(y - (d or 0) for y, d in zip(ys, err.get("arrayminus") or err["array"]) if _num(y))
        if t.get("type") == "bar" and horizontal:
            values[xa].extend([0] + [v * 1.12 for v in xs if _num(v)])
    if stacked:
        sums: dict = {}
        for t in data:
            if t.get("type") == "bar":
                for x, y in zip(t.get("x") or [], t.get("y") or []):
                    sums[x] = sums.get(x, 0) + (y if _num(y) else 0)
        values.setdefault("y", []).extend(list(sums.values()) + [0])
    for shape in layout.get("shapes", []):
        if shape.get("xref", "x") == "x":
            values.setdefault("x", []).extend([shape.get("x0"), shape.get("x1")])
        if shape.get("yref", "y") == "y":
            values.setdefault("y", []).extend([shape.get("y0"), shape.get("y1")])

    bars = any(t.get("type") == "bar" for t in data)
    area = (left, top, WIDTH - right, top + plot_height)
    panels = {}
    for xa, ya in pairs:
        lx, ly = layout.get(_axis_key(xa, "x"), {}), layout.get(_axis_key(ya, "y"), {})
        xd, yd = lx.get("domain", [0, 1]), ly.get("domain", [0, 1])
        x0, x1 = area[0] + xd[0] * (area[2] - area[0]), area[0] + xd[1] * (area[2] - area[0])
        y1, y0 = area[3] - yd[0] * (area[3] - area[1]), area[3] - yd[1] * (area[3] - area[1])
        panels[(xa, ya)] = _Panel(
            _Axis(values.get(xa, []), lx, zero=bars and horizontal),
            _Axis(values.get(ya, []), ly, zero=bars and not horizontal),
            (x0, y0 + (18 if grid else 0), x1, y1 - (16 if grid else 0)),
        )
    first = panels[pairs[0]]
    # Pattern ids must be unique in a page that holds several charts; the title makes them so, stably.
    body, defs = [], {"prefix": f"hatch{zlib.crc32(title.encode()):08x}"}

    # Axes, ticks and grid lines.
    for p in panels.values():
        for value, text in p.y.ticks():
            y = p.py(p.y.categories[int(value)] if p.y.kind == "category" else value)
            if p.y.kind != "category":
                body.append(f'<line x1="{p.left:.1f}" x2="{p.right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6e6"/>')
            body.append(
                f'<text x="{p.left - 5:.1f}" y="{y + 3.5:.1f}" text-anchor="end" font-size="{10 if grid else 11}">{escape(text)}</text>'
            )
        for value, text in p.x.ticks(2 if grid else 6) if p.x.kind != "category" else []:
            x = p.left + (value - p.x.low) / (p.x.high - p.x.low) * (p.right - p.left)
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{p.bottom:.1f}" y2="{p.bottom + 4:.1f}" stroke="#505a5f"/>'
            )
            body.append(
                f'<text x="{x:.1f}" y="{p.bottom + 15:.1f}" text-anchor="middle" font-size="{9 if grid else 11}">{escape(text)}</text>'
            )
        body.append(
            f'<line x1="{p.left:.1f}" x2="{p.right:.1f}" y1="{p.bottom:.1f}" y2="{p.bottom:.1f}" stroke="#505a5f"/>'
        )
        body.append(
            f'<line x1="{p.left:.1f}" x2="{p.left:.1f}" y1="{p.top:.1f}" y2="{p.bottom:.1f}" stroke="#505a5f"/>'
        )

    def ref_x(shape, key):
        return (
            first.left + shape[key] * (first.right - first.left)
            if shape.get("xref") == "paper"
            else first.px(shape[key])
        )

    def ref_y(shape, key):
        if str(shape.get("yref", "y")).endswith(("paper", "domain")):
            return first.bottom - shape[key] * (first.bottom - first.top)
        return first.py(shape[key])

    legend_shapes = []
    for shape in layout.get("shapes", []):
        try:
            x0, x1, y0, y1 = ref_x(shape, "x0"), ref_x(shape, "x1"), ref_y(shape, "y0"), ref_y(shape, "y1")
        except (KeyError, TypeError, ValueError):
            continue
        if None in (x0, x1, y0, y1):
            continue
        line = shape.get("line") or {}
        dash = DASHES.get(line.get("dash"), "")
        if shape.get("type") == "rect":
            colour = shape.get("fillcolor", "#e6e6e6")
            body.insert(
                0,
                f'<rect x="{min(x0, x1):.1f}" y="{min(y0, y1):.1f}" width="{abs(x1 - x0):.1f}" height="{abs(y1 - y0):.1f}" fill="{colour}"/>',
            )
        else:
            body.append(
                f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{line.get("color", "#0b0c0c")}" '
                f'stroke-width="{line.get("width", 1)}" stroke-dasharray="{dash}"/>'
            )
        if shape.get("showlegend") and shape.get("name"):
            legend_shapes.append(shape)

    # Traces, in the figure's order.
    base: dict = {}
    for t in data:
        p = panels[(t.get("xaxis", "x"), t.get("yaxis", "y"))]
        xs, ys = list(t.get("x") or []), list(t.get("y") or [])
        marker = t.get("marker") or {}
        if t.get("type") == "bar":
            pattern = marker.get("pattern") or {}
            if horizontal:
                band = (p.bottom - p.top) / max(len(p.y.categories), 1)
                for i, (x, y) in enumerate(zip(xs, ys)):
                    if not _num(x):
                        continue
                    colour = _pick(marker.get("color"), i, "#505a5f")
                    fill = _fill(colour, _pick(pattern.get("shape"), i, ""), pattern.get("fgcolor", "#fff"), defs)
                    x0, x1, yc = p.px(0), p.px(x), p.py(y)
                    width = _pick((marker.get("line") or {}).get("width"), i, 0.5)
                    body.append(
                        f'<rect x="{min(x0, x1):.1f}" y="{yc - band * 0.35:.1f}" width="{abs(x1 - x0):.1f}" height="{band * 0.7:.1f}" '
                        f'fill="{fill}" stroke="#0b0c0c" stroke-width="{width}"/>'
                    )
                    text = _pick(t.get("text"), i)
                    if text:
                        body.append(
                            f'<text x="{max(x0, x1) + 4:.1f}" y="{yc + 4:.1f}" font-size="11">{escape(str(text))}</text>'
                        )
            else:
                days = sorted({p.x.value(x) for x in xs if p.x.value(x) is not None})
                gap = min((b - a for a, b in zip(days, days[1:])), default=30)
                width = gap * 0.8 / (p.x.high - p.x.low) * (p.right - p.left)
                fill = _fill(
                    marker.get("color", "#505a5f"), pattern.get("shape", ""), pattern.get("fgcolor", "#fff"), defs
                )
                for x, y in zip(xs, ys):
                    if not _num(y) or p.px(x) is None:
                        continue
                    start = base.get(x, 0) if stacked else 0
                    y0, y1 = p.py(start), p.py(start + y)
                    body.append(
                        f'<rect x="{p.px(x) - width / 2:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" height="{abs(y1 - y0):.1f}" '
                        f'fill="{fill}" stroke="#fff" stroke-width="0.5"/>'
                    )
                    if stacked:
                        base[x] = start + y
            continue
        mode = t.get("mode", "lines+markers")
        line = t.get("line") or {}
        if "lines" in mode:
            runs, run = [], []
            for x, y in zip(xs, ys):
                px, py = p.px(x), p.py(y)
                if px is None or py is None:
                    runs.append(run)
                    run = []
                    continue
                if line.get("shape") == "hv" and run:
                    run.append((px, run[-1][1]))
                run.append((px, py))
            runs.append(run)
            for run in runs:
                if len(run) > 1:
                    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                    body.append(
                        f'<polyline points="{points}" fill="none" stroke="{line.get("color", "#0b0c0c")}" '
                        f'stroke-width="{line.get("width", 1.5)}" stroke-dasharray="{DASHES.get(line.get("dash"), "")}"/>'
                    )
        err = t.get("error_y") or {}
        if err.get("array"):
            for i, (x, y) in enumerate(zip(xs, ys)):
                if not _num(y) or p.px(x) is None:
                    continue
                up, down = _pick(err["array"], i, 0) or 0, _pick(err.get("arrayminus") or err["array"], i, 0) or 0
                px, top_y, low_y = p.px(x), p.py(y + up), p.py(y - down)
                body.append(
                    f'<path d="M{px - 3:.1f},{top_y:.1f}h6M{px:.1f},{top_y:.1f}V{low_y:.1f}M{px - 3:.1f},{low_y:.1f}h6" stroke="#0b0c0c" stroke-width="1.2" fill="none"/>'
                )
        if "markers" in mode:
            size = min(float(marker.get("size", 6)), 9)
            for x, y in zip(xs, ys):
                px, py = p.px(x), p.py(y)
                if px is not None and py is not None:
                    body.append(_marker(marker.get("symbol", "circle"), px, py, size, marker.get("color", "#0b0c0c")))

    # Axis titles and paper annotations (subplot titles, the provisional-limits note).
    x_title = _title(layout.get("xaxis", {}))
    if x_title and not grid:
        body.append(
            f'<text x="{(first.left + first.right) / 2:.1f}" y="{area[3] + 34:.1f}" text-anchor="middle" font-size="11">{escape(x_title)}</text>'
        )
    y_title = _title(layout.get("yaxis", {}))
    if y_title and not horizontal:
        middle = (area[1] + area[3]) / 2
        body.append(
            f'<text transform="translate(12 {middle:.1f}) rotate(-90)" text-anchor="middle" font-size="11">{escape(y_title[:70])}</text>'
        )
    for note in layout.get("annotations", []):
        if note.get("xref") == "paper" and note.get("yref") == "paper" and note.get("text"):
            x = area[0] + note.get("x", 0) * (area[2] - area[0])
            y = area[3] - note.get("y", 1) * (area[3] - area[1])
            anchor = {"left": "start", "right": "end"}.get(note.get("xanchor"), "middle")
            body.append(
                f'<text x="{x:.1f}" y="{y + 10:.1f}" text-anchor="{anchor}" font-size="11" font-weight="bold">{escape(str(note["text"]))}</text>'
            )

    # Legend under the plot.
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
    legend, x, y = [], left, area[3] + bottom_axis + 8
    for name, t, shape in entries:
        width = 30 + 6.0 * len(name)
        if x + width > WIDTH and x > left:
            x, y = left, y + 18
        if shape is not None:
            if shape.get("type") == "rect":
                legend.append(
                    f'<rect x="{x}" y="{y - 9}" width="22" height="11" fill="{shape.get("fillcolor", "#e6e6e6")}"/>'
                )
            else:
                ln = shape.get("line") or {}
                legend.append(
                    f'<line x1="{x}" x2="{x + 22}" y1="{y - 4}" y2="{y - 4}" stroke="{ln.get("color", "#0b0c0c")}" stroke-width="2" stroke-dasharray="{DASHES.get(ln.get("dash"), "")}"/>'
                )
        elif t.get("type") == "bar":
            marker = t.get("marker") or {}
            pattern = marker.get("pattern") or {}
            colour = marker.get("color") if isinstance(marker.get("color"), str) else "#b1b4b6"
            shape_ = pattern.get("shape") if isinstance(pattern.get("shape"), str) else ""
            fill = _fill(colour, shape_, pattern.get("fgcolor", "#fff"), defs)
            legend.append(
                f'<rect x="{x}" y="{y - 10}" width="22" height="12" fill="{fill}" stroke="#0b0c0c" stroke-width="0.5"/>'
            )
        elif "markers" in t.get("mode", "") and "lines" not in t.get("mode", ""):
            marker = t.get("marker") or {}
            legend.append(_marker(marker.get("symbol", "circle"), x + 11, y - 4, 9, marker.get("color", "#0b0c0c")))
        else:
            ln = t.get("line") or {}
            legend.append(
                f'<line x1="{x}" x2="{x + 22}" y1="{y - 4}" y2="{y - 4}" stroke="{ln.get("color", "#0b0c0c")}" stroke-width="2" stroke-dasharray="{DASHES.get(ln.get("dash"), "")}"/>'
            )
        legend.append(f'<text x="{x + 28}" y="{y}" font-size="11">{escape(name)}</text>')
        x += width + 14
    height = (y + 10) if entries else area[3] + bottom_axis

    defs.pop("prefix")
    patterns = "".join(
        f'<pattern id="{key}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{colour}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{fg}" stroke-width="2"/></pattern>'
        for key, (colour, fg) in defs.items()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" {FONT} fill="#0b0c0c">'
        f"<title>{escape(title)}</title><defs>{patterns}</defs>{''.join(body)}{''.join(legend)}</svg>"
    )
