"""Words for frozen payloads on snapshot pages: status tags, significance in plain English (no HTML)."""

from __future__ import annotations

from pcc_dashboard import vocabulary
from pcc_dashboard.template_words import day_words
from reports.analysis.status import format_value, msg_verdict, percent_text

# GOV.UK tag colours for the one status. The word is always printed: colour is never the only cue.
TONE_CSS = {
    vocabulary.IMPROVEMENT: "govuk-tag--blue",
    vocabulary.CONCERN: "govuk-tag--orange",
    vocabulary.NEUTRAL: "govuk-tag--purple",
    vocabulary.COMMON_CAUSE: "govuk-tag--grey",
}
UNDER_REPORTED_TAG = ("Trend and context only", "govuk-tag--purple")
NO_FIGURES_TAG = ("No figures in this snapshot", "govuk-tag--grey")


def status_tag(entry: dict | None, *, under_reported: bool) -> dict:
    """{"word", "css"} for a measure's status; under-reported measures never get improvement/concern."""
    if entry is None:
        word, css = NO_FIGURES_TAG
    elif under_reported:
        word, css = UNDER_REPORTED_TAG
    else:
        tone = (entry.get("status") or {}).get("tone")
        word, css = (vocabulary.label("variation_tag", tone), TONE_CSS[tone]) if tone in TONE_CSS else NO_FIGURES_TAG
    return {"word": word, "css": css}


def attach_statuses(priorities, overview: dict | None) -> None:
    """Give each visible measure of each priority its frozen overview entry and status tag."""
    entries = {m["code"]: m for m in (overview or {}).get("measures", [])}
    for priority in priorities:
        for measure in getattr(priority, "visible_measures", []):
            entry = entries.get(measure.code)
            measure.snapshot_entry = entry
            measure.status_tag = status_tag(entry, under_reported=measure.under_reported)
            measure.status_sentence = ((entry or {}).get("status") or {}).get("sentence", "")


def _pct(value) -> str:
    return "" if value is None else percent_text(value, signed=True)


def significance_rows(change: dict | None, *, measure: dict) -> list[tuple[str, str]]:
    """Summary-list rows (key, value) for a frozen change test (counts, or survey percentages)."""
    if not change:
        return []
    under_reported = bool(measure.get("under_reported"))
    verdict = change.get("verdict")
    words = (vocabulary.UNDER_REPORTED_VERDICTS.get(verdict) if under_reported else None) or vocabulary.label(
        "verdict", verdict
    )
    p_value = change.get("p_value")
    p_text = "" if p_value is None else ("less than 0.001" if p_value < 0.001 else f"{p_value:.3f}")
    if change.get("test") == "two_proportion_z":
        rows = [
            ("Earlier survey", f"{change.get('pct1')}% of {change.get('n1')} respondents"),
            ("Latest survey", f"{change.get('pct2')}% of {change.get('n2')} respondents"),
            ("Change", "" if change.get("diff") is None else f"{change['diff']:+.1f} percentage points"),
            ("Test", "Two-proportion z test, 5% significance level"),
        ]
    else:
        unit = measure.get("unit", "count")
        interval = ""
        if change.get("pct_change_low") is not None and change.get("pct_change_high") is not None:
            interval = f"{_pct(change['pct_change_low'])} to {_pct(change['pct_change_high'])}"
        rows = [
            ("Latest 12 months", format_value(change.get("current"), unit)),
            ("Previous 12 months", format_value(change.get("previous"), unit)),
            ("Percentage change", _pct(change.get("pct_change")) or "not defined (no previous count)"),
            ("95% interval of the change", interval or "not available"),
            ("Test", "Exact conditional (binomial) test of the two counts, 5% significance level"),
        ]
    return rows + [("p-value", p_text or "not available"), ("Verdict", words or "")]


def msg_rows(msg: dict | None, *, under_reported: bool = False) -> list[tuple[str, str]]:
    """Summary-list rows for the frozen Most Similar Group comparison."""
    if not msg:
        return []
    summary = msg.get("summary") or {}
    used = "mean of members' rates" if summary.get("average_used", "mean") == "mean" else "pooled rate"
    rows = [
        ("Group", msg.get("group", "")),
        ("Period", f"{day_words(msg.get('period_start'))} to {day_words(msg.get('period_end'))}"),
    ]
    if summary.get("average") is not None:
        rows.append(("Group average", f"{summary['average']:.2f} per 1,000 ({used})"))
    if summary.get("pooled_rate") is not None:
        rows.append(("Pooled rate", f"{summary['pooled_rate']:.2f} per 1,000"))
    if summary.get("focus_rank") is not None:
        rows.append(
            (
                "Rank",
                f"{summary['focus_rank']} of {summary.get('group_size')} "
                f"(1 = {summary.get('rank_1_is', 'lowest')} rate)",
            )
        )
    verdict = msg_verdict(summary, under_reported=under_reported)
    if verdict:
        rows.append(("Position", verdict[0].upper() + verdict[1:]))
    return rows
