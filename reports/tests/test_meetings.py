"""Meetings: the snapshot a meeting resolves to, seeded boards, the meeting pages."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.models import Board, Meeting, Snapshot
from reports.selectors import meeting_snapshot_date
from reports.services import snapshot_freeze
from reports.tests.snapshot_data import demo_history


@pytest.mark.parametrize(
    ("meeting", "as_of"),
    [
        (dt.date(2014, 6, 9), dt.date(2014, 5, 31)),  # the Panel meeting the source paper went to
        (dt.date(2014, 6, 1), dt.date(2014, 5, 31)),  # first day of the month
        (dt.date(2014, 6, 30), dt.date(2014, 5, 31)),  # last day of the month
        (dt.date(2015, 1, 14), dt.date(2014, 12, 31)),  # a January meeting sees the previous December
        (dt.date(2015, 1, 1), dt.date(2014, 12, 31)),
        (dt.date(2016, 3, 1), dt.date(2016, 2, 29)),  # leap year
    ],
)
def test_meeting_snapshot_date_is_previous_month_end(meeting, as_of):
    assert meeting_snapshot_date(meeting) == as_of


def test_seed_boards_is_idempotent(db):
    call_command("seed_boards")
    counts = (Board.objects.count(), Meeting.objects.count())
    call_command("seed_boards")
    assert (Board.objects.count(), Meeting.objects.count()) == counts
    panel = Board.objects.get(is_panel=True)
    assert panel.name == "Police and Crime Panel" and panel.audience_role == "panel"
    assert Meeting.objects.filter(board=panel, date=dt.date(2014, 6, 9)).exists()
    pdg = Board.objects.get(name="Performance Delivery Group")
    assert pdg.audience_role == "pdg" and pdg.meetings.count() == 14  # April 2014 to May 2015
    assert Board.objects.filter(name="Leicestershire and Rutland Safer Communities Strategy Board").exists()


@pytest.fixture
def boards(plan):
    call_command("seed_boards")
    return Meeting.objects.get(board__is_panel=True, date=dt.date(2014, 6, 9))


def test_meeting_list_shows_boards_and_snapshot_dates(client_for, boards):
    response = client_for("panel").get(reverse("meeting_list"))
    assert response.status_code == 200
    assert "Police and Crime Panel" in response.text and "31 May 2014" in response.text


def test_meeting_pages_need_sign_in_and_a_role(client, client_for, boards):
    for url in (reverse("meeting_list"), reverse("meeting_detail", args=[boards.pk])):
        assert client.get(url).status_code == 302 and "sign-in" in client.get(url)["Location"]
    no_role = client_for(None)
    assert no_role.get(reverse("meeting_list")).status_code == 403
    assert no_role.get(reverse("meeting_detail", args=[boards.pk])).status_code == 403


def test_meeting_not_frozen_offers_the_coordinator_a_freeze(client_for, boards):
    url = reverse("meeting_detail", args=[boards.pk])
    panel = client_for("panel").get(url)
    assert "not frozen yet" in panel.text and "Freeze data as at" not in panel.text
    coordinator = client_for("coordinator")
    page = coordinator.get(url)
    assert "Freeze data as at 31 May 2014" in page.text
    demo_history()
    asked = coordinator.post(reverse("snapshot_freeze"), {"as_of": "2014-05-31", "meeting": boards.pk})
    assert asked.status_code == 200 and "Freeze data as at 31 May 2014?" in asked.text
    assert f'name="meeting" value="{boards.pk}"' in asked.text and f'href="{url}">Cancel' in asked.text
    assert not Snapshot.objects.exists()
    response = coordinator.post(
        reverse("snapshot_freeze"), {"as_of": "2014-05-31", "meeting": boards.pk, "confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == url
    assert Snapshot.objects.filter(as_of=dt.date(2014, 5, 31)).exists()


def test_meeting_pack_shows_statuses_and_changes_since_previous_meeting(
    client_for, boards, django_assert_max_num_queries
):
    demo_history()
    snapshot_freeze(as_of=dt.date(2014, 5, 31))
    snapshot_freeze(as_of=dt.date(2014, 8, 31))
    september = Meeting.objects.get(board__is_panel=True, date=dt.date(2014, 9, 10))
    client = client_for("panel")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("meeting_detail", args=[september.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Data as at 31 August 2014" in text
    assert "All crime" in text
    assert "Changes since the previous meeting of this board" in text
    assert "from=2014-05-31&amp;to=2014-08-31" in text
    assert "/snapshots/2014-08-31/measures/all_crime/" in text


def test_panel_pack_never_shows_restricted_measures(client_for, boards):
    from priorities.models import Measure

    demo_history()
    Measure.objects.filter(code="burglary_dwelling").update(restricted=True)
    snapshot_freeze(as_of=dt.date(2014, 5, 31))
    panel = client_for("panel").get(reverse("meeting_detail", args=[boards.pk]))
    assert "Burglary" not in panel.text and "All crime" in panel.text


def test_panel_meeting_links_to_its_thematic_report_and_pdf(client_for, boards):
    report, pdf = reverse("panel_report", args=[boards.pk]), reverse("panel_report_pdf", args=[boards.pk])
    url = reverse("meeting_detail", args=[boards.pk])
    before = client_for("panel").get(url).text
    assert f'href="{report}"' in before and f'href="{pdf}"' not in before  # no PDF until frozen
    demo_history()
    snapshot_freeze(as_of=dt.date(2014, 5, 31))
    for role in ("panel", "coordinator"):
        page = client_for(role).get(url).text
        assert f'href="{report}"' in page and f'href="{pdf}"' in page, role
    # The PDG and CSP leads do not read the Panel's report (view_panel_report), so are not sent to it.
    assert "Thematic report" not in client_for("pdg").get(url).text


def test_pdg_meeting_leads_to_crime_outcomes_for_its_snapshot(client_for, boards):
    demo_history()
    snapshot_freeze(as_of=dt.date(2014, 5, 31))
    pdg = Meeting.objects.filter(board__audience_role="pdg", date__year=2014, date__month=6).get()
    url = reverse("meeting_detail", args=[pdg.pk])
    outcomes = reverse("outcomes", args=["2014-05-31"])
    assert f'href="{outcomes}"' in client_for("pdg").get(url).text
    assert f'href="{outcomes}"' in client_for("coordinator").get(url).text
    assert "Crime outcomes" not in client_for("panel").get(url).text  # the Panel may not view outcomes
    panel_meeting = client_for("pdg").get(reverse("meeting_detail", args=[boards.pk])).text
    assert f'href="{outcomes}"' not in panel_meeting  # outcomes belong to the PDG's meetings
