"""What every chart function returns: the `Chart` (figure, title, summary, table) and how it is built."""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from reports.charts.style import CONFIG
from reports.charts.words import as_of_label, iso_day


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


def snapshot_chart(
    fig: go.Figure,
    *,
    id: str,
    caption: str,
    as_of,
    csv_stem: str,
    units: str,
    summary: str,
    header: list[str],
    rows: list[list],
    notes: list[str] | None = None,
) -> Chart:
    """The `Chart` of `fig` for the snapshot of `as_of` (a date or an ISO string).

    The title is `caption` (with units) followed by "Data as at 31 May 2014"; the download's name is
    `csv_stem` followed by the snapshot's ISO day ("all_crime-trend-2014-05-31"), so every chart of
    one snapshot says, and is filed under, the same day.
    """
    return Chart(
        id=id,
        title=f"{caption}. {as_of_label(as_of)}",
        units=units,
        summary=summary,
        figure=figure_data(fig),
        table_header=list(header),
        table_rows=rows,
        csv_name=f"{csv_stem}-{iso_day(as_of)}",
        notes=list(notes or []),
    )
