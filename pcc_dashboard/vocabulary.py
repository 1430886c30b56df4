"""People's words for the codes the product stores: one dict per kind of code, read through `label`.

Pages, PDFs, download headers and the API's label fields take their words from here, so a code is
never shown to a person and each code has one wording. Add a code's words here when you add the
code (a new SPC rule, audit event or state); tests fail on a code that shows without them.
Pure Python, no Django. Labels of model fields with choices (a measure's unit, direction and
frequency, a return's status) are the models' TextChoices; `DIRECTIONS` and `UNITS` here are the
same words, for payloads read without the models.
"""

from __future__ import annotations

# SPC variation of a point (statistical process control after NHS "Making Data Count"): the codes
# the statistics store, then their words as a label (chart legends and tables), as the short word
# on a status tag, and inside a sentence.
COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL = "common_cause", "improvement", "concern", "neutral"
SPECIAL_CAUSE = (IMPROVEMENT, CONCERN, NEUTRAL)
VARIATION = {
    COMMON_CAUSE: "Common cause variation",
    IMPROVEMENT: "Special cause: improvement",
    CONCERN: "Special cause: concern",
    NEUTRAL: "Special cause: no good direction",
}
VARIATION_TAG = {
    COMMON_CAUSE: "Common cause variation",
    IMPROVEMENT: "Improvement",
    CONCERN: "Concern",
    NEUTRAL: "Special cause variation",
}
VARIATION_PHRASE = {
    COMMON_CAUSE: "common cause variation",
    IMPROVEMENT: "special cause variation showing improvement",
    CONCERN: "special cause variation of concern",
    # No judging word here: under-reported measures, whose rise is accepted, read this in their sentence.
    NEUTRAL: "special cause variation",
}

# The SPC rules that flag special cause variation, in the order they are reported; how many
# points make a run is a setting.
BEYOND_LIMIT, SHIFT, TREND, TWO_OF_THREE = "beyond_limit", "shift", "trend", "two_of_three"
SPC_RULES = {
    BEYOND_LIMIT: "a point beyond a process limit",
    SHIFT: "a run of points on one side of the mean",
    TREND: "a run of points rising or falling",
    TWO_OF_THREE: "2 of 3 points beyond the same 2-sigma line",
}

# The force's position in its Most Similar Group of forces, and what that means for the force.
SIGNIFICANTLY_ABOVE, ABOVE, AVERAGE = "significantly_above", "above", "average"
BELOW, SIGNIFICANTLY_BELOW = "below", "significantly_below"
MSG_POSITIONS = {
    SIGNIFICANTLY_ABOVE: "significantly above the group average (outside the band)",
    ABOVE: "above the group average but inside the band",
    AVERAGE: "at the group average",
    BELOW: "below the group average but inside the band",
    SIGNIFICANTLY_BELOW: "significantly below the group average (outside the band)",
}
MSG_RELATIVE = {
    "better": "better than similar forces",
    "similar": "in line with similar forces",
    "worse": "worse than similar forces",
    "neither": "no better or worse than similar forces: a rise in recording is accepted",
}

# The test of change on the year before.
VERDICTS = {
    "significant_reduction": "Statistically significant reduction",
    "significant_increase": "Statistically significant increase",
    "significant_decrease": "Statistically significant decrease",
    "no_significant_change": "No statistically significant change",
    "insufficient_data": "Not enough data to test",
}
# The same verdicts inside a sentence ("Latest 12 months against the 12 before: …").
VERDICT_PHRASES = {
    "significant_reduction": "a statistically significant reduction",
    "significant_increase": "a statistically significant increase",
    "significant_decrease": "a statistically significant decrease",
    "no_significant_change": "no statistically significant change",
    "insufficient_data": "too few figures to test for a significant change",
}
# For under-reported crime a change is in recording, and a rise is accepted.
UNDER_REPORTED_VERDICTS = {
    "significant_reduction": "Statistically significant fall in recorded numbers",
    "significant_increase": "Statistically significant rise in recorded numbers (accepted: under-reported crime)",
}

# What the audit log records (returns.models.AuditEvent.action).
AUDIT_EVENTS = {
    "upload": "Upload",
    "upload_failed": "Upload failed validation",
    "accept": "Accepted",
    "reject": "Rejected",
    "import_home_office_prc": "Home Office import",
    "import_police_uk": "data.police.uk import",
    "import_return": "Command-line import",
    "outcome_audit": "Outcome audit entered",
    "snapshot_freeze": "Snapshot frozen",
    "snapshot_publish": "Snapshot published",
}

# A return's state: its status (returns.models.ReturnStatus) and where it stands in the tracker.
RETURN_STATES = {
    "submitted": "Awaiting decision",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "superseded": "Superseded by a later version",
    "not_due": "Not yet due",
    "awaiting_decision": "Awaiting decision",
    "missing": "Missing",
    "late": "Late",
}

# How a return arrived (returns.models.Return.source).
RETURN_SOURCES = {
    "upload": "uploaded on the website",
    "import_return": "imported on the command line",
    "import_home_office_prc": "imported from Home Office open data",
    "import_police_uk": "imported from data.police.uk",
    "seed_demo": "demonstration data",
}

UNITS = {
    "count": "Number",
    "rate_per_1000": "Rate per 1,000 population",
    "percentage": "Percentage (%)",
    "pounds": "Pounds (£)",
}
DIRECTIONS = {"up": "Higher is better", "down": "Lower is better", "neither": "No good direction"}

KINDS = {
    "variation": VARIATION,
    "variation_tag": VARIATION_TAG,
    "variation_phrase": VARIATION_PHRASE,
    "rule": SPC_RULES,
    "msg_position": MSG_POSITIONS,
    "msg_relative": MSG_RELATIVE,
    "verdict": VERDICTS,
    "verdict_phrase": VERDICT_PHRASES,
    "audit": AUDIT_EVENTS,
    "return_state": RETURN_STATES,
    "return_source": RETURN_SOURCES,
    "unit": UNITS,
    "direction": DIRECTIONS,
}


def label(kind: str, code: str | None, *, default: str = "") -> str:
    """The words for `code` of `kind` (a key of KINDS); `default` for None or "".

    A code with no words yet reads as words ("two_of_three" → "Two of three"), never as the code;
    the vocabulary tests list every known code, so a missing entry still fails a test.
    Raises KeyError for an unknown kind.
    """
    if not code:
        return default
    words = KINDS[kind].get(code)
    return words if words is not None else code.replace("_", " ").capitalize()


def rules_label(rules: str | list[str] | None) -> str:
    """SPC rules that fired, as stored ("beyond_limit,shift" or a list), in words joined by "; "."""
    if isinstance(rules, str):
        rules = [r for r in rules.split(",") if r.strip()]
    return "; ".join(label("rule", r.strip()) for r in rules or [])


def codes() -> set[str]:
    """Every code this module gives words for (what the pages are searched for)."""
    return {code for words in KINDS.values() for code in words}
