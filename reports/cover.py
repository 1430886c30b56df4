"""The cover of a board pack or Panel report: one row per measure with its one status.

Read from frozen payloads only (one version of the truth): the meeting's snapshot and the previous meeting's, so the
"changed since the last meeting" column compares two frozen statuses and never today's data.
"""

from __future__ import annotations

from pcc_dashboard import vocabulary
from reports.analysis.status import format_value, msg_verdict
from reports.charts.words import period_name
from reports.models import Meeting, Snapshot
from reports.presenters import TONE_CSS
from reports.selectors import meeting_previous, meeting_snapshot_date, snapshot_result, snapshots_visible_to

SPECIAL_CAUSE = ("improvement", "concern", "neutral")


def _position(status: dict | None) -> tuple:
    status = status or {}
    return status.get("variation"), status.get("msg_relative")


def _status_words(status: dict | None) -> str:
    variation, relative = _position(status)
    words = vocabulary.label("variation_tag", variation, default="no SPC result").lower()
    if relative in vocabulary.MSG_RELATIVE and relative != "neither":
        words += ", " + vocabulary.MSG_RELATIVE[relative]
    return words


def _high_or_low(payload: dict) -> str:
    """'H' when the latest point is above its mean, 'L' below: the letter in the icon (NHS MDC)."""
    points = [p for p in (payload.get("trend") or {}).get("points", []) if p.get("value") is not None]
    if not points or points[-1].get("mean") is None:
        return ""
    return "H" if points[-1]["value"] > points[-1]["mean"] else "L"


def cover_rows(*, snapshot: Snapshot, previous: Snapshot | None, entries: list[dict], payloads: dict) -> list[dict]:
    """One row per measure, in the order of `entries`.

    Input: the meeting's snapshot; the previous meeting's snapshot (None when there is none or it
    is not frozen); `entries`, the snapshot's overview entries of the measures to list (code,
    title, unit, under_reported, latest, status: PAYLOADS.md "overview"); `payloads`, their
    `measure_recent:` payloads by code (for the MSG summary and the latest point).
    Output rows: code, title, value (formatted in the measure's unit), period ("June 2014"),
    variation (improvement / concern / neutral / common_cause / None), variation_words, icon_letter
    ("H"/"L" for special cause), css, msg (the one verdict phrase of `msg_verdict`), changed (bool),
    change_words, sentence, exception (special cause or a changed status).
    """
    before = {}
    if previous is not None:
        before = {m["code"]: m for m in (snapshot_result(previous, "overview") or {}).get("measures", [])}
    rows = []
    for entry in entries:
        payload = payloads.get(entry["code"]) or {}
        status = entry.get("status") or {}
        variation = status.get("variation")
        under_reported = bool(entry.get("under_reported"))
        verdict = msg_verdict((payload.get("msg") or {}).get("summary"), under_reported=under_reported)
        if previous is None:
            changed, change_words = False, "No earlier meeting to compare with"
        elif entry["code"] not in before:
            changed, change_words = False, "Not reported at the last meeting"
        elif _position(before[entry["code"]].get("status")) != _position(status):
            changed = True
            change_words = f"Changed: was {_status_words(before[entry['code']].get('status'))}"
        else:
            changed, change_words = False, "No change"
        latest = entry.get("latest") or {}
        rows.append(
            {
                "code": entry["code"],
                "title": entry.get("title", ""),
                "value": format_value(latest.get("value"), entry.get("unit", "count")),
                "period": period_name(latest) if latest.get("period_end") else "",
                "variation": variation,
                "variation_words": vocabulary.label("variation_tag", variation, default="No SPC result"),
                "icon_letter": _high_or_low(payload) if variation in SPECIAL_CAUSE else "",
                "css": TONE_CSS.get(variation, "govuk-tag--grey"),
                "msg": verdict or "No Most Similar Group comparison",
                "changed": changed,
                "change_words": change_words,
                "sentence": status.get("sentence", ""),
                "exception": variation in SPECIAL_CAUSE or changed,
            }
        )
    return rows


def cover_context(
    *, meeting: Meeting, snapshot: Snapshot, user, codes: list[str], payloads: dict, exceptions: bool
) -> dict:
    """What templates/reports/_cover.html needs for a meeting: the rows of `codes` (in that order,
    the measures the audience may see), compared with the board's previous meeting's snapshot.

    exceptions=True keeps only the rows with special cause variation or a changed status.
    """
    previous_meeting = meeting_previous(meeting)
    previous = None
    if previous_meeting is not None:
        previous = snapshots_visible_to(user).filter(as_of=meeting_snapshot_date(previous_meeting.date)).first()
    overview = {m["code"]: m for m in (snapshot_result(snapshot, "overview") or {}).get("measures", [])}
    rows = cover_rows(
        snapshot=snapshot,
        previous=previous,
        entries=[overview[c] for c in codes if c in overview],
        payloads=payloads,
    )
    shown = [r for r in rows if r["exception"]] if exceptions else rows
    return {
        "cover": shown,
        "cover_total": len(rows),
        "cover_exceptions": exceptions,
        "previous_date": previous_meeting.date if previous is not None else None,
    }
