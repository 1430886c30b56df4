"""The shared fixtures load the plan and the submitters."""

from priorities.models import Measure, Priority, Theme
from returns.models import Submitter


def test_plan_fixture_loads_four_themes_eighteen_priorities(plan):
    assert Theme.objects.count() == 4
    assert sorted(Priority.objects.values_list("number", flat=True)) == list(range(1, 19))
    assert Measure.objects.filter(restricted=True).exists()
    assert Submitter.objects.filter(kind="csp").count() == 9
