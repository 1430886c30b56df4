"""Tests for returns.template: what a data return holds."""

from returns.template import REQUIRED_COLUMNS, TEMPLATE_COLUMNS


def test_required_columns_are_the_first_five():
    assert REQUIRED_COLUMNS == TEMPLATE_COLUMNS[:5]
