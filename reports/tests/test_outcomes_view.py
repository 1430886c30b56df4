"""PDG crime outcomes view: counts, shares, code order, audits, CSV, permissions."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pcc_dashboard.roles import COORDINATOR, PANEL, PDG
from reports import outcomes_table as ot
from reports.tests.factories import outcomes_payload, snapshot_make

AS_OF = "2014-05-31"
URL = f"/snapshots/{AS_OF}/outcomes/"


@pytest.fixture
def snapshot(plan):
    return snapshot_make(as_of=date(2014, 5, 31), published=False)


def test_outcome_view_window_is_13_months_in_code_order():
    view = ot.outcome_view(outcomes_payload(date(2014, 5, 31), steady=True), month="2014-05", scheme=None)
    assert len(view.months) == 13
    assert view.months[0] == "2013-05-01" and view.months[-1] == "2014-05-01"
    assert [t["code"] for t in view.types] == ["1", "8", "14", "18"]
    rows = ot.month_rows(view, "Burglary")
    # factory: count = 10 + 5 × type index + month index (13); total = 200 + month index
    assert [r["count"] for r in rows] == [23, 28, 33, 38]
    assert rows[0]["share"] == round(23 / 213 * 100, 1)


def test_outcome_view_opens_on_latest_month_with_outcomes():
    """Straight after a freeze the snapshot's own month has no outcomes yet: open on the month before."""
    payload = outcomes_payload(date(2014, 6, 30), steady=True)
    payload["counts"] = [c for c in payload["counts"] if c["month"] != "2014-06-01"]
    view = ot.outcome_view(payload, month=None, scheme=None)
    assert view.month == "2014-05-01" and view.latest
    assert "2014-06-01" not in view.all_months  # an empty month is not offered
    with pytest.raises(ot.OutcomeChoiceError):
        ot.outcome_view(payload, month="2014-06", scheme=None)


def test_outcomes_page_says_which_month_it_shows(client_for, plan):
    snapshot_make(as_of=date(2014, 5, 31))
    html = client_for(PDG).get(URL).content.decode()
    assert "Showing May 2014, the latest month with outcomes in this snapshot (data as at 31 May 2014)" in html


def test_outcome_view_rejects_unknown_month():
    with pytest.raises(ot.OutcomeChoiceError):
        ot.outcome_view(outcomes_payload(date(2014, 5, 31), steady=True), month="2010-01", scheme=None)


def test_outcomes_pdg_sees_month(client_for, snapshot):
    response = client_for(PDG).get(URL, {"month": "2014-04", "crime_group": "Burglary"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Burglary: April 2014" in html
    assert '<option value="2014-04" selected>April 2014</option>' in html
    assert "1: Charged/Summonsed" in html
    assert html.index("1: Charged/Summonsed") < html.index("8: Community resolution")
    assert "Outcome audit findings" in html and "90%" in html
    assert snapshot.digest[:12] in html
    for word in ("best", "worst", "good outcome", "bad outcome"):
        assert word not in html.lower()


def test_outcomes_tables_name_months_in_words(client_for, snapshot):
    """The trend table and the tables under the charts say "April 2014", as every page does; the CSV
    keeps ISO months for machines."""
    html = client_for(PDG).get(URL, {"month": "2014-05", "crime_group": "Burglary"}).content.decode()
    tables = re.findall(r"<table\b.*?</table>", html, re.S)
    assert len(tables) >= 4
    for table in tables:
        assert not re.search(r"\d{4}-\d{2}", table), table[:300]
    assert '<th scope="row" class="govuk-table__header">April 2014</th>' in html


def test_outcomes_latest_redirects(client_for, snapshot):
    response = client_for(COORDINATOR).get("/outcomes/")
    assert response.status_code == 302
    assert response["Location"] == URL


def test_outcomes_needs_role(client, client_for, snapshot):
    assert client.get(URL).status_code == 302  # anonymous: to sign in
    assert client_for(PANEL).get(URL).status_code == 403


def test_outcomes_bad_choice_is_404(client_for, snapshot):
    assert client_for(PDG).get(URL, {"month": "1999-01"}).status_code == 404
    assert client_for(PDG).get(URL, {"crime_group": "Nope"}).status_code == 404


def test_outcomes_without_payload_says_so(client_for, plan):
    snapshot_make(as_of=date(2014, 5, 31), outcomes=False)
    response = client_for(PDG).get(URL)
    assert response.status_code == 200
    assert "This snapshot holds no crime outcomes." in response.content.decode()


def test_outcomes_csv_names_snapshot(client_for, snapshot):
    response = client_for(PDG).get(f"/snapshots/{AS_OF}/outcomes.csv", {"month": "2014-05"})
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert f"Digest: {snapshot.digest}" in lines[2]
    assert lines[4].startswith("Month,Crime group,Outcome number,Outcome,")
    assert "Home Office outcome types" in lines[0] and "home_office" not in lines[0]
    assert len(lines) == 5 + 13 * 2 * 4
    assert lines[5].startswith("2013-05,Burglary,1,")


def test_outcomes_query_count_bounded(client_for, snapshot):
    client = client_for(PDG)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert len(queries) <= 10
