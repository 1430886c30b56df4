"""Reads behind the public page and the thematic Panel report: frozen payloads, charts, the theme."""

from dataclasses import replace

from django.conf import settings

from pcc_dashboard import vocabulary
from priorities.models import Measure, Priority, Theme
from priorities.selectors import measures_visible_to
from reports.analysis.status import format_value, msg_verdict, percent_text
from reports.charts.csp import fig_csp
from reports.charts.measure import measure_charts
from reports.charts.msg import fig_msg
from reports.charts.words import period_name
from reports.cover import cover_context
from reports.models import Commentary, Meeting, Snapshot, SnapshotResult
from reports.paper import paper_chart
from reports.payloads.window import page_window
from reports.selectors import narratives_visible_to
from returns.periods import previous_month_end


def measure_payloads(snapshot: Snapshot, codes: list[str], *, recent: bool = False) -> dict[str, dict]:
    """`measure:<code>` payloads for these codes, in one query (missing ones left out).

    recent=True reads the bounded `measure_recent:<code>` payloads instead (what a chart of the
    recent window needs; their size does not grow with history). A snapshot frozen before those
    existed falls back to the full payloads, in a second query.
    """
    prefix = "measure_recent:" if recent else "measure:"
    rows = SnapshotResult.objects.filter(snapshot=snapshot, key__in=[f"{prefix}{c}" for c in codes])
    found = {key.removeprefix(prefix): payload for key, payload in rows.values_list("key", "payload")}
    missing = [c for c in codes if c not in found]
    if recent and missing:
        found.update(measure_payloads(snapshot, missing))
    return found


def main_chart(payload: dict, *, as_of, suffix: str):
    """The measure's own chart (trend, survey or savings) over the recent window, with a unique DOM id."""
    shown, window = page_window(payload)
    chart = measure_charts({**shown, "msg": None, "csp": None}, as_of=as_of)[0]
    notes = list(chart.notes)
    if window:
        notes.append(
            f"Showing the latest {window['shown']} of {window['total']} periods; the CSV download has them all."
        )
    return replace(chart, id=f"{chart.id}-{suffix}", notes=notes)


def public_figures(snapshot: Snapshot) -> list[dict]:
    """Each public measure's status sentence and trend chart; restricted measures never enter."""
    measures = list(measures_visible_to(None).order_by("order", "code"))
    payloads = measure_payloads(snapshot, [m.code for m in measures], recent=True)
    figures = []
    for measure in measures:
        payload = payloads.get(measure.code)
        if payload is None:
            continue
        figures.append(
            {
                "measure": measure,
                "sentence": (payload.get("status") or {}).get("sentence", ""),
                "chart": main_chart(payload, as_of=snapshot.as_of, suffix=measure.code),
            }
        )
    return figures


def panel_theme(meeting: Meeting) -> Theme | None:
    """The override, else the rotation: the nth Panel meeting by date gets rotation[n % len]."""
    if meeting.theme_override_id:
        return meeting.theme_override
    rotation = list(settings.PANEL_THEME_ROTATION)
    if not rotation:
        return None
    earlier = Meeting.objects.filter(board__is_panel=True, date__lt=meeting.date).count()
    return Theme.objects.filter(number=rotation[earlier % len(rotation)]).first()


def panel_snapshot(meeting: Meeting) -> Snapshot | None:
    """The meeting sees the snapshot at the end of the month before it."""
    return Snapshot.objects.select_related("publication").filter(as_of=previous_month_end(meeting.date)).first()


def panel_report(*, meeting: Meeting, theme: Theme, snapshot: Snapshot, user, exceptions: bool = False) -> dict:
    """Everything the thematic report shows, read from the meeting's frozen snapshot, with its
    cover (reports.cover). exceptions=True keeps only the measures with special cause variation or a
    changed status since the board's previous meeting, on the cover and in the priorities (a priority
    with none of them is left out).
    A measure under several priorities of the theme has its charts once, under the first; later
    priorities list it with its status and "shown_under" (that first priority).

    The report is made for the board's audience (the Panel), whoever reads or downloads it: no
    restricted measure, nor its context, caveats, annotations, nor narratives on restricted
    priorities, even in the co-ordinator's copy.
    """
    audience = meeting.board.audience_role
    visible = measures_visible_to(user, audience=audience).order_by("order", "code")
    priorities = list(Priority.objects.filter(theme=theme).order_by("number").prefetch_related("measures"))
    visible_codes = set(visible.values_list("code", flat=True))
    # Only the theme's measures, and only their bounded recent payloads: the report's cost does
    # not grow with the number of other measures or the length of their history.
    shown_codes = {m.code for p in priorities for m in p.measures.all() if m.code in visible_codes}
    payloads = measure_payloads(snapshot, sorted(shown_codes), recent=True)
    commentary = dict(
        Commentary.objects.filter(snapshot=snapshot, measure__code__in=shown_codes).values_list("measure_id", "text")
    )
    theme_context = Commentary.objects.filter(snapshot=snapshot, theme=theme).values_list("text", flat=True).first()
    numbers = {p.number for p in priorities}
    narratives = [
        item
        for item in narratives_visible_to(user, snapshot, audience=audience)
        if item.get("priority_number") in numbers
    ]
    sections, caveats, titles = [], [], []
    items_by_code: dict[str, dict] = {}
    first_under: dict[str, Priority] = {}
    for priority in priorities:
        items = []
        for measure in sorted(priority.measures.all(), key=lambda m: (m.order, m.code)):
            payload = payloads.get(measure.code)
            if measure.code not in visible_codes or payload is None:
                continue
            if measure.code in first_under:
                # A measure under several priorities: its figures once, under the first; here its status.
                items.append({**items_by_code[measure.code], "charts": [], "shown_under": first_under[measure.code]})
                continue
            item = _measure_item(measure, payload, snapshot, priority, commentary)
            items.append(item)
            items_by_code[measure.code], first_under[measure.code] = item, priority
            titles.append(measure.code)
            caveats.extend(_caveats(measure, as_of=snapshot.as_of))
        sections.append(
            {
                "priority": priority,
                "measures": items,
                "narratives": narrative_groups([n for n in narratives if n.get("priority_number") == priority.number]),
            }
        )
    cover = cover_context(
        meeting=meeting, snapshot=snapshot, user=user, codes=titles, payloads=payloads, exceptions=exceptions
    )
    if exceptions:  # the exceptions' paper: their priorities and figures only
        shown = {row["code"] for row in cover["cover"]}
        sections = [
            {**section, "measures": kept}
            for section in sections
            if (kept := [item for item in section["measures"] if item["measure"].code in shown])
        ]
        titles = [code for code in titles if code in shown]
    # The caveats of the measures this paper shows, and of no other.
    caveats = [caveat for caveat in caveats if caveat["code"] in titles]
    return {
        **cover,
        "theme_context": theme_context,
        "sections": sections,
        "caveats": _caveats_once(caveats),
        "measure_count": len(titles),
    }


def _measure_item(measure: Measure, payload: dict, snapshot: Snapshot, priority: Priority, commentary: dict) -> dict:
    suffix = f"sp{priority.number}-{measure.code}"
    measure_header = payload.get("measure") or {}
    msg_chart = fig_msg(
        measure=measure_header,
        msg=payload.get("msg"),
        as_of=snapshot.as_of,
        focus_area=(payload.get("focus_area") or {}).get("code"),
    )
    # The recent window, whichever payload was read (a full one from an older snapshot is cut here).
    csp_chart = fig_csp(measure=measure_header, csp=page_window(payload)[0].get("csp"), as_of=snapshot.as_of)
    shown = [
        main_chart(payload, as_of=snapshot.as_of, suffix=suffix),
        replace(msg_chart, id=f"msg-{suffix}") if msg_chart else None,
        replace(csp_chart, id=f"csp-{suffix}") if csp_chart else None,
    ]
    unit = measure_header.get("unit") or measure.unit
    return {
        "measure": measure,
        "sentence": (payload.get("status") or {}).get("sentence", ""),
        "significance": significance_sentence(payload.get("change")),
        "msg_summary": (payload.get("msg") or {}).get("summary"),
        "msg_verdict": msg_verdict((payload.get("msg") or {}).get("summary"), under_reported=measure.under_reported),
        "charts": [paper_chart(chart, unit=unit) for chart in shown if chart is not None],
        "context": commentary.get(measure.pk),
    }


def significance_sentence(change: dict | None) -> str:
    """The latest 12 months against the 12 before, in words, with the test's numbers."""
    if not change:
        return "No test of change is available for this measure in this snapshot."
    verdict = vocabulary.label("verdict_phrase", change.get("verdict"), default="no test result")
    survey = change.get("test") == "two_proportion_z"
    compared = "Latest survey against the same period a year before" if survey else "Latest 12 months against the 12 before"
    parts = [f"{compared}: {verdict}"]
    if change.get("pct_change") is not None:
        text = percent_text(change["pct_change"], signed=True)
        if change.get("pct_change_low") is not None and change.get("pct_change_high") is not None:
            low, high = (percent_text(change[k], signed=True) for k in ("pct_change_low", "pct_change_high"))
            text += f" (95% interval {low} to {high})"
        parts.append(text)
    elif change.get("diff") is not None:
        sign = "+" if change["diff"] > 0 else ""
        parts.append(f"{sign}{format_value(change['diff'], 'percentage').removesuffix('%')} percentage points")
    if change.get("p_value") is not None:
        # Three decimals at most on paper: a smaller p-value reads "p < 0.001".
        p_value = change["p_value"]
        parts.append("p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}".rstrip("0").rstrip("."))
    return ", ".join(parts) + "."


def narrative_groups(items: list[dict]) -> list[dict]:
    """CSP narratives for one priority as a reader wants them: latest quarter first, each distinct
    text once, with the partnerships that wrote it and every quarter it was written for.

    Input: narrative items ({submitter, period_start, period_end, text}, ISO dates). Output:
    [{"period": "July to September 2014", "entries": [{"text", "submitters": [names],
    "periods": [period names, newest first]}]}], an entry shown under the newest quarter of its text.
    """
    entries: dict[str, dict] = {}
    for item in sorted(items, key=lambda i: (i["period_end"], i["period_start"]), reverse=True):
        text = " ".join(str(item.get("text") or "").split())
        if not text:
            continue
        entry = entries.setdefault(text, {"text": item["text"], "submitters": [], "periods": [], "end": item["period_end"]})
        if item["submitter"] not in entry["submitters"]:
            entry["submitters"].append(item["submitter"])
        period = period_name(item)
        if period not in entry["periods"]:
            entry["periods"].append(period)
    quarters: dict[str, dict] = {}
    for entry in entries.values():
        quarter = quarters.setdefault(entry["end"], {"period": entry["periods"][0], "entries": []})
        entry["submitters"].sort()
        quarter["entries"].append(entry)
    return [quarters[end] for end in sorted(quarters, reverse=True)]


def _caveats_once(caveats: list[dict]) -> list[dict]:
    """Each caveat text once, with every measure it applies to: [{"measures": [titles], "text"}].

    Texts that differ only in spacing (a plan file's folded lines) or letter case are the same caveat.
    """
    merged: dict[str, dict] = {}
    for caveat in caveats:
        key = " ".join(caveat["text"].split()).casefold()
        entry = merged.setdefault(key, {"measures": [], "text": " ".join(caveat["text"].split())})
        if caveat["measure"] not in entry["measures"]:
            entry["measures"].append(caveat["measure"])
    return list(merged.values())


def caveat_applies(measure: Measure, *, as_of) -> bool:
    """Whether a measure's caveat belongs in a snapshot as at as_of (a date).

    A caveat dated by the plan file (caveats_from) describes a change from that date: a snapshot
    before it never saw the change, so it does not show the caveat. An undated caveat is general
    and shows in every snapshot.
    """
    return measure.caveats_from is None or measure.caveats_from <= as_of


def _caveats(measure: Measure, *, as_of) -> list[dict]:
    """A measure's caveats for a paper as at as_of: [{"code", "measure" (title), "text"}]."""
    out = []
    if measure.caveats and caveat_applies(measure, as_of=as_of):
        out.append({"code": measure.code, "measure": measure.title, "text": measure.caveats})
    if measure.under_reported:
        out.append(
            {
                "code": measure.code,
                "measure": measure.title,
                "text": "Under-reported crime: a rise in recording can mean more victims come forward, "
                "so it is never shown as failure.",
            }
        )
    return out
