"""Every chart of a measure's page, in page order: which chart draws the measure's own series."""

from __future__ import annotations

from reports.charts.base import Chart
from reports.charts.csp import fig_csp
from reports.charts.msg import fig_msg
from reports.charts.savings import fig_savings
from reports.charts.survey import fig_survey
from reports.charts.trend import fig_trend
from reports.charts.words import number_text


def _own_figures(trend: dict) -> list[dict]:
    """A running total's points with each period's own figure as the value.

    A period whose own figure is not known (the first, or one after a gap) is left out; a period
    never returned stays a gap."""
    return [
        {**p, "value": p.get("period_value")}
        for p in trend.get("points", [])
        if number_text(p.get("period_value")) or not number_text(p.get("value"))
    ]


def _series_charts(measure: dict, trend: dict, *, as_of, annotations) -> list[Chart]:
    """The chart(s) of the measure's own series: survey percentages with intervals, a running total
    (plus the SPC chart of each period's own figure when the payload has it), or the SPC chart."""
    unit = measure.get("unit")
    if unit == "percentage" and any(number_text(p.get("respondents")) for p in trend.get("points", [])):
        return [fig_survey(measure=measure, trend=trend, as_of=as_of)]
    if unit == "pounds" or measure.get("cumulative"):
        # A running total is progress against the challenge (no SPC words); SPC judges each
        # period's own figure, drawn as its own chart when the payload has it.
        charts = [fig_savings(measure=measure, trend=trend, as_of=as_of)]
        own = _own_figures(trend)
        if measure.get("cumulative") and any(number_text(p["value"]) for p in own):
            charts.append(
                fig_trend(
                    measure={**measure, "title": f"{measure.get('title', '')}, each period's own figure"},
                    trend={**trend, "points": own},
                    as_of=as_of,
                    annotations=annotations,
                )
            )
        return charts
    return [fig_trend(measure=measure, trend=trend, as_of=as_of, annotations=annotations)]


def measure_charts(payload: dict, *, as_of) -> list[Chart]:
    """Every chart of a `measure:<code>` payload, in page order (trend or survey or savings, MSG, CSP).

    as_of: the snapshot's date (or ISO string). Charts with nothing to draw are left out.
    """
    measure = payload.get("measure") or {}
    trend = payload.get("trend") or {"points": []}
    trend = {**trend, "area_name": (payload.get("focus_area") or {}).get("name")}
    charts = _series_charts(measure, trend, as_of=as_of, annotations=payload.get("annotations"))
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
