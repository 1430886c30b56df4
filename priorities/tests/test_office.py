"""The plan file's office section: checked with clear errors, stored, exported, and its peer group derived."""

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from priorities.models import Office, PeerGroupMember
from priorities.plan_file import plan_export, plan_import

pytestmark = pytest.mark.django_db
PLAN = Path(__file__).resolve().parents[2] / "fixtures" / "plan_leicestershire_2014.yaml"


def _plan() -> dict:
    return yaml.safe_load(PLAN.read_text(encoding="utf-8"))


def _refused(data: dict, tmp_path) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_plan", str(path))
    assert not Office.objects.exists()
    return str(refused.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"force": "E07000129"}, "office.force: 'E07000129' is not a police force area's GSS code"),
        ({"title": ""}, "office: 'title' is required"),
        ({"context": [{"measure": "revenue_savings", "name": "savings challenge", "value": "£20m"}]},
         "office.context[1]: 'value' must be a positive number"),
        ({"boards": [{"name": "Panel", "slug": "panel", "audience": "public"}]},
         "office.boards[1]: audience 'public'; use one of"),
        ({"peer_group": {"name": "G", "members": [{"force": "E23000026", "from": "2015-04-01", "to": "2014-03-31"}]}},
         "office.peer_group.members[1]: 'to' (2014-03-31) is before 'from' (2015-04-01)"),
    ],
)  # fmt: skip
def test_a_bad_office_is_refused_naming_the_place_and_nothing_changes(tmp_path, change, message):
    data = _plan()
    data["office"] = {**data["office"], **change}
    assert message in _refused(data, tmp_path)


def test_the_office_round_trips_through_export():
    plan_import(data=_plan())
    exported = plan_export()
    assert exported["office"]["title"] == "Police and Crime Commissioner"
    assert exported["office"]["context"] == [{"measure": "revenue_savings", "name": "savings challenge", "value": 20000000}]
    again = plan_import(data=exported)
    assert not again.changed


def test_a_peer_group_member_leaving_is_recorded_by_date(plan):
    data = _plan()
    members = data["office"]["peer_group"]["members"]
    kent = next(m for m in members if m["force"] == "E23000032")
    kent["to"] = dt.date(2016, 3, 31)
    members.append({"force": "E23000020", "from": dt.date(2016, 4, 1)})  # Lincolnshire joins
    plan_import(data=data)
    rows = {
        m.area.name: (m.valid_from, m.valid_to)
        for m in PeerGroupMember.objects.filter(group__name="Leicestershire MSG").select_related("area")
    }
    assert rows["Kent"] == (dt.date(2010, 4, 1), dt.date(2016, 3, 31))
    assert rows["Lincolnshire"] == (dt.date(2016, 4, 1), None)
    assert len(rows) == 9


def test_seed_boards_needs_an_office():
    with pytest.raises(CommandError, match="No office is loaded"):
        call_command("seed_boards")
