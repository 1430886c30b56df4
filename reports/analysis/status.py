"""One status per measure and period, in place of RAG: SPC variation, MSG position, a sentence."""

import math
import re

from pcc_dashboard import vocabulary
from pcc_dashboard.vocabulary import COMMON_CAUSE, CONCERN, IMPROVEMENT, NEUTRAL
from reports.analysis import round_half_up
from reports.analysis.survey import wilson_interval

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

def msg_verdict(summary: dict | None, *, under_reported: bool = False) -> str | None:
    """The one Most Similar Group verdict for a frozen `msg.summary`, in the words of
    pcc_dashboard.vocabulary: every view (sentence, chart, table, measure page, Panel report, API
    label) prints it from the frozen position and relative, so no two views disagree.

    Input: the summary dict (focus_position, focus_relative). Output: e.g. "above the group
    average but inside the band, so in line with similar forces"; the position alone for a
    measure with no good direction or an under-reported one; None when the focus force has
    no position.
    """
    position = vocabulary.MSG_POSITIONS.get((summary or {}).get("focus_position"))
    if position is None:
        return None
    relative = (summary or {}).get("focus_relative")
    words = None if under_reported or relative == "neither" else vocabulary.MSG_RELATIVE.get(relative)
    return f"{position}, so {words}" if words else position


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


def _fixed(value: float, digits: int) -> str:
    """value with `digits` decimals and thousands commas, halves rounded up (10.25 → "10.3")."""
    return f"{round_half_up(value, digits):,.{digits}f}"


def format_value(value: float | None, unit: str, *, count_noun: str | None = None) -> str:
    """Format a measure's value for a sentence or a table cell.

    Units: "count" → "1,234" (or "1,234 crimes" with count_noun="crimes"); "rate_per_1000"
    → "5.1 per 1,000"; "percentage" → "78.2%"; "pounds" → "£1.2m", "£850,000". Missing
    values give "no data". Halves round up.
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
        text = _fixed(value, 0) if value == round(value) else _fixed(value, 1)
        return f"{text} {count_noun}" if count_noun else text
    if kind == "rate_per_1000":
        text = _fixed(value, 1) if size >= 0.1 or size == 0 else f"{value:.2g}"
        return f"{text} per 1,000"
    if kind == "percentage":
        return f"{_fixed(value, 1)}%"
    if size >= 1e9:
        return f"{sign}£{_trim(_fixed(size / 1e9, 1))}bn"
    if size >= 1e6:
        return f"{sign}£{_trim(_fixed(size / 1e6, 1))}m"
    return f"{sign}£{_fixed(size, 0)}"


def percent_text(number: float, *, signed: bool = False) -> str:
    """A percentage change in words' figures: whole percent, halves up (10.5 → "11%"); under 1%,
    one decimal, or one significant figure when that would show 0.0 ("0.05%"); never "100%" or
    "0%" for a change that is not exactly that ("99.6%"). signed=True puts + or − in front."""
    size = abs(number)
    if size == 0:
        text = "0%"
    elif size < 0.05:
        text = f"{float(f'{size:.1g}'):g}%"
    elif size < 1:
        text = f"{_fixed(size, 1)}%"
    else:
        whole = round_half_up(size, 0)
        text = f"{_fixed(size, 1)}%" if whole == 100 and size != 100 else f"{whole:,.0f}%"
        if text == "100.0%":
            text = "more than 99.9%"
    if signed and size:
        text = ("+" if number > 0 else "−") + text
    return text


def with_article(text: str) -> str:
    """ "a" or "an" before a figure, as it is spoken: an 8%, an 11%, an 18,000, an 80%; a 1%."""
    lead = re.match(r"[+−-]?£?(\d*)", text).group(1)  # the figures before a comma, point or %
    spoken_vowel = lead.startswith("8") or lead in ("11", "18")
    return f"{'an' if spoken_vowel else 'a'} {text}"


def _rate_change_phrase(change: dict, *, under_reported: bool, comparison: str) -> str | None:
    verdict = change.get("verdict")
    pct = change.get("pct_change")
    if verdict in (None, "insufficient_data"):
        return None
    if change.get("change", 0) == 0:
        moved = "recorded numbers were unchanged" if under_reported else "no change"
        return f"{moved} on {comparison}"
    if under_reported:
        verb = "rose" if change["change"] > 0 else "fell"
        size = f" {percent_text(pct)} on" if pct is not None else " from none in"
        tested = "" if verdict == "no_significant_change" else " (statistically significant)"
        return f"recorded numbers {verb}{size} {comparison}{tested}"
    if pct is None:
        # previous was 0, so there is no percentage; only an increase is possible.
        size = "a significant increase" if verdict == "significant_increase" else "an increase"
        return f"{size} from none in {comparison}"
    way = "reduction" if pct < 0 else "increase"
    significant = verdict in ("significant_reduction", "significant_increase")
    text = percent_text(pct)
    if text.startswith("more than"):
        sized = f"a {'significant ' if significant else ''}{way} of {text}"
    else:
        sized = f"a significant {text} {way}" if significant else f"{with_article(text)} {way}"
    return f"{sized} on {comparison}" + ("" if significant else ", not a significant change")


def _survey_change_phrase(change: dict, *, comparison: str) -> str | None:
    verdict = change.get("verdict")
    diff = change.get("diff")
    if verdict in (None, "insufficient_data") or diff is None:
        return None
    points = f"{_fixed(abs(diff), 1)} percentage points"
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
    joint = "joint " if (msg.get("focus_rank_shared") or 1) > 1 else ""
    if size == 1:
        where = "the only Most Similar Group member with data"
    elif rank == 1:
        where = f"{joint}{word} of {size} in the Most Similar Group"
    elif rank == size and not joint:
        # Last of 8 reads better as the other end: "highest of 8", not "8th lowest of 8".
        other = "highest" if word == "lowest" else "lowest"
        where = f"{other} of {size} in the Most Similar Group"
    else:
        where = f"{joint}{ordinal(rank)} {word} of {size} in the Most Similar Group"
    verdict = msg_verdict(msg, under_reported=under_reported)
    return f"{where}, {verdict}" if verdict and size > 1 else where


def _disagree(variation: str | None, change: dict | None, direction: str) -> bool:
    """True when the latest point's signal and the 12-month change point different ways."""
    pct = (change or {}).get("pct_change")
    if variation not in (IMPROVEMENT, CONCERN) or direction == "neither" or not pct:
        return False
    better = (pct < 0) == (direction == "down")
    return better != (variation == IMPROVEMENT)


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


def _headline(
    *,
    title: str,
    unit: str,
    under_reported: bool,
    period_label: str,
    latest_value: float | None,
    change: dict | None,
    survey: bool,
    respondents: int | None,
    comparison_label: str,
    count_noun: str | None,
    cumulative: bool,
) -> str:
    """The sentence's first clause: title, period, value (with a survey's interval) and the change."""
    value_text = format_value(latest_value, unit, count_noun=count_noun)
    if survey and respondents:
        low, high = wilson_interval(latest_value, respondents)
        if low is not None:
            value_text += f" (95% interval {_fixed(low, 1)}% to {_fixed(high, 1)}%, {respondents:,} respondents)"

    if cumulative:
        value_text += " in total so far"
    first = [f"{title}: {period_label}", value_text]
    if change:
        # A percentage compared by a two-proportion test (a survey, or a rate with numerator and
        # denominator) has a difference in points, not a count change.
        if survey or change.get("test") == "two_proportion_z":
            phrase = _survey_change_phrase(change, comparison=comparison_label)
        else:
            phrase = _rate_change_phrase(change, under_reported=under_reported, comparison=comparison_label)
        if phrase:
            first.append(phrase)
    return ", ".join(first)


def _under_reported_note(change: dict | None) -> str:
    """Why an under-reported crime's figure is not judged: a rise in recording is accepted."""
    rose = bool(change) and (change.get("change") or 0) > 0
    return (
        "a rise in recording of under-reported crime is accepted and is not read as failure"
        if rose
        else "this crime is under-reported, so recorded numbers reflect reporting as well as offending"
    )


def _variation_phrase(
    variation: str,
    *,
    unit: str,
    direction: str,
    change: dict | None,
    period_label: str,
    limits: dict | None,
    latest_label: str | None,
    period_value: float | None,
    cumulative: bool,
) -> str:
    """The SPC clause: the variation's words, provisional limits, and which period the chart judges."""
    phrase = vocabulary.label("variation_phrase", variation)
    if limits and limits.get("provisional"):
        phrase += f" (provisional limits: from {limits['baseline_points']} points, fewer than {limits['min_points']})"
    if cumulative:
        own = format_value(period_value, unit)
        phrase = f"the period's own figure, {own}, on the SPC chart: {phrase}"
    elif latest_label:
        where = "on the SPC chart" if latest_label == period_label else f"{latest_label} on the SPC chart"
        phrase = f"{where}: {phrase}"
        if latest_label != period_label and _disagree(variation, change, direction):
            phrase += (
                f" (the SPC chart judges {latest_label} against its own history; the 12-month "
                "total is compared with the previous 12 months, so the two can point different ways)"
            )
    return phrase


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
    latest_label: str | None = None,
    period_value: float | None = None,
    cumulative: bool = False,
) -> dict:
    """The one status for a measure and period (no targets; under-reported crime is never judged better or worse).

    Inputs: the measure's title, unit ("count", "rate_per_1000", "percentage", "pounds"),
    direction ("up", "down", "neither"), under_reported flag, a period label ("12 months to
    May 2014"), the latest value in that unit, the SPC variation of the latest point (from
    `spc.latest_variation`), the change dict (from `significance.rate_change` or, when
    survey=True, `survey.two_proportion_test`), the MSG summary dict (from
    `msg.msg_comparison`) and, for surveys, the respondents (adds a 95% interval). `limits` is
    the latest set of SPC limits (a `trend.limits` entry of PAYLOADS.md: baseline_points,
    min_points, provisional); provisional limits are said so in the sentence.
    `latest_label` names the period whose SPC variation is given ("May 2014"): when it is not the
    headline period (a 12-month total), the sentence says which is which, and why they can differ.
    `cumulative` (a running total such as savings to date): the value is progress, said
    with no improvement or concern word, and the variation is that of `period_value`, the
    period's own figure.

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

    headline = _headline(title=title, unit=unit, under_reported=under_reported, period_label=period_label,
                         latest_value=latest_value, change=change, survey=survey, respondents=respondents,
                         comparison_label=comparison_label, count_noun=count_noun, cumulative=cumulative)  # fmt: skip
    parts = [headline, _under_reported_note(change)] if under_reported else [headline]
    if variation is not None:
        parts.append(_variation_phrase(variation, unit=unit, direction=direction, change=change,
                                       period_label=period_label, limits=limits, latest_label=latest_label,
                                       period_value=period_value, cumulative=cumulative))  # fmt: skip
    phrase = _msg_phrase(msg, direction=direction, under_reported=under_reported) if msg else None
    if phrase:
        parts.append(phrase)
    tone = _tone(variation=variation, change=change, direction=direction, under_reported=under_reported)
    return {"variation": variation, "msg_relative": msg_relative, "tone": tone, "sentence": "; ".join(parts) + "."}
