"""snapshot_compare and its page: periods added, figures revised, statuses changed."""

import datetime as dt

import pytest
from django.urls import reverse

from reports.services import snapshot_compare, snapshot_freeze, snapshot_publish
from reports.tests.snapshot_data import LEICESTERSHIRE, demo_history, month_rows, submit_and_accept
from returns.tests.leicestershire import FORCE_SUBMITTER


@pytest.fixture
def pair(plan):
    demo_history()
    older = snapshot_freeze(as_of=dt.date(2014, 4, 30))
    # A revised April figure and a new June figure, accepted after the first freeze.
    rows = month_rows("all_crime", LEICESTERSHIRE, dt.date(2014, 4, 1), [7777.0, 5800.0, 5790.0])
    submit_and_accept(FORCE_SUBMITTER, rows, period=(dt.date(2014, 7, 1), dt.date(2014, 9, 30)))
    newer = snapshot_freeze(as_of=dt.date(2014, 6, 30))
    return older, newer


def test_compare_lists_added_periods_and_revisions(pair):
    older, newer = pair
    changes = snapshot_compare(older=older, newer=newer)
    revised = [r for r in changes["revised"] if r["area_code"] == LEICESTERSHIRE and r["measure_code"] == "all_crime"]
    assert [(r["period_end"], r["after"]) for r in revised] == [("2014-04-30", 7777.0)]
    added = {(r["measure_code"], r["period_end"]) for r in changes["periods_added"]}
    assert ("all_crime", "2014-05-31") in added and ("all_crime", "2014-06-30") in added
    assert changes["removed"] == []
    assert isinstance(changes["status_changed"], list)


def test_compare_page(client_for, pair, django_assert_max_num_queries):
    client = client_for("panel")
    with django_assert_max_num_queries(18):  # they include the areas of revised figures and the office
        response = client.get(reverse("snapshot_compare") + "?from=2014-04-30&to=2014-06-30")
    assert response.status_code == 200
    assert "7777.0" in response.text and "Data as at 30 June 2014" in response.text
    revised = response.text.split("Earlier figures revised")[1].split("Periods added")[0]
    assert "Leicestershire" in revised and "E23000021" not in revised  # the area's name, not its code


def test_compare_page_public_sees_published_only(client, pair):
    older, newer = pair
    url = reverse("snapshot_compare") + "?from=2014-04-30&to=2014-06-30"
    assert client.get(url).status_code == 404
    snapshot_publish(snapshot=older)
    snapshot_publish(snapshot=newer)
    assert client.get(url).status_code == 200
