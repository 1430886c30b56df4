"""One status per measure and period, in place of RAG: SPC variation, MSG position, a sentence."""

import math

from reports.analysis.survey import wilson_interval

IMPROVEMENT = "improvement"
CONCERN = "concern"
NEUTRAL = "neutral"
COMMON_CAUSE = "common_cause"

UNIT_ALIASES = {
    "count": "count",
    "number": "count",
    "rate_per_1000": "rate_per_1000",
    "rate": "rate_per_1000",
    "rate per 1,000": "rate_per_1000",
    "percentage": "percentage",
    "percent": "percentage",
    "pct": "percentage",
    "%": "percentage",
    "pounds": "pounds",
    "gbp": "pounds",
    "£": "pounds",
}

VARIATION_PHRASES = {
    COMMON_CAUSE: "common-cause variation",
    IMPROVEMENT: "special-cause variation showing improvement",
    CONCERN: "special-cause variation of concern",
    NEUTRAL: "special-cause variation",
}

# The Most Similar Group verdict in words: every view (sentence, chart, table, measure page,
# Panel report) prints these, from the frozen position and relative, so no two views disagree.
POSITION_PHRASES = {
    "significantly_above": "significantly above the group average (outside the band)",
    "above": "above the group average but inside the band",
    "average": "at the group average",
    "below": "below the group average but inside the band",
    "significantly_below": "significantly below the group average (outside the band)",
}
RELATIVE_PHRASES = {"better": "better than peers", "similar": "similar to peers", "worse": "worse than peers"}


def msg_verdict(summary: dict | None, *, under_reported: bool = False) -> str | None:
    """The one Most Similar Group verdict for a frozen `msg.summary` (§5.2, R3).

    Input: the summary dict (focus_position, focus_relative). Output: e.g. "above the group
    average but inside the band, so similar to peers"; the position alone for a measure with no
    good direction or an under-reported one (R5); None when the focus force has no position.
    """
    position = POSITION_PHRASES.get((summary or {}).get("focus_position"))
    if position is None:
        return None
    relative = None if under_reported else RELATIVE_PHRASES.get(summary.get("focus_relative"))
    return f"{position}, so {relative}" if relative else position


def ordinal(number: int) -> str:
    """1 → "1st", 2 → "2nd", 11 → "11th", 21 → "21st"."""
    number = int(number)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _trim(text: str) -> str:
    """Drop a trailing ".0" so £20.0m reads £20m."""
    return text.removesuffix(".0")


def format_value(value: float | None, unit: str, *, count_noun: str | None = None) -> str:
    """Format a measure's value for a sentence or a table cell.

    Units: "count" → "1,234" (or "1,234 crimes" with count_noun="crimes"); "rate_per_1000"
    → "5.1 per 1,000"; "percentage" → "78.2%"; "pounds" → "£1.2m", "£850,000". Missing
    values give "no data".
    """
    kind = UNIT_ALIASES.get(str(unit).strip().lower())
    if kind is None:
        raise ValueError(f"unknown unit {unit!r}")
    if _missing(value):
        return "no data"
    value = float(value)
    sign = "-" if value < 0 else ""
    size = abs(value)
    if kind == "count":
        text = f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"
        return f"{text} {count_noun}" if count_noun else text
    if kind == "rate_per_1000":
        text = f"{value:,.1f}" if size >= 0.1 or size == 0 else f"{value:.2g}"
        return f"{text} per 1,000"
    if kind == "percentage":
        return f"{value:.1f}%"
    if size >= 1e9:
        return f"{sign}£{_trim(f'{size / 1e9:.1f}')}bn"
    if size >= 1e6:
        return f"{sign}£{_trim(f'{size / 1e6:.1f}')}m"
    return f"{sign}£{size:,.0f}"


def _percent(number: float) -> str:
    """A % change without its sign: whole percent, one decimal when under 1%."""
    size = abs(number)
    return f"{size:.1f}%" if 0 < size < 1 else f"{size:.0f}%"


def _rate_change_phrase(change: dict, *, under_reported: bool, comparison: str) -> str | None:
    verdict = change.get("verdict")
    pct = change.get("pct_change")
    if verdict in (None, "insufficient_data"):
        return None
    if under_reported:
        if change.get("change", 0) == 0:
            moved = f"recorded numbers were unchanged on {comparison}"
        else:
            verb = "rose" if change["change"] > 0 else "fell"
            size = f" {_percent(pct)}" if pct is not None else " from none"
            moved = f"recorded numbers {verb}{size} on {comparison}"
        tested = "" if verdict == "no_significant_change" else " (statistically significant)"
        return moved + tested
    if pct is None:
        # previous was 0, so there is no percentage; only an increase is possible.
        size = "a significant increase" if verdict == "significant_increase" else "an increase"
        return f"{size} from none {comparison}"
    if verdict == "significant_reduction":
        return f"a significant {_percent(pct)} reduction on {comparison}"
    if verdict == "significant_increase":
        return f"a significant {_percent(pct)} increase on {comparison}"
    if round(pct, 1) == 0:
        return f"no change on {comparison}"
    way = "reduction" if pct < 0 else "increase"
    return f"a {_percent(pct)} {way} on {comparison}, not a significant change"


def _survey_change_phrase(change: dict, *, comparison: str) -> str | None:
    verdict = change.get("verdict")
    diff = change.get("diff")
    if verdict in (None, "insufficient_data") or diff is None:
        return None
    points = f"{abs(diff):.1f} percentage points"
    if verdict == "significant_increase":
        return f"a significant rise of {points} on {comparison}"
    if verdict == "significant_decrease":
        return f"a significant fall of {points} on {comparison}"
    return f"no significant change on {comparison}"


def _msg_phrase(msg: dict, *, direction: str, under_reported: bool) -> str | None:
    rank, size = msg.get("focus_rank"), msg.get("group_size")
    if rank is None or not size:
        return None
    word = msg.get("rank_1_is") or ("highest" if direction == "up" else "lowest")
    if size == 1:
        where = "the only Most Similar Group member with data"
    elif rank == 1:
        where = f"{word} of {size} in the Most Similar Group"
    else:
        where = f"{ordinal(rank)} {word} of {size} in the Most Similar Group"
    verdict = msg_verdict(msg, under_reported=under_reported)
    return f"{where}, {verdict}" if verdict and size > 1 else where


def _tone(*, variation, change, direction, under_reported) -> str:
    if under_reported:
        return NEUTRAL
    if variation is not None:
        return variation
    verdict = (change or {}).get("verdict")
    rose = verdict == "significant_increase"
    fell = verdict in ("significant_reduction", "significant_decrease")
    if rose or fell:
        if direction == "neither":
            return NEUTRAL
        return IMPROVEMENT if (rose and direction == "up") or (fell and direction == "down") else CONCERN
    if verdict == "no_significant_change":
        return COMMON_CAUSE
    return NEUTRAL


def measure_status(
    *,
    title: str,
    unit: str,
    direction: str,
    under_reported: bool,
    period_label: str,
    latest_value: float | None,
    variation: str | None,
    change: dict | None,
    msg: dict | None,
    survey: bool = False,
    respondents: int | None = None,
    comparison_label: str = "the year before",
    count_noun: str | None = None,
    limits: dict | None = None,
) -> dict:
    """The one status for a measure and period (no targets, R2; R5 for under-reported crime).

    Inputs: the measure's title, unit ("count", "rate_per_1000", "percentage", "pounds"),
    direction ("up", "down", "neither"), under_reported flag, a period label ("12 months to
    May 2014"), the latest value in that unit, the SPC variation of the latest point (from
    `spc.latest_variation`), the change dict (from `significance.rate_change` or, when
    survey=True, `survey.two_proportion_test`), the MSG summary dict (from
    `msg.msg_comparison`) and, for surveys, the respondents (adds a 95% interval). `limits` is
    the latest set of SPC limits (a `trend.limits` entry of PAYLOADS.md: baseline_points,
    min_points, provisional); provisional limits are said so in the sentence (§5.4).

    Output keys: variation ("improvement", "concern", "neutral", "common_cause" or None;
    never improvement/concern for under-reported measures), msg_relative ("better",
    "similar", "worse", "neither" or None), tone (for colour: "improvement", "concern",
    "neutral" or "common_cause"; always "neutral" when under-reported) and sentence.
    """
    if under_reported and variation in (IMPROVEMENT, CONCERN):
        variation = NEUTRAL
    msg_relative = None if msg is None else msg.get("focus_relative")
    if under_reported and msg_relative is not None:
        msg_relative = "neither"

    value_text = format_value(latest_value, unit, count_noun=count_noun)
    if survey and respondents:
        low, high = wilson_interval(latest_value, respondents)
        if low is not None:
            value_text += f" (95% interval {low:.1f}% to {high:.1f}%, {respondents:,} respondents)"

    first = [f"{title}: {period_label}", value_text]
    if change:
        if survey:
            phrase = _survey_change_phrase(change, comparison=comparison_label)
        else:
            phrase = _rate_change_phrase(change, under_reported=under_reported, comparison=comparison_label)
        if phrase:
            first.append(phrase)
    parts = [", ".join(first)]
    if under_reported:
        rose = bool(change) and (change.get("change") or 0) > 0
        parts.append(
            "a rise in recording of under-reported crime is accepted and is not read as failure"
            if rose
            else "this crime is under-reported, so recorded numbers reflect reporting as well as offending"
        )
    if variation is not None:
        phrase = VARIATION_PHRASES.get(variation, variation)
        if limits and limits.get("provisional"):
            phrase += (
                f" (provisional limits: from {limits['baseline_points']} points, fewer than {limits['min_points']})"
            )
        parts.append(phrase)
    if msg:
        phrase = _msg_phrase(msg, direction=direction, under_reported=under_reported)
        if phrase:
            parts.append(phrase)
    return {
        "variation": variation,
        "msg_relative": msg_relative,
        "tone": _tone(
            variation=variation,
            change=change,
            direction=direction,
            under_reported=under_reported,
        ),
        "sentence": "; ".join(parts) + ".",
    }
