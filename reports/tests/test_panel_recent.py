"""The Panel report and the measure page read bounded `measure_recent:` payloads: same pages as from the full ones."""

import datetime as dt
import re

import pytest

from pcc_dashboard.roles import COORDINATOR, PANEL
from priorities.models import Measure, Theme
from reports import report_pages
from reports.models import Annotation, Board, Meeting, SnapshotResult
from reports.services import snapshot_freeze
from reports.tests.factories import snapshot_make
from reports.tests.snapshot_data import BLABY, LEICESTERSHIRE, MSG_MEMBERS, month_rows, submit_and_accept
from returns.reference import PUBLIC_SUBMITTER
from returns.tests.leicestershire import FORCE_SUBMITTER

MAY_2014 = dt.date(2014, 5, 31)
MONTHS = 90  # Dec 2006 … May 2014: longer than the 60-month window pages draw


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def long_snapshot(plan):
    first = dt.date(2006, 12, 1)
    crime = [6000 + (i % 7) * 35 - i * 6 for i in range(MONTHS)]
    rows = month_rows("all_crime", LEICESTERSHIRE, first, crime)
    rows += month_rows("all_crime", BLABY, first, [v / 20 for v in crime])
    rows += month_rows("burglary_dwelling", LEICESTERSHIRE, first, [300 + (i % 3) * 7 for i in range(MONTHS)])
    submit_and_accept(FORCE_SUBMITTER, rows)
    public = []
    for n, area in enumerate(MSG_MEMBERS[1:]):
        public += month_rows("all_crime", area, first, [1800 + 100 * n + (i % 4) * 9 for i in range(MONTHS)])
    submit_and_accept(PUBLIC_SUBMITTER, public)
    measure = Measure.objects.get(code="all_crime")
    Annotation.objects.create(measure=measure, date=dt.date(2008, 1, 10), label="Old change")
    Annotation.objects.create(measure=measure, date=dt.date(2013, 4, 2), label="Recent change")
    return snapshot_freeze(as_of=MAY_2014)


@pytest.fixture
def panel_meeting(plan):
    board = Board.objects.create(
        name="Police and Crime Panel", slug="panel", audience_role=PANEL, frequency="Quarterly", is_panel=True
    )
    return Meeting.objects.create(board=board, date=dt.date(2014, 6, 9), theme_override=Theme.objects.get(number=3))


def test_freeze_stores_bounded_recent_payload_per_measure(long_snapshot):
    full = SnapshotResult.objects.get(snapshot=long_snapshot, key="measure:all_crime").payload
    recent = SnapshotResult.objects.get(snapshot=long_snapshot, key="measure_recent:all_crime").payload
    assert len(full["trend"]["points"]) == MONTHS
    assert recent["trend"]["points"] == full["trend"]["points"][-60:]
    assert recent["window"] == {"shown": 60, "total": MONTHS}
    assert [a["label"] for a in recent["annotations"]] == ["Recent change"]
    assert all(len(item["points"]) == 60 for item in recent["csp"])
    assert [a["label"] for a in recent["all_annotations"]] == ["Old change", "Recent change"]
    assert {
        k: v for k, v in recent.items() if k not in ("trend", "csp", "annotations", "window", "all_annotations")
    } == {k: v for k, v in full.items() if k not in ("trend", "csp", "annotations")}
    codes = set(Measure.objects.values_list("code", flat=True))
    keys = set(SnapshotResult.objects.filter(snapshot=long_snapshot).values_list("key", flat=True))
    assert {f"measure_recent:{c}" for c in codes} <= keys


@pytest.mark.parametrize("role", [PANEL, COORDINATOR])
def test_panel_report_same_from_recent_as_from_full_payloads(
    client_for, long_snapshot, panel_meeting, role, monkeypatch
):
    client = client_for(role)
    url = f"/meetings/{panel_meeting.pk}/report/"
    from_recent = _without_csrf(client.get(url).content.decode())
    original = report_pages.measure_payloads
    monkeypatch.setattr(
        report_pages, "measure_payloads", lambda snapshot, codes, recent=False: original(snapshot, codes)
    )
    from_full = _without_csrf(client.get(url).content.decode())
    assert from_recent == from_full
    assert "Showing the latest 60 of 90 periods" in from_recent
    assert Measure.objects.get(code="all_crime").title in from_recent


def test_panel_report_reads_full_payloads_of_a_snapshot_frozen_before_recent_ones(client_for, panel_meeting):
    old = snapshot_make(as_of=MAY_2014, published=False, recent=False)
    codes = ["all_crime", "burglary_dwelling"]
    full = report_pages.measure_payloads(old, codes)
    assert report_pages.measure_payloads(old, codes, recent=True) == full
    html = client_for(PANEL).get(f"/meetings/{panel_meeting.pk}/report/").content.decode()
    assert (full["all_crime"]["status"]["sentence"]) in html


def test_panel_report_leaves_restricted_recent_payloads_out_for_panel(client_for, plan):
    snapshot_make(as_of=MAY_2014, published=False)
    board = Board.objects.create(
        name="Police and Crime Panel", slug="panel", audience_role=PANEL, frequency="Quarterly", is_panel=True
    )
    meeting = Meeting.objects.create(board=board, date=dt.date(2014, 6, 9), theme_override=Theme.objects.get(number=4))
    restricted = Measure.objects.get(code="marac_referrals")
    assert restricted.restricted
    assert restricted.title not in client_for(PANEL).get(f"/meetings/{meeting.pk}/report/").content.decode()
    # The report is made for the Panel, whoever downloads it.
    assert restricted.title not in client_for(COORDINATOR).get(f"/meetings/{meeting.pk}/report/").content.decode()


@pytest.mark.parametrize("role", [PANEL, COORDINATOR])
def test_measure_page_same_from_recent_as_from_full_payload(client_for, long_snapshot, role, monkeypatch):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.views import pages

    client = client_for(role)
    url = f"/snapshots/{MAY_2014.isoformat()}/measures/all_crime/"
    with CaptureQueriesContext(connection) as queries:
        from_recent = _without_csrf(client.get(url).content.decode())
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "measure_recent:all_crime" in read and "'measure:all_crime'" not in read
    cache.clear()
    original = pages.measure_payloads
    monkeypatch.setattr(pages, "measure_payloads", lambda snapshot, codes, recent=False: original(snapshot, codes))
    from_full = _without_csrf(client.get(url).content.decode())
    assert from_recent == from_full
    assert "Showing the latest 60 of 90 periods" in from_recent
    # Every event on the series is listed, not only those inside the window the chart draws.
    assert "Old change" in from_recent and "Recent change" in from_recent
