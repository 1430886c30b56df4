"""The plot geometry of a static SVG chart: axes (date, category, linear), ticks, panels and the grid.

Pure Python; no Django, no plotly. Used by pcc_dashboard/svg.py, which draws into this geometry.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

WIDTH = 680
# Small multiples on paper: three to a row, each with room for its title, line and ticks.
GRID_COLUMNS = 3
GRID_ROW = 92
# Below the plot: the x-axis ticks and title.
BOTTOM_AXIS = 42
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def is_number(value) -> bool:
    """True when `value` is a finite int or float (not a bool)."""
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


class Axis:
    """One axis: its kind (date, category or linear), data range and pixel span."""

    def __init__(self, values: list, layout: dict, *, zero: bool):
        self.layout = layout
        self.kind = "date" if _is_date(values) else "category" if any(isinstance(v, str) for v in values) else "linear"
        if self.kind == "category":
            self.categories = list(dict.fromkeys(v for v in values if v is not None))
            self.low, self.high = 0.0, float(len(self.categories))
            return
        numbers = [_day(v) if self.kind == "date" else v for v in values if v is not None]
        numbers = [v for v in numbers if is_number(v)] or [0.0, 1.0]
        low, high = min(numbers), max(numbers)
        if zero and layout.get("rangemode") != "normal":
            low, high = min(low, 0.0), max(high, 0.0)
        if layout.get("rangemode") == "tozero":
            low = min(low, 0.0)
        if isinstance(layout.get("range"), list) and self.kind == "linear":
            low, high = layout["range"]
        elif isinstance(layout.get("range"), list) and self.kind == "date":
            low, high = (_day(str(v)) for v in layout["range"])
        elif self.kind == "linear":
            pad = (high - low) * 0.06 or abs(high) * 0.1 or 1
            low, high = (low if low == 0 else low - pad), high + pad
        else:
            low, high = low - 15, high + 15
        self.low, self.high = low, high

    def value(self, v) -> float | None:
        """`v` in axis units (a category's middle, a date's day number, a number), or None."""
        if v is None:
            return None
        if self.kind == "category":
            return self.categories.index(v) + 0.5 if v in self.categories else None
        if self.kind == "date":
            return _day(v) if isinstance(v, str) else None
        return float(v) if is_number(v) else None

    def ticks(self, count: int = 6) -> list[tuple[float, str]]:
        """(position in axis units, label) of about `count` ticks: every category, month starts, or round numbers."""
        if self.kind == "category":
            return [(i + 0.5, c) for i, c in enumerate(self.categories)]
        if self.kind == "date":
            return [(t, f"{dt.date.fromordinal(int(t)):%b %Y}") for t in _date_ticks(self.low, self.high, count)]
        ticks = _nice_ticks(self.low, self.high, min(count, 5))
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
        return [(t, _fmt(t, step, self.layout.get("tickprefix", ""))) for t in ticks]


class Panel:
    """One x/y axis pair and its pixel rectangle."""

    def __init__(self, x: Axis, y: Axis, box: tuple[float, float, float, float]):
        self.x, self.y, (self.left, self.top, self.right, self.bottom) = x, y, box

    def px(self, v) -> float | None:
        """The pixel x of data value `v`, or None when it has no place on the axis."""
        v = self.x.value(v)
        return (
            None if v is None else self.left + (v - self.x.low) / (self.x.high - self.x.low) * (self.right - self.left)
        )

    def py(self, v) -> float | None:
        """The pixel y of data value `v`, or None when it has no place on the axis."""
        v = self.y.value(v)
        return (
            None
            if v is None
            else self.bottom - (v - self.y.low) / (self.y.high - self.y.low) * (self.bottom - self.top)
        )


@dataclass
class Plot:
    """The whole plot: what kind of chart it is, its pixel area (left, top, right, bottom), its
    panels by (x axis, y axis) reference in the figure's order, and where each subplot title goes
    (annotation index → pixel x, y)."""

    horizontal: bool  # horizontal bars: categories on y
    stacked: bool  # barmode "stack"
    grid: bool  # small multiples, several panels
    left: float
    area: tuple[float, float, float, float]
    panels: dict[tuple[str, str], Panel]
    titles: dict[int | None, tuple[float, float]]

    @property
    def first(self) -> Panel:
        """The first trace's panel: shapes and paper co-ordinates are placed on it."""
        return next(iter(self.panels.values()))


def axis_key(ref: str, letter: str) -> str:
    """The layout key of an axis reference: ("x", "x") → "xaxis", ("x3", "x") → "xaxis3"."""
    return f"{letter}axis" if ref in (letter, "") else f"{letter}axis{ref[1:]}"


def _subplot_title(layout: dict, x_axis: dict, y_axis: dict) -> int | None:
    """The index of the paper annotation that titles the subplot on these axes (plotly centres it
    over the subplot's x domain, at the top of its y domain), or None."""
    xd, yd = x_axis.get("domain", [0, 1]), y_axis.get("domain", [0, 1])
    for i, note in enumerate(layout.get("annotations", [])):
        if note.get("xref") == "paper" and abs(note.get("x", -1) - (xd[0] + xd[1]) / 2) < 1e-6:
            if abs(note.get("y", -1) - yd[1]) < 1e-6:
                return i
    return None


def _axis_values(data: list[dict], layout: dict, *, horizontal: bool, stacked: bool) -> dict[str, list]:
    """Values per axis reference, with stacked sums and error bars, so every bar and whisker fits."""
    values: dict[str, list] = {}
    for t in data:
        xs, ys = list(t.get("x") or []), list(t.get("y") or [])
        xa, ya = t.get("xaxis", "x"), t.get("yaxis", "y")
        values.setdefault(xa, []).extend(xs)
        values.setdefault(ya, []).extend(ys)
        err = t.get("error_y") or {}
        if err.get("array"):
            values[ya].extend(y + (u or 0) for y, u in zip(ys, err["array"]) if is_number(y))
            values[ya].extend(y - (d or 0) for y, d in zip(ys, err.get("arrayminus") or err["array"]) if is_number(y))
        if t.get("type") == "bar" and horizontal:
            values[xa].extend([0] + [v * 1.12 for v in xs if is_number(v)])
    if stacked:
        sums: dict = {}
        for t in data:
            if t.get("type") == "bar":
                for x, y in zip(t.get("x") or [], t.get("y") or []):
                    sums[x] = sums.get(x, 0) + (y if is_number(y) else 0)
        values.setdefault("y", []).extend(list(sums.values()) + [0])
    for shape in layout.get("shapes", []):
        if shape.get("xref", "x") == "x":
            values.setdefault("x", []).extend([shape.get("x0"), shape.get("x1")])
        if shape.get("yref", "y") == "y":
            values.setdefault("y", []).extend([shape.get("y0"), shape.get("y1")])
    return values


def _panel_box(plot_area: tuple[float, float, float, float], layout: dict, i: int, lx: dict, ly: dict, *, grid: bool):
    """(pixel box of the i-th panel, (annotation index, title position) or None).

    On a grid, paper's own GRID_COLUMNS, whatever the page's: small multiples stay legible.
    Otherwise the axes' domains (fractions of the plot area)."""
    left, top, right, bottom = plot_area
    if grid:
        cell = (right - left) / GRID_COLUMNS
        x0, y0 = left + (i % GRID_COLUMNS) * cell, top + (i // GRID_COLUMNS) * GRID_ROW
        box = (x0 + 28, y0 + 18, x0 + cell - 12, y0 + GRID_ROW - 22)
        return box, (_subplot_title(layout, lx, ly), ((box[0] + box[2]) / 2, y0))
    xd, yd = lx.get("domain", [0, 1]), ly.get("domain", [0, 1])
    x0, x1 = left + xd[0] * (right - left), left + xd[1] * (right - left)
    return (x0, bottom - yd[1] * (bottom - top), x1, bottom - yd[0] * (bottom - top)), None


def plot_of(data: list[dict], layout: dict) -> Plot:
    """The plot geometry of a figure's drawable traces and layout, WIDTH px wide.

    Horizontal bars get a left margin for their longest label and a row per category; a grid of
    small multiples gets GRID_ROW px per row of GRID_COLUMNS; anything else 190 px. Room above the
    plot when a paper annotation sits over it."""
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
        plot_height = GRID_ROW * math.ceil(len(pairs) / GRID_COLUMNS)
    else:
        plot_height = 190
    top = 24 if any(a.get("yref") == "paper" and a.get("y", 0) > 1 for a in layout.get("annotations", [])) else 10
    values = _axis_values(data, layout, horizontal=horizontal, stacked=stacked)
    bars = any(t.get("type") == "bar" for t in data)
    area = (left, top, WIDTH - right, top + plot_height)
    panels, titles = {}, {}
    for i, (xa, ya) in enumerate(pairs):
        lx, ly = layout.get(axis_key(xa, "x"), {}), layout.get(axis_key(ya, "y"), {})
        box, title = _panel_box(area, layout, i, lx, ly, grid=grid)
        if title is not None:
            titles[title[0]] = title[1]
        panels[(xa, ya)] = Panel(
            Axis(values.get(xa, []), lx, zero=bars and horizontal),
            Axis(values.get(ya, []), ly, zero=bars and not horizontal),
            box,
        )
    return Plot(horizontal, stacked, grid, left, area, panels, titles)
