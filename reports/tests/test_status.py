"""Tests for reports.analysis.status (one status per measure, no RAG); no database."""

import re

import pytest

from reports.analysis import status

MSG_THIRD_OF_EIGHT = {
    "focus_rank": 3,
    "group_size": 8,
    "focus_position": "below",
    "focus_relative": "similar",
    "rank_1_is": "lowest",
}
EVALUATIVE = re.compile(r"improv|concern|better|worse|\bgood\b|\bbad\b", re.IGNORECASE)


def burglary(**overrides):
    arguments = {
        "title": "Burglary dwelling",
        "unit": "rate_per_1000",
        "direction": "down",
        "under_reported": False,
        "period_label": "12 months to May 2014",
        "latest_value": 5.1,
        "variation": "common_cause",
        "change": {
            "verdict": "significant_reduction",
            "pct_change": -11.2,
            "change": -120,
        },
        "msg": MSG_THIRD_OF_EIGHT,
    }
    arguments.update(overrides)
    return status.measure_status(**arguments)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinal_suffixes(number, expected):
    assert status.ordinal(number) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234, "count", "1,234"),
        (1234.0, "count", "1,234"),
        (5.1234, "rate_per_1000", "5.1 per 1,000"),
        (78.24, "percentage", "78.2%"),
        (1_234_567, "pounds", "£1.2m"),
        (20_000_000, "pounds", "£20m"),
        (850_000, "pounds", "£850,000"),
        (None, "count", "no data"),
        (float("nan"), "rate_per_1000", "no data"),
    ],
)
def test_format_value_units(value, unit, expected):
    assert status.format_value(value, unit) == expected


def test_format_value_count_noun():
    assert status.format_value(1234, "count", count_noun="crimes") == "1,234 crimes"


def test_format_value_unknown_unit_raises():
    with pytest.raises(ValueError):
        status.format_value(1, "furlongs")


def test_measure_status_normal_measure_sentence():
    result = burglary()
    assert result["sentence"] == (
        "Burglary dwelling: 12 months to May 2014, 5.1 per 1,000, a significant 11% reduction "
        "on the year before; common cause variation; 3rd lowest of 8 in the Most Similar "
        "Group, below the group average but inside the band, so in line with similar forces."
    )
    assert result["tone"] == "common_cause"
    assert result["variation"] == "common_cause"
    assert result["msg_relative"] == "similar"


def test_measure_status_missing_pieces_are_left_out():
    result = burglary(
        unit="count", latest_value=1234, variation=None, change=None, msg=None
    )
    assert result["sentence"] == "Burglary dwelling: 12 months to May 2014, 1,234."
    assert result["variation"] is None and result["msg_relative"] is None
    assert result["tone"] == "neutral"


def test_measure_status_tone_follows_special_cause():
    assert burglary(variation="concern")["tone"] == "concern"
    assert (
        "special cause variation of concern"
        in burglary(variation="concern")["sentence"]
    )


def test_measure_status_tone_from_change_when_no_spc():
    increase = {"verdict": "significant_increase", "pct_change": 30.0, "change": 30}
    assert burglary(variation=None, change=increase)["tone"] == "concern"
    no_change = {"verdict": "no_significant_change", "pct_change": -3.0, "change": -3}
    result = burglary(variation=None, change=no_change)
    assert result["tone"] == "common_cause"
    assert (
        "a 3% reduction on the year before, not a significant change"
        in result["sentence"]
    )


def test_measure_status_under_reported_is_never_judged():
    result = status.measure_status(
        title="Domestic abuse crimes",
        unit="count",
        direction="neither",
        under_reported=True,
        period_label="12 months to May 2014",
        latest_value=5600,
        variation="concern",
        change={"verdict": "significant_increase", "pct_change": 12.0, "change": 600},
        msg={**MSG_THIRD_OF_EIGHT, "focus_relative": "worse"},
    )
    assert result["tone"] == "neutral"
    assert result["variation"] == "neutral"
    assert result["msg_relative"] == "neither"
    assert "rose 12%" in result["sentence"]
    assert "not read as failure" in result["sentence"]
    assert not EVALUATIVE.search(result["sentence"])


def test_measure_status_under_reported_fall_has_no_judgement():
    result = burglary(
        under_reported=True,
        variation="improvement",
        change={"verdict": "no_significant_change", "pct_change": -4.0, "change": -40},
    )
    assert result["tone"] == "neutral"
    assert "fell 4%" in result["sentence"]
    assert not EVALUATIVE.search(result["sentence"])


def test_measure_status_survey_shows_interval_and_points():
    result = status.measure_status(
        title="Victim satisfaction",
        unit="percentage",
        direction="up",
        under_reported=False,
        period_label="12 months to March 2014",
        latest_value=50.0,
        variation=None,
        change={"verdict": "significant_increase", "diff": 15.0},
        msg=None,
        survey=True,
        respondents=100,
    )
    # Wilson 95% interval for 50% of 100 is 40.4% to 59.6% (see test_survey).
    assert result["sentence"] == (
        "Victim satisfaction: 12 months to March 2014, 50.0% (95% interval 40.4% to 59.6%, "
        "100 respondents), a significant rise of 15.0 percentage points on the year before."
    )
    assert result["tone"] == "improvement"


def test_measure_status_rank_one_highest_when_up():
    msg = {
        "focus_rank": 1,
        "group_size": 8,
        "focus_position": "significantly_above",
        "focus_relative": "better",
        "rank_1_is": "highest",
    }
    result = burglary(direction="up", msg=msg, change=None)
    assert (
        "highest of 8 in the Most Similar Group, significantly above the group average"
        in (result["sentence"])
    )
    assert result["msg_relative"] == "better"


def test_measure_status_previous_zero_has_no_percentage():
    change = {"verdict": "no_significant_change", "pct_change": None, "change": 3}
    assert (
        "an increase from none in the year before" in burglary(change=change)["sentence"]
    )
