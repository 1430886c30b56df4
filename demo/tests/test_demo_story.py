"""The demo tells its own story from the same set-up commands `make run` performs, in the same order."""

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from pcc_dashboard.roles import COORDINATOR, CSP_SUBMITTER, PANEL
from returns import selectors
from returns.periods import due_date

PLAN_FILE = "fixtures/plan_leicestershire_2014.yaml"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch, tmp_path, settings):
    from demo import builder as demo_module

    monkeypatch.setattr(demo_module, "USERS_FILE", tmp_path / "demo_users.txt")
    # The Makefile's order: migrate (done by the test database), import_reference, import_plan, seed_demo.
    call_command("import_reference", verbosity=0)
    call_command("import_plan", PLAN_FILE, verbosity=0)
    call_command("seed_demo", "--to", "2014-06", verbosity=0)


def test_the_demo_opens_on_its_own_story(demo, client_for, settings):
    # The working date is the due date of the month after the demo's last period, not today (2026).
    july_due = due_date(date(2014, 7, 31), settings.RETURN_DUE_WORKING_DAYS)
    assert selectors.working_date() == july_due

    # The last quarter is partly in: one missing, one arrived late, one awaiting a decision, one rejected.
    tracker = client_for(COORDINATOR).get(reverse("return_tracker"), {"period": "2014-04-01:2014-06-30"})
    cells = {c.submitter.code: c for c in tracker.context["cells"]}
    assert cells["csp-blaby"].state == "missing" and cells["csp-blaby"].late
    assert [c.state for c in cells.values() if c.late and c.latest] == ["awaiting_decision"]
    assert sum(c.state == "awaiting_decision" and not c.late for c in cells.values()) == 1
    assert sum(c.state == "rejected" for c in cells.values()) == 1
    assert b"Missing" in tracker.content and b"Awaiting decision" in tracker.content

    # Filtering by state finds them.
    rejected = client_for(COORDINATOR).get(reverse("return_tracker"), {"state": "rejected"}).context["cells"]
    assert [c.submitter.code for c in rejected] == ["csp-harborough"]

    # The Blaby lead sees the open quarter with its due date and that it is missing.
    mine = client_for(CSP_SUBMITTER, "csp-blaby").get(reverse("return_list"))
    q1 = next(p for p in mine.context["periods"] if p.start == date(2014, 4, 1) and p.kind == "quarter")
    assert (q1.state, q1.due) == ("missing", due_date(date(2014, 6, 30), settings.RETURN_DUE_WORKING_DAYS))
    assert f"{q1.due:%-d %B %Y}".encode() in mine.content

    # Snapshots were frozen by the demo co-ordinator on plausible days, not by "system" today.
    from reports.models import Snapshot

    june = Snapshot.objects.get(as_of=date(2014, 6, 30))
    assert june.frozen_by_name == "Demo Coordinator"
    assert date(2014, 7, 1) < june.frozen_at.date() < date(2014, 8, 1)

    # The next Panel meeting is after the working date, so the meetings page lists it as coming up.
    meetings = client_for(COORDINATOR).get(reverse("meeting_list"))
    panel = next(b for b in meetings.context["boards"] if b["board"].is_panel)
    assert panel["upcoming"] and panel["upcoming"][0]["meeting"].date == date(2014, 9, 10)

    # The freeze form offers the month whose meetings are coming up (July 2014), newest first.
    listing = client_for(COORDINATOR).get(reverse("snapshot_list"))
    offered = [value for value, _ in listing.context["freeze_form"].fields["as_of"].choices if value]
    assert offered[0] == "2014-07-31"

    # The CSP lead's upload form starts on the quarter they owe, and offers quarters only.
    upload = client_for(CSP_SUBMITTER, "csp-blaby").get(reverse("return_upload"))
    form = upload.context["form"]
    assert form.initial["period"] == "2014-04-01:2014-06-30"
    assert all(
        selectors.period_kind(*map(date.fromisoformat, key.split(":"))) == "quarter"
        for key, _ in form.fields["period"].choices
    )

    # The home page leads each board member to their next meeting.
    home = client_for(PANEL).get(reverse("home")).content.decode()
    assert "Police and Crime Panel, 10 September 2014" in home and "thematic report" in home

    # The corrected May 2014 force return (accepted after the June freeze) keeps the month's outcomes.
    from returns.models import OutcomeCount, Return

    may = Return.objects.filter(submitter__code="leicestershire-police", period__start=date(2014, 5, 1))
    versions = {r.version: OutcomeCount.objects.filter(source_return=r).count() for r in may}
    assert versions[2] == versions[1] > 0

    # The freeze confirmation says which returns for the month are not in yet.
    confirm = client_for(COORDINATOR).post(reverse("snapshot_freeze"), {"as_of": "2014-07-31"})
    assert "not accepted yet" in confirm.content.decode()
    assert "Leicestershire Police, July 2014: not yet due" in confirm.content.decode()
