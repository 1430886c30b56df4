"""Read time: what a page draws of a stored `measure:` payload (its recent window) and the note of the cut."""

from __future__ import annotations

# Pages draw a bounded recent window so their size and render time do not grow with history;
# the SPC limits are precomputed per point, so trimming is presentation only. Downloads and the
# API keep every period.
PAGE_WINDOW = {"month": 60, "quarter": 20}
PAGE_WINDOW_DEFAULT = 20


def recent_window(payload: dict) -> tuple[dict, dict | None]:
    """A `measure:` payload with the trend (and each CSP series) cut to the latest periods, and a
    note of the cut ({"shown", "total"}; None when nothing was cut). Annotations before the first
    period shown are left out."""
    trend = payload.get("trend") or {}
    points = trend.get("points") or []
    limit = PAGE_WINDOW.get(trend.get("granularity"), PAGE_WINDOW_DEFAULT)
    csp = payload.get("csp") or []
    longest_csp = max((len(item.get("points") or []) for item in csp), default=0)
    if len(points) <= limit and longest_csp <= limit:
        return payload, None
    shown = points[-limit:]
    cutoff = shown[0]["period_end"] if shown else None
    annotations = [a for a in payload.get("annotations") or [] if cutoff is None or a.get("date", "") >= cutoff]
    trimmed = {
        **payload,
        "trend": {**trend, "points": shown},
        "csp": [{**item, "points": (item.get("points") or [])[-limit:]} for item in csp],
        "annotations": annotations,
    }
    total = len(points) if points else longest_csp
    return trimmed, {"shown": min(limit, total), "total": total}


def recent_payload(payload: dict) -> dict:
    """`measure_recent:<code>`: what a page draws of `measure:<code>` (recent_window), plus the note
    of the cut under "window", so a report reads a payload whose size does not grow with history.
    "all_annotations" keeps every annotation (a handful) for the measure page's list of events."""
    shown, window = recent_window(payload)
    return {**shown, "window": window, "all_annotations": payload.get("annotations") or []}


def page_window(payload: dict) -> tuple[dict, dict | None]:
    """What a page draws and the note of the cut: a `measure_recent:` payload is cut already and
    carries its note; a full `measure:` payload (a snapshot frozen before them) is cut here."""
    return (payload, payload["window"]) if "window" in payload else recent_window(payload)
