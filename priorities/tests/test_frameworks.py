"""Frameworks in the plan file: the local plan and the national priorities, and one added later as data."""

import copy

import pytest

from conftest import PLAN_FILE
from priorities.models import Framework, FrameworkPriority, Measure
from priorities.plan_file import PlanFileError, plan_export, plan_import, plan_load_file

NATIONAL = [
    "Reduce murder and other homicide",
    "Reduce serious violence",
    "Disrupt drugs supply and county lines",
    "Reduce neighbourhood crime",
    "Tackle cyber crime",
    "Improve satisfaction among victims, in particular victims of domestic abuse",
]


def test_plan_file_holds_the_local_plan_and_the_national_priorities(plan):
    assert list(Framework.objects.values_list("code", "local")) == [
        ("local_plan", True),
        ("national_priorities", False),
    ]
    national = Framework.objects.get(code="national_priorities")
    assert [p.title for p in national.priorities.all()] == NATIONAL
    cyber = national.priorities.get(code="cyber_crime")
    assert cyber.applies_locally is False and "Action Fraud" in cyber.local_reason
    # One measure serves priorities in both frameworks.
    satisfaction = Measure.objects.get(code="victim_satisfaction")
    assert 5 in satisfaction.priorities.values_list("number", flat=True)
    assert list(satisfaction.framework_priorities.values_list("code", flat=True)) == ["victim_satisfaction"]
    neighbourhood = national.priorities.get(code="neighbourhood_crime")
    assert sorted(neighbourhood.local_priorities.values_list("number", flat=True)) == [11, 12, 13]


def test_a_framework_added_later_loads_with_no_code_change(plan):
    data = plan_load_file(PLAN_FILE)
    data["frameworks"].append(
        {
            "code": "neighbourhood_policing",
            "title": "Neighbourhood policing guidelines",
            "source": "College of Policing",
            "priorities": [
                {
                    "code": "visible",
                    "title": "Be visible and accessible to the community",
                    "applies_locally": True,
                    "why": "Public confidence is a plan priority (SP8).",
                    "local_priorities": [8],
                    "measures": ["public_confidence"],
                }
            ],
        }
    )
    count = plan_import(data=data)
    assert "created framework neighbourhood_policing" in count.details
    added = FrameworkPriority.objects.get(framework__code="neighbourhood_policing", code="visible")
    assert list(added.measures.values_list("code", flat=True)) == ["public_confidence"]
    # Taken out of the file again, it is gone; importing the same file twice changes nothing.
    plan_import(data=plan_load_file(PLAN_FILE))
    assert not Framework.objects.filter(code="neighbourhood_policing").exists()
    assert not plan_import(data=plan_load_file(PLAN_FILE)).changed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f[1]["priorities"][0].update(measures=["nope"]),
            "frameworks[2].priorities[1]: measures names 'nope'",
        ),
        (lambda f: f[1]["priorities"][0].pop("why"), "frameworks[2].priorities[1]: 'why' is required"),
        (lambda f: f[1].update(local=True, priorities=[]), "only one framework can be the local plan"),
        (lambda f: f.append(copy.deepcopy(f[0])), "frameworks[3]: framework code 'local_plan' appears twice"),
    ],
)
def test_framework_errors_name_the_place_and_change_nothing(plan, change, message):
    data = plan_load_file(PLAN_FILE)
    change(data["frameworks"])
    with pytest.raises(PlanFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        plan_import(data=data)
    assert FrameworkPriority.objects.filter(framework__code="national_priorities").count() == 6


def test_frameworks_round_trip_through_export(plan):
    exported = plan_export()["frameworks"]
    assert [f["code"] for f in exported] == ["local_plan", "national_priorities"]
    assert not plan_import(data={**plan_load_file(PLAN_FILE), "frameworks": exported}).changed
    assert plan_export()["frameworks"] == exported
