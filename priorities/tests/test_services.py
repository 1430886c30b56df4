"""Plan import/export round trip, idempotent reference data, and clear errors for bad plan files."""

import copy

import pytest
from django.core.management import CommandError, call_command

from conftest import PLAN_FILE
from priorities.models import Area, Measure, OutcomeType, PeerGroupMember, Population, Priority, Theme
from priorities.plan_file import PlanFileError, plan_export, plan_import, plan_load_file
from priorities.reference import reference_import


def test_plan_import_loads_leicestershire_plan(db):
    plan_import(data=plan_load_file(PLAN_FILE))
    assert list(Theme.objects.values_list("title", flat=True)) == [
        "Reducing Offending and Re-offending",
        "Supporting Victims and Witnesses",
        "Making Communities and Neighbourhoods Safer",
        "Protecting the Vulnerable",
    ]
    by_theme = {t.number: sorted(t.priorities.values_list("number", flat=True)) for t in Theme.objects.all()}
    assert by_theme == {1: [1, 2, 3, 4], 2: [5, 6, 7, 8, 9], 3: [10, 11, 12, 13, 14], 4: [15, 16, 17]}
    assert Priority.objects.get(number=18).theme is None
    assert set(Priority.objects.filter(restricted=True).values_list("number", flat=True)) == {6, 15}
    assert not Priority.objects.get(number=6).measures.exists()
    assert not Priority.objects.get(number=15).measures.exists()
    assert all(p.wording_status == "stand_in" for p in Priority.objects.all())
    # SP10–14: the five crime categories, counts, lower is better, compared with the MSG.
    for number, code in zip(
        range(10, 15),
        [
            "all_crime",
            "burglary_dwelling",
            "theft_of_motor_vehicle",
            "theft_from_motor_vehicle",
            "violence_with_injury",
        ],
    ):
        measure = Measure.objects.get(code=code)
        assert list(measure.priorities.values_list("number", flat=True)) == [number]
        assert (measure.direction, measure.msg_comparable) == ("down", True)
    satisfaction = Measure.objects.get(code="victim_satisfaction")
    assert sorted(satisfaction.priorities.values_list("number", flat=True)) == [5, 7, 8, 9]
    assert satisfaction.unit == "percentage"
    for code in ["domestic_abuse", "serious_sexual_offences", "hate_crime"]:
        measure = Measure.objects.get(code=code)
        assert measure.under_reported and measure.direction == "neither"
    assert Measure.objects.get(code="revenue_savings").unit == "pounds"


def test_plan_export_then_import_gives_same_plan(db):
    plan_import(data=plan_load_file(PLAN_FILE))
    exported = plan_export()
    Priority.objects.filter(number=3).update(title="Changed locally")
    count = plan_import(data=copy.deepcopy(exported))
    assert count.updated == 1
    assert plan_export() == exported


def test_plan_reimport_same_file_changes_nothing(db):
    plan_import(data=plan_load_file(PLAN_FILE))
    count = plan_import(data=plan_load_file(PLAN_FILE))
    assert not count.changed


def test_plan_duplicate_priority_number_is_named_and_nothing_changes(db):
    data = plan_load_file(PLAN_FILE)
    data["themes"][1]["priorities"][0]["number"] = 1
    with pytest.raises(PlanFileError, match=r"themes\[2\]\.priorities\[1\]: priority 1 appears twice"):
        plan_import(data=data)
    assert Theme.objects.count() == 0


def test_plan_bad_unit_is_named(db):
    data = plan_load_file(PLAN_FILE)
    data["measures"][0]["unit"] = "percent"
    with pytest.raises(PlanFileError, match=r"measures\[1\]: 'unit' is 'percent'"):
        plan_import(data=data)


def test_import_plan_command_reports_no_change_second_time(db, capsys):
    call_command("import_plan", str(PLAN_FILE))
    call_command("import_plan", str(PLAN_FILE))
    assert "No change" in capsys.readouterr().out


def test_import_plan_command_bad_file_gives_clear_error(db, tmp_path):
    bad = tmp_path / "plan.yaml"
    bad.write_text("plan: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("import_plan", str(bad))


def test_reference_import_is_idempotent(db):
    first = reference_import()
    counts = (
        Area.objects.count(),
        Population.objects.count(),
        PeerGroupMember.objects.count(),
        OutcomeType.objects.count(),
    )
    second = reference_import()
    assert first.created > 0 and not second.changed
    assert counts == (
        Area.objects.count(),
        Population.objects.count(),
        PeerGroupMember.objects.count(),
        OutcomeType.objects.count(),
    )
    assert Area.objects.filter(kind="force").count() == 43
    assert Area.objects.filter(kind="csp", parent__code="E23000021").count() == 9
    # Every force's partnerships, by their own CSP codes; the peer group is the plan's, not reference data.
    assert Area.objects.filter(kind="csp").count() == 314
    assert set(Area.objects.filter(kind="csp").values_list("parent__kind", flat=True)) == {"force"}
    assert Area.objects.get(code="E22000164").name == "Blaby"
    assert not PeerGroupMember.objects.exists()
    assert OutcomeType.objects.filter(scheme="home_office").count() == 23


def test_import_populations_names_file_row_and_column(db, tmp_path):
    reference_import()
    bad = tmp_path / "pops.csv"
    bad.write_text("area_code,mid_year,population\nE23000021,2019,1100000\nE23000021,20x9,5\nE23000019,2019,-4\n")
    with pytest.raises(CommandError) as error:
        call_command("import_populations", str(bad))
    assert "pops.csv, row 3, column mid_year" in str(error.value)
    assert "pops.csv, row 4, column population" in str(error.value)
    assert not Population.objects.filter(area__code="E23000021", mid_year=2019).exists()
