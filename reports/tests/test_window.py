"""Tests for reports.payloads.window: pages and papers draw a bounded recent window of a stored payload."""

from reports.payloads.window import PAGE_WINDOW, recent_window
from reports.report_pages import main_chart


def _payload(months: int) -> dict:
    points = [{"period_end": f"{2000 + i // 12}-{i % 12 + 1:02d}-28", "value": float(i)} for i in range(months)]
    return {
        "trend": {"granularity": "month", "points": points},
        "csp": [{"area_code": "E1", "points": [dict(p) for p in points]}],
        "annotations": [{"date": "2000-01-15", "label": "old"}, {"date": points[-1]["period_end"], "label": "new"}],
    }


def test_recent_window_short_series_unchanged():
    payload = _payload(24)
    shown, window = recent_window(payload)
    assert shown is payload and window is None


def test_recent_window_long_series_keeps_latest_periods_only():
    payload = _payload(600)
    shown, window = recent_window(payload)
    limit = PAGE_WINDOW["month"]
    assert window == {"shown": limit, "total": 600}
    assert shown["trend"]["points"] == payload["trend"]["points"][-limit:]
    assert len(shown["csp"][0]["points"]) == limit
    assert [a["label"] for a in shown["annotations"]] == ["new"]
    assert len(payload["trend"]["points"]) == 600  # the stored payload (CSV, API) keeps every period


def test_report_chart_draws_recent_window_and_says_so(plan):
    """The Panel report and public page charts stay the same size however long the history."""
    import datetime as dt

    from priorities.models import Measure
    from reports.tests.factories import measure_payload

    as_of = dt.date(2014, 5, 31)
    payload = measure_payload(Measure.objects.get(code="all_crime"), as_of=as_of, points=150)
    chart = main_chart(payload, as_of=as_of, suffix="x")
    assert len(chart.table_rows) == PAGE_WINDOW["month"]
    assert any("latest 60 of 150 periods" in note for note in chart.notes)
