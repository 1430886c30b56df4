"""pcc_dashboard/vocabulary.py: every code the product can show has people's words, in one place."""

import pytest
from django.template import Context, Template

from pcc_dashboard import vocabulary
from priorities.models import Direction, Unit
from reports.analysis import msg, significance, spc
from returns.models import ReturnStatus


def test_every_spc_rule_and_variation_has_words():
    assert set(spc.RULE_ORDER) <= set(vocabulary.SPC_RULES)
    variations = {spc.IMPROVEMENT, spc.CONCERN, spc.NEUTRAL, spc.COMMON_CAUSE}
    for words in (vocabulary.VARIATION, vocabulary.VARIATION_TAG, vocabulary.VARIATION_PHRASE):
        assert variations <= set(words)


def test_every_msg_position_and_verdict_has_words():
    positions = {msg.SIGNIFICANTLY_ABOVE, msg.ABOVE, msg.AVERAGE, msg.BELOW, msg.SIGNIFICANTLY_BELOW}
    assert positions <= set(vocabulary.MSG_POSITIONS)
    verdicts = {
        significance.SIGNIFICANT_REDUCTION,
        significance.SIGNIFICANT_INCREASE,
        significance.NO_SIGNIFICANT_CHANGE,
        significance.INSUFFICIENT_DATA,
    }
    assert verdicts <= set(vocabulary.VERDICTS)


def test_model_choices_and_vocabulary_agree():
    assert set(ReturnStatus.values) <= set(vocabulary.RETURN_STATES)
    assert {d.value: d.label for d in Direction} == vocabulary.DIRECTIONS
    assert set(Unit.values) == set(vocabulary.UNITS)


@pytest.mark.parametrize(
    ("kind", "code", "words"),
    [
        ("variation", "common_cause", "Common cause variation"),
        ("audit", "upload_failed", "Upload failed validation"),
        ("msg_relative", "better", "better than similar forces"),
        ("return_state", "submitted", "Awaiting decision"),
        ("unit", "rate_per_1000", "Rate per 1,000 population"),
        # A code added elsewhere before its words reads as words, never as the code.
        ("rule", "three_in_a_row", "Three in a row"),
        ("variation", None, ""),
    ],
)
def test_label(kind, code, words):
    assert vocabulary.label(kind, code) == words


def test_rules_label_reads_stored_rules():
    assert vocabulary.rules_label("beyond_limit,shift") == (
        "a point beyond a process limit; a run of points on one side of the mean"
    )
    assert vocabulary.rules_label(["two_of_three"]) == "2 of 3 points beyond the same 2-sigma line"
    assert vocabulary.rules_label("") == vocabulary.rules_label(None) == ""


def test_words_template_filter():
    rendered = Template('{{ action|words:"audit" }} / {{ rules|words:"rule" }}').render(
        Context({"action": "upload_failed", "rules": "trend"})
    )
    assert rendered == "Upload failed validation / a run of points rising or falling"
